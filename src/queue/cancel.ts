// /cancel: only the owner may cancel. A waiting or delayed job is removed at once; an active one
// is told through a flag (checked before every step and every paid call) and a pub/sub message
// that aborts its in-flight work in whichever worker holds it.
import type { Redis } from 'ioredis';
import type { JobRecords } from '../jobs/records.js';
import { FINISHED_STATES } from '../jobs/records.js';
import type { UserLimits } from '../limits/limits.js';
import { redisKeys } from '../redis/keys.js';
import type { VideoQueue } from './video-queue.js';

export type CancelOutcome = 'cancelled' | 'not-found' | 'already-finished';

export const cancelFlagKey = (prefix: string, jobId: string) => redisKeys(prefix).cancelFlag(jobId);
export const cancelChannel = (prefix: string) => redisKeys(prefix).cancelChannel;

export async function cancelJob(
  deps: { redis: Redis; queue: VideoQueue; records: JobRecords; prefix: string; limits?: UserLimits },
  jobId: string,
  userKey: string,
): Promise<CancelOutcome> {
  const rec = await deps.records.get(jobId);
  // Someone else's job answers exactly like a missing one: ids are not secrets, but jobs are.
  if (!rec || rec.userKey !== userKey) return 'not-found';
  if (FINISHED_STATES.includes(rec.state)) return 'already-finished';

  await deps.redis.set(cancelFlagKey(deps.prefix, jobId), '1', 'EX', 86_400);
  await deps.records.finish(jobId, 'cancelled', 'CANCELLED');
  const job = await deps.queue.getJob(jobId);
  if (job) {
    try {
      // Fails while a worker holds the lock (active); the flag and the message handle that case,
      // and the worker gives the concurrency slot back when it stops.
      await job.remove();
    } catch {
      await deps.redis.publish(cancelChannel(deps.prefix), jobId);
      return 'cancelled';
    }
    // Removed before it ever ran: it spent nothing, so its budget hold is free again. (A parked
    // job may have a render D-ID still bills: its hold lapses on its own.)
    if (rec.state === 'queued') {
      const ops = redisKeys(deps.prefix).ops;
      await deps.redis.multi().hdel(ops.reservations, jobId).zrem(ops.reservationExpiry, jobId).exec();
    }
    // A parked job (waiting for its render) held a slot: give it to the user's next job now.
    const next = await deps.limits?.releaseSlot(userKey, jobId);
    if (next) await (await deps.queue.getJob(next))?.promote().catch(() => {});
  }
  return 'cancelled';
}

export async function isCancelled(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  return (await redis.exists(cancelFlagKey(prefix, jobId))) === 1;
}
