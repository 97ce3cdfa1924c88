"""End-to-end tests of the shop side: catalog, inventory admin, carts, checkout, cache."""
import concurrent.futures
import unittest
import uuid

from harness import CACHE_BACKEND, Client, Server, needs_sqlite, replica_replay_paused, wait_until
from harness import Shared, wait_processed


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class ShopBase(Shared):
    def make_category(self):
        slug = uid("cat")
        r = self.c.post("/api/categories", {"slug": slug, "name": slug.title()})
        self.assertEqual(r.status, 201, r)
        return slug

    def make_product(self, stock=10, price="10.00", category=None, **extra):
        body = {"product_id": uid("p"), "sku": uid("SKU"), "name": uid("Product"), "price": price,
                "category": category or self.make_category(), "stock": stock, **extra}
        r = self.c.post("/api/products", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def session(self):
        return {"X-Session-ID": uid("s")}


class CatalogTest(ShopBase):
    def test_demo_catalog_is_loaded(self):
        cats = self.c.get("/api/products/categories").json()["data"]
        slugs = {c["slug"] for c in cats}
        self.assertTrue({"electronics", "books", "kitchen"} <= slugs)
        demo = self.c.get("/api/products?limit=100&category=electronics").json()
        self.assertGreaterEqual(demo["total"], 5)

    def test_product_shape_and_404(self):
        p = self.make_product(stock=7, price="12.5", description="d")
        self.assertEqual(p["price"], "12.50")
        self.assertEqual(p["currency"], "USD")
        self.assertEqual((p["stock"], p["available"]), (7, 7))
        self.assertEqual(set(p["category"]), {"slug", "name"})
        g = self.c.get(f"/api/products/{p['product_id']}")
        self.assertEqual(g.json(), p)
        self.assertProblem(self.c.get("/api/products/nope"), 404, "not_found")

    def test_filters_sorts_and_paging(self):
        cat = self.make_category()
        a = self.make_product(category=cat, price="5.00", stock=0, name="Alpha Widget")
        b = self.make_product(category=cat, price="15.00", stock=3, name="beta gadget")
        c = self.make_product(category=cat, price="25.00", stock=1, name="Gamma WIDGET")
        base = f"/api/products?category={cat}"
        self.assertEqual([p["product_id"] for p in self.c.get(base).json()["data"]],
                         [a["product_id"], b["product_id"], c["product_id"]])
        self.assertEqual([p["product_id"] for p in self.c.get(base + "&sort=-price").json()["data"]],
                         [c["product_id"], b["product_id"], a["product_id"]])
        self.assertEqual([p["product_id"] for p in self.c.get(base + "&sort=-name").json()["data"]][0],
                         c["product_id"])
        self.assertEqual(self.c.get(base + "&q=widget").json()["total"], 2)
        self.assertEqual(self.c.get(base + f"&q={b['sku'].lower()}").json()["total"], 1)
        self.assertEqual(self.c.get(base + "&min_price=10&max_price=25").json()["total"], 2)
        self.assertEqual(self.c.get(base + "&in_stock=true").json()["total"], 2)
        page = self.c.get(base + "&limit=2&page=2").json()
        self.assertEqual((page["total"], len(page["data"]), page["has_more"]), (3, 1, False))
        newest = self.c.get(base + "&sort=-created_at").json()["data"][0]
        self.assertEqual(newest["product_id"], c["product_id"])
        for bad in ("sort=color", "min_price=-1", "max_price=abc", "in_stock=yes", "limit=500", "page=0"):
            self.assertProblem(self.c.get(f"/api/products?{bad}"), 400, "validation_failed")

    def test_category_listing_and_counts(self):
        cat = self.make_category()
        self.make_product(category=cat)
        self.make_product(category=cat)
        r = self.c.get(f"/api/products/category/{cat}").json()
        self.assertEqual(r["total"], 2)
        self.assertProblem(self.c.get("/api/products/category/no-such-category"), 404, "not_found")
        counts = {c["slug"]: c["product_count"] for c in self.c.get("/api/products/categories").json()["data"]}
        self.assertEqual(counts[cat], 2)
        empty = self.make_category()
        counts = {c["slug"]: c["product_count"] for c in self.c.get("/api/products/categories").json()["data"]}
        self.assertEqual(counts[empty], 0, "empty categories are listed too")

    def test_admin_errors(self):
        cat = self.make_category()
        self.assertProblem(self.c.post("/api/categories", {"slug": cat, "name": "x"}), 409, "conflict")
        self.assertProblem(self.c.post("/api/categories", {"slug": "Bad Slug", "name": "x"}), 400, "validation_failed")
        p = self.make_product(category=cat)
        dup = {"sku": p["sku"], "name": "n", "price": 1, "category": cat, "stock": 1}
        self.assertProblem(self.c.post("/api/products", dup), 409, "conflict")
        dup_id = {**dup, "sku": uid("SKU"), "product_id": p["product_id"]}
        self.assertProblem(self.c.post("/api/products", dup_id), 409, "conflict")
        body = self.assertProblem(self.c.post("/api/products", {"name": "n"}), 400, "validation_failed")
        self.assertTrue({"sku", "price", "category", "stock"} <= {e["field"] for e in body["errors"]})
        self.assertProblem(self.c.post("/api/products", {**dup, "sku": uid("S"), "category": "no-such"}),
                           400, "validation_failed")
        self.assertProblem(self.c.put("/api/products/nope", {"price": 1}), 404, "not_found")
        self.assertProblem(self.c.put("/api/products/nope/inventory", {"stock": 1}), 404, "not_found")
        self.assertProblem(self.c.delete("/api/products/nope"), 404, "not_found")

    def test_update_inventory_and_delete(self):
        p = self.make_product(stock=5)
        pid = p["product_id"]
        r = self.c.put(f"/api/products/{pid}", {"name": "Renamed", "price": "7.25"})
        self.assertEqual(r.status, 200)
        self.assertEqual((r.json()["name"], r.json()["price"], r.json()["stock"]), ("Renamed", "7.25", 5))
        self.assertEqual(self.c.put(f"/api/products/{pid}/inventory", {"delta": 3}).json()["stock"], 8)
        self.assertEqual(self.c.put(f"/api/products/{pid}/inventory", {"stock": 2}).json()["stock"], 2)
        self.assertProblem(self.c.put(f"/api/products/{pid}/inventory", {"delta": -3}), 400, "validation_failed")
        self.assertProblem(self.c.put(f"/api/products/{pid}/inventory", {"stock": 1, "delta": 1}), 400,
                           "validation_failed")
        d = self.c.delete(f"/api/products/{pid}")
        self.assertEqual(d.status, 204)
        self.assertEqual(d.body, "")
        self.assertProblem(self.c.get(f"/api/products/{pid}"), 404, "not_found")

    def test_price_change_is_visible_on_the_next_get(self):
        p = self.make_product(price="10.00")
        pid = p["product_id"]
        url = f"/api/products/{pid}"
        listing = f"/api/products?category={p['category']['slug']}"
        self.assertEqual(self.c.get(url).json()["price"], "10.00")
        self.assertEqual(self.c.get(url).json()["price"], "10.00")  # now cached
        self.assertEqual(self.c.get(listing).json()["data"][0]["price"], "10.00")
        self.assertIn(f"product:{pid}", self.c.get("/cache/keys?prefix=product:&limit=1000").json()["keys"])
        self.c.put(url, {"price": "11.00"})
        self.assertEqual(self.c.get(url).json()["price"], "11.00")
        self.assertEqual(self.c.get(listing).json()["data"][0]["price"], "11.00")

    def test_orders_take_the_current_catalog_price(self):
        p = self.make_product(price="4.00", stock=10)
        oid = self.create({"items": [{"product_id": p["product_id"], "quantity": 2}]}).json()["order_id"]
        wait_processed(self.c, oid, "confirmed")
        o = self.c.get(f"/api/orders/{oid}").json()
        self.assertEqual((o["subtotal"], o["items"][0]["unit_price"], o["items"][0]["sku"]),
                         ("8.00", "4.00", p["sku"]))
        prod = self.c.get(f"/api/products/{p['product_id']}").json()
        self.assertEqual((prod["stock"], prod["available"]), (8, 8), "stock seen at once (no stale cache)")


class CartTest(ShopBase):
    def test_new_session_is_issued_in_header_and_cookie(self):
        r = self.c.get("/api/cart")
        sid = r.header("X-Session-ID")
        self.assertTrue(sid)
        self.assertEqual(r.header("Set-Cookie"), f"session_id={sid}; Path=/; HttpOnly; SameSite=Lax")
        self.assertEqual(r.json(), {"session_id": sid, "items": [], "item_count": 0, "subtotal": "0.00",
                                    "updated_at": None})
        p = self.make_product()
        a = self.c.post("/api/cart/add", {"product_id": p["product_id"], "quantity": 1},
                        headers={"Cookie": f"other=1; session_id={sid}"})
        self.assertIsNone(a.header("Set-Cookie"), "a known session gets no new cookie")
        self.assertEqual(a.json()["session_id"], sid)
        self.assertProblem(self.c.get("/api/cart", headers={"X-Session-ID": "bad id"}), 400, "validation_failed")

    def test_cart_operations(self):
        h = self.session()
        p1 = self.make_product(price="2.50", stock=10)
        p2 = self.make_product(price="1.00", stock=3)
        r = self.c.post("/api/cart/add", {"product_id": p1["product_id"], "quantity": 2}, headers=h)
        self.assertEqual(r.status, 200)
        r = self.c.post("/api/cart/add", {"product_id": p1["product_id"], "quantity": 1}, headers=h)
        self.assertEqual(r.json()["items"][0]["quantity"], 3, "adding adds to what is there")
        r = self.c.post("/api/cart/add", {"product_id": p2["product_id"], "quantity": 3}, headers=h).json()
        self.assertEqual((r["item_count"], r["subtotal"]), (6, "10.50"))
        self.assertEqual(r["items"][0], {"product_id": p1["product_id"], "name": p1["name"], "unit_price": "2.50",
                                         "quantity": 3, "line_total": "7.50"})
        self.assertProblem(self.c.post("/api/cart/add", {"product_id": p2["product_id"], "quantity": 1}, headers=h),
                           409, "conflict")
        self.assertProblem(self.c.post("/api/cart/add", {"product_id": "nope", "quantity": 1}, headers=h),
                           404, "not_found")
        self.assertProblem(self.c.post("/api/cart/add", {"product_id": p1["product_id"], "quantity": 0}, headers=h),
                           400, "validation_failed")
        r = self.c.put("/api/cart/update", {"product_id": p1["product_id"], "quantity": 1}, headers=h).json()
        self.assertEqual(r["items"][0]["quantity"], 1)
        self.assertProblem(self.c.put("/api/cart/update", {"product_id": p2["product_id"], "quantity": 4}, headers=h),
                           409, "conflict")
        self.assertProblem(self.c.put("/api/cart/update", {"product_id": "not-in-cart", "quantity": 1}, headers=h),
                           404, "not_found")
        r = self.c.put("/api/cart/update", {"product_id": p2["product_id"], "quantity": 0}, headers=h).json()
        self.assertEqual([i["product_id"] for i in r["items"]], [p1["product_id"]], "quantity 0 removes")
        self.assertProblem(self.c.delete(f"/api/cart/remove/{p2['product_id']}", headers=h), 404, "not_found")
        r = self.c.delete(f"/api/cart/remove/{p1['product_id']}", headers=h)
        self.assertEqual((r.status, r.json()["items"]), (200, []))
        self.c.post("/api/cart/add", {"product_id": p1["product_id"], "quantity": 1}, headers=h)
        r = self.c.delete("/api/cart/clear", headers=h)
        self.assertEqual((r.status, r.json()["items"], r.json()["subtotal"]), (200, [], "0.00"))

    def test_checkout_confirms_and_clears_the_cart(self):
        h = self.session()
        p = self.make_product(price="3.00", stock=5)
        self.c.post("/api/cart/add", {"product_id": p["product_id"], "quantity": 2}, headers=h)
        r = self.c.post("/api/orders/checkout", {"customer_id": "shopper", "customer_email": "s@example.com"},
                        headers=h)
        self.assertEqual(r.status, 202, r)
        oid = r.json()["order_id"]
        self.assertEqual(r.header("Location"), f"/api/orders/{oid}")
        wait_processed(self.c, oid, "confirmed")
        o = self.c.get(f"/api/orders/{oid}").json()
        self.assertEqual((o["session_id"], o["customer_id"], o["total"]), (h["X-Session-ID"], "shopper", "6.48"))
        wait_until(lambda: self.c.get("/api/cart", headers=h).json()["items"] == [], what="cart cleared")
        mine = self.c.get("/api/orders/my-orders", headers=h).json()
        self.assertEqual([x["order_id"] for x in mine["data"]], [oid])
        self.assertEqual(self.c.get("/api/orders/my-orders", headers=self.session()).json()["total"], 0)

    def test_a_checkout_retried_with_its_key_after_the_cart_was_emptied_is_replayed(self):
        # The client's first answer was lost (e.g. the API process died after the commit); by
        # the time it retries, the order is confirmed and the cart empty.
        h = self.session()
        p = self.make_product(price="2.00", stock=5)
        self.c.post("/api/cart/add", {"product_id": p["product_id"], "quantity": 1}, headers=h)
        key = {"Idempotency-Key": "checkout-" + h["X-Session-ID"]}
        first = self.c.post("/api/orders/checkout", {"customer_id": "retry"}, headers={**h, **key})
        self.assertEqual(first.status, 202, first)
        oid = first.json()["order_id"]
        wait_processed(self.c, oid, "confirmed")
        wait_until(lambda: self.c.get("/api/cart", headers=h).json()["items"] == [], what="cart cleared")
        again = self.c.post("/api/orders/checkout", {"customer_id": "retry"}, headers={**h, **key})
        self.assertEqual(again.status, 202, again)
        self.assertEqual(again.json()["order_id"], oid)
        self.assertEqual(again.header("Idempotent-Replayed"), "true")
        # The same key from another session names another request.
        other = self.c.post("/api/orders/checkout", {"customer_id": "retry"},
                            headers={**self.session(), **key})
        self.assertProblem(other, 422, "idempotency_conflict")
        self.assertEqual(self.c.get(f"/api/products/{p['product_id']}").json()["stock"], 4)

    def test_failed_checkout_keeps_the_cart(self):
        h = self.session()
        p = self.make_product(stock=5)
        self.c.post("/api/cart/add", {"product_id": p["product_id"], "quantity": 1}, headers=h)
        oid = self.c.post("/api/orders/checkout", {"payment_method": "test_decline"}, headers=h).json()["order_id"]
        wait_processed(self.c, oid, "failed")
        self.assertEqual(len(self.c.get("/api/cart", headers=h).json()["items"]), 1)
        self.assertEqual(self.c.get(f"/api/products/{p['product_id']}").json()["available"], 5)

    def test_checkout_errors(self):
        h = self.session()
        self.assertProblem(self.c.post("/api/orders/checkout", headers=h), 400, "validation_failed")
        p = self.make_product(stock=2)
        self.c.post("/api/cart/add", {"product_id": p["product_id"], "quantity": 2}, headers=h)
        self.c.put(f"/api/products/{p['product_id']}/inventory", {"stock": 1})
        self.assertProblem(self.c.post("/api/orders/checkout", headers=h), 409, "conflict")
        self.assertProblem(self.c.post("/api/orders/checkout", [1], headers=h), 400, "validation_failed")


class CacheEndpointsTest(ShopBase):
    def test_stats_keys_and_clear(self):
        p = self.make_product()
        self.c.get(f"/api/products/{p['product_id']}")
        self.c.get(f"/api/products/{p['product_id']}")
        s = self.c.get("/cache/stats").json()
        self.assertEqual(set(s), {"backend", "hits", "misses", "hit_rate", "keys", "evictions", "memory_bytes"})
        self.assertEqual(s["backend"], CACHE_BACKEND)
        self.assertGreaterEqual(s["hits"], 1)
        self.assertGreater(s["keys"], 0)
        k = self.c.get("/cache/keys?prefix=product:&limit=1").json()
        self.assertEqual(len(k["keys"]), 1)
        self.assertProblem(self.c.get("/cache/keys?limit=0"), 400, "validation_failed")
        cleared = self.c.delete("/cache/clear").json()["cleared"]
        self.assertGreater(cleared, 0)
        self.assertEqual(self.c.get("/cache/stats").json()["keys"], 0)

    def test_cached_order_follows_its_changes(self):
        oid = self.create({"amount": "2.00"}).json()["order_id"]
        wait_processed(self.c, oid, "confirmed")
        self.c.get(f"/api/orders/{oid}")  # cached
        self.c.put(f"/api/orders/{oid}/status", {"status": "shipped"})
        wait_processed(self.c, oid, "shipped")
        self.assertEqual(self.c.get(f"/api/orders/{oid}").json()["version"], 2)


class ReservedStockTest(unittest.TestCase):
    def assertProblem(self, r, status, code):
        return Shared.assertProblem(self, r, status, code)

    @needs_sqlite
    def test_stock_cannot_go_below_what_is_reserved(self):
        import os
        import sqlite3
        with Server() as s, s.client() as c:
            # Reservations only outlive a worker transaction while an order is pending; hold one
            # the way a pending order would, from a second process.
            db = sqlite3.connect(os.path.join(s.data_dir, "orderflow.db"), timeout=10)
            db.execute("UPDATE products SET reserved = 4 WHERE product_id = 'p-mouse'")
            db.commit()
            db.close()
            c.delete("/cache/clear")
            p = c.get("/api/products/p-mouse").json()
            self.assertEqual(p["available"], p["stock"] - 4)
            self.assertProblem(c.put("/api/products/p-mouse/inventory", {"stock": 3}), 409, "conflict")
            self.assertProblem(c.put("/api/products/p-mouse", {"stock": 3}), 409, "conflict")
            self.assertEqual(c.put("/api/products/p-mouse/inventory", {"stock": 4}).json()["available"], 0)
            # A product update to another product's sku is a conflict as well.
            self.assertProblem(c.put("/api/products/p-mouse", {"sku": "SKU-1001"}), 409, "conflict")


class ConfiguredShopTest(unittest.TestCase):
    def assertProblem(self, r, status, code):
        return Shared.assertProblem(self, r, status, code)

    def test_admin_endpoints_need_the_token(self):
        with Server(env={"ADMIN_TOKEN": "t0k"}) as s, s.client() as c:
            for method, path, body in (("POST", "/api/categories", {"slug": "x", "name": "X"}),
                                       ("POST", "/api/products", {}),
                                       ("PUT", "/api/products/p-mouse", {"price": 1}),
                                       ("PUT", "/api/products/p-mouse/inventory", {"stock": 1}),
                                       ("DELETE", "/api/products/p-mouse", None),
                                       ("DELETE", "/cache/clear", None)):
                self.assertProblem(c.request(method, path, body=body), 401, "unauthorized")
            ok = c.post("/api/categories", {"slug": "x", "name": "X"}, headers={"Authorization": "Bearer t0k"})
            self.assertEqual(ok.status, 201)

    def test_no_demo_data_and_demo_data_command(self):
        import subprocess
        from harness import BIN
        with Server(args=["--no-demo-data"]) as s:
            with s.client() as c:
                self.assertEqual(c.get("/api/products").json()["total"], 0)
            s.stop()
            # With a replica, it lags for sure: a process started after the catalog was
            # loaded must list it anyway (its replica reads wait for what the primary held at its
            # start).
            with replica_replay_paused():
                out = subprocess.run([BIN, "demo-data", "--data-dir", s.data_dir], capture_output=True,
                                     text=True, env=s.env)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertIn("loaded", out.stdout)
                with Server(data_dir=s.data_dir, args=["--no-demo-data"]) as s2, s2.client() as c:
                    self.assertGreaterEqual(c.get("/api/products").json()["total"], 24)

    def test_carts_expire(self):
        with Server(env={"CART_TTL": "1s", "CART_CLEANUP_INTERVAL": "500ms"}) as s, s.client() as c:
            h = {"X-Session-ID": "expiring"}
            c.post("/api/cart/add", {"product_id": "p-mouse", "quantity": 1}, headers=h)
            self.assertEqual(len(c.get("/api/cart", headers=h).json()["items"]), 1)
            wait_until(lambda: c.get("/api/cart", headers=h).json()["items"] == [], timeout=5, what="expiry")

    def test_cache_off_gives_the_same_answers(self):
        answers = []
        for backend in (CACHE_BACKEND, "off"):
            with Server(env={"CACHE_BACKEND": backend}) as s, s.client() as c:
                seen = []
                for _ in range(2):
                    seen.append(c.get("/api/products?category=books&sort=price").json()["data"])
                    seen.append(c.get("/api/products/categories").json())
                    p = c.get("/api/products/p-novel").json()
                    seen.append({k: v for k, v in p.items() if k not in ("created_at", "updated_at")})
                c.put("/api/products/p-novel", {"price": "15.99"})
                seen.append(c.get("/api/products/p-novel").json()["price"])
                self.assertEqual(c.get("/cache/stats").json()["backend"], backend)
                answers.append([[{k: v for k, v in x.items() if k not in ("created_at", "updated_at")}
                                 for x in item] if isinstance(item, list) else item for item in seen])
        self.assertEqual(answers[0], answers[1])


class OversellTest(unittest.TestCase):
    def test_stock_10_and_100_concurrent_orders(self):
        with Server(env={"WORKER_BATCH_SIZE": "16"}) as s, s.client() as c:
            c.post("/api/categories", {"slug": "limited", "name": "Limited"})
            r = c.post("/api/products", {"product_id": "limited-1", "sku": "LIM-1", "name": "Limited edition",
                                         "price": "50.00", "category": "limited", "stock": 10})
            self.assertEqual(r.status, 201)

            def order(i):
                cl = Client(s.port)
                try:
                    return cl.post("/api/orders", {"customer_id": f"buyer-{i}",
                                                   "items": [{"product_id": "limited-1", "quantity": 1}]})
                finally:
                    cl.close()
            with concurrent.futures.ThreadPoolExecutor(32) as pool:
                results = list(pool.map(order, range(100)))
            self.assertTrue(all(r.status == 202 for r in results))
            ids = [r.json()["order_id"] for r in results]
            try:
                statuses = [wait_processed(c, oid) for oid in ids]
            except AssertionError:
                print("server log, queue and handler stats at the timeout:", s.read_log(), c.get("/sqs/stats").body, c.get("/handler/stats").body)
                raise
            confirmed = statuses.count("confirmed")
            failed = [c.get(f"/api/orders/{oid}").json()["failure_reason"] for oid, st in zip(ids, statuses)
                      if st == "failed"]
            p = c.get("/api/products/limited-1").json()
            print(f"oversell test: 100 orders for stock 10 -> {confirmed} confirmed, "
                  f"{failed.count('out_of_stock')} out_of_stock, stock {p['stock']}, available {p['available']}",
                  flush=True)
            self.assertEqual(confirmed, 10)
            self.assertEqual(failed, ["out_of_stock"] * 90)
            self.assertEqual((p["stock"], p["available"]), (0, 0))
            # Cancelling a confirmed order gives its stock back.
            first = ids[statuses.index("confirmed")]
            self.assertEqual(c.put(f"/api/orders/{first}/cancel").status, 202)
            wait_processed(c, first, "cancelled")
            p = c.get("/api/products/limited-1").json()
            self.assertEqual((p["stock"], p["available"]), (1, 1))


if __name__ == "__main__":
    unittest.main()
