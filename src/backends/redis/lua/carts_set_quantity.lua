local field = 'p:' .. ARGV[1]
if tonumber(ARGV[2]) <= 0 then
  redis.call('HDEL', KEYS[1], field)
else
  local current = redis.call('HGET', KEYS[1], field)
  local seq
  if current then
    seq = string.match(current, '^(%d+):')
  else
    seq = redis.call('HINCRBY', KEYS[1], '~seq', 1)
  end
  redis.call('HSET', KEYS[1], field, seq .. ':' .. ARGV[2])
end
redis.call('HSET', KEYS[1], '~updated_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return redis.call('HGETALL', KEYS[1])
