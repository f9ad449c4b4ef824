import { describe, expect, it } from "vitest";
import { RECORDED } from "../fixtures/cognito";
import { apiWith, jsonInit, problemOf, randomIp, scenario, STRONG_PASSWORD, uniqueEmail } from "../support/worker";

describe("rate limits", () => {
  it("refuses the 11th rapid wrong-password log-in for one email without calling Cognito, from any address", async () => {
    const upstream = await scenario({ InitiateAuth: [RECORDED.wrongPassword] });
    const email = uniqueEmail("victim");
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      const res = await apiWith(upstream.vars, "/platform/login", jsonInit({ email, password: `Guess-${attempt}!` }));
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get("retry-after")).toBe("60");
        expect((await problemOf(res)).code).toBe("rate_limited");
      }
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    expect(await upstream.calls()).toHaveLength(10);
  });

  it("keeps other accounts usable while one is being guessed", async () => {
    const upstream = await scenario({ InitiateAuth: [RECORDED.wrongPassword] });
    const victim = uniqueEmail("victim");
    for (let attempt = 0; attempt < 11; attempt++) await apiWith(upstream.vars, "/platform/login", jsonInit({ email: victim, password: "Guess-1!" }));
    const other = await apiWith(upstream.vars, "/platform/login", jsonInit({ email: uniqueEmail(), password: STRONG_PASSWORD }));
    expect(other.status).toBe(401);
  });

  it("counts reset and confirmation codes against the same account budget", async () => {
    const upstream = await scenario({ ConfirmForgotPassword: [RECORDED.codeMismatch] });
    const email = uniqueEmail("victim");
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 11; attempt++) {
      const res = await apiWith(upstream.vars, "/platform/password/reset", jsonInit({ email, code: String(100000 + attempt), password: STRONG_PASSWORD }));
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((status) => status === 400)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it("does not limit sign-up per email: a duplicate still answers 409", async () => {
    const upstream = await scenario({ SignUp: [RECORDED.usernameExists], InitiateAuth: [RECORDED.wrongPassword] });
    const email = uniqueEmail("popular");
    for (let attempt = 0; attempt < 12; attempt++) {
      const res = await apiWith(upstream.vars, "/platform/signup", jsonInit({ email, password: `Other-${attempt}-Pass!` }));
      expect(res.status).toBe(409);
    }
  });

  it("limits one address per route before reading the body, and leaves other addresses alone", async () => {
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 121; i++) {
      const res = await apiWith({}, "/platform/signup", jsonInit({}, { headers: { "cf-connecting-ip": ip } }));
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 120).every((status) => status === 400)).toBe(true);
    expect(statuses[120]).toBe(429);
    // Another route for the same address has its own budget; another address is unaffected.
    expect((await apiWith({}, "/platform/login", jsonInit({}, { headers: { "cf-connecting-ip": ip } }))).status).toBe(400);
    expect((await apiWith({}, "/platform/signup", jsonInit({}))).status).toBe(400);
  });
});
