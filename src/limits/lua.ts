// The atomic parts of the per-user limits, as Lua run inside Redis. Each script reads the clock
// with TIME inside Redis, so every web and worker process agrees on "now" whatever its own clock.

/**
 * admit — dedupe a request, then apply an exact sliding-window rate limit.
 * KEYS[1] dedupe key     (string: the job id admitted for this request)
 * KEYS[2] rate window    (zset: job id -> accepted at, ms)
 * ARGV[1] job id   ARGV[2] window ms   ARGV[3] max accepted per window   ARGV[4] dedupe ttl ms
 * ARGV[5] now ms (optional; tests drive a virtual clock — otherwise Redis TIME)
 * Returns {1, jobId} accepted, {2, existingJobId} duplicate (counts nothing),
 *         {0, retryAfterMs} limited (counts nothing).
 */
export const ADMIT = `
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
`;

/**
 * acquireSlot — take (or renew) one of a user's concurrency slots, with a lease.
 * KEYS[1] active slots   (zset: job id -> lease expiry, ms)
 * KEYS[2] waiting jobs   (zset: job id -> first time it waited, ms)
 * ARGV[1] job id   ARGV[2] max active   ARGV[3] lease ms
 * Returns 1 when the job holds a slot, 0 when all slots are taken (the job is then listed as
 * waiting, so a release can wake it). Expired leases (a killed worker) are dropped first.
 */
export const ACQUIRE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease)
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[2], 'NX', now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], 86400000)
return 0
`;

/**
 * releaseSlot — give a slot back and name the user's longest-waiting job, to wake it.
 * KEYS[1] active slots (zset)   KEYS[2] waiting jobs (zset)
 * ARGV[1] job id
 * Returns the id of the next waiting job, or false when none waits.
 */
export const RELEASE_SLOT = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local nxt = redis.call('ZRANGE', KEYS[2], 0, 0)
if nxt[1] then return nxt[1] end
return false
`;
