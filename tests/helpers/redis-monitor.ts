// The Redis commands one connection sends while a piece of code runs, as MONITOR (on a
// connection of its own) sees them: how tests show what a request costs in Redis.
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { waitFor } from './harness.js';

/** Lower-case command names `conn` sent while `fn` ran, in the order Redis ran them. */
export async function commandsDuring(conn: Redis, fn: () => Promise<unknown>): Promise<string[]> {
  const monitor = await new Redis(inject('redisUrl')).monitor();
  try {
    const addr = /addr=(\S+)/.exec(String(await conn.client('INFO')))?.[1];
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: unknown[], source: string) => {
      if (source === addr) seen.push(String(args[0]).toLowerCase());
    });
    // MONITOR reports in execution order but arrives late: fn's commands sit between this
    // connection's ECHO and PING.
    await conn.echo('start');
    await fn();
    await conn.ping();
    await waitFor(async () => seen.includes('ping'), 'the PING in MONITOR');
    return seen.slice(seen.indexOf('echo') + 1, seen.indexOf('ping'));
  } finally {
    monitor.disconnect();
  }
}
