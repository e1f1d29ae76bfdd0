import type { RedisScript } from '../scripts.js';
import { BUDGET_CHECK_LUA } from './shared/budget-check.js';
import { BULLMQ_ADD_KEYS, BULLMQ_ADD_LUA } from './shared/bullmq-add.js';

/**
 * admit — the whole admission of a request, in one atomic step and this order:
 *   dedupe -> the user's rate window -> the intake ceiling -> the budget hold,
 * then, only when every check passed, everything is written at once: the dedupe entry, the
 * rate-window entry, the intake entries, the budget hold, the /status record and (when given) the
 * BullMQ job itself, so no job can be admitted and then lost before it is queued. A refused or
 * duplicate request therefore stores nothing that could count against anyone (only the day's
 * refusal counters used by the usage report move).
 *
 * KEYS[1] dedupe            (string: the job id admitted for this request)
 * KEYS[2] rate window       (zset: job id -> accepted at, ms) of the user
 * KEYS[3] intake            (zset: job id -> admitted at, ms): jobs waiting or running
 * KEYS[4] intake waiting    (zset: job id -> admitted at, ms): jobs no worker has started
 * KEYS[5] reservations      (hash: job id -> {"usd","user"}): budget holds
 * KEYS[6] reservation expiry (zset: job id -> expires at, ms)
 * KEYS[7] the day's ledger  (hash: total_usd, refused:<why>, ...)
 * KEYS[8] the day's user-cost (zset: user -> USD)
 * KEYS[9] the job's /status record (hash)
 * KEYS[10] the user's records (zset: job id -> created at, ms)
 * KEYS[11] the user's remembered choices (hash, src/jobs/preferences.ts): read, never written
 * KEYS[12..20] BullMQ's addStandardJob keys (wait, paused, meta, id, completed, delayed, active,
 *         events, marker); unused when ARGV[18] is ''
 * ARGV[1] job id   ARGV[2] user key   ARGV[3] rate window ms   ARGV[4] max accepted per window
 * ARGV[5] dedupe ttl ms   ARGV[6] max jobs waiting or running   ARGV[7] intake lease ms (an entry
 *         whose job never reported its end stops counting after it)
 * ARGV[8] budget hold USD ('0': the job costs nothing, no budget check)   ARGV[9] hold ms
 * ARGV[10] service daily cap or ''   ARGV[11] user daily cap or ''
 * ARGV[12] platform   ARGV[13] title or ''   ARGV[14] ledger ttl s (for the refusal counters)
 * ARGV[15] request id or '' (names this delivery of the request, e.g. a Telegram update_id:
 *         kept in the record, so a redelivery of the admitted request can be told from another
 *         request for the same file)   ARGV[16] '1': return the remembered choices, '' not
 * ARGV[17] now ms, or '' for Redis TIME (tests drive a virtual clock)
 * ARGV[18] BullMQ's packed add arguments (src/queue/prepared-job.ts), or '': admit only
 * ARGV[19] the job data's JSON up to its last member's value (`..."options":`)
 * ARGV[20] the request's own options (flat JSON object): they win over remembered choices
 * ARGV[21] BullMQ's packed job options
 * ARGV[22] the avatar styles a remembered choice may name, comma-separated  ARGV[23] the layouts
 * Returns {1, jobId, position, choices, added}   accepted (position: jobs waiting, this one
 *                                                included; added: the id BullMQ's add answered,
 *                                                '' when nothing was added)
 *         {2, existingJobId, recordState or '', repeated 0|1, choices}
 *                                                duplicate (nothing counted; repeated: the same
 *                                                request id as the admitted one)
 *         {0, retryAfterMs}                      rate limited
 *         {3, jobs waiting or running}           busy: the intake ceiling is reached
 *         {4, 'service'|'user', spent, held}     over a daily budget (numbers as strings)
 */
export const ADMIT: RedisScript = {
  name: 'd2vAdmit4',
  keys: 11 + BULLMQ_ADD_KEYS,
  lua: `${BUDGET_CHECK_LUA}${BULLMQ_ADD_LUA}
-- The user's remembered choices ride along, so intake needs no read of its own (HGETALL: flat).
local function choices()
  if ARGV[16] == '1' then return redis.call('HGETALL', KEYS[11]) end
  return {}
end
local function listed(list, value)
  return string.find(',' .. list .. ',', ',' .. value .. ',', 1, true) ~= nil
end
-- The job's options: the request's own, then the remembered choices it left open (the same rule
-- as rememberedFrom() in src/jobs/preferences.ts: unknown values are ignored).
local function jobOptions(flat)
  local options = cjson.decode(ARGV[20])
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  if options.avatarStyle == nil and h.avatar and listed(ARGV[22], h.avatar) then options.avatarStyle = h.avatar end
  if options.layout == nil and h.layout and listed(ARGV[23], h.layout) then options.layout = h.layout end
  if options.captions == nil and (h.captions == 'on' or h.captions == 'off') then options.captions = h.captions == 'on' end
  return cjson.encode(options)
end
local existing = redis.call('GET', KEYS[1])
if existing then
  local state, request = '', ''
  if existing == ARGV[1] then
    local r = redis.call('HMGET', KEYS[9], 'state', 'requestId')
    state, request = r[1] or '', r[2] or ''
  end
  local repeated = 0
  if ARGV[15] ~= '' and request == ARGV[15] then repeated = 1 end
  return {2, existing, state, repeated, choices()}
end
local now = tonumber(ARGV[17])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- 1. The user's sliding rate window.
local window = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[2])
if n >= max then
  -- The request that must leave the window before another fits.
  local idx = n - max
  local edge = redis.call('ZRANGE', KEYS[2], idx, idx, 'WITHSCORES')
  return {0, tostring(tonumber(edge[2]) + window - now + 1)}
end

-- 2. The intake ceiling: jobs waiting or running, of everyone.
local lease = tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - lease)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - lease)
local queued = redis.call('ZCARD', KEYS[3])
if queued >= tonumber(ARGV[6]) then
  redis.call('HINCRBY', KEYS[7], 'refused:busy', 1)
  redis.call('EXPIRE', KEYS[7], ARGV[14])
  return {3, queued}
end

-- 3. The daily budgets: spent today + held for jobs in flight + this job's hold.
local amount = tonumber(ARGV[8])
local hold = amount > 0 and (ARGV[10] ~= '' or ARGV[11] ~= '')
if hold then
  local scope, s, h = budgetCheck(KEYS[5], KEYS[6], KEYS[7], KEYS[8], ARGV[1], ARGV[2], amount, ARGV[10], ARGV[11], now)
  if scope then
    redis.call('HINCRBY', KEYS[7], 'refused:budget_' .. scope, 1)
    redis.call('EXPIRE', KEYS[7], ARGV[14])
    return {4, scope, tostring(s), tostring(h)}
  end
end

-- Admitted: write everything.
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], window)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[5])
redis.call('ZADD', KEYS[3], now, ARGV[1])
redis.call('ZADD', KEYS[4], now, ARGV[1])
if hold then
  redis.call('HSET', KEYS[5], ARGV[1], cjson.encode({usd = amount, user = ARGV[2]}))
  redis.call('ZADD', KEYS[6], now + tonumber(ARGV[9]), ARGV[1])
end
redis.call('HSET', KEYS[9], 'jobId', ARGV[1], 'userKey', ARGV[2], 'platform', ARGV[12], 'state', 'queued',
  'createdAt', now, 'updatedAt', now)
if ARGV[13] ~= '' then redis.call('HSET', KEYS[9], 'title', ARGV[13]) end
if ARGV[15] ~= '' then redis.call('HSET', KEYS[9], 'requestId', ARGV[15]) end
redis.call('ZADD', KEYS[10], now, ARGV[1])
local chosen = choices()
local added = ''
if ARGV[18] ~= '' then
  local bullKeys = {}
  for i = 1, ${BULLMQ_ADD_KEYS} do bullKeys[i] = KEYS[11 + i] end
  added = bullmqAddStandardJob(bullKeys, {ARGV[18], ARGV[19] .. jobOptions(chosen) .. '}', ARGV[21]})
end
return {1, ARGV[1], redis.call('ZCARD', KEYS[4]), chosen, added}
`,
};
