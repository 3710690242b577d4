// Test support for the store adapters' tests: a scratch volume directory per test, miniature release files to
// stage, and child processes (racing units, readers) that are killed if a test leaves them running.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { PROJECT_ROOT, type Spawned, watch } from './processes';

/** Mount namespaces need root and an unconfined runtime; probed once so a test can say why it is skipped. */
export const canUnshare =
  spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0 &&
  process.getuid?.() === 0;

export async function writeFiles(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const file = join(dir, relative);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, content, { mode: 0o755 });
  }
}

export interface ScratchVolume {
  /** The test's own directory; the volume is `volume/` inside it. */
  readonly scratch: string;
  readonly root: string;
  writeScript(name: string, source: string): Promise<string>;
  run(command: string, args: readonly string[]): Spawned;
}

/** Registers beforeEach/afterEach: a fresh empty volume for every test, removed afterwards with its children. */
export function scratchVolume(): ScratchVolume {
  let scratch = '';
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'store-test-'));
    await mkdir(join(scratch, 'volume'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(scratch, { recursive: true, force: true });
  });
  return {
    get scratch() {
      return scratch;
    },
    get root() {
      return join(scratch, 'volume');
    },
    async writeScript(name, source) {
      const file = join(scratch, name);
      await writeFile(file, source);
      return file;
    },
    run(command, args) {
      const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      return watch(child);
    },
  };
}
