// Test support: one storage volume held in memory, shared by the in-memory store ports of every unit a hook test
// runs (as a shared mount is): releases, staging areas, `current`, the volume id, the progress marker, unit states.
// Faults are injected deterministically: a state (missing, read-only) or an errno every write fails with.

import type { VolumeState } from '../../src/domain/volume';

export const GiB = 1024 ** 3;

/** An error shaped like Node's fs errors (`code` set), so adapters' callers classify it the same way. */
export function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export class InMemoryVolume {
  state: VolumeState = 'ok';
  freeBytes = 10 * GiB;
  totalBytes = 20 * GiB;
  filesystemType = 'ext4';
  networkFilesystem = false;
  /** shared-storage=none: ensureRoot may create the (missing) store root, as it can below an existing volume. */
  rootCreatable = false;
  /** Set: every write fails with this errno (ENOSPC, EDQUOT, EIO), nothing is changed. */
  writeError: string | undefined;

  volumeId: string | undefined;
  /** version → relative path → content; `MANIFEST.json` is one of the files, as on disk. */
  readonly releases = new Map<string, Map<string, string>>();
  /** staging directory name → relative path → content. */
  readonly staging = new Map<string, Map<string, string>>();
  /** What `current` points to: a version, whether or not it is still published. */
  current: string | undefined;
  installedVersion: string | undefined;
  /** `.download_in_progress` as text (JSON when written by the marker). */
  progress: string | undefined;
  /** unit directory → `state.json` text. */
  readonly unitStates = new Map<string, string>();
  /** shared-storage=none: `.unit-private/<unit>`, each a store of its own. */
  readonly privateStores = new Map<string, InMemoryVolume>();

  constructor(readonly root = '/var/lib/concourse') {}

  /** The private store below this volume for `unitDir` (created on first use, as the hook's ensureRoot does). */
  privateStore(unitDir: string): InMemoryVolume {
    let store = this.privateStores.get(unitDir);
    if (store === undefined) {
      store = new InMemoryVolume(`${this.root}/.unit-private/${unitDir}`);
      this.privateStores.set(unitDir, store);
    }
    return store;
  }

  /** What a write on the real volume would fail with now, thrown; returns when the write may go ahead. */
  assertWritable(what: string): void {
    if (this.state === 'missing') throw fsError('ENOENT', `${this.root}: no such directory (${what})`);
    if (this.state === 'not-directory') throw fsError('ENOTDIR', `${this.root}: not a directory (${what})`);
    if (this.state === 'read-only') throw fsError('EROFS', `${this.root}: read-only file system (${what})`);
    if (this.state === 'unreadable') throw fsError('EIO', `${this.root}: input/output error (${what})`);
    if (this.writeError !== undefined) throw fsError(this.writeError, `${this.root}: ${what}`);
  }

  /** No volume at the root (or a file there): readers see nothing, as the adapters read a missing path as empty. */
  get absent(): boolean {
    return this.state === 'missing' || this.state === 'not-directory';
  }

  /** Reads fail only on an unreadable volume (EIO, EACCES); a missing one reads as empty (check `absent`). */
  assertReadable(what: string): void {
    if (this.state === 'unreadable') this.assertWritable(what);
  }

  /** Apparent bytes of everything stored, as `du --apparent-size` of the volume would count regular files. */
  bytes(): { readonly releaseBytes: number; readonly volumeBytes: number } {
    const size = (files: Iterable<string>) => [...files].reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    const releaseBytes = [...this.releases.values()].reduce((sum, files) => sum + size(files.values()), 0);
    const stagingBytes = [...this.staging.values()].reduce((sum, files) => sum + size(files.values()), 0);
    const privateBytes = [...this.privateStores.values()].reduce((sum, store) => sum + store.bytes().volumeBytes, 0);
    const singles = [
      this.volumeId === undefined ? undefined : `${this.volumeId}\n`,
      this.installedVersion === undefined ? undefined : `${this.installedVersion}\n`,
      this.progress,
    ].filter((text): text is string => text !== undefined);
    const volumeBytes = releaseBytes + stagingBytes + privateBytes + size(singles) + size(this.unitStates.values());
    return { releaseBytes, volumeBytes };
  }
}
