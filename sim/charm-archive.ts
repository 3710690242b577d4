// Simulator: unpacks a .charm (a zip) into a unit's charm dir the way Juju does, keeping each entry's mode bits so
// `dispatch` stays executable. Entries that would land outside the target dir are refused.

import { createWriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

export async function unpackCharm(charmPath: string, targetDir: string): Promise<void> {
  const root = resolve(targetDir);
  await mkdir(root, { recursive: true });
  const zip = await yauzl.openPromise(charmPath, { lazyEntries: true });
  try {
    for await (const entry of zip.eachEntry()) {
      const target = resolve(root, entry.fileName);
      if (target !== root && !target.startsWith(root + sep)) {
        throw new Error(`charm entry ${JSON.stringify(entry.fileName)} escapes the charm dir`);
      }
      if (entry.fileName.endsWith('/')) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      const mode = (entry.externalFileAttributes >>> 16) & 0o777;
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(target));
      await chmod(target, mode === 0 ? 0o644 : mode);
    }
  } finally {
    zip.close();
  }
}
