-- ARGV: base, then the message ids to move back (all when none).
local dlq = base .. 'dlq'
local entries = {}
if #ARGV == 1 then
  entries = redis.call('XRANGE', dlq, '-', '+')
else
  for i = 2, #ARGV do
    local entry = redis.call('HGET', base .. 'dlqidx', ARGV[i])
    if entry then
      for _, e in ipairs(redis.call('XRANGE', dlq, entry, entry)) do entries[#entries + 1] = e end
    end
  end
end
for _, e in ipairs(entries) do
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  redis.call('HSET', base .. 'm:' .. f.id, 'g', f.g, 'b', f.b, 't', f.t, 'rc', 0)
  redis.call('ZADD', base .. 'all', f.t, f.id)
  if redis.call('RPUSH', base .. 'l:' .. f.g, f.id) == 1 then make_ready(f.g) end
  redis.call('XDEL', dlq, e[1])
  redis.call('HDEL', base .. 'dlqidx', f.id)
end
return #entries
