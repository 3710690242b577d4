// Benchmark support: one deployment of N units of the packed charm in the simulated model (its database stand-in
// related), settled, and everything counted from the model's own records: downloads, bytes, hooks, writes, errors.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { SimModel } from '../../sim/model';
import { ChangeSchema, HOOK_FILES, parseJsonLines } from '../../sim/model-state';
import type { VolumeProvider } from '../../sim/volume-provider';
import type { BenchContext } from './context';

export const CHARM = 'concourse-ci-machine_amd64.charm';
export const APP = 'concourse-ci';
export const VERSION = '7.14.2';
export const NEXT_VERSION = '7.14.3';

export type SharedStorage = 'auto' | 'none';

export interface DeployCounts {
  readonly units: number;
  readonly settleMs: number;
  readonly active: number;
  readonly downloads: number;
  readonly bytesFetched: number;
  /** Bytes on the shared volume (what du says), so hard links and per-unit copies count as they would on disk. */
  readonly volumeBytes: number;
  readonly hooks: number;
  /** Hooks that exited non-zero (Juju retries them) or were killed. */
  readonly failedHooks: number;
  /** Hooks killed by the simulator's per-hook timeout: the figures of such a run are not the charm's. */
  readonly killedHooks: number;
  /** Hooks run, by hook name (`peers-relation-changed`...), to see which ones exceed the Juju minimum. */
  readonly hooksByName: Readonly<Record<string, number>>;
  readonly toolCalls: number;
  readonly peerWrites: number;
  /** Longest single value the charm keeps in Juju's charm state (state-set), in bytes. */
  readonly largestStateValue: number;
  readonly errorLogs: number;
}

/**
 * A hook of a large deployment on this machine can run for minutes (30 units downloading and waiting on one lock
 * over sshfs): the simulator's default per-hook timeout (180 s) would kill it and the run would measure the kill.
 * Juju itself sets no such timeout; a killed hook is still reported, as an error row, never as a plain figure.
 */
export const BENCH_HOOK_TIMEOUT_MS = 45 * 60 * 1000;

/** Why a deployment's figures cannot be taken at face value: failed or killed hooks, units not active. */
export function runProblem(c: DeployCounts): string | undefined {
  const problems: string[] = [];
  if (c.killedHooks > 0) problems.push(`${c.killedHooks} hooks killed after ${BENCH_HOOK_TIMEOUT_MS / 60_000} min`);
  if (c.failedHooks > c.killedHooks) problems.push(`${c.failedHooks - c.killedHooks} hooks failed`);
  if (c.active < c.units) problems.push(`${c.active}/${c.units} units active`);
  return problems.length === 0 ? undefined : problems.join(', ');
}

/** `{ error }` for a record when any of `counts` had a problem (which run, and what), else nothing. */
export function errorOf(counts: ReadonlyArray<{ readonly label: string; readonly counts: DeployCounts }>): {
  error?: string;
} {
  const problems = counts.flatMap(({ label, counts: c }) => {
    const p = runProblem(c);
    return p === undefined ? [] : [`${label}: ${p}`];
  });
  return problems.length === 0 ? {} : { error: problems.join('; ') };
}

/** The problems of every run of a size, shared and per-unit, named by run. */
export function pairErrors(pairs: readonly SizePair[]): { error?: string } {
  return errorOf(
    pairs.flatMap((p, i) => [
      { label: `run ${i + 1}, shared`, counts: p.shared },
      { label: `run ${i + 1}, per-unit`, counts: p.perUnit },
    ]),
  );
}

export interface Deployed {
  readonly sim: SimModel;
  readonly counts: DeployCounts;
}

/**
 * The hooks Juju runs for N units deployed together with one related database application of `remoteUnits` units,
 * whatever the charm does (Juju 3's uniter: juju/juju internal/worker/uniter/resolver.go and relation/statetracker.go):
 * install, relation-created per relation, leader-elected or leader-settings-changed, config-changed, start; then
 * relation-joined + relation-changed for every ordered pair of units in scope (peers: N·(N-1) pairs); and one
 * relation-changed per unit for the database's answer in its application bag (postgresql_client: the database
 * writes `endpoints` and `secret-user` there once asked, and Juju runs relation-changed on every unit of the other
 * side for an application-bag change: internal/worker/uniter/relation/resolver.go, ApplicationSettingsVersion).
 */
export function jujuMinimumHooks(units: number, relations: number, remoteUnits: number): number {
  const lifecycle = units * (4 + relations);
  const peerPairs = units * (units - 1);
  const databaseAnswer = units;
  return lifecycle + 2 * peerPairs + 2 * units * remoteUnits + databaseAnswer;
}

/** jujuMinimumHooks for this charm's deployment (peers + postgresql), hook by hook. */
export function jujuMinimumHooksByName(units: number, remoteUnits: number): Record<string, number> {
  const pairs = units * (units - 1);
  return {
    install: units,
    'leader-elected': 1,
    'leader-settings-changed': units - 1,
    'config-changed': units,
    start: units,
    'peers-relation-created': units,
    'peers-relation-joined': pairs,
    'peers-relation-changed': pairs,
    'postgresql-relation-created': units,
    'postgresql-relation-joined': units * remoteUnits,
    'postgresql-relation-changed': units * remoteUnits + units,
  };
}

export function du(path: string): number {
  return Number(execFileSync('du', ['-s', '-B1', path], { encoding: 'utf8' }).split(/\s/)[0]);
}

export interface DeployOptions {
  readonly units: number;
  readonly sharedStorage: SharedStorage;
  readonly volume?: VolumeProvider;
  readonly version?: string;
  readonly maxParallelHooks?: number;
}

export async function deployAndSettle(ctx: BenchContext, opts: DeployOptions): Promise<Deployed> {
  const version = opts.version ?? VERSION;
  const server = ctx.server;
  const sim = await SimModel.create({
    charm: CHARM,
    // Juju starts every unit's agent at once; the simulator's default cap of 8 would hide contention.
    maxParallelHooks: opts.maxParallelHooks ?? Math.max(8, opts.units),
    hookTimeoutMs: BENCH_HOOK_TIMEOUT_MS,
  });
  try {
    const downloadsBefore = server.downloads(version);
    const callsBefore = sim.toolCalls;
    const started = performance.now();
    await deployWithPostgres(sim, APP, {
      units: opts.units,
      config: { version, 'download-url': server.downloadUrlTemplate, 'shared-storage': opts.sharedStorage },
      ...(opts.volume === undefined ? {} : { volume: opts.volume }),
    });
    await sim.settle({ maxRounds: 1000 });
    const settleMs = performance.now() - started;
    const downloads = server.downloads(version) - downloadsBefore;
    const hookCounts = countHooks(sim);
    return {
      sim,
      counts: {
        units: opts.units,
        settleMs,
        active: unitsOf(sim, APP).filter((u) => u.workload.kind === 'active').length,
        downloads,
        bytesFetched: downloads * (ctx.releaseBytes.get(version) ?? 0),
        volumeBytes: du(sim.volumeHostPath(`${APP}/0`)),
        ...hookCounts,
        toolCalls: sim.toolCalls - callsBefore,
        errorLogs: sim.debugLog({ level: 'ERROR' }).filter((l) => l.includes(`unit.${APP}/`)).length,
      },
    };
  } catch (err) {
    await sim.close();
    throw err;
  }
}

/** Hooks (not actions or exec) each unit ran, from its hooks.log headers and hook dirs. */
export function countHooks(
  sim: SimModel,
): Pick<DeployCounts, 'hooks' | 'failedHooks' | 'killedHooks' | 'hooksByName' | 'peerWrites' | 'largestStateValue'> {
  const peerIds = new Set(sim.relationIds(APP, 'peers').map((id) => Number(id.split(':')[1])));
  let hooks = 0;
  let failedHooks = 0;
  let killedHooks = 0;
  const hooksByName: Record<string, number> = {};
  let peerWrites = 0;
  let largestStateValue = 0;
  for (const u of unitsOf(sim, APP)) {
    const root = sim.unitRoot(u.name);
    for (const header of sim
      .unitLog(u.name)
      .split('\n')
      .filter((l) => l.startsWith('--- '))) {
      // sim/model/hook-runner.ts: `--- <time> hooks/<name> (exit N|killed after T ms|killed by SIG, D ms)`
      const m = / hooks\/(\S+) \((exit (\d+)|killed[^,)]*)/.exec(header);
      if (m === null) continue;
      hooks += 1;
      const name = m[1] ?? '?';
      hooksByName[name] = (hooksByName[name] ?? 0) + 1;
      if (m[3] !== '0') failedHooks += 1;
      if (m[2]?.startsWith('killed') === true) killedHooks += 1;
    }
    for (const dir of readdirSync(join(root, 'hooks'))) {
      let text: string;
      try {
        text = readFileSync(join(root, 'hooks', dir, HOOK_FILES.changes), 'utf8');
      } catch {
        continue; // a hook that changed nothing writes no changes file
      }
      for (const c of parseJsonLines(text, (v) => ChangeSchema.parse(v))) {
        if (c.op === 'relation-set' && peerIds.has(c.relationId)) peerWrites += 1;
        if (c.op === 'state-set') {
          for (const v of Object.values(c.data)) largestStateValue = Math.max(largestStateValue, Buffer.byteLength(v));
        }
      }
    }
  }
  return { hooks, failedHooks, killedHooks, hooksByName, peerWrites, largestStateValue };
}

export interface SizePair {
  readonly shared: DeployCounts;
  readonly perUnit: DeployCounts;
}

/**
 * For each size, `runs` pairs deployed back to back: the shared volume, then `shared-storage=none` (every unit its
 * own copy, what a charm without a shared store does). Measurements 1 and 2 both read these, so they are run once.
 */
export async function deployPairs(
  ctx: BenchContext,
  sizes: readonly number[],
  runsFor: (units: number) => number,
): Promise<Map<number, SizePair[]>> {
  const out = new Map<number, SizePair[]>();
  for (const units of sizes) {
    const pairs: SizePair[] = [];
    for (let run = 0; run < runsFor(units); run++) {
      const shared = await deployCounts(ctx, { units, sharedStorage: 'auto' });
      const perUnit = await deployCounts(ctx, { units, sharedStorage: 'none' });
      pairs.push({ shared, perUnit });
      console.log(
        `  ${units} units, run ${run + 1}: shared ${(shared.settleMs / 1000).toFixed(1)} s, per-unit ${(perUnit.settleMs / 1000).toFixed(1)} s`,
      );
    }
    out.set(units, pairs);
  }
  return out;
}

async function deployCounts(ctx: BenchContext, opts: DeployOptions): Promise<DeployCounts> {
  const { sim, counts } = await deployAndSettle(ctx, opts);
  await sim.close();
  return counts;
}
