"""Servers with a configuration of their own: limits, roles, restarts, mixed load."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import unittest
import uuid

import harness
from harness import RFC3339_MS, Server, Shared, needs_sqlite, order_status, wait_processed, wait_until


class ConfiguredServersTest(unittest.TestCase):
    def assertProblem(self, r, status, code):
        return Shared.assertProblem(self, r, status, code)

    def test_admin_token(self):
        with Server(env={"ADMIN_TOKEN": "s3cret"}) as s, s.client() as c:
            r = c.delete("/sqs/purge")
            self.assertProblem(r, 401, "unauthorized")
            self.assertEqual(r.header("WWW-Authenticate"), "Bearer")
            self.assertProblem(c.delete("/sqs/purge", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
            self.assertEqual(c.delete("/sqs/purge", headers={"Authorization": "Bearer s3cret"}).status, 200)
            self.assertProblem(c.post("/sqs/dlq/redrive"), 401, "unauthorized")

    def test_admin_endpoints_refuse_non_loopback_without_token(self):
        # Listening on all addresses lets the test reach the server through a non-loopback address.
        addr = None
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("10.255.255.255", 1))
                addr = probe.getsockname()[0]
        except OSError:
            pass
        if not addr or addr.startswith("127."):
            self.skipTest("no non-loopback address on this machine")
        with Server(env={"HOST": "0.0.0.0"}) as s:
            import http.client
            conn = http.client.HTTPConnection(addr, s.port, timeout=5)
            conn.request("DELETE", "/sqs/purge")
            r = conn.getresponse()
            self.assertEqual(r.status, 401)
            self.assertEqual(json.loads(r.read())["code"], "unauthorized")
            conn.close()

    def test_payment_failure_rate_and_tax_rate(self):
        with Server(env={"PAYMENT_FAILURE_RATE": "1", "TAX_RATE": "0.2", "CURRENCY": "EUR"}) as s, s.client() as c:
            oid = c.post("/api/orders", {"amount": "10.00"}).json()["order_id"]
            wait_processed(c, oid, "failed")
            o = c.get(f"/api/orders/{oid}").json()
            self.assertEqual(o["failure_reason"], "payment_declined")
            self.assertEqual(o["tax"], "2.00")
            self.assertEqual(o["currency"], "EUR")

    def test_timeouts_close_idle_and_slow_connections(self):
        with Server(env={"IDLE_TIMEOUT": "300ms", "HEADER_TIMEOUT": "300ms"}) as s:
            with socket.create_connection(("127.0.0.1", s.port)) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                time.sleep(0.1)
                self.assertIn(b"200 OK", sock.recv(65536))
                sock.settimeout(3)
                t0 = time.time()
                self.assertEqual(sock.recv(1), b"", "idle keep-alive connection is closed")
                self.assertLess(time.time() - t0, 2.5)
            with socket.create_connection(("127.0.0.1", s.port)) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHos")
                sock.settimeout(3)
                self.assertEqual(sock.recv(1), b"", "a header that never completes is cut off")

    @needs_sqlite
    def test_dead_letters_and_redrive(self):
        with Server(env={"MAX_RETRIES": "1", "RETRY_DELAYS": "50ms"}) as s, s.client() as c:
            # Another process writes a message the worker cannot apply, straight into the queue table.
            db = sqlite3.connect(os.path.join(s.data_dir, "orderflow.db"), timeout=10)
            now = int(time.time() * 1000)
            db.execute("INSERT INTO queue_messages(message_id, queue_name, group_id, dedup_id, body, sent_at, visible_at)"
                       " VALUES ('poison-1', 'orders', 'g-poison', 'poison-1', '{\"type\":\"order.unknown\",\"order_id\":\"x\"}', ?, ?)",
                       (now, now))
            db.commit()
            db.close()
            dlq = wait_until(lambda: c.get("/sqs/dlq").json()["messages"], what="a dead letter")
            self.assertEqual(dlq[0]["message_id"], "poison-1")
            self.assertEqual(dlq[0]["receive_count"], 2)
            self.assertIn("unknown message type", dlq[0]["last_error"])
            self.assertEqual(dlq[0]["body"]["type"], "order.unknown")
            stats = c.get("/sqs/stats").json()
            self.assertEqual((stats["dead_letter"], stats["dead_lettered"], stats["retried"]), (1, 1, 1))
            hs = c.get("/handler/stats").json()
            self.assertEqual(hs["failed"], 2)
            self.assertEqual(hs["dead_lettered"], 1)
            # Other orders are not held up by the poisoned group.
            oid = c.post("/api/orders", {"amount": "1.00"}).json()["order_id"]
            wait_processed(c, oid, "confirmed")
            r = c.post("/sqs/dlq/redrive", {"message_ids": ["poison-1"]})
            self.assertEqual(r.json(), {"redriven": 1})
            wait_until(lambda: c.get("/sqs/stats").json()["dead_lettered"] == 2, what="second dead-lettering")
            self.assertEqual(len(c.get("/sqs/dlq").json()["messages"]), 1)

    @needs_sqlite
    def test_database_unavailable_gives_503_then_recovers(self):
        with Server(env={"SQLITE_BUSY_TIMEOUT": "300ms"}) as s, s.client() as c:
            before = c.post("/api/orders", {"amount": "1.00"}).json()["order_id"]
            wait_processed(c, before, "confirmed")
            # Another process takes the write lock: accepts cannot commit.
            locker = sqlite3.connect(os.path.join(s.data_dir, "orderflow.db"), isolation_level=None)
            locker.execute("BEGIN IMMEDIATE")
            r = c.post("/api/orders", {"amount": "2.00"})
            self.assertProblem(r, 503, "unavailable")
            self.assertEqual(r.header("Retry-After"), "1")
            h = c.get("/api/health")
            self.assertEqual(h.status, 503)
            self.assertEqual(h.json()["checks"]["database"]["status"], "disconnected")
            self.assertEqual(c.get(f"/api/orders/{before}").status, 200, "reads still work (WAL)")
            locker.execute("ROLLBACK")
            locker.close()
            # Service resumes by itself.
            after = wait_until(lambda: (lambda r: r.status == 202 and r)(c.post("/api/orders", {"amount": "3.00"})),
                               what="accepts to work again")
            wait_processed(c, after.json()["order_id"], "confirmed")
            self.assertEqual(c.get("/api/health").status, 200)

    def test_readiness_turns_503_before_the_listener_closes(self):
        with Server(env={"SHUTDOWN_DELAY": "1s"}) as s, s.client() as c:
            self.assertEqual(c.get("/ready").status, 200)
            s.proc.send_signal(signal.SIGTERM)
            r = wait_until(lambda: (lambda r: r.status == 503 and r)(c.get("/ready")), timeout=0.9,
                           what="/ready to answer 503")
            self.assertEqual(r.json(), {"ready": False})
            self.assertEqual(c.post("/api/orders", {"amount": "1.00"}).status, 202, "still serving meanwhile")
            c.close()
            self.assertEqual(s.proc.wait(10), 0)

    def test_graceful_shutdown_exits_zero(self):
        with Server(env={"LOG_LEVEL": "info"}) as s, s.client() as c:
            ids = [c.post("/api/orders", {"amount": "1.00"}).json()["order_id"] for _ in range(20)]
            c.close()
            self.assertEqual(s.stop(signal.SIGTERM), 0)
            self.assertIn('"msg":"stopped"', s.read_log())
            s2 = Server(data_dir=s.data_dir).start()
            c2 = s2.client()
            for oid in ids:
                wait_processed(c2, oid, "confirmed")
            c2.close()
            self.assertEqual(s2.stop(), 0)


    def test_sigterm_under_load_exits_cleanly_and_keeps_every_accepted_order(self):
        # Wherever SIGTERM catches the requests in flight, the process exits 0 (in the sanitizer
        # build: nothing leaked either), and each order it answered 202 is applied once after
        # a restart.
        s = Server().start()
        data_dir, database_url, accepted = s.data_dir, s.database_url, []
        try:
            for _ in range(2):
                load = MixedLoad(s.port, 6)
                time.sleep(0.7)
                code = s.stop(signal.SIGTERM)
                load.finish()
                self.assertEqual(code, 0, s.read_log())
                self.assertGreater(len(load.accepted), 0, "no order was accepted before the stop")
                accepted += load.accepted
                s = Server(data_dir=data_dir).start()
            c = s.client()
            missing, not_once, unconfirmed = harness.applied_once(c, accepted)
            self.assertEqual((missing, not_once, unconfirmed), ([], [], []))
            c.close()
        finally:
            s.cleanup()
            shutil.rmtree(data_dir, ignore_errors=True)
            if database_url:
                harness.drop_database(database_url)


class MixedLoad(harness.ClientThreads):
    """Clients sending orders (some with idempotency keys) and reads until stopped, recording
    the orders accepted; a server that goes away meanwhile is expected."""

    READS = ("/api/products", "/api/health", "/metrics", "/sqs/stats", "/api/orders?limit=5")

    def __init__(self, port, n):
        self.port, self.accepted = port, []
        self.start(n)

    def run(self, k):
        c = harness.Client(self.port, timeout=10)
        i = 0
        while not self.stop.is_set():
            i += 1
            try:
                if k % 3 == 2:
                    c.get(self.READS[i % len(self.READS)])
                    continue
                headers = {"Idempotency-Key": "term-" + uuid.uuid4().hex} if i % 4 == 0 else {}
                r = c.post("/api/orders", {"customer_id": "term", "amount": "1.00"}, headers=headers)
                if r.status == 202:
                    with self.lock:
                        self.accepted.append(r.json()["order_id"])
            except (OSError, http.client.HTTPException):
                c.close()
                time.sleep(0.01)
        c.close()


if __name__ == "__main__":
    unittest.main()
