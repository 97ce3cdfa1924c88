"""PostgreSQL outage under load: the primary of a PostgreSQL of this test's own (scripts/services)
stops as in a crash while clients send orders. Writes must answer 503 `unavailable` with
Retry-After, promptly (no hang), the process must not crash, lists keep answering from the
replica, and once PostgreSQL is back the service resumes by itself and every accepted order is
processed exactly once."""
import concurrent.futures
import threading
import time
import unittest
import uuid

from harness import Client, Server, Services, can_start_services, wait_until

CLIENTS = 8


class Load:
    """Clients posting orders with idempotency keys; every answer is recorded."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.accepted, self.answers = [], []  # answers: (time, status, seconds, response)
        self.pool = concurrent.futures.ThreadPoolExecutor(CLIENTS)
        self.futures = [self.pool.submit(self.run) for _ in range(CLIENTS)]

    def run(self):
        c = Client(self.port, timeout=20)
        while not self.stop.is_set():
            t0 = time.time()
            r = c.post("/api/orders", {"customer_id": "outage", "amount": "2.00"},
                       headers={"Idempotency-Key": "outage-" + uuid.uuid4().hex})
            with self.lock:
                self.answers.append((t0, r.status, time.time() - t0, r))
                if r.status == 202:
                    self.accepted.append(r.json()["order_id"])
            if r.status != 202:
                time.sleep(0.02)
        c.close()

    def finish(self):
        self.stop.set()
        for f in self.futures:
            f.result()  # re-raises a client's failure
        self.pool.shutdown()

    def count(self, status, since=0.0):
        with self.lock:
            return sum(1 for t, s, _, _ in self.answers if s == status and t >= since)


@unittest.skipUnless(can_start_services(), "starts PostgreSQL as its own user")
class PostgresOutageTest(unittest.TestCase):
    def setUp(self):
        self.services = Services()
        self.addCleanup(self.services.stop)
        env = self.services.env
        self.server = Server(env={
            "DATABASE_URL": env["DATABASE_URL"],
            "DATABASE_REPLICA_URLS": env["DATABASE_REPLICA_URLS"],
            "VISIBILITY_TIMEOUT": "3s",
        }).start()
        self.addCleanup(self.server.cleanup)

    def test_writes_answer_503_while_postgres_is_down_and_service_resumes(self):
        c = self.server.client()
        load = Load(self.server.port)
        try:
            wait_until(lambda: load.count(202) >= 200, timeout=30, what="orders accepted")
            self.services.run("pg-crash")
            down_at = time.time()
            # Writes now fail fast with 503 and Retry-After.
            wait_until(lambda: load.count(503, since=down_at) >= 50, timeout=20,
                       what="503s while PostgreSQL is down")
            r = c.get("/api/health")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["checks"]["database"]["status"], "disconnected")
            self.assertIsNotNone(r.header("Retry-After"))
            self.assertEqual(c.get("/health").status, 200)  # liveness: the process is fine
            r = c.get(f"/api/orders/{load.accepted[0]}")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["code"], "unavailable")
            # Lists are read on the replica, which is still up.
            self.assertEqual(c.get("/api/orders?customer_id=outage&limit=1").status, 200)
            time.sleep(1)

            self.services.run("pg-start")
            up_at = time.time()
            wait_until(lambda: load.count(202, since=up_at) >= 100, timeout=30,
                       what="orders accepted again after PostgreSQL came back")
            recovered_in = min(t for t, s, _, _ in load.answers if s == 202 and t >= up_at) - up_at
        finally:
            load.finish()

        outage = [a for a in load.answers if down_at <= a[0] < up_at]
        statuses = {s for _, s, _, _ in load.answers}
        self.assertLessEqual(statuses, {202, 503}, "only 202 and 503 while PostgreSQL failed")
        for _, status, _, r in outage:
            if status == 503:
                self.assertTrue(r.header("Content-Type").startswith("application/problem+json"))
                self.assertEqual(r.json()["code"], "unavailable")
                self.assertIsNotNone(r.header("Retry-After"))
        slowest = max(seconds for _, _, seconds, _ in outage)
        self.assertLess(slowest, 12, "a request hung while PostgreSQL was down")

        def drained():
            r = c.get("/sqs/stats")
            s = r.status == 200 and r.json()
            return s and s["visible"] + s["in_flight"] + s["delayed"] == 0 and s

        wait_until(drained, timeout=60, interval=0.2, what="the queue to drain")
        lost, twice = [], []
        for oid in load.accepted:
            r = c.get(f"/api/orders/{oid}")
            if r.status != 200 or r.json()["status"] != "confirmed":
                lost.append((oid, r.status))
                continue
            types = [e["type"] for e in c.get(f"/api/orders/{oid}/events").json()["events"]]
            if types.count("order.accepted") != 1:
                twice.append(oid)
        print(f"outage: {len(load.accepted)} accepted, {len(outage)} answers during the outage "
              f"({sum(1 for a in outage if a[1] == 503)} were 503, slowest {slowest:.2f} s), "
              f"202 again {recovered_in:.2f} s after PostgreSQL was back; "
              f"{len(lost)} lost, {len(twice)} applied twice", flush=True)
        self.assertEqual(lost, [])
        self.assertEqual(twice, [])
        self.assertEqual(c.get("/api/health").json()["checks"]["database"]["status"], "connected")
        c.close()


if __name__ == "__main__":
    unittest.main()
