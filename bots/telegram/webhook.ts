// Webhook mode: POST /telegram/webhook on the web process's server. The secret token header
// (X-Telegram-Bot-Api-Secret-Token) is checked before the body is read (401), the body is counted
// as it arrives and refused past MAX_UPDATE_BYTES (413, connection closed); grammY's
// webhookCallback then answers with the handler's first sendMessage as the body (a webhook
// reply, bot.ts), or empty when the handler finished without one; either way only after the job
// is durably enqueued. A handler error answers 500 and Telegram delivers the update again.
import type { FastifyPluginAsync, RouteHandlerMethod } from 'fastify';
import { webhookCallback, type Bot } from 'grammy';
import type { Logger } from '../../src/logger.js';
import { sameSecret } from '../../src/http/secrets.js';
import type { HttpServer } from '../../src/http/server.js';
import { ALLOWED_UPDATES } from './bot.js';

export const WEBHOOK_PATH = '/telegram/webhook';
/** Updates are small; anything bigger is not from Telegram. */
export const MAX_UPDATE_BYTES = 1024 * 1024;

function telegramWebhookRoutes(bot: Bot, opts: { secret: string; logger: Logger }): FastifyPluginAsync {
  const handle = webhookCallback(bot, 'fastify', {
    secretToken: opts.secret,
    // Below Telegram's own patience; past it, answer 500 and let Telegram redeliver (deduped).
    timeoutMilliseconds: 25_000,
    onTimeout: 'throw',
  }) as unknown as RouteHandlerMethod;
  return async (app) => {
    app.post(
      WEBHOOK_PATH,
      {
        bodyLimit: MAX_UPDATE_BYTES,
        // Anything that is not an update (no body, a string, no update_id) is refused with 400
        // rather than failing inside grammY with a 500 that Telegram would redeliver forever.
        schema: { body: { type: 'object', required: ['update_id'], properties: { update_id: { type: 'integer' } } } },
        onRequest: async (request, reply) => {
          const got = request.headers['x-telegram-bot-api-secret-token'];
          if (!sameSecret(typeof got === 'string' ? got : undefined, opts.secret)) {
            return reply.code(401).send('secret token is wrong');
          }
        },
      },
      handle,
    );
  };
}

export function mountTelegramWebhook(http: HttpServer, bot: Bot, opts: { secret: string; logger: Logger }): void {
  void http.app.register(telegramWebhookRoutes(bot, opts));
}

export async function setTelegramWebhook(bot: Bot, opts: { publicUrl: string; secret: string; logger: Logger }): Promise<void> {
  const url = `${opts.publicUrl}${WEBHOOK_PATH}`;
  await bot.api.setWebhook(url, { secret_token: opts.secret, allowed_updates: [...ALLOWED_UPDATES] });
  opts.logger.info({ event: 'telegram_webhook_set', url }, 'Telegram webhook set');
}
