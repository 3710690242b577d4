// Test support: `concourse` stand-ins (the tests' release tarballs carry one) unpacked in a scratch directory and run
// as real child processes with the environment the charm renders, reporting whether each started or refused.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x as extract } from 'tar';
import { buildReleaseTarball } from '../../sim/concourse/release-tarball';
import { CONCOURSE_KEYS_DIR, type RenderedService, releaseBinary } from '../../src/domain/concourse-services';
import { ConcourseVersion } from '../../src/domain/version';
import { renderServices, serviceVariables } from './service-renderings';

export interface StandInOutcome {
  readonly started: boolean;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the stand-in; a long-running command counts as started once it prints its banner, and is then stopped. */
export function runStandIn(
  binary: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  stateDir: string,
): Promise<StandInOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      env: { PATH: '/usr/bin:/bin', STAND_IN_STATE: stateDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!started && / \(stand-in\) running/.test(stdout)) {
        started = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ started, code, stdout, stderr }));
  });
}

/** The connectors a stand-in web opened (its `connectors:` line), in the order Concourse registers them. */
export function openedConnectors(outcome: StandInOutcome): string[] {
  const line = /^connectors:(.*)$/m.exec(outcome.stdout)?.[1];
  return line === undefined ? [] : line.trim().split(/\s+/).filter(Boolean);
}

/** Stand-in releases unpacked under a scratch root, with key files of their own, for services rendered there. */
export interface StandInReleases {
  readonly root: string;
  run(version: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<StandInOutcome>;
  /** The variables web and worker get for `raw` config, the key files moved to the scratch root's. */
  rendered(
    version: string,
    raw: Readonly<Record<string, unknown>>,
  ): { readonly web: Record<string, string>; readonly worker: Record<string, string> };
  remove(): Promise<void>;
}

export async function unpackStandIns(versions: readonly string[]): Promise<StandInReleases> {
  const root = await mkdtemp(join(tmpdir(), 'stand-in-test-'));
  const keys = join(root, 'keys');
  await mkdir(keys);
  for (const name of ['session_signing_key', 'tsa_host_key', 'worker_key', 'web-tls.key', 'web-tls.crt']) {
    await writeFile(join(keys, name), '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n');
  }
  for (const version of versions) {
    const dir = join(root, 'releases', version);
    await mkdir(dir, { recursive: true });
    const tarball = join(root, `${version}.tgz`);
    await writeFile(tarball, (await buildReleaseTarball({ version, fillerBytes: 16 })).data);
    await extract({ file: tarball, cwd: dir, strip: 1 });
  }
  const environment = (rendered: RenderedService): Record<string, string> =>
    Object.fromEntries([...serviceVariables(rendered)].map(([k, v]) => [k, v.replaceAll(CONCOURSE_KEYS_DIR, keys)]));
  return {
    root,
    run: (version, args, env) =>
      runStandIn(releaseBinary(root, ConcourseVersion.parse(version)), args, env, join(root, 'state')),
    rendered: (version, raw) => {
      const services = renderServices(version, raw, root);
      return { web: environment(services.web), worker: environment(services.worker) };
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
