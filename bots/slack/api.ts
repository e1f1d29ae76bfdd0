// The Slack Web API client both processes use (the web process through Bolt, the worker for
// progress and uploads), the bridge from Slack's logger interface to pino, and what Slack's
// error answers mean for us.
import { LogLevel, WebClient, WebAPIPlatformError, type Logger as SlackLogger, type WebClientOptions } from '@slack/web-api';
import type { Config } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';

/**
 * Bounded retries. The WebClient's default is 10 retries over ~30 minutes, which would hold a
 * worker slot (and pause the client's request queue) for half an hour. A 429 still waits for its
 * Retry-After before the next attempt; these bounds only cap how many attempts there are.
 */
export const SLACK_RETRY_POLICY = {
  retries: 3,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 10_000,
  maxRetryTime: 60_000,
  randomize: true,
} as const;

/** Per request; Slack answers in well under a second, uploads of a few MB in seconds. */
const SLACK_REQUEST_TIMEOUT_MS = 60_000;

export function slackClientOptions(config: Config, logger: Logger, overrides: Partial<WebClientOptions> = {}): WebClientOptions {
  return {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { ...SLACK_RETRY_POLICY },
    timeout: SLACK_REQUEST_TIMEOUT_MS,
    logger: slackLogger(logger),
    // Method names only: an absolute URL passed as a method would carry the token elsewhere.
    allowAbsoluteUrls: false,
    ...overrides,
  };
}

export function createSlackWebClient(config: Config, logger: Logger, overrides: Partial<WebClientOptions> = {}): WebClient {
  if (!config.slack.botToken) throw new Error('SLACK_BOT_TOKEN is not set');
  return new WebClient(config.slack.botToken, slackClientOptions(config, logger, overrides));
}

/** Bolt and the WebClient log through this into our pino logger (their debug is our trace). */
export function slackLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'slack' });
  let level: LogLevel = LogLevel.INFO;
  const text = (msg: unknown[]) =>
    msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => child.trace({ event: 'slack_sdk' }, text(msg)),
    info: (...msg: unknown[]) => child.info({ event: 'slack_sdk' }, text(msg)),
    warn: (...msg: unknown[]) => child.warn({ event: 'slack_sdk' }, text(msg)),
    error: (...msg: unknown[]) => child.error({ event: 'slack_sdk' }, text(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** The `error` of an `{ok: false}` answer, or undefined for transport errors. */
export function slackErrorCode(err: unknown): string | undefined {
  if (err instanceof WebAPIPlatformError) return err.data.error;
  const data = (err as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

/**
 * Answers meaning the conversation is gone for good: the channel was archived or deleted, the app
 * was removed from it or from the workspace, or its token revoked. Nothing more can be said there.
 */
const GONE_ERRORS: readonly string[] = [
  'is_archived',
  'channel_not_found',
  'not_in_channel',
  'account_inactive',
  'token_revoked',
];

export function isGoneError(err: unknown): boolean {
  const code = slackErrorCode(err);
  return code !== undefined && GONE_ERRORS.includes(code);
}
