// Test support: one unit's machine in memory: its files under /etc and /var/lib (UnitFiles), systemd (the
// ServiceManager, recording every call in order), the mount table and a clock. A release can be made to fail at
// start (its service exits at once, as a broken binary does), which is what a failed switch looks like.

import { type RenderedFile, WEB_SERVICE } from '../../src/domain/concourse-services';
import type { MountFacts } from '../../src/domain/volume-identity';
import type { InfoAnswer } from '../../src/domain/web-readiness';
import type { WorkerHostFacts } from '../../src/domain/worker-defaults';
import type { Clock } from '../../src/ports/clock';
import type { MountTable } from '../../src/ports/mount-table';
import type { ServiceManager } from '../../src/ports/service-manager';
import type { DirectorySpec, UnitFiles } from '../../src/ports/unit-files';
import type { WebProbe } from '../../src/ports/web-probe';
import type { WorkerContainers } from '../../src/ports/worker-containers';
import type { WorkerHost } from '../../src/ports/worker-host';
import { FakeSharedFsHost } from './fake-shared-fs-host';

export class FakeMachine implements UnitFiles, ServiceManager, MountTable, WebProbe, WorkerContainers, WorkerHost {
  readonly files = new Map<string, RenderedFile>();
  readonly directories = new Set<string>();
  readonly users = new Set<string>();
  /** Every systemctl call, in order: `restart concourse-server.service`. */
  readonly systemctl: string[] = [];
  /** Releases whose services exit right after starting. */
  readonly brokenReleases = new Set<string>();
  mount: MountFacts | undefined;
  /** What the worker's machine is: a VM by default, its work dir on ext4, a resolver containers can reach. */
  host: WorkerHostFacts = {
    virt: { kind: 'vm', name: 'kvm' },
    workDirFilesystem: 'ext4',
    resolvConf: 'nameserver 10.0.0.2\n',
    upstreamResolvConf: undefined,
  };
  /** Builds running on the worker: while above 0, a landing or retiring worker keeps running (and counts them). */
  builds = 0;
  /** The work dirs the facts were asked for. */
  readonly hostAsked: string[] = [];
  /** The shared-fs side of this machine: kernel facts, apt, mount units. */
  readonly sharedFs = new FakeSharedFsHost(this);
  private readonly active = new Set<string>();

  // UnitFiles
  async write(file: RenderedFile): Promise<boolean> {
    const old = this.files.get(file.path);
    if (old !== undefined && JSON.stringify(old) === JSON.stringify(file)) return false;
    this.files.set(file.path, { ...file });
    return true;
  }

  async read(path: string): Promise<string | undefined> {
    return this.files.get(path)?.content;
  }

  async remove(path: string): Promise<boolean> {
    return this.files.delete(path);
  }

  async ensureDirectory(dir: DirectorySpec): Promise<void> {
    this.directories.add(dir.path);
  }

  async ensureSystemUser(name: string): Promise<void> {
    this.users.add(name);
  }

  // ServiceManager
  async daemonReload(): Promise<void> {
    this.systemctl.push('daemon-reload');
  }

  async enable(unit: string): Promise<void> {
    this.systemctl.push(`enable ${unit}`);
  }

  async disable(unit: string): Promise<void> {
    this.systemctl.push(`disable ${unit}`);
  }

  async start(unit: string): Promise<void> {
    this.systemctl.push(`start ${unit}`);
    this.launch(unit);
  }

  async restart(unit: string): Promise<void> {
    this.systemctl.push(`restart ${unit}`);
    this.launch(unit);
  }

  async reload(unit: string): Promise<void> {
    this.systemctl.push(`reload ${unit}`);
  }

  async stop(unit: string): Promise<void> {
    this.systemctl.push(`stop ${unit}`);
    this.active.delete(unit);
  }

  async isActive(unit: string): Promise<boolean> {
    return this.active.has(unit);
  }

  /**
   * `systemctl kill --kill-who=main --signal=S`. A Concourse worker told to land (SIGUSR1) or retire (SIGUSR2) exits
   * once its builds are done: at once when `builds` is 0, never while a test keeps builds running. Like systemctl,
   * refused when not running.
   */
  async signal(unit: string, signal: 'SIGUSR1' | 'SIGUSR2'): Promise<void> {
    if (!this.active.has(unit)) throw new Error(`Failed to kill unit ${unit}: No main process to kill`);
    this.systemctl.push(`kill --kill-who=main --signal=${signal} ${unit}`);
    if (this.builds === 0) this.active.delete(unit);
  }

  /** A unit becoming active or inactive by other means than systemctl (a mount unit mounted by its helper). */
  setActive(unit: string, active: boolean): void {
    if (active) this.active.add(unit);
    else this.active.delete(unit);
  }

  // WebProbe: the running web answers /api/v1/info with the release its unit file runs, as Concourse does.
  async info(_url: string, _timeoutMs: number): Promise<InfoAnswer> {
    if (!this.active.has(WEB_SERVICE)) return { kind: 'no-answer', reason: 'connection refused' };
    return { kind: 'answer', status: 200, body: JSON.stringify({ version: this.releaseOf(WEB_SERVICE) }) };
  }

  // WorkerContainers: one container per running build.
  async count(_releaseDir: string): Promise<number | undefined> {
    return this.builds;
  }

  // WorkerHost
  async facts(workDir: string): Promise<WorkerHostFacts> {
    this.hostAsked.push(workDir);
    return this.host;
  }

  // MountTable
  async mountAt(): Promise<MountFacts | undefined> {
    return this.mount;
  }

  /** The release a service's unit file runs (from its ExecStart), or undefined when it has no unit file. */
  releaseOf(unit: string): string | undefined {
    return /\/releases\/([^/]+)\/bin\//.exec(this.files.get(`/etc/systemd/system/${unit}`)?.content ?? '')?.[1];
  }

  /** The start/stop/restart/reload/disable/kill calls only (is-active and daemon-reload left out). */
  changes(): string[] {
    return this.systemctl.filter((c) => /^(start|restart|stop|reload|disable|kill) /.test(c));
  }

  private launch(unit: string): void {
    const release = this.releaseOf(unit);
    if (release !== undefined && this.brokenReleases.has(release)) this.active.delete(unit);
    else this.active.add(unit);
  }
}

/** A clock that never waits: sleep moves time on at once. */
export class SteppingClock implements Clock {
  constructor(private time = Date.parse('2026-12-07T20:00:00Z')) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }
}
