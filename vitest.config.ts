import { defineConfig } from 'vitest/config';

// Four layers (CONVENTIONS.md): pure domain tests, hook tests (the real per-hook container over in-memory Juju,
// volume and systemd: no root, no simulator), adapter tests against real files, processes and loopback HTTP, and
// end-to-end tests that drive the packed charm through `dispatch` in the simulated model, two files at a time.
// The unit and hook tests share no state between files (every fake is made per test), so they run without a fresh
// module graph per file: that halves their time (the target is under 30 s as a normal user).
export default defineConfig({
  test: {
    // Two files at a time in every project (vitest wants one worker count for projects that run together). For the
    // e2e files that is the point: a simulated model mostly waits (hooks, locks, drains, downloads), about 0.7 of a
    // core per file on 2 cores, and every file makes its own model, volumes, servers and free ports.
    maxWorkers: 2,
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], testTimeout: 5_000, isolate: false } },
      { test: { name: 'hooks', include: ['tests/hooks/**/*.test.ts'], testTimeout: 10_000, isolate: false } },
      {
        test: { name: 'adapters', include: ['tests/adapters/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
      {
        // plan.md's deployment scenarios on the simulator; `npm run test:juju` runs the same ones on real Juju.
        test: {
          name: 'scenarios',
          include: ['tests/scenarios/**/*.test.ts'],
          exclude: ['tests/scenarios/real-juju.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
