// POST /slack/events in HTTP mode: Bolt's HTTPReceiver mounted on the web process's Fastify
// server. Before the body is read, a request without Slack's signature headers, or with a
// timestamp outside Slack's 5-minute window, is refused (401); the body is then counted as it
// arrives and refused past SLACK_BODY_LIMIT (413), and handed to Bolt as the raw bytes it signs.
import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { HTTPReceiver } from '@slack/bolt';
import type { Logger } from '../../src/logger.js';

export const SLACK_EVENTS_PATH = '/slack/events';
/**
 * Slack's requests (events, slash commands, our form's submissions) are a few KB; Bolt's own
 * limit (4 MiB) would be read in full before the signature is checked.
 */
export const SLACK_BODY_LIMIT = 256 * 1024;
/** Slack's replay window; Bolt checks it again with the signature. */
const MAX_AGE_SECONDS = 5 * 60;

export function slackEventsRoutes(receiver: HTTPReceiver, logger: Logger): FastifyPluginAsync {
  return async (app) => {
    // Raw bytes for every content type (JSON events, form-encoded commands): the signature is
    // over the exact body.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: SLACK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    app.post(
      SLACK_EVENTS_PATH,
      {
        bodyLimit: SLACK_BODY_LIMIT,
        onRequest: async (request, reply) => {
          const signature = request.headers['x-slack-signature'];
          const timestamp = Number(request.headers['x-slack-request-timestamp']);
          const now = Math.floor(Date.now() / 1000);
          if (typeof signature !== 'string' || !signature || !Number.isInteger(timestamp) || now - timestamp > MAX_AGE_SECONDS) {
            return reply.code(401).send({ ok: false, error: 'unauthorized' });
          }
        },
      },
      (request, reply) => {
        // Bolt reuses req.rawBody when it is a Buffer instead of reading the stream again.
        const raw = request.raw as IncomingMessage & { rawBody?: Buffer };
        raw.rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        void reply.hijack();
        Promise.resolve(receiver.requestListener(raw, reply.raw)).catch((err: unknown) => {
          logger.error({ event: 'slack_request_failed', err }, 'Bolt could not handle a request');
          if (!reply.raw.headersSent) reply.raw.writeHead(500);
          reply.raw.end();
        });
      },
    );
  };
}
