"""SQS for the tests (standard library only): SQS's JSON protocol against the emulator that
scripts/services starts (SQS_ENDPOINT_URL), each request signed with Signature Version 4 by hand
(hmac, hashlib), a signer of its own beside orderflow's and the AWS SDK's in the emulator."""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import urllib.parse

REGION = "us-east-1"
ACCESS_KEY_ID = "AKIDEXAMPLE"


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def call(action, request, services=None):
    """Calls SQS's `action` with `request` (a dict) and returns its answer (a dict), on the
    emulator of `services` (a services env file's variables), else of this process's env."""
    services = services or os.environ
    endpoint = urllib.parse.urlsplit(services["SQS_ENDPOINT_URL"])
    secret = services["SQS_TEST_SECRET_ACCESS_KEY"]
    body = json.dumps(request).encode()
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {"content-type": "application/x-amz-json-1.0", "host": endpoint.netloc,
               "x-amz-date": amz_date, "x-amz-target": "AmazonSQS." + action}
    names = sorted(headers)
    canonical = "\n".join(["POST", "/", "", *(f"{n}:{headers[n]}" for n in names), "",
                           ";".join(names), hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{REGION}/sqs/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), day), REGION), "sqs"), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    conn = http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        r = conn.getresponse()
        answer = json.loads(r.read() or b"{}")
    finally:
        conn.close()
    if r.status != 200:
        raise RuntimeError(f"SQS {action}: {r.status} {answer}")
    return answer


def fifo_queue_with_dlq(name, max_receive_count=4, services=None):
    """The URL of the FIFO queue `name`.fifo, whose messages go to `name`-dlq.fifo after
    `max_receive_count` deliveries (created when missing, as docs/operations.md creates them)."""
    dlq = call("CreateQueue", {"QueueName": name + "-dlq.fifo",
                               "Attributes": {"FifoQueue": "true"}}, services)["QueueUrl"]
    arn = call("GetQueueAttributes", {"QueueUrl": dlq, "AttributeNames": ["QueueArn"]},
               services)["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count})
    return call("CreateQueue", {"QueueName": name + ".fifo",
                                "Attributes": {"FifoQueue": "true", "RedrivePolicy": policy}},
                services)["QueueUrl"]


def server_env(queue_url, services=None):
    """What a server needs to use the queue `queue_url` on the emulator (of `services`)."""
    services = services or os.environ
    return {"QUEUE_BACKEND": "sqs", "SQS_QUEUE_URL": queue_url,
            "AWS_ENDPOINT_URL_SQS": services["SQS_ENDPOINT_URL"], "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": services["SQS_TEST_SECRET_ACCESS_KEY"]}


def delete_queues(url):
    """Deletes the queue of fifo_queue_with_dlq and its DLQ."""
    for u in (url, url[:-len(".fifo")] + "-dlq.fifo"):
        try:
            call("DeleteQueue", {"QueueUrl": u})
        except (OSError, RuntimeError):
            pass
