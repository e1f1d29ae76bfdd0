// Long polling (no PUBLIC_URL / webhook secret): @grammyjs/runner fetches updates and handles
// them concurrently; the bot was built with sequentialize() so each chat keeps its order.
import type { Bot } from 'grammy';
import { run, type RunnerHandle } from '@grammyjs/runner';
import type { Logger } from '../../src/logger.js';
import { describeTelegramError } from './api.js';
import { ALLOWED_UPDATES } from './bot.js';

export interface TelegramPolling {
  stop(): Promise<void>;
}

export async function startTelegramPolling(bot: Bot, logger: Logger): Promise<TelegramPolling> {
  // getUpdates answers 409 while a webhook is set; keep its pending updates for us.
  await bot.api.deleteWebhook({ drop_pending_updates: false });
  // The runner prints fetch errors with console.error (an undici/node-fetch error can hold the
  // request URL, and so the token): keep it silent and log through our scrubbing logger instead.
  bot.api.config.use(async (prev, method, payload, signal) => {
    try {
      return await prev(method, payload, signal);
    } catch (err) {
      if (method === 'getUpdates' && !signal?.aborted) {
        logger.warn({ event: 'telegram_poll_failed', err: describeTelegramError(err) }, 'getUpdates failed; retrying');
      }
      throw err;
    }
  });
  const runner: RunnerHandle = run(bot, {
    runner: {
      fetch: { timeout: 30, allowed_updates: [...ALLOWED_UPDATES] },
      silent: true,
      // Constant: the runner's exponential interval has no cap (hours after a long outage).
      retryInterval: 3_000,
    },
  });
  void runner.task()?.catch((err: unknown) => {
    // 401 (token revoked) or 409 (another poller / a webhook): the runner gives up.
    logger.error({ event: 'telegram_polling_stopped', err: describeTelegramError(err) }, 'Telegram long polling stopped');
  });
  logger.info({ event: 'telegram_polling_started' }, 'Telegram long polling started');
  return {
    async stop() {
      if (runner.isRunning()) await runner.stop();
    },
  };
}
