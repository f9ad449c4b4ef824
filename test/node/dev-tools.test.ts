// The development inbox (scripts/dev-inbox.mjs) reaches the web app only in a `npm run dev` build:
// the app built as `npm run deploy` builds it has no banner, no inbox address and no CSP exception,
// and the Worker has no code of it at all.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const INBOX = "http://127.0.0.1:45678";
const dirs: string[] = [];

/** public/ as built with the environment given (DEV_INBOX_URL is what `npm run dev` sets). */
function buildAssets(env: Record<string, string | undefined>) {
  const outdir = mkdtempSync(path.join(tmpdir(), "edge-assets-"));
  dirs.push(outdir);
  execFileSync(process.execPath, [path.join(root, "scripts/build-assets.mjs"), "--outdir", outdir, "--no-typecheck"], { cwd: root, stdio: "ignore", env: { ...process.env, ...env } });
  return { script: readFileSync(path.join(outdir, "app/app.js"), "utf8"), headers: readFileSync(path.join(outdir, "_headers"), "utf8") };
}

afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("the development inbox", () => {
  it("is in the app built by npm run dev: its banner, and the inbox's one address in the app's connect-src only", () => {
    const { script, headers } = buildAssets({ DEV_INBOX_URL: INBOX });
    expect(script).toContain(INBOX);
    expect(script).toContain("dev-banner");
    const [everyFile, app] = headers.split("\n/app/*\n");
    expect(everyFile).toContain("connect-src 'self';");
    expect(everyFile).not.toContain(INBOX);
    expect(app).toContain("! Content-Security-Policy");
    expect(app).toContain(`connect-src 'self' ${INBOX};`);
  }, 60_000);

  it("is nowhere in the app built for a deployment: no banner, no address, connect-src 'self' alone", () => {
    const { script, headers } = buildAssets({ DEV_INBOX_URL: undefined });
    expect(script).not.toContain("dev-banner");
    expect(script).not.toContain("/codes/");
    expect(script).not.toContain("127.0.0.1");
    expect(headers).toContain("connect-src 'self';");
    expect(headers).not.toContain("/app/*");
  }, 60_000);

  it("is nowhere in the Worker's sources", () => {
    const sources = readdirSync(path.join(root, "src"), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    const mentions = sources.filter((entry) => /DEV_INBOX|dev-inbox|\/codes\//.test(readFileSync(path.join(entry.parentPath, entry.name), "utf8")));
    expect(mentions.map((entry) => entry.name)).toEqual([]);
  });
});
