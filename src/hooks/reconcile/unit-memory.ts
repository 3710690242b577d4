// Hooks: what this unit remembers between hooks, in Juju's per-unit charm state (state-get/state-set). Read once
// per hook in one call; written only when a value changed. Like relation data, Juju commits it only when the hook
// succeeds, so memory of what was written to peers never runs ahead of the peers' view.

import { inject, injectable } from 'inversify';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';

export const MEMORY_KEYS = {
  volumeId: 'volume-id',
  peerData: 'peer-data',
  workloadVersion: 'workload-version',
  downloadFailure: 'download-failure',
  /** `<version>@<target-serial>` whose services did not start on this unit: it stays on what ran before. */
  startFailed: 'start-failed',
  /** The ports this unit opened (JSON list of `port/protocol`), to close what is no longer wanted. */
  openedPorts: 'opened-ports',
  /**
   * The postgresql relation on which this unit has seen remote units (its id): a listed relation with none left is
   * then one whose units departed (going away), not one whose units have yet to join. Relation ids are never reused.
   */
  postgresJoined: 'postgres-joined',
  /** This unit's nonce on vault-kv: the provider keys its AppRole secret by it. */
  vaultKvNonce: 'vault-kv-nonce',
  /** The certificates relation: this unit's CSR, what it was for, the provider (src/domain/tls/web-tls.ts). */
  tls: 'tls',
  /** The token of this unit's peer-view cache file (a UUID: constant size whatever the number of peers). */
  peerViewToken: 'peer-view-token',
  /** The dashboards last encoded for cos-agent (fingerprint and LZMABase64 text): encoding costs a second. */
  encodedDashboards: 'encoded-dashboards',
  /** The worker defaults chosen from the machine and why (worker-defaults.ts): logged when it changes. */
  workerDefaults: 'worker-defaults',
} as const;

/** The volume this unit used for the store rooted at `root` (switching shared-storage moves to another store). */
export function volumeIdentityKey(root: string): string {
  return `${MEMORY_KEYS.volumeId}@${root}`;
}

/** What this unit last wrote to a relation's bag (its own, or the application's), as JSON. */
export function sentKey(relationId: string, app: boolean): string {
  return `${app ? 'sent-app' : 'sent'}@${relationId}`;
}

@injectable()
export class UnitMemory {
  private values: Promise<Readonly<Record<string, string>>> | undefined;

  constructor(@inject(HOOK_TOOLS) private readonly tools: HookTools) {}

  async get(key: string): Promise<string | undefined> {
    const value = (await this.load())[key];
    return value === '' ? undefined : value;
  }

  async remember(values: Readonly<Record<string, string>>): Promise<void> {
    const current = await this.load();
    const changed = Object.fromEntries(Object.entries(values).filter(([k, v]) => current[k] !== v));
    if (Object.keys(changed).length === 0) return;
    await this.tools.stateSet(changed);
    this.values = Promise.resolve({ ...current, ...changed });
  }

  private load(): Promise<Readonly<Record<string, string>>> {
    this.values ??= this.tools.stateGetAll();
    return this.values;
  }
}
