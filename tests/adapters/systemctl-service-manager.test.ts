// Adapter tests for SystemctlServiceManager: the real ExecSystemctlRunner runs a fake `systemctl` first on PATH,
// which records its argv and answers like systemd (exit codes, stderr), so argv, PATH lookup and errors are real.

import 'reflect-metadata';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ExecSystemctlRunner,
  ServiceManagerError,
  SystemctlServiceManager,
} from '../../src/adapters/systemctl-service-manager';

const originalPath = process.env.PATH;
let bin: string;
let record: string;

beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), 'systemctl-'));
  record = join(bin, 'argv.record');
  // `concourse-web.service` is active; `broken.service` fails to start as systemd reports it; anything else is inactive.
  await writeFile(
    join(bin, 'systemctl'),
    `#!/bin/sh
printf '%s\\n' "$*" >> "${record}"
case "$1 $*" in
  "start start broken.service")
    echo "Job for broken.service failed because the control process exited with error code." >&2
    echo "See \\"systemctl status broken.service\\" and \\"journalctl -xeu broken.service\\" for details." >&2
    exit 1 ;;
  "is-active is-active --quiet concourse-web.service") exit 0 ;;
  "is-active is-active --quiet no-such.service") exit 4 ;;
  is-active*) exit 3 ;;
esac
exit 0
`,
  );
  await chmod(join(bin, 'systemctl'), 0o755);
  process.env.PATH = `${bin}${delimiter}${originalPath ?? ''}`;
});

afterAll(async () => {
  process.env.PATH = originalPath;
  await rm(bin, { recursive: true, force: true });
});

beforeEach(async () => {
  await writeFile(record, '');
});

async function recorded(): Promise<string[]> {
  return (await readFile(record, 'utf8')).split('\n').filter((l) => l !== '');
}

describe('SystemctlServiceManager', () => {
  const manager = new SystemctlServiceManager(new ExecSystemctlRunner());

  it('each operation → one systemctl run with the verb and unit', async () => {
    await manager.daemonReload();
    await manager.enable('concourse-web.service');
    await manager.start('concourse-web.service');
    await manager.restart('concourse-worker@1.service');
    await manager.stop('concourse-web.service');
    await manager.disable('concourse-web.service');
    expect(await recorded()).toEqual([
      'daemon-reload',
      'enable concourse-web.service',
      'start concourse-web.service',
      'restart concourse-worker@1.service',
      'stop concourse-web.service',
      'disable concourse-web.service',
    ]);
  });

  it('a drain signal → systemctl kill to the main process only, never the cgroup (containerd, builds)', async () => {
    await manager.signal('concourse-worker.service', 'SIGUSR1');
    await manager.signal('concourse-worker.service', 'SIGUSR2');
    expect(await recorded()).toEqual([
      'kill --kill-who=main --signal=SIGUSR1 concourse-worker.service',
      'kill --kill-who=main --signal=SIGUSR2 concourse-worker.service',
    ]);
  });

  it('is-active exit 0 → true; exit 3 (inactive) or 4 (no such unit) → false', async () => {
    expect(await manager.isActive('concourse-web.service')).toBe(true);
    expect(await manager.isActive('concourse-worker.service')).toBe(false);
    expect(await manager.isActive('no-such.service')).toBe(false);
    expect(await recorded()).toEqual([
      'is-active --quiet concourse-web.service',
      'is-active --quiet concourse-worker.service',
      'is-active --quiet no-such.service',
    ]);
  });

  it('a failing start → ServiceManagerError carrying argv, exit code and systemd stderr', async () => {
    const err = await manager.start('broken.service').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceManagerError);
    expect(err).toMatchObject({ args: ['start', 'broken.service'], exitCode: 1 });
    expect(err).toHaveProperty(
      'message',
      expect.stringMatching(/^systemctl start broken\.service failed: Job for broken\.service failed/),
    );
  });

  it('a unit name that looks like an option → RangeError, systemctl never runs', async () => {
    await expect(manager.stop('--all')).rejects.toThrow(RangeError);
    await expect(manager.start('a b.service')).rejects.toThrow(RangeError);
    expect(await recorded()).toEqual([]);
  });

  it('systemctl missing from PATH → ServiceManagerError saying it could not be started', async () => {
    process.env.PATH = '/nonexistent';
    try {
      await expect(manager.daemonReload()).rejects.toThrow(/systemctl could not be started/);
    } finally {
      process.env.PATH = `${bin}${delimiter}${originalPath ?? ''}`;
    }
  });
});
