// Webhook mode: POST /telegram/webhook on the web process's server. grammY's webhookCallback
// checks X-Telegram-Bot-Api-Secret-Token (401 when missing or wrong) and answers only when the
// update's handler finished, i.e. after the job is durably enqueued; a handler error answers 500
// and Telegram delivers the update again.
import { webhookCallback, type Bot } from 'grammy';
import type { Logger } from '../../src/logger.js';
import { sendJson, type HttpServer } from '../../src/http/server.js';
import { ALLOWED_UPDATES } from './bot.js';

export const WEBHOOK_PATH = '/telegram/webhook';
/** Updates are small; anything bigger is not from Telegram. */
const MAX_UPDATE_BYTES = 1024 * 1024;

export function mountTelegramWebhook(http: HttpServer, bot: Bot, opts: { secret: string; logger: Logger }): void {
  const handle = webhookCallback(bot, 'http', {
    secretToken: opts.secret,
    // Below Telegram's own patience; past it, answer 500 and let Telegram redeliver (deduped).
    timeoutMilliseconds: 25_000,
    onTimeout: 'throw',
  });
  http.addRoute({
    method: 'POST',
    path: WEBHOOK_PATH,
    handler: async (req, res) => {
      if (Number(req.headers['content-length'] ?? 0) > MAX_UPDATE_BYTES) return sendJson(res, 413, { ok: false });
      await handle(req, res);
    },
  });
}

export async function setTelegramWebhook(bot: Bot, opts: { publicUrl: string; secret: string; logger: Logger }): Promise<void> {
  const url = `${opts.publicUrl}${WEBHOOK_PATH}`;
  await bot.api.setWebhook(url, { secret_token: opts.secret, allowed_updates: [...ALLOWED_UPDATES] });
  opts.logger.info({ event: 'telegram_webhook_set', url }, 'Telegram webhook set');
}
