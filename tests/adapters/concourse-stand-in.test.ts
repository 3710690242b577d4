// Adapter tests of the `concourse` stand-in the tests' release tarballs carry: started as a real child process with
// the env files the charm renders (every option set), it starts; with an environment the real binary refuses, it
// refuses in the same way. This is what makes "every CONCOURSE_* variable is a flag of its release" a tested claim.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { x as extract } from 'tar';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildReleaseTarball } from '../../sim/concourse/release-tarball';
import { releaseBinary } from '../../src/domain/concourse-services';
import { ConcourseVersion } from '../../src/domain/version';
import { freePorts } from '../support/free-ports';
import { CONFIGS } from '../support/service-renderings';
import { type StandInReleases, unpackStandIns } from '../support/stand-in-run';

const VERSIONS = ['7.14.2', '8.2.5'];
let releases: StandInReleases;
let root: string;

beforeAll(async () => {
  releases = await unpackStandIns(VERSIONS);
  root = releases.root;
});

afterAll(async () => releases.remove());

const run = (version: string, args: readonly string[], env: Readonly<Record<string, string>>) =>
  releases.run(version, args, env);
const rendered = (version: string, raw: Readonly<Record<string, unknown>>) => releases.rendered(version, raw);

describe('the stand-in accepts what the charm renders', () => {
  for (const version of VERSIONS) {
    for (const [label, raw] of Object.entries(CONFIGS)) {
      test(`${version}, ${label} → web and worker start`, async () => {
        const env = rendered(version, raw);
        const web = await run(version, ['web'], env.web);
        expect(web.stderr).toBe('');
        expect(web.started).toBe(true);
        const worker = await run(version, ['worker'], env.worker);
        expect(worker.stderr).toBe('');
        expect(worker.started).toBe(true);
      });
    }
  }
});

describe('the stand-in refuses what the real binary refuses', () => {
  const version = '7.14.2';

  test.each(VERSIONS)('%s --version → the bare version and a newline, as the real binary prints it', async (v) => {
    const out = await run(v, ['--version'], {});
    expect(out).toMatchObject({ code: 0, stdout: `${v}\n`, stderr: '' });
  });

  test.each([['--version'], ['web'], ['generate-key', '-t', 'ssh', '-f', '/nonexistent/k']])(
    'CONCOURSE_VERSION set, %s → panics (exit 2) before doing anything',
    async (...args) => {
      const out = await run(version, args, { ...rendered(version, {}).web, CONCOURSE_VERSION: '7.14.2' });
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/^panic: /);
      expect(out.started).toBe(false);
    },
  );

  test('web without CONCOURSE_TSA_HOST_KEY → the required-flag error', async () => {
    const { CONCOURSE_TSA_HOST_KEY: _gone, ...env } = rendered(version, {}).web;
    const out = await run(version, ['web'], env);
    expect(out).toMatchObject({ started: false, code: 1 });
    expect(out.stderr).toContain("the required flag `--tsa-host-key' was not specified");
  });

  test('worker without CONCOURSE_WORK_DIR → the required-flag error', async () => {
    const { CONCOURSE_WORK_DIR: _gone, ...env } = rendered(version, {}).worker;
    const out = await run(version, ['worker'], env);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("the required flag `--work-dir' was not specified");
  });

  test.each([
    ['web', 'CONCOURSE_BIND_PORT', 'eighty', 'expected uint16'],
    ['web', 'CONCOURSE_TSA_BIND_PORT', '70000', 'expected uint16'],
    ['web', 'CONCOURSE_GC_FAILED_GRACE_PERIOD', '5 days', 'expected time.Duration'],
    ['web', 'CONCOURSE_ENABLE_GLOBAL_RESOURCES', 'yes', 'expected bool'],
    ['web', 'CONCOURSE_CONTAINER_PLACEMENT_STRATEGY', 'volume-locality,best', 'Allowed values are'],
    ['web', 'CONCOURSE_SESSION_SIGNING_KEY', '/nonexistent/key', 'expected *flag.PrivateKey'],
    ['worker', 'CONCOURSE_CONTAINERD_MAX_CONTAINERS', '1.5', 'expected int'],
    ['worker', 'CONCOURSE_BAGGAGECLAIM_DRIVER', 'zfs', 'Allowed values are: detect naive btrfs overlay'],
  ] as const)('%s with %s=%s → refused (%s)', async (command, name, value, message) => {
    const out = await run(version, [command], { ...rendered(version, {})[command], [name]: value });
    expect(out).toMatchObject({ started: false, code: 1 });
    expect(out.stderr).toContain(message);
  });

  test('worker under containerd with a leftover CONCOURSE_GARDEN_* → refused as Concourse does', async () => {
    const out = await run(version, ['worker'], {
      ...rendered(version, {}).worker,
      CONCOURSE_GARDEN_DNS_SERVER: '1.1.1.1',
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('cannot use CONCOURSE_GARDEN_ environment variables with Containerd');
  });

  test('worker whose resource types hold an entry without resource_metadata.json → refused', async () => {
    const types = join(root, 'stray-types');
    await mkdir(join(types, 'git'), { recursive: true });
    await writeFile(join(types, 'git', 'resource_metadata.json'), '{"type":"git"}\n');
    await mkdir(join(types, 'leftover'));
    const out = await run(version, ['worker'], { ...rendered(version, {}).worker, CONCOURSE_RESOURCE_TYPES: types });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('failed-to-read-resource-type-metadata');
  });
});

/** A stand-in worker as a real child process: the test sends it real signals and reads what it prints. */
async function startWorker(state: string) {
  const version = '7.14.2';
  const child = spawn(releaseBinary(root, ConcourseVersion.parse(version)), ['worker'], {
    env: { PATH: '/usr/bin:/bin', STAND_IN_STATE: state, ...rendered(version, {}).worker },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters.filter((x) => out.includes(x.text))) w.resolve();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  /** Resolves once the worker printed `text` (its banner, or that it got a signal). */
  const printed = (text: string) =>
    new Promise<void>((resolve) => {
      if (out.includes(text)) resolve();
      else waiters.push({ text, resolve });
    });
  await printed('(stand-in) running');
  return { child, exited, printed };
}

describe('the stand-in worker drains as Concourse does', () => {
  async function withBuilds(...ids: string[]): Promise<string> {
    const state = await mkdtemp(join(root, 'state-'));
    await mkdir(join(state, 'builds'));
    for (const id of ids) await writeFile(join(state, 'builds', id), '');
    return state;
  }
  const read = (path: string) => readFile(path, 'utf8').catch(() => '');

  test('SIGUSR1 with 2 builds running → keeps running until both finish, then exits 0 landed; none errored', async () => {
    const state = await withBuilds('b1', 'b2');
    const worker = await startWorker(state);
    worker.child.kill('SIGUSR1');
    await worker.printed('worker landing');
    await rm(join(state, 'builds', 'b1'));
    // One build left: the worker is still there to run it.
    expect(worker.child.exitCode).toBeNull();
    await rm(join(state, 'builds', 'b2'));
    expect(await worker.exited).toBe(0);
    expect(await read(join(state, 'events.log'))).toBe('worker landed 7.14.2\n');
    expect(await read(join(state, 'errored.log'))).toBe('');
  });

  test('SIGUSR2 → retires once its build finished', async () => {
    const state = await withBuilds('b1');
    const worker = await startWorker(state);
    worker.child.kill('SIGUSR2');
    await worker.printed('worker retiring');
    await rm(join(state, 'builds', 'b1'));
    expect(await worker.exited).toBe(0);
    expect(await read(join(state, 'events.log'))).toBe('worker retired 7.14.2\n');
  });

  test('SIGTERM with builds running (a drain that timed out) → exits at once, those builds errored', async () => {
    const state = await withBuilds('b1', 'b2');
    const worker = await startWorker(state);
    worker.child.kill('SIGUSR1');
    await worker.printed('worker landing');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await read(join(state, 'errored.log'))).toBe('errored b1 7.14.2\nerrored b2 7.14.2\n');
    expect(await read(join(state, 'events.log'))).toBe('');
  });
});

describe('the stand-in web serves as Concourse does, on 127.0.0.1', () => {
  const freePort = async () => (await freePorts(1))[0] ?? 0;

  async function startWeb(env: Readonly<Record<string, string>>, options: { neverServes?: boolean } = {}) {
    const version = '7.14.2';
    let binary = releaseBinary(root, ConcourseVersion.parse(version));
    if (options.neverServes === true) {
      const dir = await mkdtemp(join(root, 'never-'));
      const tarball = join(dir, 'r.tgz');
      await writeFile(tarball, (await buildReleaseTarball({ version, fillerBytes: 16, webNeverServes: true })).data);
      await extract({ file: tarball, cwd: dir, strip: 1 });
      binary = join(dir, 'bin', 'concourse');
    }
    const child = spawn(binary, ['web'], {
      env: { PATH: '/usr/bin:/bin', SIM_NODE: process.execPath, ...rendered(version, {}).web, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const running = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('(stand-in) running')) resolve();
      });
      child.on('close', (code) => reject(new Error(`web exited ${code} before running: ${out}`)));
    });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    return { child, running, exited };
  }

  test('web with a bind port and a Prometheus port → /api/v1/info names its version, /metrics is Prometheus text', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const web = await startWeb({
      CONCOURSE_BIND_PORT: String(port),
      CONCOURSE_EXTERNAL_URL: 'http://ci.example:8080',
      CONCOURSE_PROMETHEUS_BIND_IP: '0.0.0.0',
      CONCOURSE_PROMETHEUS_BIND_PORT: String(metricsPort),
    });
    try {
      await web.running;
      const info = await fetch(`http://127.0.0.1:${port}/api/v1/info`);
      expect(info.status).toBe(200);
      expect(await info.json()).toMatchObject({ version: '7.14.2', external_url: 'http://ci.example:8080' });
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toContain('# TYPE concourse_stand_in_info gauge');
      expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404);
    } finally {
      web.child.kill('SIGTERM');
      await web.exited;
    }
  });

  test('web whose port is taken → exits 1 with Concourse’s listen error', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const web = await startWeb({ CONCOURSE_BIND_PORT: String(address.port) });
      await expect(web.running).rejects.toThrow(/exited 1/);
    } finally {
      taken.close();
    }
  });

  test('release built webNeverServes → the web runs, its port refuses', async () => {
    const port = await freePort();
    const web = await startWeb({ CONCOURSE_BIND_PORT: String(port) }, { neverServes: true });
    try {
      await web.running;
      await expect(fetch(`http://127.0.0.1:${port}/api/v1/info`)).rejects.toThrow();
    } finally {
      web.child.kill('SIGTERM');
      await web.exited;
    }
  });
});

describe('builds with a duration finish by themselves once the worker drains', () => {
  test('SIGUSR1 with a 1 s build and an endless one → the 1 s one finishes; SIGTERM errors only the endless one', async () => {
    const state = await mkdtemp(join(root, 'state-'));
    await mkdir(join(state, 'builds'));
    await writeFile(join(state, 'builds', 'short'), '1');
    await writeFile(join(state, 'builds', 'endless'), '');
    const worker = await startWorker(state);
    worker.child.kill('SIGUSR1');
    await worker.printed('worker landing');
    await waitFor(async () => (await readFile(join(state, 'events.log'), 'utf8').catch(() => '')).includes('finished'));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await readFile(join(state, 'events.log'), 'utf8')).toBe('finished short 7.14.2\n');
    expect(await readFile(join(state, 'errored.log'), 'utf8')).toBe('errored endless 7.14.2\n');
  });
});

/** Resolves once `check` holds: polls a file the worker writes (the test's timeout bounds it). */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
}
