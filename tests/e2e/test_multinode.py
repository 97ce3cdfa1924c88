"""Several processes behind nginx (scripts/multinode: PostgreSQL, Redis, two API processes, two
workers, nginx): clients send orders and checkouts through nginx while one API process and one
worker are killed with kill -9. Clients retry a failed request with its Idempotency-Key, as a
real client would; every accepted order must be processed exactly once."""
import glob
import http.client
import os
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import BIN, Client, ClientThreads, can_start_services, wait_until

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/multinode")
CLIENTS = 8


class Load(ClientThreads):
    """Clients posting orders (every fifth one a cart checkout) through nginx."""

    def __init__(self, port):
        self.port = port
        self.accepted, self.retries = [], 0
        self.start(CLIENTS)

    def send(self, c, method, path, body, headers):
        """Sends until an answer other than 502/503 or a dropped connection comes back."""
        for _ in range(100):
            try:
                r = c.request(method, path, body=body, headers=headers)
                if r.status not in (502, 503):
                    return r
            except (OSError, http.client.HTTPException):
                c.close()
            with self.lock:
                self.retries += 1
            time.sleep(0.05)
        raise AssertionError(f"{method} {path} kept failing")

    def run(self, k):
        c = Client(self.port, timeout=20)
        i = 0
        while not self.stop.is_set():
            i += 1
            key = {"Idempotency-Key": uuid.uuid4().hex}
            if i % 5 == 0:
                session = {"X-Session-ID": f"multinode-{k}-{i}"}
                r = self.send(c, "POST", "/api/cart/add", {"product_id": "p-novel", "quantity": 1},
                              session)
                assert r.status == 200, r
                r = self.send(c, "POST", "/api/orders/checkout", {"customer_id": "multinode"},
                              {**session, **key})
            else:
                r = self.send(c, "POST", "/api/orders", {"customer_id": "multinode", "amount": "4.00"},
                              key)
            assert r.status == 202, r
            with self.lock:
                self.accepted.append(r.json()["order_id"])
        c.close()

    def count(self):
        with self.lock:
            return len(self.accepted)


@unittest.skipUnless(can_start_services(), "starts PostgreSQL, Redis and nginx")
class MultiNodeTest(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(tempfile.gettempdir(), "orderflow-multinode-" + os.urandom(4).hex())
        env = dict(os.environ, ORDERFLOW_BIN=BIN, VISIBILITY_TIMEOUT="3s")
        for name in ("DATABASE_URL", "DATABASE_REPLICA_URLS", "REDIS_URL"):
            env.pop(name, None)
        r = subprocess.run([SCRIPT, "start", self.dir], env=env, capture_output=True, timeout=180)
        self.addCleanup(self.stop)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        with open(os.path.join(self.dir, "env")) as f:
            self.env = dict(line.strip().split("=", 1) for line in f if "=" in line)
        self.port = int(self.env["NGINX_URL"].rsplit(":", 1)[1])

    def stop(self):
        # A sanitizer report or a crash in any process's log fails the test.
        problems = []
        for log in glob.glob(os.path.join(self.dir, "logs", "*.log")):
            with open(log, errors="replace") as f:
                text = f.read()
            for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:", '"level":"critical"'):
                if marker in text:
                    problems.append(f"{os.path.basename(log)}: {marker}\n{text[-3000:]}")
        subprocess.run([SCRIPT, "stop", self.dir], capture_output=True, timeout=120)
        self.assertEqual(problems, [])

    def test_orders_through_nginx_survive_kill9_of_an_api_process_and_a_worker(self):
        c = Client(self.port)
        self.addCleanup(c.close)
        r = c.get("/api/products/p-novel", headers={"X-Request-ID": "multinode-check"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("X-Request-ID"), "multinode-check", "nginx passes it through")
        # Behind nginx no client is local, not even one on this machine: admin calls need the
        # token, through nginx (which adds X-Forwarded-For) and straight to a node (whose peer
        # address is the trusted proxy's).
        r = c.put("/api/products/p-novel/inventory", {"stock": 1_000_000})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(c.delete("/sqs/purge").status, 401)
        node = Client(int(self.env["API_2_URL"].rsplit(":", 1)[1]))
        self.assertEqual(node.delete("/sqs/purge").status, 401)
        node.close()
        admin = {"Authorization": "Bearer " + self.env["ADMIN_TOKEN"]}
        # Enough stock that checkouts are not refused.
        r = c.put("/api/products/p-novel/inventory", {"stock": 1_000_000}, headers=admin)
        self.assertEqual(r.status, 200, r)
        load = Load(self.port)
        try:
            wait_until(lambda: load.count() >= 300, timeout=60, what="orders accepted")
            os.kill(int(self.env["API_1_PID"]), signal.SIGKILL)
            os.kill(int(self.env["WORKER_1_PID"]), signal.SIGKILL)
            killed_at = load.count()
            wait_until(lambda: load.count() >= killed_at + 300, timeout=60,
                       what="orders accepted after the kills")
        finally:
            load.finish()

        def drained():
            s = c.get("/sqs/stats").json()
            return s["visible"] + s["in_flight"] + s["delayed"] == 0 and s

        stats = wait_until(drained, timeout=120, interval=0.5, what="the queue to drain")
        lost, twice, statuses = [], [], {}
        for oid in load.accepted:
            r = c.get(f"/api/orders/{oid}")
            status = r.json().get("status") if r.status == 200 else r.status
            statuses[status] = statuses.get(status, 0) + 1
            if status not in ("confirmed", "failed"):
                lost.append((oid, status))
                continue
            types = [e["type"] for e in c.get(f"/api/orders/{oid}/events").json()["events"]]
            if types.count("order.accepted") != 1 or types.count("order.pending") != 1:
                twice.append(oid)
        survivor = Client(int(self.env["WORKER_2_URL"].rsplit(":", 1)[1]))
        processed_by_survivor = survivor.get("/handler/stats").json()["processed"]
        survivor.close()
        print(f"multinode: {len(load.accepted)} accepted ({killed_at} before the kill -9 of an API "
              f"process and a worker), {sum(statuses.get(s, 0) for s in ('confirmed', 'failed'))} "
              f"processed {statuses}, {len(lost)} lost, {len(twice)} duplicated; "
              f"{load.retries} client retries; dead letters {stats['dead_letter']}; the surviving "
              f"worker processed {processed_by_survivor}", flush=True)
        self.assertEqual(lost[:5], [])
        self.assertEqual(twice[:5], [])
        self.assertEqual(stats["dead_letter"], 0)


if __name__ == "__main__":
    unittest.main()
