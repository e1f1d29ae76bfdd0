// ioredis connections as BullMQ wants them: workers block and must retry forever
// (maxRetriesPerRequest: null); producers (web requests) fail fast instead of queueing
// commands while Redis is down, so a webhook answers 5xx and the platform retries later.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';

export type { Redis };

const base: RedisOptions = {
  // Reconnect by ourselves after a Redis restart: 50 ms, 100 ms, ... up to 2 s between tries.
  retryStrategy: (times) => Math.min(times * 50, 2000),
  connectionName: 'doc2video',
};

export function createWorkerConnection(url: string, logger?: Logger): Redis {
  const r = new Redis(url, { ...base, maxRetriesPerRequest: null, enableReadyCheck: true });
  r.on('error', (err) => logger?.warn({ event: 'redis_error', err: err.message }, 'redis connection error'));
  return r;
}

export function createProducerConnection(url: string, logger?: Logger): Redis {
  const r = new Redis(url, { ...base, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  r.on('error', (err) => logger?.warn({ event: 'redis_error', err: err.message }, 'redis connection error'));
  return r;
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
