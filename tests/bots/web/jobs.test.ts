// bots/web/jobs.ts against a real redis-server, on the web's own (auto-pipelined) connection:
// the owner record is written with its expiry in one command, progress only lands on a record
// the API made, and removal leaves nothing.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { WebJobs, keyOwner } from '../../../bots/web/jobs.js';
import { createProducerConnection } from '../../../src/redis/connection.js';
import { redisKeys } from '../../../src/redis/keys.js';
import { commandsDuring } from '../../helpers/redis-monitor.js';

let redis: Redis;
beforeAll(async () => {
  redis = createProducerConnection(inject('redisUrl'));
  // It refuses commands until connected (no offline queue), as the web process does.
  if (redis.status !== 'ready') await once(redis, 'ready');
});
afterAll(() => redis.disconnect());

function fresh(ttlSeconds = 3600) {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  return { jobs: new WebJobs(redis, prefix, ttlSeconds), key: (id: string) => redisKeys(prefix).web.job(id) };
}

describe('WebJobs', () => {
  it('create writes the owner and the expiry in one command', async () => {
    const { jobs, key } = fresh(600);
    // The first call may load the script into this redis-server (EVALSHA, NOSCRIPT, EVAL).
    await jobs.create('warm-up', keyOwner('acme'));
    const sent = await commandsDuring(redis, () => jobs.create('job-1', keyOwner('acme')));
    expect(sent).toEqual(['evalsha']);
    expect(await redis.hgetall(key('job-1'))).toEqual({ owner: 'key:acme' });
    const ttl = await redis.ttl(key('job-1'));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(await jobs.get('job-1')).toEqual({ owner: 'key:acme' });
  });

  it('progress lands only on a record the API made, and keeps its owner and expiry', async () => {
    const { jobs, key } = fresh(600);
    await jobs.setProgress('unknown', { step: 'script', phase: 'running', index: 2, total: 5 });
    expect(await redis.exists(key('unknown'))).toBe(0);
    await jobs.create('job-2', keyOwner('acme'));
    await jobs.setProgress('job-2', { step: 'script', phase: 'running', index: 2, total: 5 });
    expect(await jobs.get('job-2')).toEqual({
      owner: 'key:acme',
      progress: { step: 'script', phase: 'running', index: 2, total: 5 },
    });
    expect(await redis.ttl(key('job-2'))).toBeGreaterThan(590);
  });

  it('remove leaves nothing', async () => {
    const { jobs, key } = fresh();
    await jobs.create('job-3', keyOwner('acme'));
    await jobs.remove('job-3');
    expect(await redis.exists(key('job-3'))).toBe(0);
    expect(await jobs.get('job-3')).toBeUndefined();
  });
});
