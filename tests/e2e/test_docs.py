"""The OpenAPI document and Swagger UI, checked rather than trusted: /openapi.json passes an
OpenAPI 3.1 validator (npm @seriousme/openapi-schema-validator) and strict JSON Schema 2020-12
compilation (Ajv); real answers to every operation, successes and errors, match the document
(tests/web/check_exchanges.mjs); /docs renders every operation in headless Chromium
(tests/web/docs_browser.mjs), which saves screenshots under test-output/."""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from harness import ON_MYSQL, ON_POSTGRES, ON_REDIS, ON_REDIS_QUEUE, ON_SERVER_DATABASE, Server, wait_until

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WEB = os.path.join(ROOT, "tests", "web")
ADMIN = {"Authorization": "Bearer docs-admin-token"}
VARIANT = ("redis-queue" if ON_REDIS_QUEUE else "redis" if ON_REDIS else "pg" if ON_POSTGRES
           else "mysql" if ON_MYSQL else "sqlite")
SCREENSHOTS = os.path.join(ROOT, "test-output", f"docs-{VARIANT}")


def node(script, *args):
    return subprocess.run(["node", os.path.join(WEB, script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


class Recorder:
    """Sends requests and keeps each exchange with the route template it targets."""

    def __init__(self, client):
        self.client = client
        self.exchanges = []

    def call(self, method, route, path=None, body=None, headers=None, raw=None):
        r = self.client.request(method, path or route, body=body, headers=headers, raw=raw)
        self.exchanges.append({
            "method": method, "route": route, "path": path or route, "status": r.status,
            "headers": {k.lower(): v for k, v in r.headers}, "body": r.body,
            "request_body": body})
        return r


class DocsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"ADMIN_TOKEN": "docs-admin-token"}).start()
        cls.c = cls.server.client()
        cls.tmp = tempfile.mkdtemp(prefix="orderflow-docs-")
        r = cls.c.get("/openapi.json")
        assert r.status == 200 and r.header("Content-Type") == "application/json", r
        cls.document = os.path.join(cls.tmp, "openapi.json")
        with open(cls.document, "w") as f:
            f.write(r.body)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        cls.server.cleanup()

    def run_node(self, script, *args):
        result = node(script, *args)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        print(result.stdout.strip())
        return result

    def test_the_document_is_valid_openapi_3_1(self):
        self.run_node("validate_openapi.mjs", self.document)

    def test_swagger_ui_renders_every_operation(self):
        self.run_node("docs_browser.mjs", f"http://127.0.0.1:{self.server.port}", SCREENSHOTS)
        for name in ("swagger-ui.png", "swagger-ui-create-order.png"):
            self.assertGreater(os.path.getsize(os.path.join(SCREENSHOTS, name)), 10_000)

    def test_docs_serves_no_other_file_and_sends_a_content_security_policy(self):
        r = self.c.get("/docs")
        self.assertEqual(r.status, 200)
        self.assertIn("default-src 'self'", r.header("Content-Security-Policy"))
        self.assertEqual(self.c.get("/docs/index.html").status, 404)
        self.assertEqual(self.c.get("/docs/..%2Fopenapi.json").status, 404)
        self.assertEqual(self.c.get("/docs/swagger-ui.css").header("Content-Type"),
                         "text/css; charset=utf-8")

    def test_answers_to_every_operation_match_the_document(self):
        x = Recorder(self.server.client())
        self.addCleanup(x.client.close)
        self.exercise_orders(x)
        self.exercise_cart(x)
        self.exercise_catalog(x)
        self.exercise_operations(x)
        if not ON_SERVER_DATABASE:
            self.exercise_unavailable(x)
        path = os.path.join(self.tmp, "exchanges.json")
        with open(path, "w") as f:
            json.dump(x.exchanges, f)
        self.run_node("check_exchanges.mjs", self.document, path)

    # Each exercise_* sends successes and the errors the contract names; the statuses asserted
    # here keep the scenario honest (an error sent by mistake would hide a success).
    def exercise_orders(self, x):
        order = {"customer_id": "docs-1", "customer_email": "ada@example.com",
                 "items": [{"product_id": "p-mouse", "quantity": 1},
                           {"name": "Gift wrap", "unit_price": "3.50", "quantity": 1, "sku": "GW"}],
                 "shipping_address": {"city": "London"}}
        key = {"Idempotency-Key": "docs-key-1"}
        r = x.call("POST", "/api/orders", body=order, headers=key)
        self.assertEqual(r.status, 202, r)
        oid = r.json()["order_id"]
        self.assertEqual(x.call("POST", "/api/orders", body=order, headers=key).status, 202)
        self.assertEqual(x.call("POST", "/api/orders", body={**order, "customer_id": "x"},
                                headers=key).status, 422)
        self.assertEqual(x.call("POST", "/api/orders", body={"items": [{"quantity": 0}]}).status, 400)
        self.assertEqual(x.call("POST", "/api/orders", raw=b"amount=1",
                                headers={"Content-Type": "text/plain"}).status, 415)
        self.assertEqual(x.call("POST", "/api/orders", raw=b"{" + b" " * (2 << 20) + b"}",
                                headers={"Content-Type": "application/json"}).status, 413)
        self.assertEqual(x.call("POST", "/orders", body={"order_id": "docs-o2", "amount": 12.5}).status, 202)
        self.assertEqual(x.call("POST", "/orders", body={"order_id": "docs-o2", "amount": 13}).status, 409)
        declined = x.call("POST", "/api/orders", body={"amount": "5.00", "payment_method": "test_decline"})
        self.assertEqual(declined.status, 202)
        # Queued or processed, it is answered.
        self.assertEqual(x.call("GET", "/api/orders/{id}", f"/api/orders/{oid}").status, 200)
        for o in (oid, "docs-o2", declined.json()["order_id"]):
            wait_until(lambda: self.c.get(f"/api/orders/{o}").json()["status"] not in ("queued", "pending"),
                       what="orders to be processed")
        r = x.call("GET", "/api/orders/{id}", f"/api/orders/{oid}")
        self.assertEqual(r.json()["status"], "confirmed")
        self.assertEqual(x.call("GET", "/api/orders/{id}", f"/api/orders/{oid}",
                                headers={"If-None-Match": r.header("ETag")}).status, 304)
        self.assertEqual(x.call("GET", "/orders/{id}", "/orders/docs-o2").status, 200)
        self.assertEqual(x.call("GET", "/api/orders/{id}", "/api/orders/no-such-order").status, 404)
        self.assertEqual(x.call("GET", "/api/orders", "/api/orders?status=confirmed&limit=5").status, 200)
        self.assertEqual(x.call("GET", "/api/orders", "/api/orders?status=failed").status, 200)
        cursor = x.call("GET", "/api/orders", "/api/orders?limit=1").json()["next_cursor"]
        self.assertEqual(x.call("GET", "/api/orders", f"/api/orders?limit=1&cursor={cursor}").status, 200)
        self.assertEqual(x.call("GET", "/api/orders", "/api/orders?limit=500").status, 400)
        status = "/api/orders/{id}/status"
        self.assertEqual(x.call("PUT", status, f"/api/orders/{oid}/status", body={"status": "shipped"}).status, 202)
        self.assertEqual(x.call("PUT", status, f"/api/orders/{oid}/status", body={"status": "lost"}).status, 400)
        self.assertEqual(x.call("PUT", status, "/api/orders/no-such-order/status", body={"status": "shipped"}).status, 404)
        failed = declined.json()["order_id"]
        self.assertEqual(x.call("PUT", status, f"/api/orders/{failed}/status", body={"status": "shipped"}).status, 409)
        cancel = "/api/orders/{id}/cancel"
        self.assertEqual(x.call("PUT", cancel, "/api/orders/docs-o2/cancel").status, 202)
        self.assertEqual(x.call("PUT", cancel, f"/api/orders/{failed}/cancel").status, 409)
        self.assertEqual(x.call("PUT", cancel, "/api/orders/no-such-order/cancel").status, 404)
        events = "/api/orders/{id}/events"
        self.assertEqual(x.call("GET", events, f"/api/orders/{oid}/events").status, 200)
        self.assertEqual(x.call("GET", events, "/api/orders/no-such-order/events").status, 404)
        self.assertEqual(x.call("DELETE", "/api/orders/{id}", f"/api/orders/{failed}").status, 202)
        self.assertEqual(x.call("DELETE", "/api/orders/{id}", "/api/orders/no-such-order").status, 404)

    def exercise_cart(self, x):
        r = x.call("GET", "/api/cart")
        self.assertEqual(r.status, 200)
        session = {"X-Session-ID": r.header("X-Session-ID")}
        self.assertEqual(x.call("GET", "/api/cart", headers={"X-Session-ID": "bad session"}).status, 400)
        self.assertEqual(x.call("POST", "/api/orders/checkout", body={}, headers=session).status, 400)
        add = "/api/cart/add"
        self.assertEqual(x.call("POST", add, body={"product_id": "p-novel", "quantity": 2}, headers=session).status, 200)
        self.assertEqual(x.call("POST", add, body={"product_id": "p-mugs", "quantity": 1}, headers=session).status, 200)
        self.assertEqual(x.call("POST", add, body={"product_id": "p-nope", "quantity": 1}, headers=session).status, 404)
        self.assertEqual(x.call("POST", add, body={"product_id": "p-speaker", "quantity": 1}, headers=session).status, 409)
        self.assertEqual(x.call("POST", add, body={"product_id": "p-novel"}, headers=session).status, 400)
        update = "/api/cart/update"
        self.assertEqual(x.call("PUT", update, body={"product_id": "p-novel", "quantity": 1}, headers=session).status, 200)
        self.assertEqual(x.call("PUT", update, body={"product_id": "p-kite", "quantity": 1}, headers=session).status, 404)
        self.assertEqual(x.call("PUT", update, body={"product_id": "p-novel", "quantity": 5000}, headers=session).status, 400)
        remove = "/api/cart/remove/{productId}"
        self.assertEqual(x.call("DELETE", remove, "/api/cart/remove/p-mugs", headers=session).status, 200)
        self.assertEqual(x.call("DELETE", remove, "/api/cart/remove/p-mugs", headers=session).status, 404)
        checkout = "/api/orders/checkout"
        key = {**session, "Idempotency-Key": "docs-checkout-1"}
        r = x.call("POST", checkout, body={"customer_email": "ada@example.com"}, headers=key)
        self.assertEqual(r.status, 202, r)
        self.assertEqual(x.call("POST", checkout, body={"customer_email": "ada@example.com"}, headers=key).status, 202)
        other = x.call("GET", "/api/cart").header("X-Session-ID")
        self.assertEqual(x.call("POST", checkout, headers={"X-Session-ID": other, "Idempotency-Key": "docs-checkout-1"}).status, 422)
        wait_until(lambda: self.c.get("/api/orders/" + r.json()["order_id"]).json()["status"] == "confirmed",
                   what="the checkout to be confirmed")
        self.assertEqual(x.call("GET", "/api/orders/my-orders", headers=session).status, 200)
        self.assertEqual(x.call("GET", "/api/orders/my-orders", "/api/orders/my-orders?page=0", headers=session).status, 400)
        self.assertEqual(x.call("POST", add, body={"product_id": "p-novel", "quantity": 1}, headers=session).status, 200)
        self.assertEqual(x.call("DELETE", "/api/cart/clear", headers=session).status, 200)

    def exercise_catalog(self, x):
        self.assertEqual(x.call("GET", "/api/products").status, 200)
        self.assertEqual(x.call("GET", "/api/products", "/api/products?q=book&in_stock=true&sort=-price&min_price=1&max_price=100").status, 200)
        self.assertEqual(x.call("GET", "/api/products", "/api/products?sort=colour").status, 400)
        self.assertEqual(x.call("GET", "/api/products/categories").status, 200)
        cat = "/api/products/category/{slug}"
        self.assertEqual(x.call("GET", cat, "/api/products/category/books?limit=2").status, 200)
        self.assertEqual(x.call("GET", cat, "/api/products/category/no-such-category").status, 404)
        self.assertEqual(x.call("GET", "/api/products/{id}", "/api/products/p-mouse").status, 200)
        self.assertEqual(x.call("GET", "/api/products/{id}", "/api/products/p-nope").status, 404)
        category = {"slug": "docs-garden", "name": "Garden"}
        self.assertEqual(x.call("POST", "/api/categories", body=category).status, 401)
        self.assertEqual(x.call("POST", "/api/categories", body=category, headers=ADMIN).status, 201)
        self.assertEqual(x.call("POST", "/api/categories", body=category, headers=ADMIN).status, 409)
        self.assertEqual(x.call("POST", "/api/categories", body={"slug": "Bad Slug"}, headers=ADMIN).status, 400)
        product = {"product_id": "docs-hose", "sku": "DOCS-HOSE", "name": "Garden Hose", "price": "29.90",
                   "category": "docs-garden", "stock": 12, "description": "25 m"}
        self.assertEqual(x.call("POST", "/api/products", body=product, headers=ADMIN).status, 201)
        self.assertEqual(x.call("POST", "/api/products", body=product, headers=ADMIN).status, 409)
        self.assertEqual(x.call("POST", "/api/products", body={**product, "price": -1}, headers=ADMIN).status, 400)
        one = "/api/products/{id}"
        self.assertEqual(x.call("PUT", one, "/api/products/docs-hose", body={"price": 27.5}, headers=ADMIN).status, 200)
        self.assertEqual(x.call("PUT", one, "/api/products/p-nope", body={"price": 1}, headers=ADMIN).status, 404)
        self.assertEqual(x.call("PUT", one, "/api/products/docs-hose", body={"sku": "DOCS-HOSE", "stock": -4}, headers=ADMIN).status, 400)
        inventory = "/api/products/{id}/inventory"
        self.assertEqual(x.call("PUT", inventory, "/api/products/docs-hose/inventory", body={"delta": 3}, headers=ADMIN).status, 200)
        self.assertEqual(x.call("PUT", inventory, "/api/products/docs-hose/inventory", body={"stock": 40}, headers=ADMIN).status, 200)
        self.assertEqual(x.call("PUT", inventory, "/api/products/docs-hose/inventory", body={"delta": -100}, headers=ADMIN).status, 400)
        self.assertEqual(x.call("PUT", inventory, "/api/products/p-nope/inventory", body={"stock": 1}, headers=ADMIN).status, 404)
        self.assertEqual(x.call("DELETE", one, "/api/products/docs-hose", headers=ADMIN).status, 204)
        self.assertEqual(x.call("DELETE", one, "/api/products/docs-hose", headers=ADMIN).status, 404)

    def exercise_operations(self, x):
        for route in ("/health", "/ready", "/api/health", "/api/stats", "/sqs/stats", "/handler/status",
                      "/handler/stats", "/cache/stats", "/openapi.json", "/docs"):
            self.assertEqual(x.call("GET", route).status, 200, route)
        self.assertEqual(x.call("GET", "/metrics").status, 200)
        self.assertEqual(x.call("GET", "/metrics", headers={"Accept": "application/json"}).status, 200)
        self.assertEqual(x.call("GET", "/sqs/dlq", "/sqs/dlq?limit=10").status, 200)
        self.assertEqual(x.call("GET", "/sqs/dlq", "/sqs/dlq?limit=0").status, 400)
        self.assertEqual(x.call("POST", "/sqs/dlq/redrive", headers=ADMIN).status, 200)
        self.assertEqual(x.call("POST", "/sqs/dlq/redrive", body={"message_ids": ["no-such-message"]}, headers=ADMIN).status, 200)
        self.assertEqual(x.call("POST", "/sqs/dlq/redrive", body={"message_ids": []}, headers=ADMIN).status, 400)
        self.assertEqual(x.call("GET", "/cache/keys", "/cache/keys?prefix=&limit=5").status, 200)
        self.assertEqual(x.call("GET", "/cache/keys", "/cache/keys?limit=abc").status, 400)
        self.assertEqual(x.call("DELETE", "/cache/clear").status, 401)
        self.assertEqual(x.call("DELETE", "/cache/clear", headers=ADMIN).status, 200)
        self.assertEqual(x.call("GET", "/docs/{asset}", "/docs/docs.js").status, 200)
        self.assertEqual(x.call("GET", "/docs/{asset}", "/docs/favicon-32x32.png").status, 200)
        self.assertEqual(x.call("GET", "/docs/{asset}", "/docs/no-such-file.js").status, 404)
        self.assertEqual(x.call("DELETE", "/sqs/purge", headers=ADMIN).status, 200)

    def exercise_unavailable(self, x):
        """503s: another process holds the SQLite file's write lock, so nothing commits."""
        oid = x.call("POST", "/api/orders", body={"amount": "1.00"}).json()["order_id"]
        locker = sqlite3.connect(os.path.join(self.server.data_dir, "orderflow.db"),
                                 isolation_level=None)
        try:
            locker.execute("BEGIN IMMEDIATE")
            self.assertEqual(x.call("POST", "/api/orders", body={"amount": "2.00"}).status, 503)
            self.assertEqual(x.call("PUT", "/api/orders/{id}/cancel", f"/api/orders/{oid}/cancel").status, 503)
            self.assertEqual(x.call("GET", "/api/health").status, 503)
        finally:
            locker.execute("ROLLBACK")
            locker.close()


if __name__ == "__main__":
    unittest.main()
