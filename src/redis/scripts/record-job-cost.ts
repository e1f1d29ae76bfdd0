import type { RedisScript } from '../scripts.js';

/**
 * recordJobCost — count a finished job once, and drop its budget hold.
 * KEYS[1] job-cost marker   KEYS[2] day hash   KEYS[3] user-cost   KEYS[4] user-jobs
 * KEYS[5] workspace-cost   KEYS[6] workspace-jobs   KEYS[7] reservations   KEYS[8] reservation-expiry
 * ARGV[1] marker JSON   ARGV[2] ttl s   ARGV[3] llm   ARGV[4] video   ARGV[5] total   ARGV[6] user
 * ARGV[7] workspace   ARGV[8] outcome   ARGV[9] error code or ''   ARGV[10] job id
 * Returns 1 the first time the job is counted, 0 for a repeat. The hold is dropped whatever
 * happens (the job is over); the sums move only when the marker is new. One script, so a crash
 * cannot leave the job half counted.
 */
export const RECORD_JOB_COST: RedisScript = {
  name: 'd2vRecordJobCost',
  keys: 8,
  lua: `
redis.call('HDEL', KEYS[7], ARGV[10])
redis.call('ZREM', KEYS[8], ARGV[10])
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HINCRBYFLOAT', KEYS[2], 'llm_usd', ARGV[3])
redis.call('HINCRBYFLOAT', KEYS[2], 'video_usd', ARGV[4])
redis.call('HINCRBYFLOAT', KEYS[2], 'total_usd', ARGV[5])
redis.call('HINCRBY', KEYS[2], 'jobs', 1)
redis.call('HINCRBY', KEYS[2], ARGV[8], 1)
if ARGV[9] ~= '' then redis.call('HINCRBY', KEYS[2], 'code:' .. ARGV[9], 1) end
redis.call('ZINCRBY', KEYS[3], ARGV[5], ARGV[6])
redis.call('ZINCRBY', KEYS[4], 1, ARGV[6])
redis.call('ZINCRBY', KEYS[5], ARGV[5], ARGV[7])
redis.call('ZINCRBY', KEYS[6], 1, ARGV[7])
for i = 2, 6 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
return 1
`,
};
