-- ARGV: base, consumer, max, visibility timeout, max retries, then id, group of tokens a
-- blocking read took. Returns {id, receipt, group, body, receive count, sent at} per message.
local consumer, max = ARGV[2], tonumber(ARGV[3])
local visibility, max_retries = tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()
redis.pcall('XGROUP', 'CREATE', stream, workers, '0', 'MKSTREAM')
for _, group in ipairs(redis.call('ZRANGEBYSCORE', base .. 'delayed', '-inf', now)) do
  redis.call('ZREM', base .. 'delayed', group)
  make_ready(group)
end
local out = {}
local function deliver(token, group)
  local id = redis.call('LINDEX', base .. 'l:' .. group, 0)
  if not id then
    drop_token(token)
    return
  end
  local key = base .. 'm:' .. id
  local m = redis.call('HMGET', key, 'rc', 'b', 't', 'e')
  local rc = tonumber(m[1])
  -- Delivered max_retries + 1 times, and the visibility timeout ran out each time.
  if rc > max_retries then
    dead_letter(id, m[4] or 'visibility timeout expired on every delivery', now)
    leave_group(id, group, token)
    return
  end
  local receipt = tostring(redis.call('INCR', base .. 'receipts'))
  redis.call('HSET', key, 'rc', rc + 1, 'r', receipt, 'tok', token)
  out[#out + 1] = {id, receipt, group, m[2], rc + 1, m[3]}
end
for i = 6, #ARGV, 2 do
  -- Gone when the queue was purged since the blocking read.
  if #redis.call('XRANGE', stream, ARGV[i], ARGV[i]) == 1 then deliver(ARGV[i], ARGV[i + 1]) end
end
local cursor = '0-0'
repeat
  if #out >= max then break end
  local claimed = redis.call('XAUTOCLAIM', stream, workers, consumer, visibility, cursor,
                             'COUNT', max - #out)
  cursor = claimed[1]
  for _, e in ipairs(claimed[2]) do deliver(e[1], e[2][2]) end
until cursor == '0-0'
while #out < max do
  local r = redis.call('XREADGROUP', 'GROUP', workers, consumer, 'COUNT', max - #out,
                       'STREAMS', stream, '>')
  if not r then break end
  for _, e in ipairs(r[1][2]) do deliver(e[1], e[2][2]) end
end
count('received', #out)
return out
