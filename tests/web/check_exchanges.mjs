// Usage: node check_exchanges.mjs DOCUMENT.json EXCHANGES.json
// Checks real requests and responses (recorded by tests/e2e/test_docs.py) against the OpenAPI
// document: each response's status is documented for its operation, its body validates against
// the documented schema of its media type, the headers that carry meaning are documented, and
// each request body the server took validates against the documented request schema. Every
// operation must have been exercised with a success. Exits 1 with the problems listed.
import { readFileSync } from "node:fs";
import { METHODS, deref, schemaCompiler } from "./schemas.mjs";

const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
const exchanges = JSON.parse(readFileSync(process.argv[3], "utf8"));
const compile = schemaCompiler(doc);
const compiled = new Map();
const validatorFor = (key, schema) => {
  if (!compiled.has(key)) compiled.set(key, compile(schema));
  return compiled.get(key);
};
// Headers whose meaning a client depends on: each one sent must be documented on its response.
const MEANINGFUL = ["location", "etag", "retry-after", "set-cookie", "x-session-id",
  "idempotent-replayed", "www-authenticate", "allow"];
const baseType = (t) => (t ?? "").split(";")[0].trim().toLowerCase();
const problems = [];
const seen = new Map(); // "METHOD path" → Set of statuses

for (const x of exchanges) {
  const where = `${x.method} ${x.path} → ${x.status}`;
  const op = doc.paths[x.route]?.[x.method.toLowerCase()];
  if (!op) {
    problems.push(`${where}: ${x.method} ${x.route} is not in the document`);
    continue;
  }
  const key = `${x.method} ${x.route}`;
  if (!seen.has(key)) seen.set(key, new Set());
  seen.get(key).add(x.status);
  const documented = op.responses[String(x.status)];
  if (!documented) {
    problems.push(`${where}: status ${x.status} is not documented for ${key}`);
    continue;
  }
  const response = deref(doc, documented);
  const headerNames = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
  for (const h of MEANINGFUL)
    if (x.headers[h] !== undefined && !headerNames.includes(h))
      problems.push(`${where}: header ${h} is sent but not documented`);

  if (x.body === "") {
    if (response.content) problems.push(`${where}: empty body, the document describes content`);
  } else {
    const type = baseType(x.headers["content-type"]);
    const media = Object.entries(response.content ?? {}).find(([t]) => baseType(t) === type);
    if (!media) {
      problems.push(`${where}: Content-Type ${type} is not documented`);
    } else if (type.endsWith("json")) {
      const validate = validatorFor(`${key} ${x.status} ${media[0]}`, media[1].schema);
      if (!validate(JSON.parse(x.body)))
        problems.push(`${where}: body does not match the schema: ${JSON.stringify(validate.errors)}\n  body: ${x.body.slice(0, 400)}`);
    }
  }

  if (x.status < 300 && x.request_body !== null && x.request_body !== undefined) {
    const media = op.requestBody?.content?.["application/json"];
    if (!media) problems.push(`${where}: took a body, the document describes none`);
    else {
      const validate = validatorFor(`${key} request`, media.schema);
      if (!validate(x.request_body))
        problems.push(`${where}: the request body it took does not match the schema: ${JSON.stringify(validate.errors)}`);
    }
  }
}

for (const [path, item] of Object.entries(doc.paths))
  for (const method of METHODS.filter((m) => item[m])) {
    const statuses = seen.get(`${method.toUpperCase()} ${path}`) ?? new Set();
    if (![...statuses].some((s) => s < 300))
      problems.push(`${method.toUpperCase()} ${path}: never exercised with a success`);
  }

const pairs = [...seen.values()].reduce((n, s) => n + s.size, 0);
console.log(`${exchanges.length} exchanges, ${seen.size} operations, ${pairs} operation/status pairs checked`);
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
