// Admission against real Redis with a virtual clock: the exact sliding window and dedupe, the
// intake ceiling, the budget hold, and — over random interleavings of users, repeats and job
// ends — that a refused request leaves no trace anyone else could be refused for.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Admission, type AdmissionResult, type AdmissionSettings } from '../../../src/limits/admission.js';
import { JobRecords } from '../../../src/jobs/records.js';
import { CostLedger } from '../../../src/ops/costs.js';
import { redisKeys } from '../../../src/redis/keys.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

const fresh = () => `ta${randomBytes(5).toString('hex')}`;
const rateOnly: AdmissionSettings = { rateMax: 5, rateWindowSeconds: 600, maxQueuedJobs: 1_000_000 };

function admitter(settings: AdmissionSettings, clock: () => number, prefix = fresh()) {
  const a = new Admission(redis, prefix, settings, clock);
  return {
    prefix,
    admission: a,
    admit: (userKey: string, dedupeKey: string, jobId: string) => a.admit({ jobId, dedupeKey, userKey, platform: 'test' }),
  };
}

describe('Admission: sliding window and dedupe', () => {
  it('accepts 5 per 10 minutes, refuses the 6th with the time until a slot frees', async () => {
    let now = 1_000_000;
    const { admit } = admitter(rateOnly, () => now);
    for (let i = 0; i < 5; i++) {
      expect((await admit('u1', `req${i}`, `job${i}`)).status).toBe('accepted');
      now += 60_000;
    }
    const sixth = await admit('u1', 'req5', 'job5');
    expect(sixth.status).toBe('limited');
    // The first request (at 1_000_000) leaves the window at 1_600_000; now is 1_300_000.
    expect(sixth.status === 'limited' && Math.round(sixth.retryAfterMs / 1000)).toBe(300);
    // Another user is not affected.
    expect((await admit('u2', 'other', 'jobx')).status).toBe('accepted');
  });

  it('is a sliding window: no burst of 10 across a fixed-window edge', async () => {
    let now = 10 * 600_000 - 1_000; // just before a fixed-window boundary
    const { admit } = admitter(rateOnly, () => now);
    const results: string[] = [];
    for (let i = 0; i < 5; i++) results.push((await admit('u', `a${i}`, `a${i}`)).status);
    now += 2_000; // just after the boundary
    for (let i = 0; i < 5; i++) results.push((await admit('u', `b${i}`, `b${i}`)).status);
    expect(results.filter((r) => r === 'accepted')).toHaveLength(5);
  });

  it('never counts a duplicate request twice, and names the original job', async () => {
    const now = 5_000_000;
    const { admit } = admitter(rateOnly, () => now);
    expect(await admit('u', 'same', 'j1')).toEqual({ status: 'accepted', jobId: 'j1', position: 1 });
    for (let i = 0; i < 10; i++) {
      expect(await admit('u', 'same', 'j1')).toEqual({ status: 'duplicate', jobId: 'j1', recordState: 'queued' });
    }
    for (let i = 0; i < 4; i++) expect((await admit('u', `n${i}`, `n${i}`)).status).toBe('accepted');
    expect((await admit('u', 'n5', 'n5')).status).toBe('limited');
  });

  it('tells a redelivery of the admitted request (same request id) from another request for the same file', async () => {
    const now = 6_000_000;
    const { admission } = admitter(rateOnly, () => now);
    const admit = (requestId?: string) =>
      admission.admit({ jobId: 'j1', dedupeKey: 'file', userKey: 'u', platform: 'test', ...(requestId ? { requestId } : {}) });
    expect(await admit('update:1')).toEqual({ status: 'accepted', jobId: 'j1', position: 1 });
    expect(await admit('update:1')).toEqual({ status: 'duplicate', jobId: 'j1', recordState: 'queued', repeated: true });
    expect(await admit('update:2')).toEqual({ status: 'duplicate', jobId: 'j1', recordState: 'queued', repeated: false });
    // Without a request id nothing is said either way.
    expect(await admit()).toEqual({ status: 'duplicate', jobId: 'j1', recordState: 'queued' });
  });

  it("reads the user's remembered choices in the same step, accepted or duplicate, ignoring unknown values", async () => {
    const now = 7_000_000;
    const { admission, prefix } = admitter(rateOnly, () => now);
    await redis.hset(redisKeys(prefix).preferences('u'), { avatar: 'friendly', layout: 'cinema', captions: 'off' });
    const admit = (withRemembered: boolean) =>
      admission.admit({ jobId: 'j1', dedupeKey: 'file', userKey: 'u', platform: 'test', withRemembered });
    expect(await admit(true)).toEqual({
      status: 'accepted',
      jobId: 'j1',
      position: 1,
      remembered: { avatarStyle: 'friendly', captions: false },
    });
    expect(await admit(true)).toMatchObject({ status: 'duplicate', remembered: { avatarStyle: 'friendly', captions: false } });
    expect(await admit(false)).not.toHaveProperty('remembered');
    // A user who chose nothing.
    const other = await admission.admit({ jobId: 'j2', dedupeKey: 'f2', userKey: 'v', platform: 'test', withRemembered: true });
    expect(other).toMatchObject({ status: 'accepted', remembered: {} });
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
          const { admit } = admitter({ ...rateOnly, rateMax: max }, () => now);
          const accepted: Record<number, number[]> = {};
          let i = 0;
          for (const r of requests) {
            now += r.gap;
            const inWindow = (accepted[r.user] ??= []).filter((t) => t > now - windowMs);
            const expected = inWindow.length < max ? 'accepted' : 'limited';
            const got = await admit(`u${r.user}`, `r${i}`, `j${i}`);
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

/** What Redis holds for a job after admission: everything a refusal must not leave behind. */
async function traces(prefix: string, userKey: string, dedupeKey: string, jobId: string) {
  const k = redisKeys(prefix);
  const [dedupe, inWindow, intake, waiting, hold, record, listed] = await Promise.all([
    redis.get(k.dedupe(dedupeKey)),
    redis.zscore(k.rate(userKey), jobId),
    redis.zscore(k.intake, jobId),
    redis.zscore(k.intakeWaiting, jobId),
    redis.hget(k.ops.reservations, jobId),
    redis.exists(k.record(jobId)),
    redis.zscore(k.userJobs(userKey), jobId),
  ]);
  return { dedupe, inWindow, intake, waiting, hold, record, listed };
}
const NOTHING = { dedupe: null, inWindow: null, intake: null, waiting: null, hold: null, record: 0, listed: null };

describe('Admission: intake ceiling and budget hold', () => {
  const budget = { dailyUsd: 20, userDailyUsd: undefined, holdUsd: 1.55 };

  it('past MAX_QUEUED_JOBS answers busy and stores nothing; a job that ends makes room', async () => {
    const now = Date.UTC(2026, 0, 5, 9);
    const { admit, admission, prefix } = admitter({ ...rateOnly, maxQueuedJobs: 2, budget }, () => now);
    expect(await admit('u1', 'd1', 'j1')).toEqual({ status: 'accepted', jobId: 'j1', position: 1 });
    expect(await admit('u2', 'd2', 'j2')).toEqual({ status: 'accepted', jobId: 'j2', position: 2 });
    expect(await admit('u3', 'd3', 'j3')).toEqual({ status: 'busy', queued: 2 });
    expect(await traces(prefix, 'u3', 'd3', 'j3')).toEqual(NOTHING);
    expect(await admission.queued()).toBe(2);

    // j1 starts (no longer waiting: positions move) and then ends (no longer counted at all).
    const records = new JobRecords(redis, prefix, 1800);
    await records.update('j1', { state: 'active' });
    await records.finish('j1', 'completed');
    expect(await admit('u3', 'd3', 'j3')).toEqual({ status: 'accepted', jobId: 'j3', position: 2 });
    expect(await records.get('j3')).toMatchObject({ state: 'queued', userKey: 'u3', platform: 'test' });
  });

  it('a duplicate holds nothing more, and a request over budget holds nothing', async () => {
    const now = Date.UTC(2026, 0, 5, 9);
    const { admit, prefix } = admitter({ ...rateOnly, budget: { ...budget, dailyUsd: 3 } }, () => now);
    const held = async () => Object.keys(await redis.hgetall(redisKeys(prefix).ops.reservations)).sort();
    expect((await admit('u1', 'd1', 'j1')).status).toBe('accepted');
    expect((await admit('u1', 'd1', 'j1')).status).toBe('duplicate');
    expect(await held()).toEqual(['j1']);
    // 1.55 held + 1.55 > 3.
    expect(await admit('u2', 'd2', 'j2')).toEqual({
      status: 'over-budget',
      scope: 'service',
      spentUsd: 0,
      heldUsd: 1.55,
      needUsd: 1.55,
      limitUsd: 3,
    });
    expect(await traces(prefix, 'u2', 'd2', 'j2')).toEqual(NOTHING);
    expect(await held()).toEqual(['j1']);
    // Counted for the usage report, per reason.
    const day = await redis.hgetall(redisKeys(prefix).ops.day('2026-01-05'));
    expect(day['refused:budget_service']).toBe('1');
  });
});

// ---- the model test ---------------------------------------------------------------------------

type Cmd =
  | { kind: 'request'; user: number; gap: number }
  /** The same platform request again (a redelivery), by index among earlier requests. */
  | { kind: 'repeat'; pick: number; gap: number }
  /** One of the jobs still in flight ends and is billed `costUsd`. */
  | { kind: 'finish'; pick: number; costUsd: number; gap: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      user: fc.integer({ min: 0, max: 3 }),
      gap: fc.integer({ min: 0, max: 120_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('repeat' as const), pick: fc.nat(), gap: fc.integer({ min: 0, max: 120_000 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('finish' as const),
      pick: fc.nat(),
      costUsd: fc.constantFrom(0, 0.4, 1.2),
      gap: fc.integer({ min: 0, max: 120_000 }),
    }),
  },
);

const OWN_DOING = (r: AdmissionResult) => r.status === 'limited' || (r.status === 'over-budget' && r.scope === 'user');
const REFUSED = (r: AdmissionResult) => r.status === 'limited' || r.status === 'busy' || r.status === 'over-budget';

/**
 * Replays `cmds` on a fresh prefix, skipping the commands whose index is in `skip`. Returns each
 * replayed command's admission result (undefined for a job end) and the state left in Redis.
 */
async function replay(cmds: Cmd[], skip: Set<number>) {
  let now = Date.UTC(2026, 2, 3, 8);
  const prefix = fresh();
  const settings: AdmissionSettings = {
    rateMax: 3,
    rateWindowSeconds: 600,
    maxQueuedJobs: 5,
    budget: { dailyUsd: 8, userDailyUsd: 4, holdUsd: 1.55 },
  };
  const { admit, admission } = admitter(settings, () => now, prefix);
  const records = new JobRecords(redis, prefix, 1800);
  const ledger = new CostLedger(redis, prefix);
  const results = new Map<number, AdmissionResult | undefined>();
  const requests: { user: number; n: number }[] = [];
  const inFlight: { jobId: string; user: number }[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i]!;
    now += c.gap;
    // Requests keep their identity whether or not earlier commands are skipped.
    let req: { user: number; n: number } | undefined;
    if (c.kind === 'request') req = { user: c.user, n: i };
    if (c.kind === 'repeat') {
      const earlier = cmds.slice(0, i).flatMap((e, n) => (e.kind === 'request' ? [{ user: e.user, n }] : []));
      if (earlier.length) req = earlier[c.pick % earlier.length]!;
    }
    if (skip.has(i)) continue;
    if (req) {
      requests.push(req);
      const r = await admit(`u${req.user}`, `req${req.n}`, `job${req.n}`);
      results.set(i, r);
      if (r.status === 'accepted') inFlight.push({ jobId: r.jobId, user: req.user });
    } else if (c.kind === 'finish' && inFlight.length) {
      const [job] = inFlight.splice(c.pick % inFlight.length, 1);
      const userKey = `u${job!.user}`;
      const cost = { llmUsd: 0, videoUsd: c.costUsd, totalUsd: c.costUsd };
      await ledger.record({ jobId: job!.jobId, userKey, workspace: 'test', outcome: 'completed', cost, at: now });
      await records.finish(job!.jobId, 'completed');
      results.set(i, undefined);
    }
  }
  const holds = Object.keys(await redis.hgetall(redisKeys(prefix).ops.reservations)).sort();
  return { results, inFlight: inFlight.map((j) => j.jobId).sort(), holds, queued: await admission.queued() };
}

describe('Admission over random interleavings (model test)', () => {
  let refusedByOthers = 0;
  it('a refused request changes nothing for anyone: replaying without it gives every other request the same answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 40 }), async (cmds) => {
        const full = await replay(cmds, new Set());
        // What is held and counted is exactly the jobs in flight: refusals left nothing.
        expect(full.holds).toEqual(full.inFlight);
        expect(full.queued).toBe(full.inFlight.length);

        // The property — a user never refused for their own doing (rate limit, own daily
        // cap) is never refused because of another user's refused requests — follows from a
        // stronger one: take every refused request out, and every remaining request (of every
        // user) gets exactly the answer it got before.
        const refused = new Set([...full.results].filter(([, r]) => r && REFUSED(r)).map(([i]) => i));
        const without = await replay(cmds, refused);
        for (const [i, r] of without.results) expect({ i, r }).toEqual({ i, r: full.results.get(i) });
        // And the run did exercise refusals that were not the user's own doing, now and then.
        if ([...full.results.values()].some((r) => r && REFUSED(r) && !OWN_DOING(r))) refusedByOthers++;
      }),
      { numRuns: 60 },
    );
    // The generator reaches the ceiling and the service budget, not only the rate limit.
    expect(refusedByOthers).toBeGreaterThan(0);
  });
});
