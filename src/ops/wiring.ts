// Puts the operations pieces together for one process: metrics, the cost ledger, budgets,
// renders in flight, Sentry, and the routes (/metrics, /admin/queues). Entry points call
// createOps() once after createCoreServices(); see src/main/{web,worker,dev}.ts.
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { JobRecords } from '../jobs/records.js';
import type { VideoQueue } from '../queue/video-queue.js';
import type { ScriptWriter, VideoRenderer } from '../../pipeline/ports.js';
import type { HttpServer } from '../http/server.js';
import type { WorkerOptions } from '../worker/worker.js';
import type { PipelineObserver } from '../../pipeline/ports.js';
import type { VideoJobData, VideoJobResult } from '../../pipeline/job.js';
import type { ErrorCode } from '../errors.js';
import { BudgetGuard } from './budget.js';
import { CostLedger, jobCost, workspaceOf, type JobOutcome } from './costs.js';
import type { LogEventTap } from './log-events.js';
import {
  createOpsMetrics,
  MetricsSnapshots,
  RenderTracker,
  renderMetrics,
  startSnapshotPusher,
  type OpsMetrics,
  type ProcessRole,
} from './metrics.js';
import { mountAdminDashboard } from './admin-dashboard.js';
import { listenMetrics, metricsRoutes } from './metrics-route.js';
import { initSentry, type ErrorReporter } from './sentry.js';
import { usageReport, type UsageReport } from './usage.js';

/** What operations need from the process (the composition root's services satisfy it). */
export interface OpsDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
  queue: VideoQueue;
  records: JobRecords;
  /** Only their names: free (offline) providers hold no budget. */
  writer: Pick<ScriptWriter, 'name'>;
  renderer: Pick<VideoRenderer, 'name'>;
}

export interface OpsOptions {
  /** web: serves /metrics (merging the workers'), the dashboard.
   *  worker: observer + onFinished, pushes its metrics to Redis. all: both, one process (dev). */
  role: ProcessRole;
  /** The process's log tap (from boot()): provider calls/errors for metrics, failures for Sentry. */
  logTap?: LogEventTap;
  /** Overrides the `process` label (tests run several "processes" in one). */
  instance?: string;
  /** How often a worker publishes its metrics (default 10 s). */
  pushEveryMs?: number;
  /** Node process metrics; default true. */
  defaultMetrics?: boolean;
  /** Default: initSentry(config, logger). */
  errors?: ErrorReporter;
}

export interface Ops {
  metrics: OpsMetrics;
  ledger: CostLedger;
  budget: BudgetGuard;
  renders: RenderTracker;
  snapshots: MetricsSnapshots;
  errors: ErrorReporter;
  /** For the worker: budget checks before paid steps, step durations, renders in flight. */
  observer: PipelineObserver;
  /** For the worker: records the job's cost (once), counts it, stores it on the job record. */
  onFinished(job: Job<VideoJobData, VideoJobResult>, outcome: JobOutcome, code?: string): Promise<void>;
  workerOptions(): Pick<WorkerOptions, 'observer' | 'onFinished'>;
  /**
   * GET /metrics on the public server when METRICS_TOKEN is set (bearer), and /admin/queues when
   * ADMIN_USER/ADMIN_PASSWORD are set. Logs `metrics_off` when /metrics is served nowhere.
   */
  mountRoutes(http: HttpServer): void;
  /** The METRICS_PORT listener (GET /metrics only, no token), when METRICS_PORT is set. */
  listenMetrics(host?: string): Promise<HttpServer | undefined>;
  /** The admin usage report for a UTC day (default today). */
  usage(day?: string): Promise<UsageReport>;
  /** Starts publishing metrics (worker role). */
  start(): void;
  close(): Promise<void>;
}

export function createOps(services: OpsDeps, opts: OpsOptions): Ops {
  const { config, logger, redis } = services;
  const prefix = services.queue.opts.prefix ?? config.redisPrefix;
  const isWeb = opts.role !== 'worker';

  // A render counts as in flight until it ends; entries a job left behind (removed while
  // parked) stop counting after the render deadline plus a margin.
  const renders = new RenderTracker(redis, prefix, config.video.did.deadlineMs + 15 * 60_000);
  const metrics = createOpsMetrics({
    role: opts.role,
    ...(opts.instance ? { instance: opts.instance } : {}),
    defaultMetrics: opts.defaultMetrics ?? true,
    ...(isWeb ? { queue: services.queue, renders } : {}),
    logger,
  });
  const ledger = new CostLedger(redis, prefix);
  const snapshots = new MetricsSnapshots(redis, prefix);
  const errors = opts.errors ?? initSentry(config, logger);

  const budget = new BudgetGuard(
    redis,
    prefix,
    {
      dailyUsd: config.budgets.dailyUsd,
      userDailyUsd: config.budgets.userDailyUsd,
      llmEstimateUsd: config.budgets.llmEstimateUsd,
      pricePerMinuteUsd: config.video.did.pricePerMinuteUsd,
      providers: { script: services.writer.name, video: services.renderer.name },
      runHoldMs: config.video.did.deadlineMs + 3_600_000,
    },
    {
      logger,
      // Refusals before a paid step; those at submit are counted by the admission script
      // (usage report) and by the metrics' log tap (budget_exceeded at submit).
      onRefused(scope, at) {
        metrics.limitRejected(scope === 'service' ? 'budget_service' : 'budget_user', at);
      },
    },
  );

  const unsubscribe: (() => void)[] = [];
  if (opts.logTap) {
    unsubscribe.push(metrics.attachLogTap(opts.logTap));
    unsubscribe.push(errors.attachLogTap(opts.logTap));
  }

  const budgetObserver = budget.observer();
  const observer: PipelineObserver = {
    beforePaidStep: budgetObserver.beforePaidStep,
    beforeLlmCalls: budgetObserver.beforeLlmCalls,
    stepFinished(job, step, durationMs) {
      metrics.stepDuration(step, durationMs);
      if (step === 'wait' && job.data.checkpoint.wait) void renders.done(job.id).catch(() => {});
    },
    async stateChanged(job, state) {
      if (state === 'rendering') await renders.touch(job.id).catch(() => {});
    },
  };

  async function onFinished(job: Job<VideoJobData, VideoJobResult>, outcome: JobOutcome, code?: string): Promise<void> {
    const jobId = job.id!;
    const errCode = code as ErrorCode | undefined;
    const cp = job.data.checkpoint;
    const cost = jobCost(cp, { pricePerMinuteUsd: config.video.did.pricePerMinuteUsd, outcome, code: errCode });
    const requester = job.data.requester;
    const workspace = workspaceOf(requester);
    void renders.done(jobId).catch(() => {});
    let first = true;
    try {
      first = await ledger.record({ jobId, userKey: requester.userKey, workspace, outcome, code: errCode, cost });
    } catch (err) {
      // The metrics still count it; the ledger misses this one job (logged for reconciliation).
      logger.warn({ event: 'cost_record_failed', jobId, err: (err as Error).message }, 'could not record the job cost');
    }
    if (!first) return;
    metrics.jobFinished(outcome, code);
    metrics.cost(cost);
    logger.info(
      {
        event: 'cost_estimate',
        jobId,
        userKey: requester.userKey,
        workspace,
        outcome,
        ...(code ? { code } : {}),
        llm_usd: cost.llmUsd,
        video_usd: cost.videoUsd,
        total_usd: cost.totalUsd,
        ...(cost.videoEstimated ? { video_estimated: true } : {}),
        ...(cp.wait?.durationSeconds !== undefined ? { video_seconds: cp.wait.durationSeconds } : {}),
        ...(cp.script ? { script_provider: cp.script.provider, script_cached: cp.script.cached } : {}),
        ...(cp.render ? { video_provider: cp.render.provider } : {}),
      },
      'job cost',
    );
    await services.records.update(jobId, { costUsd: cost.totalUsd }).catch(() => {});
  }

  let pusher: ReturnType<typeof startSnapshotPusher> | undefined;

  return {
    metrics,
    ledger,
    budget,
    renders,
    snapshots,
    errors,
    observer,
    onFinished,
    workerOptions: () => ({ observer, onFinished }),
    mountRoutes(http) {
      // A web-only process merges the workers' snapshots; 'all' has everything itself but
      // still merges any separate workers.
      const render = () => renderMetrics(metrics, snapshots);
      if (config.metrics.token) {
        void http.app.register(metricsRoutes({ render, token: config.metrics.token }));
      } else if (config.metrics.port === undefined) {
        logger.warn({ event: 'metrics_off', reason: 'neither METRICS_TOKEN nor METRICS_PORT is set' }, '/metrics is not served');
      }
      mountAdminDashboard(http, {
        queues: [services.queue],
        user: config.admin.user,
        password: config.admin.password,
        logger,
        redis,
        prefix,
      });
    },
    async listenMetrics(host) {
      if (config.metrics.port === undefined) return undefined;
      return listenMetrics(logger, config.http, {
        port: config.metrics.port,
        ...(host ? { host } : {}),
        render: () => renderMetrics(metrics, snapshots),
      });
    },
    usage: (day) => usageReport({ redis, prefix, config }, day ? { day } : {}),
    start() {
      if (opts.role === 'worker' && !pusher) {
        pusher = startSnapshotPusher(snapshots, metrics, { everyMs: opts.pushEveryMs ?? 10_000, logger });
      }
    },
    async close() {
      for (const u of unsubscribe.splice(0)) u();
      await pusher?.stop();
      pusher = undefined;
      await errors.flush();
    },
  };
}
