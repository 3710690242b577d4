// Test support: what an e2e test reads off the simulated units: statuses, files in a unit's own /etc, env files as
// systemd reads them, the fake systemd's state changes, and every text an operator or another charm could see.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SimModel } from '../../sim/model';

export function statusOf(sim: SimModel, unit: string): [string, string] {
  const u = sim.status().units.find((x) => x.name === unit);
  return [u?.workload.kind ?? '?', u?.workload.message ?? '?'];
}

export function unitFile(sim: SimModel, unit: string, path: string): string {
  return readFileSync(sim.unitPath(unit, path), 'utf8');
}

export function env(sim: SimModel, unit: string, file: 'web' | 'worker'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of unitFile(sim, unit, `/etc/concourse/${file}.env`).split('\n')) {
    const m = /^([A-Z_]+)="(.*)"$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2].replace(/\\(.)/g, '$1');
  }
  return out;
}

export function mode(sim: SimModel, unit: string, path: string): string {
  return (statSync(sim.unitPath(unit, path)).mode & 0o777).toString(8);
}

/** Starts, restarts, stops and reloads the fake systemd saw on a unit (is-active and the like do not count). */
export function changes(sim: SimModel, unit: string): string[] {
  return sim
    .systemctlCalls(unit)
    .filter((c) => ['start', 'restart', 'stop', 'reload', 'disable'].includes(c.argv[0] ?? ''))
    .map((c) => c.argv.join(' '));
}

export function active(sim: SimModel, unit: string, service: string): string | undefined {
  return sim.serviceState(unit, service)?.active;
}

/** Every file under a directory, recursively (the volume), as text; `skip` names top-level entries left out. */
export function allText(dir: string, skip: readonly string[] = []): string {
  let text = '';
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.includes(entry.name)) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) text += allText(p);
    else if (entry.isFile() && statSync(p).size < 4 * 1024 * 1024) text += readFileSync(p, 'latin1');
  }
  return text;
}

/** Every relation bag of every relation in the model, as one JSON text. */
export function allRelationData(sim: SimModel): string {
  const bags: unknown[] = [];
  const status = sim.status();
  for (const rel of status.relations) {
    for (const app of status.apps) {
      bags.push(sim.relationData(rel.id, app.name));
      for (const unit of app.units) bags.push(sim.relationData(rel.id, unit));
    }
  }
  return JSON.stringify(bags);
}
