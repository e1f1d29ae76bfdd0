// `npm run dev`: web, worker and (when REDIS_URL is unset) an embedded redis-server in one
// process, for local bot development. With TELEGRAM_BOT_TOKEN set and no PUBLIC_URL it long-polls.
import path from 'node:path';
import { createCoreServices } from '../app/services.js';
import { createHttpServer } from '../http/server.js';
import { addDidWebhookRoute, addHealthRoutes } from '../http/routes.js';
import { startVideoWorker } from '../worker/worker.js';
import { chatAdapters, startFrontDoors } from '../../bots/index.js';
import { RedisServerMissingError, startRedisServer } from '../redis/embedded.js';
import { createOps, lateAdmissionGuard } from '../ops/wiring.js';
import { boot, onShutdown } from './boot.js';

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

const budgetGuard = lateAdmissionGuard();
const services = createCoreServices(config, logger, { role: 'all', redisUrl, guards: [budgetGuard] });
const ops = createOps(services, { role: 'all', logTap });
budgetGuard.set(ops.admissionGuard);
const http = createHttpServer(logger);
addHealthRoutes(http, services.redis);
ops.mountRoutes(http);
addDidWebhookRoute(http, { queue: services.queue, secret: config.video.did.webhookSecret, logger });
const doors = await startFrontDoors(services, http);
const running = startVideoWorker(services, chatAdapters(services), ops.workerOptions());
const port = await http.listen(config.port);
logger.info(
  { event: 'dev_started', port, script: services.writer.name, video: services.renderer.name, frontDoors: doors.length },
  'doc2video dev: web + worker running',
);

onShutdown(logger, async () => {
  await Promise.all(doors.map((d) => d.stop()));
  await running.close(10_000);
  await http.close();
  await ops.close();
  await services.close();
  await embedded?.stop();
});
