"""Operational endpoints (health, readiness, stats, metrics basics, CORS) and the demo script."""
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


class OperationsTest(Shared):
    def test_health_liveness_and_readiness(self):
        r = self.c.get("/health")
        self.assertEqual(r.status, 200)
        b = r.json()
        self.assertEqual(b["status"], "healthy")
        self.assertRegex(b["timestamp"], RFC3339_MS)
        self.assertEqual(b["services"], {"database": "connected", "queue": "connected", "cache": "connected"})
        self.assertEqual(self.c.get("/ready").status, 200)

    def test_deep_health(self):
        r = self.c.get("/api/health")
        self.assertEqual(r.status, 200)
        b = r.json()
        self.assertEqual(b["status"], "healthy")
        self.assertEqual(b["checks"]["database"]["status"], "connected")
        self.assertIn("latency_ms", b["checks"]["database"])
        self.assertIn("depth", b["checks"]["queue"])
        self.assertEqual(b["checks"]["cache"]["status"], "connected")
        self.assertIn("version", b)

    def test_request_id_is_echoed_or_generated(self):
        r = self.c.get("/health", headers={"X-Request-ID": "abc-123"})
        self.assertEqual(r.header("X-Request-ID"), "abc-123")
        r = self.c.get("/health", headers={"X-Request-ID": "x" * 129})
        self.assertNotEqual(r.header("X-Request-ID"), "x" * 129)
        self.assertTrue(uuid.UUID(r.header("X-Request-ID")))
        r = self.c.get("/nope", headers={"X-Request-ID": "trace-9"})
        self.assertEqual(self.assertProblem(r, 404, "not_found")["request_id"], "trace-9")

    def test_unknown_route_and_wrong_method(self):
        self.assertProblem(self.c.get("/api/nothing"), 404, "not_found")
        r = self.c.request("PATCH", "/api/orders/x")
        self.assertProblem(r, 405, "method_not_allowed")
        self.assertEqual(set(r.header("Allow").split(", ")), {"GET", "HEAD", "DELETE"})

    def test_cors_preflight_and_headers(self):
        r = self.c.request("OPTIONS", "/api/orders", headers={
            "Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "https://shop.example")
        self.assertIn("POST", r.header("Access-Control-Allow-Methods"))
        r = self.c.get("/health", headers={"Origin": "https://evil.example"})
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))

    def test_stats_endpoints(self):
        r = self.create({"amount": "1.00"})
        wait_processed(self.c, r.json()["order_id"])
        s = self.c.get("/api/stats").json()
        self.assertGreaterEqual(s["orders"]["total"], 1, s)
        self.assertIn("confirmed", s["orders"]["by_status"], s)
        self.assertRegex(s["orders"]["revenue"], r"^\d+\.\d\d$")
        self.assertEqual(set(s["queue"]), {"visible", "in_flight", "delayed", "dead_letter"})
        self.assertIn("uptime_s", s)
        q = self.c.get("/sqs/stats").json()
        for k in ("backend", "visible", "in_flight", "delayed", "dead_letter", "sent", "received",
                  "deleted", "deduplicated", "retried", "dead_lettered", "oldest_age_ms"):
            self.assertIn(k, q)
        expected = ("redis" if harness.ON_REDIS_QUEUE else "sqs" if harness.ON_SQS_QUEUE
                    else "postgres" if harness.ON_POSTGRES else "mysql" if harness.ON_MYSQL
                    else "sqlite")
        self.assertEqual(q["backend"], expected)
        self.assertGreaterEqual(q["sent"], 1, q)
        h = self.c.get("/handler/status").json()
        self.assertTrue(h["running"], h)
        # Receivers: SQS hands out ten messages a call, so its default is more of them.
        self.assertEqual(h["workers"], 8 if harness.ON_SQS_QUEUE else 2, h)
        self.assertRegex(h["last_poll_at"], RFC3339_MS)
        # A batch counts once the queue has settled it (on SQS a DeleteMessageBatch), a moment
        # after its commit made the order read as processed.
        hs = wait_until(lambda: (lambda j: j["processed"] >= 1 and j)(self.c.get("/handler/stats").json()),
                        what="the handler stats to count the batch")
        self.assertGreaterEqual(hs["events_by_type"].get("order.confirmed", 0), 1, hs)
        self.assertIsNotNone(hs["processing_latency_ms"]["p99"], hs)
        self.assertIn("queue", hs)

    def test_dlq_listing_and_limits(self):
        r = self.c.get("/sqs/dlq?limit=5")
        self.assertEqual(r.status, 200)
        self.assertIsInstance(r.json()["messages"], list)
        self.assertProblem(self.c.get("/sqs/dlq?limit=0"), 400, "validation_failed")


class DemoScriptTest(Shared):
    def test_the_demo_creates_updates_and_deletes_orders(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/demo")
        r = subprocess.run([script, f"http://127.0.0.1:{self.server.port}"], capture_output=True,
                           timeout=120, env=dict(os.environ, DEMO_ORDERS="8"))
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, out + r.stderr.decode())
        for step in ("1. create: 8 orders", "2. update: ship 4", "3. delete: 2", "order.status_changed",
                     "5. orders by status"):
            self.assertIn(step, out)
        self.assertRegex(out, r"queue: visible=0 in_flight=0 delayed=0 dlq=0 sent=\d+")


if __name__ == "__main__":
    unittest.main()
