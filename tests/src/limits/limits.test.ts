import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { UserLimits } from '../../../src/limits/limits.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

const fresh = () => `tl${randomBytes(5).toString('hex')}`;
const settings = { rateMax: 5, rateWindowSeconds: 600, maxActivePerUser: 2 };

describe('UserLimits slots (per-user concurrency with leases)', () => {
  it('gives at most 2 slots per user, renews its own, and names the next waiter on release', async () => {
    const limits = new UserLimits(redis, fresh(), settings);
    expect(await limits.acquireSlot('u', 'a')).toBe(true);
    expect(await limits.acquireSlot('u', 'b')).toBe(true);
    expect(await limits.acquireSlot('u', 'c')).toBe(false);
    expect(await limits.acquireSlot('u', 'd')).toBe(false);
    expect(await limits.acquireSlot('u', 'a')).toBe(true); // renewal of a held slot
    expect(await limits.acquireSlot('v', 'x')).toBe(true); // other users are independent
    expect(await limits.releaseSlot('u', 'a')).toBe('c'); // the longest waiter
    expect(await limits.acquireSlot('u', 'c')).toBe(true);
    expect(await limits.acquireSlot('u', 'd')).toBe(false);
    expect((await limits.activeJobs('u')).sort()).toEqual(['b', 'c']);
  });

  it('takes back the slots of a killed worker when their lease expires', async () => {
    const limits = new UserLimits(redis, fresh(), settings);
    expect(await limits.acquireSlot('u', 'dead1', 150)).toBe(true);
    expect(await limits.acquireSlot('u', 'dead2', 150)).toBe(true);
    expect(await limits.acquireSlot('u', 'next')).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect(await limits.acquireSlot('u', 'next')).toBe(true);
  });
});
