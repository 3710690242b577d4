// Port: files on this unit's own filesystem (systemd units, env files, keys under /etc), never on the shared
// volume, and the system user the web service runs as.

import type { RenderedFile } from '../domain/concourse-services';

export interface DirectorySpec {
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly group: string;
}

export interface UnitFiles {
  /**
   * Writes the file atomically (temp file, fsync, rename) with its mode and owner; a reader sees the old or the new
   * file, never half of one. Returns false, writing nothing, when content, mode and owner are already right.
   */
  write(file: RenderedFile): Promise<boolean>;
  /** The file's text, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /** Removes the file; false when it was not there. */
  remove(path: string): Promise<boolean>;
  /** Creates the directory (and parents) when missing, and sets its mode and owner. */
  ensureDirectory(dir: DirectorySpec): Promise<void>;
  /** Creates a system user and its group when missing (no login, no home). */
  ensureSystemUser(name: string): Promise<void>;
}

export const UNIT_FILES = Symbol.for('concourse-ci-machine/UnitFiles');
