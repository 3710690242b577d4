// Domain: ArchiveEntryGuard, the archive-safety policy for unpacking a release: which tar entries may reach the disk,
// with which mode, and the operator-facing reason when one may not. The Downloader adapter feeds it and obeys it.

/** A tar entry as the guard judges it, before `strip`: what the header says, nothing of any tar library. */
export interface ArchiveEntry {
  /** The path exactly as the archive holds it. */
  readonly path: string;
  /** The header type, spelled as node-tar spells it: 'File', 'Directory', 'SymbolicLink', 'Link', 'FIFO', ... */
  readonly type: string;
  /** Target of a symbolic link (relative to the link's directory) or of a hard link (archive-relative). */
  readonly linkpath?: string;
  /** Bytes of content the entry carries. */
  readonly size: number;
  /** Permission bits from the header, when it has them. */
  readonly mode?: number;
}

/**
 * What the extractor does with an entry: write it (with `mode` in place of the header's, when there is one), leave it
 * out (fewer path components than `strip`: nothing of it would land in the release), or stop the install.
 */
export type ArchiveEntryVerdict =
  | { readonly kind: 'admit'; readonly mode: number | undefined }
  | { readonly kind: 'skip' }
  | { readonly kind: 'reject'; readonly reason: string };

const ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'File',
  'OldFile',
  'ContiguousFile',
  'Directory',
  'GNUDumpDir',
  'SymbolicLink',
  'Link',
]);

const SKIP: ArchiveEntryVerdict = { kind: 'skip' };

/**
 * Decides, before anything touches the disk, whether an entry may be extracted. A tar library alone would skip or
 * rewrite most hostile entries with a warning; a release that tries any of this must fail the install instead.
 * Paths are judged after `strip`, relative to the extraction directory, as the extractor will write them. Stateful:
 * one guard per archive, shown its entries in archive order, since links are judged against what came before.
 */
export class ArchiveEntryGuard {
  private bytes = 0;
  private readonly files = new Set<string>();
  private readonly symlinks = new Set<string>();

  constructor(private readonly strip: number) {}

  /** Content bytes of the regular files admitted so far: the size of the release on disk. */
  get extractedBytes(): number {
    return this.bytes;
  }

  judge(entry: ArchiveEntry): ArchiveEntryVerdict {
    const raw = entry.path;
    const unsafe = (why: string): ArchiveEntryVerdict => ({
      kind: 'reject',
      reason: `Release archive entry ${JSON.stringify(raw)} ${why}`,
    });
    if (!ALLOWED_TYPES.has(entry.type)) {
      return unsafe(`is a ${entry.type}; only files, directories and links are allowed`);
    }
    if (raw.includes('\0')) return unsafe('has a NUL byte in its path');
    if (isAbsolute(raw)) return unsafe('has an absolute path');
    const parts = raw.split('/');
    if (parts.includes('..')) return unsafe("has a '..' path component");
    // The extractor drops entries with fewer components than `strip`; nothing reaches the disk for them.
    if (parts.length < this.strip) return SKIP;
    const rel = clean(parts.slice(this.strip));
    const key = rel.join('/');
    for (let i = 1; i < rel.length; i++) {
      if (this.symlinks.has(rel.slice(0, i).join('/'))) return unsafe('would be written through a symbolic link');
    }
    // Setuid, setgid and sticky bits have no business in a release unpacked as root.
    const admit: ArchiveEntryVerdict = {
      kind: 'admit',
      mode: entry.mode === undefined ? undefined : entry.mode & 0o777,
    };

    switch (entry.type) {
      case 'SymbolicLink': {
        const target = entry.linkpath ?? '';
        if (target === '' || isAbsolute(target)) return unsafe(`is a symbolic link to an absolute path (${target})`);
        const resolved = this.resolveWithin(rel.slice(0, -1), target.split('/'));
        if (resolved === undefined) return unsafe(`is a symbolic link that points outside the release (${target})`);
        this.symlinks.add(key);
        this.files.delete(key);
        return admit;
      }
      case 'Link': {
        const target = entry.linkpath ?? '';
        if (target === '' || isAbsolute(target)) return unsafe(`is a hard link to an absolute path (${target})`);
        const linkParts = target.split('/');
        if (linkParts.includes('..')) return unsafe(`is a hard link that points outside the release (${target})`);
        // The extractor drops a hard link whose target has fewer components than `strip`, as it does short paths.
        if (linkParts.length < this.strip) return SKIP;
        const linkKey = clean(linkParts.slice(this.strip)).join('/');
        // Only to a regular file this archive already extracted: nothing else exists in a fresh staging directory.
        if (!this.files.has(linkKey)) return unsafe(`is a hard link to ${target}, which is not a file of this release`);
        this.files.add(key);
        this.symlinks.delete(key);
        return admit;
      }
      case 'Directory':
      case 'GNUDumpDir':
        return admit;
      default:
        this.bytes += entry.size;
        this.files.add(key);
        this.symlinks.delete(key);
        return admit;
    }
  }

  /** Walks a symlink target from its directory; undefined when it leaves the root or passes through another link. */
  private resolveWithin(dir: readonly string[], target: readonly string[]): string | undefined {
    const stack = [...dir];
    const steps = clean(target);
    for (const [i, step] of steps.entries()) {
      if (step === '..') {
        if (stack.length === 0) return undefined;
        stack.pop();
      } else {
        stack.push(step);
      }
      // Lexical resolution is only exact if no step goes through another link (`a -> .` then `b -> a/..`).
      if (i < steps.length - 1 && this.symlinks.has(stack.join('/'))) return undefined;
    }
    return stack.join('/');
  }
}

function clean(parts: readonly string[]): string[] {
  return parts.filter((p) => p !== '' && p !== '.');
}

/** Absolute on any platform a release could have been packed on: `/x`, `C:x`, `\x`. */
function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.startsWith('\\');
}
