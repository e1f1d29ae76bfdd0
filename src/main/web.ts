// The web process: webhooks from Telegram, Slack and D-ID, health checks. It only enqueues.
import { createCoreServices } from '../app/services.js';
import { createHttpServer } from '../http/server.js';
import { addDidWebhookRoute, addHealthRoutes } from '../http/routes.js';
import { startFrontDoors } from '../../bots/index.js';
import { createOps, lateAdmissionGuard } from '../ops/wiring.js';
import { boot, onShutdown, requireRedisUrl } from './boot.js';

const { config, logger, logTap } = boot('web');
const redisUrl = requireRedisUrl('web', config);
const budgetGuard = lateAdmissionGuard();
const services = createCoreServices(config, logger, { role: 'web', redisUrl, guards: [budgetGuard] });
const ops = createOps(services, { role: 'web', logTap });
budgetGuard.set(ops.admissionGuard);
const http = createHttpServer(logger);
addHealthRoutes(http, services.redis);
ops.mountRoutes(http);
addDidWebhookRoute(http, { queue: services.queue, secret: config.video.did.webhookSecret, logger });
const doors = await startFrontDoors(services, http);
const port = await http.listen(config.port);
logger.info({ event: 'web_started', port, frontDoors: doors.length }, 'web process listening');

onShutdown(logger, async () => {
  await Promise.all(doors.map((d) => d.stop()));
  await http.close();
  await ops.close();
  await services.close();
});
