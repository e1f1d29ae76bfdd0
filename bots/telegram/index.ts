// Wiring of the Telegram front door (web process) and chat adapter (worker) from CoreServices.
import type { UserFromGetMe } from 'grammy/types';
import type { CoreServices } from '../../src/app/services.js';
import type { HttpServer } from '../../src/http/server.js';
import { createTelegramApi, describeTelegramError } from './api.js';
import { commandMenu } from '../texts.js';
import { usageMenuEntry } from '../usage.js';
import { isAdmin } from '../../src/ops/usage.js';
import { createTelegramAdapter, type TelegramAdapter, type TelegramAdapterOptions } from './adapter.js';
import { createTelegramBot } from './bot.js';
import { userKeyOf, type TelegramFrontDeps } from './intake.js';
import { startTelegramPolling } from './polling.js';
import { mountTelegramWebhook, setTelegramWebhook } from './webhook.js';
import { commonDoorDeps, prefixOf } from '../../src/app/door-deps.js';

export { prefixOf };

function telegramFrontDepsFrom(services: CoreServices, mode: 'webhook' | 'polling', stopping?: AbortSignal): TelegramFrontDeps {
  const { config } = services;
  return {
    ...commonDoorDeps(services, 'telegram'),
    localApi: config.telegram.localApi,
    redeliverOnError: mode === 'webhook',
    ...(stopping ? { stopping } : {}),
    // ADMIN_IDS may name a Telegram user by id ("123456789") or as the usage report shows it
    // ("tg:123456789").
    isAdmin: (userId) => isAdmin(config, [String(userId), userKeyOf(userId)]),
  };
}

/** The Telegram user ids in ADMIN_IDS ("123456789" or "tg:123456789"); Slack ids are skipped. */
function telegramAdminIds(adminIds: readonly string[]): number[] {
  const ids = new Set<number>();
  for (const raw of adminIds) {
    const m = /^(?:tg:)?(\d{1,15})$/.exec(raw.trim());
    if (m) ids.add(Number(m[1]));
  }
  return [...ids];
}

export interface TelegramFrontDoor {
  mode: 'webhook' | 'polling';
  stop(): Promise<void>;
}

/**
 * Start the bot when TELEGRAM_BOT_TOKEN is set: webhook mode when PUBLIC_URL and
 * TELEGRAM_WEBHOOK_SECRET are set (route on `http`, setWebhook), long polling otherwise.
 */
export async function startTelegramFrontDoor(
  services: CoreServices,
  http: HttpServer,
  opts: { botInfo?: UserFromGetMe } = {},
): Promise<TelegramFrontDoor | undefined> {
  const { config } = services;
  const token = config.telegram.token;
  if (!token) return undefined;
  const mode = config.publicUrl && config.telegram.webhookSecret ? 'webhook' : 'polling';
  const stopping = new AbortController();
  const deps = telegramFrontDepsFrom(services, mode, stopping.signal);
  const bot = createTelegramBot(deps, {
    token,
    apiRoot: config.telegram.apiRoot,
    sequential: mode === 'polling',
    webhookReply: mode === 'webhook',
    ...(opts.botInfo ? { botInfo: opts.botInfo } : {}),
  });
  // getMe once: the bot's username is needed to recognise "/video@us" and "@us" in groups.
  await bot.init();
  // The command menu, in English and Arabic. Cosmetic: a failure here must not stop the bot.
  await Promise.all([
    bot.api.setMyCommands(commandMenu('en')),
    bot.api.setMyCommands(commandMenu('ar'), { language_code: 'ar' }),
  ]).catch((err: unknown) => {
    deps.logger.warn({ event: 'telegram_commands_not_set', err: describeTelegramError(err) }, 'could not set the command menu');
  });
  // /usage is in the menu of admins' private chats only (the menu is per scope: a chat's own list
  // replaces the default one there). Telegram answers "chat not found" for an admin who has never
  // opened a chat with the bot: their menu is set at the next start; the command works anyway.
  await Promise.all(
    telegramAdminIds(config.admin.ids).map(async (chatId) => {
      const scope = { type: 'chat' as const, chat_id: chatId };
      try {
        await bot.api.setMyCommands([...commandMenu('en'), usageMenuEntry('en')], { scope });
        await bot.api.setMyCommands([...commandMenu('ar'), usageMenuEntry('ar')], { scope, language_code: 'ar' });
      } catch (err) {
        deps.logger.info(
          { event: 'telegram_admin_commands_not_set', chatId, err: describeTelegramError(err) },
          'could not set the admin command menu',
        );
      }
    }),
  );

  if (mode === 'webhook') {
    mountTelegramWebhook(http, bot, { secret: config.telegram.webhookSecret!, logger: deps.logger });
    await setTelegramWebhook(bot, { publicUrl: config.publicUrl!, secret: config.telegram.webhookSecret!, logger: deps.logger });
    return { mode, stop: async () => {} };
  }
  const polling = await startTelegramPolling(bot, deps.logger);
  return {
    mode,
    stop: async () => {
      // Ends enqueue retries first, so the runner's in-flight updates can finish.
      stopping.abort();
      await polling.stop();
    },
  };
}

/** The worker's Telegram adapter, or undefined without TELEGRAM_BOT_TOKEN. */
export function telegramAdapterFor(
  services: CoreServices,
  overrides: Partial<Pick<TelegramAdapterOptions, 'maxUploadBytes' | 'editIntervalMs' | 'chatActionEveryMs'>> = {},
): TelegramAdapter | undefined {
  const { config } = services;
  const token = config.telegram.token;
  if (!token) return undefined;
  return createTelegramAdapter({
    api: createTelegramApi({ token, apiRoot: config.telegram.apiRoot, role: 'worker' }),
    redis: services.redis,
    prefix: prefixOf(services),
    logger: services.logger.child({ platform: 'telegram' }),
    token,
    apiRoot: config.telegram.apiRoot,
    localApi: config.telegram.localApi,
    localFilesDir: config.telegram.localFilesDir,
    ...overrides,
  });
}
