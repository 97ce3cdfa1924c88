// The SQS emulator the tests run against (fauxqs, pinned in package.json): SQS's JSON protocol,
// FIFO queues, batches, long polling, dead-letter queues, all in memory. Its own command line
// listens on every interface; this listens on loopback only. It also checks every request's
// Signature Version 4 with the AWS SDK's own signer (@smithy/signature-v4), an implementation
// independent of orderflow's, against the one secret the tests use: a request orderflow signed
// wrongly is refused with 403, as AWS would refuse it.
//   node tests/sqs/emulator.mjs PORT PID_FILE SECRET_ACCESS_KEY
import { createHash, createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { SignatureV4 } from "@smithy/signature-v4";
import { buildApp } from "fauxqs";

const [port, pidFile, secret] = process.argv.slice(2);

class Sha256 {
  constructor(key) {
    this.hash = key ? createHmac("sha256", key) : createHash("sha256");
  }
  update(data) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

// "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sqs/aws4_request, SignedHeaders=a;b, Signature=…"
function parseAuthorization(value) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(value ?? "");
  return m && { accessKey: m[1], region: m[3], service: m[4], signedHeaders: m[5].split(";") };
}

// "20150830T123600Z" → its Date.
function amzDate(value) {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(value ?? "");
  return m && new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

async function signatureIsRight(request) {
  const auth = parseAuthorization(request.headers.authorization);
  const date = amzDate(request.headers["x-amz-date"]);
  if (!auth || !date || !auth.signedHeaders.includes("host")) return false;
  const headers = {};
  for (const name of auth.signedHeaders) {
    if (request.headers[name] === undefined) return false;
    headers[name] = String(request.headers[name]);
  }
  const signer = new SignatureV4({
    service: auth.service,
    region: auth.region,
    credentials: { accessKeyId: auth.accessKey, secretAccessKey: secret, sessionToken: request.headers["x-amz-security-token"] },
    sha256: Sha256,
    applyChecksum: false,
  });
  const [path, query = ""] = request.url.split("?");
  const signed = await signer.sign(
    { method: request.method, protocol: "http:", hostname: headers.host, path, query: Object.fromEntries(new URLSearchParams(query)), headers, body: request.rawBody ?? "" },
    { signingDate: date },
  );
  return signed.headers.authorization === request.headers.authorization;
}

const app = buildApp({ logger: false });
app.addHook("preParsing", async (request, _reply, payload) => {
  const chunks = [];
  for await (const chunk of payload) chunks.push(chunk);
  request.rawBody = Buffer.concat(chunks).toString("utf8");
  const again = Readable.from([Buffer.from(request.rawBody, "utf8")]);
  again.receivedEncodedLength = Buffer.byteLength(request.rawBody);
  return again;
});
app.addHook("preHandler", async (request, reply) => {
  if (request.url === "/health") return;
  if (!(await signatureIsRight(request))) {
    reply.code(403).header("content-type", "application/x-amz-json-1.0");
    return reply.send({ __type: "com.amazonaws.sqs#SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided." });
  }
});
await app.listen({ port: Number(port), host: "127.0.0.1" });
writeFileSync(pidFile, `${process.pid}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
