// Per-user limits backed by the Lua scripts in ./lua.ts. Exact across any number of processes.
import type { Redis } from 'ioredis';
import { ACQUIRE_SLOT, ADMIT, RELEASE_SLOT } from './lua.js';

export type Admission =
  | { status: 'accepted'; jobId: string }
  | { status: 'duplicate'; jobId: string }
  | { status: 'limited'; retryAfterMs: number };

export interface LimitSettings {
  rateMax: number;
  rateWindowSeconds: number;
  maxActivePerUser: number;
}

/** How long a slot is held without renewal before it counts as abandoned (a killed worker). */
export const SLOT_LEASE_MS = 5 * 60_000;
const DEDUPE_TTL_MS = 7 * 86_400_000;

type LimitCommands = {
  d2vAdmit(k1: string, k2: string, jobId: string, windowMs: number, max: number, ttlMs: number, ...now: number[]): Promise<[number, string]>;
  d2vAcquireSlot(k1: string, k2: string, jobId: string, max: number, leaseMs: number): Promise<number>;
  d2vReleaseSlot(k1: string, k2: string, jobId: string): Promise<string | null>;
};

function withCommands(redis: Redis): Redis & LimitCommands {
  const r = redis as Redis & Partial<LimitCommands>;
  if (!r.d2vAdmit) {
    redis.defineCommand('d2vAdmit', { numberOfKeys: 2, lua: ADMIT });
    redis.defineCommand('d2vAcquireSlot', { numberOfKeys: 2, lua: ACQUIRE_SLOT });
    redis.defineCommand('d2vReleaseSlot', { numberOfKeys: 2, lua: RELEASE_SLOT });
  }
  return r as Redis & LimitCommands;
}

export class UserLimits {
  private readonly redis: Redis & LimitCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly settings: LimitSettings,
    /** Tests only: a virtual clock for the rate window. Production uses Redis's own clock. */
    private readonly clock?: () => number,
  ) {
    this.redis = withCommands(redis);
  }

  private key(kind: string, id: string): string {
    return `${this.prefix}:${kind}:${id}`;
  }

  /**
   * Count a request against the user's window unless it is a repeat of one already admitted.
   * `dedupeKey` names the request on its platform (Telegram chat+message, Slack file id...).
   */
  async admit(userKey: string, dedupeKey: string, jobId: string): Promise<Admission> {
    const [kind, value] = await this.redis.d2vAdmit(
      this.key('dedupe', dedupeKey),
      this.key('rate', userKey),
      jobId,
      this.settings.rateWindowSeconds * 1000,
      this.settings.rateMax,
      DEDUPE_TTL_MS,
      ...(this.clock ? [this.clock()] : []),
    );
    if (kind === 1) return { status: 'accepted', jobId: value };
    if (kind === 2) return { status: 'duplicate', jobId: value };
    return { status: 'limited', retryAfterMs: Number(value) };
  }

  /** Accepted requests in the user's current window. */
  async used(userKey: string): Promise<number> {
    const k = this.key('rate', userKey);
    const [sec, micro] = await this.redis.time();
    const now = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    return this.redis.zcount(k, now - this.settings.rateWindowSeconds * 1000 + 1, '+inf');
  }

  async acquireSlot(userKey: string, jobId: string, leaseMs = SLOT_LEASE_MS): Promise<boolean> {
    const got = await this.redis.d2vAcquireSlot(
      this.key('active', userKey),
      this.key('slotwait', userKey),
      jobId,
      this.settings.maxActivePerUser,
      leaseMs,
    );
    return got === 1;
  }

  /** Returns the id of the user's job that waits longest for a slot, so the caller can wake it. */
  async releaseSlot(userKey: string, jobId: string): Promise<string | undefined> {
    const next = await this.redis.d2vReleaseSlot(this.key('active', userKey), this.key('slotwait', userKey), jobId);
    return next ?? undefined;
  }

  async activeJobs(userKey: string): Promise<string[]> {
    const [sec, micro] = await this.redis.time();
    const now = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    return this.redis.zrangebyscore(this.key('active', userKey), now, '+inf');
  }
}
