import type { RedisScript } from '../scripts.js';

/**
 * rateWindow — how full a user's rate window is, for the RateLimit-* headers, in O(log n)
 * whatever the limit: the entries in the window, and the one whose leaving frees the next place.
 * KEYS[1] the user's rate window (zset: job id -> accepted at, ms), as admit writes it
 * ARGV[1] the window's start (ms: entries from here on count)   ARGV[2] max accepted per window
 * Returns {used, edge}: edge is the score (ms) of the oldest entry while the window has room,
 * else of the entry whose leaving lets the next request in; '' when the window is empty.
 */
export const RATE_WINDOW: RedisScript = {
  name: 'd2vRateWindow',
  keys: 1,
  lua: `
local used = redis.call('ZCOUNT', KEYS[1], ARGV[1], '+inf')
local max = tonumber(ARGV[2])
local offset = 0
if used >= max then offset = used - max end
local edge = redis.call('ZRANGE', KEYS[1], ARGV[1], '+inf', 'BYSCORE', 'LIMIT', offset, 1, 'WITHSCORES')
return {used, edge[2] or ''}
`,
};
