// The web process: webhooks from Telegram, Slack and D-ID, health checks, metrics. It only enqueues.
import { startWebApp } from '../app/web-app.js';
import { boot, checkRedisAtStart, onShutdown, requireRedisUrl } from './boot.js';

const { config, logger, logTap } = boot('web');
const redisUrl = requireRedisUrl('web', config);
await checkRedisAtStart('web', config, redisUrl, logger);
const app = await startWebApp(config, logger, logTap, { role: 'web', redisUrl });
logger.info({ event: 'web_started', port: app.port, frontDoors: app.doors.length }, 'web process listening');

onShutdown(
  logger,
  async () => {
    await app.stopAccepting();
    await app.close();
  },
  config.shutdownTimeoutSeconds * 1000,
);
