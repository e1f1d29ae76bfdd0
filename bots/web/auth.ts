// Who is calling the web API. `Authorization: Bearer <key>` with a key from API_KEYS (each key is
// a user of its own for limits, budgets and usage), or, when WEB_UPLOADS=public, an anonymous
// browser: limited per client IP (request.ip, which TRUST_PROXY decides) and recognised as the
// owner of its jobs by a random token it got at its first upload (a cookie, or X-Owner-Token).
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { bearerToken, sameSecret } from '../../src/http/secrets.js';
import { loginClientKey } from '../../src/ops/admin-dashboard.js';
import { browserOwner, keyOwner } from './jobs.js';

const OWNER_COOKIE = 'd2v_owner';
export const OWNER_HEADER = 'x-owner-token';

export type Caller =
  | { kind: 'key'; name: string; userKey: string; owner: string }
  /** `token` is undefined until the browser's first upload mints one. */
  | { kind: 'browser'; userKey: string; token: string | undefined; owner: string | undefined };

export interface AuthSettings {
  uploads: 'keys' | 'public';
  apiKeys: readonly { name: string; secret: string }[];
}

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export const newOwnerToken = () => randomBytes(32).toString('base64url');

/** One cookie's value. A well-kept parser (`cookie`) needs Node 22; this reads one name only. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export function identify(request: FastifyRequest, s: AuthSettings): Caller | 'unauthorized' {
  const auth = request.headers.authorization;
  if (auth !== undefined) {
    const token = bearerToken(auth);
    // Every key is compared (no early exit), each in constant time.
    let match: string | undefined;
    for (const k of s.apiKeys) if (sameSecret(token, k.secret) && !match) match = k.name;
    if (!match) return 'unauthorized';
    return { kind: 'key', name: match, userKey: `web:key:${match}`, owner: keyOwner(match) };
  }
  if (s.uploads !== 'public') return 'unauthorized';
  const header = request.headers[OWNER_HEADER];
  const given = (typeof header === 'string' ? header : undefined) ?? cookieValue(request.headers.cookie, OWNER_COOKIE);
  const token = given && TOKEN_RE.test(given) ? given : undefined;
  return {
    kind: 'browser',
    userKey: `web:ip:${loginClientKey(request.ip)}`,
    token,
    owner: token ? browserOwner(token) : undefined,
  };
}

/** The Set-Cookie value that gives a browser its owner token. */
export function ownerCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${OWNER_COOKIE}=${token}; Path=/api/v1; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
