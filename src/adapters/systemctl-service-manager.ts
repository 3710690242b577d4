// Adapter (ServiceManager): drives systemd through `systemctl`, found on PATH and run without a shell. Unit files
// are written elsewhere; this adapter only reloads, enables, starts, stops and asks.

import { execFile } from 'node:child_process';
import { constants } from 'node:os';
import { inject, injectable } from 'inversify';
import type { ServiceManager } from '../ports/service-manager';

export interface SystemctlResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `systemctl` with argv; resolves whatever the exit code, rejects only when it cannot be started. */
export interface SystemctlRunner {
  run(args: readonly string[]): Promise<SystemctlResult>;
}

export const SYSTEMCTL_RUNNER = Symbol.for('concourse-ci-machine/SystemctlRunner');

export class ServiceManagerError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    const detail = stderr.trim();
    super(
      detail === ''
        ? `systemctl ${args.join(' ')} failed with exit code ${exitCode}`
        : `systemctl ${args.join(' ')} failed: ${detail}`,
    );
    this.name = new.target.name;
  }
}

@injectable()
export class ExecSystemctlRunner implements SystemctlRunner {
  run(args: readonly string[]): Promise<SystemctlResult> {
    return new Promise<SystemctlResult>((resolve, reject) => {
      execFile('systemctl', [...args], { shell: false, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err === null) {
          resolve({ exitCode: 0, stdout, stderr });
          return;
        }
        // A number means systemctl ran and exited non-zero; a string (ENOENT, EACCES) means it never started.
        if (typeof err.code === 'number') {
          resolve({ exitCode: err.code, stdout, stderr });
          return;
        }
        if (err.signal !== undefined && err.signal !== null) {
          resolve({ exitCode: 128 + (constants.signals[err.signal] ?? 0), stdout, stderr });
          return;
        }
        reject(new ServiceManagerError([...args], -1, `systemctl could not be started: ${err.message}`));
      });
    });
  }
}

// Unit names as systemd accepts them (escaped names, templates, types); never an option.
const UNIT_NAME = /^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]*$/;

@injectable()
export class SystemctlServiceManager implements ServiceManager {
  constructor(@inject(SYSTEMCTL_RUNNER) private readonly runner: SystemctlRunner) {}

  async daemonReload(): Promise<void> {
    await this.mustRun(['daemon-reload']);
  }

  async enable(unit: string): Promise<void> {
    await this.mustRun(['enable', checkedUnit(unit)]);
  }

  async disable(unit: string): Promise<void> {
    await this.mustRun(['disable', checkedUnit(unit)]);
  }

  async start(unit: string): Promise<void> {
    await this.mustRun(['start', checkedUnit(unit)]);
  }

  async restart(unit: string): Promise<void> {
    await this.mustRun(['restart', checkedUnit(unit)]);
  }

  async reload(unit: string): Promise<void> {
    await this.mustRun(['reload', checkedUnit(unit)]);
  }

  async stop(unit: string): Promise<void> {
    await this.mustRun(['stop', checkedUnit(unit)]);
  }

  /** `is-active --quiet` prints nothing and answers with its exit code: 0 active, anything else not. */
  async isActive(unit: string): Promise<boolean> {
    const result = await this.runner.run(['is-active', '--quiet', checkedUnit(unit)]);
    return result.exitCode === 0;
  }

  async signal(unit: string, signal: 'SIGUSR1' | 'SIGUSR2'): Promise<void> {
    // Not the whole cgroup: containerd, shims and build processes must not see the worker's drain signal.
    await this.mustRun(['kill', '--kill-who=main', `--signal=${signal}`, checkedUnit(unit)]);
  }

  private async mustRun(args: readonly string[]): Promise<void> {
    const result = await this.runner.run(args);
    if (result.exitCode !== 0) throw new ServiceManagerError(args, result.exitCode, result.stderr);
  }
}

function checkedUnit(unit: string): string {
  if (!UNIT_NAME.test(unit)) throw new RangeError(`invalid systemd unit name ${JSON.stringify(unit)}`);
  return unit;
}
