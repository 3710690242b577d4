// The packed charm while its PostgreSQL relation goes away (juju remove-relation), against a stand-in PostgreSQL of
// three units that behaves like the real provider: the grant of its `secret-user` secret ends as soon as removal
// starts, and its application data is cleared. Juju (and the simulator) keep listing the relation on every unit until
// that unit's -relation-broken has run, after a -relation-departed for each remote unit: across all of it no unit
// may ever show the credentials-unreadable status, and the web ends waiting with the integrate command.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { POSTGRES_APP, type PostgresStub, relatePostgres } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { SimModel } from '../../sim/model';
import { HOOK_FILES } from '../../sim/model-state';
import { runTool } from '../../sim/tools/dispatch';
import { packedCharm } from '../support/packed-charm';

const APP = 'concourse-ci';
const UNITS = [`${APP}/0`, `${APP}/1`, `${APP}/2`];
const WEB_UNIT = `${APP}/0`;
const WEB = 'concourse-server.service';
const UNREADABLE = 'PostgreSQL credentials cannot be read';
const REQUIRED = `PostgreSQL relation required: juju integrate ${APP}:postgresql postgresql`;

interface HookRecord {
  readonly dir: string;
  readonly hook: string;
  readonly statuses: readonly string[];
}

let server: ReleaseServer;
let sim: SimModel;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 256 * 1024 });
  sim = await SimModel.create({ charm: await packedCharm(), hookRetry: false });
  await sim.deploy(APP, {
    units: 3,
    config: { mode: 'auto', version: '7.14.2', 'download-url': server.downloadUrlTemplate },
  });
  // A PostgreSQL of three units (HA): the departed hooks of a removal come one remote unit at a time.
  await sim.deployStub(POSTGRES_APP, {
    endpoints: { database: { interface: 'postgresql_client', role: 'provides' } },
    units: 3,
  });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
  await server?.close();
});

function statusOf(unit: string): [string, string] {
  const u = sim.status().units.find((x) => x.name === unit);
  return [u?.workload.kind ?? '?', u?.workload.message ?? '?'];
}

/** Every hook the unit ran, in order, with every status-set it made (the unit's status history). */
function hooksOf(unit: string): HookRecord[] {
  const root = join(sim.unitRoot(unit), 'hooks');
  return readdirSync(root)
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const file = join(dir, HOOK_FILES.effects);
      const statuses = existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as { op: string; application?: boolean; kind?: string; message?: string })
            .filter((e) => e.op === 'status' && e.application === false)
            .map((e) => `${e.kind}: ${e.message}`)
        : [];
      return { dir, hook: name.replace(/^\d+-/, ''), statuses };
    });
}

/** How many hooks each unit has run so far: what a step ran is what comes after. */
function mark(): Map<string, number> {
  return new Map(UNITS.map((u) => [u, hooksOf(u).length]));
}

function since(start: Map<string, number>, unit: string): HookRecord[] {
  return hooksOf(unit).slice(start.get(unit) ?? 0);
}

/**
 * What a hook tool printed in a hook that has ended: the simulator's own tool, run on a copy of the snapshot that
 * hook was given (a hook's tools are refused once it has ended, as Juju's are).
 */
function replayTool(
  hookDir: string,
  tool: string,
  argv: readonly string[],
  env: Readonly<Record<string, string>> = {},
): string {
  const copy = mkdtempSync(join(tmpdir(), 'replay-'));
  try {
    copyFileSync(join(hookDir, HOOK_FILES.snapshot), join(copy, HOOK_FILES.snapshot));
    let out = '';
    let err = '';
    const code = runTool(
      tool,
      argv,
      { ...env, JUJU_SIM_HOOK_DIR: copy },
      { out: (t) => (out += t), err: (t) => (err += t), stdin: () => '', callerPath: (p) => p },
    );
    if (code !== 0) throw new Error(`${tool} ${argv.join(' ')} → exit ${code}: ${err}`);
    return out;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** relation-ids as the hook saw it, with the hook's own environment (which relation it was for, and which hook). */
function relationIdsIn(record: HookRecord, relationId: string): unknown {
  return JSON.parse(
    replayTool(record.dir, 'relation-ids', ['--format=json', 'postgresql'], {
      JUJU_HOOK_NAME: record.hook,
      JUJU_RELATION_ID: relationId,
    }),
  );
}

function relationListIn(record: HookRecord, relationId: string): unknown {
  return JSON.parse(replayTool(record.dir, 'relation-list', ['--format=json', '-r', relationId]));
}

async function relationIdsNow(unit: string): Promise<string> {
  const r = await sim.exec(unit, ['relation-ids', 'postgresql']);
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

/** The removal as seen on every unit: one departed per remote unit, then broken, and nothing else for it. */
function expectRemovalHooks(start: Map<string, number>, remoteUnits: number): void {
  for (const unit of UNITS) {
    const hooks = since(start, unit)
      .map((h) => h.hook)
      .filter((h) => h.startsWith('postgresql-'));
    expect(hooks, unit).toEqual([
      ...Array.from({ length: remoteUnits }, () => 'postgresql-relation-departed'),
      'postgresql-relation-broken',
    ]);
  }
}

function expectNoUnreadableStatus(start: Map<string, number>): void {
  for (const unit of UNITS) {
    for (const h of since(start, unit)) {
      for (const s of h.statuses) {
        expect(s, `${unit} ${h.hook}`).not.toContain(UNREADABLE);
        expect(s, `${unit} ${h.hook}`).not.toMatch(/^blocked: PostgreSQL/);
        expect(s, `${unit} ${h.hook}`).not.toContain('credentials not yet shared');
      }
    }
    expect(statusOf(unit)[1]).not.toContain(UNREADABLE);
  }
}

function expectAllActive(): void {
  expect(statusOf(WEB_UNIT)).toEqual(['active', 'Web ready (v7.14.2) http://127.0.1.1:8080 · shared volume 3 units']);
  for (const u of UNITS.slice(1)) expect(statusOf(u)[0]).toBe('active');
  expect(sim.status().units.filter((u) => u.agent === 'error')).toEqual([]);
}

describe('remove-relation postgresql: mode=auto, 3 units, a 3-unit PostgreSQL', () => {
  let pg: PostgresStub;

  test('related and shared → the web is active on the leader, the workers around it', async () => {
    pg = await relatePostgres(sim, APP);
    await sim.settle();
    expectAllActive();
  });

  test('one PostgreSQL unit removed (scale-down) → its departed hook still reads the answer: the web stays active', async () => {
    const start = mark();
    await sim.removeUnit(`${POSTGRES_APP}/2`);
    await sim.settle();
    const departed = since(start, WEB_UNIT).filter((h) => h.hook === 'postgresql-relation-departed');
    expect(departed).toHaveLength(1);
    expect(departed[0]?.statuses.every((s) => s.startsWith('active: '))).toBe(true);
    expectAllActive();
  });

  test('removed, the grant revoked at once (its data still naming the secret) → departing, departed, required', async () => {
    const start = mark();
    await sim.removeRelation(pg.relationId);
    await sim.revokeSecret(pg.secretUri, pg.relationId);
    await sim.settle();

    expectRemovalHooks(start, 2);
    expectNoUnreadableStatus(start);

    // relation-ids listed the relation on every unit in each departed hook (the departing unit is a member until the
    // hook commits) and no longer in broken; relation-list, the remote units not departed yet on that unit (the one
    // departing already left out).
    for (const unit of UNITS) {
      const removal = since(start, unit).filter((h) => h.hook.startsWith('postgresql-relation-'));
      expect(
        removal.map((h) => relationIdsIn(h, pg.relationId)),
        unit,
      ).toEqual([[pg.relationId], [pg.relationId], []]);
      expect(
        removal.map((h) => relationListIn(h, pg.relationId)),
        unit,
      ).toEqual([[`${POSTGRES_APP}/1`], [], []]);
      // Once broken has run, it is gone.
      expect(await relationIdsNow(unit)).toBe('');
    }

    // The web: waiting all along (first departed: units left, credentials withdrawn; last: none left), then broken
    // asks for a new relation. The web that ran keeps running meanwhile, as after any broken.
    const web = since(start, WEB_UNIT).filter((h) => h.hook.startsWith('postgresql-relation-'));
    expect(web.map((h) => h.statuses.at(-1))).toEqual([
      'waiting: PostgreSQL relation departing: credentials withdrawn',
      'waiting: PostgreSQL relation departed: no PostgreSQL units left',
      `waiting: ${REQUIRED}`,
    ]);
    expect(statusOf(WEB_UNIT)).toEqual(['waiting', REQUIRED]);
    expect(sim.serviceState(WEB_UNIT, WEB)?.active).toBe('active');
    // The web unit said, in the departed hooks, that it saw the relation leaving: it was listed there.
    const log = sim.debugLog({ unit: WEB_UNIT }).join('\n');
    expect(log).toContain('postgres.relation.departing');
    expect(log).toContain('postgres.relation.leaving');
    expect(sim.status().units.filter((u) => u.agent === 'error')).toEqual([]);
  });

  test('integrated again → active with the new relation’s credentials', async () => {
    pg = await relatePostgres(sim, APP, { password: 'pg-password-2' });
    await sim.settle();
    expectAllActive();
  });

  test('removed after the provider cleared its data and revoked the grant → no changed hook, no credentials status', async () => {
    const start = mark();
    // All in one step, as the provider's units do when removal starts: the relation-changed this write queues is
    // one Juju never runs, the relation being Dying by then.
    await sim.setRelationData(pg.relationId, POSTGRES_APP, { endpoints: '', 'secret-user': '', version: '' });
    await sim.revokeSecret(pg.secretUri, pg.relationId);
    await sim.removeRelation(pg.relationId);
    await sim.settle();

    expectRemovalHooks(start, 2);
    expectNoUnreadableStatus(start);
    for (const unit of UNITS) {
      const removal = since(start, unit).filter((h) => h.hook.startsWith('postgresql-relation-'));
      expect(
        removal.map((h) => relationIdsIn(h, pg.relationId)),
        unit,
      ).toEqual([[pg.relationId], [pg.relationId], []]);
      expect(await relationIdsNow(unit)).toBe('');
    }
    const web = since(start, WEB_UNIT).filter((h) => h.hook.startsWith('postgresql-relation-'));
    expect(web.map((h) => h.statuses.at(-1))).toEqual([
      'waiting: PostgreSQL relation departing: credentials withdrawn',
      'waiting: PostgreSQL relation departed: no PostgreSQL units left',
      `waiting: ${REQUIRED}`,
    ]);
    expect(statusOf(WEB_UNIT)).toEqual(['waiting', REQUIRED]);
    // Later hooks agree: the relation is gone, nothing to read.
    await sim.updateStatus();
    expect(statusOf(WEB_UNIT)).toEqual(['waiting', REQUIRED]);
    expectNoUnreadableStatus(start);
  });
});
