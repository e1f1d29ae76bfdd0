// Routes of the core service: health, readiness and the D-ID webhook, as Fastify plugins.
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { isRedisReady } from '../redis/connection.js';
import { verifyWebhookToken } from '../../pipeline/render/webhook-token.js';
import type { VideoQueue } from '../queue/video-queue.js';

export function healthRoutes(redis: Redis): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', async () => ({ ok: true }));
    app.get('/readyz', async (_request, reply) => {
      const ready = await isRedisReady(redis);
      return reply.code(ready ? 200 : 503).send({ ok: ready, redis: ready ? 'up' : 'down' });
    });
  };
}

const DID_WEBHOOK_PATH = '/did/webhook/:jobId/:token';
/** D-ID's callback carries a small JSON status we never read. */
const DID_BODY_LIMIT = 256 * 1024;

/**
 * POST /did/webhook/:jobId/:token — D-ID calls this when a video finishes. The token (an HMAC of
 * the job id) is the only authentication D-ID allows, checked before the body is read; the body
 * is never trusted: the call only wakes the parked job, which then reads the status from D-ID.
 */
export function didWebhookRoutes(deps: { queue: VideoQueue; secret: string | undefined; logger: Logger }): FastifyPluginAsync {
  return async (app) => {
    // Any content type: the body is counted against the limit and dropped.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: DID_BODY_LIMIT }, (_request, _body, done) =>
      done(null, undefined),
    );
    app.post<{ Params: { jobId: string; token: string } }>(
      DID_WEBHOOK_PATH,
      {
        bodyLimit: DID_BODY_LIMIT,
        onRequest: async (request, reply) => {
          const { jobId, token } = request.params;
          if (!deps.secret || !verifyWebhookToken(jobId, token, deps.secret)) {
            return reply.code(404).send({ ok: false, error: 'not found' });
          }
        },
      },
      async (request) => {
        const { jobId } = request.params;
        const job = await deps.queue.getJob(jobId);
        let woke = false;
        if (job && (await job.isDelayed())) {
          woke = await job.promote().then(
            () => true,
            () => false,
          );
        }
        deps.logger.info({ event: 'did_webhook', jobId, woke }, 'D-ID webhook received');
        return { ok: true };
      },
    );
  };
}
