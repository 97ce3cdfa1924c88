"""Dependency outages under load, on servers of this test's own (scripts/services): the
PostgreSQL primary, the MariaDB primary (with the queue in it or in Redis), or with
QUEUE_BACKEND=redis the Redis holding the queue, is killed as in a crash while clients send
orders; with QUEUE_BACKEND=sqs, the SQS emulator stops answering. Writes must answer 503 `unavailable` with Retry-After, promptly (no hang), unless the
queue is elsewhere and takes them; the process must not crash, what does not need the lost
server keeps answering, and once the server is back the service resumes by itself and every
accepted order is processed exactly once."""
import time
import unittest
import uuid

import sqs
from harness import Client, ClientThreads, Server, Services, can_start_services, wait_until

CLIENTS = 8


class Load(ClientThreads):
    """Clients posting orders with idempotency keys; every answer is recorded."""

    def __init__(self, port):
        self.port = port
        self.accepted, self.answers = [], []  # answers: (time, status, seconds, response)
        self.start(CLIENTS)

    def run(self, _):
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

    def count(self, status, since=0.0):
        with self.lock:
            return sum(1 for t, s, _, _ in self.answers if s == status and t >= since)


# The services' MariaDB, under the names the server reads.
AS_DATABASE = {"MYSQL_URL": "DATABASE_URL", "MYSQL_REPLICA_URLS": "DATABASE_REPLICA_URLS"}


def start_on_own_services(test, urls, env=None):
    """Starts services of the test's own, and a server on the services named by `urls`
    (variables of the services' env file, MariaDB's as the server's DATABASE_URL and
    DATABASE_REPLICA_URLS), with `env` on top (a function: of the services' env file)."""
    test.services = Services()
    test.addCleanup(test.services.stop)
    server_env = {AS_DATABASE.get(name, name): test.services.env[name] for name in urls}
    if callable(env):
        env = env(test.services.env)
    server_env.update({"VISIBILITY_TIMEOUT": "3s", **(env or {})})
    test.server = Server(env=server_env).start()
    test.addCleanup(test.server.cleanup)


def outage_under_load(test, crash, restart, name, check, while_down, writes_while_down=503):
    """Kills a dependency of test.server (scripts/services command `crash`) under load, runs
    while_down(client, load), starts it again (`restart`), and checks the answers and that
    every accepted order was processed once. `check` names its /api/health check; orders sent
    while it is down are refused (503), or with `writes_while_down=202` still accepted (the
    queue is elsewhere) and applied once it is back."""
    c = test.server.client()
    load = Load(test.server.port)
    try:
        wait_until(lambda: load.count(202) >= 200, timeout=30, what="orders accepted")
        test.services.run(crash)
        down_at = time.time()
        # Writes now fail fast with 503 and Retry-After, or go on being accepted.
        wait_until(lambda: load.count(writes_while_down, since=down_at) >= 50, timeout=20,
                   what=f"{writes_while_down}s while {name} is down")
        r = c.get("/api/health")
        test.assertEqual(r.status, 503)
        test.assertEqual(r.json()["checks"][check]["status"], "disconnected")
        test.assertIsNotNone(r.header("Retry-After"))
        test.assertEqual(c.get("/health").status, 200)  # liveness: the process is fine
        while_down(c, load)
        time.sleep(1)

        test.services.run(restart)
        up_at = time.time()
        wait_until(lambda: load.count(202, since=up_at) >= 100, timeout=30,
                   what=f"orders accepted again after {name} came back")
        recovered_in = min(t for t, s, _, _ in load.answers if s == 202 and t >= up_at) - up_at
        wait_until(lambda: c.get("/api/health").json()["checks"][check]["status"] == "connected",
                   timeout=30, what=f"/api/health to see {name} again")
    finally:
        load.finish()

    outage = [a for a in load.answers if down_at <= a[0] < up_at]
    test.assertLessEqual({s for _, s, _, _ in load.answers}, {202, 503},
                         f"only 202 and 503 while {name} failed")
    for _, status, _, r in outage:
        if status == 503:
            test.assertTrue(r.header("Content-Type").startswith("application/problem+json"))
            test.assertEqual(r.json()["code"], "unavailable")
            test.assertIsNotNone(r.header("Retry-After"))
    slowest = max(seconds for _, _, seconds, _ in outage)
    test.assertLess(slowest, 12, f"a request hung while {name} was down")

    def drained():
        r = c.get("/sqs/stats")
        s = r.status == 200 and r.json()
        return s and s["visible"] + s["in_flight"] + s["delayed"] == 0 and s

    stats = wait_until(drained, timeout=60, interval=0.2, what="the queue to drain")
    test.assertEqual(stats["dead_letter"], 0, f"orders dead-lettered by the {name} outage")
    lost, twice = [], []
    for oid in load.accepted:
        r = c.get(f"/api/orders/{oid}")
        if r.status != 200 or r.json()["status"] != "confirmed":
            lost.append((oid, r.status))
            continue
        types = [e["type"] for e in c.get(f"/api/orders/{oid}/events").json()["events"]]
        if types.count("order.accepted") != 1:
            twice.append(oid)
    print(f"{name} outage: {len(load.accepted)} accepted, {len(outage)} answers during the "
          f"outage ({sum(1 for a in outage if a[1] == 503)} were 503, slowest {slowest:.2f} s), "
          f"202 again {recovered_in:.2f} s after {name} was back; "
          f"{len(lost)} lost, {len(twice)} applied twice", flush=True)
    test.assertEqual(lost, [])
    test.assertEqual(twice, [])
    test.assertEqual(c.get("/api/health").json()["checks"][check]["status"], "connected")
    c.close()


@unittest.skipUnless(can_start_services(), "starts PostgreSQL as its own user")
class PostgresOutageTest(unittest.TestCase):
    def setUp(self):
        start_on_own_services(self, ("DATABASE_URL", "DATABASE_REPLICA_URLS"))

    def test_writes_answer_503_while_postgres_is_down_and_service_resumes(self):
        def while_down(c, load):
            r = c.get(f"/api/orders/{load.accepted[0]}")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["code"], "unavailable")
            # Lists are read on the replica, which is still up.
            self.assertEqual(c.get("/api/orders?customer_id=outage&limit=1").status, 200)

        outage_under_load(self, "pg-crash", "pg-start", "PostgreSQL", "database", while_down)


@unittest.skipUnless(can_start_services(), "starts MariaDB as its own user")
class MysqlOutageTest(unittest.TestCase):
    """The store and the queue on MariaDB, whose server is killed (SIGKILL) under load and
    started again: InnoDB recovers what was committed, so every 202 survives it."""

    def setUp(self):
        start_on_own_services(self, ("MYSQL_URL", "MYSQL_REPLICA_URLS"))

    def test_writes_answer_503_while_mysql_is_down_and_service_resumes(self):
        def while_down(c, load):
            r = c.get(f"/api/orders/{load.accepted[0]}")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["code"], "unavailable")
            self.assertIsNotNone(r.header("Retry-After"))
            # Lists are read on the GTID replica, which is still up.
            self.assertEqual(c.get("/api/orders?customer_id=outage&limit=1").status, 200)
            self.assertEqual(c.get("/api/products?limit=1").status, 200)

        outage_under_load(self, "mysql-crash", "mysql-start", "MariaDB", "database", while_down)


@unittest.skipUnless(can_start_services(), "starts MariaDB and Redis as their own users")
class MysqlRedisQueueOutageTest(unittest.TestCase):
    """The usual Node stack: the queue in Redis Streams, workers writing to MariaDB, whose
    server is killed under load. Orders go on being accepted into Redis; the worker holds the
    batch it could not apply and applies it, and the rest, once MariaDB is back: none lost,
    none applied twice, none dead-lettered."""

    def setUp(self):
        start_on_own_services(self, ("MYSQL_URL", "MYSQL_REPLICA_URLS", "REDIS_URL"),
                              {"QUEUE_BACKEND": "redis"})

    def test_orders_are_accepted_while_mysql_is_down_and_applied_once_it_is_back(self):
        def while_down(c, load):
            # An order still in the queue is read from Redis; lists from the replica.
            self.assertEqual(c.get(f"/api/orders/{load.accepted[-1]}").status, 200)
            self.assertEqual(c.get("/api/orders?customer_id=outage&limit=1").status, 200)

        outage_under_load(self, "mysql-crash", "mysql-start", "MariaDB", "database", while_down,
                          writes_while_down=202)


@unittest.skipUnless(can_start_services(), "starts Redis and PostgreSQL as their own users")
class RedisQueueOutageTest(unittest.TestCase):
    """QUEUE_BACKEND=redis: Redis is killed (SIGKILL) under load and started again from its
    append-only file. Orders accepted before the crash, queued but not yet applied, survive it."""

    def setUp(self):
        start_on_own_services(self, ("DATABASE_URL", "REDIS_URL"), {"QUEUE_BACKEND": "redis"})

    def test_writes_answer_503_while_redis_is_down_and_service_resumes(self):
        def while_down(c, load):
            # Processed orders and the catalog are in PostgreSQL: still served.
            self.assertEqual(c.get(f"/api/orders/{load.accepted[0]}").status, 200)
            self.assertEqual(c.get("/api/products/p-mouse").status, 200)

        outage_under_load(self, "redis-crash", "redis-start", "Redis", "queue", while_down)



@unittest.skipUnless(can_start_services(), "starts the SQS emulator and PostgreSQL as their own users")
class SqsOutageTest(unittest.TestCase):
    """QUEUE_BACKEND=sqs: the SQS emulator is frozen (SIGSTOP) under load, so that requests
    reach it and no answer comes back, as when SQS cannot be reached; then it is thawed. Its
    queues are in its memory: frozen, it keeps them, as SQS keeps its messages."""

    def setUp(self):
        def queue_on(services):
            return sqs.server_env(sqs.fifo_queue_with_dlq("outage", services=services), services)

        start_on_own_services(self, ("DATABASE_URL",), queue_on)

    def test_writes_answer_503_while_sqs_does_not_answer_and_service_resumes(self):
        def while_down(c, load):
            # Orders and the catalog are in PostgreSQL: still served.
            self.assertEqual(c.get(f"/api/orders/{load.accepted[0]}").status, 200)
            self.assertEqual(c.get("/api/products/p-mouse").status, 200)

        outage_under_load(self, "sqs-pause", "sqs-resume", "SQS", "queue", while_down)


if __name__ == "__main__":
    unittest.main()
