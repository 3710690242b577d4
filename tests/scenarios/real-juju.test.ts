// Scenarios on real Juju 3.6 and LXD (`npm run test:juju`): the same functions as on the simulator, each in a fresh
// model on the current controller, with the packed charm, postgresql from Charmhub and real GitHub releases.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { CHARM_PATH } from '../support/packed-charm';
import { jujuScenarioModel } from './juju-backend';
import type { ScenarioModel } from './scenario-model';
import { SCENARIOS } from './scenarios';

function version(program: string, args: string[]): string | undefined {
  try {
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

const jujuVersion = version('juju', ['version']);
const missing =
  jujuVersion === undefined
    ? '`juju` not found on PATH'
    : version('lxc', ['version']) === undefined
      ? '`lxc` not found on PATH'
      : undefined;
const title =
  missing === undefined
    ? 'plan.md scenarios on real Juju and LXD'
    : `plan.md scenarios on real Juju and LXD (skipped: ${missing}; install Juju 3.6 and LXD, bootstrap a localhost controller, then run npm run test:juju)`;
if (missing !== undefined) console.warn(title);

/** Where the shared volumes live on the LXD host: not /tmp (share-volume-lxd.sh refuses what boot empties). */
const VOLUMES_ROOT = process.env.CONCOURSE_SCENARIO_VOLUMES ?? '/var/lib/concourse-scenarios';

let model: ScenarioModel | undefined;
let failed = false;
afterEach(async () => {
  // A failed scenario's model is kept when asked, for `juju debug-log` and `juju status` (CI uploads them).
  if (!(failed && process.env.CONCOURSE_SCENARIO_KEEP_FAILED === '1')) await model?.close();
  model = undefined;
  failed = false;
});

describe.skipIf(missing !== undefined)(title, () => {
  test('the client is Juju 3.6 → the behaviour the charm and these scenarios are written against', () => {
    expect(jujuVersion).toMatch(/^3\.6\./);
  });

  for (const scenario of SCENARIOS) {
    test(scenario.name, async () => {
      model = await jujuScenarioModel({ charm: CHARM_PATH, volumesRoot: VOLUMES_ROOT });
      try {
        await scenario.run(model);
      } catch (e) {
        failed = true;
        throw e;
      }
    });
  }
});
