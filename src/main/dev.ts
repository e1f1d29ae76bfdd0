// `npm run dev`: web, worker and (when REDIS_URL is unset) an embedded redis-server in one
// process, for local bot development. With TELEGRAM_BOT_TOKEN set and no PUBLIC_URL it long-polls.
import path from 'node:path';
import { startWebApp } from '../app/web-app.js';
import { startVideoWorker } from '../worker/worker.js';
import { chatAdapters } from '../../bots/index.js';
import { videoKeeperFrom } from '../storage/keeper.js';
import { RedisServerMissingError, startRedisServer } from '../redis/embedded.js';
import { boot, checkRedisAtStart, onShutdown } from './boot.js';

const { config, logger, logTap } = boot('dev');
let embedded: Awaited<ReturnType<typeof startRedisServer>> | undefined;
let redisUrl = config.redisUrl;
if (!redisUrl) {
  try {
    embedded = await startRedisServer({ dir: path.join(config.dataDir, 'redis'), persistence: true });
  } catch (err) {
    process.stderr.write(`dev: ${(err as Error).message}\n`);
    process.exit(err instanceof RedisServerMissingError ? 2 : 1);
  }
  redisUrl = embedded.url;
  logger.info({ event: 'embedded_redis_started', url: redisUrl }, 'started an embedded redis-server');
}

if (!embedded) await checkRedisAtStart('dev', config, redisUrl, logger);
const app = await startWebApp(config, logger, logTap, { role: 'all', redisUrl });
const running = startVideoWorker(app.services, chatAdapters(app.services), {
  ...app.ops.workerOptions(),
  keeper: videoKeeperFrom(app.services),
});
logger.info(
  {
    event: 'dev_started',
    port: app.port,
    script: app.services.writer.name,
    video: app.services.renderer.name,
    frontDoors: app.doors.length,
  },
  'doc2video dev: web + worker running',
);

onShutdown(
  logger,
  async () => {
    await app.stopAccepting();
    await running.close(10_000);
    await app.close();
    await embedded?.stop();
  },
  config.shutdownTimeoutSeconds * 1000,
);
