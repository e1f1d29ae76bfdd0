import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/setup/redis-server.ts'],
    // Ceilings, not assertions: a whole job (extract, script, speech, compose) under a loaded CI machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Test files share one redis-server; each uses its own key prefix / queue name.
    pool: 'forks',
  },
});
