// Per-user limits backed by Lua scripts (src/redis/scripts). Exact across any number of processes.
import type { Redis } from 'ioredis';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { ACQUIRE_SLOT } from '../redis/scripts/acquire-slot.js';
import { ADMIT } from '../redis/scripts/admit.js';
import { RELEASE_SLOT } from '../redis/scripts/release-slot.js';

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

export class UserLimits {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly settings: LimitSettings,
    /** Tests only: a virtual clock for the rate window. Production uses Redis's own clock. */
    private readonly clock?: () => number,
  ) {
    this.keys = redisKeys(prefix);
  }

  /**
   * Count a request against the user's window unless it is a repeat of one already admitted.
   * `dedupeKey` names the request on its platform (Telegram chat+message, Slack file id...).
   */
  async admit(userKey: string, dedupeKey: string, jobId: string): Promise<Admission> {
    const [kind, value] = await runScript<[number, string]>(
      this.redis,
      ADMIT,
      [this.keys.dedupe(dedupeKey), this.keys.rate(userKey)],
      [jobId, this.settings.rateWindowSeconds * 1000, this.settings.rateMax, DEDUPE_TTL_MS, ...(this.clock ? [this.clock()] : [])],
    );
    if (kind === 1) return { status: 'accepted', jobId: value };
    if (kind === 2) return { status: 'duplicate', jobId: value };
    return { status: 'limited', retryAfterMs: Number(value) };
  }

  /** Accepted requests in the user's current window. */
  async used(userKey: string): Promise<number> {
    const k = this.keys.rate(userKey);
    const [sec, micro] = await this.redis.time();
    const now = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    return this.redis.zcount(k, now - this.settings.rateWindowSeconds * 1000 + 1, '+inf');
  }

  async acquireSlot(userKey: string, jobId: string, leaseMs = SLOT_LEASE_MS): Promise<boolean> {
    const got = await runScript<number>(
      this.redis,
      ACQUIRE_SLOT,
      [this.keys.activeSlots(userKey), this.keys.slotWait(userKey)],
      [jobId, this.settings.maxActivePerUser, leaseMs],
    );
    return got === 1;
  }

  /** Returns the id of the user's job that waits longest for a slot, so the caller can wake it. */
  async releaseSlot(userKey: string, jobId: string): Promise<string | undefined> {
    const next = await runScript<string | null>(
      this.redis,
      RELEASE_SLOT,
      [this.keys.activeSlots(userKey), this.keys.slotWait(userKey)],
      [jobId],
    );
    return next ?? undefined;
  }

  async activeJobs(userKey: string): Promise<string[]> {
    const [sec, micro] = await this.redis.time();
    const now = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    return this.redis.zrangebyscore(this.keys.activeSlots(userKey), now, '+inf');
  }
}
