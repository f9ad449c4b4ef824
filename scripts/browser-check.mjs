// `npm run browser-check`: /docs used as a person would, in a real browser (the system's chromium,
// driven by playwright-core; no browser download), against its own `npm run dev` (the emulator plus
// wrangler dev; scripts/own-dev-server.mjs: free ports unless PORT / COGNITO_LOCAL_PORT are set, never
// a server it did not start). BASE_URL=<url> checks a running deployment instead.
// Through the page: sign up, authorise with the returned access token, call GET /platform/me.
// Also: every request the page makes stays on this origin, the static assets carry the security
// headers, every problem type dereferences. Screenshot: test-artifacts/docs.png.
// And a browser client on another origin (a page this script serves on a free 127.0.0.1 port, the
// dev server's CORS_ORIGINS): it signs up, opens and funds an account, makes a transfer with an
// Idempotency-Key (and its replay) and changes the contact with PATCH, reading the exposed headers;
// and a page on an origin CORS_ORIGINS does not name, which the browser refuses the answers.
// The reference web app at /app/, from sign-up to orders (scripts/browser-app.mjs): screenshots of
// each screen in test-artifacts/app/.
// `--results FILE` writes {"passed": N, "failed": N} for .ci/run.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { checkApp } from "./browser-app.mjs";
import { startOwnDevServer } from "./own-dev-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// `--only app,client`: some of the checks (headers, problems, docs, client, app), while working on one.
const { values: options } = parseArgs({ options: { results: { type: "string" }, only: { type: "string" } } });
const runs = (name) => !options.only || options.only.split(",").includes(name);
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
const ARTIFACTS = path.join(root, "test-artifacts");
const SCREENSHOT = path.join(ARTIFACTS, "docs.png");
const PASSWORD = "Br0wser-Check-Pass!";

let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`browser ${ok ? "ok" : "FAILED"}: ${name}${ok || !detail ? "" : `: ${detail}`}`);
}


/** A Chromium context with a profile of its own, removed when the context closes. */
async function launch(options = {}) {
  const userDataDir = mkdtempSync(path.join(tmpdir(), "edge-auth-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, ...options });
  // Once closed, its profile goes (Chromium may still be writing it as the close resolves: retried).
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  return context;
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

/** The browser client's page: served by this script on a free 127.0.0.1 port, so another origin than the API's. */
async function startClientPage() {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>A browser client</title><p>A page on another origin.</p>");
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The headers a cross-origin page may read beside the safelisted ones: those the API exposes. */
const EXPOSED = ["x-request-id", "idempotency-replayed", "retry-after", "www-authenticate"];

/**
 * A fetch made by the page itself: cross-origin, so the browser sends a preflight when the request
 * needs one, and fails it (TypeError) if the API does not allow it. The status, the exposed headers
 * as the page sees them, and the body.
 */
function fromPage(page, url, init = {}) {
  return page.evaluate(
    async ({ url, init, exposed }) => {
      try {
        const res = await fetch(url, init);
        const text = await res.text();
        return { status: res.status, headers: Object.fromEntries(exposed.map((name) => [name, res.headers.get(name)])), text };
      } catch (error) {
        return { status: 0, headers: {}, text: String(error) };
      }
    },
    { url, init, exposed: EXPOSED },
  );
}

/** Asks `read` again (once a second) until `done` holds for its answer, or TIMEOUT_MS passes; the last answer. */
async function waitFor(read, done) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const answer = await read();
    if (done(answer) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** The code `npm run dev` printed for `email` from its line `since` on (cognito-local's mail), waiting as long as TIMEOUT_MS. */
async function codePrinted(dev, email, since) {
  const find = () =>
    dev.lines
      .slice(since)
      .map((line) => /^\[cognito-local\] .* code (\S+) for (\S+)$/.exec(line))
      .filter((match) => match && match[2] === email)
      .at(-1)?.[1];
  return waitFor(async () => find(), (code) => code !== undefined);
}

/** A page on an origin CORS_ORIGINS does not list: the browser refuses it the API's answers. */
async function checkOtherOrigin(dev, stranger) {
  const context = await launch();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(TIMEOUT_MS);
    await page.goto(stranger.origin + "/");
    const email = `stranger-${Date.now()}@example.com`;
    const signUp = await fromPage(page, dev.base + "/platform/signup", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
    check(`from ${stranger.origin}, an origin not in CORS_ORIGINS: the browser refuses the page the API's answer`, signUp.status === 0 && /TypeError/.test(signUp.text), JSON.stringify(signUp));
    const read = await fromPage(page, dev.base + "/");
    check(`from ${stranger.origin}: even GET / is not readable`, read.status === 0, JSON.stringify(read));
  } finally {
    await context.close();
  }
}

async function checkBrowserClient(dev, client) {
  const document = await (await fetch(dev.base + "/openapi.json")).json();
  const exampleOf = (path, method) => document.paths[path][method].requestBody.content["application/json"].example;
  const userDataDir = mkdtempSync(path.join(tmpdir(), "edge-auth-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(TIMEOUT_MS);
    await page.goto(client.origin + "/");
    const api = (path, { body, method = body === undefined ? "GET" : "POST", token, headers = {} } = {}) =>
      fromPage(page, dev.base + path, {
        method,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    const email = `client-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const signUp = await api("/platform/signup", { body: { email, password: PASSWORD } });
    check(`from ${client.origin}: sign-up answers 201 with X-Request-Id readable`, signUp.status === 201 && Boolean(signUp.headers["x-request-id"]), `${signUp.status} ${signUp.text}`);
    if (signUp.status !== 201) return;
    const token = JSON.parse(signUp.text).access_token;
    const unauthorised = await api("/platform/me", { token: "not-a-token" });
    check("a 401's WWW-Authenticate is readable by the page", unauthorised.status === 401 && /^Bearer/.test(unauthorised.headers["www-authenticate"] ?? ""), JSON.stringify(unauthorised));

    const since = dev.lines.length;
    await api("/platform/email/verify/send", { method: "POST", token });
    const code = await codePrinted(dev, email, since);
    const verified = await api("/platform/email/verify", { body: { code }, token });
    check("the email is verified from the page", verified.status === 204, `${verified.status} ${verified.text}`);

    const opened = await api("/platform/accounts", { body: exampleOf("/platform/accounts", "post"), token });
    check("a brokerage account is opened from the page", opened.status === 201, `${opened.status} ${opened.text}`);
    const active = await waitFor(() => api("/platform/accounts/me", { token }), (res) => res.status === 200 && JSON.parse(res.text).status === "ACTIVE");
    check("it becomes ACTIVE", active.status === 200 && JSON.parse(active.text).status === "ACTIVE", `${active.status} ${active.text}`);

    const linked = await api("/platform/accounts/me/bank-links", { body: exampleOf("/platform/accounts/me/bank-links", "post"), token, headers: { "idempotency-key": crypto.randomUUID() } });
    check("a bank link is made from the page with an Idempotency-Key", linked.status === 201, `${linked.status} ${linked.text}`);
    const links = await waitFor(() => api("/platform/accounts/me/bank-links", { token }), (res) => res.status === 200 && JSON.parse(res.text).bank_links.some((link) => link.status === "APPROVED"));
    const link = links.status === 200 ? JSON.parse(links.text).bank_links.find((candidate) => candidate.status === "APPROVED") : undefined;
    check("the bank link is APPROVED", link !== undefined, `${links.status} ${links.text}`);
    if (!link) return;

    const key = crypto.randomUUID();
    const deposit = { bank_link_id: link.id, amount: "250.00", direction: "INCOMING" };
    const first = await api("/platform/accounts/me/transfers", { body: deposit, token, headers: { "idempotency-key": key } });
    check(
      "a transfer with an Idempotency-Key from the page answers 201, X-Request-Id readable, not marked a replay",
      first.status === 201 && Boolean(first.headers["x-request-id"]) && first.headers["idempotency-replayed"] === null,
      JSON.stringify(first),
    );
    const replay = await api("/platform/accounts/me/transfers", { body: deposit, token, headers: { "idempotency-key": key } });
    check(
      "its retry with the same key answers the same transfer, and the page reads Idempotency-Replayed: true",
      replay.status === 201 && replay.text === first.text && replay.headers["idempotency-replayed"] === "true",
      JSON.stringify(replay),
    );

    // The contact change's body as its schema has it: with the step up's password once the route asks for it.
    const patchSchema = document.paths["/platform/accounts/me"].patch.requestBody.content["application/json"].schema;
    const stepUp = JSON.stringify(patchSchema).includes('"password"') ? { password: PASSWORD } : {};
    const changed = await api("/platform/accounts/me", { method: "PATCH", body: { contact: { city: "Burlingame", postal_code: "94010" }, ...stepUp }, token });
    check("the contact is changed from the page with PATCH", changed.status === 200, `${changed.status} ${changed.text}`);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

const started = Date.now();
// The client page's origin is the dev server's CORS_ORIGINS; a deployment (BASE_URL) has its own.
const client = process.env.BASE_URL ? undefined : await startClientPage();
// Another page, on an origin the dev server's CORS_ORIGINS does not name.
const stranger = process.env.BASE_URL ? undefined : await startClientPage();
let dev;
try {
  dev = process.env.BASE_URL
    ? { base: process.env.BASE_URL.replace(/\/$/, ""), stop: async () => true }
    : await startOwnDevServer({ env: { CORS_ORIGINS: client.origin } });
} catch (error) {
  check("npm run dev (its own) answers", false, error.message);
}
if (dev) {
  try {
    if (runs("headers")) await checkHeaders(dev.base);
    if (runs("problems")) await checkProblemPages(dev.base);
    if (runs("docs")) await checkDocsPage(dev.base);
    if (client && runs("client")) await checkBrowserClient(dev, client);
    if (stranger && runs("client")) await checkOtherOrigin(dev, stranger);
    if (!process.env.BASE_URL && runs("app")) await checkApp({ dev, check, launch, codePrinted, artifacts: ARTIFACTS, timeoutMs: TIMEOUT_MS });
  } catch (error) {
    check("browser check ran to the end", false, error.stack ?? String(error));
  } finally {
    // As `kill <npm's PID>` would: npm run dev must stop the emulator, the stand-ins and workerd too.
    check("npm run dev stops every process it started on SIGTERM to npm's PID, within 10 s", await dev.stop({ npmSignal: "SIGTERM" }), "still running after 10 s: killed");
  }
}
await client?.stop();
await stranger?.stop();
console.log(`browser check: ${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (options.results) writeFileSync(options.results, JSON.stringify({ passed, failed }));
process.exitCode = failed === 0 ? 0 : 1;
