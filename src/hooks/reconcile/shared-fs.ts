// Hooks: the `shared-fs` relation (interface filesystem_info): mounts the provider's NFS export or CephFS at the
// storage location through a systemd mount unit, remounts when the endpoint changes, and unmounts when the relation
// is gone. Runs first in the reconcile path; adopting what is then mounted is the volume check's job (judgeVolume).

import { inject, injectable } from 'inversify';
import { WEB_SERVICE, WORKER_SERVICE } from '../../domain/concourse-services';
import { CharmProblem } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import { type CephAuth, parseFilesystemEndpoint } from '../../domain/shared-fs-endpoint';
import {
  CEPH_CONF_FILE,
  CEPH_KEYRING_FILE,
  CEPH_SECRET_FILE,
  CLIENT_PACKAGES,
  chooseClient,
  MANAGED_MARKER,
  MOUNT_SUMMARY_FILE,
  mountSpec,
  mountUnitName,
  renderMountFiles,
} from '../../domain/shared-fs-mount';
import { privateStoreRoot, STORAGE_LOCATION } from '../../domain/volume-layout';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { HOOK_CONTEXT } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { SERVICE_MANAGER, type ServiceManager } from '../../ports/service-manager';
import {
  MOUNT_HOST,
  MOUNT_UNITS,
  MountFailedError,
  type MountHost,
  type MountUnits,
  PACKAGE_INSTALLER,
  type PackageInstaller,
} from '../../ports/shared-fs-host';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { ServiceApplier } from './service-applier';
import { UnitMemory, volumeIdentityKey } from './unit-memory';

export const SHARED_FS_ENDPOINT = 'shared-fs';
const MOUNT_UNIT = mountUnitName(STORAGE_LOCATION);
const MOUNT_UNIT_FILE = `/etc/systemd/system/${MOUNT_UNIT}`;
const CEPHX_KEY = /^[A-Za-z0-9+/]{16,256}={0,2}$/;

@injectable()
export class SharedFsMount {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(SERVICE_MANAGER) private readonly systemd: ServiceManager,
    @inject(MOUNT_UNITS) private readonly mountUnits: MountUnits,
    @inject(MOUNT_HOST) private readonly host: MountHost,
    @inject(PACKAGE_INSTALLER) private readonly packages: PackageInstaller,
    @inject(ServiceApplier) private readonly services: ServiceApplier,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Makes what is mounted at the storage location match the relation: mounted, remounted, or released. */
  async converge(): Promise<void> {
    const existing = await this.files.read(MOUNT_UNIT_FILE);
    const ours = existing?.startsWith(MANAGED_MARKER) === true;
    const relation = await this.relation();
    if (relation === undefined) {
      if (ours) await this.release();
      return;
    }
    const bag = await this.tools.relationGet(relation.id, relation.app, { app: true });
    const endpoint = bag.endpoint;
    if (endpoint === undefined || endpoint === '') {
      // A provider that has not answered yet; a mount made from its earlier answer stays.
      if (ours) return;
      throw new CharmProblem('waiting', `Waiting for ${relation.app} to share its filesystem endpoint (shared-fs)`);
    }
    const fs = parseFilesystemEndpoint(endpoint, relation.app);
    const client = chooseClient(fs, await this.host.filesystemFacts());
    const spec = mountSpec(fs, client);
    const key = fs.kind === 'cephfs' ? await this.cephKey(fs.auth, relation.app) : undefined;
    const rendered = renderMountFiles(fs, spec, STORAGE_LOCATION, key);
    const unitFile = rendered.find((f) => f.path === MOUNT_UNIT_FILE);
    const active = ours && (await this.systemd.isActive(MOUNT_UNIT));
    if (active && unitFile?.content === existing) {
      // Same mount; a rotated key is written for the next mount (a mounted client keeps its session).
      for (const file of rendered) await this.files.write(file);
      return;
    }
    if (active) {
      this.logger.info('shared-fs.remount', { endpoint: spec.endpoint });
      await this.stopServices();
      await this.unmount();
    }
    const installed = await this.installClient(client);
    if (installed.length > 0) this.logger.info('shared-fs.packages.installed', { packages: installed.join(',') });
    // Files of another client (kernel ↔ fuse) must not linger with a key in them.
    for (const stale of [CEPH_SECRET_FILE, CEPH_KEYRING_FILE, CEPH_CONF_FILE]) {
      if (!rendered.some((f) => f.path === stale)) await this.files.remove(stale);
    }
    for (const file of rendered) await this.files.write(file);
    await this.systemd.daemonReload();
    await this.systemd.enable(MOUNT_UNIT);
    await this.tools.statusSet('maintenance', `Mounting ${spec.endpoint}`);
    try {
      await this.mountUnits.mount(MOUNT_UNIT, STORAGE_LOCATION);
    } catch (error) {
      if (!(error instanceof MountFailedError)) throw error;
      this.logger.error('shared-fs.mount.failed', { endpoint: spec.endpoint, client, error: error.detail });
      throw new CharmProblem('blocked', `Mounting ${spec.endpoint} failed: ${error.detail}`);
    }
    this.logger.info('shared-fs.mounted', { endpoint: spec.endpoint, client, type: spec.type, options: spec.options });
  }

  /** The shared-fs relation and its provider, unless it is gone (or being broken in this very hook). */
  private async relation(): Promise<{ readonly id: string; readonly app: string } | undefined> {
    const broken =
      this.context.relation?.endpoint === SHARED_FS_ENDPOINT && this.context.event.name.endsWith('-relation-broken')
        ? this.context.relation.id
        : undefined;
    const id = (await this.tools.relationIds(SHARED_FS_ENDPOINT)).find((r) => r !== broken);
    if (id === undefined) return undefined;
    const app = await this.tools.relationRemoteApp(id);
    return app === undefined ? undefined : { id, app };
  }

  private async cephKey(auth: CephAuth, provider: string): Promise<string> {
    if (auth.kind === 'plain') return auth.key;
    // As the provider's lib reads it (filesystem_info.py CephfsInfo.from_uri: get_content(refresh=True)), so a key
    // the provider rotated is followed: `secret-get <id> --refresh`, content key `key`.
    const content = await this.tools.secretGet({ id: auth.secretId }, { refresh: true });
    if (content === undefined) {
      throw new CharmProblem(
        'blocked',
        `The Ceph key from ${provider} cannot be read (secret ${auth.secretId} not granted or removed): ` +
          `juju remove-relation ${this.context.unit.app} ${provider}, then integrate again`,
      );
    }
    const key = content.key;
    if (key === undefined || !CEPHX_KEY.test(key)) {
      throw new CharmProblem('blocked', `The secret ${auth.secretId} from ${provider} holds no cephx key under "key"`);
    }
    return key;
  }

  private async installClient(client: keyof typeof CLIENT_PACKAGES): Promise<readonly string[]> {
    const need = CLIENT_PACKAGES[client];
    try {
      return await this.packages.ensure([need]);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new CharmProblem('blocked', `Installing ${need.pkg} for the shared-fs mount failed: ${detail}`);
    }
  }

  /** The relation is gone: services off the mount, unmount, forget it; the local directory is used again. */
  private async release(): Promise<void> {
    const endpoint = await this.mountedEndpoint();
    await this.stopServices();
    await this.unmount();
    await this.systemd.disable(MOUNT_UNIT);
    for (const path of [MOUNT_UNIT_FILE, CEPH_SECRET_FILE, CEPH_KEYRING_FILE, CEPH_CONF_FILE, MOUNT_SUMMARY_FILE]) {
      await this.files.remove(path);
    }
    await this.systemd.daemonReload();
    // What shows through now is the machine's own directory, chosen by the operator: a fresh start, not a lost mount.
    await this.memory.remember({
      [volumeIdentityKey(STORAGE_LOCATION)]: '',
      [volumeIdentityKey(privateStoreRoot(this.context.unit.dirName))]: '',
    });
    this.logger.info('shared-fs.released', { endpoint, location: STORAGE_LOCATION });
    await this.tools.statusSet(
      'maintenance',
      `Unmounted ${endpoint} (shared-fs relation removed): back on the local directory ${STORAGE_LOCATION}`,
    );
  }

  private async unmount(): Promise<void> {
    try {
      await this.mountUnits.unmount(MOUNT_UNIT);
    } catch (error) {
      if (!(error instanceof MountFailedError)) throw error;
      throw new CharmProblem('blocked', `Unmounting ${STORAGE_LOCATION} failed: ${error.detail}`);
    }
  }

  /** Running binaries and the worker's files live on the mount: nothing may hold it while it goes. */
  private async stopServices(): Promise<void> {
    await this.services.apply(WORKER_SERVICE, undefined);
    await this.services.apply(WEB_SERVICE, undefined);
  }

  private async mountedEndpoint(): Promise<string> {
    const text = await this.files.read(MOUNT_SUMMARY_FILE);
    try {
      const endpoint: unknown = text === undefined ? undefined : JSON.parse(text).endpoint;
      return typeof endpoint === 'string' ? endpoint : STORAGE_LOCATION;
    } catch {
      return STORAGE_LOCATION;
    }
  }
}
