import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { ExecReleaseInspector } from '../../src/adapters/exec-release-inspector';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inspector-'));
  await mkdir(join(dir, 'bin'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function concourse(script: string, mode = 0o755): Promise<void> {
  await writeFile(join(dir, 'bin/concourse'), `#!/bin/sh\n${script}\n`);
  await chmod(join(dir, 'bin/concourse'), mode);
}

test('binary printing its version → that text, trimmed', async () => {
  await concourse('[ "$1" = --version ] && echo " 7.14.2 "');
  expect(await new ExecReleaseInspector().reportedVersion(dir)).toBe('7.14.2');
});

test('binary failing, silent, not executable or missing → undefined', async () => {
  const inspector = new ExecReleaseInspector();
  await concourse('echo 7.14.2; exit 3');
  expect(await inspector.reportedVersion(dir)).toBeUndefined();
  await concourse('true');
  expect(await inspector.reportedVersion(dir)).toBeUndefined();
  await concourse('echo 7.14.2', 0o644);
  expect(await inspector.reportedVersion(dir)).toBeUndefined();
  expect(await inspector.reportedVersion(join(dir, 'nowhere'))).toBeUndefined();
});
