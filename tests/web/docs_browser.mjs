// Usage: node docs_browser.mjs BASE_URL SCREENSHOT_DIR
// Opens BASE_URL/docs in headless Chromium (Debian's chromium, driven by playwright-core), waits
// for Swagger UI to render the document, and checks: one block per operation of /openapi.json,
// every operation's path shown, an operation expands to its parameters and responses, no script
// error or blocked resource, and no request leaves the server. Saves swagger-ui.png (the whole
// page) and swagger-ui-create-order.png (one operation opened) in SCREENSHOT_DIR.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { METHODS } from "./schemas.mjs";

const [base, screenshots] = process.argv.slice(2);
mkdirSync(screenshots, { recursive: true });
const problems = [];
const doc = await (await fetch(new URL("/openapi.json", base))).json();
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((m) => ({ method: m, path })),
);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox"], // runs as root in CI
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const origin = new URL(base).origin;
  page.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith("data:"))
      problems.push(`request left the server: ${r.url()}`);
  });
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`script error: ${e.message}`));

  await page.goto(new URL("/docs", base).href, { waitUntil: "networkidle" });
  await page.waitForSelector(".opblock", { timeout: 30_000 });

  const title = await page.locator(".info .title").innerText();
  if (!title.includes(doc.info.title)) problems.push(`title shown: ${title}`);
  const blocks = await page.locator(".opblock").count();
  if (blocks !== operations.length)
    problems.push(`${blocks} operation blocks rendered, the document has ${operations.length}`);
  const shown = new Set(
    await page.locator(".opblock .opblock-summary-path").evaluateAll((els) =>
      els.map((e) => e.getAttribute("data-path")),
    ),
  );
  for (const { method, path } of operations)
    if (!shown.has(path)) problems.push(`${method.toUpperCase()} ${path} is not shown`);

  await page.screenshot({ path: join(screenshots, "swagger-ui.png"), fullPage: true });

  // One operation opened: its parameters and documented responses render.
  const create = page.locator("#operations-Orders-createOrder");
  await create.locator(".opblock-summary").click();
  await create.locator(".responses-table").first().waitFor({ timeout: 10_000 });
  const codes = await create.locator(".responses-table .response-col_status").allInnerTexts();
  for (const code of Object.keys(doc.paths["/api/orders"].post.responses))
    if (!codes.some((c) => c.trim().startsWith(code))) problems.push(`createOrder: response ${code} not shown`);
  if ((await create.locator(".parameters-container").innerText()).indexOf("Idempotency-Key") < 0)
    problems.push("createOrder: the Idempotency-Key parameter is not shown");

  await create.screenshot({ path: join(screenshots, "swagger-ui-create-order.png") });
  console.log(`${blocks} operations rendered; screenshots in ${screenshots}`);
} finally {
  await browser.close();
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
