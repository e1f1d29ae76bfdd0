// The worker: a BullMQ Worker running the video processor, plus what a worker process owes the
// system: cancellation messages, the scheduled clean-up of old job records, and a graceful close.
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger, WatchedEvent } from '../logger.js';
import type { JobRecords } from '../jobs/records.js';
import type { UserLimits } from '../limits/limits.js';
import type { MediaToolkit, NotesCache, PageImages, ScriptCache, ScriptWriter, VideoRenderer } from '../../pipeline/ports.js';
import { DEFAULT_LONG_DOCUMENTS } from '../../pipeline/script/long-document.js';
import { MAX_TEXT_PAGES } from '../../pipeline/pdf/extract.js';
import type { VideoJobData, VideoJobResult } from '../../pipeline/job.js';
import type { AdapterRegistry, PipelineObserver, VideoKeeper } from '../../pipeline/ports.js';
import { VIDEO_QUEUE, type VideoQueue } from '../queue/video-queue.js';
import { createRenderClaims } from '../jobs/render-claims.js';
import { cancelChannel, isCancelled } from '../queue/cancel.js';
import { JobError } from '../errors.js';
import { createVideoProcessor, failJob, type ProcessorDeps } from './processor.js';
import type { VideoStore } from '../storage/video-store.js';
import { sweepStore } from '../storage/retention.js';
import { INTAKE_LEASE_MS } from '../limits/admission.js';

/** What a worker needs from the process around it (the composition root's services satisfy it). */
export interface VideoWorkerDeps {
  config: Pick<Config, 'redisPrefix' | 'workerConcurrency' | 'limits' | 'video' | 'storage'> & {
    script?: Pick<Config['script'], 'longDocuments'>;
  };
  logger: Logger;
  /** Commands: cancel flags and their pub/sub channel. */
  redis: Redis;
  /** BullMQ's blocking connection. */
  bullRedis: Redis;
  queue: VideoQueue;
  records: JobRecords;
  limits: UserLimits;
  scriptCache: ScriptCache;
  notesCache?: NotesCache;
  writer: ScriptWriter;
  renderer: VideoRenderer;
  /** ffmpeg for the explainer composite; pdftoppm for its page images. */
  media: MediaToolkit;
  pageImages: PageImages;
  /** Where jobs keep their files while they run. */
  workDir: string;
  /** Kept videos and uploaded PDFs: swept with the records. */
  store?: Pick<VideoStore, 'listOlderThan' | 'delete'>;
  webhookUrlFor(jobId: string): string | undefined;
}

export interface WorkerOptions {
  concurrency?: number;
  /** Shorter values make crash recovery faster in tests. */
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  observer?: PipelineObserver;
  onFinished?(
    job: Job<VideoJobData, VideoJobResult>,
    outcome: 'completed' | 'failed' | 'cancelled',
    code?: string,
  ): void | Promise<void>;
  /** How often finished job records are swept (ms). */
  sweepEveryMs?: number;
  slotRecheckMs?: number;
  prefix?: string;
  /** Keeps every delivered video in the store (web and worker processes; not the CLI). */
  keeper?: VideoKeeper;
}

export interface RunningWorker {
  worker: Worker<VideoJobData, VideoJobResult>;
  /** Stop taking jobs; wait for active ones up to `timeoutMs`, then hand them back. */
  close(timeoutMs?: number): Promise<void>;
}

export function startVideoWorker(services: VideoWorkerDeps, adapters: AdapterRegistry, opts: WorkerOptions = {}): RunningWorker {
  const { config, logger, records } = services;
  const prefix = opts.prefix ?? services.queue.opts.prefix ?? config.redisPrefix;

  const observer: PipelineObserver = {
    ...opts.observer,
    async stateChanged(job, state, step) {
      await records.update(job.id, { state, step });
      await opts.observer?.stateChanged?.(job, state, step);
    },
  };

  const processorDeps: ProcessorDeps = {
    logger,
    adapters,
    writer: services.writer,
    renderer: services.renderer,
    media: services.media,
    pageImages: services.pageImages,
    videoDefaults: { layout: config.video.layout, captions: config.video.captions },
    scriptCache: services.scriptCache,
    ...(services.notesCache ? { notesCache: services.notesCache } : {}),
    longDocuments: {
      ...(config.script?.longDocuments ?? DEFAULT_LONG_DOCUMENTS),
      maxPdfPages: config.limits.maxPdfPages ?? MAX_TEXT_PAGES,
    },
    observer,
    isCancelled: (jobId) => isCancelled(services.redis, prefix, jobId),
    workDir: services.workDir,
    maxPdfBytes: config.limits.maxPdfBytes,
    renderDeadlineMs: config.video.did.deadlineMs,
    webhookUrlFor: services.webhookUrlFor,
    queue: services.queue,
    records,
    limits: services.limits,
    renderClaims: createRenderClaims(services.redis, prefix),
    ...(opts.slotRecheckMs ? { slotRecheckMs: opts.slotRecheckMs } : {}),
    ...(opts.onFinished ? { onFinished: opts.onFinished } : {}),
    ...(opts.keeper ? { keeper: opts.keeper } : {}),
  };
  const processor = createVideoProcessor(processorDeps);

  const worker = new Worker<VideoJobData, VideoJobResult>(VIDEO_QUEUE, processor, {
    connection: services.bullRedis,
    prefix,
    concurrency: opts.concurrency ?? config.workerConcurrency,
    lockDuration: opts.lockDuration ?? 30_000,
    stalledInterval: opts.stalledInterval ?? 30_000,
    // A job whose worker died mid-step resumes from its checkpoint; checkpoints make a re-run cheap, so tolerate a few crashes in a row before giving up.
    maxStalledCount: opts.maxStalledCount ?? 5,
  });
  worker.on('error', (err) => logger.error({ event: 'worker_error' satisfies WatchedEvent, err: err.message }, 'worker error'));
  worker.on('failed', (job, err) => {
    if (!job)
      logger.error({ event: 'worker_job_lost' satisfies WatchedEvent, err: err.message }, 'a job failed without a job object');
    // BullMQ fails a job that stalled too often without calling our processor: tell the user.
    else if (/stalled/i.test(err.message)) {
      void failJob(processorDeps, job, new JobError('INTERNAL', err.message)).catch(() => {});
    }
  });

  // /cancel from a web process: abort the job's in-flight work if this worker holds it.
  const sub = services.redis.duplicate();
  sub.on('error', () => {});
  void sub.subscribe(cancelChannel(prefix)).catch(() => {});
  sub.on('message', (_channel, jobId: string) => {
    if (worker.cancelJob(jobId, 'cancelled by the user')) {
      logger.info({ event: 'job_abort_requested', jobId }, 'aborting a cancelled job');
    }
  });

  // Strict retention: BullMQ removes old jobs lazily, so sweep on a schedule as well.
  const sweep = async () => {
    try {
      const removed = await records.sweep();
      const graceMs = config.limits.jobTtlSeconds * 1000;
      await services.queue.clean(graceMs, 1000, 'completed');
      await services.queue.clean(graceMs, 1000, 'failed');
      if (removed) logger.info({ event: 'records_swept', removed }, 'old job records removed');
      if (services.store) {
        const swept = await sweepStore(services.store, {
          videoRetentionMs: config.storage.retentionDays * 86_400_000,
          // An upload normally goes once its text is extracted (or its job fails or is
          // cancelled); one whose job never ran goes when the job could no longer be waiting.
          uploadTtlMs: Math.max(config.limits.jobTtlSeconds * 1000, INTAKE_LEASE_MS),
        });
        if (swept.videos || swept.uploads) logger.info({ event: 'store_swept', ...swept }, 'expired videos and uploads removed');
      }
    } catch (err) {
      logger.warn({ event: 'sweep_failed', err: (err as Error).message }, 'clean-up failed');
    }
  };
  const timer = setInterval(() => void sweep(), opts.sweepEveryMs ?? 60_000);
  timer.unref();

  return {
    worker,
    async close(timeoutMs = 25_000) {
      clearInterval(timer);
      sub.disconnect();
      // Finish active jobs if they end in time; otherwise force-close: their locks lapse and
      // another worker picks them up from their checkpoints.
      let timedOut = false;
      await Promise.race([
        worker.close(),
        new Promise<void>((resolve) =>
          setTimeout(() => {
            timedOut = true;
            resolve();
          }, timeoutMs).unref(),
        ),
      ]);
      if (timedOut) {
        logger.warn({ event: 'worker_force_close' }, 'active jobs did not finish in time; handing them back');
        await worker.close(true).catch(() => {});
      }
    },
  };
}
