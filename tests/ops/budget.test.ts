// Budgets: the reservation arithmetic against real Redis, then end to end through the queue and
// worker with counting doubles of the paid providers: a request over budget gets BUDGET_EXCEEDED
// before any paid call, whether refused at submit or just before a paid step.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { BudgetGuard, type BudgetSettings } from '../../src/ops/budget.js';
import { CostLedger } from '../../src/ops/costs.js';
import { JobError } from '../../src/errors.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { createTestAdapter } from '../helpers/test-adapter.js';
import { countingRenderer, countingScriptWriter, paidCalls } from '../fakes/counting-providers.js';
import type { SubmitOutcome, SubmitRequest } from '../../src/queue/submit.js';
import type { CallContext } from '../../pipeline/ports.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/the-water-cycle.pdf');

const settings = (over: Partial<BudgetSettings> = {}): BudgetSettings => ({
  dailyUsd: 5,
  userDailyUsd: undefined,
  llmEstimateUsd: 0.05,
  pricePerMinuteUsd: 0.5,
  providers: { script: 'openrouter', video: 'd-id' },
  ...over,
});

describe('BudgetGuard reservations', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.disconnect());
  const setup = (s: Partial<BudgetSettings> = {}, clock?: () => number) => {
    const prefix = `t${randomBytes(5).toString('hex')}`;
    return {
      guard: new BudgetGuard(redis, prefix, settings(s), clock ? { clock } : {}),
      ledger: new CostLedger(redis, prefix),
    };
  };

  it('reserves LLM estimate + 3 minutes of video per job, so a burst cannot overshoot', async () => {
    const { guard } = setup();
    expect(guard.estimateUsd({})).toBe(1.55); // 0.05 + 3 min x 0.5
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => guard.reserve(`job${i}`, `user${i}`, 1.55, 60_000)));
    // 3 x 1.55 = 4.65 fits in 5; a 4th would make 6.20.
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    const refused = results.find((r) => !r.ok)!;
    expect(refused).toMatchObject({ ok: false, scope: 'service', limitUsd: 5 });
    expect(await guard.held()).toEqual({ usd: 4.65, jobs: 3 });
  });

  it('is idempotent per job: reserving again replaces the job own hold', async () => {
    const { guard } = setup({ dailyUsd: 2 });
    expect((await guard.reserve('j', 'u', 1.55, 60_000)).ok).toBe(true);
    expect((await guard.reserve('j', 'u', 1.55, 60_000)).ok).toBe(true);
    expect((await guard.reserve('j', 'u', 1.0, 60_000)).ok).toBe(true);
    expect(await guard.held()).toEqual({ usd: 1, jobs: 1 });
  });

  it('counts real spending, and a finished job gives back what it held', async () => {
    const { guard, ledger } = setup({ dailyUsd: 2 });
    expect((await guard.reserve('a', 'u1', 1.55, 60_000)).ok).toBe(true);
    expect((await guard.reserve('b', 'u2', 1.55, 60_000)).ok).toBe(false);
    // Job a ends costing less than it held: the difference is free again.
    await ledger.record({
      jobId: 'a',
      userKey: 'u1',
      workspace: 'cli',
      outcome: 'completed',
      cost: { llmUsd: 0.01, videoUsd: 0.4, totalUsd: 0.41 },
    });
    expect(await guard.held()).toEqual({ usd: 0, jobs: 0 });
    expect((await guard.reserve('b', 'u2', 1.55, 60_000)).ok).toBe(true); // 0.41 + 1.55 <= 2
    expect((await guard.reserve('c', 'u3', 0.1, 60_000)).ok).toBe(false); // 0.41 + 1.55 + 0.1 > 2
    // A job already counted reserves nothing (a redelivered request of a finished job).
    expect((await guard.reserve('a', 'u1', 1.55, 60_000)).ok).toBe(true);
    expect(await guard.held()).toEqual({ usd: 1.55, jobs: 1 });
  });

  it('applies the per-user budget to the user alone', async () => {
    const { guard, ledger } = setup({ dailyUsd: undefined, userDailyUsd: 2 });
    await ledger.record({
      jobId: 'old',
      userKey: 'alice',
      workspace: 'cli',
      outcome: 'completed',
      cost: { llmUsd: 0, videoUsd: 1, totalUsd: 1 },
    });
    expect(await guard.reserve('a1', 'alice', 1.55, 60_000)).toMatchObject({
      ok: false,
      scope: 'user',
      spentUsd: 1,
      limitUsd: 2,
    });
    expect((await guard.reserve('b1', 'bob', 1.55, 60_000)).ok).toBe(true);
    expect((await guard.reserve('a2', 'alice', 0.9, 60_000)).ok).toBe(true);
    // Bob's hold does not count against Alice, Alice's second does.
    expect((await guard.reserve('a3', 'alice', 0.2, 60_000)).ok).toBe(false);
  });

  it('lets holds of jobs that never came back lapse', async () => {
    let now = Date.UTC(2025, 5, 1, 10);
    const { guard } = setup({ dailyUsd: 2 }, () => now);
    expect((await guard.reserve('lost', 'u1', 1.55, 3_600_000)).ok).toBe(true);
    expect((await guard.reserve('next', 'u2', 1.55, 3_600_000)).ok).toBe(false);
    now += 3_600_001;
    expect((await guard.reserve('next', 'u2', 1.55, 3_600_000)).ok).toBe(true);
  });

  it('refines the estimate once the script exists', () => {
    const { guard } = setup();
    const script = {
      text: 't',
      language: 'en',
      words: 200,
      estimatedSeconds: 80,
      provider: 'openrouter' as const,
      costUsd: 0.02,
      cached: false,
    };
    // 80 s x 1.25 headroom = 100 s of video at 0.5/min, plus the script's real cost.
    expect(guard.estimateUsd({ script })).toBeCloseTo(0.02 + (100 / 60) * 0.5, 6);
    expect(guard.estimateUsd({ script: { ...script, cached: true } })).toBeCloseTo((100 / 60) * 0.5, 6);
    const free = setup({ providers: { script: 'local', video: 'local' } }).guard;
    expect(free.estimateUsd({})).toBe(0);
  });
});

describe('budget refusals end to end', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function setup(
    env: Record<string, string>,
    opts: { during?: (ctx: CallContext) => Promise<void>; worker?: boolean } = {},
  ) {
    const writer = countingScriptWriter(opts.during ? { during: opts.during } : {});
    const renderer = countingRenderer();
    let adapter!: ReturnType<typeof createTestAdapter>;
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      env: { DID_PRICE_PER_MINUTE: '0.5', LLM_COST_ESTIMATE_USD: '0.05', ...env },
      services: { writer, renderer },
      ops: true,
      worker: opts.worker ?? true,
      adapters: (s) => {
        adapter = createTestAdapter({ redis: s.redis, prefix: s.queue.opts.prefix! });
        return { test: adapter };
      },
    });
    return { h, writer, renderer, adapter };
  }

  const request = (n: number, userKey = `user${n}`): SubmitRequest => ({
    dedupeKey: `budget:${n}`,
    requester: { platform: 'test', userKey, userId: userKey, chatId: 'chat' },
    file: { kind: 'path', path: EXAMPLE },
  });

  const finished = (harness: Harness, jobId: string) =>
    waitFor(async () => {
      const rec = await harness.services.records.get(jobId);
      return rec && ['completed', 'failed', 'cancelled'].includes(rec.state) ? rec : undefined;
    }, `job ${jobId} to finish`);

  it('refuses at submit with BUDGET_EXCEEDED when the job would not fit, and nothing is queued', async () => {
    // One job holds 0.05 + 1.50 = 1.55 > 1.
    const { h, writer, renderer } = await setup({ DAILY_BUDGET_USD: '1' });
    const outcome = await h.services.submitter.submit(request(1));
    expect(outcome.status).toBe('refused');
    const err = (outcome as Extract<SubmitOutcome, { status: 'refused' }>).error;
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe('BUDGET_EXCEEDED');
    expect((err as JobError).userMessage()).toMatch(/^BUDGET_EXCEEDED: /);
    const counts = await h.services.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(paidCalls(writer, renderer)).toBe(0);
    expect(h.logs.events('budget_exceeded')[0]).toMatchObject({ scope: 'service', at: 'submit', need_usd: 1.55, limit_usd: 1 });
    const usage = await h.ops!.usage();
    expect(usage.refused).toEqual({ budget_service: 1 });
    // Counted once in /metrics, as a refusal at submit (the admission script refused it).
    const metric = await h.ops!.metrics.registry.getSingleMetric('doc2video_limit_rejections_total')!.get();
    expect(metric.values).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ limit: 'budget_service', at: 'submit' }), value: 1 }),
    ]);
  });

  it('refuses before the script when spending grew after submit: no paid call, BUDGET_EXCEEDED sent', async () => {
    const { h, writer, renderer, adapter } = await setup({ DAILY_BUDGET_USD: '2' }, { worker: false });
    const r = await h.services.submitter.submit(request(2));
    expect(r.status).toBe('accepted');
    const jobId = (r as { jobId: string }).jobId;
    // Meanwhile another job finished and spent 1.00: 1.00 + this job's 1.55 > 2.
    await h.ops!.ledger.record({
      jobId: 'other',
      userKey: 'someone',
      workspace: 'cli',
      outcome: 'completed',
      cost: { llmUsd: 0, videoUsd: 1, totalUsd: 1 },
    });
    h.startWorker();

    const rec = await finished(h, jobId);
    expect(rec).toMatchObject({ state: 'failed', code: 'BUDGET_EXCEEDED' });
    expect(paidCalls(writer, renderer)).toBe(0);
    const sent = (await adapter.events(jobId)).filter((e) => e.type === 'fail');
    expect(sent).toEqual([expect.objectContaining({ type: 'fail', code: 'BUDGET_EXCEEDED' })]);
    expect(h.logs.events('budget_exceeded')).toEqual([expect.objectContaining({ at: 'run', step: 'script', scope: 'service' })]);
    // The refused job cost nothing and holds nothing any more.
    expect(await h.ops!.ledger.costOf(jobId)).toMatchObject({ totalUsd: 0, outcome: 'failed', code: 'BUDGET_EXCEEDED' });
    expect(await h.ops!.budget.held()).toEqual({ usd: 0, jobs: 0 });
  });

  it('refuses before the render when spending grew during the script step', async () => {
    let ledger!: CostLedger;
    const { h, writer, renderer, adapter } = await setup(
      { DAILY_BUDGET_USD: '2' },
      {
        // While this job's script is written, another job spends 1.50.
        during: async (ctx) => {
          if (ctx.jobId !== 'other') {
            await ledger.record({
              jobId: 'other',
              userKey: 'someone',
              workspace: 'cli',
              outcome: 'completed',
              cost: { llmUsd: 0, videoUsd: 1.5, totalUsd: 1.5 },
            });
          }
        },
      },
    );
    ledger = h.ops!.ledger;
    const r = await h.services.submitter.submit(request(3));
    const jobId = (r as { jobId: string }).jobId;
    const rec = await finished(h, jobId);
    expect(rec).toMatchObject({ state: 'failed', code: 'BUDGET_EXCEEDED' });
    expect(writer.calls).toHaveLength(1);
    expect(renderer.creates).toHaveLength(0);
    expect((await adapter.events(jobId)).filter((e) => e.type === 'fail')).toEqual([
      expect.objectContaining({ code: 'BUDGET_EXCEEDED' }),
    ]);
    expect(h.logs.events('budget_exceeded')).toEqual([expect.objectContaining({ at: 'run', step: 'render' })]);
    // The script it paid for is on the books.
    expect(await ledger.costOf(jobId)).toMatchObject({ llmUsd: 0.0123, videoUsd: 0, totalUsd: 0.0123 });
  });

  it('lets jobs within budget through and records what they cost', async () => {
    const { h, writer, renderer } = await setup({ DAILY_BUDGET_USD: '5', USER_DAILY_BUDGET_USD: '3' });
    const r = await h.services.submitter.submit(request(4));
    const jobId = (r as { jobId: string }).jobId;
    const rec = await finished(h, jobId);
    expect(rec.state).toBe('completed');
    expect(paidCalls(writer, renderer)).toBe(2);
    // 0.0123 for the script + 42 s of video at 0.5/min.
    const cost = await h.ops!.ledger.costOf(jobId);
    expect(cost).toMatchObject({ llmUsd: 0.0123, videoUsd: 0.35, totalUsd: 0.3623, outcome: 'completed' });
    expect(rec.costUsd).toBe(0.3623);
    expect(h.logs.events('cost_estimate')).toEqual([
      expect.objectContaining({ jobId, llm_usd: 0.0123, video_usd: 0.35, total_usd: 0.3623 }),
    ]);
    expect(await h.ops!.budget.held()).toEqual({ usd: 0, jobs: 0 });
  });
});
