// Domain: the peer relation's endpoint and every key this charm writes in its bags, in one module, so a key is
// spelt once and what each bag holds can be read in one place. Values are strings at this edge only.

/** The peer endpoint's name in metadata.yaml. */
export const PEER_ENDPOINT = 'peers';

// Each unit's own bag.
/** The roles this unit runs, comma-separated (`web`, `worker`); published first in every hook. */
export const ROLES_KEY = 'roles';
/** The Concourse version this unit's services run. */
export const RUNNING_VERSION_KEY = 'running-version';
/** The id of the volume this unit's release store is on (who shares a volume). */
export const VOLUME_ID_KEY = 'volume-id';

// The application bag (the leader writes it).
/** The version every unit should end on. */
export const TARGET_VERSION_KEY = 'target-version';
/** The config `version` the leader last turned into a target: a config change re-targets, an action's target stays. */
export const CONFIG_VERSION_KEY = 'config-version';
/** Bumped by the leader each time it sets a target (even the same one again): retrying a failed switch is asking. */
export const TARGET_SERIAL_KEY = 'target-serial';
/** The URI of the secret holding the web keys (written by the leader with the secret, in one hook). */
export const WEB_KEYS_SECRET_KEY = 'web-keys-secret';
