// Adapter tests of CtrWorkerContainers: the release's `ctr` is a real child process (a sh script standing in for
// containerd's CLI that checks the arguments it gets), so argv, output parsing and failures are real.

import 'reflect-metadata';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CtrWorkerContainers } from '../../src/adapters/ctr-worker-containers';

let release: string;

beforeAll(async () => {
  release = await mkdtemp(join(tmpdir(), 'ctr-test-'));
  await mkdir(join(release, 'bin'));
});

afterAll(async () => rm(release, { recursive: true, force: true }));

async function ctr(body: string): Promise<void> {
  await writeFile(join(release, 'bin', 'ctr'), `#!/bin/sh\n${body}\n`);
  await chmod(join(release, 'bin', 'ctr'), 0o755);
}

describe('CtrWorkerContainers', () => {
  test('the worker’s containerd listing 2 tasks → 2, asked on Concourse’s socket and namespace', async () => {
    await ctr(`[ "$*" = "--address /run/containerd/containerd.sock --namespace concourse tasks list --quiet" ] || exit 9
printf 'aaaa\\nbbbb\\n'`);
    expect(await new CtrWorkerContainers().count(release)).toBe(2);
  });

  test('no task → 0', async () => {
    await ctr('exit 0');
    expect(await new CtrWorkerContainers().count(release)).toBe(0);
  });

  test('containerd not reachable (ctr fails) → unknown, not an error', async () => {
    await ctr('echo "ctr: failed to dial" >&2; exit 1');
    expect(await new CtrWorkerContainers().count(release)).toBeUndefined();
  });

  test('no ctr in the release → unknown', async () => {
    await rm(join(release, 'bin', 'ctr'));
    expect(await new CtrWorkerContainers().count(release)).toBeUndefined();
  });
});
