import type { RedisScript } from '../scripts.js';

/**
 * admit — dedupe a request, then apply an exact sliding-window rate limit.
 * KEYS[1] dedupe key     (string: the job id admitted for this request)
 * KEYS[2] rate window    (zset: job id -> accepted at, ms)
 * ARGV[1] job id   ARGV[2] window ms   ARGV[3] max accepted per window   ARGV[4] dedupe ttl ms
 * ARGV[5] now ms (optional; tests drive a virtual clock — otherwise Redis TIME)
 * Returns {1, jobId} accepted, {2, existingJobId} duplicate (counts nothing),
 *         {0, retryAfterMs} limited (counts nothing).
 */
export const ADMIT: RedisScript = {
  name: 'd2vAdmit',
  keys: 2,
  lua: `
local existing = redis.call('GET', KEYS[1])
if existing then return {2, existing} end
local now = tonumber(ARGV[5])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[2])
if n >= max then
  -- The request that must leave the window before another fits.
  local idx = n - max
  local edge = redis.call('ZRANGE', KEYS[2], idx, idx, 'WITHSCORES')
  return {0, tostring(tonumber(edge[2]) + window - now + 1)}
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], window)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
return {1, ARGV[1]}
`,
};
