"""Starts the real orderflow binary on a free port and talks HTTP to it (standard library only)."""
import concurrent.futures
import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import sqs

BIN = os.environ.get("ORDERFLOW_BIN", os.path.join(os.path.dirname(__file__), "../../build/debug/orderflow"))
# "postgres": every server runs on a database of its own (one per data directory) on the
# PostgreSQL server of DATABASE_URL; "mysql": the same on the MariaDB server of MYSQL_URL; else
# on the embedded SQLite file.
ON_POSTGRES = os.environ.get("ORDERFLOW_E2E_DATABASE") == "postgres"
ON_MYSQL = os.environ.get("ORDERFLOW_E2E_DATABASE") == "mysql"
ON_SERVER_DATABASE = ON_POSTGRES or ON_MYSQL
# With ORDERFLOW_E2E_REDIS=1 every server keeps its cache and carts in the Redis of REDIS_URL,
# under a key prefix of its own (one per data directory).
ON_REDIS = os.environ.get("ORDERFLOW_E2E_REDIS") == "1"
CACHE_BACKEND = "redis" if ON_REDIS else "memory"
# With ORDERFLOW_E2E_QUEUE=redis as well, the queue and the orders' intake are in that Redis.
ON_REDIS_QUEUE = ON_REDIS and os.environ.get("ORDERFLOW_E2E_QUEUE") == "redis"
# With ORDERFLOW_E2E_QUEUE=sqs, the queue is a FIFO queue of its own (one per data directory) on
# the SQS emulator of SQS_ENDPOINT_URL, with its dead-letter queue.
ON_SQS_QUEUE = ON_SERVER_DATABASE and os.environ.get("ORDERFLOW_E2E_QUEUE") == "sqs"


def psql(url, sql):
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True)


def psql_ok(url, sql="SELECT 1"):
    return subprocess.run(["psql", url, "-qc", sql], capture_output=True).returncode == 0


def mysql(url, sql, check=True):
    """Runs `sql` with MariaDB's client on the server of a mysql:// URL (no database chosen);
    whether it succeeded."""
    u = urllib.parse.urlsplit(url)
    return subprocess.run(["mariadb", "--no-defaults", "-h", u.hostname, "-P", str(u.port or 3306),
                           "-u", urllib.parse.unquote(u.username or "root"),
                           "-p" + urllib.parse.unquote(u.password or ""), "-e", sql],
                          check=check, capture_output=True).returncode == 0


@contextlib.contextmanager
def replica_replay_paused():
    """On PostgreSQL or MariaDB with a replica (scripts/services): replay stops on the replica
    for the block, so that it lags the primary for sure. Serialised with the C++ replica tests,
    which pause the same replica, by their lock file. Without a replica: does nothing."""
    if ON_POSTGRES and os.environ.get("DATABASE_REPLICA_URLS"):
        url = os.environ["DATABASE_REPLICA_URLS"].split(",")[0].strip()
        kind, pause, resume = "postgres", "SELECT pg_wal_replay_pause()", "SELECT pg_wal_replay_resume()"
        run = psql
    elif ON_MYSQL and os.environ.get("MYSQL_REPLICA_ADMIN_URL"):
        url = os.environ["MYSQL_REPLICA_ADMIN_URL"]
        kind, pause, resume = "mysql", "STOP SLAVE SQL_THREAD", "START SLAVE SQL_THREAD"
        run = mysql
    else:
        yield
        return
    with open(f"/tmp/orderflow-replica-replay-{kind}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run(url, pause)
        try:
            yield
        finally:
            run(url, resume)


def needs_sqlite(test):
    """For tests that inject faults through the SQLite file itself."""
    import unittest
    return unittest.skipIf(ON_SERVER_DATABASE, "injects its fault through the SQLite file")(test)


def listens_on(pid, port):
    """Whether process `pid` has a TCP socket listening on `port` (from /proc)."""
    inodes = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(fields[9])
        except OSError:
            pass
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            return True
    return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Client:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, port, timeout=30):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None, raw=None):
        headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                payload = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                # Binary files (an icon) are not compared byte for byte: replaced bytes are fine.
                return Response(r.status, r.getheaders(), payload.decode(errors="replace"))
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 1:
                    raise
            except Exception:
                self.close()
                raise
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Server:
    """An orderflow process with its own data directory."""

    # The latest ones started, whose logs a timed-out wait shows.
    recent = []

    def __init__(self, env=None, args=(), data_dir=None):
        self.port = free_port()
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="orderflow-e2e-")
        self.env = dict(os.environ)
        # These suites test the embedded default; the service URLs of scripts/test are for others.
        for name in ("DATABASE_URL", "DATABASE_REPLICA_URLS", "REDIS_URL"):
            self.env.pop(name, None)
        self.env.update({"PORT": str(self.port), "DATA_DIR": self.data_dir, "LOG_LEVEL": "warn"})
        self.database_url = None
        if ON_POSTGRES:
            base = os.environ["DATABASE_URL"]
            name = "e2e_" + hashlib.sha1(self.data_dir.encode()).hexdigest()[:16]
            try:
                psql(base, f"CREATE DATABASE {name}")
            except subprocess.CalledProcessError:
                pass  # a restart on the same data directory: the database is there already
            self.database_url = base.rsplit("/", 1)[0] + "/" + name
            self.env["DATABASE_URL"] = self.database_url
            # The replicas stream the whole cluster: the same database name is there too.
            replicas = os.environ.get("DATABASE_REPLICA_URLS")
            if replicas:
                urls = [r.strip().rsplit("/", 1)[0] + "/" + name for r in replicas.split(",")]
                self.env["DATABASE_REPLICA_URLS"] = ",".join(urls)
                for url in urls:
                    wait_until(lambda: psql_ok(url), what=f"{name} on the replica")
        if ON_MYSQL:
            base = os.environ["MYSQL_URL"]
            name = "e2e_" + hashlib.sha1(self.data_dir.encode()).hexdigest()[:16]
            mysql(base, f"CREATE DATABASE IF NOT EXISTS {name}")
            self.database_url = base.rsplit("/", 1)[0] + "/" + name
            self.env["DATABASE_URL"] = self.database_url
            # The GTID replica replays the whole server: the database reaches it too.
            replicas = os.environ.get("MYSQL_REPLICA_URLS")
            if replicas:
                urls = [r.strip().rsplit("/", 1)[0] + "/" + name for r in replicas.split(",")]
                self.env["DATABASE_REPLICA_URLS"] = ",".join(urls)
                for url in urls:
                    wait_until(lambda: mysql(url, f"USE {name}", check=False),
                               what=f"{name} on the replica")
        if ON_REDIS:
            self.env["REDIS_URL"] = os.environ["REDIS_URL"]
            self.env["REDIS_KEY_PREFIX"] = "e2e-" + hashlib.sha1(self.data_dir.encode()).hexdigest()[:12] + ":"
            if ON_REDIS_QUEUE:
                self.env["QUEUE_BACKEND"] = "redis"
                # The queue's own connection setting (the same Redis here).
                self.env["QUEUE_REDIS_URL"] = os.environ["REDIS_URL"]
        self.sqs_queue_url = None
        if ON_SQS_QUEUE:
            # A queue of its own, unless given one (another process's, to share).
            queue_url = (env or {}).get("SQS_QUEUE_URL")
            if not queue_url:
                queue_url = self.sqs_queue_url = sqs.fifo_queue_with_dlq(
                    "e2e-" + hashlib.sha1(self.data_dir.encode()).hexdigest()[:16])
            self.env.update(sqs.server_env(queue_url))
        self.env.update(env or {})
        self.args = list(args)
        self.proc = None
        self.preexec_fn = None  # run in the child before exec (resource limits)
        self.log_path = os.path.join(self.data_dir, f"server-{self.port}.log")

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, *self.args], env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=self.preexec_fn)
        Server.recent = [s for s in Server.recent if s is not self][-2:] + [self]
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.read_log()}")
            # Ours, not a server of another test that took the port between free_port() and
            # our bind (ours then exits with "Address already in use").
            if not listens_on(self.proc.pid, self.port):
                time.sleep(0.05)
                continue
            try:
                c = Client(self.port)
                if c.get("/ready").status == 200:
                    c.close()
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become ready: " + self.read_log())

    def client(self):
        return Client(self.port)

    # `with Server(...) as s:` starts it and cleans it up (cleanup's exit-code check included).
    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup_quietly()
            raise

    def __exit__(self, *exc):
        self.cleanup()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if hasattr(self, "log"):
            self.log.close()
        return self.proc.returncode if self.proc else None

    def kill(self):
        return self.stop(signal.SIGKILL)

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-int(os.environ.get("E2E_LOG_TAIL", "4000")):]
        except OSError:
            return ""

    def cleanup_quietly(self):
        """cleanup() for a server that failed to start: the start's own error is the one to report."""
        try:
            self.cleanup()
        except AssertionError:
            pass

    def cleanup(self):
        """Stops the server gracefully (unless it already exited) and insists on exit code 0,
        so that a crash, a sanitizer report or a leak at exit fails the test."""
        running = self.proc is not None and self.proc.poll() is None
        code = self.stop()
        log = self.read_log()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            if self.database_url:
                drop_database(self.database_url)
            if self.sqs_queue_url:
                sqs.delete_queues(self.sqs_queue_url)
        if running and code != 0:
            raise AssertionError(f"server exited with {code} on SIGTERM:\n{log}")
        # Exited by itself before the end (a crash, a sanitizer report), not killed by the test.
        if not running and code not in (None, 0, -signal.SIGKILL, -signal.SIGTERM):
            raise AssertionError(f"server exited with {code} during the test:\n{log}")


class ClientThreads:
    """`n` threads each running self.run(k) until self.stop is set; finish() stops them and
    re-raises the first client's failure. Subclasses set their fields, then call start()."""

    def start(self, n):
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.pool = concurrent.futures.ThreadPoolExecutor(n)
        self.futures = [self.pool.submit(self.run, k) for k in range(n)]

    def finish(self):
        self.stop.set()
        for f in self.futures:
            f.result()
        self.pool.shutdown()


class Services:
    """A PostgreSQL (primary + replica) and a Redis of the test's own (scripts/services), for
    tests that stop or freeze them."""
    SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/services")

    def __init__(self):
        # World-traversable (the servers run as their own users), unlike mkdtemp's 0700.
        self.dir = os.path.join(tempfile.gettempdir(), "orderflow-services-" + os.urandom(4).hex())
        self.run("start")
        with open(os.path.join(self.dir, "env")) as f:
            self.env = dict(line.strip().split("=", 1) for line in f if "=" in line)

    def run(self, command):
        subprocess.run([self.SCRIPT, command, self.dir], check=True, capture_output=True)

    def stop(self):
        self.run("stop")


def can_start_services():
    return os.geteuid() == 0 or shutil.which("sudo") is not None


def drop_database(url):
    base, name = url.rsplit("/", 1)
    try:
        if url.startswith("mysql://"):
            mysql(os.environ["MYSQL_URL"], f"DROP DATABASE IF EXISTS {name}")
        else:
            psql(os.environ["DATABASE_URL"], f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    except subprocess.CalledProcessError:
        pass


def applied_once(c, order_ids, timeout=60):
    """Waits for the queue of the server behind `c` to drain, then checks each order: returns
    the ones missing, the ones applied other than once (accepted or confirmed twice, or not at
    all) with their event types, and the ones whose status is not confirmed."""
    def drained():
        s = c.get("/sqs/stats").json()
        return s["visible"] + s["in_flight"] + s["delayed"] == 0 and s

    wait_until(drained, timeout=timeout, interval=0.2, what="the queue to drain")
    missing, not_once, unconfirmed = [], [], []
    for oid in order_ids:
        r = c.get(f"/api/orders/{oid}")
        if r.status != 200:
            missing.append(oid)
            continue
        if r.json()["status"] != "confirmed":
            unconfirmed.append((oid, r.json()["status"]))
        types = [e["type"] for e in c.get(f"/api/orders/{oid}/events").json()["events"]]
        if types.count("order.accepted") != 1 or types.count("order.confirmed") != 1:
            not_once.append((oid, types))
    return missing, not_once, unconfirmed


def wait_until(predicate, timeout=15, interval=0.02, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


# Shared by the e2e test modules.
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def order_status(c, order_id):
    r = c.get(f"/api/orders/{order_id}")
    return r.json()["status"] if r.status == 200 else r.status


def wait_processed(c, order_id, status=None):
    seen = []

    def done():
        s = order_status(c, order_id)
        seen[:] = [s]
        if status is None:
            return s if s not in ("queued", "pending") else None
        return s if s == status else None
    try:
        return wait_until(done, what=f"order {order_id} to be processed")
    except AssertionError as e:
        # What the servers logged meanwhile is what tells why.
        logs = "".join(f"\n--- log of the server on :{s.port}:\n{s.read_log()}" for s in Server.recent)
        raise AssertionError(f"{e}; its status: {seen[-1] if seen else None!r}{logs}") from None


class Shared(unittest.TestCase):
    """One server for the tests that do not need their own configuration."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"CORS_ORIGINS": "https://shop.example"}).start()
        cls.c = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        cls.server.cleanup()

    def assertProblem(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("Content-Type"), "application/problem+json")
        body = r.json()
        self.assertEqual(body["status"], status)
        self.assertEqual(body["code"], code)
        for key in ("type", "title", "detail", "request_id"):
            self.assertIn(key, body)
        self.assertEqual(body["request_id"], r.header("X-Request-ID"))
        return body

    def create(self, body, headers=None):
        r = self.c.post("/api/orders", body, headers=headers)
        self.assertEqual(r.status, 202, r)
        return r
