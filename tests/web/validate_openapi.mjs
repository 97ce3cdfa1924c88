// Usage: node validate_openapi.mjs DOCUMENT.json
// Checks the document against the OpenAPI 3.1 specification's own schema
// (@seriousme/openapi-schema-validator), that every $ref resolves, and that every schema in it
// compiles as JSON Schema 2020-12 in strict mode. Exits 1 with the problems listed.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { METHODS, deref, schemaCompiler } from "./schemas.mjs";

const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];

const validator = new Validator();
const result = await validator.validate(structuredClone(doc));
// errors: a list of schema violations, or one string (a $ref that does not resolve).
if (!result.valid)
  for (const e of [result.errors].flat()) problems.push("OpenAPI: " + JSON.stringify(e));
else if (validator.version !== "3.1") problems.push(`OpenAPI version ${validator.version}, not 3.1`);
try {
  validator.resolveRefs();
} catch (e) {
  problems.push("$ref: " + e.message);
}

const compile = schemaCompiler(doc);
const tryCompile = (where, schema) => {
  try {
    return compile(schema);
  } catch (e) {
    problems.push(`${where}: ${e.message}`);
    return null;
  }
};
for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
  tryCompile(`components.schemas.${name}`, schema);

let operations = 0;
for (const [path, item] of Object.entries(doc.paths)) {
  for (const method of METHODS.filter((m) => item[m])) {
    const op = item[method];
    const where = `${method.toUpperCase()} ${path}`;
    ++operations;
    if (!op.operationId || !op.summary || !op.tags?.length)
      problems.push(`${where}: needs an operationId, a summary and a tag`);
    for (const param of op.parameters ?? []) {
      try {
        const p = deref(doc, param);
        tryCompile(`${where} parameter ${p.name}`, p.schema);
      } catch (e) {
        problems.push(`${where} parameter: ${e.message}`);
      }
    }
    for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
      tryCompile(`${where} request ${type}`, media.schema);
    if (!Object.keys(op.responses ?? {}).some((status) => status.startsWith("2")))
      problems.push(`${where}: no success response`);
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      let r;
      try {
        r = deref(doc, response);
      } catch (e) {
        problems.push(`${where} ${status}: ${e.message}`);
        continue;
      }
      if (!r.headers?.["X-Request-ID"]) problems.push(`${where} ${status}: no X-Request-ID header`);
      for (const [type, media] of Object.entries(r.content ?? {})) {
        const check = tryCompile(`${where} ${status} ${type}`, media.schema);
        // Examples must be what the schema says.
        if (check && media.example !== undefined && type.includes("json")) {
          if (!check(media.example))
            problems.push(`${where} ${status} example: ${JSON.stringify(check.errors)}`);
        }
      }
    }
  }
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`valid OpenAPI ${doc.openapi}: ${Object.keys(doc.paths).length} paths, ${operations} operations`);
