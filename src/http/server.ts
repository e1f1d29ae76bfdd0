// The web process's HTTP server: Fastify, with every limit set on purpose. Features add their
// routes as Fastify plugins (`http.app.register(plugin)`) without knowing each other; each plugin
// sets the body limit and the early checks of its own routes. What is decided here holds for all:
// timeouts, the connection cap, which proxy is believed, the answer to malformed requests.
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger, WatchedEvent } from '../logger.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route's time to receive its whole request, instead of HTTP_REQUEST_TIMEOUT_SECONDS. */
    bodyTimeoutMs?: number;
  }
}

export interface HttpSettings {
  /** Fastify's trustProxy: which hops' X-Forwarded-For is believed (request.ip). */
  trustProxy: boolean | string[];
  /** Time to receive the request headers; a slower client is answered 408 and cut. */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included. */
  requestTimeoutMs: number;
  /**
   * The longest a route may give its body (routes opt in with `config.bodyTimeoutMs`: the PDF
   * upload). Node's own timer is set to this; the short one above is then ours, per request.
   */
  uploadTimeoutMs?: number;
  /** Open connections at once (server.maxConnections); more are dropped at connect. */
  maxConnections: number;
}

export interface RouteSummary {
  method: string;
  url: string;
  bodyLimit: number | undefined;
}

export interface HttpServer {
  app: FastifyInstance;
  /** Every route registered so far, as the onRoute hook saw them (filled as plugins load). */
  routes: readonly RouteSummary[];
  settings: HttpSettings;
  /** Loads the registered plugins and listens; resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/** Bodies no route asked more for. Each POST route sets its own limit. */
const DEFAULT_BODY_LIMIT = 64 * 1024;
/**
 * A connection with no traffic either way for this long is dead. Longer than the slowest
 * handler (grammY's webhook answers within 25 s) so a request being worked on is never cut.
 */
const CONNECTION_TIMEOUT_MS = 60_000;
/**
 * Idle keep-alive connections close after this. Longer than the usual proxy idle timeout (60 s
 * at AWS ALB and others), so the proxy closes first and never reuses a socket we just closed.
 */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
/**
 * How often Node checks the header and request timeouts. Node's default (30 s) let a slow
 * client keep a socket for about 31 s against a configured 15 s.
 */
const TIMEOUT_CHECK_EVERY_MS = 1_000;

const DEFAULT_HTTP_SETTINGS: HttpSettings = {
  trustProxy: false,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  maxConnections: 1000,
};

/** A path must start with exactly one '/' and have no empty segment ('//', absolute-form URLs). */
function malformedPath(url: string): boolean {
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  return !path.startsWith('/') || path.includes('//');
}

export function createHttpServer(logger: Logger, settings: HttpSettings = DEFAULT_HTTP_SETTINGS): HttpServer {
  // Node's request timeout is one per server: it must allow the slowest route (an upload).
  const nodeRequestTimeoutMs = Math.max(settings.requestTimeoutMs, settings.uploadTimeoutMs ?? 0);
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Our handlers log what matters; one line per request would drown the logs.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: settings.trustProxy,
    bodyLimit: DEFAULT_BODY_LIMIT,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: nodeRequestTimeoutMs,
    http: {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: nodeRequestTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_EVERY_MS,
    },
    // Close keep-alive sockets at close() instead of waiting for them to time out.
    forceCloseConnections: 'idle',
    // Invalid percent-encoding or an over-long parameter: a plain 400 in our error shape.
    frameworkErrors: (_err: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).header('connection', 'close').send({ ok: false, error: 'bad request' });
    },
  });
  app.server.maxConnections = settings.maxConnections;

  const routes: RouteSummary[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, bodyLimit: r.bodyLimit });
  });

  app.addHook('onRequest', async (request, reply) => {
    if (malformedPath(request.raw.url ?? '')) {
      return reply.code(400).header('connection', 'close').send({ ok: false, error: 'bad request' });
    }
    // Every route but those that ask for longer keeps the short request timeout, enforced
    // here as Node would: a request whose body has not all arrived in time is answered 408 and
    // its socket closed (timed from its headers, which HTTP_HEADERS_TIMEOUT_SECONDS bounds).
    const limit = request.routeOptions.config?.bodyTimeoutMs ?? settings.requestTimeoutMs;
    if (limit >= nodeRequestTimeoutMs || request.raw.complete) return;
    const timer = setTimeout(() => {
      if (request.raw.complete) return;
      const res = reply.raw;
      const socket = request.raw.socket;
      if (res.headersSent) return void socket.destroy();
      res.writeHead(408, { connection: 'close', 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ ok: false, error: clientErrorText(408) }), () => socket.destroy());
    }, limit);
    timer.unref();
    const clear = () => clearTimeout(timer);
    request.raw.once('end', clear);
    reply.raw.once('close', clear);
  });

  // A body refused before or while it was read is not drained: reading stops now (Fastify's
  // parser leaves a refused body flowing into nowhere) and the connection closes after the
  // answer, or Node would read the rest (gigabytes, if so sent) to keep the socket alive.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.raw.complete) {
      request.raw.pause();
      void reply.header('connection', 'close');
    }
    return payload;
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ ok: false, error: 'not found' }));

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      request.log.error(
        { event: 'http_error' satisfies WatchedEvent, path: request.routeOptions.url, err },
        'request handler failed',
      );
      return reply.code(status).send({ ok: false, error: 'internal error' });
    }
    // 4xx from Fastify itself: body too large (413), unsupported type (415), bad JSON (400).
    return reply.code(status).send({ ok: false, error: clientErrorText(status) });
  });

  return {
    app,
    routes,
    settings,
    async listen(port, host = '0.0.0.0') {
      await app.listen({ port, host });
      return (app.server.address() as AddressInfo).port;
    },
    async close() {
      await app.close();
    },
  };
}

function clientErrorText(status: number): string {
  switch (status) {
    case 413:
      return 'body too large';
    case 415:
      return 'unsupported content type';
    case 408:
      return 'request timeout';
    default:
      return 'bad request';
  }
}
