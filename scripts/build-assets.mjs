// Builds public/, the static assets Cloudflare serves in front of the Worker (wrangler.toml [assets]):
// /docs (Swagger UI from swagger-ui-dist), /openapi.json, a page per problem type under /problems/,
// /mfa/qr (an authenticator setup link as a QR code, drawn in the browser),
// the reference web app at /app/ (site/app/, typechecked against the Worker's routes, then bundled),
// and site/'s hand-written files (_headers included). Wrangler runs it before `dev` and `deploy`
// ([build]); `npm test` runs it first. public/ is wiped each time: everything in it is generated.
import { execFileSync } from "node:child_process";
import { build } from "esbuild";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// `--outdir DIR`: elsewhere than public/ (a test's own build); `--no-typecheck`: the bundles only.
// BUILD_ASSETS_NO_TYPECHECK=1 and BUILD_ASSETS_OUTDIR=DIR are the two for the build wrangler runs
// ([build] takes no arguments): `npm test` sets both for `wrangler types`, whose build it does not use
// (it builds public/ itself first, and runs the same two tsc checks itself).
const { values: args } = parseArgs({ options: { outdir: { type: "string" }, "no-typecheck": { type: "boolean" } } });
if (process.env.BUILD_ASSETS_NO_TYPECHECK === "1") args["no-typecheck"] = true;
const target = path.resolve(args.outdir ?? process.env.BUILD_ASSETS_OUTDIR ?? path.join(root, "public"));
// Written beside it, then put in its place at once: a server or a test reading public/ meanwhile (a
// second build runs when `npm test` starts wrangler's) never finds it half written.
const out = `${target}.building-${process.pid}`;
const swaggerUi = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** The TypeScript sources the assets come from, bundled for Node. */
async function loadSources() {
  const dir = mkdtempSync(path.join(tmpdir(), "edge-auth-assets-"));
  try {
    const outfile = path.join(dir, "sources.mjs");
    await build({
      stdin: {
        contents: [
          'export { openApiDocument, exampleProblem } from "./src/docs/openapi";',
          'export { FAILURES } from "./src/failures";',
        ].join("\n"),
        resolveDir: root,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      // The problem pages are built here: the catalog with their text (src/failures.ts).
      define: { PROBLEM_PAGE_TEXT: "true" },
      outfile,
      logLevel: "error",
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const escapeHtml = (text) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
/** The page text's `code spans`, as HTML. */
const inline = (text) => escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · edge-brokerage</title>
<link rel="stylesheet" href="/site.css">
</head>
<body>
<main class="problem">
${body}
<p><a href="/problems/">All problem types</a> · <a href="/docs">API docs</a></p>
</main>
</body>
</html>
`;
}

function problemPage({ type, title, status, code }, guide) {
  if (!guide) throw new Error(`no page text for ${code}: build with PROBLEM_PAGE_TEXT true`);
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>
<dl>
<dt>Status</dt><dd>${status}</dd>
<dt>Code</dt><dd><code>${code}</code></dd>
<dt>Type</dt><dd><code>${escapeHtml(type)}</code></dd>
</dl>
<h2>When it happens</h2>
<p>${inline(guide.when)}</p>
<h2>What to do</h2>
<p>${inline(guide.action)}</p>`,
  );
}

function problemIndex(problems) {
  const rows = problems.map(({ type, title, status, code }) => `<tr><td>${status}</td><td><a href="${escapeHtml(type)}"><code>${code}</code></a></td><td>${escapeHtml(title)}</td></tr>`);
  return page(
    "Problem types",
    `<h1>Problem types</h1>
<p>Every error of this API is an RFC 9457 problem whose <code>type</code> is one of these pages.</p>
<table>
<thead><tr><th>Status</th><th>Code</th><th>Title</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`,
  );
}

/**
 * The app calls the API through hc<AppType>: its types come from the Worker's routes, as declarations
 * (dist/app-types/), since the Worker's sources do not compile against the browser's DOM types. A
 * route or body the app uses that changes fails here, and so the build.
 */
function typecheckApp() {
  const tsc = path.join(root, "node_modules/typescript/bin/tsc");
  const declarations = path.join(root, "dist/app-types/src/index.d.ts");
  rmSync(path.dirname(path.dirname(declarations)), { recursive: true, force: true });
  // The Worker's own type errors are `npm test`'s to report (and a fresh clone has no
  // worker-configuration.d.ts before `wrangler types`): the declarations are written all the same.
  try {
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.app-types.json"], { cwd: root, stdio: "ignore" });
  } catch {
    if (!existsSync(declarations)) {
      console.error("[build] the routes' declarations for the app were not written: npx tsc -p tsconfig.app-types.json says why");
      process.exit(1);
    }
  }
  try {
    execFileSync(process.execPath, [tsc, "-p", "site/app/tsconfig.json"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    console.error(`[build] the app at /app/ does not typecheck against the API's routes (tsc -p site/app/tsconfig.json):\n${error.stdout}${error.stderr}`);
    process.exit(1);
  }
}

if (!args["no-typecheck"]) typecheckApp();
const { openApiDocument, exampleProblem, FAILURES } = await loadSources();

rmSync(out, { recursive: true, force: true });
process.once("exit", () => rmSync(out, { recursive: true, force: true }));
// The app's sources are bundled below, not served: of site/app/, its page and style sheet only.
cpSync(path.join(root, "site"), out, { recursive: true, filter: (source) => path.relative(path.join(root, "site"), source) !== "app" });
mkdirSync(path.join(out, "app"));
for (const file of ["index.html", "app.css"]) copyFileSync(path.join(root, "site/app", file), path.join(out, "app", file));

mkdirSync(path.join(out, "docs"), { recursive: true });
copyFileSync(path.join(swaggerUi, "swagger-ui-bundle.js"), path.join(out, "docs/swagger-ui-bundle.js"));
copyFileSync(path.join(swaggerUi, "favicon-32x32.png"), path.join(out, "docs/favicon-32x32.png"));
// Its source map is not shipped: without the reference, browsers do not ask for it (and get a 404).
const css = readFileSync(path.join(swaggerUi, "swagger-ui.css"), "utf8").replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, "");
writeFileSync(path.join(out, "docs/swagger-ui.css"), css);

writeFileSync(path.join(out, "openapi.json"), JSON.stringify(openApiDocument(), null, 2) + "\n");

// /mfa/qr: the page's script with its QR encoder, bundled for the browser (no other host serves it).
await build({ entryPoints: [path.join(root, "site/mfa/qr.js")], bundle: true, minify: true, format: "esm", platform: "browser", outfile: path.join(out, "mfa/qr.js"), logLevel: "error", allowOverwrite: true });

// Under `npm run dev` only (scripts/dev-inbox.mjs): the development inbox's URL, for the app's banner
// showing the codes the emulator would have emailed. Any other build has neither the banner nor the URL.
const devInbox = process.env.DEV_INBOX_URL && /^http:\/\/127\.0\.0\.1:\d+$/.test(process.env.DEV_INBOX_URL) ? process.env.DEV_INBOX_URL : undefined;
if (devInbox) {
  // The app's pages may read that one local server too (a rule of their own, after the one for every
  // file, replacing its policy); every other page keeps site/_headers' policy, this origin only.
  const headers = path.join(out, "_headers");
  const text = readFileSync(headers, "utf8");
  const policy = /^\s*Content-Security-Policy: (.*)$/m.exec(text)[1];
  writeFileSync(headers, `${text}\n/app/*\n  ! Content-Security-Policy\n  Content-Security-Policy: ${policy.replace("connect-src 'self'", `connect-src 'self' ${devInbox}`)}\n`);
}

// /app/: the reference web app, one module for the browser (hono/jsx/dom and hono/client), no CDN.
await build({
  define: { DEV_INBOX_URL: devInbox ? JSON.stringify(devInbox) : "undefined" },
  entryPoints: [path.join(root, "site/app/main.tsx")],
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "hono/jsx/dom",
  outfile: path.join(out, "app/app.js"),
  logLevel: "error",
});

const problems = Object.keys(FAILURES).map((code) => exampleProblem(code)).sort((a, b) => a.status - b.status || a.code.localeCompare(b.code));
mkdirSync(path.join(out, "problems"), { recursive: true });
// <slug>.html: served at /problems/<slug> as text/html (html_handling strips the extension).
for (const problem of problems) writeFileSync(path.join(out, `${problem.type.slice(1)}.html`), problemPage(problem, FAILURES[problem.code].page));
writeFileSync(path.join(out, "problems/index.html"), problemIndex(problems));

rmSync(target, { recursive: true, force: true });
renameSync(out, target);
console.log(`[build] ${path.relative(root, target) || target}/: the app at /app/${devInbox ? " (with its development banner)" : ""}, Swagger UI, openapi.json, ${problems.length} problem pages`);
