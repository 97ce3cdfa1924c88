-- ARGV: base. Returns how many messages it deleted.
local ids = redis.call('ZRANGE', base .. 'all', 0, -1)
for _, id in ipairs(ids) do
  local key = base .. 'm:' .. id
  local group = redis.call('HGET', key, 'g')
  if group then redis.call('DEL', base .. 'l:' .. group) end
  redis.call('DEL', key)
end
redis.call('DEL', base .. 'all', base .. 'delayed', stream)
redis.call('XGROUP', 'CREATE', stream, workers, '0', 'MKSTREAM')
return #ids
