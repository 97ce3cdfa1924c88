"""Redis for the cache and carts: two API processes sharing one Redis (and one PostgreSQL) see
each other's changes at once; Redis frozen under load degrades the service without wrong
answers, and the cache comes back by itself, without stale entries."""
import os
import threading
import time
import unittest

from harness import ON_POSTGRES, ON_REDIS, Server, Services, can_start_services, wait_until


def product_price(c, pid):
    r = c.get(f"/api/products/{pid}")
    assert r.status == 200, r
    return r.json()["price"]


@unittest.skipUnless(ON_POSTGRES and ON_REDIS, "two processes share PostgreSQL and Redis")
class TwoApiProcessesTest(unittest.TestCase):
    def setUp(self):
        self.a = Server().start()
        self.addCleanup(self.a.cleanup)
        shared = {k: self.a.env[k] for k in
                  ("DATABASE_URL", "DATABASE_REPLICA_URLS", "REDIS_URL", "REDIS_KEY_PREFIX")
                  if k in self.a.env}
        self.b = Server(env=shared, args=["--role", "api"]).start()
        self.addCleanup(self.b.cleanup)
        self.ca, self.cb = self.a.client(), self.b.client()
        self.addCleanup(self.ca.close)
        self.addCleanup(self.cb.close)

    def test_a_price_change_through_one_is_seen_through_the_other_at_once(self):
        for _ in range(3):  # both processes read it, so the shared entry is there
            self.assertEqual(product_price(self.cb, "p-novel"), product_price(self.ca, "p-novel"))
        self.assertIn("product:p-novel", self.cb.get("/cache/keys?prefix=product:&limit=1000").json()["keys"])
        for price in ("17.25", "18.50", "19.75"):
            self.assertEqual(self.ca.put("/api/products/p-novel", {"price": price}).status, 200)
            self.assertEqual(product_price(self.cb, "p-novel"), price)
            self.assertEqual(product_price(self.ca, "p-novel"), price)
        stats = self.cb.get("/cache/stats").json()
        self.assertEqual(stats["backend"], "redis")
        self.assertGreater(stats["hits"], 0)

    def test_a_cart_built_through_one_checks_out_through_the_other(self):
        h = {"X-Session-ID": "two-processes-" + os.urandom(4).hex()}
        self.assertEqual(self.ca.post("/api/cart/add", {"product_id": "p-mouse", "quantity": 2},
                                      headers=h).status, 200)
        self.assertEqual(self.cb.post("/api/cart/add", {"product_id": "p-novel", "quantity": 1},
                                      headers=h).status, 200)
        items = self.ca.get("/api/cart", headers=h).json()["items"]
        self.assertEqual([(i["product_id"], i["quantity"]) for i in items],
                         [("p-mouse", 2), ("p-novel", 1)])
        r = self.cb.post("/api/orders/checkout", {"customer_id": "two"}, headers=h)
        self.assertEqual(r.status, 202, r)
        oid = r.json()["order_id"]
        order = wait_until(lambda: (lambda o: o if o["status"] == "confirmed" else None)(
            self.ca.get(f"/api/orders/{oid}").json()), what="the checkout to be confirmed")
        self.assertEqual(len(order["items"]), 2)
        # The confirmed checkout empties the cart for both processes.
        wait_until(lambda: self.cb.get("/api/cart", headers=h).json()["items"] == [],
                   what="the cart to be emptied")
        self.assertEqual(self.ca.get("/api/cart", headers=h).json()["items"], [])


@unittest.skipUnless(can_start_services(), "starts Redis and PostgreSQL as their own users")
class RedisFrozenTest(unittest.TestCase):
    """Redis stops answering (SIGSTOP: connections stay open, replies never come, the case
    hiredis has no timeout for) while clients read and a price changes."""

    def setUp(self):
        self.services = Services()
        self.addCleanup(self.services.stop)
        self.server = Server(env={"DATABASE_URL": self.services.env["DATABASE_URL"],
                                  "REDIS_URL": self.services.env["REDIS_URL"]}).start()
        self.addCleanup(self.server.cleanup)

    def test_reads_stay_correct_and_the_cache_comes_back_without_stale_entries(self):
        c = self.server.client()
        self.addCleanup(c.close)
        original = product_price(c, "p-novel")
        product_price(c, "p-novel")
        self.assertGreater(c.get("/cache/stats").json()["hits"], 0)

        stop, errors, reads = threading.Event(), [], []

        def reader():
            rc = self.server.client()
            while not stop.is_set():
                t0 = time.time()
                r = rc.get("/api/products/p-mouse")
                reads.append(time.time() - t0)
                if r.status != 200:
                    errors.append(r)
            rc.close()

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            self.services.run("redis-pause")
            frozen_at = time.time()
            # A write while Redis is frozen: its invalidation cannot be delivered.
            self.assertEqual(c.put("/api/products/p-novel", {"price": "21.00"}).status, 200)
            self.assertEqual(product_price(c, "p-novel"), "21.00")
            r = c.get("/api/health")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["status"], "degraded")
            self.assertEqual(r.json()["checks"]["cache"]["status"], "disconnected")
            wait_until(lambda: c.get("/health").json()["status"] == "degraded", timeout=10,
                       what="/health to say degraded")
            # Carts live in Redis: they answer 503, promptly.
            r = c.post("/api/cart/add", {"product_id": "p-mouse", "quantity": 1},
                       headers={"X-Session-ID": "frozen"})
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["code"], "unavailable")
            # Orders do not need Redis.
            self.assertEqual(c.post("/api/orders", {"customer_id": "frozen", "amount": "1.00"}).status, 202)
            time.sleep(1)
            frozen_for = time.time() - frozen_at
            self.services.run("redis-resume")
            wait_until(lambda: c.get("/api/health").json()["checks"]["cache"]["status"] == "connected",
                       timeout=15, what="the cache to come back")
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors[:3], [], "a read failed while Redis was frozen")
        # The entry cached before the write must not come back.
        self.assertEqual(product_price(c, "p-novel"), "21.00")
        before = c.get("/cache/stats").json()["hits"]
        product_price(c, "p-novel")
        product_price(c, "p-novel")
        self.assertGreater(c.get("/cache/stats").json()["hits"], before, "the cache is used again")
        self.assertEqual(c.post("/api/cart/add", {"product_id": "p-mouse", "quantity": 1},
                                headers={"X-Session-ID": "thawed"}).status, 200)
        print(f"redis frozen {frozen_for:.1f} s: {len(reads)} product reads, {len(errors)} failed, "
              f"slowest {max(reads):.2f} s; price before {original}, after 21.00", flush=True)
        self.assertLess(max(reads), 3.0, "a read waited too long for the frozen Redis")


if __name__ == "__main__":
    unittest.main()
