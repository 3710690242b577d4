// Simulator: what a test or an operator can observe without changing the model: `juju status`, `debug-log`, the
// hooks' output, relation data, secrets, the fake systemd's records, each unit's filesystem and queue.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from '../charm-spec';
import {
  type Bag,
  type Effect,
  EffectSchema,
  HOOK_FILES,
  parseJsonLines,
  secretUri,
  type WorkloadStatus,
} from '../model-state';
import { describeEvent } from '../sim-event';
import { type AppStatus, deriveAppStatus, type RelationStatus, type SimStatus, type UnitStatus } from '../status-table';
import { ServiceStateSchema, type SystemctlCall, SystemctlCallSchema } from '../tools/systemctl';
import type { SecretInfo } from './options';
import type { LogEntry, UnitRecord } from './records';
import type { ModelWorld } from './world';

export class Inspection {
  constructor(private readonly world: ModelWorld) {}

  status(): SimStatus {
    const w = this.world;
    const units: UnitStatus[] = [];
    const apps: AppStatus[] = [];
    for (const a of [...w.apps.values()].sort((x, y) => x.name.localeCompare(y.name))) {
      const appUnits = w.unitsOf(a.name).map((u) => this.unitStatus(u));
      units.push(...appUnits);
      apps.push({
        name: a.name,
        charm: a.spec.name,
        scale: appUnits.length,
        status: a.status === undefined ? deriveAppStatus(appUnits) : { kind: a.status.kind, message: a.status.message },
        version: w.unitsOf(a.name).find((u) => u.workloadVersion !== '')?.workloadVersion ?? '',
        leader: a.leader,
        units: appUnits.map((u) => u.name),
        stub: a.stub,
      });
    }
    const relations: RelationStatus[] = [...w.relations.values()].map((r) => {
      const names = r.ends.map((e) => `${e.app}:${e.endpoint}`);
      const provider = r.ends.find((e) => e.role !== 'requires') ?? r.ends[0];
      const requirer = r.ends.find((e) => e.role === 'requires') ?? r.ends[0];
      return {
        id: r.id,
        interface: r.interface,
        peer: r.peer,
        endpoints: names,
        provider: provider === undefined ? '' : `${provider.app}:${provider.endpoint}`,
        requirer: requirer === undefined ? '' : `${requirer.app}:${requirer.endpoint}`,
      };
    });
    return { model: w.modelName, apps, units, relations };
  }

  debugLog(filter: { unit?: string; level?: string } = {}): string[] {
    // Hooks finish out of order; debug-log reads in time order.
    const entries = [...this.world.logs, ...this.liveLogs()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return entries
      .filter((e) => filter.unit === undefined || e.unit === filter.unit)
      .filter((e) => filter.level === undefined || e.level === filter.level.toUpperCase())
      .map(
        (e) =>
          `unit-${e.unit.replace('/', '-')}: ${e.at.slice(11, 19)} ${e.level} unit.${e.unit}.juju-log ${e.message}`,
      );
  }

  unitLog(unit: string): string {
    this.unitRoot(unit); // an unknown unit is an error here, not an empty log
    return this.readUnitFile(unit, 'hooks.log');
  }

  relationData(relationId: string | number, unitOrApp: string): Bag {
    const rel = this.world.relation(relationId);
    const bag = unitOrApp.includes('/') ? rel.unitData.get(unitOrApp) : rel.appData.get(unitOrApp);
    return { ...(bag ?? {}) };
  }

  relationIds(app: string, endpoint: string): string[] {
    return [...this.world.relations.values()]
      .filter((r) => r.ends.some((e) => e.app === app && e.endpoint === endpoint))
      .map((r) => `${endpoint}:${r.id}`);
  }

  secrets(): SecretInfo[] {
    return [...this.world.secretStore.values()].map((s) => ({
      uri: secretUri(s.id),
      owner: s.ownerUnit ?? (s.ownerApp === '' ? 'model' : s.ownerApp),
      ...(s.name === undefined ? {} : { name: s.name }),
      label: s.label,
      revisions: structuredClone(s.revisions),
      grants: structuredClone(s.grants),
      consumers: structuredClone(s.consumers),
    }));
  }

  systemctlCalls(unit: string): SystemctlCall[] {
    const text = this.readUnitFile(unit, join('systemd', 'calls.jsonl'));
    return parseJsonLines(text, (v) => SystemctlCallSchema.parse(v));
  }

  serviceState(
    unit: string,
    service: string,
  ): { active: string; execStart: string; mainPid?: number; failure?: string } | undefined {
    const name = serviceName(service);
    const text = this.readUnitFile(unit, join('systemd', 'units', `${name}.json`));
    if (text === '') return undefined;
    const state = ServiceStateSchema.parse(JSON.parse(text));
    return {
      active: state.active,
      execStart: state.loaded?.execStart ?? '',
      // A real process's pid only when services run (recorded ones have a made-up pid).
      ...(this.world.services === undefined ? {} : { mainPid: state.mainPid }),
      ...(state.failure === undefined ? {} : { failure: state.failure }),
    };
  }

  /** What a service printed (stdout and stderr), when services run; '' before it ever ran. */
  serviceJournal(unit: string, service: string): string {
    return this.readUnitFile(unit, join('systemd', 'journal', `${serviceName(service)}.log`));
  }

  unitRoot(unit: string): string {
    const dir = this.world.unitDirs.get(unit);
    if (dir === undefined) throw new SimError(`unit "${unit}" not found`);
    return dir;
  }

  unitPath(unit: string, inside: string): string {
    const box = this.world.unit(unit).box;
    if (box === undefined) throw new SimError(`${unit} is a stand-in and has no filesystem`);
    return box.hostPath(inside);
  }

  volumeHostPath(unit: string): string {
    const u = this.world.charmUnit(unit);
    if (u.box === undefined) throw new SimError(`${unit} is a stand-in and has no filesystem`);
    return u.box.hostPath(this.world.storageLocationOf(u));
  }

  mountsOf(unit: string): ReadonlyArray<{ kind: 'operator' | 'juju-storage'; hostPath: string; storageId?: string }> {
    return this.world.charmUnit(unit).layers.map((l) => ({
      kind: l.kind,
      hostPath: l.hostPath,
      ...(l.storageId === undefined ? {} : { storageId: l.storageId }),
    }));
  }

  pendingEvents(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const u of this.world.units.values()) {
      if (u.queue.length > 0 || u.failed !== undefined) {
        out[u.name] = [
          ...(u.failed === undefined ? [] : [`(failed) ${u.failed.hook}`]),
          ...u.queue.map((e) => describeEvent(u.name, e)),
        ];
      }
    }
    return out;
  }

  unitStatus(u: UnitRecord): UnitStatus {
    const live = this.liveWorkload(u);
    return {
      name: u.name,
      app: u.app,
      leader: this.world.apps.get(u.app)?.leader === u.name,
      machine: String(u.machine),
      address: u.address,
      ports: [...u.ports].sort(),
      workload: { kind: live.kind, message: live.message },
      agent: u.agent,
      agentMessage: u.agentMessage,
      workloadVersion: u.workloadVersion,
      life: u.life,
    };
  }

  /** A running hook's status-set counts at once, as in Juju. */
  private liveWorkload(u: UnitRecord): WorkloadStatus {
    if (u.running === undefined) return u.workload;
    let s = u.workload;
    for (const e of this.runningEffects(u))
      if (e.op === 'status' && !e.application) s = { kind: e.kind, message: e.message, since: e.at };
    return s;
  }

  private liveLogs(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const u of this.world.units.values()) {
      for (const e of this.runningEffects(u))
        if (e.op === 'log') out.push({ unit: u.name, level: e.level, message: e.message, at: e.at });
    }
    return out;
  }

  private runningEffects(u: UnitRecord): Effect[] {
    if (u.running === undefined) return [];
    try {
      return parseJsonLines(readFileSync(join(u.running.hookDir, HOOK_FILES.effects), 'utf8'), (v) =>
        EffectSchema.parse(v),
      );
    } catch {
      return [];
    }
  }

  private readUnitFile(unit: string, rel: string): string {
    try {
      return readFileSync(join(this.unitRoot(unit), rel), 'utf8');
    } catch {
      return '';
    }
  }
}

function serviceName(service: string): string {
  return service.includes('.') ? service : `${service}.service`;
}
