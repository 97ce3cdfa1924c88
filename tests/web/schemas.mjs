// JSON Schema 2020-12 (the dialect of OpenAPI 3.1) for the document's schemas, with Ajv in strict
// mode, so that a misspelt keyword or a dangling $ref is an error rather than a schema that
// accepts everything.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

// "#/components/schemas/X" → "#/$defs/X", so that each schema compiles with the components as $defs.
function rebase(value) {
  if (Array.isArray(value)) return value.map(rebase);
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const [key, v] of Object.entries(value))
    out[key] =
      key === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/")
        ? "#/$defs/" + v.slice("#/components/schemas/".length)
        : rebase(v);
  return out;
}

export function schemaCompiler(doc) {
  // strictRequired off: "exactly one of items or amount" names properties in a oneOf branch.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  const defs = rebase(doc.components?.schemas ?? {});
  return (schema) => ajv.compile({ ...rebase(schema), $defs: defs });
}

// Follows an OpenAPI-level $ref ("#/components/responses/NotFound") to what it names.
export function deref(doc, value) {
  while (value && typeof value.$ref === "string") {
    value = value.$ref
      .slice(2)
      .split("/")
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce((node, key) => node?.[key], doc);
    if (value === undefined) throw new Error("dangling $ref");
  }
  return value;
}

export const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
