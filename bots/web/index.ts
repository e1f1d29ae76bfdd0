// Wiring of the web front door (the /api/v1 API, in the web process) and its chat adapter (in
// the worker) from CoreServices, mirroring bots/telegram/index.ts.
import type { FastifyPluginAsync } from 'fastify';
import type { CoreServices } from '../../src/app/services.js';
import type { HttpServer } from '../../src/http/server.js';
import type { ChatAdapter } from '../../pipeline/ports.js';
import { createWebAdapter } from './adapter.js';
import { API_PREFIX, webApiRoutes, type WebApiDeps } from './api.js';
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
  };
}

/** A page at GET / until the upload page exists: where the API and its description are. */
const placeholderPage: FastifyPluginAsync = async (app) => {
  app.get('/', async (_request, reply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
      .header('x-content-type-options', 'nosniff')
      .send(
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>doc2video</title>' +
          '<h1>doc2video</h1><p>Turn a PDF into a short presenter video.</p>' +
          `<p>The web API is at <code>${API_PREFIX}</code>; its description: <a href="${API_PREFIX}/openapi.json">${API_PREFIX}/openapi.json</a>.</p></html>`,
      ),
  );
};

export interface WebFrontDoor {
  uploads: WebUploads;
  stop(): Promise<void>;
}

/** Mount the web API (unless WEB_UPLOADS=off) and the placeholder page on the HTTP server. */
export function startWebFrontDoor(services: CoreServices, http: HttpServer, opts: { role: 'web' | 'all' }): WebFrontDoor {
  const uploads = webUploadsMode(services, opts.role);
  void http.app.register(placeholderPage);
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
