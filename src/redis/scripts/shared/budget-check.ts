/**
 * budgetCheck — a Lua function (a fragment, not a script of its own) shared by the scripts that hold budget (admit, budgetReserve),
 * pasted in front of their body: the one place the daily caps are compared.
 * Takes its keys as arguments (holds hash, holds expiry zset, the day's ledger hash, the day's
 * user-cost zset); drops lapsed holds, sums the other jobs' holds, and answers
 * (scope 'service'|'user'|nil, spent, held) — scope set when `amount` would pass that cap.
 */
export const BUDGET_CHECK_LUA = `
local function budgetCheck(holdsKey, expiryKey, dayKey, dayUsersKey, jobId, user, amount, serviceCap, userCap, now)
  local stale = redis.call('ZRANGEBYSCORE', expiryKey, '-inf', now)
  for _, id in ipairs(stale) do redis.call('HDEL', holdsKey, id) end
  if #stale > 0 then redis.call('ZREMRANGEBYSCORE', expiryKey, '-inf', now) end
  local held, userHeld = 0, 0
  local all = redis.call('HGETALL', holdsKey)
  for i = 1, #all, 2 do
    if all[i] ~= jobId then
      local ok, r = pcall(cjson.decode, all[i + 1])
      if ok and type(r) == 'table' then
        local usd = tonumber(r.usd) or 0
        held = held + usd
        if r.user == user then userHeld = userHeld + usd end
      end
    end
  end
  local spent = tonumber(redis.call('HGET', dayKey, 'total_usd') or '0') or 0
  local userSpent = tonumber(redis.call('ZSCORE', dayUsersKey, user) or '0') or 0
  local eps = 1e-9
  if serviceCap ~= '' and spent + held + amount > tonumber(serviceCap) + eps then return 'service', spent, held end
  if userCap ~= '' and userSpent + userHeld + amount > tonumber(userCap) + eps then return 'user', userSpent, userHeld end
  return nil, spent, held
end
`;
