// Wiring of the web front door (the /api/v1 API, in the web process) and its chat adapter (in
// the worker) from CoreServices, mirroring bots/telegram/index.ts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { CoreServices } from '../../src/app/services.js';
import type { HttpServer } from '../../src/http/server.js';
import type { ChatAdapter } from '../../pipeline/ports.js';
import { createWebAdapter } from './adapter.js';
import { API_PREFIX, webApiRoutes, type WebApiDeps } from './api.js';
import { pageRoutes } from './page-routes.js';
import { videoKey } from '../../src/storage/video-store.js';
import { WebJobs } from './jobs.js';

export type WebUploads = 'off' | 'keys' | 'public';

const DAY_SECONDS = 86_400;

/** The Redis prefix jobs, cancel flags and limits of this deployment live under. */
const prefixOf = (services: CoreServices) => services.queue.opts.prefix ?? services.config.redisPrefix;

/** WEB_UPLOADS, or the process's default: `web` takes keys only, `npm run dev` (role all) anyone. */
function webUploadsMode(services: Pick<CoreServices, 'config'>, role: 'web' | 'all'): WebUploads {
  return services.config.web.uploads ?? (role === 'all' ? 'public' : 'keys');
}

function webJobsFor(services: CoreServices): WebJobs {
  return new WebJobs(services.redis, prefixOf(services), services.config.storage.retentionDays * DAY_SECONDS + 3600);
}

export function webApiDepsFrom(services: CoreServices, uploads: 'keys' | 'public'): WebApiDeps {
  const { config } = services;
  return {
    submitter: services.submitter,
    logger: services.logger.child({ platform: 'web' }),
    store: services.store,
    jobs: webJobsFor(services),
    records: services.records,
    cancel: (jobId, userKey) => services.cancel(jobId, userKey),
    redis: services.redis,
    prefix: prefixOf(services),
    maxPdfBytes: config.limits.maxPdfBytes,
    limits: { max: config.limits.rateMax, windowSeconds: config.limits.rateWindowSeconds },
    auth: { uploads, apiKeys: config.web.apiKeys },
    corsOrigins: config.web.corsOrigins,
    links: { publicUrl: config.publicUrl, linkSecret: config.storage.linkSecret },
    ownerCookieSeconds: config.storage.retentionDays * DAY_SECONDS,
    uploadTimeoutMs: config.http.uploadTimeoutMs,
  };
}

/** Where `npm run build` puts the page: <repository>/dist/page, from the source or the built file. */
function builtPageDir(): string {
  let dir = import.meta.dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'page');
}

/** The origin of the store's presigned URLs (S3), which the page's <video> must be allowed to load. */
async function storeMediaOrigins(services: CoreServices): Promise<string[]> {
  if (services.store.kind !== 's3') return [];
  // Signing is local (no request): a URL for any key shows the origin all of them share.
  const url = await services.store.directUrl(videoKey('csporigin0'), 60);
  return url ? [new URL(url).origin] : [];
}

function pagePlugin(services: CoreServices, uploads: WebUploads, dir: string): FastifyPluginAsync {
  return async (app) => {
    const { config } = services;
    await app.register(
      pageRoutes({
        dir,
        uploads,
        maxPdfBytes: config.limits.maxPdfBytes,
        defaults: { avatar: 'professional', layout: config.video.layout, captions: config.video.captions },
        mediaOrigins: await storeMediaOrigins(services),
        logger: services.logger.child({ platform: 'web' }),
      }),
    );
  };
}

export interface WebFrontDoor {
  uploads: WebUploads;
  stop(): Promise<void>;
}

/**
 * Mount the upload page and the web API (unless WEB_UPLOADS=off) on the HTTP server. `pageDir`:
 * where the built page is (default dist/page; tests build a fresh one).
 */
export function startWebFrontDoor(
  services: CoreServices,
  http: HttpServer,
  opts: { role: 'web' | 'all'; pageDir?: string },
): WebFrontDoor {
  const uploads = webUploadsMode(services, opts.role);
  void http.app.register(pagePlugin(services, uploads, opts.pageDir ?? builtPageDir()));
  if (uploads !== 'off') void http.app.register(webApiRoutes(webApiDepsFrom(services, uploads)), { prefix: API_PREFIX });
  return { uploads, stop: async () => {} };
}

/** The worker's web adapter: reads uploads from the store (the worker's VideoKeeper keeps the videos). */
export function webAdapterFor(services: CoreServices): ChatAdapter {
  return createWebAdapter({
    store: services.store,
    jobs: webJobsFor(services),
  });
}
