// The Worker's minified, gzipped size: part of cold-start time, with a budget every change must keep.
// Built as `wrangler deploy --dry-run --minify` builds it, offline; that also runs the [build] command
// that writes public/, the static assets, whose size is printed too (served as files, not part of
// the script: no budget beyond Cloudflare's 25 MiB per file), and the reference app's page at /app/
// (what a browser downloads to show it: its HTML, script and style sheet), with a budget of its own.
// `npm run size` checks both budgets (CI runs it); `npm run bench` reports the figure through measureWorkerBundle.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

// 96 KiB gzip for everything in the current issues (the developers' guide; issue 22): a guard on
// start-up time, not a reason for hand-written duplicates of what a library does.
export const SIZE_BUDGET_BYTES = 96 * 1024;

/**
 * The app's first load on a phone: one script with its framework (hono/jsx/dom) and API client
 * (hono/client) in it, small enough to start at once on a slow connection.
 */
export const APP_PAGE_BUDGET_BYTES = 32 * 1024;
const APP_PAGE = ["public/app/index.html", "public/app/app.js", "public/app/app.css"];

/** { rawBytes, gzipBytes } of what a browser downloads for /app/, from the built public/. */
export function measureAppPage() {
  const files = APP_PAGE.map((file) => readFileSync(file));
  return {
    rawBytes: files.reduce((sum, bytes) => sum + bytes.length, 0),
    gzipBytes: files.reduce((sum, bytes) => sum + gzipSync(bytes, { level: 9 }).length, 0),
  };
}

/** { rawBytes, gzipBytes } of the deployable bundle, built into a temporary folder. */
export function measureWorkerBundle() {
  const outdir = mkdtempSync(path.join(tmpdir(), "edge-auth-size-"));
  try {
    // --env "": the top-level Worker (wrangler.toml also defines env.bench).
    execFileSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--minify", "--env", "", "--outdir", outdir], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    const bundle = readdirSync(outdir).filter((file) => file.endsWith(".js"));
    const raw = bundle.reduce((sum, file) => sum + readFileSync(path.join(outdir, file)).length, 0);
    const gzip = bundle.reduce((sum, file) => sum + gzipSync(readFileSync(path.join(outdir, file)), { level: 9 }).length, 0);
    return { rawBytes: raw, gzipBytes: gzip };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rawBytes, gzipBytes } = measureWorkerBundle();
  const kib = (bytes) => (bytes / 1024).toFixed(1);
  console.log(`worker bundle: ${kib(rawBytes)} KiB minified, ${kib(gzipBytes)} KiB gzip (budget ${kib(SIZE_BUDGET_BYTES)} KiB gzip)`);
  const assets = readdirSync("public", { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  const assetBytes = assets.map((entry) => readFileSync(path.join(entry.parentPath, entry.name)));
  const assetRaw = assetBytes.reduce((sum, bytes) => sum + bytes.length, 0);
  const assetGzip = assetBytes.reduce((sum, bytes) => sum + gzipSync(bytes, { level: 9 }).length, 0);
  console.log(`static assets (public/): ${assets.length} files, ${kib(assetRaw)} KiB, ${kib(assetGzip)} KiB gzip`);
  const app = measureAppPage();
  console.log(`app page (/app/: ${APP_PAGE.map((file) => path.basename(file)).join(", ")}): ${kib(app.rawBytes)} KiB, ${kib(app.gzipBytes)} KiB gzip (budget ${kib(APP_PAGE_BUDGET_BYTES)} KiB gzip)`);
  if (gzipBytes > SIZE_BUDGET_BYTES) {
    console.error("over the size budget: find what grew with `wrangler deploy --dry-run --minify --metafile`");
    process.exitCode = 1;
  }
  if (app.gzipBytes > APP_PAGE_BUDGET_BYTES) {
    console.error("the app's page is over its budget: find what grew with `npx esbuild site/app/main.tsx --bundle --minify --analyze`");
    process.exitCode = 1;
  }
}
