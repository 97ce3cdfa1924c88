"""Crash test: kill -9 the server during a burst of concurrent POSTs, restart it, and check
that every order that got a 202 is present and processed exactly once."""
import concurrent.futures
import os
import random
import shutil
import threading
import time
import unittest
import uuid

from harness import Client, Server, applied_once, drop_database

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "3"))
CLIENTS = 16


def burst(port, stop, accepted, lock):
    c = Client(port, timeout=5)
    while not stop.is_set():
        headers = {}
        body = {"customer_id": "crash", "amount": "1.00"}
        kind = random.random()
        if kind < 0.25:
            headers["Idempotency-Key"] = "crash-" + uuid.uuid4().hex
        elif kind < 0.5:
            body["order_id"] = "crash-" + uuid.uuid4().hex
        try:
            r = c.post("/api/orders", body, headers=headers)
        except Exception:
            c.close()
            if stop.is_set():
                return
            time.sleep(0.01)
            continue
        if r.status == 202:
            with lock:
                accepted.append(r.json()["order_id"])


class CrashTest(unittest.TestCase):
    def test_kill9_under_load_loses_nothing_and_applies_nothing_twice(self):
        # A short visibility timeout lets the restarted worker take over batches the killed
        # process had received but not committed.
        env = {"VISIBILITY_TIMEOUT": "2s"}
        server = Server(env=env).start()
        data_dir = server.data_dir
        accepted, lock = [], threading.Lock()
        try:
            for round_no in range(1, ROUNDS + 1):
                stop = threading.Event()
                with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
                    for _ in range(CLIENTS):
                        pool.submit(burst, server.port, stop, accepted, lock)
                    time.sleep(random.uniform(0.8, 1.6))
                    before = len(accepted)
                    server.kill()
                    stop.set()
                self.assertEqual(server.proc.returncode, -9)
                print(f"round {round_no}: killed with {before} orders accepted so far", flush=True)
                server = Server(env=env, data_dir=data_dir).start()
            c = server.client()
            missing, duplicated, wrong = applied_once(c, accepted)
            self.assertEqual(c.get("/sqs/stats").json()["dead_letter"], 0)
            totals = c.get("/api/stats").json()["orders"]
            listed = c.get("/api/orders?customer_id=crash&limit=1").json()["total"]
            print(f"crash test: {ROUNDS} kills, {len(accepted)} accepted (202), {listed} processed, "
                  f"{len(missing)} lost, {len(duplicated)} applied twice", flush=True)
            self.assertEqual(missing, [])
            self.assertEqual(duplicated, [])
            self.assertEqual(wrong, [])
            self.assertEqual(len(set(accepted)), len(accepted), "two 202s named one order")
            # Requests cut off by the kill may have committed without their 202 reaching the
            # client: processed >= accepted, and every processed order is one that was sent.
            self.assertGreaterEqual(listed, len(accepted))
            self.assertEqual(totals["total"], listed)
            c.close()
        finally:
            server.cleanup()
            shutil.rmtree(data_dir, ignore_errors=True)
            if server.database_url:
                drop_database(server.database_url)


if __name__ == "__main__":
    unittest.main()
