-- POST /api/orders with a fresh order each time (no idempotency key: every request is a new order).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"customer_id":"bench","items":[{"name":"Widget","unit_price":"9.99","quantity":2},' ..
           '{"name":"Gift wrap","unit_price":"3.50","quantity":1}]}'
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
