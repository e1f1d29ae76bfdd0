// The one way a front door turns a request into a job: the allow-lists, then admission — one
// atomic Redis script (dedupe, rate window, intake ceiling, budget hold, /status record and the
// durable BullMQ job itself; see src/limits/admission.ts). One round trip on the hot path.
// Front doors answer their platform only after submit() resolves, so an error here makes the
// platform retry, and the retry is deduplicated.
import { JobError } from '../errors.js';
import type { Logger, WatchedEvent } from '../logger.js';
import type { FileRef, JobOptions, Requester, VideoJobData } from '../../pipeline/job.js';
import type { Admission } from '../limits/admission.js';
import { jobIdFor, videoJobOptions, type VideoQueue } from './video-queue.js';
import { prepareVideoJob } from './prepared-job.js';

export interface SubmitRequest {
  /** Names the request on its platform: the same value for a redelivered update. */
  dedupeKey: string;
  requester: Requester;
  file: FileRef;
  options?: JobOptions;
  title?: string;
  /** This delivery of the request (a Telegram update_id): see AdmissionRequest.requestId. */
  requestId?: string;
  /**
   * Put the user's remembered choices (avatar, layout, captions) under `options`; they are read
   * inside the admission script, so this costs no round trip of its own.
   */
  withRemembered?: boolean;
}

export type SubmitOutcome =
  | { status: 'accepted'; jobId: string; position: number }
  /** repeated: this very request (same requestId) was admitted before: a redelivery. */
  | { status: 'duplicate'; jobId: string; repeated?: boolean }
  | { status: 'limited'; retryAfterMs: number }
  /** SERVICE_BUSY: the intake ceiling (MAX_QUEUED_JOBS) is reached; nothing was stored. */
  | { status: 'busy'; error: JobError }
  /** BUDGET_EXCEEDED or NOT_ALLOWED; nothing was stored. */
  | { status: 'refused'; error: JobError };

/**
 * An extra check run before admission; it refuses by throwing (a JobError is an answer, any
 * other error a failure the platform retries). Nothing is stored when one throws.
 */
export type AdmissionGuard = (request: SubmitRequest) => Promise<void>;

/** Who may make videos (ALLOWED_TELEGRAM_USERS, ALLOWED_SLACK_TEAMS); an empty list lets all in. */
export interface AccessLists {
  telegramUsers: readonly string[];
  slackTeams: readonly string[];
}

export interface SubmitterDeps {
  queue: VideoQueue;
  admission: Admission;
  logger: Logger;
  jobTtlSeconds: number;
  access?: AccessLists;
  guards?: AdmissionGuard[];
  /** First retry delay of a failed attempt (doubles each time). */
  retryBackoffMs?: number;
}

export class JobSubmitter {
  constructor(private readonly deps: SubmitterDeps) {}

  async submit(request: SubmitRequest): Promise<SubmitOutcome> {
    const { queue, admission, logger } = this.deps;
    const jobId = jobIdFor(request.dedupeKey);
    const { userKey, platform } = request.requester;

    if (!this.allowed(request.requester)) {
      logger.info(
        { event: 'request_not_allowed' satisfies WatchedEvent, platform, userKey },
        'request refused: not on the allow-list',
      );
      return { status: 'refused', error: new JobError('NOT_ALLOWED') };
    }
    for (const guard of this.deps.guards ?? []) await guard(request);

    // The job goes to Redis inside the admission script, written only if the request is accepted.
    const base: Omit<VideoJobData, 'options'> = {
      requester: request.requester,
      file: request.file,
      checkpoint: {},
      chat: {},
      createdAt: Date.now(),
    };
    const jobOpts = { ...videoJobOptions(this.deps.jobTtlSeconds, this.deps.retryBackoffMs), jobId };
    const job = await prepareVideoJob(queue, 'video', base, request.options ?? {}, jobOpts);
    const created = (position: number): SubmitOutcome => {
      logger.info({ event: 'job_created', jobId, platform, userKey, position }, 'job created');
      return { status: 'accepted', jobId, position };
    };

    const a = await admission.admit({
      jobId,
      dedupeKey: request.dedupeKey,
      userKey,
      platform,
      title: request.title,
      requestId: request.requestId,
      withRemembered: request.withRemembered ?? false,
      job,
    });
    switch (a.status) {
      case 'limited':
        logger.info(
          { event: 'rate_limited' satisfies WatchedEvent, userKey, retryAfterMs: a.retryAfterMs },
          'request refused by the rate limit',
        );
        return a;
      case 'busy':
        logger.warn(
          { event: 'service_busy' satisfies WatchedEvent, userKey, queued: a.queued },
          'request refused: the intake ceiling is reached',
        );
        return { status: 'busy', error: new JobError('SERVICE_BUSY', `${a.queued} jobs waiting or running`) };
      case 'over-budget':
        logger.warn(
          {
            event: 'budget_exceeded' satisfies WatchedEvent,
            scope: a.scope,
            at: 'submit',
            jobId,
            userKey,
            spent_usd: a.spentUsd,
            held_usd: a.heldUsd,
            need_usd: a.needUsd,
            limit_usd: a.limitUsd,
          },
          'refused: over the daily budget',
        );
        return {
          status: 'refused',
          error: new JobError(
            'BUDGET_EXCEEDED',
            `${a.scope} daily budget: spent ${a.spentUsd.toFixed(2)} + held ${a.heldUsd.toFixed(2)} + this job ${a.needUsd.toFixed(2)} > ${a.limitUsd.toFixed(2)} USD`,
          ),
        };
      case 'duplicate': {
        // Admitted before. If that admission stands without its job (written by an older version
        // that added jobs in a second step and died between the two), finish it now.
        if (a.recordState !== 'queued' || (await queue.getJob(a.jobId))) {
          logger.info({ event: 'duplicate_request', jobId: a.jobId, repeated: a.repeated }, 'request already has a job');
          return { status: 'duplicate', jobId: a.jobId, ...(a.repeated !== undefined ? { repeated: a.repeated } : {}) };
        }
        const counts = await queue.getJobCounts('waiting', 'prioritized');
        const position = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + 1;
        await queue.add('video', { ...base, options: { ...a.remembered, ...request.options } }, jobOpts);
        return created(position);
      }
      case 'accepted':
        return created(a.position);
    }
  }

  private allowed(r: Requester): boolean {
    const access = this.deps.access;
    if (r.platform === 'telegram' && access?.telegramUsers.length) return access.telegramUsers.includes(r.userId);
    if (r.platform === 'slack' && access?.slackTeams.length) return !!r.teamId && access.slackTeams.includes(r.teamId);
    return true;
  }
}
