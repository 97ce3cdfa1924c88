"""Hostile clients: malformed, huge, slow, many. Each probe runs against a real server; after it
the server must answer /health within a second, keep its memory bounded, answer no 5xx, and
have lost nothing it accepted (checked at the end of each class)."""
import json
import os
import resource
import socket
import threading
import time
import unittest
import uuid

import harness
from harness import Server, wait_until

MiB = 1024 * 1024


def sanitizer_quarantine():
    """In the sanitizer build, ASan keeps freed memory in a quarantine of up to 256 MiB, which
    RSS counts: a smaller one keeps RSS a measure of what the server holds."""
    options = os.environ.get("ASAN_OPTIONS", "")
    return {"ASAN_OPTIONS": (options + ":" if options else "") + "quarantine_size_mb=8"}


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw(port, data, timeout=5, read=True):
    """Sends bytes on a new connection and returns everything the server sends back until it
    closes the connection or goes quiet for `timeout`."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while read:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
        return out


def responses(data):
    """The status codes of the HTTP responses in `data`, in order."""
    return [int(line.split()[1]) for line in data.split(b"\r\n") if line.startswith(b"HTTP/1.")]


def problem_of(data):
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"application/problem+json" in head, data[:500]
    return json.loads(body.decode("utf-8"))  # strict: a problem body is valid UTF-8


class Hostile(unittest.TestCase):
    ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={**sanitizer_quarantine(), **cls.ENV}).start()
        cls.c = cls.server.client()
        cls.accepted = []

    @classmethod
    def tearDownClass(cls):
        try:
            missing, not_once, unconfirmed = harness.applied_once(cls.c, cls.accepted)
            assert not missing and not not_once, (missing, not_once)
        finally:
            cls.c.close()
            cls.server.cleanup()

    def setUp(self):
        # An order accepted before every probe: none may be lost to it.
        r = self.c.post("/api/orders", {"items": [{"name": "Probe", "unit_price": "1.00", "quantity": 1}]})
        self.assertEqual(r.status, 202, r)
        self.accepted.append(r.json()["order_id"])
        self.rss_before = rss_bytes(self.server.proc.pid)

    def tearDown(self):
        self.assertHealthy()
        grown = rss_bytes(self.server.proc.pid) - self.rss_before
        self.assertLess(grown, 48 * MiB, f"RSS grew by {grown / MiB:.1f} MiB during the probe")

    def assertHealthy(self):
        t0 = time.time()
        fresh = harness.Client(self.server.port, timeout=1)
        try:
            self.assertEqual(fresh.get("/health").status, 200)
        finally:
            fresh.close()
        self.assertLess(time.time() - t0, 1.0)

    def assertProblem(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("Content-Type"), "application/problem+json")
        self.assertEqual(r.json()["code"], code)


class FramingTest(Hostile):
    ENV = {"HEADER_TIMEOUT": "2s", "IDLE_TIMEOUT": "30s"}

    def test_a_chunk_line_that_never_ends_is_cut_off(self):
        # Issue 12: a chunk extension of 192 MiB was buffered whole (RSS +197 MB).
        head = (b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n1;")
        sent = 0
        got = b""
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            s.sendall(head)
            try:
                while sent < 64 * MiB:
                    s.sendall(b"a" * MiB)
                    sent += MiB
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                s.settimeout(3)
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            except (socket.timeout, ConnectionResetError):
                pass
        self.assertLess(sent, 64 * MiB, "the server read the whole line")
        if got:
            self.assertEqual(responses(got), [400])

    def test_a_transfer_coding_other_than_chunked_is_refused_and_nothing_is_smuggled(self):
        smuggled = "smuggled-" + uuid.uuid4().hex
        second = json.dumps({"order_id": smuggled, "amount": "1.00"}).encode()
        data = (b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: gzip\r\n\r\n"
                b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(second)}\r\n\r\n".encode() + second)
        out = raw(self.server.port, data)
        self.assertEqual(responses(out), [400])
        self.assertEqual(problem_of(out)["code"], "validation_failed")
        time.sleep(0.2)
        self.assertEqual(self.c.get(f"/api/orders/{smuggled}").status, 404)
        # Chunked not last, and Transfer-Encoding with Content-Length.
        for te in (b"chunked, gzip", b"gzip, chunked"):
            out = raw(self.server.port, b"POST /api/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                      + te + b"\r\n\r\n0\r\n\r\n")
            self.assertEqual(responses(out), [400], te)
        out = raw(self.server.port, b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        self.assertEqual(responses(out), [400])

    def test_a_malformed_chunk_is_answered_400(self):
        out = raw(self.server.port, b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
        self.assertEqual(responses(out), [400])
        problem_of(out)

    def test_host_is_required_once(self):
        self.assertEqual(responses(raw(self.server.port, b"GET /health HTTP/1.1\r\n\r\n")), [400])
        self.assertEqual(responses(raw(self.server.port, b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")), [400])
        # HTTP/1.0 has no Host requirement.
        self.assertEqual(responses(raw(self.server.port, b"GET /health HTTP/1.0\r\n\r\n")), [200])

    def test_oversized_headers_and_urls_get_431_and_414(self):
        big_header = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (17 * 1024) + b"\r\n\r\n"
        out = raw(self.server.port, big_header)
        self.assertEqual(responses(out), [431])
        self.assertEqual(problem_of(out)["status"], 431)
        many = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(4000)) + b"\r\n"
        self.assertEqual(responses(raw(self.server.port, many)), [431])
        out = raw(self.server.port, b"GET /api/products?q=" + b"a" * (100 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(responses(out), [414])
        out = raw(self.server.port, b"GET /api/products?q=" + b"a" * (9 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(responses(out), [414])

    def test_head_is_get_without_a_body(self):
        out = raw(self.server.port, b"HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, body = out.partition(b"\r\n\r\n")
        self.assertEqual(responses(out), [200])
        self.assertEqual(body, b"")
        length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        self.assertTrue(length and int(length[0].split(b":")[1]) > 0, head)
        r = self.c.request("HEAD", "/api/products")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, "")
        self.assertIn("HEAD", self.c.request("PUT", "/health").header("Allow"))

    def test_the_next_request_on_a_connection_has_the_header_timeout(self):
        # Issue 12: after a first request, the next one's headers could drip for IDLE_TIMEOUT.
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"200 OK", s.recv(65536))
            s.sendall(b"GET /health HTTP/1.1\r\n")
            t0 = time.time()
            closed = False
            try:
                while time.time() - t0 < 8:
                    s.sendall(b"X")
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            if not closed:
                s.settimeout(1)
                try:
                    closed = s.recv(1) == b""
                except ConnectionResetError:
                    closed = True
            self.assertTrue(closed)
            self.assertLess(time.time() - t0, 5, "HEADER_TIMEOUT is 2s here")


class InputTest(Hostile):
    ENV = {"LOG_LEVEL": "info"}

    def test_money_numbers_are_refused_exactly_when_their_text_is(self):
        for amount in ("9999.999", "10000000000.004", "10.000", "1e2", "-0.5"):
            body = ('{"amount": %s}' % amount).encode()
            r = self.c.request("POST", "/api/orders", raw=body, headers={"Content-Type": "application/json"})
            self.assertProblem(r, 400, "validation_failed")
            self.assertEqual(r.json()["errors"][0]["field"], "amount", amount)
            r = self.c.post("/api/orders", {"amount": amount})
            self.assertProblem(r, 400, "validation_failed")
        r = self.c.request("POST", "/api/orders", raw=b'{"items":[{"name":"x","unit_price":3.505,"quantity":1}]}',
                           headers={"Content-Type": "application/json"})
        self.assertProblem(r, 400, "validation_failed")
        r = self.c.request("POST", "/api/orders", raw=b'{"amount": 10.50}', headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 202, r)
        self.accepted.append(r.json()["order_id"])
        o = wait_until(lambda: (lambda x: x if x["status"] == "confirmed" else None)(
            self.c.get(f"/api/orders/{r.json()['order_id']}").json()))
        self.assertEqual(o["subtotal"], "10.50")

    def test_shipping_address_is_capped(self):
        for address in ({"line": "x" * (MiB // 2)}, {f"k{i}": "v" for i in range(33)}, {"a": "x" * 2100}):
            r = self.c.post("/api/orders", {"amount": "1.00", "shipping_address": address})
            self.assertProblem(r, 400, "validation_failed")
            self.assertEqual(r.json()["errors"][0]["field"], "shipping_address")
        r = self.c.post("/api/orders", {"amount": "1.00", "shipping_address": {f"k{i}": "v" * 50 for i in range(32)}})
        self.assertEqual(r.status, 202, r)
        self.accepted.append(r.json()["order_id"])

    def test_invalid_utf8_and_nul_are_refused_with_400(self):
        # Issue 12: on PostgreSQL each of these was a 500 ("invalid byte sequence").
        for path in ("/api/orders?customer_id=%ff", "/api/products?q=%ff", "/api/orders/%ff/events",
                     "/api/orders/%ff", "/api/products?q=a%00b", "/api/orders?%ff=1"):
            r = self.c.get(path)
            self.assertProblem(r, 400, "validation_failed")
            r.body.encode("utf-8")
        out = raw(self.server.port, b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Idempotency-Key: k\xff\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{\"amount\":\"1.00\"}")
        self.assertEqual(responses(out), [400])
        self.assertEqual(problem_of(out)["errors"][0]["field"], "Idempotency-Key")
        r = self.c.request("POST", "/api/orders", raw=b'{"amount":"1.00","customer_name":"ab\\u0000cd"}',
                           headers={"Content-Type": "application/json"})
        self.assertProblem(r, 400, "validation_failed")
        self.assertIn("NUL", r.json()["errors"][0]["message"])

    def test_error_bodies_and_log_lines_are_valid_utf8(self):
        out = raw(self.server.port, b"GET /nowhere/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        problem_of(out)
        self.c.get("/nowhere/%ff%c3")
        self.c.get("/health")
        time.sleep(0.3)
        with open(self.server.log_path, "rb") as f:
            lines = f.read().splitlines()
        self.assertGreater(len(lines), 5)
        for line in lines:
            entry = json.loads(line.decode("utf-8"))  # strict
            if "duration_ms" in entry:
                self.assertNotIn(b"E-", line.split(b'"duration_ms":')[1][:20], line)

    def test_oversized_bodies_and_documents(self):
        big = b'{"amount":"1.00","pad":"' + b"a" * (2 * MiB) + b'"}'
        r = self.c.request("POST", "/api/orders", raw=big, headers={"Content-Type": "application/json"})
        self.assertProblem(r, 413, "payload_too_large")
        deep = b"[" * 10000 + b"]" * 10000
        r = self.c.request("POST", "/api/orders", raw=deep, headers={"Content-Type": "application/json"})
        self.assertProblem(r, 400, "validation_failed")
        r = self.c.post("/api/orders", {"items": [{"name": "x", "unit_price": "1", "quantity": 1}] * 101})
        self.assertProblem(r, 400, "validation_failed")
        r = self.c.post("/api/orders", {"amount": "1.00", "customer_name": "x" * 256})
        self.assertProblem(r, 400, "validation_failed")

    def test_made_up_methods_do_not_grow_the_metrics(self):
        # Issue 12: 2,000 made-up methods grew /metrics from 66 KB to 4 MB.
        before = len(self.c.get("/metrics").body)
        for i in range(2000):
            r = self.c.request(f"M{i}", "/health")
            self.assertLess(r.status, 500)
        after = self.c.get("/metrics").body
        self.assertLess(len(after), before + 8 * 1024)
        self.assertIn('method="other"', after)
        self.assertNotIn('method="M1"', after)

    def test_security_headers(self):
        r = self.c.get("/health")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        r = self.c.get("/api/orders/nope")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        docs = self.c.get("/docs")
        if docs.status == 200:
            self.assertIn("default-src 'self'", docs.header("Content-Security-Policy"))


class ConnectionsTest(Hostile):
    def test_many_idle_connections(self):
        socks = []
        try:
            for _ in range(500):
                socks.append(socket.create_connection(("127.0.0.1", self.server.port)))
            self.assertHealthy()
        finally:
            for s in socks:
                s.close()

    def test_slow_readers_that_never_read(self):
        socks = []
        try:
            for _ in range(50):
                s = socket.create_connection(("127.0.0.1", self.server.port))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n" * 20)
                socks.append(s)
            time.sleep(0.5)
            self.assertHealthy()
        finally:
            for s in socks:
                s.close()

    def test_a_pipelined_flood_is_answered_in_order(self):
        n = 5000
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" * n)
            s.shutdown(socket.SHUT_WR)  # half-closed: the answers still come
            got = b""
            while got.count(b"HTTP/1.1 200") < n:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                got += chunk
        self.assertEqual(got.count(b"HTTP/1.1 200"), n)

    def test_a_half_closed_request_is_answered(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            s.shutdown(socket.SHUT_WR)
            got = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        self.assertEqual(responses(got), [200])

    def test_connections_opened_and_dropped_mid_request(self):
        for i in range(300):
            with socket.create_connection(("127.0.0.1", self.server.port)) as s:
                s.sendall(b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 100\r\n\r\n{\"amount\"")
                if i % 2:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


class DescriptorLimitTest(unittest.TestCase):
    def test_out_of_descriptors_neither_spins_nor_locks_out_new_clients(self):
        # Issue 12: with `ulimit -n 128` and 200 idle connections the accept loop spun at 113 %
        # CPU and a fresh /health timed out.
        server = Server()

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

        server.preexec_fn = limit
        server.start()
        socks = []
        try:
            for _ in range(200):
                try:
                    socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=1))
                except OSError:
                    break
            time.sleep(0.5)
            cpu0, t0 = cpu_seconds(server.proc.pid), time.time()
            time.sleep(2)
            share = (cpu_seconds(server.proc.pid) - cpu0) / (time.time() - t0)
            self.assertLess(share, 0.3, f"the server used {share:.0%} CPU while idle")
            t0 = time.time()
            fresh = harness.Client(server.port, timeout=2)
            self.assertEqual(fresh.get("/health").status, 200)
            self.assertLess(time.time() - t0, 1.0)
            fresh.close()
        finally:
            for s in socks:
                s.close()
            server.cleanup()


class AdminExposureTest(unittest.TestCase):
    def test_a_forwarded_request_is_not_local(self):
        # Issue 12: through the shipped nginx (which connects from 127.0.0.1) DELETE /sqs/purge
        # answered 200 to anyone.
        with Server() as s, s.client() as c:
            for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
                r = c.delete("/sqs/purge", headers={header: "203.0.113.9"})
                self.assertEqual(r.status, 401, header)
            self.assertEqual(c.delete("/sqs/purge").status, 200)
        with Server(env={"TRUSTED_PROXIES": "127.0.0.1"}) as s:
            self.assertEqual(s.client().delete("/sqs/purge").status, 401, "the peer is a proxy")

    def test_a_loopback_client_of_a_dual_stack_listener_is_local(self):
        # Issue 12: with HOST=:: a 127.0.0.1 client arrived as ::ffff:127.0.0.1 and was refused.
        s = Server(env={"HOST": "::"})
        try:
            s.start()
        except RuntimeError as e:
            self.skipTest(f"no IPv6 here: {e}")
        try:
            c = s.client()
            self.assertEqual(c.delete("/sqs/purge").status, 200)
            c.close()
        finally:
            s.cleanup()

    def test_the_bearer_scheme_is_case_insensitive(self):
        with Server(env={"ADMIN_TOKEN": "s3cret"}) as s, s.client() as c:
            for scheme in ("Bearer", "bearer", "BEARER"):
                self.assertEqual(c.delete("/sqs/purge", headers={"Authorization": f"{scheme} s3cret"}).status, 200)
            self.assertEqual(c.delete("/sqs/purge", headers={"Authorization": "Basic s3cret"}).status, 401)
            self.assertEqual(c.delete("/sqs/purge", headers={"Authorization": "bearer S3CRET"}).status, 401)


class RateLimitTest(unittest.TestCase):
    def test_a_client_past_its_burst_gets_429_and_probes_never_do(self):
        with Server(env={"RATE_LIMIT_RPS": "2", "RATE_LIMIT_BURST": "5"}) as s, s.client() as c:
            statuses = [c.get("/api/products/categories").status for _ in range(8)]
            self.assertEqual(statuses[:5], [200] * 5)
            r = c.get("/api/products/categories")
            self.assertEqual(r.status, 429)
            self.assertEqual(r.header("Content-Type"), "application/problem+json")
            self.assertEqual(r.json()["code"], "rate_limited")
            self.assertGreaterEqual(int(r.header("Retry-After")), 1)
            for _ in range(50):
                self.assertEqual(c.get("/health").status, 200)
                self.assertEqual(c.get("/ready").status, 200)
            # A header the client writes itself changes nothing without a trusted proxy.
            r = c.get("/api/products/categories", headers={"X-Forwarded-For": "198.51.100.1"})
            self.assertEqual(r.status, 429)
            time.sleep(1.1)
            self.assertEqual(c.get("/api/products/categories").status, 200, "refilled at 2/s")

    def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(self):
        with Server(env={"RATE_LIMIT_RPS": "1", "RATE_LIMIT_BURST": "3", "TRUSTED_PROXIES": "127.0.0.0/8"}) as s, s.client() as c:
            a = {"X-Forwarded-For": "198.51.100.1"}
            b = {"X-Forwarded-For": "198.51.100.2"}
            self.assertEqual([c.get("/api/stats", headers=a).status for _ in range(4)], [200, 200, 200, 429])
            self.assertEqual([c.get("/api/stats", headers=b).status for _ in range(3)], [200, 200, 200])


if __name__ == "__main__":
    unittest.main()
