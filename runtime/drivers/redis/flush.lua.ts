// The async-mode flush as one Lua script: applies a whole batch atomically and at most once per
// (partition, seq). redis.pcall keeps a bad element (e.g. LSET out of range) from aborting half-way,
// which would leave a partial, unrecorded batch that a retry would apply twice; what it refused is
// counted and returned ({1, count, first errors…}) so the runtime reports it instead of losing it.
// Store continuity: a partition's flushes are numbered 1, 2, 3…, so a store holding less than seq - 1
// lost flushes it acknowledged (restarted empty or from an older copy): the script then applies
// nothing and answers {2, last}, unless ARGV[2] is 'r' (resync: the runtime reported the loss).
export const FLUSH_LUA = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local seq = tonumber(ARGV[1])
if seq <= last then return 0 end
if last < seq - 1 and ARGV[2] ~= 'r' then return {2, last} end
local CH = 4000
local errs, nerr = {}, 0
local function pc(...)
  local r = redis.pcall(...)
  if type(r) == 'table' and r.err then
    nerr = nerr + 1
    if nerr <= 5 then errs[nerr] = r.err end
  end
end
local function many(cmd, k, i, c)
  local j = i
  while j < i + c do
    local e = math.min(j + CH, i + c) - 1
    pc(cmd, k, unpack(ARGV, j, e))
    j = e + 1
  end
end
local i, n = 3, #ARGV
while i <= n do
  local op, k, c = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  i = i + 3
  if op == 'set' then pc('SET', k, ARGV[i]); i = i + 1
  elseif op == 'del' then pc('DEL', k)
  elseif op == 'incr' then pc('INCRBY', k, ARGV[i]); i = i + 1
  elseif op == 'incrf' then pc('INCRBYFLOAT', k, ARGV[i]); i = i + 1
  elseif op == 'rpush' then many('RPUSH', k, i, c); i = i + c
  elseif op == 'lpush' then many('LPUSH', k, i, c); i = i + c
  elseif op == 'lpop' then pc('LPOP', k, c)
  elseif op == 'rpop' then pc('RPOP', k, c)
  elseif op == 'lset' then pc('LSET', k, ARGV[i], ARGV[i + 1]); i = i + 2
  elseif op == 'sadd' then many('SADD', k, i, c); i = i + c
  elseif op == 'srem' then many('SREM', k, i, c); i = i + c
  elseif op == 'hset' then many('HSET', k, i, 2 * c); i = i + 2 * c
  elseif op == 'hdel' then many('HDEL', k, i, c); i = i + c
  elseif op == 'hincr' then
    for j = i, i + 2 * c - 1, 2 do pc('HINCRBY', k, ARGV[j], ARGV[j + 1]) end
    i = i + 2 * c
  elseif op == 'hincrf' then
    for j = i, i + 2 * c - 1, 2 do pc('HINCRBYFLOAT', k, ARGV[j], ARGV[j + 1]) end
    i = i + 2 * c
  elseif op == 'tset' then
    -- timers: one key per entry, k@name, holding its deadline and expiring by itself (PX)
    for j = i, i + 3 * c - 1, 3 do pc('SET', k .. '@' .. ARGV[j], ARGV[j + 2], 'PX', ARGV[j + 1]) end
    i = i + 3 * c
  elseif op == 'tdel' then
    for j = i, i + c - 1 do pc('DEL', k .. '@' .. ARGV[j]) end
    i = i + c
  elseif op == 'tclr' then
    local cur = '0'
    repeat
      local r = redis.call('SCAN', cur, 'MATCH', ARGV[i], 'COUNT', 1000)
      cur = r[1]
      for _, key in ipairs(r[2]) do redis.call('DEL', key) end
    until cur == '0'
    i = i + 1
  else return redis.error_reply('flexbench flush: unknown op ' .. tostring(op))
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return {1, nerr, unpack(errs)}
`;
