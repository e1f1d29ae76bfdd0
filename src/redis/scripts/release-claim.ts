import type { RedisScript } from '../scripts.js';

/**
 * releaseClaim — drop a claim only if it is still the caller's (compare and delete).
 * KEYS[1] the claim (string: the holder's attempt token)
 * ARGV[1] the caller's attempt token
 * Returns 1 when the claim was the caller's and is gone, 0 otherwise.
 */
export const RELEASE_CLAIM: RedisScript = {
  name: 'd2vReleaseClaim',
  keys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
};
