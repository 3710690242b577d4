// Simulator, Concourse part: what the generic simulator must know about the concourse-ci-machine charm beyond its
// metadata. sim/model.ts applies it to every application of this charm (SimModelOptions.charmProfiles).

import type { CharmProfile } from '../model/options';

/** The charm's metadata.yaml `name`. */
export const CONCOURSE_CHARM = 'concourse-ci-machine';

export const CONCOURSE_PROFILE: CharmProfile = {
  // A worker's runtime dir is the machine's own disk, never the shared volume (src/domain/worker-layout.ts).
  localDirs: ['/var/lib/concourse-worker'],
  // The fake systemd decides a start's outcome at once: the charm need not wait for a service to stay up.
  hookEnv: { CONCOURSE_CHARM_START_SETTLE_MS: '0' },
};
