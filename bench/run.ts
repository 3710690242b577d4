// Benchmark: the spec's speed and size targets (SC-001, SC-002, SC-003), measured in the simulated model with the
// packed charm and a local release server, written to bench/report.md. Targets live here, never in test timings.
//
// npm run bench [-- --filler-mib 64 --units 3,10]

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { deployWithPostgres, unitsOf } from '../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../sim/concourse/release-server';
import { SimModel } from '../sim/model';

const { values } = parseArgs({
  options: {
    'filler-mib': { type: 'string', default: '64' },
    units: { type: 'string', default: '3,10' },
    out: { type: 'string', default: 'bench/report.md' },
  },
});
const MiB = 1024 * 1024;
const fillerBytes = Number(values['filler-mib']) * MiB;
const unitCounts = (values.units ?? '3').split(',').map(Number);
const CHARM = 'concourse-ci-machine_amd64.charm';

interface Row {
  readonly what: string;
  readonly value: string;
  readonly target: string;
  readonly ok: boolean | undefined;
}
const rows: Row[] = [];
const row = (what: string, value: string, target = '', ok?: boolean) => {
  rows.push({ what, value, target, ok });
  console.log(`${what}: ${value}${target ? ` (target ${target}: ${ok ? 'met' : 'MISSED'})` : ''}`);
};

function du(path: string): number {
  return Number(execFileSync('du', ['-s', '-B1', path], { encoding: 'utf8' }).split(/\s/)[0]);
}

/** Milliseconds from the `ms=` field of the first debug-log line with `event`. */
function eventMs(sim: SimModel, event: string): number | undefined {
  const line = sim.debugLog().find((l) => l.includes(` ${event} `));
  const m = line === undefined ? null : / ms=(\d+)/.exec(line);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

async function deploy(server: ReleaseServer, units: number) {
  const sim = await SimModel.create({ charm: CHARM });
  const before = server.downloads('7.14.2');
  const started = Date.now();
  await deployWithPostgres(sim, 'concourse-ci', {
    units,
    config: { mode: 'auto', version: '7.14.2', 'download-url': server.downloadUrlTemplate },
  });
  await sim.settle({ maxRounds: 1000 });
  const ms = Date.now() - started;
  const active = unitsOf(sim, 'concourse-ci').filter((u) => u.workload.kind === 'active').length;
  return { sim, ms, active, downloads: server.downloads('7.14.2') - before };
}

const server = await startReleaseServer();
try {
  const release = await server.addRelease({ version: '7.14.2', fillerBytes });
  row('Release tarball', `${(release.bytes / MiB).toFixed(1)} MiB`);

  const single = await deploy(server, 1);
  const singleBytes = du(single.sim.volumeHostPath('concourse-ci/0'));
  row('1 unit: deploy to active', `${(single.ms / 1000).toFixed(1)} s`);
  row('1 unit: download, verify, unpack, publish', `${eventMs(single.sim, 'storage.published') ?? '?'} ms`);
  row('1 unit: volume bytes', `${(singleBytes / MiB).toFixed(1)} MiB`);

  const addStarted = Date.now();
  const before = server.downloads('7.14.2');
  await single.sim.addUnit('concourse-ci');
  await single.sim.settle();
  const addMs = Date.now() - addStarted;
  row('Unit added to a deployment (SC-002)', `${(addMs / 1000).toFixed(1)} s`, '< 180 s', addMs < 180_000);
  row(
    'Downloads for the added unit',
    String(server.downloads('7.14.2') - before),
    '0',
    server.downloads('7.14.2') === before,
  );
  await single.sim.close();

  for (const n of unitCounts) {
    const many = await deploy(server, n);
    const bytes = du(many.sim.volumeHostPath('concourse-ci/0'));
    const ratio = bytes / singleBytes;
    row(`${n} units at once: deploy to active`, `${(many.ms / 1000).toFixed(1)} s (${many.active}/${n} active)`);
    row(`${n} units at once: downloads (SC-003)`, String(many.downloads), '1', many.downloads === 1);
    row(`${n} units at once: volume vs 1 unit (SC-001)`, `${ratio.toFixed(3)}x`, '< 1.2x', ratio < 1.2);
    const waits = many.sim.debugLog().filter((l) => l.includes(' storage.lock.acquired '));
    const lockMs = waits.map((l) => Number(/ ms=(\d+)/.exec(l)?.[1] ?? 0));
    row(`${n} units at once: longest wait for the lock`, `${Math.max(0, ...lockMs)} ms`);
    await many.sim.close();
  }

  // SC-003 for upgrades: 5 units move to the next release by the upgrade action, downloading it once; the web is
  // restarted onto the new release (no stop), and every worker switches after it.
  await server.addRelease({ version: '7.14.3', fillerBytes });
  const five = await deploy(server, 5);
  try {
    const started = Date.now();
    const before = server.downloads('7.14.3');
    const result = await five.sim.runAction('concourse-ci/0', 'upgrade', { version: '7.14.3' });
    await five.sim.settle({ maxRounds: 1000 });
    const ms = Date.now() - started;
    const on = unitsOf(five.sim, 'concourse-ci').filter((u) => u.workload.message.includes('(v7.14.3)')).length;
    row(
      '5 units: upgrade 7.14.2 → 7.14.3 by the action, to every unit on it',
      `${(ms / 1000).toFixed(1)} s (${on}/5, action ${result.status})`,
    );
    const downloads = server.downloads('7.14.3') - before;
    row('5 units: downloads for the upgrade (SC-003)', String(downloads), '1', downloads === 1);
    const webCalls = five.sim.systemctlCalls('concourse-ci/0').filter((c) => c.t >= started);
    const webStops = webCalls.filter((c) => c.argv[0] === 'stop').length;
    const webRestarts = webCalls.filter((c) => c.argv[0] === 'restart').length;
    row(
      '5 units: web service stops / restarts during the upgrade',
      `${webStops} / ${webRestarts}`,
      '0 / 1',
      webStops === 0 && webRestarts === 1,
    );
  } finally {
    await five.sim.close();
  }
} finally {
  await server.close();
}

const table = [
  '| measurement | value | target | met |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.what} | ${r.value} | ${r.target} | ${r.ok === undefined ? '' : r.ok ? 'yes' : '**no**'} |`),
].join('\n');
writeFileSync(
  values.out ?? 'bench/report.md',
  `# concourse-ci-machine benchmark\n\n${new Date().toISOString()}, simulated model on this machine, release filler ${values['filler-mib']} MiB.\n\n${table}\n`,
);
console.log(`\nwrote ${values.out}`);
if (rows.some((r) => r.ok === false)) process.exitCode = 1;
