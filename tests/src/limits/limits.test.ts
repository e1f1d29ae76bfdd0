import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import fc from 'fast-check';
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

describe('UserLimits.admit (sliding window + dedupe)', () => {
  it('accepts 5 per 10 minutes, refuses the 6th with the time until a slot frees', async () => {
    let now = 1_000_000;
    const limits = new UserLimits(redis, fresh(), settings, () => now);
    for (let i = 0; i < 5; i++) {
      expect((await limits.admit('u1', `req${i}`, `job${i}`)).status).toBe('accepted');
      now += 60_000;
    }
    const sixth = await limits.admit('u1', 'req5', 'job5');
    expect(sixth.status).toBe('limited');
    // The first request (at 1_000_000) leaves the window at 1_600_000; now is 1_300_000.
    expect(sixth.status === 'limited' && Math.round(sixth.retryAfterMs / 1000)).toBe(300);
    // Another user is not affected.
    expect((await limits.admit('u2', 'other', 'jobx')).status).toBe('accepted');
  });

  it('is a sliding window: no burst of 10 across a fixed-window edge', async () => {
    let now = 10 * 600_000 - 1_000; // just before a fixed-window boundary
    const limits = new UserLimits(redis, fresh(), settings, () => now);
    const results: string[] = [];
    for (let i = 0; i < 5; i++) results.push((await limits.admit('u', `a${i}`, `a${i}`)).status);
    now += 2_000; // just after the boundary
    for (let i = 0; i < 5; i++) results.push((await limits.admit('u', `b${i}`, `b${i}`)).status);
    expect(results.filter((r) => r === 'accepted')).toHaveLength(5);
  });

  it('never counts a duplicate request twice, and names the original job', async () => {
    let now = 5_000_000;
    const limits = new UserLimits(redis, fresh(), settings, () => now);
    expect(await limits.admit('u', 'same', 'j1')).toEqual({ status: 'accepted', jobId: 'j1' });
    for (let i = 0; i < 10; i++) expect(await limits.admit('u', 'same', 'j1')).toEqual({ status: 'duplicate', jobId: 'j1' });
    for (let i = 0; i < 4; i++) expect((await limits.admit('u', `n${i}`, `n${i}`)).status).toBe('accepted');
    expect((await limits.admit('u', 'n5', 'n5')).status).toBe('limited');
  });

  it('matches a model of the exact sliding window for any request sequence (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ user: fc.integer({ min: 0, max: 2 }), gap: fc.integer({ min: 0, max: 200_000 }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 6 }),
        async (requests, max) => {
          const windowMs = 600_000;
          let now = 1_000_000;
          const limits = new UserLimits(redis, fresh(), { ...settings, rateMax: max }, () => now);
          const accepted: Record<number, number[]> = {};
          let i = 0;
          for (const r of requests) {
            now += r.gap;
            const inWindow = (accepted[r.user] ??= []).filter((t) => t > now - windowMs);
            const expected = inWindow.length < max ? 'accepted' : 'limited';
            const got = await limits.admit(`u${r.user}`, `r${i}`, `j${i}`);
            i++;
            expect(got.status).toBe(expected);
            if (got.status === 'accepted') accepted[r.user]!.push(now);
            if (got.status === 'limited') {
              // Waiting exactly retryAfter frees a place.
              const oldestBlocking = inWindow[inWindow.length - max]!;
              expect(got.retryAfterMs).toBe(oldestBlocking + windowMs - now + 1);
            }
          }
          // Invariant: no window of windowMs holds more than max accepted requests of one user.
          for (const times of Object.values(accepted)) {
            for (let a = 0; a < times.length; a++) {
              const inSpan = times.filter((t) => t >= times[a]! && t < times[a]! + windowMs).length;
              expect(inSpan).toBeLessThanOrEqual(max);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

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
