// Simulator, Concourse part: what the generic simulator must know about the concourse-ci-machine charm beyond its
// metadata. sim/model.ts applies it to every application of this charm (SimModelOptions.charmProfiles).

import type { CharmProfile } from '../model/options';

/** The charm's metadata.yaml `name`. */
export const CONCOURSE_CHARM = 'concourse-ci-machine';

export const CONCOURSE_PROFILE: CharmProfile = {
  // A worker's runtime dir is the machine's own disk, never the shared volume (src/domain/worker-layout.ts).
  localDirs: ['/var/lib/concourse-worker'],
  // The fake systemd decides a start's outcome at once: the charm need not wait for a service to stay up. It starts
  // no process either, so nothing serves /api/v1/info: the charm's HTTP check of a started web is off (it is tested
  // against real HTTP in tests/adapters/undici-web-probe.test.ts and at hook level in tests/unit/service-applier).
  hookEnv: { CONCOURSE_CHARM_START_SETTLE_MS: '0', CONCOURSE_CHARM_WEB_READY_CHECK: 'off' },
};
