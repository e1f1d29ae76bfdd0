import type { RedisScript } from '../scripts.js';

/**
 * hashWithTtl — write a hash's fields and give the hash its time to live, as one atomic command
 * (MULTI, HSET, EXPIRE, EXEC was four): a record never stays behind without its expiry.
 * KEYS[1] the hash
 * ARGV[1] time to live, seconds   ARGV[2..] field, value, field, value, ...
 * Returns 1.
 */
export const HASH_WITH_TTL: RedisScript = {
  name: 'd2vHashWithTtl',
  keys: 1,
  lua: `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`,
};
