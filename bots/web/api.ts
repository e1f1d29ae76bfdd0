// The web API, /api/v1: upload a PDF, get a job id at once, follow it (poll or Server-Sent
// Events), cancel it, fetch the video. Registered with the prefix /api/v1 as one encapsulated
// Fastify plugin: its security headers (helmet), CORS, OpenAPI document, multipart parser and
// error shape `{"error":{"code","message"}}` apply to these routes only.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import multipart from '@fastify/multipart';
import type { Redis } from 'ioredis';
import { describeError, formatDuration, isJobError, JobError, toLocale, type ErrorCode, type Locale } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { JobRecord, JobRecords, JobState } from '../../src/jobs/records.js';
import type { CancelOutcome } from '../../src/queue/cancel.js';
import { redisKeys } from '../../src/redis/keys.js';
import { runScript } from '../../src/redis/scripts.js';
import { RATE_WINDOW } from '../../src/redis/scripts/rate-window.js';
import { signedPath, type LinkSettings } from '../../src/storage/links.js';
import { captionsKey, uploadKey, videoKey, type VideoStore } from '../../src/storage/video-store.js';
import { sendStored } from '../../src/http/stored-file.js';
import { identify, newOwnerToken, ownerCookie, OWNER_HEADER, type AuthSettings, type Caller } from './auth.js';
import { browserOwner, type WebJobs, type WebJobState } from './jobs.js';
import { receiveUpload, type WebIntakeDeps } from './intake.js';

export const API_PREFIX = '/api/v1';

export interface WebApiDeps extends WebIntakeDeps {
  auth: AuthSettings;
  corsOrigins: readonly string[];
  store: VideoStore;
  jobs: WebJobs;
  records: Pick<JobRecords, 'get'>;
  cancel(jobId: string, userKey: string): Promise<CancelOutcome>;
  redis: Redis;
  prefix: string;
  limits: { max: number; windowSeconds: number };
  links: LinkSettings;
  /** Time to receive a whole upload (HTTP_UPLOAD_TIMEOUT_SECONDS), instead of the short request timeout. */
  uploadTimeoutMs?: number;
  /** How long an anonymous browser's owner cookie lasts (as long as its videos are kept). */
  ownerCookieSeconds: number;
  logger: Logger;
  /** SSE: how often a stream re-reads the job, and sends a comment to keep proxies from closing it. */
  eventsPollMs?: number;
  heartbeatMs?: number;
}

export type ApiStatus = 'queued' | 'running' | 'waiting' | 'done' | 'failed' | 'cancelled';

const STATUS: Record<JobState, ApiStatus> = {
  queued: 'queued',
  active: 'running',
  rendering: 'running',
  'waiting-slot': 'waiting',
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};
const FINAL: readonly ApiStatus[] = ['done', 'failed', 'cancelled'];

export interface ApiVideo {
  id: string;
  status: ApiStatus;
  step: string | null;
  /** 0..1: the share of steps finished. */
  progress: number;
  error: { code: ErrorCode; message: string } | null;
  video: {
    url: string;
    bytes: number;
    seconds: number | null;
    expiresAt: string;
    captionsUrl: string | null;
    /** Our signed link: works without a key until expiresAt (needs PUBLIC_URL and LINK_SECRET). */
    shareUrl: string | null;
  } | null;
  costUsd: number | null;
  links: { self: string; events: string; video: string };
}

const ERROR_STATUS: Partial<Record<ErrorCode, number>> = {
  PDF_TOO_LARGE: 413,
  NOT_A_PDF: 415,
  RATE_LIMITED: 429,
  SERVICE_BUSY: 503,
  BUDGET_EXCEEDED: 503,
  NOT_ALLOWED: 403,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
};

const localeOf = (request: FastifyRequest): Locale => toLocale(request.headers['accept-language']);

function sendError(request: FastifyRequest, reply: FastifyReply, err: JobError, status?: number): FastifyReply {
  const locale = localeOf(request);
  const message = err.userMessage(locale).replace(/^[A-Z_]+: /, '');
  if (err.code === 'UNAUTHORIZED') void reply.header('www-authenticate', 'Bearer realm="doc2video"');
  return reply
    .code(status ?? ERROR_STATUS[err.code] ?? 500)
    .header('cache-control', 'no-store')
    .send({ error: { code: err.code, message } });
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[a-z0-9]{10}$', description: 'The job id (10 characters).' } },
} as const;

/** A caller's rate window: requests in it, and when the entry that frees the next place came. */
interface RateWindow {
  used: number;
  edge: number | undefined;
}

export function webApiRoutes(deps: WebApiDeps): FastifyPluginAsync {
  const base = `${deps.links.publicUrl ?? ''}${API_PREFIX}`;
  const pollMs = deps.eventsPollMs ?? 500;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const callers = new WeakMap<FastifyRequest, Caller>();
  const streams = new Set<() => void>();

  /** How full the caller's rate window is now (one script: O(log n) whatever the limit). */
  async function rateWindow(userKey: string): Promise<RateWindow> {
    const since = Date.now() - deps.limits.windowSeconds * 1000;
    const [used, edge] = await runScript<[number, string]>(
      deps.redis,
      RATE_WINDOW,
      [redisKeys(deps.prefix).rate(userKey)],
      [since, deps.limits.max],
    );
    return { used, edge: edge === '' ? undefined : Number(edge) };
  }
  /** The window after this upload was accepted: one more entry, and the first one if it was empty. */
  function withAccepted(w: RateWindow): RateWindow {
    return { used: w.used + 1, edge: w.edge ?? Date.now() };
  }
  /** The numbers of the RateLimit-* headers. */
  function rateState(w: RateWindow) {
    const windowMs = deps.limits.windowSeconds * 1000;
    const remaining = Math.max(0, deps.limits.max - w.used);
    // The window slides: the next place frees when `edge` leaves it.
    const reset = w.edge === undefined ? 0 : Math.max(1, Math.ceil((w.edge + windowMs - Date.now()) / 1000));
    return { limit: deps.limits.max, remaining, reset };
  }
  /** The window read before the body, per upload: the answer's headers follow from it. */
  const windows = new WeakMap<FastifyRequest, RateWindow>();
  function rateHeaders(reply: FastifyReply, r: { limit: number; remaining: number; reset: number }) {
    void reply
      .header('ratelimit-limit', String(r.limit))
      .header('ratelimit-remaining', String(r.remaining))
      .header('ratelimit-reset', String(r.reset));
  }
  function rateLimited(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number) {
    void reply.header('retry-after', String(retryAfterSeconds));
    const locale = localeOf(request);
    const window = formatDuration(deps.limits.windowSeconds, locale);
    return sendError(
      request,
      reply,
      new JobError('RATE_LIMITED', undefined, {
        vars: { max: deps.limits.max, window, retry: formatDuration(retryAfterSeconds, locale) },
      }),
    );
  }

  const apiUrl = (id: string, rest = '') => `${base}/videos/${id}${rest}`;

  function viewOf(id: string, rec: JobRecord, state: WebJobState, locale: Locale, now = Date.now()): ApiVideo {
    const status = STATUS[rec.state];
    const p = state.progress;
    const progress = status === 'done' ? 1 : p ? Math.round(((p.index - 1) / p.total) * 100) / 100 : 0;
    const code: ErrorCode | undefined =
      status === 'cancelled' ? 'CANCELLED' : status === 'failed' ? (rec.code ?? 'INTERNAL') : undefined;
    const kept = rec.video && rec.video.expiresAt > now ? rec.video : undefined;
    const share =
      kept && deps.links.publicUrl && deps.links.linkSecret
        ? `${deps.links.publicUrl}${signedPath(deps.links.linkSecret, id, 'video.mp4', kept.expiresAt)}`
        : null;
    return {
      id,
      status,
      step: status === 'done' ? null : (rec.step ?? p?.step ?? null),
      progress,
      error: code ? { code, message: describeError(code, locale).replace(/^[A-Z_]+: /, '') } : null,
      video: kept
        ? {
            url: apiUrl(id, '/video'),
            bytes: kept.bytes,
            seconds: kept.seconds ?? null,
            expiresAt: new Date(kept.expiresAt).toISOString(),
            captionsUrl: kept.captions ? apiUrl(id, '/captions') : null,
            shareUrl: share,
          }
        : null,
      costUsd: rec.costUsd ?? null,
      links: { self: apiUrl(id), events: apiUrl(id, '/events'), video: apiUrl(id, '/video') },
    };
  }

  /** The caller's job, or undefined: someone else's job answers exactly like a missing one. */
  async function load(request: FastifyRequest, id: string): Promise<{ rec: JobRecord; state: WebJobState } | undefined> {
    const caller = callers.get(request);
    if (!caller?.owner) return undefined;
    const [state, rec] = await Promise.all([deps.jobs.get(id), deps.records.get(id)]);
    if (!state || !rec || state.owner !== caller.owner) return undefined;
    return { rec, state };
  }
  const notFound = (request: FastifyRequest) => (reply: FastifyReply) => sendError(request, reply, new JobError('NOT_FOUND'));

  async function sendFile(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, file: 'video' | 'captions') {
    const id = request.params.id;
    const found = await load(request, id);
    const kept = found?.rec.video;
    if (!kept || kept.expiresAt <= Date.now() || (file === 'captions' && !kept.captions)) return notFound(request)(reply);
    const key = file === 'video' ? videoKey(id) : captionsKey(id);
    return sendStored(request, reply, deps.store, key, {
      downloadName: `${id}.${file === 'video' ? 'mp4' : 'vtt'}`,
      notFound: notFound(request),
    });
  }

  return async (app: FastifyInstance) => {
    await app.register(helmet, {
      crossOriginResourcePolicy: { policy: deps.corsOrigins.length ? 'cross-origin' : 'same-origin' },
    });
    if (deps.corsOrigins.length) {
      await app.register(cors, {
        origin: [...deps.corsOrigins],
        methods: ['GET', 'HEAD', 'POST', 'DELETE'],
        allowedHeaders: ['authorization', 'content-type', OWNER_HEADER, 'last-event-id'],
        exposedHeaders: ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', OWNER_HEADER, 'location'],
        maxAge: 600,
      });
    }
    // Before the routes: it documents the routes registered after it, in this scope only.
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'doc2video API',
          version: '1.0.0',
          description:
            'Turn a PDF into a short presenter video. Upload, then poll or follow the events; errors are {"error":{"code","message"}} with stable codes.',
        },
        servers: [{ url: deps.links.publicUrl ?? '/' }],
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    await app.register(multipart, {
      // One byte past the limit reaches the store's own byte counter, which refuses it.
      limits: { fileSize: deps.maxPdfBytes + 1, files: 1, fields: 8, fieldSize: 256, parts: 10, headerPairs: 50 },
    });

    app.setNotFoundHandler((request, reply) => sendError(request, reply, new JobError('NOT_FOUND')));
    app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, request, reply) => {
      if (isJobError(err)) return sendError(request, reply, err);
      const status = err.statusCode ?? 500;
      if (status >= 500) {
        request.log.error({ event: 'http_error', path: request.routeOptions.url, err }, 'web API request failed');
        return sendError(request, reply, new JobError('INTERNAL'), 500);
      }
      if (status === 413 && (err.code === 'FST_REQ_FILE_TOO_LARGE' || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')) {
        return sendError(
          request,
          reply,
          new JobError('PDF_TOO_LARGE', undefined, { vars: { limit: `${deps.maxPdfBytes} bytes` } }),
        );
      }
      // Validation, a malformed multipart body, a non-multipart upload (406), too many parts.
      return sendError(request, reply, new JobError('BAD_REQUEST', err.message), status === 413 ? 400 : status);
    });

    // Every route but the OpenAPI document needs a caller; decided before any body is read.
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.url === `${API_PREFIX}/openapi.json` || request.method === 'OPTIONS') return;
      const caller = identify(request, deps.auth);
      if (caller === 'unauthorized') return sendError(request, reply, new JobError('UNAUTHORIZED'));
      callers.set(request, caller);
    });

    // Open event streams end when the server closes (app.close() would wait for them).
    app.addHook('preClose', async () => {
      for (const end of [...streams]) end();
    });

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

    app.post(
      '/videos',
      {
        bodyLimit: deps.maxPdfBytes + 64 * 1024,
        // 20 MB on a slow link takes minutes; every other route keeps the short timeout.
        ...(deps.uploadTimeoutMs ? { config: { bodyTimeoutMs: deps.uploadTimeoutMs } } : {}),
        schema: {
          summary: 'Upload a PDF and start a video',
          description:
            'multipart/form-data: `file` (the PDF), optional `avatar` (professional|friendly), `language` (ISO 639-1), `layout` (slides|presenter), `captions` (true|false). Answers 202 as soon as the job is stored.',
          consumes: ['multipart/form-data'],
          tags: ['videos'],
        },
        // The rate window is checked before a byte of the body is read; admission decides again.
        onRequest: async (request, reply) => {
          const caller = callers.get(request);
          if (!caller) return;
          const w = await rateWindow(caller.userKey);
          windows.set(request, w);
          const r = rateState(w);
          rateHeaders(reply, r);
          if (r.remaining === 0) return rateLimited(request, reply, r.reset);
        },
      },
      async (request, reply) => {
        let caller = callers.get(request)!;
        if (caller.kind === 'browser' && !caller.token) {
          const token = newOwnerToken();
          caller = { ...caller, token, owner: browserOwner(token) };
          void reply
            .header('set-cookie', ownerCookie(token, deps.ownerCookieSeconds, request.protocol === 'https'))
            .header(OWNER_HEADER, token);
        }
        const { jobId, outcome } = await receiveUpload(request, caller, deps);
        // The window read before the body, plus this upload when it was accepted: no second read.
        const w = windows.get(request) ?? (await rateWindow(caller.userKey));
        rateHeaders(reply, rateState(outcome.status === 'accepted' ? withAccepted(w) : w));
        switch (outcome.status) {
          case 'accepted':
          case 'duplicate': {
            const position = outcome.status === 'accepted' ? outcome.position : 0;
            const id = outcome.jobId;
            return reply
              .code(202)
              .header('location', apiUrl(id))
              .header('cache-control', 'no-store')
              .send({
                id,
                status: 'queued',
                position,
                links: { self: apiUrl(id), events: apiUrl(id, '/events'), video: apiUrl(id, '/video') },
                ...(caller.kind === 'browser' ? { ownerToken: caller.token } : {}),
              });
          }
          case 'limited':
            return rateLimited(request, reply, Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)));
          case 'busy':
            void reply.header('retry-after', '60');
            return sendError(request, reply, outcome.error);
          case 'refused':
            return sendError(request, reply, outcome.error);
        }
        return sendError(request, reply, new JobError('INTERNAL', `no answer for ${jobId}`));
      },
    );

    app.get<{ Params: { id: string } }>(
      '/videos/:id',
      {
        schema: {
          summary: 'A video job: status, step, progress, error, the kept video, cost',
          tags: ['videos'],
          params: idParams,
        },
      },
      async (request, reply) => {
        const found = await load(request, request.params.id);
        if (!found) return notFound(request)(reply);
        return reply
          .header('cache-control', 'no-store')
          .send(viewOf(request.params.id, found.rec, found.state, localeOf(request)));
      },
    );

    app.get<{ Params: { id: string } }>(
      '/videos/:id/events',
      {
        schema: {
          summary: 'The same object as Server-Sent Events (event: status) on every change; ends when the job ends',
          tags: ['videos'],
          params: idParams,
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        const found = await load(request, id);
        if (!found) return notFound(request)(reply);
        const locale = localeOf(request);
        // CORS and other reply headers are not sent on a hijacked reply: carry them over.
        const headers = Object.fromEntries(
          Object.entries(reply.getHeaders()).filter((e): e is [string, string | number | string[]] => e[1] !== undefined),
        );
        reply.hijack();
        const res: ServerResponse = reply.raw;
        res.writeHead(200, {
          ...headers,
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-store',
          'x-accel-buffering': 'no',
        });
        res.write('retry: 3000\n\n');
        let last = '';
        let n = 0;
        let ended = false;
        let timer: NodeJS.Timeout | undefined;
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
        const end = () => {
          if (ended) return;
          ended = true;
          clearTimeout(timer);
          clearInterval(heartbeat);
          streams.delete(end);
          res.end();
        };
        streams.add(end);
        res.on('close', end);
        // A poll of two small Redis reads; the worker runs elsewhere and writes no events of its own.
        const tick = async () => {
          if (ended) return;
          try {
            const [state, rec] = await Promise.all([deps.jobs.get(id), deps.records.get(id)]);
            if (!state || !rec) return end();
            const view = viewOf(id, rec, state, locale);
            const json = JSON.stringify(view);
            if (json !== last && !ended) {
              last = json;
              res.write(`id: ${++n}\nevent: status\ndata: ${json}\n\n`);
            }
            if (FINAL.includes(view.status)) return end();
          } catch (err) {
            deps.logger.warn(
              { event: 'web_events_read_failed', jobId: id, err: (err as Error).message },
              'could not read a job for its event stream',
            );
          }
          if (!ended) timer = setTimeout(() => void tick(), pollMs);
        };
        void tick();
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/videos/:id',
      {
        schema: {
          summary: 'Cancel a video (same rules as /cancel); answers the job as it is then',
          tags: ['videos'],
          params: idParams,
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        const found = await load(request, id);
        if (!found) return notFound(request)(reply);
        // Ownership was checked above; cancel by the user the job was admitted for.
        const outcome = await deps.cancel(id, found.rec.userKey);
        if (outcome === 'cancelled') await deps.store.delete([uploadKey(id)]).catch(() => undefined);
        const rec = (await deps.records.get(id)) ?? found.rec;
        return reply.header('cache-control', 'no-store').send(viewOf(id, rec, found.state, localeOf(request)));
      },
    );

    app.get<{ Params: { id: string }; Querystring: { file?: 'video' | 'captions' } }>(
      '/videos/:id/video',
      {
        schema: {
          summary: 'The MP4 (Range requests work), or a redirect to a short-lived storage URL; ?file=captions for the WebVTT',
          tags: ['videos'],
          params: idParams,
          querystring: { type: 'object', properties: { file: { type: 'string', enum: ['video', 'captions'] } } },
        },
      },
      async (request, reply) => sendFile(request, reply, request.query.file ?? 'video'),
    );

    app.get<{ Params: { id: string } }>(
      '/videos/:id/captions',
      { schema: { summary: 'The captions (WebVTT), when the video has them', tags: ['videos'], params: idParams } },
      async (request, reply) => sendFile(request, reply, 'captions'),
    );
  };
}
