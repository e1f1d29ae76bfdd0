// What every entry point does first: read the config (one clear line and exit 1 when it is
// wrong), make the logger, and turn SIGTERM/SIGINT into one orderly shutdown.
import { ConfigError, loadConfig, secretValues, type Config } from '../config.js';
import { pino } from 'pino';
import { createLogger, type Logger, type WatchedEvent } from '../logger.js';
import { LogEventTap } from '../ops/log-events.js';

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
  process.on('unhandledRejection', (err) => logger.error({ event: 'unhandled_rejection' satisfies WatchedEvent, err }, 'unhandled rejection'));
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

/** Run `stop` once on the first SIGTERM/SIGINT; a second signal exits at once. */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ event: 'shutdown', signal }, 'shutting down');
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
