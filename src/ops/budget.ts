// Daily spending caps: DAILY_BUDGET_USD for the whole service, USER_DAILY_BUDGET_USD per user.
//
// Checked twice: at submit (inside the admission script, src/limits/admission.ts, after dedupe,
// the rate limit and the intake ceiling, so a refused request holds nothing) and again just
// before each paid step (script, render; this file), because spending grows between the two.
//
// In-flight jobs: spending is only recorded when a job ends, so a burst of requests would all
// see the same "spent so far" and together overshoot. Each job therefore reserves an estimate of
// its cost when it is admitted (LLM estimate + 3 minutes of video); the check is
//     spent today + reservations of other jobs + this job's estimate <= budget
// run atomically in Redis, so concurrent submits on several web processes cannot both take the
// last dollars. The reservation is re-made (and re-checked) before the script step, and before the
// render with the script's real cost and its expected video length. When the job ends, the
// ledger (costs.ts) replaces the reservation with the real cost in one atomic step.
// A queued job cancelled by its user gives its hold back at once (src/queue/cancel.ts); holds of
// jobs that never come back lapse: an hour after admission, or the render deadline + an hour
// after the last paid-step check. A lapsed job is simply checked afresh before its next paid step.
import type { Redis } from 'ioredis';
import { JobError } from '../errors.js';
import type { Logger, WatchedEvent } from '../logger.js';
import type { Checkpoint, StepName } from '../../pipeline/job.js';
import type { PipelineJob, PipelineObserver } from '../../pipeline/ports.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { BUDGET_RESERVE } from '../redis/scripts/budget-reserve.js';
import { expectedVideoSeconds, llmSpentUsd, roundUsd, utcDay, videoCostUsd } from './costs.js';

export interface BudgetSettings {
  /** Service-wide cap per UTC day; undefined = no cap. */
  dailyUsd: number | undefined;
  /** Per-user cap per UTC day; undefined = no cap. */
  userDailyUsd: number | undefined;
  /** What one script is assumed to cost before it is written (OpenRouter, not cached). */
  llmEstimateUsd: number;
  pricePerMinuteUsd: number;
  /** Which providers the jobs use (free ones reserve nothing). */
  providers: { script: 'openrouter' | 'local'; video: 'd-id' | 'local' };
  /** How long a reservation made before a paid step lasts (default 2 h; use deadline + 1 h). */
  runHoldMs?: number;
}

export type BudgetScope = 'service' | 'user';

export type BudgetDecision =
  | { ok: true; spentUsd: number; heldUsd: number }
  | { ok: false; scope: BudgetScope; spentUsd: number; heldUsd: number; needUsd: number; limitUsd: number };

/**
 * What a job will cost in all, from what its checkpoint shows (see BudgetGuard.estimateUsd).
 * With an empty checkpoint: what a job holds when it is admitted (src/limits/admission.ts).
 */
export function estimateJobUsd(
  s: Pick<BudgetSettings, 'llmEstimateUsd' | 'pricePerMinuteUsd' | 'providers'>,
  cp: Checkpoint = {},
): number {
  const llm = cp.script ? llmSpentUsd(cp) : s.providers.script === 'local' ? 0 : llmSpentUsd(cp) + s.llmEstimateUsd;
  const seconds = cp.wait?.durationSeconds ?? expectedVideoSeconds(cp.script);
  const video = videoCostUsd(seconds, s.pricePerMinuteUsd, cp.render?.provider ?? s.providers.video);
  return roundUsd(llm + video);
}

export class BudgetGuard {
  private readonly keys: RedisKeys['ops'];

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly settings: BudgetSettings,
    private readonly hooks: {
      logger?: Logger;
      /** Told about every refusal (metrics, usage counts). */
      onRefused?(scope: BudgetScope, at: 'submit' | 'run'): void;
      /** Tests only: a virtual clock. */
      clock?: () => number;
    } = {},
  ) {
    this.keys = redisKeys(prefix).ops;
  }

  /** False when neither budget is set: then nothing is reserved or checked. */
  get enabled(): boolean {
    return this.settings.dailyUsd !== undefined || this.settings.userDailyUsd !== undefined;
  }

  /**
   * What a job will cost in all, from what its checkpoint shows: the script's real cost once
   * written (else the LLM estimate), and the video at its real length once rendered, else at
   * the script's expected length (else 3 minutes).
   */
  estimateUsd(cp: Checkpoint): number {
    return estimateJobUsd(this.settings, cp);
  }

  /** Check the budgets and hold `amountUsd` for the job (idempotent per job id). */
  async reserve(jobId: string, userKey: string, amountUsd: number, holdMs: number): Promise<BudgetDecision> {
    const s = this.settings;
    const now = this.hooks.clock?.() ?? Date.now();
    const day = utcDay(now);
    const k = this.keys;
    const [ok, scope, spent, held] = await runScript<[number, string, string, string]>(
      this.redis,
      BUDGET_RESERVE,
      [k.reservations, k.reservationExpiry, k.day(day), k.userCost(day), k.jobCost(jobId)],
      [
        jobId,
        userKey,
        String(amountUsd),
        holdMs,
        s.dailyUsd === undefined ? '' : String(s.dailyUsd),
        s.userDailyUsd === undefined ? '' : String(s.userDailyUsd),
        ...(this.hooks.clock ? [now] : []),
      ],
    );
    if (ok === 1) return { ok: true, spentUsd: Number(spent), heldUsd: Number(held) };
    const sc = scope as BudgetScope;
    return {
      ok: false,
      scope: sc,
      spentUsd: Number(spent),
      heldUsd: Number(held),
      needUsd: amountUsd,
      limitUsd: (sc === 'service' ? s.dailyUsd : s.userDailyUsd) ?? 0,
    };
  }

  /** Drop a job's reservation (e.g. a queued job cancelled from the web process). */
  async release(jobId: string): Promise<void> {
    await this.redis.multi().hdel(this.keys.reservations, jobId).zrem(this.keys.reservationExpiry, jobId).exec();
  }

  /** Money held for jobs in flight, and how many. */
  async held(): Promise<{ usd: number; jobs: number }> {
    const all = await this.redis.hgetall(this.keys.reservations);
    const now = Date.now();
    const live = new Set(await this.redis.zrangebyscore(this.keys.reservationExpiry, now, '+inf'));
    let usd = 0;
    let jobs = 0;
    for (const [id, v] of Object.entries(all)) {
      if (!live.has(id)) continue;
      try {
        usd += Number((JSON.parse(v) as { usd: number }).usd) || 0;
        jobs++;
      } catch {
        /* ignore */
      }
    }
    return { usd: roundUsd(usd), jobs };
  }

  private refuse(
    d: Extract<BudgetDecision, { ok: false }>,
    ctx: { at: 'submit' | 'run'; jobId: string; userKey: string; step?: StepName },
  ): JobError {
    this.hooks.logger?.warn(
      {
        event: 'budget_exceeded' satisfies WatchedEvent,
        scope: d.scope,
        at: ctx.at,
        jobId: ctx.jobId,
        userKey: ctx.userKey,
        ...(ctx.step ? { step: ctx.step } : {}),
        spent_usd: roundUsd(d.spentUsd),
        held_usd: roundUsd(d.heldUsd),
        need_usd: roundUsd(d.needUsd),
        limit_usd: d.limitUsd,
      },
      'refused: over the daily budget',
    );
    this.hooks.onRefused?.(d.scope, ctx.at);
    const what = d.scope === 'service' ? 'service' : 'user';
    return new JobError(
      'BUDGET_EXCEEDED',
      `${what} daily budget: spent ${d.spentUsd.toFixed(2)} + held ${d.heldUsd.toFixed(2)} + this job ${d.needUsd.toFixed(2)} > ${d.limitUsd.toFixed(2)} USD`,
      { retryable: false },
    );
  }

  /** Re-check before the paid steps; throws JobError(BUDGET_EXCEEDED) before any money is spent. */
  observer(): Required<Pick<PipelineObserver, 'beforePaidStep' | 'beforeLlmCalls'>> {
    return {
      // A long document's notes: held again once the text is known (at submit only the file size
      // is), before the first notes call and before the script call after them. The hold is what
      // was spent so far + LLM_COST_ESTIMATE_USD per call still to come + the video, so no call
      // is paid without a hold covering it, and a short document never holds for 13 calls.
      beforeLlmCalls: async (job: PipelineJob, plan: { spentUsd: number; callsLeft: number }) => {
        if (!this.enabled || this.settings.providers.script === 'local') return;
        const cp = job.data.checkpoint;
        const video = videoCostUsd(
          expectedVideoSeconds(cp.script),
          this.settings.pricePerMinuteUsd,
          this.settings.providers.video,
        );
        const amount = roundUsd(plan.spentUsd + plan.callsLeft * this.settings.llmEstimateUsd + video);
        const userKey = job.data.requester.userKey;
        const d = await this.reserve(job.id, userKey, amount, this.settings.runHoldMs ?? 2 * 3_600_000);
        if (!d.ok) throw this.refuse(d, { at: 'run', jobId: job.id, userKey, step: 'script' });
      },
      beforePaidStep: async (job: PipelineJob, step: StepName) => {
        if (!this.enabled) return;
        if (step !== 'script' && step !== 'render') return;
        const cp = job.data.checkpoint;
        // A create was already sent once (its answer was lost): the video may be paid for, and
        // refusing now would waste it. Let the render step find it.
        if (step === 'render' && cp.renderAttemptedAt !== undefined) return;
        // This job's own spending so far is not in "spent" yet (it is recorded when the job
        // ends), so the job holds its whole cost: the script's real cost plus the video to come.
        const amount = this.estimateUsd(cp);
        const userKey = job.data.requester.userKey;
        const d = await this.reserve(job.id, userKey, amount, this.settings.runHoldMs ?? 2 * 3_600_000);
        if (!d.ok) throw this.refuse(d, { at: 'run', jobId: job.id, userKey, step });
      },
    };
  }
}
