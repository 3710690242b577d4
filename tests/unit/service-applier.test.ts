// ServiceApplier (hooks) with in-memory stand-ins for systemd and the unit's files: what it asks systemd to do, and
// that what was applied survives a hook Juju retries (unit state would be rolled back; the marker file is not).
import 'reflect-metadata';
import { describe, expect, test } from 'vitest';
import type { RenderedFile } from '../../src/domain/concourse-services';
import { ServiceStartFailed } from '../../src/domain/errors';
import type { DesiredService } from '../../src/domain/service-plan';
import type { InfoAnswer } from '../../src/domain/web-readiness';
import { ServiceApplier, type WebReadyTiming } from '../../src/hooks/reconcile/service-applier';
import { DRAIN_MARKER, type DrainRequest, WorkerDrainer } from '../../src/hooks/reconcile/worker-drainer';
import type { Clock } from '../../src/ports/clock';
import type { HookTools } from '../../src/ports/hook-tools';
import type { Logger } from '../../src/ports/logger';
import type { ServiceManager } from '../../src/ports/service-manager';
import type { DirectorySpec, UnitFiles } from '../../src/ports/unit-files';
import type { WebProbe } from '../../src/ports/web-probe';
import type { WorkerContainers } from '../../src/ports/worker-containers';

class FakeSystemd implements ServiceManager {
  readonly calls: string[] = [];
  readonly active = new Set<string>();
  /** Services whose start "succeeds" but whose main process dies at once. */
  readonly crashing = new Set<string>();
  async daemonReload() {
    this.calls.push('daemon-reload');
  }
  async enable(u: string) {
    this.calls.push(`enable ${u}`);
  }
  async disable(u: string) {
    this.calls.push(`disable ${u}`);
  }
  async start(u: string) {
    this.calls.push(`start ${u}`);
    if (!this.crashing.has(u)) this.active.add(u);
  }
  async restart(u: string) {
    this.calls.push(`restart ${u}`);
    this.interrupted += this.builds;
    this.builds = 0;
    if (this.crashing.has(u)) this.active.delete(u);
    else this.active.add(u);
  }
  async reload(u: string) {
    this.calls.push(`reload ${u}`);
  }
  async stop(u: string) {
    this.calls.push(`stop ${u}`);
    this.interrupted += this.builds;
    this.builds = 0;
    this.active.delete(u);
  }
  async isActive(u: string) {
    return this.active.has(u);
  }
  /** Builds running on the worker: a drain signal makes it exit once they are 0; a stop or restart errors them. */
  builds = 0;
  interrupted = 0;
  draining = false;
  async signal(u: string, sig: string) {
    this.calls.push(`signal ${sig} ${u}`);
    this.draining = true;
    this.settle(u);
  }
  /** The worker's builds move on: exits if it was draining and none is left. */
  settle(u: string) {
    if (this.draining && this.builds === 0) {
      this.active.delete(u);
      this.draining = false;
    }
  }
  /** Every call since the last `since()`: a test asserts the whole sequence of one apply, not its tail. */
  since(): string[] {
    const calls = this.calls.slice(this.mark);
    this.mark = this.calls.length;
    return calls;
  }
  private mark = 0;
}

class MemoryFiles implements UnitFiles {
  readonly files = new Map<string, RenderedFile>();
  async write(file: RenderedFile) {
    const old = this.files.get(file.path);
    if (old !== undefined && old.content === file.content && old.mode === file.mode) return false;
    this.files.set(file.path, file);
    return true;
  }
  async read(path: string) {
    return this.files.get(path)?.content;
  }
  async remove(path: string) {
    return this.files.delete(path);
  }
  async ensureDirectory(_: DirectorySpec) {}
  async ensureSystemUser(_: string) {}
}

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  flush: async () => undefined,
} as unknown as Logger;

const NAME = 'concourse-worker.service';
const desired = (version: string, tsa = 'a:2222', keys = 'k1'): DesiredService => ({
  unitFile: {
    path: '/etc/systemd/system/concourse-worker.service',
    content: `ExecStart=/v/releases/${version}/bin/concourse worker\n`,
    mode: 0o644,
    owner: 'root',
    group: 'root',
  },
  envFile: { path: '/etc/concourse/worker.env', content: `TSA="${tsa}"\n`, mode: 0o600, owner: 'root', group: 'root' },
  reloadFiles: [{ path: '/etc/concourse/keys/k', content: keys, mode: 0o640, owner: 'root', group: 'root' }],
});

/** A clock that only moves when the code under test sleeps: waiting bounds are checked without real time. */
class FakeClock implements Clock {
  t = 1_000_000;
  /** Called at every sleep: what happens in the world while the hook waits. */
  onSleep: () => void = () => undefined;
  now() {
    return this.t;
  }
  async sleep(ms: number) {
    this.t += ms;
    this.onSleep();
  }
}

/** /api/v1/info as the test scripts it: one answer per request, the last one repeated. */
class ScriptedProbe implements WebProbe {
  readonly urls: string[] = [];
  constructor(private readonly answers: InfoAnswer[]) {}
  async info(url: string) {
    this.urls.push(url);
    const answer = this.answers.length > 1 ? this.answers.shift() : this.answers[0];
    if (answer === undefined) throw new Error('no scripted answer');
    return answer;
  }
}

const REFUSED: InfoAnswer = { kind: 'no-answer', reason: 'connection refused' };
const info = (version: string): InfoAnswer => ({
  kind: 'answer',
  status: 200,
  body: JSON.stringify({ version, worker_version: '2.5', feature_flags: {} }),
});
const TIMING = { timeoutMs: 180_000, pollMs: 1_000 };

function setup(probe: WebProbe = new ScriptedProbe([REFUSED]), timing: WebReadyTiming | undefined = TIMING) {
  const systemd = new FakeSystemd();
  const files = new MemoryFiles();
  const clock = new FakeClock();
  const statuses: string[] = [];
  const tools = {
    statusSet: async (status: string, message: string) => {
      statuses.push(`${status}: ${message}`);
    },
  } as unknown as HookTools;
  const containers: WorkerContainers = { count: async () => systemd.builds };
  // A new applier per hook, as each hook is a new process; the files (and systemd) persist between them.
  const hook = () =>
    new ServiceApplier(
      systemd,
      files,
      quiet,
      0,
      probe,
      clock,
      timing,
      new WorkerDrainer(systemd, files, tools, clock, containers, quiet, 60_000),
    );
  return { systemd, files, hook, clock, statuses };
}

describe('ServiceApplier: the whole sequence of systemd calls of each apply', () => {
  test('first apply → daemon-reload, enable, start; the same again → nothing', async () => {
    const { systemd, hook } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    expect(systemd.since()).toEqual(['daemon-reload', `enable ${NAME}`, `start ${NAME}`]);
    await hook().apply(NAME, desired('7.14.2'));
    expect(systemd.since()).toEqual([]);
  });

  test('a new release → daemon-reload, restart once; Juju retrying that hook → no call at all', async () => {
    const { systemd, hook } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.since();
    await hook().apply(NAME, desired('7.14.3')); // restarted; imagine the hook then exits 1 (unit state rolled back)
    expect(systemd.since()).toEqual(['daemon-reload', `enable ${NAME}`, `restart ${NAME}`]);
    await hook().apply(NAME, desired('7.14.3')); // Juju's retry of that hook
    expect(systemd.since()).toEqual([]);
  });

  test('only the reload files changed → one reload, no restart, no daemon-reload', async () => {
    const { systemd, hook } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.since();
    await hook().apply(NAME, desired('7.14.2', 'a:2222', 'k2'));
    expect(systemd.since()).toEqual([`reload ${NAME}`]);
  });

  test('a restart that does not come up → ServiceStartFailed, and the next apply writes and starts it again', async () => {
    const { systemd, hook } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.crashing.add(NAME);
    systemd.since();
    await expect(hook().apply(NAME, desired('7.14.3'))).rejects.toBeInstanceOf(ServiceStartFailed);
    expect(systemd.since()).toEqual(['daemon-reload', `enable ${NAME}`, `restart ${NAME}`]);
    systemd.crashing.delete(NAME);
    await hook().apply(NAME, desired('7.14.3'));
    // Nothing remembered as applied and the service down: the whole sequence again, a start this time.
    expect(systemd.since()).toEqual(['daemon-reload', `enable ${NAME}`, `start ${NAME}`]);
    expect(systemd.active.has(NAME)).toBe(true);
    expect(await hook().applied(NAME)).toMatch(/^fnv1a64:/);
  });

  test('going back to the previous files after a failed restart → rewritten and started, not left on the new ones', async () => {
    const { systemd, files, hook } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.crashing.add(NAME);
    const applier = hook();
    await expect(applier.apply(NAME, desired('7.14.3'))).rejects.toBeInstanceOf(ServiceStartFailed);
    systemd.crashing.delete(NAME);
    systemd.since();
    await applier.apply(NAME, desired('7.14.2'));
    // The failed restart left it inactive: started, not restarted.
    expect(systemd.since()).toEqual(['daemon-reload', `enable ${NAME}`, `start ${NAME}`]);
    expect(await files.read('/etc/systemd/system/concourse-worker.service')).toContain('/releases/7.14.2/');
    expect(systemd.active.has(NAME)).toBe(true);
  });

  test('role gone → stop and disable once; a service never installed costs no systemd call', async () => {
    const { systemd, hook } = setup();
    await hook().apply('concourse-server.service', undefined);
    expect(systemd.since()).toEqual([]);
    await hook().apply(NAME, desired('7.14.2'));
    systemd.since();
    await hook().apply(NAME, undefined);
    expect(systemd.since()).toEqual([`stop ${NAME}`, `disable ${NAME}`]);
    await hook().apply(NAME, undefined);
    expect(systemd.since()).toEqual([]);
    expect(await hook().applied(NAME)).toBeUndefined();
  });
});

describe('ServiceApplier: a started web counts only once /api/v1/info answers with its version', () => {
  const WEB = 'concourse-server.service';
  const serving = { webPort: 8080, version: '7.14.3' };

  test('refused, then the old release, then the new one → started after three polls, asked on 127.0.0.1', async () => {
    const probe = new ScriptedProbe([REFUSED, REFUSED, info('7.14.2'), info('7.14.3')]);
    const { hook, clock } = setup(probe);
    const t0 = clock.now();
    await hook().apply(WEB, desired('7.14.3'), { serving });
    expect(probe.urls).toEqual(Array(4).fill('http://127.0.0.1:8080/api/v1/info'));
    expect(clock.now() - t0).toBe(3_000);
  });

  test('never serving → ServiceStartFailed naming the port, the version and the last answer, after exactly the bound', async () => {
    const probe = new ScriptedProbe([{ kind: 'answer', status: 502, body: 'Bad Gateway' }]);
    const { hook, clock, files } = setup(probe);
    const t0 = clock.now();
    const failed = hook().apply(WEB, desired('7.14.3'), { serving });
    await expect(failed).rejects.toBeInstanceOf(ServiceStartFailed);
    await expect(failed).rejects.toThrow(
      'Concourse web 7.14.3 not serving on port 8080 after 180 s (/api/v1/info: HTTP 502): see journalctl -u concourse-server.service',
    );
    expect(clock.now() - t0).toBe(180_000);
    // Not remembered as applied: the next hook tries again.
    expect(await files.read('/etc/concourse/.applied-concourse-server.service')).toBeUndefined();
  });

  test('the process dying while the check waits → failed at once, saying it stopped', async () => {
    const { hook, systemd, clock } = setup(
      new ScriptedProbe([
        {
          kind: 'no-answer',
          get reason() {
            systemd.active.delete('concourse-server.service');
            return 'connection refused';
          },
        },
      ]),
    );
    const t0 = clock.now();
    await expect(hook().apply(WEB, desired('7.14.3'), { serving })).rejects.toThrow(
      '(/api/v1/info: connection refused, then it stopped)',
    );
    expect(clock.now() - t0).toBe(0);
  });

  test('nothing restarted → the API is not asked', async () => {
    const probe = new ScriptedProbe([info('7.14.3')]);
    const { hook } = setup(probe);
    await hook().apply(WEB, desired('7.14.3'), { serving });
    await hook().apply(WEB, desired('7.14.3'), { serving });
    expect(probe.urls).toHaveLength(1);
  });

  test('no serving check asked (the worker) → no request', async () => {
    const probe = new ScriptedProbe([REFUSED]);
    const { hook } = setup(probe);
    await hook().apply(NAME, desired('7.14.3'));
    expect(probe.urls).toEqual([]);
  });
});

describe('ServiceApplier: a worker drains before it stops, and never longer than the drain timeout', () => {
  const land: DrainRequest = { kind: 'land', version: '7.14.2', releaseDir: '/v/releases/7.14.2', timeoutMs: 300_000 };
  const retire: DrainRequest = { ...land, kind: 'retire' };

  test('upgrade with 2 builds running → land, wait for them, then start the new release: no build interrupted', async () => {
    const { systemd, hook, clock, statuses } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.builds = 2;
    let polls = 0;
    clock.onSleep = () => {
      polls += 1;
      if (polls === 2) systemd.builds = 1;
      if (polls === 3) systemd.builds = 0;
      systemd.settle(NAME);
    };
    systemd.since();
    const t0 = clock.now();
    await hook().apply(NAME, desired('7.14.3'), { drain: land });
    expect(systemd.since()).toEqual([`signal SIGUSR1 ${NAME}`, 'daemon-reload', `enable ${NAME}`, `start ${NAME}`]);
    expect(systemd.interrupted).toBe(0);
    expect(clock.now() - t0).toBe(180_000);
    expect(statuses).toEqual([
      'maintenance: Draining worker for 7.14.2 (2 containers, 5 min left)',
      'maintenance: Draining worker for 7.14.2 (2 containers, 4 min left)',
      'maintenance: Draining worker for 7.14.2 (1 container, 3 min left)',
    ]);
  });

  test('a build outlasting worker-drain-timeout → waited exactly the timeout, then only that build is interrupted', async () => {
    const { systemd, hook, clock } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.builds = 1;
    systemd.since();
    const t0 = clock.now();
    await hook().apply(NAME, desired('7.14.3'), { drain: land });
    expect(clock.now() - t0).toBe(300_000);
    expect(systemd.since()).toEqual([`signal SIGUSR1 ${NAME}`, 'daemon-reload', `enable ${NAME}`, `restart ${NAME}`]);
    expect(systemd.interrupted).toBe(1);
  });

  test('role gone or unit removed → retire (SIGUSR2), not land; then stop and disable', async () => {
    const { systemd, hook } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.since();
    await hook().apply(NAME, undefined, { drain: retire });
    expect(systemd.since()).toEqual([`signal SIGUSR2 ${NAME}`, `stop ${NAME}`, `disable ${NAME}`]);
  });

  test('a drain started by a hook that ended → the next hook sends nothing again and waits only what is left', async () => {
    const { systemd, files, hook, clock } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.builds = 1;
    systemd.draining = true;
    await files.write({
      path: DRAIN_MARKER,
      content: JSON.stringify({
        kind: 'land',
        version: '7.14.2',
        startedAt: clock.now() - 240_000,
        timeoutMs: 300_000,
      }),
      mode: 0o600,
      owner: 'root',
      group: 'root',
    });
    systemd.since();
    const t0 = clock.now();
    await hook().apply(NAME, desired('7.14.3'), { drain: land });
    expect(clock.now() - t0).toBe(60_000);
    expect(systemd.since()).not.toContain(`signal SIGUSR1 ${NAME}`);
    expect(await files.read(DRAIN_MARKER)).toBe('');
  });

  test('worker-drain-timeout=0 → no drain: restarted at once', async () => {
    const { systemd, hook } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.builds = 1;
    systemd.since();
    await hook().apply(NAME, desired('7.14.3'), { drain: { ...land, timeoutMs: 0 } });
    expect(systemd.since()).toEqual(['daemon-reload', `enable ${NAME}`, `restart ${NAME}`]);
  });

  test('nothing changed, or the worker not running → no signal', async () => {
    const { systemd, hook } = setup();
    await hook().apply(NAME, desired('7.14.2'));
    systemd.since();
    await hook().apply(NAME, desired('7.14.2'), { drain: land });
    systemd.active.clear();
    await hook().apply(NAME, desired('7.14.3'), { drain: land });
    expect(systemd.since()).toEqual(['daemon-reload', `enable ${NAME}`, `start ${NAME}`]);
  });
});
