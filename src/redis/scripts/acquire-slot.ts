import type { RedisScript } from '../scripts.js';

/**
 * acquireSlot — take (or renew) one of a user's concurrency slots, with a lease.
 * KEYS[1] active slots   (zset: job id -> lease expiry, ms)
 * KEYS[2] waiting jobs   (zset: job id -> first time it waited, ms)
 * ARGV[1] job id   ARGV[2] max active   ARGV[3] lease ms
 * Returns 1 when the job holds a slot, 0 when all slots are taken (the job is then listed as
 * waiting, so a release can wake it). Expired leases (a killed worker) are dropped first.
 */
export const ACQUIRE_SLOT: RedisScript = {
  name: 'd2vAcquireSlot',
  keys: 2,
  lua: `
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
`,
};
