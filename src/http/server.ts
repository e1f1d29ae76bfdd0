// One node:http server for the web process. Features add routes; the router is deliberately
// tiny (method + exact path, or a path prefix) so that framework handlers (grammY's
// webhookCallback, Bolt's receiver, bull-board's express app) can be mounted as plain
// (req, res) listeners.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, WatchedEvent } from '../logger.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => unknown;

export interface Route {
  method: 'GET' | 'POST' | '*';
  /** Exact path, a pattern with :params ("/did/webhook/:jobId/:token"), or a prefix ending in "/*". */
  path: string;
  handler: Handler;
}

export interface HttpServer {
  server: Server;
  addRoute(route: Route): void;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

function match(pattern: string, pathname: string): Record<string, string> | undefined {
  if (pattern.endsWith('/*')) {
    const base = pattern.slice(0, -2);
    return pathname === base || pathname.startsWith(`${base}/`) ? {} : undefined;
  }
  const p = pattern.split('/');
  const a = pathname.split('/');
  if (p.length !== a.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodeURIComponent(a[i]!);
    else if (p[i] !== a[i]) return undefined;
  }
  return params;
}

export function createHttpServer(logger: Logger): HttpServer {
  const routes: Route[] = [];
  const server = createServer(async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    for (const r of routes) {
      if (r.method !== '*' && r.method !== req.method) continue;
      const params = match(r.path, pathname);
      if (!params) continue;
      try {
        await r.handler(req, res, params);
      } catch (err) {
        logger.error({ event: 'http_error' satisfies WatchedEvent, path: r.path, err }, 'request handler failed');
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal error' });
        else res.end();
      }
      return;
    }
    sendJson(res, 404, { ok: false, error: 'not found' });
  });
  // Slow clients must not hold sockets forever; platform webhooks are small and quick.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  return {
    server,
    addRoute: (route) => routes.push(route),
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
