// Prometheus metrics (prom-client), and how GET /metrics on the web process includes what the
// workers count although they are other processes.
//
// How worker metrics reach /metrics: each worker process keeps its own registry, labelled
// `process="<role>:<host>:<pid>"`, and every few seconds writes a JSON snapshot of it
// (registry.getMetricsAsJSON()) to Redis under `${prefix}:ops:metrics:<process>` with a TTL of
// a few push intervals. The web process, on each scrape, reads the live snapshots and merges them
// with its own registry through prom-client's AggregatorRegistry.aggregate(). Because every
// process's series carry their own `process` label, nothing is summed across processes here:
// Prometheus sees one counter per process (so a restarted worker is an ordinary counter reset)
// and `sum without(process)(...)` gives the totals. A worker that stops pushes a last snapshot
// and its series vanish once the TTL lapses. Gauges that describe shared state (queue depth,
// renders in flight) are computed from Redis by the web process at scrape time.
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StepName } from '../../pipeline/job.js';
import type { VideoQueue } from '../queue/video-queue.js';
import type { Logger, WatchedEvent } from '../logger.js';
import type { CostBreakdown, JobOutcome } from './costs.js';
import { redisKeys } from '../redis/keys.js';
import type { LogEventTap, LogLine } from './log-events.js';

export type ProcessRole = 'web' | 'worker' | 'all';

const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'waiting-children', 'completed', 'failed'] as const;

export type LimitName = 'rate' | 'budget_service' | 'budget_user' | 'intake' | 'allow_list';

export interface OpsMetrics {
  readonly registry: Registry;
  /** This process's `process` label. */
  readonly instance: string;
  jobFinished(outcome: JobOutcome, code?: string): void;
  stepDuration(step: StepName, durationMs: number): void;
  cost(c: CostBreakdown): void;
  limitRejected(limit: LimitName, at: 'submit' | 'run'): void;
  /** Count what the log says happened (provider calls, errors, retries). Returns unsubscribe. */
  attachLogTap(tap: LogEventTap): () => void;
}

function processInstance(role: ProcessRole): string {
  return `${role}:${hostname()}:${process.pid}`;
}

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

/** Log events counted as metrics, and which kind of process emits them. */
type EventCounter = { role: 'web' | 'worker'; count(line: () => LogLine | undefined): void };

export function createOpsMetrics(opts: {
  role: ProcessRole;
  instance?: string;
  /** Node process metrics (memory, CPU, event loop lag). Default true. */
  defaultMetrics?: boolean;
  /** Web side: queue depth by state, read at scrape time. */
  queue?: VideoQueue;
  /** Web side: renders in flight, read at scrape time. */
  renders?: RenderTracker;
  logger?: Logger;
}): OpsMetrics {
  const registry = new Registry();
  const instance = opts.instance ?? processInstance(opts.role);
  registry.setDefaultLabels({ process: instance });
  const registers = [registry];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'doc2video_' });

  const jobs = new Counter({
    name: 'doc2video_jobs_total',
    help: 'Jobs that reached a final state, by outcome and error code ("none" when completed)',
    labelNames: ['outcome', 'code'] as const,
    registers,
  });
  const steps = new Histogram({
    name: 'doc2video_step_duration_seconds',
    help: 'Time spent in one run of a pipeline step (a wait step run is one status check)',
    labelNames: ['step'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const llmRequests = new Counter({ name: 'doc2video_llm_requests_total', help: 'HTTP requests sent to OpenRouter', registers });
  const llmErrors = new Counter({
    name: 'doc2video_llm_errors_total',
    help: 'OpenRouter requests that failed, by HTTP status ("network" when none)',
    labelNames: ['status'] as const,
    registers,
  });
  const didRequests = new Counter({
    name: 'doc2video_did_requests_total',
    help: 'D-ID calls by operation (create, status, download)',
    labelNames: ['op'] as const,
    registers,
  });
  const didErrors = new Counter({
    name: 'doc2video_did_errors_total',
    help: 'D-ID calls that failed, by operation; create_attempt counts single create attempts that were retried',
    labelNames: ['op'] as const,
    registers,
  });
  const costTotal = new Counter({
    name: 'doc2video_cost_usd_total',
    help: 'Money spent on finished jobs, in USD, by kind (llm, video)',
    labelNames: ['kind'] as const,
    registers,
  });
  const rejections = new Counter({
    name: 'doc2video_limit_rejections_total',
    help: 'Requests refused by a limit (rate, intake, allow_list, budget_service, budget_user), at submit or before a paid step',
    labelNames: ['limit', 'at'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'doc2video_job_retries_total',
    help: 'Job attempts that failed and will be retried, by error code',
    labelNames: ['code'] as const,
    registers,
  });

  if (opts.queue) {
    const queue = opts.queue;
    new Gauge({
      name: 'doc2video_queue_jobs',
      help: 'Jobs in the video queue by state, read from BullMQ at scrape time',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        try {
          const counts = await queue.getJobCounts(...QUEUE_STATES);
          for (const s of QUEUE_STATES) this.set({ state: s }, counts[s] ?? 0);
        } catch (err) {
          // Leave the last values; the scrape itself still answers.
          opts.logger?.warn({ event: 'metrics_collect_failed', what: 'queue', err: (err as Error).message });
        }
      },
    });
  }
  if (opts.renders) {
    const renders = opts.renders;
    new Gauge({
      name: 'doc2video_renders_in_flight',
      help: 'Videos being rendered by the provider right now (jobs in the wait step)',
      registers,
      async collect() {
        try {
          this.set(await renders.count());
        } catch (err) {
          opts.logger?.warn({ event: 'metrics_collect_failed', what: 'renders', err: (err as Error).message });
        }
      },
    });
  }

  const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  const EVENTS: Partial<Record<WatchedEvent, EventCounter>> = {
    llm_request: { role: 'worker', count: () => llmRequests.inc() },
    llm_error: { role: 'worker', count: (l) => llmErrors.inc({ status: str(l()?.status) ?? 'network' }) },
    did_video_request: { role: 'worker', count: () => didRequests.inc({ op: 'create' }) },
    did_poll: { role: 'worker', count: () => didRequests.inc({ op: 'status' }) },
    did_download_start: { role: 'worker', count: () => didRequests.inc({ op: 'download' }) },
    did_error: { role: 'worker', count: (l) => didErrors.inc({ op: str(l()?.op) ?? 'unknown' }) },
    did_no_credits: { role: 'worker', count: () => didErrors.inc({ op: 'credits' }) },
    did_create_attempt_failed: { role: 'worker', count: () => didErrors.inc({ op: 'create_attempt' }) },
    job_retry: { role: 'worker', count: (l) => retries.inc({ code: str(l()?.code) ?? 'unknown' }) },
    rate_limited: { role: 'web', count: () => rejections.inc({ limit: 'rate', at: 'submit' }) },
    service_busy: { role: 'web', count: () => rejections.inc({ limit: 'intake', at: 'submit' }) },
    request_not_allowed: { role: 'web', count: () => rejections.inc({ limit: 'allow_list', at: 'submit' }) },
    // Refusals before a paid step are counted by the budget guard's hook (limitRejected).
    budget_exceeded: {
      role: 'web',
      count: (l) => {
        const line = l();
        if (line?.at === 'submit')
          rejections.inc({ limit: line.scope === 'user' ? 'budget_user' : 'budget_service', at: 'submit' });
      },
    },
  };

  return {
    registry,
    instance,
    jobFinished(outcome, code) {
      jobs.inc({ outcome, code: code ?? 'none' });
    },
    stepDuration(step, ms) {
      steps.observe({ step }, ms / 1000);
    },
    cost(c) {
      if (c.llmUsd > 0) costTotal.inc({ kind: 'llm' }, c.llmUsd);
      if (c.videoUsd > 0) costTotal.inc({ kind: 'video' }, c.videoUsd);
    },
    limitRejected(limit, at) {
      rejections.inc({ limit, at });
    },
    attachLogTap(tap) {
      // A process counts the events of its own kind of work: the web process never calls the
      // providers, a worker never admits requests.
      return tap.subscribe((event, line) => {
        const c = EVENTS[event as WatchedEvent];
        if (c && (opts.role === 'all' || c.role === opts.role)) c.count(line);
      });
    },
  };
}

// ---- renders in flight ------------------------------------------------------------------------

/**
 * Which jobs are waiting on the provider's render, kept in Redis because a rendering job is
 * parked (delayed) and belongs to no worker. Each look at the render refreshes the job's entry;
 * entries older than `maxAgeMs` (a job removed while parked) no longer count.
 */
export class RenderTracker {
  private readonly key: string;
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly maxAgeMs: number,
  ) {
    this.key = redisKeys(prefix).ops.rendering;
  }
  async touch(jobId: string): Promise<void> {
    await this.redis.zadd(this.key, Date.now(), jobId);
  }
  async done(jobId: string): Promise<void> {
    await this.redis.zrem(this.key, jobId);
  }
  async count(): Promise<number> {
    const cutoff = Date.now() - this.maxAgeMs;
    await this.redis.zremrangebyscore(this.key, '-inf', cutoff);
    return this.redis.zcard(this.key);
  }
}

// ---- snapshots of other processes' registries ------------------------------------------------

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export class MetricsSnapshots {
  private readonly index: string;
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.index = redisKeys(prefix).ops.metricsProcesses;
  }
  private key(instance: string) {
    return redisKeys(this.prefix).ops.metricsSnapshot(instance);
  }

  /** Publish this process's registry for ttlMs. */
  async push(instance: string, registry: Registry, ttlMs: number): Promise<void> {
    const json = JSON.stringify(await registry.getMetricsAsJSON());
    const now = Date.now();
    await this.redis
      .multi()
      .set(this.key(instance), json, 'PX', ttlMs)
      .zadd(this.index, now + ttlMs, instance)
      .zremrangebyscore(this.index, '-inf', now)
      .exec();
  }

  /** Live snapshots of every process but `exclude`. */
  async read(exclude?: string): Promise<MetricsJson[]> {
    const instances = (await this.redis.zrangebyscore(this.index, Date.now(), '+inf')).filter((i) => i !== exclude);
    if (instances.length === 0) return [];
    const raw = await this.redis.mget(...instances.map((i) => this.key(i)));
    const out: MetricsJson[] = [];
    for (const r of raw) {
      if (!r) continue;
      try {
        out.push(JSON.parse(r) as MetricsJson);
      } catch {
        // A torn or foreign value: skip it rather than fail the scrape.
      }
    }
    return out;
  }
}

/** Start pushing a registry every `everyMs`; the returned stop() pushes once more. */
export function startSnapshotPusher(
  snapshots: MetricsSnapshots,
  metrics: OpsMetrics,
  opts: { everyMs?: number; logger?: Logger } = {},
): { stop(): Promise<void>; pushNow(): Promise<void> } {
  const everyMs = opts.everyMs ?? 10_000;
  // Three missed pushes before the web process forgets this worker.
  const ttlMs = everyMs * 3 + 5_000;
  const pushNow = () => snapshots.push(metrics.instance, metrics.registry, ttlMs);
  const tick = () =>
    void pushNow().catch((err: unknown) =>
      opts.logger?.warn({ event: 'metrics_push_failed', err: (err as Error).message }, 'could not publish metrics'),
    );
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    pushNow,
    async stop() {
      clearInterval(timer);
      await pushNow().catch(() => {});
    },
  };
}

/** This process's metrics merged with the other processes' snapshots, as exposition text. */
export async function renderMetrics(
  metrics: OpsMetrics,
  snapshots?: MetricsSnapshots,
): Promise<{ contentType: string; body: string }> {
  const own = await metrics.registry.getMetricsAsJSON();
  let others: MetricsJson[] = [];
  if (snapshots) {
    others = await snapshots.read(metrics.instance).catch(() => []);
  }
  // Every series carries its process's label, so "sum" only unions them; it also keeps the
  // metrics prom-client marks 'omit' for cluster mode (e.g. process_start_time_seconds).
  const all = [own, ...others].map((list) => list.map((m) => ({ ...m, aggregator: 'sum' as const })));
  const merged = AggregatorRegistry.aggregate(all);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
