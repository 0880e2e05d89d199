import { defineConfig } from 'vitest/config'

// Every test file runs once per database: SQLite always, MySQL when TEST_MYSQL_URL is set.
// test/globalSetup.ts says loudly when the MySQL run is skipped, and fails under REQUIRE_MYSQL=1.
const databases = process.env.TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite']

export default defineConfig({
  test: {
    globalSetup: ['test/globalSetup.ts'],
    // Any connection to a host other than this machine fails the test (test/noExternalNetwork.ts).
    setupFiles: ['test/noExternalNetwork.ts'],
    reporters: ['default', './test/summaryReporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: databases.map((database) => ({
      extends: true,
      test: {
        name: database,
        include: ['config/**/*.test.ts', 'server/**/*.test.ts', 'simulator/**/*.test.ts', 'test/**/*.test.ts'],
        env: { TEST_DB: database },
      },
    })),
  },
})
