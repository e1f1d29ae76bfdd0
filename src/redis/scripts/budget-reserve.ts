import type { RedisScript } from '../scripts.js';

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
  lua: `
if redis.call('EXISTS', KEYS[5]) == 1 then return {1, '', '0', '0'} end
local now = tonumber(ARGV[7])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(stale) do redis.call('HDEL', KEYS[1], id) end
if #stale > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end

local held, userHeld = 0, 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then
    local ok, r = pcall(cjson.decode, all[i + 1])
    if ok and type(r) == 'table' then
      local usd = tonumber(r.usd) or 0
      held = held + usd
      if r.user == ARGV[2] then userHeld = userHeld + usd end
    end
  end
end
local amount = tonumber(ARGV[3])
local spent = tonumber(redis.call('HGET', KEYS[3], 'total_usd') or '0') or 0
local userSpent = tonumber(redis.call('ZSCORE', KEYS[4], ARGV[2]) or '0') or 0
local eps = 1e-9
if ARGV[5] ~= '' and spent + held + amount > tonumber(ARGV[5]) + eps then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {0, 'service', tostring(spent), tostring(held)}
end
if ARGV[6] ~= '' and userSpent + userHeld + amount > tonumber(ARGV[6]) + eps then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {0, 'user', tostring(userSpent), tostring(userHeld)}
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({usd = amount, user = ARGV[2]}))
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
return {1, '', tostring(spent), tostring(held)}
`,
};
