"""Dependency outages under load, on a PostgreSQL and Redis of this test's own (scripts/services):
the PostgreSQL primary, or with QUEUE_BACKEND=redis the Redis holding the queue, is killed as in
a crash while clients send orders. Writes must answer 503 `unavailable` with Retry-After,
promptly (no hang), the process must not crash, what does not need the lost server keeps
answering, and once the server is back the service resumes by itself and every accepted order
is processed exactly once."""
import concurrent.futures
import threading
import time
import unittest
import uuid

from harness import Client, Server, Services, can_start_services, wait_until

CLIENTS = 8


def processed_once(c, accepted):
    """Waits for the queue to drain; returns the accepted orders that were lost (not confirmed)
    and those applied more than once."""

    def drained():
        r = c.get("/sqs/stats")
        s = r.status == 200 and r.json()
        return s and s["visible"] + s["in_flight"] + s["delayed"] == 0 and s

    wait_until(drained, timeout=60, interval=0.2, what="the queue to drain")
    lost, twice = [], []
    for oid in accepted:
        r = c.get(f"/api/orders/{oid}")
        if r.status != 200 or r.json()["status"] != "confirmed":
            lost.append((oid, r.status))
            continue
        types = [e["type"] for e in c.get(f"/api/orders/{oid}/events").json()["events"]]
        if types.count("order.accepted") != 1:
            twice.append(oid)
    return lost, twice


def check_outage_answers(test, load, down_at, up_at):
    """Only 202 and 503 `unavailable` (problem+json, Retry-After), none slow; returns the
    answers during the outage and the slowest of them in seconds."""
    outage = [a for a in load.answers if down_at <= a[0] < up_at]
    test.assertLessEqual({s for _, s, _, _ in load.answers}, {202, 503},
                         "only 202 and 503 while a dependency failed")
    for _, status, _, r in outage:
        if status == 503:
            test.assertTrue(r.header("Content-Type").startswith("application/problem+json"))
            test.assertEqual(r.json()["code"], "unavailable")
            test.assertIsNotNone(r.header("Retry-After"))
    slowest = max(seconds for _, _, seconds, _ in outage)
    test.assertLess(slowest, 12, "a request hung while the dependency was down")
    return outage, slowest


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

        outage, slowest = check_outage_answers(self, load, down_at, up_at)
        lost, twice = processed_once(c, load.accepted)
        print(f"outage: {len(load.accepted)} accepted, {len(outage)} answers during the outage "
              f"({sum(1 for a in outage if a[1] == 503)} were 503, slowest {slowest:.2f} s), "
              f"202 again {recovered_in:.2f} s after PostgreSQL was back; "
              f"{len(lost)} lost, {len(twice)} applied twice", flush=True)
        self.assertEqual(lost, [])
        self.assertEqual(twice, [])
        self.assertEqual(c.get("/api/health").json()["checks"]["database"]["status"], "connected")
        c.close()


@unittest.skipUnless(can_start_services(), "starts Redis and PostgreSQL as their own users")
class RedisQueueOutageTest(unittest.TestCase):
    """QUEUE_BACKEND=redis: Redis is killed (SIGKILL) under load and started again from its
    append-only file. Orders accepted before the crash, queued but not yet applied, survive it."""

    def setUp(self):
        self.services = Services()
        self.addCleanup(self.services.stop)
        env = self.services.env
        self.server = Server(env={
            "DATABASE_URL": env["DATABASE_URL"],
            "REDIS_URL": env["REDIS_URL"],
            "QUEUE_BACKEND": "redis",
            "VISIBILITY_TIMEOUT": "3s",
        }).start()
        self.addCleanup(self.server.cleanup)

    def test_writes_answer_503_while_redis_is_down_and_service_resumes(self):
        c = self.server.client()
        load = Load(self.server.port)
        try:
            wait_until(lambda: load.count(202) >= 200, timeout=30, what="orders accepted")
            processed = c.get(f"/api/orders/{load.accepted[0]}")
            self.assertEqual(processed.status, 200)
            self.services.run("redis-crash")
            down_at = time.time()
            wait_until(lambda: load.count(503, since=down_at) >= 50, timeout=20,
                       what="503s while Redis is down")
            r = c.get("/api/health")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["checks"]["queue"]["status"], "disconnected")
            self.assertEqual(c.get("/health").status, 200)  # liveness: the process is fine
            # A processed order is in PostgreSQL: it is still served.
            self.assertEqual(c.get(f"/api/orders/{load.accepted[0]}").status, 200)
            self.assertEqual(c.get("/api/products/p-mouse").status, 200)
            time.sleep(1)

            self.services.run("redis-start")
            up_at = time.time()
            wait_until(lambda: load.count(202, since=up_at) >= 100, timeout=30,
                       what="orders accepted again after Redis came back")
            recovered_in = min(t for t, s, _, _ in load.answers if s == 202 and t >= up_at) - up_at
        finally:
            load.finish()

        outage, slowest = check_outage_answers(self, load, down_at, up_at)
        lost, twice = processed_once(c, load.accepted)
        print(f"redis queue outage: {len(load.accepted)} accepted, {len(outage)} answers during "
              f"the outage ({sum(1 for a in outage if a[1] == 503)} were 503, slowest "
              f"{slowest:.2f} s), 202 again {recovered_in:.2f} s after Redis was back; "
              f"{len(lost)} lost, {len(twice)} applied twice", flush=True)
        self.assertEqual(lost, [])
        self.assertEqual(twice, [])
        self.assertEqual(c.get("/api/health").json()["checks"]["queue"]["status"], "connected")
        c.close()


if __name__ == "__main__":
    unittest.main()
