-- Keys under the queue's base: in:<order id> (h request hash, mid message id, at accepted at,
-- req the request, s queued|applied), ik:<Idempotency-Key> (→ order id, for the window).
-- ARGV: base, order id, Idempotency-Key or '', request hash, request, '1' when the client chose
-- the order id, '1' when the database knows that id, idempotency window, accepted at, then the
-- message: group, dedup id, message id, body, dedup window.
-- When a record binds the key or the client's order id, or the database knows that id, nothing
-- is written and the script returns {'bound', the key's record, the id's record, known}, each
-- record as order id, hash, message id, accepted at ('' when none): ports::decide_intake
-- decides. Otherwise it queues the order and returns {'created', message id}.
local order_id, key, hash = ARGV[2], ARGV[3], ARGV[4]
local function record(id)
  if not id then return {'', '', '', ''} end
  local f = redis.call('HMGET', base .. 'in:' .. id, 'h', 'mid', 'at')
  if not f[1] then return {'', '', '', ''} end
  return {id, f[1], f[2], f[3]}
end
local by_key, by_id = record(nil), record(nil)
if key ~= '' then by_key = record(redis.call('GET', base .. 'ik:' .. key)) end
if ARGV[6] == '1' then by_id = record(order_id) end
if by_key[1] ~= '' or by_id[1] ~= '' or (ARGV[6] == '1' and ARGV[7] == '1') then
  return {'bound', by_key[1], by_key[2], by_key[3], by_key[4],
          by_id[1], by_id[2], by_id[3], by_id[4], ARGV[7]}
end
local sent = send_one(ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14], now_ms())
redis.call('HSET', base .. 'in:' .. order_id, 'h', hash, 'mid', sent[1], 'at', ARGV[9],
           'req', ARGV[5], 's', 'queued')
if key ~= '' then redis.call('SET', base .. 'ik:' .. key, order_id, 'PX', ARGV[8]) end
return {'created', sent[1]}
