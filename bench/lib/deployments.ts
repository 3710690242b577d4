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
  readonly failedHooks: number;
  readonly toolCalls: number;
  readonly peerWrites: number;
  /** Longest single value the charm keeps in Juju's charm state (state-set), in bytes. */
  readonly largestStateValue: number;
  readonly errorLogs: number;
}

export interface Deployed {
  readonly sim: SimModel;
  readonly counts: DeployCounts;
}

/**
 * The hooks Juju runs for N units deployed together with one related application of `remoteUnits` units, whatever
 * the charm does (Juju 3's uniter: juju/juju internal/worker/uniter/resolver.go and relation/statetracker.go):
 * install, relation-created per relation, leader-elected or leader-settings-changed, config-changed, start; then
 * relation-joined + relation-changed for every ordered pair of units in scope (peers: N·(N-1) pairs).
 */
export function jujuMinimumHooks(units: number, relations: number, remoteUnits: number): number {
  const lifecycle = units * (4 + relations);
  const peerPairs = units * (units - 1);
  return lifecycle + 2 * peerPairs + 2 * units * remoteUnits;
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
): Pick<DeployCounts, 'hooks' | 'failedHooks' | 'peerWrites' | 'largestStateValue'> {
  const peerIds = new Set(sim.relationIds(APP, 'peers').map((id) => Number(id.split(':')[1])));
  let hooks = 0;
  let failedHooks = 0;
  let peerWrites = 0;
  let largestStateValue = 0;
  for (const u of unitsOf(sim, APP)) {
    const root = sim.unitRoot(u.name);
    for (const header of sim
      .unitLog(u.name)
      .split('\n')
      .filter((l) => l.startsWith('--- '))) {
      const m = / hooks\/\S+ \((exit (\d+)|killed[^)]*)/.exec(header);
      if (m === null) continue;
      hooks += 1;
      if (m[2] !== '0') failedHooks += 1;
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
  return { hooks, failedHooks, peerWrites, largestStateValue };
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
