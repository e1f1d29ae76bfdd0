// What a job cost, and the ledger that sums it in Redis per user, per chat workspace and per UTC
// day. The arithmetic is pure; the ledger records each job once (a retried or re-settled job
// must not count twice) and, in the same atomic step, drops the job's budget reservation.
import type { Redis } from 'ioredis';
import type { Checkpoint, Requester } from '../../pipeline/job.js';
import type { ErrorCode } from '../errors.js';
import { redisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { RECORD_JOB_COST } from '../redis/scripts/record-job-cost.js';

/*
 * D-ID billing. The reference (shared/reference/d-id.md) says "Billing is per minute of video"
 * and gives a price per minute but no rounding rule. We prorate by the second (a 40 s video costs
 * 40/60 of the minute price, rounded up to whole seconds): a per-started-minute rule would make a
 * 40 s video look 50% dearer than it is. If an account turns out to be billed per started minute,
 * our figures are low by less than one minute's price per video; the budget reservation (below)
 * reserves a whole 3 minutes per job at admission, which covers that gap for budgets.
 */

/** The longest video D-ID makes (reference: capped at 5 minutes). */
const MAX_VIDEO_SECONDS = 300;
/** What a job is assumed to render before its script exists: our scripts stay under 160 s. */
const RESERVED_VIDEO_SECONDS = 180;
/** Room for a real video running longer than its script's estimate. */
const VIDEO_ESTIMATE_HEADROOM = 1.25;
/** How long day/user/workspace sums and per-job cost records are kept. */
export const LEDGER_TTL_SECONDS = 40 * 86_400;

export interface CostBreakdown {
  llmUsd: number;
  videoUsd: number;
  totalUsd: number;
  /** True when the video part is an estimate (the provider never reported the duration). */
  videoEstimated?: boolean;
}

/** Round to a tenth of a micro-dollar: enough for OpenRouter's smallest charges, no float dust. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e7) / 1e7;
}

/**
 * The LLM part: OpenRouter's usage.cost summed over the drafts paid for (ScriptResult.costUsd).
 * A cached script was paid for by an earlier job, and the local writer is free.
 */
export function llmCostUsd(script: Checkpoint['script']): number {
  if (!script || script.cached || script.provider === 'local') return 0;
  const c = script.costUsd;
  return typeof c === 'number' && Number.isFinite(c) && c > 0 ? c : 0;
}

/**
 * What the job's LLM calls cost so far: the script's cost once written (notes included), else the
 * notes of a long document paid before the job stopped (a 402 or a crash mid-notes).
 */
export function llmSpentUsd(cp: Pick<Checkpoint, 'script' | 'notes'>): number {
  if (cp.script) return llmCostUsd(cp.script);
  let usd = 0;
  for (const n of Object.values(cp.notes ?? {})) {
    if (!n.cached && typeof n.costUsd === 'number' && Number.isFinite(n.costUsd) && n.costUsd > 0) usd += n.costUsd;
  }
  return roundUsd(usd);
}

/** The video part: seconds / 60 * price per minute (see VIDEO_BILLING). Local renders are free. */
export function videoCostUsd(
  durationSeconds: number | undefined,
  pricePerMinuteUsd: number,
  provider: 'd-id' | 'local' = 'd-id',
): number {
  if (provider === 'local' || durationSeconds === undefined || !Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    return 0;
  }
  const seconds = Math.ceil(Math.min(durationSeconds, MAX_VIDEO_SECONDS));
  return roundUsd((seconds / 60) * pricePerMinuteUsd);
}

/** Seconds of video a script will most likely make, with headroom, for reservations. */
export function expectedVideoSeconds(script: Checkpoint['script']): number {
  if (!script) return RESERVED_VIDEO_SECONDS;
  return Math.min(MAX_VIDEO_SECONDS, Math.ceil(script.estimatedSeconds * VIDEO_ESTIMATE_HEADROOM));
}

/**
 * What a job cost, from its checkpoint once it has ended.
 * - A finished render (checkpoint.wait) is billed at the duration D-ID reported, or at the
 *   script's estimate when it reported none.
 * - A render that was created but never finished: VIDEO_TIMEOUT and a cancelled job (by the user,
 *   or because the chat is gone) leave a video that D-ID may still finish and bill, so the
 *   script's estimate is counted; a render that ended in
 *   error or rejection (VIDEO_FAILED / VIDEO_REJECTED) made no video and costs nothing.
 * - Drafts paid for in a script step that then failed (SCRIPT_INVALID) are not in the checkpoint
 *   and are missed here; their cost is in the llm_success log lines.
 */
export function jobCost(
  checkpoint: Checkpoint,
  opts: { pricePerMinuteUsd: number; outcome?: JobOutcome; code?: ErrorCode | undefined },
): CostBreakdown {
  const llmUsd = roundUsd(llmSpentUsd(checkpoint));
  const render = checkpoint.render;
  let videoUsd = 0;
  let videoEstimated = false;
  if (render) {
    const estimate = checkpoint.script?.estimatedSeconds;
    if (checkpoint.wait) {
      const d = checkpoint.wait.durationSeconds ?? estimate;
      videoEstimated = checkpoint.wait.durationSeconds === undefined;
      videoUsd = videoCostUsd(d, opts.pricePerMinuteUsd, render.provider);
    } else if (opts.code === 'VIDEO_TIMEOUT' || opts.code === 'CANCELLED' || opts.outcome === 'cancelled') {
      videoEstimated = true;
      videoUsd = videoCostUsd(estimate, opts.pricePerMinuteUsd, render.provider);
    }
  }
  return {
    llmUsd,
    videoUsd,
    totalUsd: roundUsd(llmUsd + videoUsd),
    ...(videoEstimated && videoUsd > 0 ? { videoEstimated: true } : {}),
  };
}

/**
 * The workspace a request came from: a Slack team, a Telegram chat, the CLI, or on the web an
 * API key (its name: one company's integration) or the anonymous browsers as one.
 */
export function workspaceOf(r: Requester): string {
  switch (r.platform) {
    case 'web':
      // The web door's userKey is `web:key:<name>` or `web:ip:<client>` (bots/web/auth.ts).
      return r.userKey.startsWith('web:key:') ? r.userKey : 'web:public';
    case 'slack':
      return `slack:${r.teamId ?? r.userKey.split(':')[0] ?? 'unknown'}`;
    case 'telegram':
      return `telegram:${r.chatId}`;
    case 'cli':
      return 'cli';
    default:
      return `${r.platform}:${r.chatId}`;
  }
}

const DAY_MS = 86_400_000;
/** The last day formatted, with its bounds: every admission asks, and toISOString is not cheap. */
let lastDay = { from: 0, to: 0, day: '' };

/** "2025-11-28" (UTC). Days roll over at midnight UTC, for costs, counts and budgets alike. */
export function utcDay(at: number | Date = Date.now()): string {
  const t = typeof at === 'number' ? at : at.getTime();
  if (t >= lastDay.from && t < lastDay.to) return lastDay.day;
  const day = new Date(t).toISOString().slice(0, 10);
  // Epoch time has no leap seconds: every UTC day is DAY_MS long.
  const from = t - (((t % DAY_MS) + DAY_MS) % DAY_MS);
  lastDay = { from, to: from + DAY_MS, day };
  return day;
}

/** The ledger's keys (all under `<prefix>:ops:`), from src/redis/keys.ts. */
export const opsKeys = (prefix: string) => redisKeys(prefix).ops;

export type JobOutcome = 'completed' | 'failed' | 'cancelled';

export interface JobCostEntry {
  jobId: string;
  userKey: string;
  workspace: string;
  outcome: JobOutcome;
  code?: ErrorCode | undefined;
  cost: CostBreakdown;
  /** Epoch ms; picks the UTC day. Default now. */
  at?: number;
}

export interface RecordedJobCost extends CostBreakdown {
  userKey: string;
  workspace: string;
  outcome: JobOutcome;
  code?: ErrorCode;
  day: string;
  recordedAt: number;
}

export class CostLedger {
  readonly keys: ReturnType<typeof opsKeys>;

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
  ) {
    this.keys = opsKeys(prefix);
  }

  /** Count a finished job. True the first time for this job id, false for any repeat. */
  async record(e: JobCostEntry): Promise<boolean> {
    const at = e.at ?? Date.now();
    const day = utcDay(at);
    const k = this.keys;
    const stored: RecordedJobCost = {
      ...e.cost,
      userKey: e.userKey,
      workspace: e.workspace,
      outcome: e.outcome,
      ...(e.code ? { code: e.code } : {}),
      day,
      recordedAt: at,
    };
    const first = await runScript<number>(
      this.redis,
      RECORD_JOB_COST,
      [
        k.jobCost(e.jobId),
        k.day(day),
        k.userCost(day),
        k.userJobs(day),
        k.workspaceCost(day),
        k.workspaceJobs(day),
        k.reservations,
        k.reservationExpiry,
      ],
      [
        JSON.stringify(stored),
        LEDGER_TTL_SECONDS,
        String(e.cost.llmUsd),
        String(e.cost.videoUsd),
        String(e.cost.totalUsd),
        e.userKey,
        e.workspace,
        e.outcome,
        e.code ?? '',
        e.jobId,
      ],
    );
    return first === 1;
  }

  /** The cost recorded for a job, if it was. */
  async costOf(jobId: string): Promise<RecordedJobCost | undefined> {
    const raw = await this.redis.get(this.keys.jobCost(jobId));
    return raw ? (JSON.parse(raw) as RecordedJobCost) : undefined;
  }

  /** Money spent on a day (UTC), in total and by one user. */
  async spent(day: string, userKey?: string): Promise<{ totalUsd: number; userUsd: number }> {
    const [total, user] = await Promise.all([
      this.redis.hget(this.keys.day(day), 'total_usd'),
      userKey ? this.redis.zscore(this.keys.userCost(day), userKey) : Promise.resolve(null),
    ]);
    return { totalUsd: Number(total ?? 0), userUsd: Number(user ?? 0) };
  }

  /** Count something refused on a day (shown by the usage report). */
  async countRefusal(reason: string, at = Date.now()): Promise<void> {
    const key = this.keys.day(utcDay(at));
    await this.redis.multi().hincrby(key, `refused:${reason}`, 1).expire(key, LEDGER_TTL_SECONDS).exec();
  }

  /** The raw day hash (the usage report reads it). */
  async day(day: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.day(day));
  }
}
