// What every entry point does first: read the config (one clear line and exit 1 when it is
// wrong), make the logger, and turn SIGTERM/SIGINT into one orderly shutdown.
import { ConfigError, loadConfig, secretValues, type Config } from '../config.js';
import { pino } from 'pino';
import { createLogger, type Logger, type WatchedEvent } from '../logger.js';
import { LogEventTap } from '../ops/log-events.js';
import { assertRedisFit, createWorkerConnection, RedisUnfitError } from '../redis/connection.js';

export function boot(name: string): { config: Config; logger: Logger; logTap: LogEventTap } {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // The log lines also feed the tap: metrics count provider calls from them, Sentry picks up failures.
  const logTap = new LogEventTap();
  const logger = createLogger(
    { level: config.logLevel, secrets: secretValues(config), name },
    logTap.destination(pino.destination({ dest: process.stdout.fd || 1, sync: false })),
  );
  process.on('unhandledRejection', (err) =>
    logger.error({ event: 'unhandled_rejection' satisfies WatchedEvent, err }, 'unhandled rejection'),
  );
  return { config, logger, logTap };
}

export function requireRedisUrl(name: string, config: Config): string {
  if (!config.redisUrl) {
    process.stderr.write(
      `${name}: Invalid configuration: REDIS_URL must be set (a redis:// URL); only the CLI and \`npm run dev\` start their own Redis\n`,
    );
    process.exit(1);
  }
  return config.redisUrl;
}

/**
 * Run `stop` once on the first SIGTERM/SIGINT; a second signal exits at once. Past `deadlineMs`
 * (SHUTDOWN_TIMEOUT_SECONDS) the process exits anyway: with Redis gone, closing a connection can
 * wait for a reconnect that never comes, and the process would idle until someone kills it.
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>, deadlineMs: number): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ event: 'shutdown', signal }, 'shutting down');
    setTimeout(() => {
      logger.error(
        { event: 'shutdown_failed' satisfies WatchedEvent, deadline_ms: deadlineMs },
        'shutdown took too long; exiting',
      );
      process.exit(1);
    }, deadlineMs).unref();
    stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ event: 'shutdown_failed' satisfies WatchedEvent, err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/**
 * Refuse to start on a Redis that would lose jobs (evicting, or older than 6.2): one clear line,
 * exit 1. A Redis that is not reachable yet is not refused: processes wait for it (/readyz says
 * 503), and the check runs when it answers.
 */
export async function checkRedisAtStart(name: string, config: Config, url: string, logger: Logger): Promise<void> {
  const probe = createWorkerConnection({ url, tls: config.redisTls });
  probe.on('error', () => {});
  try {
    const fit = await assertRedisFit(probe);
    logger.info({ event: 'redis_checked', version: fit.version, policy: fit.policy }, 'Redis is fit for the queue');
  } catch (err) {
    if (err instanceof RedisUnfitError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  } finally {
    probe.disconnect();
  }
}
