// npm run openapi: writes docs/openapi.json from src/openapi.ts (the zod schemas the routes use).
import { build } from "esbuild";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = mkdtempSync(path.join(tmpdir(), "edge-auth-openapi-"));
try {
  const outfile = path.join(outdir, "openapi.mjs");
  await build({ entryPoints: [path.join(root, "src/openapi.ts")], bundle: true, platform: "node", format: "esm", outfile, logLevel: "error" });
  const { openApiDocument } = await import(pathToFileURL(outfile).href);
  await mkdir(path.join(root, "docs"), { recursive: true });
  await writeFile(path.join(root, "docs/openapi.json"), JSON.stringify(openApiDocument(), null, 2) + "\n");
  console.log("wrote docs/openapi.json");
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
