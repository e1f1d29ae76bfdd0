// The Telegram Bot API client used by both the front door (web process) and the chat adapter
// (worker): grammY's Api pointed at TELEGRAM_API_ROOT, with the transformers that make
// Telegram's flood control and faults harmless. Also: how to recognise the faults we react to.
import { Api, GrammyError, HttpError, type Transformer } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler } from '@grammyjs/transformer-throttler';

/** Bot API cloud limits (reference: telegram.md). A local Bot API server lifts them. */
export const CLOUD_DOWNLOAD_LIMIT = 20 * 1024 * 1024;
export const CLOUD_UPLOAD_LIMIT = 50 * 1024 * 1024;
export const LOCAL_UPLOAD_LIMIT = 2000 * 1024 * 1024;

export interface TelegramClientOptions {
  token: string;
  apiRoot: string;
  /**
   * 'front': answers a webhook, so waits are short (a 429 longer than 5 s fails the call rather
   * than holding Telegram's webhook request). 'worker': may wait, and throttles its own output.
   */
  role: 'front' | 'worker';
  /** Per-request timeout; uploads of large videos need minutes. */
  timeoutSeconds?: number;
}

export function createTelegramApi(opts: TelegramClientOptions): Api {
  const api = new Api(opts.token, {
    apiRoot: opts.apiRoot,
    timeoutSeconds: opts.timeoutSeconds ?? (opts.role === 'front' ? 15 : 300),
  });
  installTransformers(api, opts.role);
  return api;
}

/** The same transformers on any Api (a Bot's own `bot.api` included). */
export function installTransformers(api: Api, role: 'front' | 'worker'): void {
  if (role === 'worker') {
    // Process-local smoothing towards Telegram's guidance (~1 msg/s per chat, 20/min per group,
    // 30/s overall). Bypassed by chat actions (queued behind an upload they would arrive after
    // it) and by edits, which have their own window shared by all workers (progress.ts): a
    // queue here would only bunch them up again.
    const throttle = apiThrottler();
    const unthrottled = new Set(['sendChatAction', 'editMessageText']);
    const throttleSends: Transformer = (prev, method, payload, signal) =>
      unthrottled.has(method) ? prev(method, payload, signal) : throttle(prev, method, payload, signal);
    api.config.use(throttleSends);
  }
  // Installed last so it wraps the throttler: a retry queues again like any other call.
  // rethrowHttpErrors: auto-retry retries network errors without any bound otherwise; the job's
  // own attempts (BullMQ) or the platform's webhook redelivery are the bounded retry for those.
  api.config.use(
    autoRetry({
      maxRetryAttempts: role === 'front' ? 1 : 3,
      maxDelaySeconds: role === 'front' ? 5 : 60,
      rethrowHttpErrors: true,
    }),
  );
}

export function isBlockedError(err: unknown): boolean {
  // 403 covers "bot was blocked by the user", "user is deactivated", "bot was kicked from the
  // group chat" and "not enough rights": in every case this conversation is over for us.
  return err instanceof GrammyError && err.error_code === 403;
}

export function isNotModifiedError(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /message is not modified/i.test(err.description);
}

/** A short description of a Bot API failure for logs: never the URL (it holds the token). */
export function describeTelegramError(err: unknown): string {
  if (err instanceof GrammyError) return `${err.method}: ${err.error_code} ${err.description}`;
  if (err instanceof HttpError) return err.message;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
