import { loadPlaidConfig } from "./config";

/**
 * The reference app's page (/app/, /app/index.html), the one asset the Worker sees first (wrangler.toml
 * `run_worker_first`): its Content-Security-Policy depends on the deployment. With Plaid's settings
 * (for Plaid's own hosts: PlaidConfig.linkApi) it also allows what Plaid Link's documented CSP names,
 * and the page is marked so that the app offers "Link with Plaid"; otherwise it is the static file as
 * site/_headers serves it (the assets' answer keeps its headers), so no Plaid script can run there.
 * No upstream call: the settings are parsed once per isolate.
 */
export async function appPage(request: Request, env: Env): Promise<Response> {
  const plaid = loadPlaidConfig(env);
  const linkApi = plaid.ok ? plaid.plaid.linkApi : undefined;
  if (!linkApi) return env.ASSETS.fetch(request);
  // The page changes with the settings, so no revalidation against the file's own ETag.
  const headers = new Headers(request.headers);
  headers.delete("if-none-match");
  headers.delete("if-modified-since");
  const page = await env.ASSETS.fetch(new Request(request, { headers }));
  const policy = page.headers.get("content-security-policy");
  if (!page.ok || !policy) return page;
  const answer = new Response(page.body, page);
  answer.headers.set("content-security-policy", withPlaidLink(policy, linkApi));
  answer.headers.delete("etag");
  return new HTMLRewriter().on("html", { element: (html) => void html.setAttribute("data-plaid-link", "") }).transform(answer);
}

/** Plaid Link's script, its frame and the API host it calls, added to the page's own policy. */
export function withPlaidLink(policy: string, linkApi: string): string {
  const extra: Record<string, string> = {
    "default-src": "https://cdn.plaid.com/",
    "script-src": "https://cdn.plaid.com/link/v2/stable/link-initialize.js",
    "frame-src": "https://cdn.plaid.com/",
    "connect-src": `${linkApi}/`,
  };
  const directives = policy.split(";").map((directive) => directive.trim()).filter(Boolean);
  const named = directives.map((directive) => {
    const name = directive.split(" ")[0]!;
    const source = extra[name];
    delete extra[name];
    return source ? `${directive} ${source}` : directive;
  });
  return [...named, ...Object.entries(extra).map(([name, source]) => `${name} ${source}`)].join("; ");
}
