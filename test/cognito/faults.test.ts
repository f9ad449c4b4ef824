// Upstream faults: every one ends in a clear 5xx problem within the request's time budget.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { authenticationResult } from "../fixtures/cognito";
import type { Reply } from "../support/fake-upstream";
import { retriesWithoutPause, timingOut } from "../support/timeouts";
import { apiWith, jsonInit, problemOf, scenario, STRONG_PASSWORD, uniqueEmail } from "../support/worker";

retriesWithoutPause();

const login = () => jsonInit({ email: uniqueEmail(), password: STRONG_PASSWORD });


/** A hung call times out as soon as the fake upstream holds it (test/support/timeouts.ts). */
async function loginWith(replies: Reply[], vars: Record<string, string> = {}) {
  const upstream = await scenario({ InitiateAuth: replies });
  const started = Date.now();
  const res = await timingOut(() => apiWith({ ...upstream.vars, ...vars }, "/platform/login", login()));
  return { res, ms: Date.now() - started, calls: await upstream.calls() };
}

describe("upstream faults", () => {
  it("a Cognito that never answers -> 504 once the call's timeout passes", async () => {
    const { res, ms, calls } = await loginWith([{ hang: true }]);
    expect(res.status).toBe(504);
    expect((await problemOf(res)).code).toBe("upstream_timeout");
    expect(ms).toBeLessThan(5_000);
    expect(calls).toHaveLength(1);
  });

  it("by default, gives one Cognito call 5 s and a request 8 s in all, as docs/deploy.md says", () => {
    const result = loadConfig(env);
    if (!result.ok) throw new Error("test config invalid");
    expect([result.config.upstreamTimeoutMs, result.config.requestBudgetMs]).toEqual([5_000, 8_000]);
  });

  it("slow answers stop at the request's total budget, retries included", async () => {
    const { res, ms } = await loginWith([{ status: 500, body: "<html>busy</html>", delayMs: 400 }], {
      UPSTREAM_TIMEOUT_MS: "1000",
      REQUEST_BUDGET_MS: "600",
    });
    // 500 at 400 ms, retried, and the retry cut off by the 600 ms budget.
    expect(res.status).toBe(504);
    expect(ms).toBeLessThan(3_000);
  });

  it("a refused connection -> 503 with Retry-After", async () => {
    const unused = (env as unknown as Record<string, string>).UNUSED_PORT;
    const res = await apiWith({ COGNITO_ENDPOINT: `http://127.0.0.1:${unused}/` }, "/platform/login", login());
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect((await problemOf(res)).code).toBe("upstream_unavailable");
  });

  it("a dropped connection -> 503", async () => {
    const { res } = await loginWith([{ destroy: true }]);
    expect(res.status).toBe(503);
  });

  const junk: [string, Reply][] = [
    ["an HTML error page", { status: 502, body: "<html><body>Bad Gateway</body></html>" }],
    ["a 200 that is not JSON", { status: 200, body: "<html>ok</html>" }],
    ["a 200 with a JSON array", { status: 200, body: [] as unknown as object }],
    ["a 200 without AuthenticationResult", { status: 200, body: { ChallengeParameters: {} } }],
    ["tokens that are not JWTs", { status: 200, body: { AuthenticationResult: { AccessToken: "x", IdToken: "y", RefreshToken: "z" } } }],
    ["an error without a type", { status: 400, body: { message: "who knows" } }],
  ];
  for (const [name, reply] of junk) {
    it(`${name} -> 502 problem`, async () => {
      const { res } = await loginWith([reply]);
      expect(res.status).toBe(502);
      const problem = await problemOf(res);
      expect(problem.code).toBe("upstream_error");
      expect(JSON.stringify(problem)).not.toMatch(/html|who knows/i);
    });
  }

  it("recovers when a junk answer is followed by a good one", async () => {
    const { res, calls } = await loginWith([{ status: 503, body: "<html>busy</html>" }, authenticationResult()]);
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(2);
  });
});
