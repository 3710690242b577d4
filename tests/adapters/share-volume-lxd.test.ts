// scripts/share-volume-lxd.sh against stand-ins for `lxc` (records calls, keeps devices per container, refuses what
// lxc refuses) and `juju` (answers `juju status --format=json` from a file), run as the real script in bash.

import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PROJECT_ROOT } from '../support/processes';

const SCRIPT = join(PROJECT_ROOT, 'scripts/share-volume-lxd.sh');

const LXC_STAND_IN = `#!/usr/bin/env bash
# lxc stand-in: config device get|add|remove on containers that exist under $LXC_STATE/containers.
set -u
printf '%s\\n' "$*" >>"$LXC_STATE/calls"
[ "$1 $2" = "config device" ] || { echo "Error: stand-in knows only 'config device': $*" >&2; exit 2; }
op=$3 c=$4 dev=$5
[ -d "$LXC_STATE/containers/$c" ] || { echo "Error: Failed to fetch instance \\"$c\\" in project \\"default\\": Instance not found" >&2; exit 1; }
d="$LXC_STATE/containers/$c/$dev"
case $op in
get)
  [ -f "$d" ] || { echo "Error: Device doesn't exist" >&2; exit 1; }
  sed -n "s/^$6=//p" "$d" ;;
add)
  [ -f "$d" ] && { echo "Error: The device already exists" >&2; exit 1; }
  [ "$6" = disk ] || { echo "Error: Invalid devices: Unsupported device type" >&2; exit 1; }
  shift 6
  src=""
  for kv in "$@"; do
    case $kv in
    source=*) src=\${kv#source=} ;;
    path=* | shift=*) ;;
    *) echo "Error: Invalid devices: Device validation failed for \\"$dev\\": Invalid device option \\"\${kv%%=*}\\"" >&2; exit 1 ;;
    esac
  done
  [ -d "$src" ] || { echo "Error: Invalid devices: Device validation failed for \\"$dev\\": Missing source path \\"$src\\" for disk \\"$dev\\"" >&2; exit 1; }
  printf '%s\\n' "$@" >"$d" ;;
remove)
  [ -f "$d" ] || { echo "Error: Device doesn't exist" >&2; exit 1; }
  rm "$d" ;;
esac
`;

const JUJU_STAND_IN = `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$JUJU_STATE/calls"
[ "$1" = status ] || { echo "ERROR stand-in knows only status" >&2; exit 2; }
cat "$JUJU_STATE/status.json"
`;

let root: string;
let hostDir: string;
let env: NodeJS.ProcessEnv;

/** A `juju status --format=json` with machines 0..n-1 (containers juju-abc-<id>) and APP's units on `unitsOn`. */
function jujuStatus(machines: Record<string, string>, unitsOn: readonly string[]): void {
  const units = Object.fromEntries(
    unitsOn.map((m, i) => [`concourse-ci/${i}`, { machine: m, 'workload-status': { current: 'waiting' } }]),
  );
  const status = {
    model: { name: 'test' },
    machines: Object.fromEntries(
      Object.entries(machines).map(([id, instance]) => [
        id,
        { 'instance-id': instance, 'juju-status': { current: 'started' } },
      ]),
    ),
    applications: unitsOn.length === 0 ? {} : { 'concourse-ci': { units } },
  };
  writeFileSync(join(root, 'juju/status.json'), JSON.stringify(status));
}

function containers(...names: string[]): void {
  for (const n of names) mkdirSync(join(root, 'lxc/containers', n), { recursive: true });
}

function share(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
    });
  });
}

function lxcCalls(): string[] {
  try {
    return readFileSync(join(root, 'lxc/calls'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function device(container: string): string[] {
  return readFileSync(join(root, 'lxc/containers', container, 'concourse-data'), 'utf8')
    .trim()
    .split('\n');
}

beforeEach(() => {
  // The shared directory must not be under /tmp (the script refuses it), so the whole fixture lives in /var/tmp.
  root = mkdtempSync('/var/tmp/share-volume-lxd-');
  hostDir = join(root, 'srv/concourse-data');
  for (const d of ['bin', 'lxc/containers', 'juju']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'bin/lxc'), LXC_STAND_IN, { mode: 0o755 });
  writeFileSync(join(root, 'bin/juju'), JUJU_STAND_IN, { mode: 0o755 });
  env = {
    PATH: `${join(root, 'bin')}:/usr/bin:/bin`,
    LXC_STATE: join(root, 'lxc'),
    JUJU_STATE: join(root, 'juju'),
  };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('after deploy', () => {
  test('3 units on 3 machines → one shift=true disk device per container, the directory created 0755', async () => {
    containers('juju-abc-0', 'juju-abc-1', 'juju-abc-2');
    jujuStatus({ 0: 'juju-abc-0', 1: 'juju-abc-1', 2: 'juju-abc-2' }, ['0', '1', '2']);
    const r = await share('concourse-ci', hostDir);
    expect(r.code, r.stderr).toBe(0);
    for (const c of ['juju-abc-0', 'juju-abc-1', 'juju-abc-2']) {
      expect(device(c)).toEqual([`source=${hostDir}`, 'path=/var/lib/concourse', 'shift=true']);
    }
    expect(statSync(hostDir).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(root, 'juju/calls'), 'utf8').trim()).toBe('status --format=json');
  });

  test('run again → nothing added, each container said to share it already', async () => {
    containers('juju-abc-0', 'juju-abc-1');
    jujuStatus({ 0: 'juju-abc-0', 1: 'juju-abc-1' }, ['0', '1']);
    expect((await share('concourse-ci', hostDir)).code).toBe(0);
    const again = await share('concourse-ci', hostDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`juju-abc-1 (machine 1): already shares ${hostDir}`);
    expect(lxcCalls().filter((c) => c.startsWith('config device add'))).toHaveLength(2);
  });

  test('one unit lost its device → only that container gets it back', async () => {
    containers('juju-abc-0', 'juju-abc-1');
    jujuStatus({ 0: 'juju-abc-0', 1: 'juju-abc-1' }, ['0', '1']);
    await share('concourse-ci', hostDir);
    rmSync(join(root, 'lxc/containers/juju-abc-1/concourse-data'));
    const r = await share('concourse-ci', hostDir);
    expect(r.code, r.stderr).toBe(0);
    expect(lxcCalls().filter((c) => c.startsWith('config device add'))).toEqual([
      expect.stringContaining('juju-abc-0'),
      expect.stringContaining('juju-abc-1'),
      expect.stringContaining('juju-abc-1'),
    ]);
  });

  test('-m MODEL → passed to juju status', async () => {
    containers('juju-abc-0');
    jujuStatus({ 0: 'juju-abc-0' }, ['0']);
    expect((await share('-m', 'ci', 'concourse-ci', hostDir)).code).toBe(0);
    expect(readFileSync(join(root, 'juju/calls'), 'utf8').trim()).toBe('status -m ci --format=json');
  });
});

describe('before deploy', () => {
  test('machines from juju add-machine named → their containers get the device while APP has no unit', async () => {
    containers('juju-abc-3', 'juju-abc-4');
    jujuStatus({ 3: 'juju-abc-3', 4: 'juju-abc-4' }, []);
    const r = await share('concourse-ci', hostDir, '3', '4');
    expect(r.code, r.stderr).toBe(0);
    expect(device('juju-abc-3')[0]).toBe(`source=${hostDir}`);
    expect(device('juju-abc-4')[0]).toBe(`source=${hostDir}`);
  });

  test('no unit and no machine named → fails saying to deploy or name the machines; lxc untouched', async () => {
    jujuStatus({}, []);
    const r = await share('concourse-ci', hostDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "has no units on machines yet: deploy it first, or name the machines made with 'juju add-machine'",
    );
    expect(lxcCalls()).toEqual([]);
  });

  test('a machine not started yet (instance-id pending) → fails naming it, nothing added', async () => {
    jujuStatus({ 5: 'pending' }, []);
    const r = await share('concourse-ci', hostDir, '5');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('machine 5 has no container yet');
    expect(lxcCalls()).toEqual([]);
  });
});

describe('refusals', () => {
  test.each([['/tmp/concourse-data'], ['/var/tmp/../../tmp/concourse-data'], ['/run/concourse'], ['relative/dir']])(
    'host dir %s → refused with exit 2 before any lxc call',
    async (dir) => {
      jujuStatus({ 0: 'juju-abc-0' }, ['0']);
      const r = await share('concourse-ci', dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/emptied at boot|must be an absolute path/);
      expect(lxcCalls()).toEqual([]);
    },
  );

  test('an existing 0700 directory → shared as it is: its mode is never widened', async () => {
    containers('juju-abc-0');
    jujuStatus({ 0: 'juju-abc-0' }, ['0']);
    mkdirSync(hostDir, { recursive: true });
    chmodSync(hostDir, 0o700);
    expect((await share('concourse-ci', hostDir)).code).toBe(0);
    expect(statSync(hostDir).mode & 0o777).toBe(0o700);
  });

  test('the container already has the device from another directory → refused naming it; not replaced', async () => {
    containers('juju-abc-0');
    jujuStatus({ 0: 'juju-abc-0' }, ['0']);
    const other = join(root, 'srv/other');
    mkdirSync(other, { recursive: true });
    await share('concourse-ci', other);
    const r = await share('concourse-ci', hostDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`already has a 'concourse-data' device from ${other}`);
    expect(device('juju-abc-0')[0]).toBe(`source=${other}`);
  });

  test('lxc refuses (the container is gone) → the script fails with lxc’s message', async () => {
    jujuStatus({ 0: 'juju-abc-0' }, ['0']);
    const r = await share('concourse-ci', hostDir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Instance not found');
  });
});
