// The BullMQ queue that carries video jobs, and how job ids are made.
import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { VideoJobData, VideoJobResult } from '../../pipeline/job.js';

export const VIDEO_QUEUE = 'video';

export type VideoQueue = Queue<VideoJobData, VideoJobResult>;

export function createVideoQueue(connection: ConnectionOptions, prefix: string): VideoQueue {
  return new Queue<VideoJobData, VideoJobResult>(VIDEO_QUEUE, { connection, prefix });
}

/** Attempts cover provider outages (LLM_UNAVAILABLE, a D-ID 5xx); bad input fails at once. */
export function videoJobOptions(jobTtlSeconds: number, backoffMs = 10_000): JobsOptions {
  return {
    attempts: 3,
    backoff: { type: 'exponential', delay: backoffMs, jitter: 0.2 },
    removeOnComplete: { age: jobTtlSeconds },
    removeOnFail: { age: jobTtlSeconds },
  };
}

const B32 = 'abcdefghijkmnpqrstuvwxyz23456789';

/**
 * A short, stable job id derived from what identifies the request on its platform, so the same
 * request delivered twice maps to the same BullMQ job. BullMQ ids must not contain ':' nor be
 * all digits; these are 10 lowercase letters/digits, easy to type in /cancel.
 */
export function jobIdFor(dedupeKey: string): string {
  const digest = createHash('sha256').update(dedupeKey).digest();
  let id = '';
  for (let i = 0; i < 10; i++) id += B32[digest[i]! % B32.length];
  return id;
}
