// The web side of a process: core services, ops, the HTTP server with its routes and every
// configured front door. `web` runs only this; `dev` runs it beside a worker.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createCoreServices, type CoreServices } from './services.js';
import { createHttpServer, type HttpServer } from '../http/server.js';
import { didWebhookRoutes, healthRoutes } from '../http/routes.js';
import { keptFileRoutes } from '../http/files-route.js';
import { startFrontDoors, type FrontDoor } from '../../bots/index.js';
import { createOps, type Ops } from '../ops/wiring.js';
import type { LogEventTap } from '../ops/log-events.js';

export interface WebApp {
  services: CoreServices;
  ops: Ops;
  http: HttpServer;
  /** The METRICS_PORT listener, when set. */
  metricsHttp: HttpServer | undefined;
  doors: FrontDoor[];
  port: number;
  /** Stop front doors and the server; `services` and `ops` are closed by close(). */
  stopAccepting(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebApp(
  config: Config,
  logger: Logger,
  logTap: LogEventTap,
  opts: { role: 'web' | 'all'; redisUrl: string },
): Promise<WebApp> {
  // Budgets are checked at admission from the config (createCoreServices); ops re-checks them
  // before paid steps.
  const services = createCoreServices(config, logger, { role: opts.role, redisUrl: opts.redisUrl });
  const ops = createOps(services, { role: opts.role, logTap });

  const http = createHttpServer(logger, config.http);
  void http.app.register(healthRoutes(services.redis));
  ops.mountRoutes(http);
  void http.app.register(didWebhookRoutes({ queue: services.queue, secret: config.video.did.webhookSecret, logger }));
  void http.app.register(keptFileRoutes({ store: services.store, linkSecret: config.storage.linkSecret }));
  const doors = await startFrontDoors(services, http, { role: opts.role });
  const port = await http.listen(config.port);
  const metricsHttp = await ops.listenMetrics();

  const stopAccepting = async () => {
    await Promise.all(doors.map((d) => d.stop()));
    await Promise.all([http.close(), metricsHttp?.close()]);
  };
  return {
    services,
    ops,
    http,
    metricsHttp,
    doors,
    port,
    stopAccepting,
    async close() {
      await ops.close();
      await services.close();
    },
  };
}
