// Test support: `concourse` stand-ins (the tests' release tarballs carry one) run as real child processes with the
// environment the charm renders (unpacked in a scratch directory, or a simulated unit's own), started or refused.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x as extract } from 'tar';
import { buildReleaseTarball } from '../../sim/concourse/release-tarball';
import type { SimModel } from '../../sim/model';
import {
  CONCOURSE_KEYS_DIR,
  type RenderedService,
  releaseBinary,
  WEB_UNIT_FILE,
} from '../../src/domain/concourse-services';
import { ConcourseVersion } from '../../src/domain/version';
import { renderServices, serviceVariables } from './service-renderings';
import { env } from './unit-inspection';

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

/** The connectors a unit's running web (services: 'run') opened when it last started, from its journal. */
export function journalConnectors(sim: SimModel, unit: string): string[] {
  const lines = [...sim.serviceJournal(unit, 'concourse-server.service').matchAll(/^connectors:(.*)$/gm)];
  const last = lines[lines.length - 1]?.[1];
  return last === undefined ? [] : last.trim().split(/\s+/).filter(Boolean);
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

/**
 * Runs a simulated unit's web as systemd would start it, but directly (the fake systemd starts no process): the
 * ExecStart binary of its unit file, with the unit file's Environment= lines and its env file, every path that exists
 * on the unit moved to where the unit's filesystem lives on the host.
 */
export async function runUnitWeb(sim: SimModel, unit: string): Promise<StandInOutcome> {
  const unitFile = readFileSync(sim.unitPath(unit, WEB_UNIT_FILE), 'utf8');
  const onHost = (value: string) =>
    value.startsWith('/') && existsSync(sim.unitPath(unit, value)) ? sim.unitPath(unit, value) : value;
  const [binary, ...args] = (/^ExecStart=(.*)$/m.exec(unitFile)?.[1] ?? '').trim().split(/\s+/);
  if (binary === undefined || binary === '') throw new Error(`${unit}: ${WEB_UNIT_FILE} has no ExecStart`);
  const variables: Record<string, string> = {};
  for (const [, name, value] of unitFile.matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)) {
    if (name !== undefined && value !== undefined && name !== 'PATH') variables[name] = onHost(value);
  }
  for (const [name, value] of Object.entries(env(sim, unit, 'web'))) variables[name] = onHost(value);
  const state = await mkdtemp(join(tmpdir(), 'unit-web-'));
  try {
    return await runStandIn(onHost(binary), args, variables, state);
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}
