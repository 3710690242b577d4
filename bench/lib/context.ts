// Benchmark support: what every measurement gets from the runner: the size of the run, the recorder, and the
// release server on 127.0.0.1 with the releases it serves.

import type { ReleaseServer } from '../../sim/concourse/release-server';
import type { Recorder } from './results';

export interface BenchContext {
  /** `--quick`: every measurement at its smallest size, a single run each, so the bench is cheap to keep working. */
  readonly quick: boolean;
  readonly rec: Recorder;
  readonly server: ReleaseServer;
  /** Bytes of each release tarball the server has, by version. */
  readonly releaseBytes: ReadonlyMap<string, number>;
}

/** Runs of a figure: one in --quick, `full` otherwise. */
export function runsOf(ctx: BenchContext, full: number): number {
  return ctx.quick ? 1 : full;
}
