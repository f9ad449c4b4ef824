// The import rules of the README's Layout, checked on the source: each layer imports only downwards.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");

/** Every module under src/, with what it imports (resolved to src-relative paths, or the package name). */
function imports(): { file: string; imported: string[] }[] {
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts"));
  return files.map((file) => {
    const text = readFileSync(path.join(SRC, file), "utf8");
    const specifiers = [...text.matchAll(/^(?:import|export)[^"']*?from\s+["']([^"']+)["']/gm)].map((match) => match[1]!);
    const imported = specifiers.map((specifier) =>
      specifier.startsWith(".") ? path.relative(SRC, path.resolve(SRC, path.dirname(file), specifier)) : specifier.split("/")[0]!,
    );
    return { file, imported };
  });
}

/** For each area: what its modules must not import (by prefix). */
const FORBIDDEN: [area: string, forbidden: string[]][] = [
  ["cognito/", ["hono", "problems", "middleware/", "services/", "routes/", "auth/", "docs/", "index"]],
  ["broker/", ["hono", "problems", "middleware/", "services/", "routes/", "auth/", "cognito/", "docs/", "index"]],
  ["auth/", ["hono", "problems", "middleware/", "services/", "routes/", "cognito/", "docs/", "index"]],
  ["plaid/", ["hono", "problems", "middleware/", "services/", "routes/", "auth/", "cognito/", "broker/", "docs/", "index"]],
  ["services/", ["hono", "problems", "middleware/", "routes/", "docs/", "index"]],
  ["middleware/", ["routes/", "docs/", "index"]],
  ["routes/", ["docs/openapi", "index"]],
  ["config", ["hono", "problems", "middleware/", "services/", "routes/", "cognito/", "auth/", "docs/", "index"]],
  ["problems", ["middleware/", "services/", "routes/", "cognito/", "auth/", "docs/", "index"]],
];

describe("layers", () => {
  it("import only downwards: entry -> routes -> middleware / services -> cognito / broker / auth -> config", () => {
    const violations = imports().flatMap(({ file, imported }) => {
      const rules = FORBIDDEN.filter(([area]) => file.startsWith(area));
      return imported.filter((target) => rules.some(([, forbidden]) => forbidden.some((prefix) => target.startsWith(prefix)))).map((target) => `${file} imports ${target}`);
    });
    expect(violations).toEqual([]);
  });

  it("keeps build-time docs out of the Worker: nothing it runs imports src/docs or a *.docs.ts file", () => {
    const worker = imports().filter(({ file }) => !file.startsWith("docs/") && !file.endsWith(".docs.ts"));
    const violations = worker.flatMap(({ file, imported }) => imported.filter((target) => target.startsWith("docs/") || target.endsWith(".docs")).map((target) => `${file} imports ${target}`));
    expect(violations).toEqual([]);
  });
});
