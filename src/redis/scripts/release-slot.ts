import type { RedisScript } from '../scripts.js';

/**
 * releaseSlot — give a slot back and name the user's longest-waiting job, to wake it.
 * KEYS[1] active slots (zset)   KEYS[2] waiting jobs (zset)
 * ARGV[1] job id
 * Returns the id of the next waiting job, or false (nil) when none waits.
 */
export const RELEASE_SLOT: RedisScript = {
  name: 'd2vReleaseSlot',
  keys: 2,
  lua: `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local nxt = redis.call('ZRANGE', KEYS[2], 0, 0)
if nxt[1] then return nxt[1] end
return false
`,
};
