// `npm run browser-check`: /docs used as a person would, in a real browser (the system's chromium,
// driven by playwright-core; no browser download), against its own `npm run dev` (the emulator plus
// wrangler dev; scripts/own-dev-server.mjs: free ports unless PORT / COGNITO_LOCAL_PORT are set, never
// a server it did not start). BASE_URL=<url> checks a running deployment instead.
// Through the page: sign up, authorise with the returned access token, call GET /platform/me.
// Also: every request the page makes stays on this origin, the static assets carry the security
// headers, every problem type dereferences. Screenshot: test-artifacts/docs.png.
// `--results FILE` writes {"passed": N, "failed": N} for .ci/run.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { startOwnDevServer } from "./own-dev-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values: options } = parseArgs({ options: { results: { type: "string" } } });
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// playwright adds --headless and --user-data-dir itself (a fresh directory per run, made below).
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Generous for a 2-core machine shared with other work; every wait ends as soon as its condition holds. */
const TIMEOUT_MS = 30_000;
const SCREENSHOT = path.join(root, "test-artifacts", "docs.png");
const PASSWORD = "Br0wser-Check-Pass!";

let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`browser ${ok ? "ok" : "FAILED"}: ${name}${ok || !detail ? "" : `: ${detail}`}`);
}


/** The static assets carry the CSP and every security header the Worker sets on its own answers. */
async function checkHeaders(base) {
  const worker = await fetch(base + "/");
  const docs = await fetch(base + "/docs");
  check("GET /docs is an HTML page", docs.status === 200 && docs.headers.get("content-type")?.startsWith("text/html"), `${docs.status}`);
  const csp = docs.headers.get("content-security-policy") ?? "";
  check("/docs has a Content-Security-Policy for this origin only", /default-src 'self'/.test(csp) && /script-src 'self';/.test(csp) && !/https?:/.test(csp), csp);
  const differing = [...worker.headers]
    .filter(([name]) => /^(strict-transport|x-|referrer|cross-origin|origin-agent)/.test(name) && name !== "x-request-id")
    .filter(([name, value]) => docs.headers.get(name) !== value)
    .map(([name]) => name);
  check("/docs has every security header the Worker sets", differing.length === 0, `differs: ${differing.join(", ")}`);
}

async function checkProblemPages(base) {
  const document = await (await fetch(base + "/openapi.json")).json();
  const codes = document.components.schemas.Problem.properties.code.enum;
  const broken = [];
  for (const code of codes) {
    const res = await fetch(`${base}/problems/${code.replaceAll("_", "-")}`);
    const html = await res.text();
    if (res.status !== 200 || !res.headers.get("content-type")?.startsWith("text/html") || !html.includes(`<code>${code}</code>`)) broken.push(code);
  }
  check(`all ${codes.length} problem types dereference to a page`, codes.length > 0 && broken.length === 0, broken.join(", "));
  const unknown = await fetch(base + "/problems/no-such-problem");
  check("an unknown problem type answers 404", unknown.status === 404, `${unknown.status}`);
}

/** Opens an operation, fills the body if given, executes it, and returns the status and body the page shows. */
async function tryOut(page, operationId, body) {
  const operation = page.locator(`[id$="-${operationId}"].opblock`);
  await operation.locator(".opblock-summary-control").click();
  await operation.locator(".try-out__btn").click();
  if (body !== undefined) await operation.locator("textarea.body-param__text").fill(JSON.stringify(body));
  await operation.locator("button.execute").click();
  const response = operation.locator(".live-responses-table .response");
  await response.waitFor({ timeout: TIMEOUT_MS });
  const status = (await response.locator(".response-col_status").innerText()).trim();
  const shown = await response.locator(".response-col_description .highlight-code pre").first().innerText();
  return { status, shown };
}

async function checkDocsPage(base) {
  const userDataDir = mkdtempSync(path.join(tmpdir(), "edge-auth-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  const requests = [];
  const problems = [];
  context.on("request", (request) => requests.push(request.url()));
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(TIMEOUT_MS);
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("websocket", (socket) => requests.push(socket.url()));

    await page.goto(base + "/docs");
    await page.locator(".opblock").first().waitFor();

    const email = `browser-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const signUp = await tryOut(page, "signUp", { email, password: PASSWORD });
    check("sign-up through the page shows 201", signUp.status === "201", signUp.status);
    const accessToken = JSON.parse(signUp.shown).access_token;

    await page.locator(".auth-wrapper button.authorize").click();
    await page.locator("#auth-bearer-value").fill(accessToken);
    await page.locator(".modal-ux .auth-btn-wrapper button.authorize").click();
    await page.locator(".modal-ux button.btn-done").click();
    await page.locator(".auth-wrapper button.authorize.locked").waitFor();

    const me = await tryOut(page, "me");
    check("GET /platform/me through the page shows 200 with the new user", me.status === "200" && JSON.parse(me.shown).email === email, `${me.status} ${me.shown}`);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    // The page is many screens long (every status with its examples): show the /me answer.
    await page.locator(`[id$="-me"].opblock .live-responses-table`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT });
    const png = readFileSync(SCREENSHOT);
    check("screenshot test-artifacts/docs.png is a non-empty PNG", statSync(SCREENSHOT).size > 10_000 && png.subarray(1, 4).toString() === "PNG", `${png.length} bytes`);

    // Authenticator set-up through the page, then its link as a QR code on /mfa/qr.
    const setUp = await tryOut(page, "setUpTotp", { password: PASSWORD });
    const { otpauth_uri: otpauthUri } = JSON.parse(setUp.shown);
    check("TOTP set-up through the page shows 200 with an otpauth URI", setUp.status === "200" && /^otpauth:\/\/totp\//.test(otpauthUri), setUp.status);
    await page.goto(`${base}/mfa/qr#${encodeURIComponent(otpauthUri)}`);
    // Read back as a phone would: a picture of what the page shows, decoded by a QR reader.
    const shot = PNG.sync.read(await page.locator("#qr svg").screenshot());
    const decoded = jsQR(new Uint8ClampedArray(shot.data), shot.width, shot.height)?.data;
    check("/mfa/qr shows a QR code that reads back as the otpauth URI", decoded === otpauthUri, decoded ?? "nothing decoded");
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
  const origin = new URL(base).origin;
  const elsewhere = requests.filter((url) => /^(https?|wss?):/.test(url) && new URL(url).origin !== origin);
  check(`the page's ${requests.length} requests all went to ${origin}`, requests.length > 0 && elsewhere.length === 0, elsewhere.join(", "));
  check("no console error, CSP violation or page error", problems.length === 0, problems.join(" | "));
}

const started = Date.now();
let dev;
try {
  dev = process.env.BASE_URL ? { base: process.env.BASE_URL.replace(/\/$/, ""), stop: async () => true } : await startOwnDevServer();
} catch (error) {
  check("npm run dev (its own) answers", false, error.message);
}
if (dev) {
  try {
    await checkHeaders(dev.base);
    await checkProblemPages(dev.base);
    await checkDocsPage(dev.base);
  } catch (error) {
    check("browser check ran to the end", false, error.stack ?? String(error));
  } finally {
    await dev.stop();
  }
}
console.log(`browser check: ${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (options.results) writeFileSync(options.results, JSON.stringify({ passed, failed }));
process.exitCode = failed === 0 ? 0 : 1;
