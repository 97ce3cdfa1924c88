-- KEYS: intake records of orders just applied. ARGV[1]: how long they are kept.
for _, k in ipairs(KEYS) do
  if redis.call('EXISTS', k) == 1 then
    redis.call('HSET', k, 's', 'applied')
    redis.call('PEXPIRE', k, ARGV[1])
  end
end
return #KEYS
