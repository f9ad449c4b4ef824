// The app's page (/app/) as the Worker serves it first (src/app-page.ts): its Content-Security-Policy
// allows Plaid Link's origins on a deployment with Plaid's settings, and only there; every other header
// is the static assets' own (site/_headers), and GET / keeps its JSON. The policy is compared with the
// file's own as the assets serve it: a build by `npm run dev` adds its inbox to the app's (docs/web-app.md).
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import headersFile from "../../site/_headers?raw";
import worker from "../../src/index";
import { api, BASE, envWith } from "../support/worker";
import { PLAID_KEYS } from "../support/funding";

/** site/_headers' rule for every file, by lower-case name. */
const STATIC = Object.fromEntries([...headersFile.matchAll(/^ {2}([\w-]+): (.+)$/gm)].map(([, name, value]) => [name!.toLowerCase(), value!]));

async function page(path: string, vars: Record<string, unknown>, init?: RequestInit) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(BASE + path, init) as Request<unknown, IncomingRequestCfProperties>, envWith(vars) as unknown as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The page's policy as the static assets serve it, without the Worker. */
const filePolicy = async () => (await env.ASSETS.fetch(`${BASE}/app/`)).headers.get("content-security-policy")!;

/** The policy's directives, by name, each with its sources. */
const directives = (policy: string | null) =>
  Object.fromEntries((policy ?? "").split(";").map((directive) => directive.trim().split(" ")).map(([name, ...sources]) => [name!, sources]));

/** The answer's security headers: those site/_headers names, read from the answer. */
const securityHeaders = (res: Response) => Object.fromEntries(Object.keys(STATIC).map((name) => [name, res.headers.get(name)]));

describe("the app's page", () => {
  const withoutPlaid = { PLAID_CLIENT_ID: undefined, PLAID_SECRET: undefined };

  it("without Plaid's settings, or with Plaid elsewhere than Plaid (the stand-in: Link cannot open its tokens), is the static file with site/_headers' policy: no Plaid origin, no Plaid mark", async () => {
    const standin = { ...PLAID_KEYS, PLAID_API_URL: "http://127.0.0.1:9/plaid" };
    for (const [path, vars] of [["/app/", withoutPlaid], ["/app/index.html", withoutPlaid], ["/app/", standin]] as const) {
      const res = await page(path, vars);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect({ ...securityHeaders(res), "content-security-policy": STATIC["content-security-policy"] }).toEqual(STATIC);
      expect(directives(res.headers.get("content-security-policy"))).toEqual(directives(await filePolicy()));
      expect(res.headers.get("content-security-policy")).not.toContain("plaid");
      const html = await res.text();
      expect(html).toContain('<script type="module" src="/app/app.js"></script>');
      expect(html).not.toContain("data-plaid-link");
    }
  });

  it("with Plaid's settings allows exactly Plaid Link's script, frame and its environment's API host, and marks the page; nothing else changes, nothing is called", async () => {
    const file = directives(await filePolicy());
    for (const [name, sources] of Object.entries(directives(STATIC["content-security-policy"]!))) expect(file[name]).toEqual(expect.arrayContaining(sources!));
    const upstream = vi.spyOn(globalThis, "fetch");
    for (const [env, host] of [["sandbox", "https://sandbox.plaid.com/"], ["production", "https://production.plaid.com/"]] as const) {
      const vars = { ...PLAID_KEYS, PLAID_ENV: env };
      const res = await page("/app/", vars);
      expect(res.status).toBe(200);
      const policy = res.headers.get("content-security-policy");
      const added = Object.fromEntries(
        Object.entries(directives(policy))
          .map(([name, sources]): [string, string[]] => [name, sources!.filter((source) => !(file[name] ?? []).includes(source))])
          .filter(([, sources]) => sources.length > 0),
      );
      expect(added).toEqual({
        "default-src": ["https://cdn.plaid.com/"],
        "script-src": ["https://cdn.plaid.com/link/v2/stable/link-initialize.js"],
        "frame-src": ["https://cdn.plaid.com/"],
        "connect-src": [host],
      });
      // Every directive of the static policy is still there with every one of its sources ('self' only for scripts: no inline script).
      for (const [name, sources] of Object.entries(file)) expect(directives(policy)[name]).toEqual(expect.arrayContaining(sources!));
      expect(directives(policy)["script-src"]).not.toContain("'unsafe-inline'");
      expect({ ...securityHeaders(res), "content-security-policy": STATIC["content-security-policy"] }).toEqual(STATIC);
      expect(res.headers.get("etag")).toBeNull();
      expect(await res.text()).toMatch(/<html lang="en" data-plaid-link(="")?>/);
    }
    expect(upstream).not.toHaveBeenCalled();
    upstream.mockRestore();
  });

  it("with Plaid's settings answers the whole page to a revalidation: a copy cached before Plaid was set would lack the mark", async () => {
    const first = await page("/app/", {});
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    expect((await page("/app/", withoutPlaid, { headers: { "if-none-match": etag! } })).status).toBe(304);
    const res = await page("/app/", { ...PLAID_KEYS }, { headers: { "if-none-match": etag! } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("data-plaid-link");
  });

  it("leaves GET / the API's JSON", async () => {
    const res = await api("/");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ message: "Server is running" });
  });
});
