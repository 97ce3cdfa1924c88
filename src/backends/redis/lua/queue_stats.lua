-- ARGV: base. Returns {messages, in flight, delayed, dead letters, counters, oldest sent at, now}.
local pending = redis.pcall('XPENDING', stream, workers)
local in_flight = 0
if pending.err == nil then in_flight = pending[1] end
local oldest = redis.call('ZRANGE', base .. 'all', 0, 0, 'WITHSCORES')
return {redis.call('ZCARD', base .. 'all'), in_flight, redis.call('ZCARD', base .. 'delayed'),
        redis.call('XLEN', base .. 'dlq'), redis.call('HGETALL', base .. 'stats'),
        oldest[2] or '', now_ms()}
