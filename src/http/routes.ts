// Routes of the core service: health, readiness and the D-ID webhook.
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { isRedisReady } from '../redis/connection.js';
import { verifyWebhookToken } from '../../pipeline/render/webhook-token.js';
import type { VideoQueue } from '../queue/video-queue.js';
import { readBody, sendJson, type HttpServer } from './server.js';

export function addHealthRoutes(http: HttpServer, redis: Redis): void {
  http.addRoute({ method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { ok: true }) });
  http.addRoute({
    method: 'GET',
    path: '/readyz',
    handler: async (_req, res) => {
      const ready = await isRedisReady(redis);
      sendJson(res, ready ? 200 : 503, { ok: ready, redis: ready ? 'up' : 'down' });
    },
  });
}

/**
 * POST /did/webhook/:jobId/:token — D-ID calls this when a video finishes. The token (an HMAC of
 * the job id) is the only authentication D-ID allows; the body is never trusted: the call only
 * wakes the parked job, which then reads the status from D-ID itself.
 */
export function addDidWebhookRoute(
  http: HttpServer,
  deps: { queue: VideoQueue; secret: string | undefined; logger: Logger },
): void {
  http.addRoute({
    method: 'POST',
    path: '/did/webhook/:jobId/:token',
    handler: async (req, res, params) => {
      const jobId = params.jobId ?? '';
      if (!deps.secret || !verifyWebhookToken(jobId, params.token ?? '', deps.secret)) {
        return sendJson(res, 404, { ok: false, error: 'not found' });
      }
      await readBody(req, 256 * 1024).catch(() => undefined);
      const job = await deps.queue.getJob(jobId);
      let woke = false;
      if (job && (await job.isDelayed())) {
        woke = await job.promote().then(
          () => true,
          () => false,
        );
      }
      deps.logger.info({ event: 'did_webhook', jobId, woke }, 'D-ID webhook received');
      sendJson(res, 200, { ok: true });
    },
  });
}
