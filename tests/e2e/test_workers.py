"""Two worker processes of the binary share one queue (in the database, in Redis with
QUEUE_BACKEND=redis, on SQS with QUEUE_BACKEND=sqs) behind an API process: thousands of orders, each with a create, a ship
request and a cancel request sent back to back, are each applied once, and every order's events
come out in the order they were sent."""
import concurrent.futures
import os
import threading
import unittest

from harness import ON_SERVER_DATABASE, Server, wait_until

ORDERS = int(os.environ.get("WORKERS_TEST_ORDERS", "2000"))
CLIENTS = 8
# Sent in this order. The cancel reaches an order already shipped, so the worker must refuse it
# (or the API refuses it at once, 409, when the ship was applied before the cancel arrived).
EXPECTED = ["order.accepted", "order.pending", "payment.succeeded", "order.confirmed",
            "order.status_changed"]
CANCEL_REFUSED = "order.transition_rejected"


@unittest.skipUnless(ON_SERVER_DATABASE, "several processes share one database server")
class TwoWorkerProcessesTest(unittest.TestCase):
    def setUp(self):
        self.api = Server(args=["--role", "api"]).start()
        self.addCleanup(self.api.cleanup)
        shared = {k: self.api.env[k] for k in ("DATABASE_URL", "DATABASE_REPLICA_URLS", "REDIS_URL",
                                                "REDIS_KEY_PREFIX", "QUEUE_BACKEND",
                                                "QUEUE_REDIS_URL", "SQS_QUEUE_URL")
                  if k in self.api.env}
        self.workers = []
        for _ in range(2):
            w = Server(env={**shared, "WORKER_BATCH_SIZE": "32"}, args=["--role", "worker"]).start()
            self.addCleanup(w.cleanup)
            self.workers.append(w)

    def send(self, first, step, ids, lock):
        c = self.api.client()
        for i in range(first, ORDERS, step):
            r = c.post("/api/orders", {"customer_id": "workers", "amount": "5.00"},
                       headers={"Idempotency-Key": f"workers-{i}"})
            self.assertEqual(r.status, 202, r)
            oid = r.json()["order_id"]
            self.assertEqual(c.put(f"/api/orders/{oid}/status", {"status": "shipped"}).status, 202)
            cancel = c.put(f"/api/orders/{oid}/cancel").status
            self.assertIn(cancel, (202, 409))
            with lock:
                ids.append((oid, cancel == 202))
        c.close()

    def test_each_order_applied_once_in_order(self):
        ids, lock = [], threading.Lock()
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            for f in [pool.submit(self.send, k, CLIENTS, ids, lock) for k in range(CLIENTS)]:
                f.result()
        self.assertEqual(len(ids), ORDERS)
        c = self.api.client()

        def drained():
            s = c.get("/sqs/stats").json()
            return s["visible"] + s["in_flight"] + s["delayed"] == 0 and s

        stats = wait_until(drained, timeout=300, interval=0.5, what="the queue to drain")
        self.assertEqual(stats["dead_letter"], 0)

        wrong = []
        for oid, cancel_queued in ids:
            order = c.get(f"/api/orders/{oid}").json()
            events = c.get(f"/api/orders/{oid}/events").json()["events"]
            types = [e["type"] for e in events]
            expected = EXPECTED + [CANCEL_REFUSED] if cancel_queued else EXPECTED
            if order["status"] != "shipped" or types != expected:
                wrong.append((oid, order["status"], types))
        cancels = sum(1 for _, queued in ids if queued)
        processed = []
        for w in self.workers:
            wc = w.client()
            processed.append(wc.get("/handler/stats").json()["processed"])
            wc.close()
        messages = 2 * ORDERS + cancels
        print(f"two workers: {ORDERS} orders, {messages} messages; processed per worker "
              f"{processed}; {len(wrong)} orders with wrong events", flush=True)
        self.assertEqual(wrong[:5], [])
        # Each message applied once, by one of the two processes, and both took a share.
        self.assertEqual(sum(processed), messages)
        self.assertTrue(all(p > 0 for p in processed), processed)
        c.close()

    def test_a_worker_documents_only_the_routes_it_serves(self):
        wc = self.workers[0].client()
        paths = wc.get("/openapi.json").json()["paths"]
        self.assertIn("/sqs/stats", paths)
        self.assertNotIn("/api/orders", paths)
        self.assertEqual(wc.get("/api/orders").status, 404)
        wc.close()
        ac = self.api.client()
        self.assertIn("/api/orders", ac.get("/openapi.json").json()["paths"])
        ac.close()


if __name__ == "__main__":
    unittest.main()
