// The queue dashboard (bull-board) at /admin/queues, behind HTTP basic auth with ADMIN_USER and
// ADMIN_PASSWORD. Without both the route is not mounted at all (the server answers 404), so a
// deployment that did not ask for it exposes nothing. bull-board's express app is mounted on our
// node:http server as a plain (req, res) listener under a prefix route.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Logger } from '../logger.js';
import type { HttpServer } from '../http/server.js';
import type { VideoQueue } from '../queue/video-queue.js';

export const DASHBOARD_PATH = '/admin/queues';
const REALM = 'Basic realm="doc2video admin", charset="UTF-8"';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * A checker for `Authorization: Basic ...` headers. Both parts are compared in constant time
 * (over SHA-256 digests, so lengths do not leak either), and both are always compared.
 */
export function basicAuthChecker(user: string, password: string): (header: string | undefined) => boolean {
  const wantUser = digest(user);
  const wantPassword = digest(password);
  return (header) => {
    const m = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header ?? '');
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const gotUser = colon >= 0 ? decoded.slice(0, colon) : '';
    const gotPassword = colon >= 0 ? decoded.slice(colon + 1) : '';
    const userOk = timingSafeEqual(digest(gotUser), wantUser);
    const passwordOk = timingSafeEqual(digest(gotPassword), wantPassword);
    return m !== null && colon >= 0 && userOk && passwordOk;
  };
}

export interface DashboardOptions {
  queues: VideoQueue[];
  user: string | undefined;
  password: string | undefined;
  logger: Logger;
}

/** Mount /admin/queues when both credentials are set. Returns whether it was mounted. */
export function mountAdminDashboard(http: HttpServer, opts: DashboardOptions): boolean {
  if (!opts.user || !opts.password) {
    if (opts.user || opts.password) {
      opts.logger.warn(
        { event: 'admin_dashboard_off', reason: 'only one of ADMIN_USER / ADMIN_PASSWORD is set' },
        'queue dashboard is off',
      );
    }
    return false;
  }
  const authorized = basicAuthChecker(opts.user, opts.password);

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: opts.queues.map((q) => new BullMQAdapter(q, { displayName: q.name })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'doc2video' } },
  });
  // The express app bull-board built; its routes are relative to the base path.
  const app = serverAdapter.getRouter() as (req: IncomingMessage, res: ServerResponse) => void;

  http.addRoute({
    method: '*',
    path: `${DASHBOARD_PATH}/*`,
    handler: (req, res) => {
      if (!authorized(req.headers.authorization)) {
        if (req.headers.authorization) {
          opts.logger.warn({ event: 'admin_auth_failed', ip: req.socket.remoteAddress }, 'wrong dashboard credentials');
        }
        const body = 'authentication required\n';
        res.writeHead(401, {
          'www-authenticate': REALM,
          'content-type': 'text/plain; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-store',
        });
        res.end(body);
        return;
      }
      const url = req.url ?? '/';
      req.url = url.slice(DASHBOARD_PATH.length) || '/';
      if (!req.url.startsWith('/')) req.url = `/${req.url}`;
      res.setHeader('cache-control', 'no-store');
      return new Promise<void>((resolve) => {
        res.once('finish', resolve);
        res.once('close', resolve);
        app(req, res);
      });
    },
  });
  opts.logger.info({ event: 'admin_dashboard_on', path: DASHBOARD_PATH }, 'queue dashboard mounted');
  return true;
}
