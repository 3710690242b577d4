// Scenarios: shared/spec/plan.md's deployment scenarios, written once over the scenario model, hard-failing on what
// plan.md asserts and on what it only warns about (a second download, a unit on another filesystem, a stale version).

import { expect } from 'vitest';
import { type JujuStatus, unitsOf } from './juju-json';
import type { ConfigValues, ScenarioModel } from './scenario-model';

export const LOCATION = '/var/lib/concourse';
const APP = 'concourse-ci';
const FROM = '7.14.2';
const TO = '7.14.3';
/** The release versions a backend must be able to serve for these scenarios. */
export const SCENARIO_VERSIONS = [FROM, TO] as const;

export interface Scenario {
  readonly name: string;
  readonly run: (m: ScenarioModel) => Promise<void>;
}

// ------------------------------------------------------------------ what every scenario checks

function charmConfig(m: ScenarioModel, extra: ConfigValues): ConfigValues {
  return { version: FROM, ...(m.downloadUrl === undefined ? {} : { 'download-url': m.downloadUrl }), ...extra };
}

/** Each application has exactly that many units, every one active with its agent idle. */
function allActive(scale: Readonly<Record<string, number>>): (s: JujuStatus) => boolean {
  return (s) =>
    Object.entries(scale).every(([app, n]) => {
      const units = unitsOf(s, app);
      return (
        units.length === n &&
        units.every(([, u]) => u['workload-status'].current === 'active' && u['juju-status'].current === 'idle')
      );
    });
}

/** …and every unit says it runs `version`. */
function allOn(scale: Readonly<Record<string, number>>, version: string): (s: JujuStatus) => boolean {
  const active = allActive(scale);
  return (s) =>
    active(s) &&
    Object.keys(scale).every((app) =>
      unitsOf(s, app).every(([, u]) => (u['workload-status'].message ?? '').includes(`(v${version})`)),
    );
}

function leaderOf(s: JujuStatus, app: string): string {
  const leader = unitsOf(s, app).find(([, u]) => u.leader === true);
  if (leader === undefined) throw new Error(`${app} has no leader in status`);
  return leader[0];
}

function namesOf(s: JujuStatus, ...apps: string[]): string[] {
  return apps.flatMap((app) => unitsOf(s, app).map(([name]) => name));
}

async function execOk(m: ScenarioModel, unit: string, argv: readonly string[]): Promise<string> {
  const r = await m.exec(unit, argv);
  expect(r.code, `${unit}: ${argv.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

/**
 * One filesystem under every unit: the same volume id (the file and what each unit tells its peers), the same
 * filesystem id, and the release binary one inode, as each unit sees them from inside.
 */
async function expectOneFilesystem(m: ScenarioModel, units: readonly string[], version: string): Promise<void> {
  const seen = await Promise.all(
    units.map(async (u) => ({
      unit: u,
      volumeId: await execOk(m, u, ['cat', `${LOCATION}/.volume-id`]),
      fsId: await execOk(m, u, ['stat', '-f', '-c', '%i', LOCATION]),
      inode: await execOk(m, u, ['stat', '-L', '-c', '%i', `${LOCATION}/releases/${version}/bin/concourse`]),
      published: (await m.unitRelationData(u, 'peers'))['volume-id'],
    })),
  );
  const first = seen[0];
  expect(first?.volumeId).toMatch(/\S/);
  for (const s of seen) {
    expect({ unit: s.unit, volumeId: s.volumeId, fsId: s.fsId, inode: s.inode, published: s.published }).toEqual({
      unit: s.unit,
      volumeId: first?.volumeId,
      fsId: first?.fsId,
      inode: first?.inode,
      published: first?.volumeId,
    });
  }
}

function countLogged(lines: readonly string[], event: string, version: string): number {
  const pattern = new RegExp(`\\b${event.replace(/\./g, '\\.')}\\b.*\\bversion=${version.replace(/\./g, '\\.')}\\b`);
  return lines.filter((l) => pattern.test(l)).length;
}

/** Exactly one download of `version` in the whole model: in debug-log, and at the release server when there is one. */
async function expectOneDownload(m: ScenarioModel, version: string): Promise<void> {
  const log = await m.debugLog();
  expect(countLogged(log, 'storage.download.start', version), `downloads of ${version} in debug-log`).toBe(1);
  expect(countLogged(log, 'storage.published', version), `publications of ${version} in debug-log`).toBe(1);
  if (m.serverDownloads) expect(m.serverDownloads(version), `downloads of ${version} served`).toBe(1);
}

/** Every unit runs `version` from the shared release: its status, the volume's `current`, the path it executes. */
async function expectVersionEverywhere(m: ScenarioModel, units: readonly string[], version: string): Promise<void> {
  const s = await m.status();
  for (const unit of units) {
    const [app = ''] = unit.split('/');
    const u = unitsOf(s, app).find(([name]) => name === unit)?.[1];
    expect(u?.['workload-status'].message, unit).toContain(`(v${version})`);
    expect(await execOk(m, unit, ['cat', `${LOCATION}/.installed_version`]), unit).toBe(version);
    expect(await execOk(m, unit, ['readlink', '-f', `${LOCATION}/bin/concourse`]), unit).toBe(
      `${LOCATION}/releases/${version}/bin/concourse`,
    );
    expect(await execOk(m, unit, ['readlink', `${LOCATION}/current`]), unit).toBe(`releases/${version}`);
    // The release's manifest names what was verified, so storage-status verify=true can re-digest it later.
    const manifest = JSON.parse(await execOk(m, unit, ['cat', `${LOCATION}/releases/${version}/MANIFEST.json`]));
    expect({ version: manifest.version, binary: typeof manifest.files?.['bin/concourse'] }, unit).toEqual({
      version,
      binary: 'object',
    });
  }
}

/** Each unit has its own worker directory on the volume, naming it and what it runs; no other unit's is missing. */
async function expectOwnWorkerDirs(m: ScenarioModel, units: readonly string[], version: string): Promise<void> {
  const dirs = units.map((u) => u.replace('/', '-'));
  for (const unit of units) {
    const listed = (await execOk(m, unit, ['ls', '-1', `${LOCATION}/worker`])).split('\n').sort();
    expect(listed, unit).toEqual([...dirs].sort());
    const state = JSON.parse(await execOk(m, unit, ['cat', `${LOCATION}/worker/${unit.replace('/', '-')}/state.json`]));
    expect({ unit: state.unit, runningVersion: state.runningVersion }).toEqual({ unit, runningVersion: version });
  }
}

async function relateDatabase(m: ScenarioModel, app: string): Promise<void> {
  await m.deployPostgres();
  await m.integrate(`${app}:postgresql`, 'postgresql:database');
}

/** Dotted action results (`releases.7-14-2.state`) as Juju nests them. */
function resultAt(results: Readonly<Record<string, unknown>>, path: string): unknown {
  let at: unknown = results;
  for (const part of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** storage-status verify=true on `unit`: every release re-digested against its manifest, the lock free. */
async function expectStoreIntact(m: ScenarioModel, unit: string, versions: readonly string[]): Promise<void> {
  const r = await m.run(unit, 'storage-status', { verify: true });
  expect(r.status, r.message).toBe('completed');
  for (const v of versions)
    expect(resultAt(r.results, `releases.v${v.replace(/\./g, '-')}.state`), v).toBe('published');
  expect(resultAt(r.results, 'lock.held')).toBe('false');
  expect(resultAt(r.results, 'download')).toBeUndefined();
}

/** The upgrade as plan.md runs it: `version` set on each application, then `upgrade` on the first one's leader. */
async function upgrade(m: ScenarioModel, apps: readonly string[], scale: Readonly<Record<string, number>>) {
  for (const app of apps) await m.config(app, { version: TO });
  const [first = APP] = apps;
  const r = await m.run(leaderOf(await m.status(), first), 'upgrade', { version: TO });
  expect(r.status, r.message).toBe('completed');
  return m.waitFor(`every unit on ${TO}`, allOn(scale, TO));
}

// ------------------------------------------------------------------ the scenarios of plan.md

/** 1. test-shared-storage-auto-mode */
async function autoMode(m: ScenarioModel): Promise<void> {
  await m.shareVolume(APP);
  await m.deploy(APP, { units: 3, config: charmConfig(m, { mode: 'auto' }) });
  await relateDatabase(m, APP);
  const s = await m.waitFor('3 units active', allActive({ [APP]: 3 }));
  const units = namesOf(s, APP);
  const leader = leaderOf(s, APP);
  for (const [name, u] of unitsOf(s, APP)) {
    const role = name === leader ? 'Web' : 'Worker';
    expect(u['workload-status'].message, name).toMatch(
      new RegExp(`^${role} ready \\(v${FROM}\\).* · shared volume 3 units$`),
    );
  }
  // The shared filesystem is the operator's mount: Juju attached no storage of its own to hide it.
  expect((await m.storage()).filter((st) => st.units.some((u) => u.startsWith(`${APP}/`)))).toEqual([]);
  await expectOneFilesystem(m, units, FROM);
  await expectOneDownload(m, FROM);
  // The units that did not download took the published release.
  expect(countLogged(await m.debugLog(), 'storage.reuse', FROM)).toBeGreaterThan(0);
  await expectVersionEverywhere(m, units, FROM);
  await expectOwnWorkerDirs(m, units, FROM);
  // Workers on the web's volume publish no first running-version (the leader reads their state files): that write
  // would run a peers-relation-changed on every other unit for nothing. The web publishes it: workers follow it.
  const workers = units.filter((u) => u !== leader);
  expect((await m.unitRelationData(leader, 'peers'))['running-version']).toBe(FROM);
  for (const w of workers) expect(await m.unitRelationData(w, 'peers'), w).not.toHaveProperty('running-version');

  await upgrade(m, [APP], { [APP]: 3 });
  await expectVersionEverywhere(m, units, TO);
  await expectOneDownload(m, TO);
  await expectOwnWorkerDirs(m, units, TO);
  // A switch is published: the leader hears each step of a roll-out.
  for (const w of workers) expect((await m.unitRelationData(w, 'peers'))['running-version'], w).toBe(TO);
}

/** 2. test-shared-storage-all-mode */
async function allMode(m: ScenarioModel): Promise<void> {
  await m.shareVolume(APP);
  await m.deploy(APP, { units: 1, config: charmConfig(m, { mode: 'all' }) });
  await relateDatabase(m, APP);
  await m.waitFor('unit 0 active', allActive({ [APP]: 1 }));
  const [added] = await m.addUnit(APP, 1);
  const s = await m.waitFor('both units active', allActive({ [APP]: 2 }));
  const units = namesOf(s, APP);
  expect(units).toContain(added);
  for (const [name, u] of unitsOf(s, APP)) {
    expect(u['workload-status'].message, name).toMatch(
      new RegExp(`^Web\\+worker ready \\(v${FROM}\\) http.* · shared volume 2 units$`),
    );
    // Both complete Concourse installations run their web server.
    expect(await execOk(m, name, ['systemctl', 'is-active', 'concourse-server.service'])).toBe('active');
    expect(await execOk(m, name, ['systemctl', 'is-active', 'concourse-worker.service'])).toBe('active');
  }
  await expectOneFilesystem(m, units, FROM);
  await expectOneDownload(m, FROM);
  await expectOwnWorkerDirs(m, units, FROM);
}

/** 3. test-shared-storage-web-worker-mode */
async function webWorkerMode(m: ScenarioModel): Promise<void> {
  // One filesystem for both applications: the workers reuse what the web downloaded.
  await m.shareVolume('web');
  await m.shareVolume('worker');
  await m.deploy('web', { units: 1, config: charmConfig(m, { mode: 'web' }) });
  await relateDatabase(m, 'web');
  await m.waitFor('web active', allActive({ web: 1 }));
  await m.deploy('worker', { units: 2, config: charmConfig(m, { mode: 'worker' }) });
  await m.integrate('worker:flight', 'web:tsa');
  const scale = { web: 1, worker: 2 };
  const s = await m.waitFor('web and both workers active', allActive(scale));
  const units = namesOf(s, 'web', 'worker');
  // Sharing is told over peers, within one application: the web is alone in its own.
  for (const [name, u] of unitsOf(s, 'worker')) {
    expect(u['workload-status'].message, name).toMatch(
      new RegExp(`^Worker ready \\(v${FROM}\\) · shared volume 2 units$`),
    );
  }
  // The TSA link: the web offers its TSA to the workers, each worker its key to the web.
  const [webUnit = ''] = namesOf(s, 'web');
  expect((await m.unitRelationData(webUnit, 'tsa'))['tsa-host']).toMatch(/\S/);
  for (const w of namesOf(s, 'worker')) {
    expect((await m.unitRelationData(w, 'flight'))['worker-public-key'], w).toMatch(/^ssh-rsa /);
  }
  await expectOneFilesystem(m, units, FROM);
  await expectOneDownload(m, FROM);
  await expectOwnWorkerDirs(m, units, FROM);

  await upgrade(m, ['web', 'worker'], scale);
  await expectVersionEverywhere(m, units, TO);
  await expectOneDownload(m, TO);
}

/** 4. test-new-unit-addition */
async function newUnitAddition(m: ScenarioModel): Promise<void> {
  await m.shareVolume(APP);
  await m.deploy(APP, { units: 2, config: charmConfig(m, { mode: 'auto' }) });
  await relateDatabase(m, APP);
  await m.waitFor('2 units active', allActive({ [APP]: 2 }));
  const [added = ''] = await m.addUnit(APP, 1);
  const s = await m.waitFor('3 units active', allActive({ [APP]: 3 }));
  const u = unitsOf(s, APP).find(([name]) => name === added)?.[1];
  expect(u?.['workload-status'].message).toMatch(new RegExp(`^Worker ready \\(v${FROM}\\) · shared volume 3 units$`));
  // It reused the release: no lock, no download.
  const mine = (await m.debugLog()).filter((l) => l.includes(`unit.${added}.`));
  expect(countLogged(mine, 'storage.reuse', FROM)).toBeGreaterThan(0);
  expect(countLogged(mine, 'storage.download.start', FROM)).toBe(0);
  expect(mine.filter((l) => /\bstorage\.lock\.(acquired|wait)\b/.test(l))).toEqual([]);
  await expectOneDownload(m, FROM);
  // Its worker offers its key to the web over peers, which is how the TSA authorizes it.
  expect((await m.unitRelationData(added, 'peers'))['worker-public-key']).toMatch(/^ssh-rsa /);
  const units = namesOf(s, APP);
  await expectOneFilesystem(m, units, FROM);
  await expectOwnWorkerDirs(m, units, FROM);
}

/** 5. test-storage-contention */
async function storageContention(m: ScenarioModel): Promise<void> {
  await m.shareVolume(APP);
  // Two units racing for the first download are contention enough (plan.md deploys 3: scenario 1 races 3; the
  // simulator's 20-unit race lives in tests/e2e/shared-store.test.ts).
  await m.deploy(APP, { units: 2, config: charmConfig(m, { mode: 'auto' }) });
  await relateDatabase(m, APP);
  await m.waitFor('2 units active', allActive({ [APP]: 2 }));
  // config-changed on every unit at once.
  await m.config(APP, { 'log-level': 'debug' });
  await m.waitFor('log-level=debug applied', allActive({ [APP]: 2 }));
  // Two units added while a new version is rolled out: every unit's hooks race for its one download.
  await m.config(APP, { version: TO });
  await m.addUnit(APP, 2);
  const s = await m.waitFor(`4 units on ${TO}`, allOn({ [APP]: 4 }, TO));
  const units = namesOf(s, APP);
  await expectOneDownload(m, FROM);
  await expectOneDownload(m, TO);
  const log = await m.debugLog();
  expect(log.filter((l) => /\bstorage\.lock\.acquired\b/.test(l)).length).toBeGreaterThan(0);
  expect(log.filter((l) => /\bstorage\.lock\.release\.failed\b|\bstorage\.staging\.discard\.failed\b/.test(l))).toEqual(
    [],
  );
  await expectStoreIntact(m, leaderOf(s, APP), [FROM, TO]);
  await expectOneFilesystem(m, units, TO);
  await expectVersionEverywhere(m, units, TO);
  await expectOwnWorkerDirs(m, units, TO);
}

/** 6. test-storage-failure-recovery */
async function storageFailureRecovery(m: ScenarioModel): Promise<void> {
  await m.shareVolume(APP);
  await m.deploy(APP, { units: 2, config: charmConfig(m, { mode: 'auto' }) });
  await relateDatabase(m, APP);
  const s = await m.waitFor('2 units active', allActive({ [APP]: 2 }));
  const units = namesOf(s, APP);
  const lost = units.find((u) => u !== leaderOf(s, APP)) ?? '';
  await m.unshareVolume(lost);
  const blocked = await m.waitFor(
    `${lost} blocked on the lost mount`,
    (st) => unitsOf(st, APP).find(([n]) => n === lost)?.[1]['workload-status'].current === 'blocked',
    { updateStatus: true },
  );
  expect(unitsOf(blocked, APP).find(([n]) => n === lost)?.[1]['workload-status'].message).toMatch(
    /^Storage \/var\/lib\/concourse is no longer mounted \(.+ held volume [0-9a-f]{8}\): remount it there/,
  );
  // Nothing is installed on the bare directory that shows through.
  expect((await m.exec(lost, ['test', '-e', `${LOCATION}/releases`])).code).not.toBe(0);
  await m.shareVolume(APP);
  await m.waitFor('both units active again', allActive({ [APP]: 2 }), { updateStatus: true });
  await expectOneFilesystem(m, units, FROM);
  await expectOneDownload(m, FROM);
  await expectOwnWorkerDirs(m, units, FROM);
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'mode=auto, 3 units on one volume, upgraded to 7.14.3 → one download each, every unit on it', run: autoMode },
  { name: 'mode=all, 1 unit scaled to 2 → both run web and worker from the one download', run: allMode },
  {
    name: 'web and worker applications on one volume, upgraded → the workers reuse the web’s downloads',
    run: webWorkerMode,
  },
  { name: 'a unit added to a running cluster → reuses the release, no lock, no download', run: newUnitAddition },
  {
    name: 'config changes on every unit, 2 units added during an upgrade → one download per version, store intact',
    run: storageContention,
  },
  {
    name: 'the volume unmounted from one unit → blocked with guidance; remounted → active, nothing re-downloaded',
    run: storageFailureRecovery,
  },
];
