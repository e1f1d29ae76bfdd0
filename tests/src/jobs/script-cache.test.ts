import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createScriptCache, scriptCacheKey } from '../../../src/jobs/script-cache.js';
import type { ScriptResult } from '../../../pipeline/job.js';

let redis: Redis;
const prefix = `test-cache-${randomUUID()}`;

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const result: ScriptResult = {
  text: 'Hello there.',
  scenes: [{ text: 'Hello there.', pages: [1] }],
  language: 'en',
  words: 2,
  estimatedSeconds: 1,
  provider: 'openrouter',
  model: 'openai/gpt-4o-mini',
  costUsd: 0.001,
  cached: false,
};

describe('script cache', () => {
  it('stores per PDF and options, with a TTL, and marks hits as cached and free', async () => {
    const cache = createScriptCache(redis, prefix, 600);
    const key = { language: 'en', provider: 'openrouter' as const, model: 'openai/gpt-4o-mini' };
    expect(await cache.get('abc', key)).toBeUndefined();
    await cache.set('abc', key, result);
    expect(await cache.get('abc', key)).toEqual({ ...result, cached: true, costUsd: 0 });
    expect(await cache.get('abc', { ...key, language: 'ar' })).toBeUndefined();
    expect(await cache.get('abd', key)).toBeUndefined();
    expect(await cache.get('abc', { ...key, model: 'other/model' })).toBeUndefined();
    const ttl = await redis.ttl(scriptCacheKey(prefix, 'abc', key));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(scriptCacheKey(prefix, 'abc', key)).toMatch(new RegExp(`^${prefix}:script:[0-9a-f]{64}$`));
  });

  it('treats an unreadable entry as a miss', async () => {
    const cache = createScriptCache(redis, prefix);
    const key = { language: 'en', provider: 'local' as const };
    await redis.set(scriptCacheKey(prefix, 'bad', key), '{not json');
    expect(await cache.get('bad', key)).toBeUndefined();
  });
});
