// A failure is one definition (src/failures.ts): its answer, its OpenAPI example and its problem page
// all follow from it. Checked here for every code, so a new one cannot miss any of them.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/docs/openapi";
import { Failure, FAILURES, type FailureCode } from "../../src/failures";
import type { AccessLogVariables } from "../../src/middleware/access-log";
import { handleError } from "../../src/middleware/error-handler";

const root = path.resolve(import.meta.dirname, "../..");
const codes = Object.keys(FAILURES) as FailureCode[];
const slug = (code: string) => code.replaceAll("_", "-");

/** An app whose only route raises the failure named in its path. */
const app = new Hono<{ Variables: AccessLogVariables }>().get("/:code", (c) => {
  throw new Failure(c.req.param("code") as FailureCode);
});
app.onError(handleError);

describe("every failure of the catalog", () => {
  // The problem pages, as `npm run dev` and `npm run deploy` build them, in a folder of this test's:
  // public/ is the Workers tests' assets, running meanwhile. Without the app's typecheck, which
  // `npm test` runs itself (scripts/test.mjs) and which makes no page.
  const outdir = mkdtempSync(path.join(tmpdir(), "edge-problem-pages-"));
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(root, "scripts/build-assets.mjs"), "--outdir", outdir, "--no-typecheck"], { cwd: root, stdio: "ignore" });
  }, 60_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it.each(codes)("%s: is answered with its status and problem body", async (code) => {
    const res = await app.request(`/${code}`);
    const { status, title, detail } = FAILURES[code];
    expect([res.status, res.headers.get("content-type")]).toEqual([status, "application/problem+json"]);
    expect(await res.json()).toEqual({ type: `/problems/${slug(code)}`, title, status, detail, code });
  });

  it.each(codes)("%s: has its example in /openapi.json and its page under /problems", (code) => {
    const examples = openApiDocument().components.examples as Record<string, { value: { code: string; status: number } }>;
    expect(examples[code]?.value).toMatchObject({ code, status: FAILURES[code].status });
    const page = readFileSync(path.join(outdir, "problems", `${slug(code)}.html`), "utf8");
    expect(page).toContain(`<h1>${FAILURES[code].title.replaceAll("'", "&#39;")}</h1>`);
    expect(page).toContain(`<dt>Code</dt><dd><code>${code}</code></dd>`);
    expect(page).toMatch(/<h2>When it happens<\/h2>\n<p>[^<]/);
    expect(page).toMatch(/<h2>What to do<\/h2>\n<p>[^<]/);
  });
});
