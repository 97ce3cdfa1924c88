-- ARGV: base, dedup window, then group, dedup id, message id, body for each message.
local now, out = now_ms(), {}
for i = 3, #ARGV, 4 do
  out[#out + 1] = send_one(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[2], now)
end
return out
