// The grammY Bot of the front door: construction, API transformers and the middleware order.
// Documents are routed before commands: a PDF whose caption is "/video" is a document first.
import { Bot, type Context, type MiddlewareFn } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { sequentialize } from '@grammyjs/runner';
import { installTransformers, describeTelegramError } from './api.js';
import { onAvatar, onCallbackQuery, onCancel, onHelp, onOtherPrivateMessage, onStatus, onStyle, onUsage } from './commands.js';
import { onDocument, onVideoCommand, type TelegramFrontDeps } from './intake.js';
import { redisKeys } from '../../src/redis/keys.js';

/** The update types we act on; setWebhook and getUpdates ask for exactly these. */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

const UPDATE_SEEN_TTL_SECONDS = 86_400;

export interface TelegramBotOptions {
  token: string;
  apiRoot: string;
  /** Skips getMe at start (tests, or a cached identity). */
  botInfo?: UserFromGetMe;
  /** Long polling runs updates concurrently: keep each chat's updates in order. */
  sequential?: boolean;
  /**
   * Webhook mode: the update's first sendMessage (the acknowledgement, or a command's answer)
   * goes back as the webhook's response body instead of its own Bot API request. Telegram runs
   * it and tells nobody the result, so it is used only for messages whose result we ignore
   * (replies.ts `reply`). Saves an HTTP round trip per update and answers the webhook as soon
   * as the job is stored.
   */
  webhookReply?: boolean;
}

export function createTelegramBot(deps: TelegramFrontDeps, opts: TelegramBotOptions): Bot {
  const bot = new Bot(opts.token, {
    // getUpdates holds a request for 30 s; everything else is quick.
    client: {
      apiRoot: opts.apiRoot,
      timeoutSeconds: 45,
      ...(opts.webhookReply ? { canUseWebhookReply: (method: string) => method === 'sendMessage' } : {}),
    },
    ...(opts.botInfo ? { botInfo: opts.botInfo } : {}),
  });
  installTransformers(bot.api, 'front');

  if (opts.sequential) bot.use(sequentialize((ctx: Context) => ctx.chat?.id.toString() ?? ctx.from?.id.toString()));
  bot.use(oncePerUpdate(deps));

  bot.on('message:document', (ctx) => onDocument(ctx, deps));
  bot.command('video', (ctx) => onVideoCommand(ctx, deps));
  bot.command(['start', 'help'], (ctx) => onHelp(ctx, deps));
  bot.command('status', (ctx) => onStatus(ctx, deps));
  bot.command('cancel', (ctx) => onCancel(ctx, deps));
  bot.command('avatar', (ctx) => onAvatar(ctx, deps));
  bot.command('style', (ctx) => onStyle(ctx, deps));
  // Admins only; for anyone else it falls through to what an unknown command gets.
  bot.command('usage', (ctx, next) => onUsage(ctx, deps, next));
  bot.on('callback_query:data', (ctx) => onCallbackQuery(ctx, deps));
  bot.chatType('private').on('message', (ctx) => onOtherPrivateMessage(ctx, deps));

  // Long polling reports handler errors here (webhook mode throws them to the HTTP server).
  bot.catch((err) => {
    deps.logger.error(
      { event: 'telegram_update_failed', updateId: err.ctx.update.update_id, err: describeTelegramError(err.error) },
      'update handling failed',
    );
  });
  return bot;
}

/**
 * An update that was handled once is not handled again (Telegram redelivers a webhook update
 * whose answer it did not get). Marked only after success: a failed attempt may be repeated.
 * A document message is left to admission, which recognises its update_id in the same round
 * trip as the rest of intake (intake.ts): two Redis round trips fewer on the busy path.
 */
function oncePerUpdate(deps: TelegramFrontDeps): MiddlewareFn<Context> {
  return async (ctx, next) => {
    if (ctx.message?.document) return next();
    const key = updateSeenKey(deps.prefix, ctx.update.update_id);
    if (await deps.redis.exists(key)) {
      deps.logger.info({ event: 'telegram_update_repeated', updateId: ctx.update.update_id }, 'update already handled');
      return;
    }
    await next();
    await deps.redis.set(key, '1', 'EX', UPDATE_SEEN_TTL_SECONDS);
  };
}

/** Remember handled update_ids, so a redelivered update is answered 200 without any effect. */
function updateSeenKey(prefix: string, updateId: number): string {
  return redisKeys(prefix).telegram.updateSeen(updateId);
}
