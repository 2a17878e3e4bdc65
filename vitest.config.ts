import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests, and end-to-end tests that share one real Synapse and one real
// Postgres per run (started by the global setup) with a fresh database and appservice per file.
export default defineConfig({
  test: {
    teardownTimeout: 60_000,
    // A dependency of the Matrix SDK uses a deprecated Node API at import; the warning is noise.
    execArgv: ['--disable-warning=DEP0060'],
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          pool: 'forks',
          maxWorkers: 2,
        },
      },
      {
        // Fault injection (npm run test:faults): each file starts its own Postgres, Synapse and
        // bridge process, kills and restarts them; one file at a time, minutes each.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 1_200_000,
          hookTimeout: 300_000,
          pool: 'forks',
          maxWorkers: 1,
          fileParallelism: false,
        },
      },
    ],
  },
});
