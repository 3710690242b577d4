import { defineConfig } from 'vitest/config';

// `npm run test:juju`: plan.md's scenarios on real Juju 3.6 and LXD (tests/scenarios/real-juju.test.ts), one model at
// a time; a scenario deploys real machines and downloads real releases, so its bound is an hour, not minutes.
export default defineConfig({
  test: {
    name: 'juju',
    include: ['tests/scenarios/real-juju.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
