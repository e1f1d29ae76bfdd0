import type { RedisScript } from '../scripts.js';
import { BUDGET_CHECK_LUA } from './shared/budget-check.js';

/**
 * budgetReserve — check the daily budgets and hold `amount` for a job (before a paid step).
 * KEYS[1] reservations (hash job id -> {"usd","user"})   KEYS[2] reservation expiry (zset)
 * KEYS[3] the day's ledger hash   KEYS[4] the day's user-cost (zset)
 * KEYS[5] the job's cost marker (present when the job was already counted)
 * ARGV[1] job id   ARGV[2] user key   ARGV[3] amount USD   ARGV[4] hold ms
 * ARGV[5] service cap or ''   ARGV[6] user cap or ''
 * ARGV[7] now ms (optional; tests drive a virtual clock — otherwise Redis TIME)
 * Returns {ok 1|0, scope 'service'|'user'|'', spent, held} (numbers as strings: Lua would
 * truncate them). A refusal drops the job's own earlier hold.
 */
export const BUDGET_RESERVE: RedisScript = {
  name: 'd2vBudgetReserve',
  keys: 5,
  lua: `${BUDGET_CHECK_LUA}
if redis.call('EXISTS', KEYS[5]) == 1 then return {1, '', '0', '0'} end
local now = tonumber(ARGV[7])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local amount = tonumber(ARGV[3])
local scope, spent, held = budgetCheck(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], amount, ARGV[5], ARGV[6], now)
if scope then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {0, scope, tostring(spent), tostring(held)}
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({usd = amount, user = ARGV[2]}))
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
return {1, '', tostring(spent), tostring(held)}
`,
};
