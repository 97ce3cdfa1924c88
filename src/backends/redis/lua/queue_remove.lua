-- ARGV: base, message id, receipt. 1 when deleted, 0 when the receipt is stale.
local m = redis.call('HMGET', base .. 'm:' .. ARGV[2], 'r', 'g', 'tok')
if m[1] ~= ARGV[3] then return 0 end
leave_group(ARGV[2], m[2], m[3])
count('deleted', 1)
return 1
