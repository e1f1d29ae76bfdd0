import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/setup/redis-server.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Test files share one redis-server; each uses its own key prefix / queue name.
    pool: 'forks',
  },
});
