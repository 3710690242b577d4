// Adapter (UnitFiles): the unit's own files through node:fs, and its system user through `useradd`. Every write is
// fs-durable's writeAtomic (temp file, chmod/chown before any content lands, fsync, rename(2)): systemd, the
// services and operators see the old file or the new one, and a private key is never readable by others, not
// even for an instant. `root` re-roots every path (tests use a scratch directory; hooks use `/`).

import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inject, injectable } from 'inversify';
import type { RenderedFile } from '../domain/concourse-services';
import type { DirectorySpec, UnitFiles } from '../ports/unit-files';
import { fsyncDir, writeAtomic } from './fs-durable';
import { errorCode } from './fs-errors';

/** The directory every absolute path is taken relative to: `/` in hooks. */
export const UNIT_FILES_ROOT = Symbol.for('concourse-ci-machine/UnitFilesRoot');

@injectable()
export class FsUnitFiles implements UnitFiles {
  constructor(@inject(UNIT_FILES_ROOT) private readonly root: string) {}

  async write(file: RenderedFile): Promise<boolean> {
    const path = this.at(file.path);
    const uid = await this.uid(file.owner);
    const gid = await this.gid(file.group);
    if (await this.isAlready(path, file, uid, gid)) return false;
    await mkdir(dirname(path), { recursive: true });
    // Created empty and private, owned and moded before any byte is written.
    await writeAtomic(path, file.content, {
      durable: true,
      mode: 0o600,
      prepare: async (handle) => {
        await handle.chown(uid, gid);
        await handle.chmod(file.mode);
      },
    });
    return true;
  }

  async read(path: string): Promise<string | undefined> {
    try {
      return await readFile(this.at(path), 'utf8');
    } catch (error) {
      // Only a missing file is "no file": a directory where a file should be is an error to report.
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async remove(path: string): Promise<boolean> {
    try {
      await rm(this.at(path));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
    await fsyncDir(dirname(this.at(path)));
    return true;
  }

  async ensureDirectory(dir: DirectorySpec): Promise<void> {
    const path = this.at(dir.path);
    await mkdir(path, { recursive: true, mode: dir.mode });
    await chown(path, await this.uid(dir.owner), await this.gid(dir.group));
    await chmod(path, dir.mode);
  }

  async ensureSystemUser(name: string): Promise<void> {
    if ((await this.lookup('passwd', name)) !== undefined) return;
    const args = [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      ...(this.root === '/' ? [] : ['--prefix', this.root]),
      name,
    ];
    await new Promise<void>((resolve, reject) => {
      execFile('useradd', args, { encoding: 'utf8' }, (error, _stdout, stderr) => {
        // 9: the user exists (another process made it in between): what we wanted.
        if (error === null || error.code === 9) resolve();
        else reject(new Error(`useradd ${name} failed: ${stderr.trim() || error.message}`));
      });
    });
  }

  private at(path: string): string {
    if (!path.startsWith('/') || path.split('/').includes('..'))
      throw new RangeError(`not a clean absolute path: ${path}`);
    return this.root === '/' ? path : join(this.root, path);
  }

  private async isAlready(path: string, file: RenderedFile, uid: number, gid: number): Promise<boolean> {
    try {
      const s = await stat(path);
      if ((s.mode & 0o7777) !== file.mode || s.uid !== uid || s.gid !== gid || !s.isFile()) return false;
      return (await readFile(path, 'utf8')) === file.content;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  private async uid(name: string): Promise<number> {
    return this.id('passwd', name);
  }

  private async gid(name: string): Promise<number> {
    return this.id('group', name);
  }

  private async id(db: 'passwd' | 'group', name: string): Promise<number> {
    if (name === 'root') return 0;
    const id = await this.lookup(db, name);
    if (id === undefined) throw new Error(`no ${db === 'passwd' ? 'user' : 'group'} named ${name} on this machine`);
    return id;
  }

  /** The numeric id of `name` in /etc/passwd or /etc/group (system accounts are local files). */
  private async lookup(db: 'passwd' | 'group', name: string): Promise<number | undefined> {
    const text = (await this.read(`/etc/${db}`)) ?? '';
    for (const line of text.split('\n')) {
      const fields = line.split(':');
      if (fields[0] === name && fields[2] !== undefined && /^\d+$/.test(fields[2])) return Number(fields[2]);
    }
    return undefined;
  }
}
