// GET /metrics. The page tells an outsider a lot (node version, hostname, queue depths, costs),
// so it is served only where the operator asked for it: on the public port behind a bearer token
// (METRICS_TOKEN), and/or alone on a private port (METRICS_PORT). With neither it is not served.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../logger.js';
import { createHttpServer, type HttpServer, type HttpSettings } from '../http/server.js';
import { bearerToken, sameSecret } from '../http/secrets.js';

const METRICS_PATH = '/metrics';

export type RenderMetrics = () => Promise<{ contentType: string; body: string }>;

/** The /metrics route; with `token`, a request without `Authorization: Bearer <token>` gets 401. */
export function metricsRoutes(opts: { render: RenderMetrics; token?: string | undefined }): FastifyPluginAsync {
  return async (app) => {
    app.get(
      METRICS_PATH,
      {
        onRequest: async (request, reply) => {
          if (opts.token === undefined) return;
          if (!sameSecret(bearerToken(request.headers.authorization), opts.token)) {
            return reply
              .code(401)
              .header('www-authenticate', 'Bearer realm="doc2video metrics"')
              .header('cache-control', 'no-store')
              .send({ ok: false, error: 'unauthorized' });
          }
        },
      },
      async (_request, reply) => {
        const { contentType, body } = await opts.render();
        return reply.code(200).header('content-type', contentType).header('cache-control', 'no-store').send(body);
      },
    );
  };
}

/**
 * A second small listener serving only GET /metrics, without a token: meant for a port that
 * only the internal network reaches.
 */
export async function listenMetrics(
  logger: Logger,
  settings: HttpSettings,
  opts: { port: number; host?: string; render: RenderMetrics },
): Promise<HttpServer & { port: number }> {
  const http = createHttpServer(logger, settings);
  await http.app.register(metricsRoutes({ render: opts.render }));
  const port = await http.listen(opts.port, opts.host);
  logger.info({ event: 'metrics_listening', port }, 'metrics served on their own port');
  return Object.assign(http, { port });
}
