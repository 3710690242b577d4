// Simulator: where a unit's storage (`concourse-data`, at /var/lib/concourse) comes from. The model binds the host
// path a provider gives into the unit's mount namespace, so one provider can share one filesystem between units
// (a bind of one dir, a tmpfs of a given size, one sshfs mount per unit of a loopback export).

export interface VolumeProvider {
  readonly name: string;
  /** Called once per model before the first hostPathFor; `simRoot` is the model's root dir. Idempotent. */
  open?(simRoot: string): Promise<void>;
  /** The host path to bind at the unit's storage location; may mount something for this unit. */
  hostPathFor(unit: string): Promise<string>;
  /** The unit is gone: undo whatever hostPathFor did for it. Its data on a shared volume stays. */
  release(unit: string): Promise<void>;
  /** Unmount and forget everything this provider made; called by SimModel.close(), also after failures. */
  close(): Promise<void>;
}
