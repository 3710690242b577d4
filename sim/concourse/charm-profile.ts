// Simulator, Concourse part: what the generic simulator must know about the concourse-ci-machine charm beyond its
// metadata. sim/model.ts applies it to every application of this charm (SimModelOptions.charmProfiles).

import type { CharmProfile } from '../model/options';

/** The charm's metadata.yaml `name`. */
export const CONCOURSE_CHARM = 'concourse-ci-machine';

export const CONCOURSE_PROFILE: CharmProfile = {
  // A worker's runtime dir is the machine's own disk, never the shared volume (src/domain/worker-layout.ts).
  // The fake systemd decides a start's outcome at once: the charm need not wait for a service to stay up.
  hookEnv: { CONCOURSE_CHARM_START_SETTLE_MS: '0' },
  // With services recorded no process starts, so nothing serves /api/v1/info: the charm's HTTP check of a started
  // web is off there (services: 'run' keeps it on; tests/e2e/web-readiness.test.ts).
  recordedServicesHookEnv: { CONCOURSE_CHARM_WEB_READY_CHECK: 'off' },
  // The stand-in's state (running builds, events.log, migrations.log): a local dir, so tests reach it from the host
  // while a service runs (the unit's /var/lib is an overlay the host must not write under).
  localDirs: ['/var/lib/concourse-worker', '/var/lib/concourse-stand-in'],
};
