// The SQS emulator the tests run against (fauxqs, pinned in package.json): SQS's JSON protocol,
// FIFO queues, batches, long polling, dead-letter queues, all in memory. Its own command line
// listens on every interface; this listens on loopback only.
//   node tests/sqs/emulator.mjs PORT PID_FILE
import { writeFileSync } from "node:fs";
import { buildApp } from "fauxqs";

const [port, pidFile] = process.argv.slice(2);
const app = buildApp({ logger: false });
await app.listen({ port: Number(port), host: "127.0.0.1" });
writeFileSync(pidFile, `${process.pid}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
