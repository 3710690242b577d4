// Scenarios on the simulator: every plan.md scenario, the same functions `npm run test:juju` runs on real Juju,
// each in a fresh simulated model with its own loopback release server.
import { afterEach, describe, test } from 'vitest';
import type { ScenarioModel } from './scenario-model';
import { SCENARIO_VERSIONS, SCENARIOS } from './scenarios';
import { simScenarioModel } from './sim-backend';

let model: ScenarioModel | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
});

describe('plan.md scenarios on the simulator', () => {
  for (const scenario of SCENARIOS) {
    test(scenario.name, async () => {
      model = await simScenarioModel(SCENARIO_VERSIONS);
      await scenario.run(model);
    });
  }
});
