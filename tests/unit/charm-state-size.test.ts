// PeerView (hooks) over the in-memory Juju (charm state buffered until the hook commits, as Juju does), the real
// peer-relation adapter and an in-memory disk: charm state stays small and the same size however many peers there
// are (Juju refuses a value over 64 KiB and a unit's state over 2 MiB), the view lives in the cache file, and each
// hook still reads only the peers its event names.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { HookToolPeerRelation } from '../../src/adapters/hook-tool-peer-relation';
import type { RenderedFile } from '../../src/domain/concourse-services';
import { parseHookContext } from '../../src/domain/hook-event';
import { PEER_VIEW_CACHE_PATH, type PeerBags } from '../../src/domain/peer-view';
import { PeerView } from '../../src/hooks/reconcile/peer-view';
import { MEMORY_KEYS, UnitMemory } from '../../src/hooks/reconcile/unit-memory';
import type { LogFields, Logger } from '../../src/ports/logger';
import type { DirectorySpec, UnitFiles } from '../../src/ports/unit-files';
import { InMemoryHookTools, type JujuState, jujuState } from '../support/in-memory-hook-tools';

const ME = 'concourse-ci/0';
const KiB = 1024;

/** The unit's own disk: survives from hook to hook, whatever the hook's outcome (unlike charm state). */
class MemoryDisk implements UnitFiles {
  readonly files = new Map<string, RenderedFile>();
  failReads: Error | undefined;
  failWrites: Error | undefined;
  writes = 0;
  async write(file: RenderedFile) {
    if (this.failWrites !== undefined) throw this.failWrites;
    this.writes++;
    this.files.set(file.path, file);
    return true;
  }
  async read(path: string) {
    if (this.failReads !== undefined) throw this.failReads;
    return this.files.get(path)?.content;
  }
  async remove(path: string) {
    return this.files.delete(path);
  }
  async ensureDirectory(_: DirectorySpec) {}
  async ensureSystemUser(_: string) {}
  put(path: string, content: string) {
    this.files.set(path, { path, content, mode: 0o600, owner: 'root', group: 'root' });
  }
  cache(): { unit: string; token: string; peers: PeerBags } {
    const text = this.files.get(PEER_VIEW_CACHE_PATH)?.content;
    if (text === undefined) throw new Error('no cache file');
    return JSON.parse(text);
  }
}

class RecordingLogger implements Logger {
  readonly warnings: string[] = [];
  debug(_event: string, _fields?: LogFields) {}
  info(_event: string, _fields?: LogFields) {}
  warn(event: string, _fields?: LogFields) {
    this.warnings.push(event);
  }
  error(_event: string, _fields?: LogFields) {}
  async flush() {}
}

/** Deterministic bytes (a test must not depend on chance). */
function bytes(seed: string, length: number): Buffer {
  const chunks: Buffer[] = [];
  for (let i = 0; chunks.length * 32 < length; i++) chunks.push(createHash('sha256').update(`${seed}/${i}`).digest());
  return Buffer.concat(chunks).subarray(0, length);
}

/** An OpenSSH 4096-bit RSA public key line: the wire format (name, e = 65537, 4096-bit n), base64, a comment. */
function rsa4096PublicKey(seed: string): string {
  const field = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  const modulus = bytes(seed, 512);
  modulus[0] = (modulus[0] ?? 0) | 0x80;
  const blob = Buffer.concat([
    field(Buffer.from('ssh-rsa')),
    field(Buffer.from([0x01, 0x00, 0x01])),
    field(Buffer.concat([Buffer.from([0]), modulus])),
  ]);
  return `ssh-rsa ${blob.toString('base64')} ${seed}`;
}

function peerName(i: number): string {
  return `concourse-ci/${i}`;
}

const bagCache = new Map<number, Record<string, string>>();

/** What a peer publishes (as Juju shows it: with the addresses Juju adds), web and worker alike. */
function peerBag(i: number): Record<string, string> {
  const known = bagCache.get(i);
  if (known !== undefined) return known;
  const bag = {
    'egress-subnets': `10.0.${i >> 8}.${i & 255}/32`,
    'ingress-address': `10.0.${i >> 8}.${i & 255}`,
    'private-address': `10.0.${i >> 8}.${i & 255}`,
    'volume-id': bytes(`volume-${i % 3}`, 16).toString('hex'),
    roles: i % 10 === 1 ? 'web,worker' : 'worker',
    'running-version': '7.14.2',
    'installed-version': '7.14.2',
    'tsa-host': `10.0.${i >> 8}.${i & 255}`,
    'tsa-port': '2222',
    'tsa-public-key': rsa4096PublicKey(`tsa-${i}@concourse-ci-${i}`),
    'worker-public-key': rsa4096PublicKey(`worker-${i}@concourse-ci-${i}`),
  };
  bagCache.set(i, bag);
  return bag;
}

interface Event {
  readonly hook: string;
  readonly remoteUnit?: string;
}

interface Hook {
  readonly view: PeerBags;
  readonly state: JujuState;
  /** Peer bags read (relation-get of another unit). */
  readonly peerReads: number;
  readonly tools: InMemoryHookTools;
}

/** One hook: a fresh process (new tools, memory, view) over the state and disk the last hook left. */
async function runHook(
  state: JujuState,
  disk: MemoryDisk,
  event: Event,
  options: { readonly logger?: Logger; readonly outcome?: 'committed' | 'failed' } = {},
): Promise<Hook> {
  const relationEvent = event.hook.startsWith('peers-relation-');
  const context = parseHookContext({
    JUJU_DISPATCH_PATH: `hooks/${event.hook}`,
    JUJU_UNIT_NAME: ME,
    ...(relationEvent ? { JUJU_RELATION: 'peers', JUJU_RELATION_ID: 'peers:0' } : {}),
    ...(event.remoteUnit !== undefined ? { JUJU_REMOTE_UNIT: event.remoteUnit, JUJU_REMOTE_APP: 'concourse-ci' } : {}),
  });
  const tools = new InMemoryHookTools(state);
  const view = new PeerView(
    context,
    new HookToolPeerRelation(tools, context),
    new UnitMemory(tools),
    disk,
    options.logger ?? new RecordingLogger(),
  );
  const bags = await view.bags();
  const peerReads = tools.callsOf('relationGet').filter(([, unit]) => unit !== ME).length;
  return { view: bags, state: tools.finish(options.outcome ?? 'committed'), peerReads, tools };
}

function withPeers(state: JujuState, peers: Readonly<Record<string, Record<string, string>>>): JujuState {
  return { ...state, relations: [{ id: 'peers:0', endpoint: 'peers', peer: true, remoteUnitsData: peers }] };
}

function peersUpTo(n: number): Record<string, Record<string, string>> {
  return Object.fromEntries(Array.from({ length: n }, (_, k) => [peerName(k + 1), peerBag(k + 1)]));
}

function stateBytes(state: JujuState): number {
  return Object.entries(state.charmState).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

function largestValue(state: JujuState): number {
  return Math.max(0, ...Object.values(state.charmState).map((v) => Buffer.byteLength(v)));
}

/** The unit's life with n peers: install, each peer joins and publishes, a config change, update-status. */
async function scaleOut(n: number): Promise<{ state: JujuState; disk: MemoryDisk; largest: number }> {
  const disk = new MemoryDisk();
  let state = withPeers(jujuState({ unit: ME }), {});
  let largest = 0;
  const step = async (event: Event) => {
    state = (await runHook(state, disk, event)).state;
    largest = Math.max(largest, largestValue(state));
  };
  await step({ hook: 'install' });
  for (let i = 1; i <= n; i++) {
    state = withPeers(state, peersUpTo(i));
    await step({ hook: 'peers-relation-joined', remoteUnit: peerName(i) });
    await step({ hook: 'peers-relation-changed', remoteUnit: peerName(i) });
  }
  await step({ hook: 'config-changed' });
  await step({ hook: 'update-status' });
  return { state, disk, largest };
}

describe('charm state stays bounded', () => {
  let many: Awaited<ReturnType<typeof scaleOut>>;
  // 400 in-memory hooks: a few seconds alone, several times that on a loaded 2-core machine. A bound for a hang.
  beforeAll(async () => {
    many = await scaleOut(200);
  }, 60_000);

  test('200 peers with 4096-bit RSA keys → no charm-state value over 8 KiB, the same total as with 3', async () => {
    expect(rsa4096PublicKey('worker-123@concourse-ci-123').length).toBeGreaterThan(740);
    const few = await scaleOut(3);
    expect(many.largest).toBeLessThanOrEqual(8 * KiB);
    expect(Object.keys(many.state.charmState).sort()).toEqual(Object.keys(few.state.charmState).sort());
    expect(stateBytes(many.state)).toBe(stateBytes(few.state));
  });

  test('200 peers → the cache file holds every peer’s kept keys, whole', async () => {
    const { state, disk } = many;
    const cache = disk.cache();
    expect(cache.unit).toBe(ME);
    expect(cache.token).toBe(state.charmState[MEMORY_KEYS.peerViewToken]);
    expect(Object.keys(cache.peers)).toHaveLength(200);
    const { 'egress-subnets': _e, 'ingress-address': _i, 'private-address': _p, ...kept } = peerBag(137);
    const { 'installed-version': _v, ...expected } = kept;
    expect(cache.peers[peerName(137)]).toEqual(expected);
    expect(disk.files.get(PEER_VIEW_CACHE_PATH)).toMatchObject({ mode: 0o600, owner: 'root', group: 'root' });
  });
});

describe('peer view cache on disk', () => {
  const five = peersUpTo(5);

  async function warm(): Promise<{ state: JujuState; disk: MemoryDisk }> {
    const disk = new MemoryDisk();
    const { state } = await runHook(withPeers(jujuState({ unit: ME }), five), disk, { hook: 'install' });
    return { state, disk };
  }

  test('first hook → every peer read, the view written to the file and its token to charm state', async () => {
    const disk = new MemoryDisk();
    const hook = await runHook(withPeers(jujuState({ unit: ME }), five), disk, { hook: 'install' });
    expect(hook.peerReads).toBe(5);
    expect(Object.keys(hook.view)).toHaveLength(5);
    expect(disk.cache().peers).toEqual(hook.view);
    expect(Object.keys(hook.state.charmState)).toEqual([MEMORY_KEYS.peerViewToken]);
  });

  test('remembered view, config-changed → no peer bag read, no file written', async () => {
    const { state, disk } = await warm();
    const writes = disk.writes;
    const hook = await runHook(state, disk, { hook: 'config-changed' });
    expect(hook.peerReads).toBe(0);
    expect(Object.keys(hook.view)).toHaveLength(5);
    expect(disk.writes).toBe(writes);
    expect(hook.tools.callsOf('stateSet')).toEqual([]);
  });

  test('a peer changed → that peer read only, the file updated', async () => {
    const { state, disk } = await warm();
    const changed = { ...five, [peerName(3)]: { ...peerBag(3), roles: 'web' } };
    const hook = await runHook(withPeers(state, changed), disk, {
      hook: 'peers-relation-changed',
      remoteUnit: peerName(3),
    });
    expect(hook.peerReads).toBe(1);
    expect(disk.cache().peers[peerName(3)]?.roles).toBe('web');
  });

  test('a peer departed → no peer bag read, the peer dropped from the file', async () => {
    const { state, disk } = await warm();
    const { [peerName(2)]: _gone, ...rest } = five;
    const hook = await runHook(withPeers(state, rest), disk, {
      hook: 'peers-relation-departed',
      remoteUnit: peerName(2),
    });
    expect(hook.peerReads).toBe(0);
    expect(Object.keys(disk.cache().peers)).not.toContain(peerName(2));
    expect(Object.keys(disk.cache().peers)).toHaveLength(4);
  });

  test('update-status → every peer read again', async () => {
    const { state, disk } = await warm();
    expect((await runHook(state, disk, { hook: 'update-status' })).peerReads).toBe(5);
  });

  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['truncated', '{"format":1,"unit":"concourse-ci/0","tok'],
    ['not JSON', '\u0000\u0000\u0000'],
  ])('cache file %s → every peer read, no crash, the file rewritten', async (_situation, content) => {
    const { state, disk } = await warm();
    if (content === undefined) disk.files.delete(PEER_VIEW_CACHE_PATH);
    else disk.put(PEER_VIEW_CACHE_PATH, content);
    const hook = await runHook(state, disk, { hook: 'config-changed' });
    expect(hook.peerReads).toBe(5);
    expect(Object.keys(disk.cache().peers)).toHaveLength(5);
  });

  test('cache file left by an earlier unit on this machine (empty charm state) → every peer read', async () => {
    const { disk } = await warm();
    const hook = await runHook(withPeers(jujuState({ unit: ME }), five), disk, { hook: 'config-changed' });
    expect(hook.peerReads).toBe(5);
    expect(disk.cache().token).toBe(hook.state.charmState[MEMORY_KEYS.peerViewToken]);
  });

  test('first hook fails after writing the file → its token is dropped with the hook, the next reads every peer', async () => {
    const disk = new MemoryDisk();
    const failed = await runHook(
      withPeers(jujuState({ unit: ME }), five),
      disk,
      { hook: 'install' },
      {
        outcome: 'failed',
      },
    );
    expect(failed.state.charmState).toEqual({});
    expect((await runHook(failed.state, disk, { hook: 'config-changed' })).peerReads).toBe(5);
  });

  test('cache file unreadable → every peer read and a warning, no crash', async () => {
    const { state, disk } = await warm();
    disk.failReads = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const logger = new RecordingLogger();
    const hook = await runHook(state, disk, { hook: 'config-changed' }, { logger });
    expect(hook.peerReads).toBe(5);
    expect(logger.warnings).toEqual(['peer-view.cache.unreadable']);
  });

  test('cache file unwritable → the hook goes on with a warning; a new token disowns the stale file', async () => {
    const { state, disk } = await warm();
    disk.failWrites = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const logger = new RecordingLogger();
    const { [peerName(2)]: _gone, ...rest } = five;
    const hook = await runHook(
      withPeers(state, rest),
      disk,
      {
        hook: 'peers-relation-departed',
        remoteUnit: peerName(2),
      },
      { logger },
    );
    expect(Object.keys(hook.view)).toHaveLength(4);
    expect(logger.warnings).toEqual(['peer-view.cache.unwritable']);
    expect(hook.state.charmState[MEMORY_KEYS.peerViewToken]).not.toBe(state.charmState[MEMORY_KEYS.peerViewToken]);
    disk.failWrites = undefined;
    const next = await runHook(hook.state, disk, { hook: 'config-changed' });
    expect(next.peerReads).toBe(4);
    expect(Object.keys(next.view)).toHaveLength(4);
  });

  test('upgrade from a revision that kept peer-bags in charm state → every peer read, peer-bags deleted', async () => {
    const old = { 'peer-bags': JSON.stringify(five), 'workload-version': '7.14.2' };
    const disk = new MemoryDisk();
    const hook = await runHook(withPeers(jujuState({ unit: ME, charmState: old }), five), disk, {
      hook: 'upgrade-charm',
    });
    expect(hook.peerReads).toBe(5);
    expect(Object.keys(hook.state.charmState).sort()).toEqual([MEMORY_KEYS.peerViewToken, 'workload-version']);
  });

  test('no peer relation yet → empty view, nothing read or written', async () => {
    const disk = new MemoryDisk();
    const hook = await runHook(jujuState({ unit: ME }), disk, { hook: 'install' });
    expect(hook.view).toEqual({});
    expect(disk.files.size).toBe(0);
    expect(hook.state.charmState).toEqual({});
  });
});
