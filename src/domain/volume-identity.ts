// Domain: is the filesystem at the storage location the one this unit used before, a new one to adopt, or a
// mount that went away? Decided from the volume's `.volume-id` and the mount table (never guessed from contents):
// a mount that appears over the location (an LXD disk device, NFS added after deploy), or replaces the one used,
// is adopted; a mount that disappears, leaving the bare directory of the root disk, blocks, because installing
// there would silently fork the cluster's release store.

import { z } from 'zod';
import { StorageProblem } from './errors';
import { parseRememberedJson } from './remembered-json';

/** What the mount table says is mounted at the location (the topmost mount), or nothing: a bare directory. */
export interface MountFacts {
  /** The mount's source as the mount table has it: `/dev/sdb1`, `10.0.0.5:/srv/concourse`, `sshfs#...`. */
  readonly source: string;
  readonly filesystemType: string;
  /** How many filesystems are stacked at the location (a shared mount over a Juju volume: 2). */
  readonly depth: number;
}

/** What a unit remembers of the volume it used (kept in its charm state, one small value). */
export interface RememberedVolume {
  readonly id: string;
  /**
   * `mounted`: a mount (`source (type)`); `bare`: the directory itself; `unknown`: remembered by an older revision
   * of the charm, which did not look at the mount table.
   */
  readonly attachment:
    | { readonly kind: 'mounted'; readonly mount: string; readonly depth: number }
    | { readonly kind: 'bare' | 'unknown' };
}

export type VolumeVerdict =
  /** Nothing remembered (a new unit, or a detached storage): use what is there. */
  | { readonly kind: 'first' }
  | { readonly kind: 'same' }
  /** Another filesystem is mounted here now: move this unit onto it. */
  | { readonly kind: 'adopt'; readonly previous: string; readonly reason: string };

export function judgeVolume(input: {
  readonly remembered: RememberedVolume | undefined;
  /** `.volume-id` as read now; undefined on an empty volume. */
  readonly seenId: string | undefined;
  readonly mount: MountFacts | undefined;
  readonly location: string;
}): VolumeVerdict {
  const { remembered, seenId, mount, location } = input;
  if (remembered === undefined) return { kind: 'first' };
  if (remembered.id === seenId) return { kind: 'same' };
  const was = remembered.attachment;
  // Fewer filesystems stacked than the unit used: its mount went away and what it covered shows through (a Juju
  // volume under a shared mount, say). That is a lost mount, never a volume to move onto.
  const covered = mount !== undefined && was.kind === 'mounted' && mount.depth < was.depth;
  if (mount !== undefined && !covered) {
    const reason =
      was.kind === 'bare'
        ? `${describeMount(mount)} was mounted over the directory`
        : seenId === undefined
          ? `an empty volume, ${describeMount(mount)}, is mounted now`
          : `${describeMount(mount)} (volume ${short(seenId)}) replaced the volume`;
    return { kind: 'adopt', previous: remembered.id, reason };
  }
  if (was.kind === 'mounted') {
    if (covered && seenId !== undefined) {
      throw new StorageProblem(
        'blocked',
        `Storage ${location} is no longer mounted (${was.mount} held volume ${short(remembered.id)}; volume ${short(seenId)} beneath it shows through): remount it there`,
      );
    }
    throw new StorageProblem(
      'blocked',
      `Storage ${location} is no longer mounted (${was.mount} held volume ${short(remembered.id)}): remount it there; nothing is installed on the bare directory`,
    );
  }
  if (seenId === undefined && was.kind === 'bare') {
    // The unit's own directory lost its contents (removed by hand): nothing else can be there, start it again.
    return { kind: 'adopt', previous: remembered.id, reason: `${location} was emptied` };
  }
  if (seenId === undefined) {
    throw new StorageProblem(
      'blocked',
      `Storage ${location} is empty but this unit used volume ${short(remembered.id)}: remount the shared volume there`,
    );
  }
  throw new StorageProblem(
    'blocked',
    `Storage ${location} is volume ${short(seenId)}, this unit used ${short(remembered.id)}: remount the original volume, or mount the new one at ${location} to move onto it`,
  );
}

/** How the unit remembers the volume it now uses. */
export function rememberVolume(id: string, mount: MountFacts | undefined): RememberedVolume {
  return {
    id,
    attachment:
      mount === undefined ? { kind: 'bare' } : { kind: 'mounted', mount: describeMount(mount), depth: mount.depth },
  };
}

export function formatRememberedVolume(volume: RememberedVolume): string {
  const a = volume.attachment;
  return JSON.stringify(
    a.kind === 'mounted' ? { id: volume.id, mount: a.mount, depth: a.depth } : { id: volume.id, mount: null },
  );
}

const RememberedVolumeSchema = z.object({
  id: z.string().min(1),
  mount: z.string().nullable(),
  /** Absent in what the first revision with mounts wrote: one filesystem. */
  depth: z.number().int().min(1).default(1),
});

/** Reads what formatRememberedVolume wrote; a bare id is what earlier revisions remembered. */
export function parseRememberedVolume(text: string | undefined): RememberedVolume | undefined {
  if (text === undefined || text === '') return undefined;
  if (!text.startsWith('{')) return { id: text, attachment: { kind: 'unknown' } };
  const v = parseRememberedJson(RememberedVolumeSchema, text);
  if (v === undefined) return undefined;
  return v.mount === null
    ? { id: v.id, attachment: { kind: 'bare' } }
    : { id: v.id, attachment: { kind: 'mounted', mount: v.mount, depth: v.depth } };
}

/** A mount as status lines and logs name it. Sources never carry secrets here (no mount options). */
export function describeMount(mount: MountFacts): string {
  return `${mount.source} (${mount.filesystemType})`;
}

function short(id: string): string {
  return id.slice(0, 8);
}
