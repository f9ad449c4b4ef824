// The import rules of docs/design.md's Layout, checked on the source: each layer imports only downwards.
//   index -> routes -> middleware | services -> cognito | broker | ses | plaid | market | auth -> config and the
//   shared bottom (failures, upstream, isolate, bounded-map, json, log); docs (build time) may read
//   anything, and nothing the Worker runs reads docs.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OPERATIONS } from "../../src/docs/openapi";
import { app } from "../../src/index";
import { withBroker } from "../../src/middleware/broker";
import { requireAuth } from "../../src/middleware/require-auth";
import { declarationOf } from "../../src/routes/rules";

const SRC = path.resolve(import.meta.dirname, "../../src");

/**
 * Every module under src/, with what it imports (resolved to src-relative paths, or the package name),
 * and apart, what it imports only as types (`import type`).
 */
function imports(): { file: string; imported: string[]; typesOnly: string[] }[] {
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts"));
  return files.map((file) => {
    const text = readFileSync(path.join(SRC, file), "utf8");
    const resolved = (specifier: string) =>
      specifier.startsWith(".") ? path.relative(SRC, path.resolve(SRC, path.dirname(file), specifier)) : specifier.split("/")[0]!;
    const found = [...text.matchAll(/^(import type|import|export)[^"']*?from\s+["']([^"']+)["']/gm)].map((match) => ({ typeOnly: match[1] === "import type", target: resolved(match[2]!) }));
    return { file, imported: found.filter(({ typeOnly }) => !typeOnly).map(({ target }) => target), typesOnly: found.filter(({ typeOnly }) => typeOnly).map(({ target }) => target) };
  });
}

const UPSTREAM_CLIENTS = ["cognito/", "broker/", "ses/", "plaid/", "market/"];
const ABOVE_CLIENTS = ["hono", "middleware/", "services/", "routes/", "docs/", "index"];
const BOTTOM = ["config", "failures", "upstream", "isolate", "bounded-map", "json", "json-numbers", "log", "decimal", "actor", "limits", "time"];

/** For each area: what its modules must not import (by prefix). */
const FORBIDDEN: [area: string, forbidden: string[]][] = [
  // Upstream clients: no HTTP of ours, and none knows another.
  ...UPSTREAM_CLIENTS.map((client): [string, string[]] => [client, [...ABOVE_CLIENTS, "auth/", "schemas/", ...UPSTREAM_CLIENTS.filter((other) => other !== client)]]),
  // The token library: pure.
  ["auth/", [...ABOVE_CLIENTS, "schemas/", ...UPSTREAM_CLIENTS]],
  // Flows on plain values: no HTTP, no HTTP schemas, no JWT library (auth/ reads tokens).
  ["services/", ["hono", "middleware/", "routes/", "docs/", "index", "schemas/", "jose", "aws4fetch"]],
  // Plain functions over a typed context: they never call a flow.
  ["middleware/", ["services/", "routes/", "docs/", "index", "schemas/"]],
  // Thin adapters: they reach upstreams, tokens and failures only through middleware and services.
  ["routes/", [...UPSTREAM_CLIENTS, "auth/", "log", "failures", "upstream", "docs/", "index", "jose", "aws4fetch"]],
  // The composition root and the dependencies' types: no HTTP; every entry point (fetch, scheduled, a Durable Object) starts here.
  ["root", ["hono", "middleware/", "routes/", "docs/", "index", "schemas/"]],
  ["deps", ["hono", "middleware/", "routes/", "docs/", "index", "schemas/"]],
  // One store per D1 table: SQL over plain values, below every flow.
  ["stores/", ["hono", "middleware/", "services/", "routes/", "docs/", "index", "schemas/", ...UPSTREAM_CLIENTS, "auth/"]],
  ["schemas/", ["hono", "middleware/", "services/", "routes/", "docs/", "index", ...UPSTREAM_CLIENTS, "auth/"]],
  ...BOTTOM.map((module): [string, string[]] => [module, [...ABOVE_CLIENTS, "schemas/", ...UPSTREAM_CLIENTS, "auth/"]]),
];

/**
 * What an area may import as types only, though not as values: a flow names the entities it returns
 * and the requests it takes by the types derived from their schemas (their one definition), and runs none.
 */
const TYPES_ALLOWED: [area: string, allowed: string[]][] = [
  ["services/", ["schemas/"]],
  // A store's rows are the entities' types (the activity list's rows are ActivityEntryResponse).
  ["stores/", ["schemas/"]],
  // The error handler answers the Problem that schemas/responses.ts defines.
  ["middleware/error-handler.ts", ["schemas/responses"]],
];

/** `file imports target` for each import the rules forbid; `typesOnly` are imported as types alone. */
function violations(file: string, imported: string[], typesOnly: string[] = []): string[] {
  const allowed = TYPES_ALLOWED.filter(([area]) => file.startsWith(area)).flatMap(([, prefixes]) => prefixes);
  return [...imported, ...typesOnly.filter((target) => !allowed.some((prefix) => target.startsWith(prefix)))].flatMap((target) => forbiddenFor(file, target));
}

function forbiddenFor(file: string, target: string): string[] {
  const rules = FORBIDDEN.filter(([area]) => (area.endsWith("/") ? file.startsWith(area) : file === `${area}.ts`));
  return rules.some(([, forbidden]) => forbidden.some((prefix) => target.startsWith(prefix))) ? [`${file} imports ${target}`] : [];
}

describe("layers", () => {
  it("import only downwards: entry -> routes -> middleware / services -> upstream clients / auth -> config and the shared bottom", () => {
    expect(imports().flatMap(({ file, imported, typesOnly }) => violations(file, imported, typesOnly))).toEqual([]);
  });

  it("catch each import against the direction that a review found (issue 16)", () => {
    const found: [string, string][] = [
      ["middleware/require-auth.ts", "services/profile"],
      ["middleware/verified-email.ts", "services/profile"],
      ["routes/sign-up.ts", "cognito/user-pool"],
      ["routes/sign-up.ts", "log"],
      ["routes/session.ts", "failures"],
      ["services/tokens.ts", "schemas/responses"],
      ["services/tokens.ts", "jose"],
      ["routes/session.ts", "docs/route-docs"],
      ["broker/client.ts", "cognito/errors"],
      ["config.ts", "hono"],
    ];
    for (const [file, target] of found) expect(violations(file, [target])).toEqual([`${file} imports ${target}`]);
  });

  it("keeps SQL in the stores: nothing outside src/stores prepares a statement or holds one", () => {
    const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts") && !file.startsWith("stores/"));
    const sql = /\.prepare\(|\bexec\(\s*["'`]|["'`]\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE|ALTER|DROP)\s/;
    expect(files.filter((file) => sql.test(readFileSync(path.join(SRC, file), "utf8")))).toEqual([]);
  });

  it("proves flows run without a request: test/flows calls a transfer flow from a plain function, importing no HTTP layer", () => {
    const text = readFileSync(path.resolve(SRC, "../test/flows/without-request.test.ts"), "utf8");
    expect(text).toContain("createTransfer(deps, actor");
    expect(text).toContain("depsFrom(");
    const imported = [...text.matchAll(/^import[^"']*?from\s+["']([^"']+)["']/gm)].map((match) => match[1]!);
    expect(imported.filter((specifier) => /^hono|\/(index|routes|middleware)\b/.test(specifier))).toEqual([]);
  });

  it("writes audit rows from one place: only services/audit.ts asks the audit store for a row", () => {
    const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts") && file !== "services/audit.ts" && !file.startsWith("stores/"));
    expect(files.filter((file) => /\.(event|eventAfterChange)\(/.test(readFileSync(path.join(SRC, file), "utf8")))).toEqual([]);
  });

  it("lets a route call a flow only with the request's deps first: (deps, actor, input), or (deps, input) for no signed-in user", () => {
    // A money route's refusal row (auditRefusals in routes/rules.ts): not a flow.
    const notFlows = new Set(["auditFailure"]);
    const routes = readdirSync(path.join(SRC, "routes")).filter((file) => file.endsWith(".ts"));
    const calls = routes.flatMap((file) => {
      const text = readFileSync(path.join(SRC, "routes", file), "utf8");
      const flows = [...text.matchAll(/^import \{([^}]*)\} from "\.\.\/services\/[^"]+";/gm)].flatMap((match) =>
        match[1]!.split(",").map((name) => name.trim()).filter((name) => name && !name.startsWith("type ") && !notFlows.has(name)),
      );
      return flows.flatMap((flow) =>
        [...text.matchAll(new RegExp(`\\b${flow}\\((.{0,30})`, "g"))].map((call) => ({ call: `${file}: ${flow}(${call[1]!}`, args: call[1]! })),
      );
    });
    // Every flow call of every router is seen (log-in's among them), and each passes the deps first.
    expect(calls.length).toBeGreaterThan(30);
    expect(calls.map(({ call }) => call)).toContainEqual(expect.stringMatching(/^session\.ts: logIn\(c\.get\("loginDeps"\), /));
    expect(calls.filter(({ args }) => !/^(c\.get\("(loginDeps|deps)"\)|deps\(c\)|depsOf\(c\))[,)]/.test(args)).map(({ call }) => call)).toEqual([]);
  });

  it("let a flow import a schema's derived type, never the schema itself", () => {
    expect(violations("services/trading.ts", [], ["schemas/funding-responses"])).toEqual([]);
    expect(violations("services/trading.ts", ["schemas/funding-responses"])).toEqual(["services/trading.ts imports schemas/funding-responses"]);
    expect(violations("middleware/money.ts", [], ["schemas/funding"])).toEqual(["middleware/money.ts imports schemas/funding"]);
    expect(violations("middleware/error-handler.ts", [], ["schemas/responses"])).toEqual([]);
  });

  it("keeps build-time docs out of the Worker: nothing it runs imports src/docs", () => {
    const worker = imports().filter(({ file }) => !file.startsWith("docs/"));
    const offending = worker.flatMap(({ file, imported, typesOnly }) => [...imported, ...typesOnly].filter((target) => target.startsWith("docs/")).map((target) => `${file} imports ${target}`));
    expect(offending).toEqual([]);
  });
});

/** The one route whose rules are its own (routes/live-events.ts): its holder is a one-use ticket's or the bearer token's. */
const OWN_RULES = ["GET /platform/accounts/me/events"];
/** The routes that move or show money: each declares `uses: "money"` and its audit action. */
const MONEY = /^\/platform\/(accounts\/me\/(bank-links|transfers|orders|positions)|plaid\/)/;

/** Each route of the app's route list under /platform ("METHOD /path"), with its handlers in order. */
function platformRoutes(): Map<string, unknown[]> {
  const routes = new Map<string, unknown[]>();
  for (const { method, path: routePath, handler } of app.routes) {
    if (method === "ALL" || !routePath.startsWith("/platform/")) continue;
    const route = `${method} ${routePath}`;
    routes.set(route, [...(routes.get(route) ?? []), handler]);
  }
  return routes;
}

// Issue 22: cross-cutting rules declared once per route, so that no route can forget one.
describe("route rules", () => {
  it("are declared through rules() by every route that needs a signed-in user, and only those, as the docs list them", () => {
    const routes = platformRoutes();
    const declared = [...routes].filter(([, handlers]) => handlers.some((handler) => declarationOf(handler))).map(([route]) => route);
    const signedIn = OPERATIONS.filter((op) => op.auth).map((op) => `${op.method.toUpperCase()} ${op.path}`);
    expect(declared.length).toBeGreaterThan(40);
    expect(declared.sort()).toEqual(signedIn.filter((route) => !OWN_RULES.includes(route)).sort());
    // One declaration per route, and none of the rules' middleware added beside it by hand.
    for (const route of declared) expect([route, routes.get(route)!.filter((handler) => declarationOf(handler)).length]).toEqual([route, 1]);
    const byHand = [...routes].filter(([, handlers]) => handlers.some((handler) => handler === requireAuth || handler === withBroker)).map(([route]) => route);
    expect(byHand).toEqual(OWN_RULES);
  });

  it("give every money route its audit action, and the funding limits", () => {
    const declarations = [...platformRoutes()].flatMap(([route, handlers]) => handlers.map(declarationOf).filter((found) => found !== undefined).map((found) => [route, found] as const));
    const money = declarations.filter(([route]) => MONEY.test(route.split(" ")[1]!));
    expect(money.length).toBeGreaterThan(15);
    expect(money.filter(([, found]) => found.uses !== "money" || !found.action).map(([route]) => route)).toEqual([]);
    // And only those: an audit action elsewhere would write rows the flows there do not expect.
    expect(declarations.filter(([route, found]) => found.uses === "money" && !MONEY.test(route.split(" ")[1]!)).map(([route]) => route)).toEqual([]);
  });

  it("are the only way a route file reaches the rules' middleware: the user, the dependencies, the limits, the key, the recent sign-in", () => {
    // What a route file may still import from those modules: the anonymous routes' limits (keyed by
    // the email in their body), and the live stream's own rules (OWN_RULES).
    const allowed: Record<string, string[]> = { "live-events.ts": ["withBroker", "requireAuth", "limit"] };
    const anonymous = ["limitGuesses", "limitMail"];
    const rulesModules = /^\.\.\/middleware\/(require-auth|broker|money|rate-limit|recent-sign-in)$/;
    const files = readdirSync(path.join(SRC, "routes")).filter((file) => file.endsWith(".ts") && file !== "rules.ts");
    const imported = files.flatMap((file) =>
      [...readFileSync(path.join(SRC, "routes", file), "utf8").matchAll(/^import \{([^}]*)\} from "([^"]+)";/gm)]
        .filter((match) => rulesModules.test(match[2]!))
        .flatMap((match) => match[1]!.split(",").map((name) => name.trim()).filter((name) => name && !name.startsWith("type ")))
        .filter((name) => !anonymous.includes(name) && !(allowed[file] ?? []).includes(name))
        .map((name) => `${file} imports ${name}`),
    );
    expect(files.length).toBeGreaterThan(10);
    expect(imported).toEqual([]);
  });
});
