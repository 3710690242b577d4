// Adapter test: the real `dispatch` (POSIX sh) run as Juju runs it, with fake hook tools and a fake `snap` first on
// a PATH that holds no node, so each way of finding Node.js (PATH, node-runtime resource, snap, none) is exercised.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { PROJECT_ROOT } from '../support/processes';

const DISPATCH = join(PROJECT_ROOT, 'dispatch');
/** What dispatch runs besides hook tools and shell built-ins (tar runs xz or gzip itself, by name). */
const SYSTEM_TOOLS = ['sh', 'tar', 'xz', 'gzip', 'mkdir', 'mv', 'ln', 'rm', 'sha256sum', 'cut', 'dirname'];
const HOOK_TOOLS = ['status-set', 'juju-log', 'action-fail'];
const BLOCKED_NO_NODE =
  "No Node.js >= 20.18.1: run 'sudo snap install node --channel=22/stable --classic' on the machine, or " +
  "'juju attach-resource concourse-ci node-runtime=./node-v22.x.y-linux-x64.tar.xz'";
const BLOCKED_BAD_RESOURCE =
  'The node-runtime resource is not a usable Node.js tarball (>= 20.18.1, linux-x64): attach another with ' +
  "'juju attach-resource concourse-ci node-runtime=./node-v22.x.y-linux-x64.tar.xz'";

let root: string;
/** Fake hook tools, fake snap, and whatever node a case puts on PATH. */
let bin: string;
/** Symlinks to the system tools dispatch needs, and nothing else: no node. */
let sys: string;
/** Where dispatch is told to look for the snap's node (CONCOURSE_CHARM_NODE_CANDIDATES). */
let snapNode: string;
/** Where dispatch unpacks the node-runtime resource (CONCOURSE_CHARM_NODE_ROOT). */
let nodeRoot: string;
let charmDir: string;
let calls: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dispatch-'));
  bin = join(root, 'bin');
  sys = join(root, 'sys');
  snapNode = join(root, 'snap/bin/node');
  nodeRoot = join(root, 'var/lib/concourse-charm/node');
  charmDir = join(root, 'charm');
  calls = join(root, 'calls.log');
  for (const dir of [bin, sys, join(root, 'snap/bin'), join(charmDir, 'dist')]) mkdirSync(dir, { recursive: true });
  for (const tool of SYSTEM_TOOLS) {
    const found = systemTool(tool);
    if (found !== undefined) symlinkSync(found, join(sys, tool));
  }
  for (const tool of HOOK_TOOLS) script(join(bin, tool), recordCall(tool));
  resourceGet(undefined);
  writeFileSync(
    join(charmDir, 'dist/charm.cjs'),
    'console.log("CHARM-RAN", process.version, process.env.NODE_ORIGIN ?? "none");\n',
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function systemTool(name: string): string | undefined {
  try {
    return execFileSync('/bin/sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function script(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A line `tool<TAB>arg<TAB>arg...` per call, in order: the argv as the tool received it. */
function recordCall(tool: string): string {
  return `{ printf '%s' '${tool}'; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> '${calls}'`;
}

/** A node wrapper exec'ing this test's own node, tagging the run with where dispatch found it. */
function nodeWrapper(path: string, origin: string): void {
  script(path, `NODE_ORIGIN=${origin}; export NODE_ORIGIN\nexec '${process.execPath}' "$@"`);
}

/** resource-get answering like Juju: the path of the attached file, or an error when nothing is attached. */
function resourceGet(path: string | undefined): void {
  script(
    join(bin, 'resource-get'),
    `${recordCall('resource-get')}\n` +
      (path === undefined
        ? `echo 'ERROR could not download resource: resource "node-runtime" not found' >&2\nexit 1`
        : `[ "$1" = node-runtime ] || exit 2\necho '${path}'`),
  );
}

function fakeSnap(body: string): void {
  script(join(bin, 'snap'), `${recordCall('snap')}\n${body}`);
}

function callsOf(tool: string): string[][] {
  if (!existsSync(calls)) return [];
  return readFileSync(calls, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'))
    .filter(([name]) => name === tool)
    .map(([, ...args]) => args);
}

function statuses(): string[] {
  return callsOf('status-set').map((args) => args.join(' '));
}

const PATH = () => `${bin}:${sys}`;

function dispatch(dispatchPath = 'hooks/update-status') {
  const result = spawnSync(DISPATCH, [], {
    encoding: 'utf8',
    env: {
      PATH: PATH(),
      JUJU_CHARM_DIR: charmDir,
      JUJU_DISPATCH_PATH: dispatchPath,
      JUJU_UNIT_NAME: 'concourse-ci/0',
      CONCOURSE_CHARM_NODE_CANDIDATES: snapNode,
      CONCOURSE_CHARM_NODE_ROOT: nodeRoot,
    },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Builds `<name>.tar.xz` (gzip when xz is missing: tar -xf detects either, whatever the file is called). */
function tarball(files: (top: string) => void, topName = 'node-v22.0.0-linux-x64'): string {
  const build = mkdtempSync(join(root, 'build-'));
  const top = join(build, topName);
  mkdirSync(join(top, 'bin'), { recursive: true });
  files(top);
  const out = join(root, 'resources/node.tar.xz');
  mkdirSync(join(root, 'resources'), { recursive: true });
  const compress = systemTool('xz') !== undefined ? '-cJf' : '-czf';
  execFileSync('tar', [compress, out, '-C', build, topName]);
  return out;
}

function sha16(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

test('test PATH → reaches the system tools but no node', () => {
  expect(() => execFileSync('/bin/sh', ['-c', 'command -v node'], { env: { PATH: PATH() } })).toThrow();
  expect(execFileSync('/bin/sh', ['-c', 'command -v tar'], { env: { PATH: PATH() }, encoding: 'utf8' })).toContain(sys);
});

test('recent node on PATH → runs the bundle with it, asks for no resource and no snap', () => {
  nodeWrapper(join(bin, 'node'), 'path');
  resourceGet('/nowhere/node.tar.xz');
  fakeSnap('exit 1');
  const run = dispatch();
  expect(run).toMatchObject({ code: 0, stdout: `CHARM-RAN ${process.version} path\n` });
  expect(callsOf('resource-get')).toEqual([]);
  expect(callsOf('snap')).toEqual([]);
  expect(statuses()).toEqual([]);
});

test('no node, snap installs one → status says so, runs the bundle with the snap node', () => {
  const staged = join(root, 'staged-node');
  nodeWrapper(staged, 'snap');
  fakeSnap(`mv '${staged}' '${snapNode}'`);
  const run = dispatch();
  expect(run).toMatchObject({ code: 0, stdout: `CHARM-RAN ${process.version} snap\n` });
  expect(callsOf('snap')).toEqual([['install', 'node', '--channel=22/stable', '--classic']]);
  expect(statuses()).toEqual(['maintenance -- Installing Node.js (snap node 22/stable)']);
});

test.each<[string, () => void]>([
  [
    'no node and snap install fails → blocked naming the snap and the resource, exit 0',
    () => fakeSnap('echo \'error: cannot install "node": no route to host\' >&2\nexit 1'),
  ],
  ['no node, no snap, no resource → blocked naming the snap and the resource, exit 0', () => {}],
  [
    'node 18 on PATH, no snap → blocked naming the snap and the resource, exit 0',
    () => script(join(bin, 'node'), 'echo v18.19.1'),
  ],
  [
    'empty node-runtime resource (store placeholder) → ignored: blocked naming the snap and the resource',
    () => {
      const empty = join(root, 'empty.tar.xz');
      writeFileSync(empty, '');
      resourceGet(empty);
    },
  ],
])('%s', (_situation, arrange) => {
  arrange();
  const run = dispatch();
  expect(run).toMatchObject({ code: 0, stdout: '' });
  expect(statuses().at(-1)).toBe(`blocked -- ${BLOCKED_NO_NODE}`);
  expect(callsOf('juju-log')).toContainEqual(['-l', 'ERROR', '--', BLOCKED_NO_NODE]);
  expect(callsOf('action-fail')).toEqual([]);
});

test('snap install fails → its output goes to juju-log', () => {
  fakeSnap('echo \'error: cannot install "node": no route to host\' >&2\nexit 1');
  dispatch();
  expect(callsOf('juju-log')).toContainEqual([
    '-l',
    'ERROR',
    '--',
    'snap install node failed: error: cannot install "node": no route to host',
  ]);
});

test('node-runtime resource attached → unpacked once, by content, and used; snap never tried', () => {
  const resource = tarball((top) => nodeWrapper(join(top, 'bin/node'), 'resource'));
  resourceGet(resource);
  fakeSnap('exit 1');
  const target = join(nodeRoot, sha16(resource));

  const first = dispatch();
  expect(first).toMatchObject({ code: 0, stdout: `CHARM-RAN ${process.version} resource\n` });
  expect(statuses()).toEqual(['maintenance -- Unpacking Node.js from the node-runtime resource']);
  expect(readdirSync(nodeRoot).sort()).toEqual([sha16(resource), 'current'].sort());
  expect(existsSync(join(target, 'bin/node'))).toBe(true);
  expect(callsOf('juju-log')).toContainEqual([
    '-l',
    'INFO',
    '--',
    `Unpacked Node.js ${process.version} from the node-runtime resource into ${target}`,
  ]);
  expect(callsOf('snap')).toEqual([]);

  // A file planted in the runtime survives only if the second hook reuses the directory instead of unpacking again.
  writeFileSync(join(target, 'planted'), '');
  rmSync(calls);
  const second = dispatch();
  expect(second).toMatchObject({ code: 0, stdout: `CHARM-RAN ${process.version} resource\n` });
  expect(statuses()).toEqual([]);
  expect(callsOf('juju-log')).toEqual([]);
  expect(existsSync(join(target, 'planted'))).toBe(true);
  expect(readdirSync(nodeRoot).sort()).toEqual([sha16(resource), 'current'].sort());
  // Later hooks use the unpacked runtime without asking the controller for the resource again...
  expect(callsOf('resource-get')).toEqual([]);
  // ...except upgrade-charm, the hook `juju attach-resource` runs: there the resource is looked at afresh.
  rmSync(calls, { force: true });
  expect(dispatch('hooks/upgrade-charm')).toMatchObject({ code: 0 });
  expect(callsOf('resource-get')).toEqual([['node-runtime']]);
});

test.each<[string, () => string]>([
  [
    'garbage node-runtime resource → blocked: not a usable Node.js tarball, nothing left behind',
    () => {
      const garbage = join(root, 'node.tar.xz');
      writeFileSync(garbage, 'this is not a tarball\n');
      return garbage;
    },
  ],
  [
    'node-runtime tarball without bin/node → blocked: not a usable Node.js tarball, nothing left behind',
    () => tarball((top) => writeFileSync(join(top, 'README.md'), 'no runtime here\n')),
  ],
  [
    'node-runtime tarball holding node 18 → blocked: not a usable Node.js tarball, nothing left behind',
    () => tarball((top) => script(join(top, 'bin/node'), 'echo v18.20.4'), 'node-v18.20.4-linux-x64'),
  ],
])('%s', (_situation, arrange) => {
  resourceGet(arrange());
  fakeSnap('exit 1');
  const run = dispatch();
  expect(run).toMatchObject({ code: 0, stdout: '' });
  expect(statuses().at(-1)).toBe(`blocked -- ${BLOCKED_BAD_RESOURCE}`);
  expect(callsOf('snap')).toEqual([]);
  expect(existsSync(nodeRoot) ? readdirSync(nodeRoot) : []).toEqual([]);
});

test('action without node → action-fail with the blocked message, exit 0', () => {
  const run = dispatch('actions/x');
  expect(run).toMatchObject({ code: 0, stdout: '' });
  expect(callsOf('action-fail')).toEqual([['--', BLOCKED_NO_NODE]]);
  expect(statuses().at(-1)).toBe(`blocked -- ${BLOCKED_NO_NODE}`);
});
