"""The order API: create, read, list, status changes, cancel, delete, events, idempotency."""
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


class OrdersTest(Shared):
    def test_create_and_process_adhoc_order(self):
        r = self.create({"customer_id": "c-1", "customer_name": "Ada", "customer_email": "ada@example.com",
                         "items": [{"name": "Gift wrap", "unit_price": "3.50", "quantity": 1, "sku": "GW"},
                                   {"name": "Card", "unit_price": 2, "quantity": 3}],
                         "shipping_address": {"city": "Paris"}})
        b = r.json()
        self.assertEqual(b["status"], "queued")
        self.assertEqual(set(b), {"order_id", "status", "message_id", "created_at"})
        self.assertEqual(r.header("Location"), f"/api/orders/{b['order_id']}")
        self.assertEqual(uuid.UUID(b["order_id"]).version, 7)
        self.assertRegex(b["created_at"], RFC3339_MS)
        wait_processed(self.c, b["order_id"], "confirmed")
        g = self.c.get(f"/api/orders/{b['order_id']}")
        o = g.json()
        self.assertEqual(o["subtotal"], "9.50")
        self.assertEqual(o["tax"], "0.76")
        self.assertEqual(o["total"], "10.26")
        self.assertEqual(o["currency"], "USD")
        self.assertEqual(o["items"][0], {"product_id": None, "sku": "GW", "name": "Gift wrap",
                                         "unit_price": "3.50", "quantity": 1, "line_total": "3.50"})
        self.assertEqual(o["shipping_address"], {"city": "Paris"})
        self.assertEqual(o["created_at"], b["created_at"])
        self.assertEqual(g.header("ETag"), f'"{o["version"]}"')
        self.assertEqual(self.c.get(f"/api/orders/{b['order_id']}", headers={"If-None-Match": g.header("ETag")}).status, 304)

    def test_alias_routes(self):
        r = self.c.post("/orders", {"amount": 12.5})
        self.assertEqual(r.status, 202)
        oid = r.json()["order_id"]
        wait_until(lambda: self.c.get(f"/orders/{oid}").json()["status"] == "confirmed")
        self.assertEqual(self.c.get(f"/orders/{oid}").json()["total"], "13.50")

    def test_catalog_line_fails_as_unknown_product_without_catalog(self):
        oid = self.create({"items": [{"product_id": "no-such-product", "quantity": 1}]}).json()["order_id"]
        wait_processed(self.c, oid, "failed")
        self.assertEqual(self.c.get(f"/api/orders/{oid}").json()["failure_reason"], "unknown_product")

    def test_declined_payment(self):
        oid = self.create({"amount": "5.00", "payment_method": "test_decline"}).json()["order_id"]
        wait_processed(self.c, oid, "failed")
        self.assertEqual(self.c.get(f"/api/orders/{oid}").json()["failure_reason"], "payment_declined")
        types = [e["type"] for e in self.c.get(f"/api/orders/{oid}/events").json()["events"]]
        self.assertIn("payment.failed", types)
        self.assertEqual(types[-1], "order.failed")

    def test_validation_errors(self):
        r = self.c.post("/api/orders", {"items": [{"product_id": "p", "quantity": 0},
                                                  {"name": "x", "unit_price": "1.001", "quantity": 1}],
                                        "customer_email": "not-an-email"})
        b = self.assertProblem(r, 400, "validation_failed")
        fields = {e["field"] for e in b["errors"]}
        self.assertEqual(fields, {"items[0].quantity", "items[1].unit_price", "customer_email"})
        self.assertProblem(self.c.post("/api/orders", {"amount": 1, "items": [{"product_id": "p", "quantity": 1}]}),
                           400, "validation_failed")
        self.assertProblem(self.c.post("/api/orders", {"amount": "10000000000.01"}), 400, "validation_failed")
        self.assertProblem(self.c.request("POST", "/api/orders", raw=b"{bad json",
                                          headers={"Content-Type": "application/json"}), 400, "validation_failed")
        self.assertProblem(self.c.request("POST", "/api/orders", raw=b"", headers={"Content-Type": "application/json"}),
                           400, "validation_failed")

    def test_unsupported_media_type(self):
        self.assertProblem(self.c.request("POST", "/api/orders", raw=b'{"amount":1}',
                                          headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")
        self.assertEqual(self.c.request("POST", "/api/orders", raw=b'{"amount":1}',
                                        headers={"Content-Type": "application/json; charset=utf-8"}).status, 202)

    def test_payload_too_large(self):
        big = b'{"amount":1,"pad":"' + b"x" * (1024 * 1024 + 10) + b'"}'
        r = self.c.request("POST", "/api/orders", raw=big, headers={"Content-Type": "application/json"})
        self.assertProblem(r, 413, "payload_too_large")

    def test_idempotency_key(self):
        key = "key-" + uuid.uuid4().hex
        body = {"amount": "7.00", "customer_id": "idem"}
        first = self.c.post("/api/orders", body, headers={"Idempotency-Key": key})
        self.assertEqual(first.status, 202)
        self.assertIsNone(first.header("Idempotent-Replayed"))
        wait_processed(self.c, first.json()["order_id"])
        again = self.c.post("/api/orders", body, headers={"Idempotency-Key": key})
        self.assertEqual(again.status, 202)
        self.assertEqual(again.header("Idempotent-Replayed"), "true")
        self.assertEqual(again.json(), first.json())
        self.assertProblem(self.c.post("/api/orders", {"amount": "8.00"}, headers={"Idempotency-Key": key}),
                           422, "idempotency_conflict")
        self.assertProblem(self.c.post("/api/orders", body, headers={"Idempotency-Key": "k" * 256}),
                           400, "validation_failed")

    def test_requests_without_a_key_are_never_merged(self):
        a = self.create({"amount": "1.00"}).json()["order_id"]
        b = self.create({"amount": "1.00"}).json()["order_id"]
        self.assertNotEqual(a, b)

    def test_client_order_id(self):
        oid = "client-" + uuid.uuid4().hex[:8]
        body = {"order_id": oid, "amount": "3.00"}
        first = self.create(body).json()
        self.assertEqual(first["order_id"], oid)
        again = self.c.post("/api/orders", body)
        self.assertEqual(again.status, 202)
        self.assertEqual(again.header("Idempotent-Replayed"), "true")
        self.assertEqual(again.json(), first)
        self.assertProblem(self.c.post("/api/orders", {"order_id": oid, "amount": "4.00"}), 409, "conflict")
        self.assertProblem(self.c.post("/api/orders", {"order_id": "bad id!", "amount": "4.00"}), 400,
                           "validation_failed")

    def test_concurrent_repeats_replay_the_first(self):
        import concurrent.futures
        from harness import Client
        key = "conc-" + uuid.uuid4().hex

        def post(_):
            c = Client(self.server.port)
            try:
                return c.post("/api/orders", {"amount": "2.00"}, headers={"Idempotency-Key": key})
            finally:
                c.close()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(post, range(16)))
        self.assertTrue(all(r.status == 202 for r in results))
        self.assertEqual(len({r.json()["order_id"] for r in results}), 1)
        self.assertEqual(sum(1 for r in results if r.header("Idempotent-Replayed") is None), 1)

    def test_get_unknown_order(self):
        self.assertProblem(self.c.get("/api/orders/does-not-exist"), 404, "not_found")
        self.assertProblem(self.c.get("/api/orders/does-not-exist/events"), 404, "not_found")

    def test_status_changes(self):
        oid = self.create({"amount": "9.00"}).json()["order_id"]
        wait_processed(self.c, oid, "confirmed")
        r = self.c.put(f"/api/orders/{oid}/status", {"status": "shipped"})
        self.assertEqual(r.status, 202)
        self.assertEqual(set(r.json()), {"order_id", "requested_status", "message_id"})
        self.assertEqual(r.json()["requested_status"], "shipped")
        wait_processed(self.c, oid, "shipped")
        self.assertProblem(self.c.put(f"/api/orders/{oid}/status", {"status": "teleported"}), 400, "validation_failed")
        self.assertProblem(self.c.put(f"/api/orders/{oid}/status", {}), 400, "validation_failed")
        self.assertProblem(self.c.put(f"/api/orders/{oid}/status", {"status": "confirmed"}), 409, "invalid_transition")
        self.assertProblem(self.c.put("/api/orders/nope/status", {"status": "shipped"}), 404, "not_found")
        self.assertEqual(self.c.put(f"/api/orders/{oid}/status", {"status": "delivered"}).status, 202)
        wait_processed(self.c, oid, "delivered")
        o = self.c.get(f"/api/orders/{oid}").json()
        self.assertEqual(o["version"], 3)
        types = [e["type"] for e in self.c.get(f"/api/orders/{oid}/events").json()["events"]]
        self.assertEqual(types.count("order.status_changed"), 2)

    def test_cancel(self):
        oid = self.create({"amount": "9.00"}).json()["order_id"]
        wait_processed(self.c, oid, "confirmed")
        self.assertEqual(self.c.put(f"/api/orders/{oid}/cancel").status, 202)
        wait_processed(self.c, oid, "cancelled")
        self.assertProblem(self.c.put(f"/api/orders/{oid}/cancel"), 409, "invalid_transition")
        self.assertProblem(self.c.put("/api/orders/nope/cancel"), 404, "not_found")
        types = [e["type"] for e in self.c.get(f"/api/orders/{oid}/events").json()["events"]]
        self.assertIn("order.cancelled", types)

    def test_delete(self):
        oid = self.create({"amount": "9.00"}).json()["order_id"]
        wait_processed(self.c, oid)
        self.assertEqual(self.c.delete(f"/api/orders/{oid}").status, 202)
        wait_until(lambda: self.c.get(f"/api/orders/{oid}").status == 404, what="deletion")
        ev = self.c.get(f"/api/orders/{oid}/events")
        self.assertEqual(ev.status, 200)
        self.assertEqual(ev.json()["events"][-1]["type"], "order.deleted")
        self.assertProblem(self.c.delete("/api/orders/nope"), 404, "not_found")

    def test_events_are_ordered(self):
        oid = self.create({"amount": "1.00"}).json()["order_id"]
        wait_processed(self.c, oid)
        b = self.c.get(f"/api/orders/{oid}/events").json()
        self.assertEqual(b["order_id"], oid)
        seqs = [e["seq"] for e in b["events"]]
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
        self.assertEqual([e["type"] for e in b["events"]],
                         ["order.accepted", "order.pending", "payment.succeeded", "order.confirmed"])
        for e in b["events"]:
            self.assertRegex(e["at"], RFC3339_MS)
            self.assertIsInstance(e["data"], dict)

    def test_list_filters_and_paging(self):
        cust = "list-" + uuid.uuid4().hex[:8]
        ids = [self.create({"customer_id": cust, "amount": "1.00"}).json()["order_id"] for _ in range(5)]
        failed = self.create({"customer_id": cust, "amount": "1.00", "payment_method": "test_decline"}).json()["order_id"]
        for oid in ids + [failed]:
            wait_processed(self.c, oid)
        page = self.c.get(f"/api/orders?customer_id={cust}&limit=4").json()
        self.assertEqual((page["page"], page["limit"], page["total"], page["has_more"]), (1, 4, 6, True))
        self.assertEqual(len(page["data"]), 4)
        page2 = self.c.get(f"/api/orders?customer_id={cust}&limit=4&page=2").json()
        self.assertEqual(len(page2["data"]), 2)
        self.assertFalse(page2["has_more"])
        newest_first = [o["created_at"] for o in page["data"]]
        self.assertEqual(newest_first, sorted(newest_first, reverse=True))
        oldest = self.c.get(f"/api/orders?customer_id={cust}&sort=created_at&limit=100").json()["data"]
        self.assertEqual([o["order_id"] for o in oldest][0], ids[0])
        self.assertEqual(self.c.get(f"/api/orders?customer_id={cust}&status=failed").json()["total"], 1)
        self.assertEqual(self.c.get(f"/api/orders?customer_id={cust}&created_after=2999-01-01T00:00:00Z").json()["total"], 0)
        for bad in ("limit=0", "limit=101", "page=0", "page=x", "sort=name", "status=lost",
                    "created_after=yesterday"):
            self.assertProblem(self.c.get(f"/api/orders?{bad}"), 400, "validation_failed")

    def test_cursor_pages(self):
        cust = "cursor-" + uuid.uuid4().hex[:8]
        ids = [self.create({"customer_id": cust, "amount": "1.00"}).json()["order_id"] for _ in range(5)]
        for oid in ids:
            wait_processed(self.c, oid)
        for sort in ("-created_at", "created_at"):
            listed = [o["order_id"] for o in
                      self.c.get(f"/api/orders?customer_id={cust}&sort={sort}&limit=100").json()["data"]]
            first = self.c.get(f"/api/orders?customer_id={cust}&sort={sort}&limit=2").json()
            self.assertEqual((first["page"], first["total"], first["has_more"]), (1, 5, True))
            walked, page, pages = [o["order_id"] for o in first["data"]], first, 1
            while page["next_cursor"]:
                page = self.c.get(f"/api/orders?customer_id={cust}&sort={sort}&limit=2"
                                  f"&cursor={page['next_cursor']}").json()
                self.assertNotIn("page", page)
                self.assertNotIn("total", page, "a page by cursor is not counted unless asked")
                walked += [o["order_id"] for o in page["data"]]
                pages += 1
            self.assertEqual((walked, pages, page["has_more"]), (listed, 3, False))
        cursor = self.c.get(f"/api/orders?customer_id={cust}&limit=2").json()["next_cursor"]
        counted = self.c.get(f"/api/orders?customer_id={cust}&limit=2&cursor={cursor}&with_total=true").json()
        self.assertEqual((counted["total"], len(counted["data"])), (5, 2))
        for bad in (f"cursor={cursor}&page=2", f"cursor={cursor}&sort=created_at", "cursor=x",
                    "cursor=d12~", "cursor=q1~a", "cursor=d1~a%20b", "with_total=maybe"):
            self.assertProblem(self.c.get(f"/api/orders?customer_id={cust}&{bad}"), 400, "validation_failed")

    def test_admin_endpoints_on_loopback(self):
        self.assertEqual(self.c.post("/sqs/dlq/redrive").status, 200)
        self.assertProblem(self.c.post("/sqs/dlq/redrive", {"message_ids": "x"}), 400, "validation_failed")


class QueuedOrdersTest(unittest.TestCase):
    """An API-only node: accepted orders stay queued, and are still answered."""

    def test_queued_order_is_readable_and_purgeable(self):
        with Server(args=["--role", "api"]) as s, s.client() as c:
            r = c.post("/api/orders", {"customer_id": "q", "items": [{"name": "A", "unit_price": "1.25", "quantity": 2},
                                                                      {"product_id": "p-9", "quantity": 1}]})
            self.assertEqual(r.status, 202)
            oid = r.json()["order_id"]
            g = c.get(f"/api/orders/{oid}")
            self.assertEqual(g.status, 200)
            o = g.json()
            self.assertEqual(o["status"], "queued")
            self.assertEqual(o["items"][0]["line_total"], "2.50")
            self.assertIsNone(o["items"][1]["unit_price"])
            self.assertEqual(c.get(f"/api/orders/{oid}/events").json()["events"], [])
            self.assertEqual(c.get(f"/api/orders?customer_id=q").json()["total"], 0)
            self.assertEqual(c.put(f"/api/orders/{oid}/cancel").status, 202)
            self.assertProblem = Shared.assertProblem.__get__(self)
            self.assertProblem(c.put(f"/api/orders/{oid}/status", {"status": "delivered"}), 409, "invalid_transition")
            self.assertFalse(c.get("/handler/status").json()["running"])
            stats = c.get("/sqs/stats").json()
            self.assertEqual(stats["visible"], 2)
            purged = c.delete("/sqs/purge")
            self.assertEqual(purged.status, 200)
            self.assertEqual(purged.json()["purged"], 2)
            self.assertEqual(c.get("/sqs/stats").json()["visible"], 0)


if __name__ == "__main__":
    unittest.main()
