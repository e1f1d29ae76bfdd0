// Cost arithmetic (pure) and the Redis ledger that counts each job once.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Checkpoint, ScriptResult } from '../../pipeline/job.js';
import {
  CostLedger,
  LEDGER_TTL_SECONDS,
  jobCost,
  llmCostUsd,
  opsKeys,
  utcDay,
  videoCostUsd,
  workspaceOf,
} from '../../src/ops/costs.js';

const script = (over: Partial<ScriptResult> = {}): ScriptResult => ({
  text: 'x',
  language: 'en',
  words: 200,
  estimatedSeconds: 80,
  provider: 'openrouter',
  model: 'm',
  costUsd: 0.0042,
  cached: false,
  ...over,
});
const render = { provider: 'd-id' as const, videoId: 'v', createdAt: 0, deadline: 1 };

describe('utcDay', () => {
  it('names the UTC day of any moment, in any order of asking (it keeps the last day)', () => {
    const moment = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) });
    // Runs of nearby moments (the cache's case) and far jumps, including midnight exactly.
    const around = fc.tuple(moment, fc.array(fc.integer({ min: -2 * 86_400_000, max: 2 * 86_400_000 }), { maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(around, { minLength: 1, maxLength: 6 }), (runs) => {
        for (const [base, offsets] of runs) {
          const midnight = base - (base % 86_400_000);
          for (const t of [base, ...offsets.map((o) => base + o), midnight, midnight - 1, midnight + 86_400_000]) {
            expect(utcDay(t)).toBe(new Date(t).toISOString().slice(0, 10));
            expect(utcDay(new Date(t))).toBe(new Date(t).toISOString().slice(0, 10));
          }
        }
      }),
    );
  });
});

describe('cost arithmetic', () => {
  it('takes the LLM cost from OpenRouter usage.cost, and nothing for cached or local scripts', () => {
    expect(llmCostUsd(script())).toBe(0.0042);
    expect(llmCostUsd(script({ cached: true }))).toBe(0);
    expect(llmCostUsd(script({ provider: 'local', costUsd: 0.5 }))).toBe(0);
    expect(llmCostUsd(script({ costUsd: undefined }))).toBe(0);
    expect(llmCostUsd(script({ costUsd: Number.NaN }))).toBe(0);
    expect(llmCostUsd(undefined)).toBe(0);
  });

  it('prices D-ID video per second at the per-minute price, rounding up to whole seconds', () => {
    expect(videoCostUsd(60, 0.5)).toBe(0.5);
    expect(videoCostUsd(90, 0.5)).toBe(0.75);
    expect(videoCostUsd(40, 0.6)).toBeCloseTo(0.4, 10);
    // 40.2 s is billed as 41 s, not as a whole started minute.
    expect(videoCostUsd(40.2, 0.6)).toBeCloseTo(0.41, 10);
    expect(videoCostUsd(30, 0.5, 'local')).toBe(0);
    expect(videoCostUsd(undefined, 0.5)).toBe(0);
    expect(videoCostUsd(0, 0.5)).toBe(0);
    // Never more than D-ID's 5-minute cap.
    expect(videoCostUsd(10_000, 1)).toBe(5);
  });

  it('adds up a completed job from its checkpoint', () => {
    const cp: Checkpoint = { script: script(), render, wait: { resultUrl: 'u', durationSeconds: 72, polls: 2 } };
    expect(jobCost(cp, { pricePerMinuteUsd: 0.5, outcome: 'completed' })).toEqual({
      llmUsd: 0.0042,
      videoUsd: 0.6,
      totalUsd: 0.6042,
    });
  });

  it('uses the script estimate when D-ID reported no duration, and says so', () => {
    const cp: Checkpoint = { script: script({ estimatedSeconds: 60 }), render, wait: { resultUrl: 'u', polls: 1 } };
    expect(jobCost(cp, { pricePerMinuteUsd: 0.5, outcome: 'completed' })).toEqual({
      llmUsd: 0.0042,
      videoUsd: 0.5,
      totalUsd: 0.5042,
      videoEstimated: true,
    });
  });

  it('counts no video for a render that failed, and the estimate for one that timed out or was cancelled', () => {
    const cp: Checkpoint = { script: script({ estimatedSeconds: 60 }), render };
    expect(jobCost(cp, { pricePerMinuteUsd: 0.5, outcome: 'failed', code: 'VIDEO_FAILED' }).videoUsd).toBe(0);
    expect(jobCost(cp, { pricePerMinuteUsd: 0.5, outcome: 'failed', code: 'VIDEO_REJECTED' }).videoUsd).toBe(0);
    expect(jobCost(cp, { pricePerMinuteUsd: 0.5, outcome: 'failed', code: 'VIDEO_TIMEOUT' }).videoUsd).toBe(0.5);
    expect(jobCost(cp, { pricePerMinuteUsd: 0.5, outcome: 'cancelled', code: 'CANCELLED' }).videoUsd).toBe(0.5);
    // Failed before any render: only the script.
    expect(jobCost({ script: script() }, { pricePerMinuteUsd: 0.5, outcome: 'failed', code: 'INTERNAL' })).toEqual({
      llmUsd: 0.0042,
      videoUsd: 0,
      totalUsd: 0.0042,
    });
  });

  it('costs nothing with the offline providers', () => {
    const cp: Checkpoint = {
      script: script({ provider: 'local', costUsd: 0 }),
      render: { ...render, provider: 'local' },
      wait: { resultUrl: 'u', durationSeconds: 90, polls: 1 },
    };
    expect(jobCost(cp, { pricePerMinuteUsd: 0.5 }).totalUsd).toBe(0);
  });

  it('names the workspace and the UTC day', () => {
    expect(workspaceOf({ platform: 'slack', userKey: 'T1:U1', userId: 'U1', chatId: 'C1', teamId: 'T1' })).toBe('slack:T1');
    expect(workspaceOf({ platform: 'slack', userKey: 'T9:U1', userId: 'U1', chatId: 'C1' })).toBe('slack:T9');
    expect(workspaceOf({ platform: 'telegram', userKey: '42', userId: '42', chatId: '-100' })).toBe('telegram:-100');
    expect(workspaceOf({ platform: 'cli', userKey: 'cli:me', userId: 'me', chatId: 'cli' })).toBe('cli');
    // The web: an API key is its own workspace (by its name); anonymous browsers share one.
    expect(workspaceOf({ platform: 'web', userKey: 'web:key:acme', userId: 'acme', chatId: 'abcdefghij' })).toBe('web:key:acme');
    expect(workspaceOf({ platform: 'web', userKey: 'web:ip:203.0.113.7', userId: 'browser', chatId: 'bcdefghijk' })).toBe(
      'web:public',
    );
    expect(utcDay(Date.UTC(2025, 0, 31, 23, 59, 59))).toBe('2025-01-31');
    expect(utcDay(Date.UTC(2025, 1, 1, 0, 0, 0))).toBe('2025-02-01');
  });
});

describe('CostLedger', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.disconnect());
  const fresh = () => new CostLedger(redis, `t${randomBytes(5).toString('hex')}`);
  const at = Date.UTC(2025, 5, 1, 12);
  const day = '2025-06-01';

  it("records a job's cost once even when it is recorded twice", async () => {
    const ledger = fresh();
    const entry = {
      jobId: 'job1',
      userKey: 'u1',
      workspace: 'slack:T1',
      outcome: 'completed' as const,
      cost: { llmUsd: 0.01, videoUsd: 0.5, totalUsd: 0.51 },
      at,
    };
    expect(await ledger.record(entry)).toBe(true);
    expect(await ledger.record(entry)).toBe(false);
    // Two settles racing (a redelivered job): still once.
    const both = await Promise.all([ledger.record({ ...entry, jobId: 'job2' }), ledger.record({ ...entry, jobId: 'job2' })]);
    expect(both.sort()).toEqual([false, true]);

    expect(await ledger.spent(day, 'u1')).toEqual({ totalUsd: 1.02, userUsd: 1.02 });
    const h = await ledger.day(day);
    expect(Number(h.jobs)).toBe(2);
    expect(Number(h.completed)).toBe(2);
    expect(Number(h.llm_usd)).toBeCloseTo(0.02, 10);
    expect(Number(h.video_usd)).toBeCloseTo(1, 10);
    const k = opsKeys(ledger.prefix);
    expect(Number(await redis.zscore(k.workspaceCost(day), 'slack:T1'))).toBeCloseTo(1.02, 10);
    expect(Number(await redis.zscore(k.userJobs(day), 'u1'))).toBe(2);
    // Stored with the job, and kept for a while, not forever.
    expect(await ledger.costOf('job1')).toMatchObject({ totalUsd: 0.51, llmUsd: 0.01, videoUsd: 0.5, day, outcome: 'completed' });
    const ttl = await redis.ttl(k.day(day));
    expect(ttl).toBeGreaterThan(LEDGER_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(LEDGER_TTL_SECONDS);
  });

  it('sums per user and per day, and counts failures by code', async () => {
    const ledger = fresh();
    const base = { workspace: 'telegram:1', cost: { llmUsd: 0, videoUsd: 0, totalUsd: 0 }, at };
    await ledger.record({
      ...base,
      jobId: 'a',
      userKey: 'u1',
      outcome: 'completed',
      cost: { llmUsd: 0.1, videoUsd: 0.2, totalUsd: 0.3 },
    });
    await ledger.record({ ...base, jobId: 'b', userKey: 'u2', outcome: 'failed', code: 'VIDEO_FAILED' });
    await ledger.record({ ...base, jobId: 'c', userKey: 'u2', outcome: 'failed', code: 'VIDEO_FAILED' });
    await ledger.record({ ...base, jobId: 'd', userKey: 'u2', outcome: 'cancelled', code: 'CANCELLED' });
    // Another day is another bucket.
    await ledger.record({
      ...base,
      jobId: 'e',
      userKey: 'u1',
      outcome: 'completed',
      cost: { llmUsd: 0, videoUsd: 1, totalUsd: 1 },
      at: at + 86_400_000,
    });

    const h = await ledger.day(day);
    expect(h).toMatchObject({
      jobs: '4',
      completed: '1',
      failed: '2',
      cancelled: '1',
      'code:VIDEO_FAILED': '2',
      'code:CANCELLED': '1',
    });
    expect(await ledger.spent(day, 'u1')).toEqual({ totalUsd: 0.3, userUsd: 0.3 });
    expect(await ledger.spent(day, 'u2')).toEqual({ totalUsd: 0.3, userUsd: 0 });
    expect(await ledger.spent('2025-06-02', 'u1')).toEqual({ totalUsd: 1, userUsd: 1 });
  });

  it("drops the job's budget reservation when it records the job (first time or not)", async () => {
    const ledger = fresh();
    const k = ledger.keys;
    await redis.hset(k.reservations, 'j1', JSON.stringify({ usd: 1.55, user: 'u1' }));
    await redis.zadd(k.reservationExpiry, Date.now() + 60_000, 'j1');
    await ledger.record({
      jobId: 'j1',
      userKey: 'u1',
      workspace: 'cli',
      outcome: 'completed',
      cost: { llmUsd: 0, videoUsd: 0.5, totalUsd: 0.5 },
    });
    expect(await redis.hexists(k.reservations, 'j1')).toBe(0);
    expect(await redis.zscore(k.reservationExpiry, 'j1')).toBeNull();
  });
});
