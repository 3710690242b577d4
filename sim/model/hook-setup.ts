// Simulator: what a hook starts with: Juju's bookkeeping just before it runs, the unit's view of the model the
// tools read (snapshot.json), and the environment Juju gives a hook.

import { dirname } from 'node:path';
import { MACHINE_PATH_DIRS, type SimMachine } from '../machine';
import type { HookSnapshot, RelationView } from '../model-state';
import type { SimEvent } from '../sim-event';
import { deriveAppStatus } from '../status-table';
import type { Inspection } from './inspection';
import type { SimModelOptions } from './options';
import { endpointOf, type Launch, NOW, type RelationRecord, remoteAppOf, type UnitRecord } from './records';
import type { ModelWorld } from './world';

const JUJU_VERSION = '3.6.4';

export class HookSetup {
  constructor(
    private readonly world: ModelWorld,
    private readonly inspection: Inspection,
  ) {}

  /** Bookkeeping Juju does before a hook runs: who the unit sees in its relations. */
  beforeHook(u: UnitRecord, event: SimEvent): void {
    if (event.relationId === undefined) return;
    const rel = this.world.relations.get(event.relationId);
    if (rel === undefined) return;
    const view = rel.views.get(u.name) ?? new Set<string>();
    rel.views.set(u.name, view);
    if (event.type === 'relation-created') u.knownRelations.add(rel.id);
    if (event.type === 'relation-joined' && event.remoteUnit !== undefined) view.add(event.remoteUnit);
    if (event.type === 'relation-departed' && event.remoteUnit !== undefined) view.delete(event.remoteUnit);
    if (event.type === 'install' && !u.charmSetStatus)
      u.workload = { kind: 'maintenance', message: 'installing charm software', since: NOW() };
  }

  snapshot(u: UnitRecord, launch: Launch): HookSnapshot {
    const w = this.world;
    const a = w.app(u.app);
    const view = (rel: RelationRecord): RelationView => {
      const readable = new Set<string>(rel.unitData.keys());
      for (const end of rel.ends) for (const v of w.unitsOf(end.app)) readable.add(v.name);
      return {
        id: rel.id,
        endpoint: endpointOf(rel, u.app),
        interface: rel.interface,
        peer: rel.peer,
        localApp: u.app,
        remoteApp: remoteAppOf(rel, u.app),
        dying: rel.dying,
        members: [...(rel.views.get(u.name) ?? [])],
        readableUnits: [...readable],
        unitData: Object.fromEntries(rel.unitData),
        appData: Object.fromEntries(rel.appData),
      };
    };
    const appUnits = w.unitsOf(a.name);
    return {
      modelName: w.modelName,
      modelUuid: w.modelUuid,
      unit: u.name,
      app: u.app,
      machine: String(u.machine),
      address: u.address,
      leader: a.leader === u.name,
      dispatchPath: launch.dispatchPath,
      config: w.effectiveConfig(a),
      endpoints: Object.fromEntries(
        Object.entries(a.spec.endpoints).map(([k, e]) => [k, { interface: e.interface, role: e.role }]),
      ),
      bindings: [...a.spec.bindings],
      relations: [...w.relations.values()].filter((r) => u.knownRelations.has(r.id)).map(view),
      storage: u.storage,
      ports: [...u.ports],
      unitStatus: u.workload,
      appStatus: a.status ?? { ...deriveAppStatus(appUnits.map((v) => this.inspection.unitStatus(v))), since: NOW() },
      appUnitStatuses: Object.fromEntries(appUnits.map((v) => [v.name, v.workload])),
      workloadVersion: u.workloadVersion,
      secrets: [...w.secretStore.values()],
      state: u.state,
      resources: Object.fromEntries(
        Object.entries(a.spec.resources).map(([name, r]) => [
          name,
          { filename: r.filename, hostPath: a.resources.get(name) ?? null },
        ]),
      ),
      ...(launch.action === undefined ? {} : { action: launch.action }),
    };
  }

  env(u: UnitRecord, box: SimMachine, hookDir: string, launch: Launch): Record<string, string> {
    const w = this.world;
    const env: Record<string, string> = {
      // Juju's hook PATH: its tools, then the agent's (juju/juju internal/worker/uniter/runner/context/env.go).
      PATH: [
        w.toolsPath,
        ...(w.nodeMode === 'path' ? [dirname(process.execPath)] : []),
        ...MACHINE_PATH_DIRS,
        '/snap/bin',
      ].join(':'),
      HOME: '/root',
      LANG: 'C.UTF-8',
      JUJU_VERSION,
      JUJU_MODEL_NAME: w.modelName,
      JUJU_MODEL_UUID: w.modelUuid,
      JUJU_UNIT_NAME: u.name,
      JUJU_MACHINE_ID: String(u.machine),
      JUJU_PRINCIPAL_UNIT: '',
      JUJU_AVAILABILITY_ZONE: '',
      JUJU_CHARM_DIR: box.charmDir,
      JUJU_CONTEXT_ID: `${u.name}-${launch.label}-${u.hookSeq}`,
      JUJU_API_ADDRESSES: '127.0.0.1:17070',
      ...proxyEnv(w.options.proxy),
      JUJU_SIM_ROOT: w.root,
      JUJU_SIM_HOOK_DIR: hookDir,
      JUJU_SIM_UNIT_DIR: u.dir,
      ...w.toolServer.env,
    };
    if (launch.dispatchPath !== 'juju-exec') env.JUJU_DISPATCH_PATH = launch.dispatchPath;
    const e = launch.event;
    if (e !== undefined) {
      env.JUJU_HOOK_NAME = e.hook;
      if (e.relationId !== undefined) {
        env.JUJU_RELATION = e.endpoint ?? '';
        env.JUJU_RELATION_ID = `${e.endpoint ?? ''}:${e.relationId}`;
        env.JUJU_REMOTE_APP = e.remoteApp ?? '';
        if (e.remoteUnit !== undefined) env.JUJU_REMOTE_UNIT = e.remoteUnit;
        if (e.departingUnit !== undefined) env.JUJU_DEPARTING_UNIT = e.departingUnit;
      }
      if (e.storageId !== undefined) env.JUJU_STORAGE_ID = e.storageId;
      if (e.secretId !== undefined) {
        env.JUJU_SECRET_ID = e.secretId;
        env.JUJU_SECRET_LABEL = e.secretLabel ?? '';
        if (e.secretRevision !== undefined) env.JUJU_SECRET_REVISION = String(e.secretRevision);
      }
    }
    if (launch.action !== undefined) {
      env.JUJU_ACTION_NAME = launch.action.name;
      env.JUJU_ACTION_UUID = launch.action.uuid;
      env.JUJU_ACTION_ID = launch.action.uuid;
    }
    const profile = w.profileOf(u.app);
    const recorded = w.options.services === 'run' ? {} : profile.recordedServicesHookEnv;
    return { ...env, ...profile.hookEnv, ...recorded, ...w.options.extraEnv, ...launch.env };
  }
}

/** Juju's two sets of proxy variables (see SimModelOptions.proxy). */
function proxyEnv(proxy: SimModelOptions['proxy']): Record<string, string> {
  const juju = proxy?.juju ?? {};
  const env: Record<string, string> = {
    JUJU_CHARM_HTTP_PROXY: juju.http ?? '',
    JUJU_CHARM_HTTPS_PROXY: juju.https ?? '',
    JUJU_CHARM_FTP_PROXY: juju.ftp ?? '',
    JUJU_CHARM_NO_PROXY: juju.noProxy ?? '',
  };
  const legacy = proxy?.legacy ?? {};
  for (const [name, value] of [
    ['http_proxy', legacy.http],
    ['https_proxy', legacy.https],
    ['ftp_proxy', legacy.ftp],
    ['no_proxy', legacy.noProxy],
  ] as const) {
    if (value === undefined || value === '') continue;
    env[name] = value;
    env[name.toUpperCase()] = value;
  }
  return env;
}
