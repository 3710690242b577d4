// `npm run demo`: deploys the packed charm as N units sharing one volume in the simulated model, with releases served
// from a loopback stand-in for GitHub, and shows what an operator would check: status, downloads, the volume.

import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BindVolume } from '../bind-volume';
import { NAMESPACE_HELP, SimModel, SimUnavailableError } from '../model';
import { relatePostgres } from './postgres-stub';
import { startReleaseServer } from './release-server';

const USAGE = `Usage: npm run demo -- [--units N] [--version X.Y.Z] [--keep]

  --units N        units of concourse-ci to deploy (default 3)
  --version X.Y.Z  Concourse release to install (default 7.14.2)
  --keep           keep the simulated model's files for inspection`;

const OPTIONS = {
  units: { type: 'string', default: '3' },
  version: { type: 'string', default: '7.14.2' },
  keep: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function parseCli() {
  return parseArgs({ options: OPTIONS, allowPositionals: false });
}

const CHARM = fileURLToPath(new URL('../../concourse-ci-machine_amd64.charm', import.meta.url));
const FILLER_BYTES = 20 * 1024 * 1024;

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

function treeSize(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.isFile() ? st.size : 0;
  return readdirSync(path).reduce((sum, name) => sum + treeSize(join(path, name)), 0);
}

/** A short picture of the shared volume: identity, current release, releases with sizes, per-unit dirs. */
function volumeTree(root: string): string[] {
  const lines: string[] = [];
  const entries = readdirSync(root).sort();
  for (const name of entries) {
    const path = join(root, name);
    const st = lstatSync(path);
    if (st.isSymbolicLink()) lines.push(`${name} -> ${readlinkSync(path)}`);
    else if (name === 'releases' || name === 'worker') {
      const children = readdirSync(path).sort();
      lines.push(`${name}/${children.length === 0 ? ' (empty)' : ''}`);
      children.forEach((child, i) => {
        const branch = i === children.length - 1 ? '└──' : '├──';
        const size = name === 'releases' ? `  ${humanBytes(treeSize(join(path, child)))}` : '';
        lines.push(`  ${branch} ${child}${size}`);
      });
    } else if (st.isDirectory()) {
      const count = readdirSync(path).length;
      lines.push(`${name}/  (${count} entr${count === 1 ? 'y' : 'ies'})`);
    } else lines.push(`${name}  ${humanBytes(st.size)}`);
  }
  return lines;
}

function section(title: string): void {
  console.log(`\n== ${title} ${'='.repeat(Math.max(2, 72 - title.length))}`);
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli();
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const units = Number(args.values.units);
  const version = args.values.version;
  if (!Number.isInteger(units) || units < 1 || units > 50) {
    console.error(`--units must be a whole number from 1 to 50\n\n${USAGE}`);
    return 2;
  }
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    console.error(`--version must look like 7.14.2\n\n${USAGE}`);
    return 2;
  }
  if (!existsSync(CHARM)) {
    console.error(`No packed charm at ${CHARM}: run npm run pack first (npm run demo does it for you).`);
    return 1;
  }

  let sim: SimModel;
  try {
    sim = await SimModel.create({ charm: CHARM, keep: args.values.keep, modelName: 'demo' });
  } catch (e) {
    if (e instanceof SimUnavailableError) {
      console.error(
        [
          'The demo runs each unit as a small machine: its own mount namespace with a private /etc, /run and',
          'worker dir, and the shared volume bound at /var/lib/concourse. This machine does not allow that.',
          '',
          NAMESPACE_HELP,
          '',
          `Details: ${e.message.split('\n').slice(1).join('; ')}`,
        ].join('\n'),
      );
      return 2;
    }
    throw e;
  }
  const server = await startReleaseServer();
  let exitCode = 0;
  try {
    section(`Release server (stand-in for GitHub releases) at ${server.baseUrl}`);
    const release = await server.addRelease({ version, fillerBytes: FILLER_BYTES });
    console.log(`concourse-${version}-linux-amd64.tgz  ${humanBytes(release.bytes)}  sha1 ${release.sha1}`);

    section(`juju deploy concourse-ci -n ${units} --config mode=auto --config version=${version}`);
    console.log(
      'The machines already have one shared filesystem at /var/lib/concourse (an LXD disk device each, added before',
    );
    console.log('deploy); no --storage, so Juju mounts nothing over it. Each machine starts without Node.js: the');
    console.log("charm's dispatch installs the node snap on its first hook.");
    const t0 = Date.now();
    await sim.deploy('concourse-ci', {
      units,
      config: { mode: 'auto', version, 'download-url': server.downloadUrlTemplate },
      volume: new BindVolume('concourse-data'),
    });
    section('juju deploy postgresql && juju integrate concourse-ci:postgresql postgresql');
    console.log(
      '(a stand-in PostgreSQL application that shares an endpoint and a secret-user secret, as the charm does)',
    );
    await relatePostgres(sim, 'concourse-ci');
    await sim.settle();
    console.log(
      `All hooks ran in ${((Date.now() - t0) / 1000).toFixed(1)} s (units in parallel, one hook at a time each).`,
    );

    section('juju status');
    process.stdout.write(sim.formatStatus());

    section('Concourse services (systemctl is-active on each unit)');
    for (const u of sim.status().units.filter((x) => x.name.startsWith('concourse-ci/'))) {
      const state = (service: string) => sim.serviceState(u.name, service)?.active ?? 'not installed';
      console.log(
        `${u.name.padEnd(16)} concourse-server.service: ${state('concourse-server.service').padEnd(14)} concourse-worker.service: ${state('concourse-worker.service')}`,
      );
    }

    section('Downloads');
    const count = server.downloads(version);
    console.log(
      `The release server counted ${count} download${count === 1 ? '' : 's'} of ${version} for ${units} unit${units === 1 ? '' : 's'} sharing one volume${count === 1 ? ': downloaded once, reused by the others.' : '.'}`,
    );

    const first = sim.status().units[0]?.name;
    if (first !== undefined) {
      const volume = sim.volumeHostPath(first);
      section(`Shared volume (/var/lib/concourse on every unit) = ${volume}`);
      for (const line of volumeTree(volume)) console.log(line);
    }

    const storageEvents = sim.debugLog().filter((l) => /storage\.(published|reuse|lock|download\.start)/.test(l));
    if (storageEvents.length > 0) {
      section('juju debug-log (storage events)');
      for (const line of storageEvents.slice(0, 12)) console.log(line.length > 160 ? `${line.slice(0, 157)}...` : line);
      if (storageEvents.length > 12) console.log(`... ${storageEvents.length - 12} more`);
    }

    const troubled = sim.status().units.filter((u) => u.agent === 'error' || u.workload.kind === 'blocked');
    if (troubled.length > 0) {
      exitCode = 1;
      section('Units needing attention');
      for (const u of troubled) {
        console.log(`${u.name}: ${u.agent === 'error' ? u.agentMessage : u.workload.message}`);
        console.log(
          sim
            .unitLog(u.name)
            .split('\n')
            .slice(-15)
            .map((l) => `    ${l}`)
            .join('\n'),
        );
      }
    }
  } catch (e) {
    exitCode = 1;
    console.error(`\nThe demo failed: ${e instanceof Error ? e.message : String(e)}`);
    console.error(sim.formatStatus());
    console.error('Pending events:', JSON.stringify(sim.pendingEvents(), null, 2));
  } finally {
    await server.close();
    await sim.close();
    section('Simulated model');
    console.log(
      args.values.keep
        ? `Kept at ${sim.root} (units/<app>-<n>/ holds each unit's charm, /etc and /run layers, hooks.log).`
        : `Removed ${sim.root}; run with --keep to inspect each unit's files and hook logs.`,
    );
  }
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  },
);
