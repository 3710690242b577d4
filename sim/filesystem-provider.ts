// Simulator: a stand-in `filesystem_info` provider (nfs-server-proxy, cephfs-server-proxy): a stub application whose
// leader puts one `endpoint` URI in its application bag and, for CephFS, owns a secret holding the cephx key that it
// grants to the requirer over the relation. Modelled on charmed-hpc/filesystem-charms
// lib/charms/filesystem_client/v0/filesystem_info.py (CephfsInfo.to_uri: `auth=<secret id>&auth-rev=<revision>`,
// the secret's content `{key}`, labelled `auth`; FilesystemProvides.set_info grants it, then sets `endpoint`).
// NFS exports are directories under `<sim root>/nfs-exports/<host>/<path>`, served by the `mount.nfs` stand-in.

import { mkdir } from 'node:fs/promises';
import type { SimModel } from './model';
import { nfsExportDir } from './net-mounts';

export interface CephfsOffer {
  readonly user: string;
  readonly monitors: readonly string[];
  readonly path: string;
  readonly fsid: string;
  readonly fsName: string;
  readonly key: string;
}

export interface FilesystemProvider {
  readonly app: string;
  readonly relationId: string;
}

/** Deploys the stand-in (once) and integrates `<app>:shared-fs` with it; nothing is offered until offer*(). */
export async function relateFilesystemProvider(
  sim: SimModel,
  app: string,
  provider: string,
): Promise<FilesystemProvider> {
  if (!sim.status().apps.some((a) => a.name === provider)) {
    await sim.deployStub(provider, {
      endpoints: { filesystem: { interface: 'filesystem_info', role: 'provides' } },
    });
  }
  const relationId = await sim.integrate(`${app}:shared-fs`, `${provider}:filesystem`);
  return { app: provider, relationId };
}

/** The CephFS URI as the lib writes it, with the key in a granted secret. Returns the secret's URI. */
export async function offerCephfs(sim: SimModel, p: FilesystemProvider, offer: CephfsOffer): Promise<string> {
  const secret = await sim.addSecret(p.app, { key: offer.key }, { label: 'auth' });
  await sim.grantSecret(secret, p.relationId);
  const query = new URLSearchParams({ fsid: offer.fsid, name: offer.fsName, auth: secret, 'auth-rev': '1' });
  const hosts = offer.monitors.join(',');
  await sim.setRelationData(p.relationId, p.app, {
    endpoint: `cephfs://${encodeURIComponent(offer.user)}@(${hosts})${encodeURI(offer.path)}?${query.toString()}`,
  });
  return secret;
}

/** An NFS export: its directory is created (the server's export), then `endpoint` is set. Returns the directory. */
export async function offerNfs(
  sim: SimModel,
  p: FilesystemProvider,
  server: { readonly host: string; readonly port?: number; readonly path: string },
): Promise<string> {
  const dir = nfsExportDir(sim.root, `${server.host}:${server.path}`);
  if (dir === undefined) throw new Error(`not an NFS export the stand-in can serve: ${server.host}:${server.path}`);
  await mkdir(dir, { recursive: true });
  const host = server.port === undefined ? server.host : `${server.host}:${server.port}`;
  await sim.setRelationData(p.relationId, p.app, { endpoint: `nfs://(${host})${server.path}` });
  return dir;
}

/** The provider's leader sets any endpoint text (tests of what the charm refuses). */
export async function offerEndpoint(sim: SimModel, p: FilesystemProvider, endpoint: string): Promise<void> {
  await sim.setRelationData(p.relationId, p.app, { endpoint });
}
