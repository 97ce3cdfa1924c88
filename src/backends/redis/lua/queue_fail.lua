-- ARGV: base, message id, receipt, error, max retries, retry delay.
local id, error = ARGV[2], ARGV[4]
local key = base .. 'm:' .. id
local m = redis.call('HMGET', key, 'r', 'g', 'tok', 'rc')
if m[1] ~= ARGV[3] then return 0 end
local now = now_ms()
if tonumber(m[4]) > tonumber(ARGV[5]) then
  dead_letter(id, error, now)
  leave_group(id, m[2], m[3])
  return 1
end
drop_token(m[3])
redis.call('HSET', key, 'e', error)
redis.call('HDEL', key, 'r', 'tok')
redis.call('ZADD', base .. 'delayed', now + tonumber(ARGV[6]), m[2])
count('retried', 1)
return 1
