// Hooks: the `storage-status` action, what an operator runs to see who downloaded what, who uses what, free
// space and the lock holder. Read-only: it never takes the lock and never writes to the volume.

import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { formatBytes } from '../../domain/bytes';
import { describeProgress } from '../../domain/download-progress';
import { StorageProblem } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import { VOLUME_ID_KEY } from '../../domain/peer-data';
import { volumesOf } from '../../domain/peer-view';
import { MOUNT_SUMMARY_FILE } from '../../domain/shared-fs-mount';
import { describeMount } from '../../domain/volume-identity';
import { STORAGE_LOCATION } from '../../domain/volume-layout';
import { detectSharing } from '../../domain/volume-sharing';
import { parseWorkerDefaults } from '../../domain/worker-defaults';
import { DOWNLOAD_PROGRESS_MARKER, type DownloadProgressMarker } from '../../ports/download-progress-marker';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { HOOK_CONTEXT } from '../../ports/hook-values';
import { LOCK, type Lock } from '../../ports/lock';
import { MOUNT_TABLE, type MountTable } from '../../ports/mount-table';
import { PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import { RELEASE_STORE, type ReleaseStore } from '../../ports/release-store';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { UNIT_STATE_STORE, type UnitStateStore } from '../../ports/unit-state-store';
import { VOLUME_PROBE, type VolumeProbe } from '../../ports/volume-probe';
import { MEMORY_KEYS, UnitMemory } from '../reconcile/unit-memory';
import type { Handler } from '../tokens';
import { parseActionParams } from './action-params';

const paramsSchema = z.object({ verify: z.boolean().default(false) }).strict();

@injectable()
export class StorageStatusAction implements Handler {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(VOLUME_PROBE) private readonly volume: VolumeProbe,
    @inject(RELEASE_STORE) private readonly store: ReleaseStore,
    @inject(DOWNLOAD_PROGRESS_MARKER) private readonly marker: DownloadProgressMarker,
    @inject(UNIT_STATE_STORE) private readonly unitStates: UnitStateStore,
    @inject(LOCK) private readonly lock: Lock,
    @inject(PEER_RELATION) private readonly peers: PeerRelation,
    @inject(MOUNT_TABLE) private readonly mounts: MountTable,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(UnitMemory) private readonly memory: UnitMemory,
  ) {}

  async run(): Promise<void> {
    const params = parseActionParams(paramsSchema, await this.tools.actionGet());
    const facts = await this.volume.inspect();
    if (facts.state !== 'ok') {
      throw new StorageProblem('blocked', `Storage ${facts.path} is ${facts.state}: nothing to report`);
    }
    const out: Record<string, string> = {
      location: facts.path,
      'volume-id': facts.volumeId ?? '(none yet)',
      // What is mounted at the location (a shared filesystem, a Juju volume), or the machine's own directory.
      mount: await this.mounts
        .mountAt(STORAGE_LOCATION)
        .then((m) => (m === undefined ? `none: a directory on the machine's disk` : describeMount(m))),
      filesystem: facts.filesystemType,
      'network-filesystem': String(facts.networkFilesystem),
      free: formatBytes(facts.freeBytes),
      total: formatBytes(facts.totalBytes),
      current: (await this.store.currentVersion()) ?? '(none)',
      ...(await this.sharedFs()),
      ...(await this.workerDefaults()),
    };

    // The same rule the reconcile path uses (detectSharing): units whose published volume id is this one's.
    const bags = (await this.peers.exists()) ? Object.fromEntries(await this.peers.peerUnits()) : {};
    const sharing =
      facts.volumeId === undefined
        ? [this.context.unit.name]
        : detectSharing(this.context.unit.name, facts.volumeId, volumesOf(bags, VOLUME_ID_KEY)).units;
    out['units-sharing'] = sharing.join(', ');

    for (const release of await this.store.listReleases()) {
      const key = `releases.${actionKey(release.version)}`;
      const check = params.verify ? await this.store.checkRelease(release.version, { deep: true }) : undefined;
      out[`${key}.version`] = release.version;
      out[`${key}.state`] = check?.state === 'damaged' ? `damaged: ${check.reason}` : release.state;
      out[`${key}.size`] = formatBytes(release.bytes);
      if (release.publishedBy !== undefined) out[`${key}.published-by`] = release.publishedBy;
      if (release.publishedAt !== undefined) out[`${key}.published-at`] = release.publishedAt;
    }

    const progress = await this.marker.read();
    out['lock.held'] = String(await this.lock.isHeld());
    if (progress !== undefined) {
      out['lock.holder'] = progress.unit;
      out['download.version'] = progress.version;
      out['download.unit'] = progress.unit;
      out['download.progress'] = describeProgress(progress);
      out['download.started-at'] = new Date(progress.startedAt).toISOString();
    }

    for (const [dir, state] of await this.unitStates.readAll()) {
      const key = `units.${actionKey(dir)}`;
      out[`${key}.unit`] = state.unit;
      out[`${key}.roles`] = state.roles.join(',');
      out[`${key}.version`] = state.runningVersion ?? '(none)';
      if (state.workDir !== undefined) out[`${key}.work-dir`] = state.workDir;
      out[`${key}.updated-at`] = state.updatedAt;
    }

    const usage = await this.volume.usage();
    out['used.releases'] = formatBytes(usage.releaseBytes);
    out['used.volume'] = formatBytes(usage.volumeBytes);
    await this.tools.actionSet(out);
  }

  /** What this unit's worker runs with that the charm chose from the machine (or the operator set), and why. */
  private async workerDefaults(): Promise<Record<string, string>> {
    const chosen = parseWorkerDefaults(await this.memory.get(MEMORY_KEYS.workerDefaults));
    if (chosen === undefined) return {};
    return {
      'worker.host': chosen.host,
      'worker.baggageclaim-driver': chosen.driver.value,
      'worker.baggageclaim-driver-reason': chosen.driver.reason,
      'worker.dns': chosen.dns.value,
      'worker.dns-reason': chosen.dns.reason,
    };
  }

  private async sharedFs(): Promise<Record<string, string>> {
    const text = await this.files.read(MOUNT_SUMMARY_FILE);
    if (text === undefined) return {};
    let summary: z.infer<typeof MountSummarySchema>;
    try {
      summary = MountSummarySchema.parse(JSON.parse(text));
    } catch {
      return { 'shared-fs.endpoint': '(unreadable mount record)' };
    }
    return {
      'shared-fs.endpoint': summary.endpoint,
      'shared-fs.source': summary.source,
      'shared-fs.type': summary.type,
      'shared-fs.client': summary.client === 'ceph-fuse' ? 'fuse (ceph-fuse)' : `kernel (${summary.client})`,
      'shared-fs.options': summary.options,
    };
  }
}

/** What the charm mounted for the shared-fs relation (written without secrets when it mounted). */
const MountSummarySchema = z.object({
  endpoint: z.string(),
  source: z.string(),
  type: z.string(),
  client: z.string(),
  options: z.string(),
});

/** Juju action keys are lowercase letters, digits and hyphens, dots nest: `7.14.2` becomes `v7-14-2`. */
export function actionKey(name: string): string {
  const key = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return /^[a-z]/.test(key) ? key : `v${key}`;
}
