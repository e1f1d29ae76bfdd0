// Starts one real redis-server for the whole test run (unless REDIS_URL is already given) and
// exposes its URL to the test files through `inject('redisUrl')`.
import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisServerHandle } from '../../src/redis/embedded.js';

let server: RedisServerHandle | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env.TEST_REDIS_URL;
  if (!url) {
    server = await startRedisServer({ dir: '.data/test-redis', persistence: false });
    url = server.url;
  }
  project.provide('redisUrl', url);
  return async () => {
    await server?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
