// A whole doc2video (services + HTTP server + worker) wired like the real processes, on a fresh
// Redis prefix, for end-to-end tests. Providers and front doors are whatever the test passes:
// real clients pointed at local fakes, or the offline ones.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';
import { captureLogs, type LogCapture } from './logs.js';

export { captureLogs, type LogCapture };
import { createCoreServices, type CoreServices, type ServiceOptions } from '../../src/app/services.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { didWebhookRoutes, healthRoutes } from '../../src/http/routes.js';
import { startVideoWorker, type RunningWorker, type WorkerOptions } from '../../src/worker/worker.js';
import type { AdapterRegistry } from '../../pipeline/ports.js';
import { freePort } from '../../src/redis/embedded.js';
import { LogEventTap } from '../../src/ops/log-events.js';
import { createOps, type Ops, type OpsOptions } from '../../src/ops/wiring.js';

export interface Harness {
  config: Config;
  services: CoreServices;
  http: HttpServer;
  baseUrl: string;
  /** The METRICS_PORT listener (when ops are on and METRICS_PORT is set). */
  metricsHttp: HttpServer | undefined;
  worker: RunningWorker | undefined;
  logs: LogCapture;
  logger: Logger;
  /** Every log line passes through it (metrics and Sentry listen to it). */
  logTap: LogEventTap;
  /** Present when started with `ops`. */
  ops: Ops | undefined;
  prefix: string;
  dataDir: string;
  startWorker(opts?: WorkerOptions): RunningWorker;
  close(): Promise<void>;
}

export interface HarnessOptions {
  redisUrl: string;
  env?: Record<string, string>;
  adapters?: (services: CoreServices) => AdapterRegistry;
  services?: Partial<Pick<ServiceOptions, 'writer' | 'renderer' | 'guards' | 'retryBackoffMs'>>;
  /** Mount extra routes / front doors on the HTTP server before it listens. */
  mount?: (services: CoreServices, http: HttpServer) => Promise<void> | void;
  /** Set PUBLIC_URL to this harness's own address (for D-ID / Telegram webhooks). */
  publicUrl?: boolean;
  /** Start the worker right away (default true). */
  worker?: boolean | WorkerOptions;
  /**
   * Operations (src/ops) wired like src/main/dev.ts: budget checks before paid steps, /metrics,
   * /admin/queues, and the worker's observer + onFinished. Default off.
   */
  ops?: boolean | Omit<OpsOptions, 'logTap'>;
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'd2v-'));
  const fixedPort = opts.publicUrl ? await freePort() : 0;
  const config = loadConfig({
    ...(opts.publicUrl ? { PUBLIC_URL: `http://127.0.0.1:${fixedPort}` } : {}),
    REDIS_URL: opts.redisUrl,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    ...opts.env,
  });
  const logTap = new LogEventTap();
  const { logger, logs } = captureLogs(
    'debug',
    Object.values(opts.env ?? {}).filter((v) => v.length >= 8),
    logTap,
  );
  const services = createCoreServices(config, logger, {
    role: 'all',
    redisUrl: opts.redisUrl,
    retryBackoffMs: 200,
    ...(opts.services ?? {}),
  });
  const ops = opts.ops
    ? createOps(services, { role: 'all', defaultMetrics: false, ...(typeof opts.ops === 'object' ? opts.ops : {}), logTap })
    : undefined;
  const http = createHttpServer(logger, config.http);
  void http.app.register(healthRoutes(services.redis));
  ops?.mountRoutes(http);
  void http.app.register(didWebhookRoutes({ queue: services.queue, secret: config.video.did.webhookSecret, logger }));
  await opts.mount?.(services, http);
  const port = await http.listen(fixedPort, '127.0.0.1');
  const metricsHttp = await ops?.listenMetrics('127.0.0.1');
  const adapters = opts.adapters?.(services) ?? {};

  const h: Harness = {
    config,
    services,
    http,
    baseUrl: `http://127.0.0.1:${port}`,
    metricsHttp,
    worker: undefined,
    logs,
    logger,
    logTap,
    ops,
    prefix,
    dataDir,
    startWorker(wopts: WorkerOptions = {}) {
      const w = startVideoWorker(services, adapters, {
        lockDuration: 5_000,
        stalledInterval: 2_000,
        slotRecheckMs: 500,
        ...(ops ? ops.workerOptions() : {}),
        ...wopts,
      });
      h.worker = w;
      return w;
    },
    async close() {
      await h.worker?.close(2_000);
      await http.close();
      await metricsHttp?.close();
      await ops?.close();
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  if (opts.worker !== false) h.startWorker(typeof opts.worker === 'object' ? opts.worker : {});
  return h;
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
