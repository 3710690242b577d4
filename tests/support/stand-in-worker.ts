// Test support: the builds of a unit's running `concourse worker` stand-in (services run for real), seen from the
// host: start one, read what the worker recorded (events.log, errored.log), and which release a service runs.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimModel } from '../../sim/model';

export const WEB = 'concourse-server.service';
export const WORKER = 'concourse-worker.service';

/** One unit's stand-in state dir, resolved once (a local dir of the unit: it outlives a removed unit). */
export class StandInWorker {
  private constructor(private readonly dir: string) {}

  static of(sim: SimModel, unit: string): StandInWorker {
    return new StandInWorker(sim.unitPath(unit, '/var/lib/concourse-stand-in'));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** A file the worker wrote ('' when it has not). */
  read(name: 'events.log' | 'errored.log'): string {
    const path = this.path(name);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  /** Starts a build: `seconds` it still runs once the worker is told to drain; '' runs until `endBuild`. */
  startBuild(id: string, seconds: number | ''): void {
    writeFileSync(this.path(join('builds', id)), String(seconds));
  }

  endBuild(id: string): void {
    rmSync(this.path(join('builds', id)));
  }
}

/** The release a unit's service runs, from its ExecStart (`.../releases/<version>/...`). */
export function runningRelease(sim: SimModel, unit: string, service: string): string | undefined {
  return /releases\/([^/]+)\//.exec(sim.serviceState(unit, service)?.execStart ?? '')?.[1];
}

/** Resolves once the unit's worker journal shows `text` (what it printed when signalled). */
export async function workerPrinted(sim: SimModel, unit: string, text: string): Promise<void> {
  while (!sim.serviceJournal(unit, WORKER).includes(text)) await new Promise((r) => setTimeout(r, 50));
}
