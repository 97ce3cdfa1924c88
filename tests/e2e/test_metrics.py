"""GET /metrics: Prometheus text format 0.0.4 checked by Prometheus's own parser and linter
(`promtool check metrics`, Debian's prometheus package), the families the contract lists,
bounded labels, consistent histograms; and the JSON variant."""
import math
import re
import subprocess
import unittest

from harness import ON_SERVER_DATABASE, Server, wait_until

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def read_exposition(text):
    """{family: {"type": t, "samples": [(name, labels, value)]}}, after promtool accepted it."""
    families, current = {}, None
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            current = families.setdefault(name, {"type": kind, "samples": []})
        elif line and not line.startswith("#"):
            name, labels, value = SAMPLE.match(line).groups()
            current["samples"].append((name, dict(LABEL.findall(labels or "")), float(value)))
    return families


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.c = cls.server.client()
        cls.ids = []
        for i in range(5):
            r = cls.c.post("/api/orders", {"customer_id": f"metrics-{i}", "amount": "3.00"})
            assert r.status == 202, r
            cls.ids.append(r.json()["order_id"])
        for oid in cls.ids:
            wait_until(lambda: cls.c.get(f"/api/orders/{oid}").json()["status"] == "confirmed",
                       what="orders to be processed")
        cls.c.get("/api/products/p-mouse")
        cls.c.get("/api/products/p-mouse")
        cls.c.get("/no/such/path/" + cls.ids[0])

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        cls.server.cleanup()

    def scrape(self):
        r = self.c.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        # Parse errors and lint problems (names, units, suffixes) both fail.
        check = subprocess.run(["promtool", "check", "metrics"], input=r.body.encode(),
                               capture_output=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout.decode() + check.stderr.decode())
        return read_exposition(r.body)

    def test_families_of_the_contract_are_there_with_their_types(self):
        families = self.scrape()
        expected = {
            "orderflow_http_requests_total": "counter",
            "orderflow_http_request_duration_seconds": "histogram",
            "orderflow_queue_messages": "gauge",
            "orderflow_queue_operations_total": "counter",
            "orderflow_queue_oldest_message_age_seconds": "gauge",
            "orderflow_worker_messages_total": "counter",
            "orderflow_processing_latency_seconds": "histogram",
            "orderflow_batch_apply_duration_seconds": "histogram",
            "orderflow_queue_receive_duration_seconds": "histogram",
            "orderflow_order_events_total": "counter",
            "orderflow_orders": "gauge",
            "orderflow_cache_requests_total": "counter",
            "orderflow_cache_evictions_total": "counter",
            "orderflow_dependency_up": "gauge",
            "process_resident_memory_bytes": "gauge",
            "process_heap_bytes": "gauge",
            "process_cpu_seconds_total": "counter",
            "process_start_time_seconds": "gauge",
        }
        if ON_SERVER_DATABASE:
            expected["orderflow_db_pool_connections"] = "gauge"
        for name, kind in expected.items():
            self.assertIn(name, families)
            self.assertEqual(families[name]["type"], kind, name)
            self.assertTrue(families[name]["samples"], f"{name} has no samples")
        for name, family in families.items():
            for sample in family["samples"]:
                self.assertFalse(math.isnan(sample[2]), (name, sample))

        def value(name, **labels):
            for sample_name, sample_labels, v in families[name]["samples"]:
                if sample_name == name and all(sample_labels.get(k) == x for k, x in labels.items()):
                    return v
            raise AssertionError(f"no {name} with {labels}")

        self.assertEqual(value("orderflow_http_requests_total", method="POST",
                               route="/api/orders", status_class="2xx"), 5)
        self.assertGreaterEqual(value("orderflow_http_requests_total", method="GET",
                                      route="/api/products/{id}", status_class="2xx"), 2)
        self.assertGreaterEqual(value("orderflow_queue_operations_total", operation="sent"), 5)
        self.assertEqual(value("orderflow_queue_messages", state="dead_letter"), 0)
        self.assertGreaterEqual(value("orderflow_worker_messages_total", outcome="processed"), 5)
        self.assertGreaterEqual(value("orderflow_orders", status="confirmed"), 5)
        self.assertGreaterEqual(value("orderflow_cache_requests_total", result="hit"), 1)
        self.assertEqual(value("orderflow_dependency_up", dependency="database"), 1)
        self.assertGreater(value("process_resident_memory_bytes"), 1e6)
        self.assertGreater(value("process_heap_bytes"), 1e5)
        self.assertLess(value("process_heap_bytes"), 1e10)

    def test_labels_are_route_templates_not_paths(self):
        families = self.scrape()
        routes = {labels["route"] for _, labels, _ in families["orderflow_http_requests_total"]["samples"]}
        self.assertIn("unmatched", routes)  # the 404 above, its path not a label
        for route in routes:
            for oid in self.ids:
                self.assertNotIn(oid, route)

    def test_histograms_are_cumulative_and_end_at_their_count(self):
        families = self.scrape()
        for name in ("orderflow_http_request_duration_seconds",
                     "orderflow_processing_latency_seconds",
                     "orderflow_queue_receive_duration_seconds"):
            series = {}
            for sample_name, labels, v in families[name]["samples"]:
                key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
                s = series.setdefault(key, {"buckets": []})
                if sample_name.endswith("_bucket"):
                    s["buckets"].append((float(labels["le"]), v))
                else:
                    s[sample_name.rsplit("_", 1)[1]] = v
            self.assertTrue(series, name)
            for key, s in series.items():
                counts = [n for _, n in s["buckets"]]
                self.assertEqual([le for le, _ in s["buckets"]],
                                 sorted(le for le, _ in s["buckets"]), (name, key))
                self.assertEqual(counts, sorted(counts), (name, key))
                self.assertEqual(s["buckets"][-1][0], math.inf)
                self.assertEqual(counts[-1], s["count"], (name, key))
                self.assertGreaterEqual(s["sum"], 0)
        processing = families["orderflow_processing_latency_seconds"]["samples"]
        self.assertGreaterEqual([v for n, _, v in processing if n.endswith("_count")][0], 5)
        receives = families["orderflow_queue_receive_duration_seconds"]["samples"]
        self.assertGreaterEqual([v for n, _, v in receives if n.endswith("_count")][0], 1)

    def test_json_variant(self):
        r = self.c.get("/metrics", headers={"Accept": "application/json"})
        self.assertEqual(r.status, 200)
        m = r.json()
        for key in ("timestamp", "uptime", "memory", "services", "orders", "queue", "http"):
            self.assertIn(key, m)
        self.assertGreater(m["memory"]["rss"], 0)
        self.assertEqual(m["services"]["database"], "connected")
        self.assertGreaterEqual(m["orders"]["by_status"]["confirmed"], 5)
        self.assertGreaterEqual(m["queue"]["sent"], 5)
        posts = [x for x in m["http"]["routes"] if x["route"] == "/api/orders" and x["method"] == "POST"]
        self.assertEqual(posts[0]["count"], 5)


if __name__ == "__main__":
    unittest.main()
