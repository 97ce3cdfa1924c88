-- Keys under ARGV[1]: t (token stream, consumer group "workers"), m:<id> (a message: g group,
-- b body, t sent at, rc receive count, r receipt and tok token while in flight, e last error),
-- l:<group> (the group's message ids in order), all (every message by sent at), delayed
-- (groups waiting out a retry delay, by due time), dlq (dead-letter stream), dlqidx (message
-- id → its dlq entry), dd:<dedup id> (deduplication, expiring), receipts (a counter), stats.
local base = ARGV[1]
local stream, workers = base .. 't', 'workers'
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function count(field, n)
  if n ~= 0 then redis.call('HINCRBY', base .. 'stats', field, n) end
end
local function make_ready(group)
  redis.call('XADD', stream, '*', 'g', group)
end
local function drop_token(token)
  redis.call('XACK', stream, workers, token)
  redis.call('XDEL', stream, token)
end
-- Takes a message out of the main queue; its group's token moves on to the next message.
local function leave_group(id, group, token)
  local list = base .. 'l:' .. group
  redis.call('LREM', list, 1, id)
  redis.call('ZREM', base .. 'all', id)
  redis.call('DEL', base .. 'm:' .. id)
  if token then drop_token(token) end
  if redis.call('LLEN', list) > 0 then make_ready(group) end
end
local function dead_letter(id, error, now)
  local m = redis.call('HMGET', base .. 'm:' .. id, 'g', 'b', 'rc', 't')
  local entry = redis.call('XADD', base .. 'dlq', '*', 'id', id, 'g', m[1], 'b', m[2],
                           'rc', m[3], 'e', error, 't', m[4], 'at', now)
  redis.call('HSET', base .. 'dlqidx', id, entry)
  count('dead_lettered', 1)
end
local function send_one(group, dedup, id, body, window, now)
  local dd = base .. 'dd:' .. dedup
  local existing = redis.call('GET', dd)
  if existing then
    count('deduplicated', 1)
    return {existing, 1}
  end
  redis.call('SET', dd, id, 'PX', window)
  redis.call('HSET', base .. 'm:' .. id, 'g', group, 'b', body, 't', now, 'rc', 0)
  redis.call('ZADD', base .. 'all', now, id)
  if redis.call('RPUSH', base .. 'l:' .. group, id) == 1 then make_ready(group) end
  count('sent', 1)
  return {id, 0}
end
