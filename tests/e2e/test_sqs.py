"""QUEUE_BACKEND=sqs on PostgreSQL, what the shared suites do not reach: an intake record left
without its message (the process died after storing it and before SQS took the message) is
completed by the client's retry with the same Idempotency-Key, and its order is then applied."""
import unittest
import uuid

import sqs
from harness import ON_POSTGRES, ON_SQS_QUEUE, Server, psql, wait_processed


@unittest.skipUnless(ON_SQS_QUEUE and ON_POSTGRES, "the queue on SQS, in front of PostgreSQL")
class PendingIntakeTest(unittest.TestCase):
    def test_a_record_left_without_its_message_is_completed_by_the_retry(self):
        order = {"order_id": "pending-1", "customer_id": "c-pending", "amount": "4.00"}
        key = {"Idempotency-Key": "pending-key-1"}
        with Server(args=["--role", "api"]) as first_api:
            c = first_api.client()
            self.assertEqual(c.post("/api/orders", order, headers=key).status, 202)
            c.close()
            database = first_api.database_url
            # As if the process had died after storing the record and before SQS took the
            # message: the record has no message id and is older than any live send. (The next
            # processes use another queue, which has not seen the message.)
            psql(database, "UPDATE order_intake SET message_id = '', created_at = created_at - "
                           "120000 WHERE order_id = 'pending-1'")
            queue = sqs.fifo_queue_with_dlq("e2e-pending-" + uuid.uuid4().hex[:12])
            self.addCleanup(sqs.delete_queues, queue)
            shared = {"DATABASE_URL": database, "SQS_QUEUE_URL": queue}
            with Server(env=shared, args=["--role", "api"]) as api:
                c = api.client()

                def depth():
                    s = c.get("/sqs/stats").json()
                    return s["visible"] + s["in_flight"] + s["delayed"]

                again = c.post("/api/orders", order, headers=key)
                self.assertEqual(again.status, 202, again)
                self.assertEqual(again.json()["order_id"], "pending-1")
                self.assertNotEqual(again.json()["message_id"], "")
                self.assertEqual(depth(), 1, "the message is in SQS")
                # A replay now answers from the completed record, without sending again.
                replay = c.post("/api/orders", order, headers=key)
                self.assertEqual(replay.json()["message_id"], again.json()["message_id"])
                self.assertEqual(depth(), 1)
                with Server(env=shared, args=["--role", "worker"]):
                    self.assertEqual(wait_processed(c, "pending-1"), "confirmed")
                events = c.get("/api/orders/pending-1/events").json()["events"]
                self.assertEqual([e["type"] for e in events].count("order.accepted"), 1)
                c.close()


if __name__ == "__main__":
    unittest.main()
