// Builds the long-lived parts of a process from the Config, once. Entry points (web, worker,
// dev, CLI) and end-to-end tests all assemble themselves from here, so they cannot drift apart.
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger, WatchedEvent } from '../logger.js';
import { createProducerConnection, createWorkerConnection } from '../redis/connection.js';
import { createVideoQueue, type VideoQueue } from '../queue/video-queue.js';
import { JobSubmitter, type AdmissionGuard } from '../queue/submit.js';
import { cancelJob, type CancelOutcome } from '../queue/cancel.js';
import { JobRecords } from '../jobs/records.js';
import { UserLimits } from '../limits/limits.js';
import { Admission } from '../limits/admission.js';
import { estimateJobUsd } from '../ops/budget.js';
import { createNotesCache, createScriptCache } from '../jobs/script-cache.js';
import type { MediaToolkit, NotesCache, PageImages, ScriptCache, ScriptWriter, VideoRenderer } from '../../pipeline/ports.js';
import { createFfmpegMedia } from '../../pipeline/providers/ffmpeg-media.js';
import { createPageImages } from '../../pipeline/providers/page-images.js';
import { createOpenRouterWriter } from '../../pipeline/providers/openrouter.js';
import { createLocalScriptWriter } from '../../pipeline/providers/local-script.js';
import { createDidRenderer } from '../../pipeline/providers/did.js';
import { createLocalRenderer } from '../../pipeline/providers/local-video.js';
import { webhookUrl } from '../../pipeline/render/webhook-token.js';
import { createVideoStoreFrom, type VideoStore } from '../storage/video-store.js';

export interface CoreServices {
  config: Config;
  logger: Logger;
  /** Commands (limits, records, cache). Fails fast in web processes. */
  redis: Redis;
  /** BullMQ's connection (blocking commands, retries forever). */
  bullRedis: Redis;
  queue: VideoQueue;
  limits: UserLimits;
  records: JobRecords;
  submitter: JobSubmitter;
  scriptCache: ScriptCache;
  notesCache: NotesCache;
  writer: ScriptWriter;
  renderer: VideoRenderer;
  /** ffmpeg for the explainer composite; pdftoppm for its page images. */
  media: MediaToolkit;
  pageImages: PageImages;
  workDir: string;
  /** Kept videos and captions, and PDFs uploaded through the web API (VIDEO_STORE). */
  store: VideoStore;
  webhookUrlFor(jobId: string): string | undefined;
  /** /cancel for a user's own job (any front door). */
  cancel(jobId: string, userKey: string): Promise<CancelOutcome>;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** 'web' fails fast while Redis is down (the platform retries); others wait for it. */
  role: 'web' | 'worker' | 'all';
  redisUrl: string;
  /** BullMQ prefix; defaults to config.redisPrefix. The CLI uses its own. */
  prefix?: string;
  guards?: AdmissionGuard[];
  retryBackoffMs?: number;
  writer?: ScriptWriter;
  renderer?: VideoRenderer;
}

function createScriptWriter(config: Config): ScriptWriter {
  if (config.script.provider === 'local') return createLocalScriptWriter();
  const o = config.script.openrouter;
  return createOpenRouterWriter({
    apiKey: o.apiKey!,
    baseUrl: o.baseUrl,
    model: o.model,
    notesModel: o.notesModel,
    timeoutMs: o.timeoutMs,
    ...(config.publicUrl ? { appUrl: config.publicUrl } : {}),
  });
}

function createRenderer(config: Config, workDir: string): VideoRenderer {
  if (config.video.provider === 'local') return createLocalRenderer({ workDir: path.join(workDir, 'renders') });
  const d = config.video.did;
  return createDidRenderer({ apiKey: d.apiKey!, baseUrl: d.baseUrl, api: d.api, avatars: d.avatars });
}

export function createCoreServices(config: Config, logger: Logger, opts: ServiceOptions): CoreServices {
  const prefix = opts.prefix ?? config.redisPrefix;
  const to = { url: opts.redisUrl, tls: config.redisTls };
  const redis = opts.role === 'web' ? createProducerConnection(to, logger) : createWorkerConnection(to, logger);
  const bullRedis = createWorkerConnection(to, logger);
  const queue = createVideoQueue(bullRedis, prefix);
  queue.on('error', (err) => logger.warn({ event: 'queue_error' satisfies WatchedEvent, err: err.message }, 'queue error'));
  const limits = new UserLimits(redis, prefix, config.limits);
  const records = new JobRecords(redis, prefix, config.limits.jobTtlSeconds);
  const writer = opts.writer ?? createScriptWriter(config);
  const did = config.video.did;
  const renderer = opts.renderer ?? createRenderer(config, path.resolve(config.dataDir, 'work'));
  // Budgets as plain data: what a job holds at admission follows from the providers in use.
  const admission = new Admission(redis, prefix, {
    rateMax: config.limits.rateMax,
    rateWindowSeconds: config.limits.rateWindowSeconds,
    maxQueuedJobs: config.limits.maxQueuedJobs,
    budget: {
      dailyUsd: config.budgets.dailyUsd,
      userDailyUsd: config.budgets.userDailyUsd,
      holdUsd: estimateJobUsd({
        llmEstimateUsd: config.budgets.llmEstimateUsd,
        pricePerMinuteUsd: did.pricePerMinuteUsd,
        providers: { script: writer.name, video: renderer.name },
      }),
    },
  });
  const submitter = new JobSubmitter({
    queue,
    admission,
    access: config.access,
    logger,
    jobTtlSeconds: config.limits.jobTtlSeconds,
    ...(opts.guards ? { guards: opts.guards } : {}),
    ...(opts.retryBackoffMs ? { retryBackoffMs: opts.retryBackoffMs } : {}),
  });
  const workDir = path.resolve(config.dataDir, 'work');
  const store = createVideoStoreFrom(config.storage);

  return {
    config,
    logger,
    redis,
    bullRedis,
    queue,
    limits,
    records,
    submitter,
    scriptCache: createScriptCache(redis, prefix),
    notesCache: createNotesCache(redis, prefix),
    writer,
    renderer,
    media: createFfmpegMedia(),
    pageImages: createPageImages(),
    workDir,
    store,
    cancel: (jobId, userKey) => cancelJob({ redis, queue, records, prefix, limits }, jobId, userKey),
    webhookUrlFor: (jobId) =>
      config.publicUrl && did.webhookSecret && config.video.provider === 'd-id'
        ? webhookUrl(config.publicUrl, jobId, did.webhookSecret)
        : undefined,
    async close() {
      await queue.close().catch(() => {});
      await (renderer as { close?: () => Promise<void> }).close?.().catch(() => {});
      await store.close().catch(() => {});
      redis.disconnect();
      bullRedis.disconnect();
    },
  };
}
