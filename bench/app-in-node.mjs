// The app's own cost per request, in Node, with Cognito and the rate limiters faked in-process: a
// quick A/B check for one change at a time (`node bench/app-in-node.mjs [login|root]`), run
// before and after it on the same machine. Node's Request/Response are not workerd's, so the
// figures that count are `npm run bench`'s; this one only says which way a change goes, in seconds.
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const route = process.argv[2] ?? "login";
const REQUESTS = 20_000;

const outdir = mkdtempSync(path.join(tmpdir(), "edge-auth-node-bench-"));
try {
  const outfile = path.join(outdir, "app.mjs");
  await build({ entryPoints: [path.join(root, "src/index.ts")], bundle: true, format: "esm", platform: "neutral", mainFields: ["module", "main"], conditions: ["worker", "browser"], define: { PROBLEM_PAGE_TEXT: "false" }, alias: { "cloudflare:workers": path.join(root, "test/node/cloudflare-workers.ts") }, outfile, logLevel: "error" });
  // The Worker's default export ({ fetch, scheduled }), called as workerd calls it.
  const { default: app } = await import(pathToFileURL(outfile).href);

  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const token = `${encode({ alg: "RS256", kid: "k" })}.${encode({ sub: "s", exp: Math.floor(Date.now() / 1000) + 3600, token_use: "access" })}.c2ln`;
  const signedIn = JSON.stringify({ AuthenticationResult: { AccessToken: token, IdToken: token, RefreshToken: "r".repeat(40), ExpiresIn: 3600, TokenType: "Bearer" } });
  globalThis.fetch = async () => new Response(signedIn, { status: 200, headers: { "content-type": "application/x-amz-json-1.1" } });
  const limiter = { limit: async () => ({ success: true }) };
  const env = {
    COGNITO_USER_CLIENT_ID: "benchclient",
    COGNITO_REGION_NAME: "us-east-1",
    USER_POOL_ID: "us-east-1_BenchPool1",
    AWS_ACCESS_KEY_ID: "AKIABENCHBENCHBENCH0",
    AWS_SECRET_ACCESS_KEY: "bench-secret",
    COGNITO_ENDPOINT: "http://cognito.bench/",
    IP_RATE_LIMITER: limiter,
    GUESS_RATE_LIMITER: limiter,
    ACCOUNT_RATE_LIMITER: limiter,
    MAIL_RATE_LIMITER: limiter,
  };
  console.log = () => undefined; // the access log is built as in production; only its sink is skipped

  const send = (i) =>
    route === "root"
      ? app.fetch(new Request("http://api.bench/"), env)
      : app.fetch(
          new Request("http://api.bench/platform/login", {
            method: "POST",
            headers: { "content-type": "application/json", "cf-connecting-ip": `10.0.0.${i % 250}` },
            body: JSON.stringify({ email: `u${i}@example.com`, password: "Corr3ct-Horse!" }),
          }),
          env,
        );
  for (let i = 0; i < 2_000; i++) await send(i); // warm-up: JIT, caches
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) await send(i);
  process.stdout.write(`${route}: ${(((performance.now() - started) * 1000) / REQUESTS).toFixed(1)} us per request (Node ${process.version}, ${REQUESTS} requests)\n`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
