// The queue dashboard (bull-board) at /admin/queues, behind HTTP basic auth with ADMIN_USER and
// ADMIN_PASSWORD. Without both the routes are not registered at all (the server answers 404), so a
// deployment that did not ask for it exposes nothing. Failed logins are counted per client IP in
// Redis (shared by every web process); past the limit that IP gets 429 until the window ends.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Logger } from '../logger.js';
import { redisKeys } from '../redis/keys.js';
import type { HttpServer } from '../http/server.js';
import type { VideoQueue } from '../queue/video-queue.js';

const DASHBOARD_PATH = '/admin/queues';
const REALM = 'Basic realm="doc2video admin", charset="UTF-8"';

/** Failed logins one client IP may make per window before it is refused outright. */
export const LOGIN_MAX_FAILURES = 10;
export const LOGIN_WINDOW_MS = 10 * 60_000;

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

/**
 * Failed logins per client IP, a fixed window starting at the first failure. A small Redis
 * counter rather than @fastify/rate-limit: that plugin counts every request, and only failures
 * may count here (the dashboard page itself makes dozens of requests).
 */
class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly max = LOGIN_MAX_FAILURES,
    private readonly windowMs = LOGIN_WINDOW_MS,
  ) {}

  private key(ip: string): string {
    return redisKeys(this.prefix).adminLoginFailures(loginClientKey(ip));
  }

  /** Milliseconds until this IP may try again, or 0 when it may try now. */
  async blockedForMs(ip: string): Promise<number> {
    const [[, count], [, ttl]] = (await this.redis.multi().get(this.key(ip)).pttl(this.key(ip)).exec()) as [
      [Error | null, string | null],
      [Error | null, number],
    ];
    return Number(count ?? 0) >= this.max ? Math.max(ttl, 1) : 0;
  }

  async failed(ip: string): Promise<void> {
    // NX: the window starts at the first failure and is not pushed back by later ones.
    await this.redis.multi().incr(this.key(ip)).pexpire(this.key(ip), this.windowMs, 'NX').exec();
  }
}

/**
 * Whose failures count together: an IPv4 address (also when IPv4-mapped), or an IPv6 /64, the
 * smallest block one client is usually given (per address, a /64 would be 2^64 fresh tries).
 */
export function loginClientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export interface DashboardOptions {
  queues: VideoQueue[];
  user: string | undefined;
  password: string | undefined;
  logger: Logger;
  /** Where failed logins are counted (shared by every web process). */
  redis: Redis;
  prefix: string;
}

/** Register /admin/queues when both credentials are set. Returns whether it was registered. */
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
  const throttle = new LoginThrottle(opts.redis, opts.prefix);

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: opts.queues.map((q) => new BullMQAdapter(q, { displayName: q.name })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'doc2video' } },
  });

  const refuse = (reply: FastifyReply, status: number, body: string, headers: Record<string, string>) =>
    reply
      .code(status)
      .headers({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers })
      .send(body);

  async function guard(request: FastifyRequest, reply: FastifyReply) {
    // request.ip is the client as TRUST_PROXY defines it.
    const ip = request.ip;
    let blockedMs: number;
    try {
      blockedMs = await throttle.blockedForMs(ip);
    } catch (err) {
      // Cannot count failures: refuse rather than allow unlimited guessing.
      opts.logger.warn({ event: 'admin_throttle_unavailable', err }, 'login throttle unavailable');
      return refuse(reply, 503, 'try again later\n', {});
    }
    if (blockedMs > 0) {
      return refuse(reply, 429, 'too many failed logins, try again later\n', {
        'retry-after': String(Math.ceil(blockedMs / 1000)),
      });
    }
    if (authorized(request.headers.authorization)) {
      void reply.header('cache-control', 'no-store');
      return;
    }
    if (request.headers.authorization) {
      opts.logger.warn({ event: 'admin_auth_failed', ip }, 'wrong dashboard credentials');
      await throttle.failed(ip).catch(() => {});
    }
    return refuse(reply, 401, 'authentication required\n', { 'www-authenticate': REALM });
  }

  const dashboard: FastifyPluginAsync = async (app) => {
    app.addHook('onRequest', guard);
    await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  };
  void http.app.register(dashboard);
  opts.logger.info({ event: 'admin_dashboard_on', path: DASHBOARD_PATH }, 'queue dashboard mounted');
  return true;
}
