import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runScript } from '../../../../src/redis/scripts.js';
import { RATE_WINDOW } from '../../../../src/redis/scripts/rate-window.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

const fresh = () => `rw${randomBytes(5).toString('hex')}`;
const state = async (key: string, since: number, max: number) => {
  const [used, edge] = await runScript<[number, string]>(redis, RATE_WINDOW, [key], [since, max]);
  return { used, edge };
};

describe('rateWindow script', () => {
  it('says an empty window is empty', async () => {
    expect(await state(fresh(), 0, 5)).toEqual({ used: 0, edge: '' });
  });

  it('counts only the entries in the window; while there is room the edge is the oldest of them', async () => {
    const key = fresh();
    await redis.zadd(key, 100, 'old', 1000, 'a', 2000, 'b', 3000, 'c');
    expect(await state(key, 500, 5)).toEqual({ used: 3, edge: '1000' });
  });

  it('in a full window the edge is the entry whose leaving lets the next request in', async () => {
    const key = fresh();
    // 8 entries in the window, max 5: the next place frees when the 4th oldest (index 8 - 5) leaves.
    await redis.zadd(key, ...Array.from({ length: 8 }, (_, i) => [1000 * (i + 1), `j${i}`]).flat());
    expect(await state(key, 0, 5)).toEqual({ used: 8, edge: '4000' });
    expect(await state(key, 0, 8)).toEqual({ used: 8, edge: '1000' });
  });

  it('reads a window of 10,000 entries with a limit of 10,000 without returning them', async () => {
    const key = fresh();
    const args: (string | number)[] = [];
    for (let i = 0; i < 10_000; i++) args.push(i + 1, `j${i}`);
    await redis.zadd(key, ...args);
    expect(await state(key, 0, 10_000)).toEqual({ used: 10_000, edge: '1' });
    expect(await state(key, 5001, 10_000)).toEqual({ used: 5000, edge: '5001' });
  });
});
