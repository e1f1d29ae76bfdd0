// Admission: whether a request may become a job, decided in one atomic Redis step
// (src/redis/scripts/admit.ts): dedupe, the user's rate window, the intake ceiling, the budget
// hold, and — only when all passed — the writes (dedupe, rate entry, intake, hold, /status
// record). A refused or duplicate request holds nothing, so one user's refused requests can
// never count against anyone else. A job leaves the intake when its record is finished
// (JobRecords.finish) or, failing that, when its intake lease runs out.
import type { Redis } from 'ioredis';
import type { Platform } from '../../pipeline/job.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { ADMIT } from '../redis/scripts/admit.js';
import { BULLMQ_ADD_KEYS } from '../redis/scripts/shared/bullmq-add.js';
import { LEDGER_TTL_SECONDS, utcDay } from '../ops/costs.js';
import { rememberedFrom, type RememberedOptions } from '../jobs/preferences.js';
import { AVATAR_STYLES } from '../config.js';
import { VIDEO_LAYOUTS } from '../../pipeline/job.js';

/** Budget caps as plain data (config), and what a job holds against them when admitted. */
export interface AdmissionBudget {
  /** Service-wide cap per UTC day; undefined = no cap. */
  dailyUsd: number | undefined;
  /** Per-user cap per UTC day; undefined = no cap. */
  userDailyUsd: number | undefined;
  /** What one job holds from admission until it ends or re-estimates (0: free providers). */
  holdUsd: number;
  /** How long an admission hold lasts if the job never comes back (default 1 h). */
  holdMs?: number;
}

export interface AdmissionSettings {
  rateMax: number;
  rateWindowSeconds: number;
  /** MAX_QUEUED_JOBS: jobs waiting or running in all. */
  maxQueuedJobs: number;
  budget?: AdmissionBudget;
}

export type AdmissionResult =
  | { status: 'accepted'; jobId: string; position: number; remembered?: RememberedOptions }
  | {
      status: 'duplicate';
      jobId: string;
      recordState: string | undefined;
      /** The admitted request had this request's requestId: a redelivery of the same request. */
      repeated?: boolean;
      remembered?: RememberedOptions;
    }
  | { status: 'limited'; retryAfterMs: number }
  | { status: 'busy'; queued: number }
  | { status: 'over-budget'; scope: 'service' | 'user'; spentUsd: number; heldUsd: number; needUsd: number; limitUsd: number };

export interface AdmissionRequest {
  jobId: string;
  dedupeKey: string;
  userKey: string;
  platform: Platform;
  title?: string | undefined;
  /**
   * Names this delivery of the request on its platform (a Telegram update_id), so a redelivery
   * is told apart from another request for the same file: the platform's own "seen" check,
   * folded into the same round trip.
   */
  requestId?: string | undefined;
  /** Also read the user's remembered choices (same round trip): `remembered` in the result. */
  withRemembered?: boolean;
  /** The job to queue when the request is accepted, in the same atomic step. */
  job?: PreparedJob;
}

/**
 * A BullMQ job ready to be added inside the admission script (src/queue/prepared-job.ts builds it
 * with BullMQ's own Job): BullMQ's keys and packed arguments, and the job data with its options
 * left open, so the script can merge in the remembered choices it reads.
 */
export interface PreparedJob {
  /** addStandardJob's keys, in BullMQ's order. */
  keys: readonly string[];
  packedArgs: Buffer;
  /** The data's JSON up to the value of its last member, `options` (`{..."options":`). */
  dataHead: string;
  /** The request's own options (a flat JSON object); they win over remembered choices. */
  options: string;
  packedOpts: Buffer;
}

/** The values a remembered choice may name, as the admission script reads them (comma-separated). */
const CHOICE_VALUES = [AVATAR_STYLES.join(','), VIDEO_LAYOUTS.join(',')] as const;

const DEDUPE_TTL_MS = 7 * 86_400_000;
/**
 * How long an intake entry counts when its job never reports its end (removed by hand from the
 * dashboard, lost with a Redis failover): long enough for a deep backlog to drain, short enough
 * that a leak cannot keep the service "busy" for more than a day.
 */
export const INTAKE_LEASE_MS = 24 * 3_600_000;
const DEFAULT_HOLD_MS = 3_600_000;

export class Admission {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly settings: AdmissionSettings,
    /** Tests only: a virtual clock. Production uses Redis's own clock (and Date.now() for the day). */
    private readonly clock?: () => number,
  ) {
    this.keys = redisKeys(prefix);
  }

  async admit(r: AdmissionRequest): Promise<AdmissionResult> {
    const s = this.settings;
    const k = this.keys;
    const now = this.clock?.();
    const day = utcDay(now ?? Date.now());
    const b = s.budget;
    const holdUsd = b && (b.dailyUsd !== undefined || b.userDailyUsd !== undefined) ? b.holdUsd : 0;
    const reply = await runScript<[number, string, string | number, (string | number | string[])?, unknown?]>(
      this.redis,
      ADMIT,
      [
        k.dedupe(r.dedupeKey),
        k.rate(r.userKey),
        k.intake,
        k.intakeWaiting,
        k.ops.reservations,
        k.ops.reservationExpiry,
        k.ops.day(day),
        k.ops.userCost(day),
        k.record(r.jobId),
        k.userJobs(r.userKey),
        k.preferences(r.userKey),
        // Unused unless a job is given (the script needs its full key count either way).
        ...(r.job?.keys ?? Array.from({ length: BULLMQ_ADD_KEYS }, () => k.dedupe(r.dedupeKey))),
      ],
      [
        r.jobId,
        r.userKey,
        s.rateWindowSeconds * 1000,
        s.rateMax,
        DEDUPE_TTL_MS,
        s.maxQueuedJobs,
        INTAKE_LEASE_MS,
        String(holdUsd),
        b?.holdMs ?? DEFAULT_HOLD_MS,
        b?.dailyUsd === undefined ? '' : String(b.dailyUsd),
        b?.userDailyUsd === undefined ? '' : String(b.userDailyUsd),
        r.platform,
        r.title ?? '',
        LEDGER_TTL_SECONDS,
        r.requestId ?? '',
        r.withRemembered ? '1' : '',
        now ?? '',
        ...(r.job ? [r.job.packedArgs, r.job.dataHead, r.job.options, r.job.packedOpts, ...CHOICE_VALUES] : ['']),
      ],
    );
    const remembered = (flat: unknown) => (r.withRemembered ? { remembered: rememberedFrom(pairs(flat)) } : {});
    switch (reply[0]) {
      case 1:
        // BullMQ answers the job id, or a negative number for a parent-job error (none here).
        if (r.job && reply[4] !== r.jobId) throw new Error(`admitted ${r.jobId}, but BullMQ's add answered ${String(reply[4])}`);
        return { status: 'accepted', jobId: reply[1], position: Number(reply[2]), ...remembered(reply[3]) };
      case 2:
        return {
          status: 'duplicate',
          jobId: reply[1],
          recordState: reply[2] ? String(reply[2]) : undefined,
          ...(r.requestId ? { repeated: reply[3] === 1 } : {}),
          ...remembered(reply[4]),
        };
      case 0:
        return { status: 'limited', retryAfterMs: Number(reply[1]) };
      case 3:
        return { status: 'busy', queued: Number(reply[1]) };
      default: {
        const scope = reply[1] as 'service' | 'user';
        return {
          status: 'over-budget',
          scope,
          spentUsd: Number(reply[2]),
          heldUsd: Number(reply[3]),
          needUsd: holdUsd,
          limitUsd: (scope === 'service' ? b?.dailyUsd : b?.userDailyUsd) ?? 0,
        };
      }
    }
  }

  /** Jobs waiting or running in all, as the ceiling counts them. */
  async queued(): Promise<number> {
    const now = this.clock?.() ?? Date.now();
    return this.redis.zcount(this.keys.intake, now - INTAKE_LEASE_MS, '+inf');
  }
}

/** HGETALL's flat [field, value, ...] reply, as an object. */
function pairs(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}
