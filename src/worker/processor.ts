// The BullMQ side of a job: wraps the BullMQ job as a PipelineJob, runs the pipeline, and turns
// its outcome into a final state, a chat message and a log line. Nothing that a job does can
// crash the worker: every error ends as a retry, a failure with a code, or a quiet stop.
import { DelayedError, UnrecoverableError, type Job, type Processor, type Queue } from 'bullmq';
import { JobError, isJobError } from '../errors.js';
import type { Logger, WatchedEvent } from '../logger.js';
import type { JobRecords } from '../jobs/records.js';
import type { UserLimits } from '../limits/limits.js';
import { adapterFor, ChatUnavailableError, type PipelineJob } from '../../pipeline/ports.js';
import { nextStep, type Checkpoint, type VideoJobData, type VideoJobResult } from '../../pipeline/job.js';
import { adapterContext, runPipeline, type PipelineDeps } from '../../pipeline/run.js';

export interface ProcessorDeps extends Omit<PipelineDeps, 'slots'> {
  queue: Queue<VideoJobData, VideoJobResult>;
  records: JobRecords;
  limits?: UserLimits;
  /** Called once per job when it reaches a final state (metrics, costs). */
  onFinished?(
    job: Job<VideoJobData, VideoJobResult>,
    outcome: 'completed' | 'failed' | 'cancelled',
    code?: string,
  ): void | Promise<void>;
}

function toPipelineJob(job: Job<VideoJobData, VideoJobResult>, token: string | undefined, signal: AbortSignal): PipelineJob {
  return {
    id: job.id!,
    data: job.data,
    signal,
    async saveCheckpoint(patch: Partial<Checkpoint>) {
      job.data.checkpoint = { ...job.data.checkpoint, ...patch };
      await job.updateData(job.data);
    },
    async saveChat(patch: Record<string, unknown>) {
      job.data.chat = { ...job.data.chat, ...patch };
      await job.updateData(job.data);
    },
    async sleepUntil(at: number): Promise<never> {
      await job.moveToDelayed(Math.max(at, Date.now() + 1), token);
      throw new DelayedError();
    },
  };
}

export function createVideoProcessor(deps: ProcessorDeps): Processor<VideoJobData, VideoJobResult> {
  const slots = deps.limits
    ? { acquire: (userKey: string, jobId: string) => deps.limits!.acquireSlot(userKey, jobId) }
    : undefined;

  return async (job, token, signal) => {
    const abort = signal ?? new AbortController().signal;
    const logger = deps.logger.child({ jobId: job.id });
    const pjob = toPipelineJob(job, token, abort);
    const firstRun = job.attemptsMade === 0 && Object.keys(job.data.checkpoint).length === 0;
    if (firstRun) logger.info({ event: 'job_started', platform: job.data.requester.platform }, 'job started');

    try {
      const result = await runPipeline(pjob, { ...deps, ...(slots ? { slots } : {}) });
      await settle(deps, job, 'completed');
      logger.info({ event: 'job_completed', duration_ms: Date.now() - job.data.createdAt, ...result }, 'job completed');
      return result;
    } catch (err) {
      if (err instanceof DelayedError) throw err;

      if (err instanceof ChatUnavailableError) {
        logger.warn(
          { event: 'chat_unavailable', platform: err.platform, reason: err.reason },
          'chat is gone; job stopped quietly',
        );
        await settle(deps, job, 'cancelled');
        return {};
      }
      const jobErr = classify(err);
      if (jobErr.code === 'CANCELLED') {
        logger.info({ event: 'job_cancelled' }, 'job cancelled; nothing more is sent');
        await settle(deps, job, 'cancelled', 'CANCELLED');
        return {};
      }

      const attempts = job.opts.attempts ?? 1;
      const final = !jobErr.retryable || job.attemptsMade + 1 >= attempts;
      if (!final) {
        logger.warn(
          { event: 'job_retry' satisfies WatchedEvent, code: jobErr.code, attempt: job.attemptsMade + 1, err: jobErr.message },
          'job will be retried',
        );
        throw jobErr;
      }
      await failJob(deps, job, jobErr);
      throw new UnrecoverableError(`${jobErr.code}: ${jobErr.message}`);
    }
  };
}

/**
 * A job's final failure: log it with its code, tell the user, settle its bookkeeping. Also used
 * for a job BullMQ failed outside the processor (stalled too often after repeated crashes).
 */
export async function failJob(deps: ProcessorDeps, job: Job<VideoJobData, VideoJobResult>, jobErr: JobError): Promise<void> {
  const logger = deps.logger.child({ jobId: job.id });
  logger.error(
    { event: 'job_failed' satisfies WatchedEvent, code: jobErr.code, err: jobErr.message, step: nextStep(job.data.checkpoint) },
    'job failed',
  );
  await notifyFailure(deps, job, jobErr, logger);
  await settle(deps, job, 'failed', jobErr.code);
}

function classify(err: unknown): JobError {
  if (isJobError(err)) return err;
  // A job removed under us (cancelled while active) cannot be updated any more.
  if (err instanceof Error && /Missing key for job/.test(err.message)) return new JobError('CANCELLED');
  return new JobError('INTERNAL', err instanceof Error ? err.message : String(err), { retryable: true, cause: err });
}

async function notifyFailure(deps: ProcessorDeps, job: Job<VideoJobData, VideoJobResult>, error: JobError, logger: Logger) {
  if (job.data.chat.failureNotified) return;
  try {
    const adapter = adapterFor(deps.adapters, job.data.requester.platform);
    await adapter.fail(adapterContext(toPipelineJob(job, undefined, new AbortController().signal), logger), error);
    job.data.chat = { ...job.data.chat, failureNotified: true };
    await job.updateData(job.data).catch(() => {});
  } catch (err) {
    logger.warn({ event: 'failure_notice_failed', err }, 'could not tell the user about the failure');
  }
}

/** Final bookkeeping: /status record, the user's concurrency slot, waking the next waiting job. */
async function settle(
  deps: ProcessorDeps,
  job: Job<VideoJobData, VideoJobResult>,
  outcome: 'completed' | 'failed' | 'cancelled',
  code?: JobError['code'],
): Promise<void> {
  // Costs first, awaited: the job stays active until they are recorded (a crash before that
  // re-runs the settle, and the ledger counts a job once), and a /status record that says
  // "completed" already carries its cost.
  await Promise.resolve()
    .then(() => deps.onFinished?.(job, outcome, code))
    .catch((err: unknown) =>
      deps.logger.warn({ event: 'on_finished_failed', jobId: job.id, err }, 'final bookkeeping hook failed'),
    );
  await deps.records.finish(job.id!, outcome, code).catch(() => {});
  if (deps.limits) {
    const next = await deps.limits.releaseSlot(job.data.requester.userKey, job.id!).catch(() => undefined);
    if (next) {
      const waiting = await deps.queue.getJob(next);
      if (waiting && (await waiting.isDelayed())) await waiting.promote().catch(() => {});
    }
  }
}
