// ioredis connections as BullMQ wants them: workers block and must retry forever
// (maxRetriesPerRequest: null); producers (web requests) fail fast instead of queueing
// commands while Redis is down, so a webhook answers 5xx and the platform retries later.
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { scriptDefinitions } from './all-scripts.js';

export type { Redis };

/** How to reach Redis: the URL, and for rediss:// the certificate checks (managed Redis). */
export interface RedisTarget {
  url: string;
  tls?: Config['redisTls'];
}

const base: RedisOptions = {
  // Reconnect by ourselves after a Redis restart: 50 ms, 100 ms, ... up to 2 s between tries.
  retryStrategy: (times) => Math.min(times * 50, 2000),
  connectionName: 'doc2video',
  scripts: scriptDefinitions(),
};

function tlsOptions(t: RedisTarget): RedisOptions {
  if (!t.url.startsWith('rediss://')) return {};
  // ioredis turns on TLS for rediss:// by itself; these refine it. A private CA (REDIS_TLS_CA_FILE)
  // is added to Node's own list; REDIS_TLS_VERIFY=false is for providers whose certificates do
  // not match their host names (Heroku Redis documents this).
  const ca = t.tls?.caFile ? readFileSync(t.tls.caFile, 'utf8') : undefined;
  return { tls: { ...(ca ? { ca } : {}), rejectUnauthorized: t.tls?.verify ?? true } };
}

const target = (t: string | RedisTarget): RedisTarget => (typeof t === 'string' ? { url: t } : t);

export function createWorkerConnection(to: string | RedisTarget, logger?: Logger): Redis {
  const t = target(to);
  const r = new Redis(t.url, { ...base, ...tlsOptions(t), maxRetriesPerRequest: null, enableReadyCheck: true });
  r.on('error', (err) => logger?.warn({ event: 'redis_error', err: err.message }, 'redis connection error'));
  return r;
}

/**
 * The web process's connection. Auto-pipelining: commands issued in the same tick (requests that
 * arrive together) leave in one socket write instead of one each, and each still gets its own
 * answer or error. Measured on the Telegram webhook under load (BENCHMARKS.md): redis-server
 * spends about 15% less CPU per update, which is what N web processes share; the web process's
 * own throughput moves within the noise. Nothing on this connection blocks or subscribes, which
 * auto-pipelining would hold up; the worker's connections do, and keep it off.
 */
export function createProducerConnection(to: string | RedisTarget, logger?: Logger): Redis {
  const t = target(to);
  const r = new Redis(t.url, {
    ...base,
    ...tlsOptions(t),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
  });
  r.on('error', (err) => logger?.warn({ event: 'redis_error', err: err.message }, 'redis connection error'));
  return r;
}

export class RedisUnfitError extends Error {
  override name = 'RedisUnfitError';
}

/**
 * Refuse a Redis that would lose jobs: BullMQ keeps jobs, locks and our limits in keys that an
 * evicting Redis (allkeys-lru, volatile-ttl... as managed plans often default to) may delete
 * under memory pressure, which shows up much later as lost or duplicated work. INFO is used
 * rather than CONFIG GET, which managed services often disable.
 */
export async function assertRedisFit(r: Redis): Promise<{ version: string; policy: string }> {
  const info = await r.info('server').then(async (s) => s + (await r.info('memory')));
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  const version = field('redis_version');
  const policy = field('maxmemory_policy');
  if (policy && policy !== 'noeviction') {
    throw new RedisUnfitError(
      `Redis maxmemory-policy is ${policy}; doc2video needs noeviction (an evicting Redis loses queued jobs). ` +
        "Set `maxmemory-policy noeviction` (managed Redis: in the provider's settings).",
    );
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 6 || (major === 6 && minor < 2)) {
    throw new RedisUnfitError(`Redis ${version || '(unknown version)'} is too old; doc2video needs Redis 6.2 or newer.`);
  }
  return { version, policy: policy || 'noeviction' };
}

/** True when Redis answers PING within the timeout. Used by /readyz. */
export async function isRedisReady(r: Redis, timeoutMs = 1000): Promise<boolean> {
  if (r.status !== 'ready') return false;
  try {
    const pong = await Promise.race([
      r.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  }
}
