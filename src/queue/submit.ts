// The one way a front door turns a request into a job: admission (dedupe + rate limit), a
// /status record, then the durable BullMQ add. Front doors answer their platform only after
// submit() resolves, so an error here makes the platform retry, and the retry is deduplicated.
import type { Logger, WatchedEvent } from '../logger.js';
import type { FileRef, JobOptions, Requester, VideoJobData } from '../../pipeline/job.js';
import type { JobRecords } from '../jobs/records.js';
import type { UserLimits } from '../limits/limits.js';
import { jobIdFor, videoJobOptions, type VideoQueue } from './video-queue.js';

export interface SubmitRequest {
  /** Names the request on its platform: the same value for a redelivered update. */
  dedupeKey: string;
  requester: Requester;
  file: FileRef;
  options?: JobOptions;
  title?: string;
}

export type SubmitOutcome =
  | { status: 'accepted'; jobId: string; position: number }
  | { status: 'duplicate'; jobId: string }
  | { status: 'limited'; retryAfterMs: number };

/** Checked before any other work; throws JobError(BUDGET_EXCEEDED) to refuse. */
export type AdmissionGuard = (request: SubmitRequest) => Promise<void>;

export interface SubmitterDeps {
  queue: VideoQueue;
  limits: UserLimits;
  records: JobRecords;
  logger: Logger;
  jobTtlSeconds: number;
  guards?: AdmissionGuard[];
  /** First retry delay of a failed attempt (doubles each time). */
  retryBackoffMs?: number;
}

export class JobSubmitter {
  constructor(private readonly deps: SubmitterDeps) {}

  async submit(request: SubmitRequest): Promise<SubmitOutcome> {
    const { queue, limits, records, logger } = this.deps;
    const jobId = jobIdFor(request.dedupeKey);

    for (const guard of this.deps.guards ?? []) await guard(request);

    const admission = await limits.admit(request.requester.userKey, request.dedupeKey, jobId);
    if (admission.status === 'limited') {
      logger.info(
        { event: 'rate_limited' satisfies WatchedEvent, userKey: request.requester.userKey, retryAfterMs: admission.retryAfterMs },
        'request refused by the rate limit',
      );
      return admission;
    }
    if (admission.status === 'duplicate') {
      // Admitted before; if that attempt died between admission and add, finish it now.
      const [job, rec] = await Promise.all([queue.getJob(admission.jobId), records.get(admission.jobId)]);
      if (job || rec?.state !== 'queued') {
        logger.info({ event: 'duplicate_request', jobId: admission.jobId }, 'request already has a job');
        return { status: 'duplicate', jobId: admission.jobId };
      }
    }

    const data: VideoJobData = {
      requester: request.requester,
      file: request.file,
      options: request.options ?? {},
      checkpoint: {},
      chat: {},
      createdAt: Date.now(),
    };
    if (!(await records.get(jobId))) {
      await records.create({
        jobId,
        userKey: request.requester.userKey,
        platform: request.requester.platform,
        ...(request.title ? { title: request.title } : {}),
      });
    }
    await queue.add('video', data, { ...videoJobOptions(this.deps.jobTtlSeconds, this.deps.retryBackoffMs), jobId });
    const counts = await queue.getJobCounts('waiting', 'prioritized');
    const position = Math.max(1, (counts.waiting ?? 0) + (counts.prioritized ?? 0));
    logger.info(
      {
        event: 'job_created',
        jobId,
        platform: request.requester.platform,
        userKey: request.requester.userKey,
        position,
      },
      'job created',
    );
    return { status: 'accepted', jobId, position };
  }
}
