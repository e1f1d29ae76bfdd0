// Per-user concurrency slots backed by Lua scripts (src/redis/scripts), exact across any number
// of processes. Admission (dedupe, rate window, intake ceiling, budget) is in ./admission.ts.
import type { Redis } from 'ioredis';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { ACQUIRE_SLOT } from '../redis/scripts/acquire-slot.js';
import { RELEASE_SLOT } from '../redis/scripts/release-slot.js';

export interface LimitSettings {
  rateMax: number;
  rateWindowSeconds: number;
  maxActivePerUser: number;
}

/** How long a slot is held without renewal before it counts as abandoned (a killed worker). */
const SLOT_LEASE_MS = 5 * 60_000;

export class UserLimits {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly settings: LimitSettings,
  ) {
    this.keys = redisKeys(prefix);
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
