// The limits of src/middleware/rate-limit.ts, as an attacker would probe them. Limits come from
// wrangler.toml: 120 a minute per address and route, 10 guesses of a kind a minute per email and
// address, 300 passing guesses of a kind a minute per email, 5 mails a minute per recipient and
// address, 30 passing mails a minute per recipient.
import { afterEach, describe, expect, it, vi } from "vitest";
import { adminGetUserResult, authenticationResult, challenge, RECORDED } from "../fixtures/cognito";
import { answerCognitoInIsolate } from "../support/cognito-in-isolate";
import type { Reply } from "../support/fake-upstream";
import { limitersInIsolate } from "../support/limiters-in-isolate";
import { apiWith, inOneLimitWindow, jsonInit, problemOf, randomIp, scenario, STRONG_PASSWORD, uniqueEmail, upToLimitThenOne, visibleAnswer, withoutRequestId } from "../support/worker";

const from = (ip: string): RequestInit => ({ headers: { "cf-connecting-ip": ip } });

/**
 * The floods send hundreds of requests: Cognito and the limiters (wrangler.toml's, counted in the
 * isolate, a fresh window per test) answer inside the isolate, where the local runtime's simulated
 * limiter would take seconds. The other tests here use the real bindings.
 */
const COGNITO = "http://cognito.flood.test";
const floodVars = () => ({ COGNITO_ENDPOINT: `${COGNITO}/`, COGNITO_ISSUER: `${COGNITO}/pool`, ...limitersInIsolate() });

afterEach(() => {
  vi.restoreAllMocks();
});

/** `count` replies of one kind, then another that repeats: the fake answers calls in order. */
const repeated = (reply: Reply, count: number, then: Reply): Reply[] => [...Array<Reply>(count).fill(reply), then];

describe("password guessing", () => {
  it("refuses the 11th wrong password for one email from one address, without calling Cognito", () =>
    inOneLimitWindow(async () => {
      const upstream = await scenario({ InitiateAuth: [RECORDED.wrongPassword] });
      const email = uniqueEmail("victim");
      const ip = randomIp();
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 12; attempt++) {
        const res = await apiWith(upstream.vars, "/platform/login", jsonInit({ email, password: `Guess-${attempt}!` }, from(ip)));
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.headers.get("retry-after")).toBe("60");
          expect((await problemOf(res)).detail).toBe("Too many attempts for this account; retry later.");
        }
      }
      expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
      expect(await upstream.calls()).toHaveLength(10);
    }));

  it("lets the victim log in from their own address while 24 other addresses flood forgot and wrong passwords", async () => {
    // 24 addresses x 10 counted wrong passwords reach Cognito; the victim's right password comes after them.
    const cognito = answerCognitoInIsolate(COGNITO, {
      InitiateAuth: repeated(RECORDED.wrongPassword, 240, authenticationResult()),
      ForgotPassword: [{ status: 200, body: {} }],
    });
    const vars = floodVars();
    const victim = uniqueEmail("victim");
    const attackers = Array.from({ length: 24 }, () => randomIp());
    const seen = new Set<number>();
    // The addresses attack at once, each one request after another.
    await Promise.all(
      attackers.map(async (ip) => {
        for (let attempt = 0; attempt < 12; attempt++) {
          seen.add((await apiWith(vars, "/platform/login", jsonInit({ email: victim, password: `Guess-${attempt}!` }, from(ip)))).status);
        }
        for (let attempt = 0; attempt < 3; attempt++) {
          seen.add((await apiWith(vars, "/platform/password/forgot", jsonInit({ email: victim }, from(ip)))).status);
        }
      }),
    );
    expect([...seen].sort()).toEqual([202, 401, 429]);
    const own = await apiWith(vars, "/platform/login", jsonInit({ email: victim, password: STRONG_PASSWORD }, from(randomIp())));
    expect(own.status).toBe(200);
    expect(cognito.calls().filter((action) => action === "InitiateAuth")).toHaveLength(241);
    // 24 x 3 passed their addresses' limits; the victim's inbox got the backstop's 30.
    expect(cognito.calls().filter((action) => action === "ForgotPassword")).toHaveLength(30);
  });

  it("stops guessing spread over many addresses at 300 a minute per email", async () => {
    const cognito = answerCognitoInIsolate(COGNITO, { InitiateAuth: [RECORDED.wrongPassword] });
    const vars = floodVars();
    const email = uniqueEmail("victim");
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const ip = randomIp();
        const own = [];
        for (let attempt = 0; attempt < 10; attempt++) {
          own.push((await apiWith(vars, "/platform/login", jsonInit({ email, password: `Guess-${attempt}!` }, from(ip)))).status);
        }
        return own;
      }),
    );
    expect(new Set(statuses.flat())).toEqual(new Set([401]));
    const next = await apiWith(vars, "/platform/login", jsonInit({ email, password: "Guess-x!" }, from(randomIp())));
    expect(next.status).toBe(429);
    expect(cognito.calls()).toHaveLength(300);
  });

  it("keeps other accounts usable while one is being guessed", async () => {
    const upstream = await scenario({ InitiateAuth: [RECORDED.wrongPassword] });
    const ip = randomIp();
    const victim = uniqueEmail("victim");
    for (let attempt = 0; attempt < 11; attempt++) await apiWith(upstream.vars, "/platform/login", jsonInit({ email: victim, password: "Guess-1!" }, from(ip)));
    const other = await apiWith(upstream.vars, "/platform/login", jsonInit({ email: uniqueEmail(), password: STRONG_PASSWORD }, from(ip)));
    expect(other.status).toBe(401);
  });

  it("asks for the address's and the guess's verdicts at once, and for the per-email backstop only once the guess passed", async () => {
    const upstream = await scenario({ InitiateAuth: [authenticationResult()] });
    const events: string[] = [];
    // The address's verdict is held until the guess check is asked: were the two one after the
    // other, the log-in would never be answered.
    let releaseAddress!: () => void;
    const addressVerdict = new Promise<void>((resolve) => (releaseAddress = resolve));
    const recording = (name: string, held?: Promise<void>) => ({
      async limit() {
        events.push(`${name} asked`);
        if (name === "GUESS_RATE_LIMITER") releaseAddress();
        await held;
        events.push(`${name} answered`);
        return { success: true };
      },
    });
    const limiters = { IP_RATE_LIMITER: recording("IP_RATE_LIMITER", addressVerdict), GUESS_RATE_LIMITER: recording("GUESS_RATE_LIMITER"), ACCOUNT_RATE_LIMITER: recording("ACCOUNT_RATE_LIMITER") };
    const res = await apiWith({ ...upstream.vars, ...limiters }, "/platform/login", jsonInit({ email: uniqueEmail(), password: STRONG_PASSWORD }, from(randomIp())));
    expect(res.status).toBe(200);
    expect(events.indexOf("GUESS_RATE_LIMITER asked")).toBeLessThan(events.indexOf("IP_RATE_LIMITER answered"));
    expect(events.indexOf("ACCOUNT_RATE_LIMITER asked")).toBeGreaterThan(events.indexOf("GUESS_RATE_LIMITER answered"));
    expect(events.filter((event) => event.endsWith("asked"))).toHaveLength(3);
  });
});

describe("sign-up", () => {
  it("answers a confirmed account's sign-up with 409 and never tries the password, however often", () =>
    inOneLimitWindow(async () => {
      const upstream = await scenario({ SignUp: [RECORDED.usernameExists], AdminGetUser: [adminGetUserResult("CONFIRMED")] });
      const email = uniqueEmail("popular");
      const ip = randomIp();
      const answers = [];
      for (let attempt = 0; attempt < 12; attempt++) {
        answers.push(await visibleAnswer(await apiWith(upstream.vars, "/platform/signup", jsonInit({ email, password: `Other-${attempt}-Pass!` }, from(ip)))));
      }
      expect(answers[0]!.status).toBe(409);
      for (const answer of answers) expect(answer).toEqual(answers[0]);
      expect((await upstream.calls()).some((call) => call.action === "InitiateAuth")).toBe(false);
    }));

  it("counts resuming an unconfirmed sign-up as a password guess, shared with log-in", () =>
    inOneLimitWindow(async () => {
      const upstream = await scenario({
        SignUp: [RECORDED.usernameExists],
        AdminGetUser: [adminGetUserResult("UNCONFIRMED")],
        InitiateAuth: [RECORDED.wrongPassword],
      });
      const email = uniqueEmail("pending");
      const ip = randomIp();
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        statuses.push((await apiWith(upstream.vars, "/platform/signup", jsonInit({ email, password: `Guess-${attempt}-Pass!` }, from(ip)))).status);
      }
      for (let attempt = 0; attempt < 6; attempt++) {
        statuses.push((await apiWith(upstream.vars, "/platform/login", jsonInit({ email, password: `Guess-${attempt}-Pass!` }, from(ip)))).status);
      }
      expect(statuses).toEqual([...Array(5).fill(409), ...Array(5).fill(401), 429]);
      expect((await upstream.calls()).filter((call) => call.action === "InitiateAuth")).toHaveLength(10);
    }));
});

describe("codes and mail", () => {
  it("counts reset and confirmation codes apart, per email and address, and apart from log-in", () =>
    inOneLimitWindow(async () => {
      const upstream = await scenario({
        ConfirmForgotPassword: [RECORDED.codeMismatch],
        ConfirmSignUp: [RECORDED.codeMismatch],
        InitiateAuth: [authenticationResult()],
      });
      const email = uniqueEmail("victim");
      const ip = randomIp();
      const reset = (code: string) => apiWith(upstream.vars, "/platform/password/reset", jsonInit({ email, code, password: STRONG_PASSWORD }, from(ip)));
      const confirm = (code: string) => apiWith(upstream.vars, "/platform/confirm", jsonInit({ email, code }, from(ip)));
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 11; attempt++) statuses.push((await reset(`10000${attempt}`)).status);
      for (let attempt = 0; attempt < 11; attempt++) statuses.push((await confirm(`20000${attempt}`)).status);
      expect(statuses).toEqual([...Array(10).fill(400), 429, ...Array(10).fill(400), 429]);
      // Another address still has its own budget, and the account still logs in from the flooded one.
      expect((await apiWith(upstream.vars, "/platform/confirm", jsonInit({ email, code: "400000" }, from(randomIp())))).status).toBe(400);
      expect((await apiWith(upstream.vars, "/platform/login", jsonInit({ email, password: STRONG_PASSWORD }, from(ip)))).status).toBe(200);
    }));

  it("lets a TOTP user log in after 31 addresses sent 10 wrong reset codes each for their email (attack 3)", async () => {
    const cognito = answerCognitoInIsolate(COGNITO, {
      ConfirmForgotPassword: [RECORDED.codeMismatch],
      InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")],
      RespondToAuthChallenge: [authenticationResult()],
    });
    const vars = floodVars();
    const victim = uniqueEmail("victim");
    const statuses = await Promise.all(
      Array.from({ length: 31 }, async () => {
        const ip = randomIp();
        const own = [];
        for (let attempt = 0; attempt < 10; attempt++) {
          own.push((await apiWith(vars, "/platform/password/reset", jsonInit({ email: victim, code: `9${attempt}0000`, password: STRONG_PASSWORD }, from(ip)))).status);
        }
        return own;
      }),
    );
    // The reset backstop (300) was reached: the last 10 wrong codes were refused before Cognito.
    expect(statuses.flat().filter((status) => status === 429)).toHaveLength(10);
    const ip = randomIp();
    const login = await apiWith(vars, "/platform/login", jsonInit({ email: victim, password: STRONG_PASSWORD }, from(ip)));
    expect(login.status).toBe(202);
    const { session } = (await login.json()) as { session: string };
    const mfa = await apiWith(vars, "/platform/login/mfa", jsonInit({ email: victim, session, code: "123456" }, from(ip)));
    expect(mfa.status).toBe(200);
    expect(cognito.calls().filter((action) => action === "ConfirmForgotPassword")).toHaveLength(300);
  });

  it("sends at most 5 codes a minute to one email from one address, forgot and resend together", () =>
    inOneLimitWindow(async () => {
      const upstream = await scenario({ ForgotPassword: [{ status: 200, body: {} }], ResendConfirmationCode: [{ status: 200, body: {} }] });
      const email = uniqueEmail("inbox");
      const ip = randomIp();
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        statuses.push((await apiWith(upstream.vars, "/platform/password/forgot", jsonInit({ email }, from(ip)))).status);
        statuses.push((await apiWith(upstream.vars, "/platform/confirm/resend", jsonInit({ email }, from(ip)))).status);
      }
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
      expect(await upstream.calls()).toHaveLength(5);
    }));

  it("lets the victim's own forgot through after one address flooded it (attack 4)", () =>
    inOneLimitWindow(async () => {
      const upstream = await scenario({ ForgotPassword: [{ status: 200, body: {} }] });
      const victim = uniqueEmail("victim");
      const attacker = randomIp();
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 8; attempt++) statuses.push((await apiWith(upstream.vars, "/platform/password/forgot", jsonInit({ email: victim }, from(attacker)))).status);
      expect(statuses).toEqual([...Array(5).fill(202), 429, 429, 429]);
      expect((await apiWith(upstream.vars, "/platform/password/forgot", jsonInit({ email: victim }, from(randomIp())))).status).toBe(202);
    }));

  it("stops mail to one inbox spread over many addresses at 30 a minute", async () => {
    const cognito = answerCognitoInIsolate(COGNITO, { ForgotPassword: [{ status: 200, body: {} }] });
    const vars = floodVars();
    const inbox = uniqueEmail("inbox");
    const statuses = await Promise.all(Array.from({ length: 40 }, () => apiWith(vars, "/platform/password/forgot", jsonInit({ email: inbox }, from(randomIp())))));
    expect(statuses.filter((res) => res.status === 202)).toHaveLength(30);
    expect(statuses.filter((res) => res.status === 429)).toHaveLength(10);
    expect(cognito.calls()).toHaveLength(30);
  });
});

describe("per address", () => {
  it("limits one address per route before reading the body, and leaves other addresses alone", { timeout: 30_000 }, () =>
    inOneLimitWindow(async () => {
      const ip = randomIp();
      const statuses = await upToLimitThenOne(120, () => apiWith({}, "/platform/signup", jsonInit({}, from(ip))));
      expect(statuses).toEqual([...Array(120).fill(400), 429]);
      // Another route for the same address has its own budget; another address is unaffected.
      expect((await apiWith({}, "/platform/login", jsonInit({}, from(ip)))).status).toBe(400);
      expect((await apiWith({}, "/platform/signup", jsonInit({}))).status).toBe(400);
    }));

  it("answers an address over its limit with 429, whatever else is wrong with its request", { timeout: 30_000 }, () =>
    inOneLimitWindow(async () => {
      const ip = randomIp();
      await Promise.all(Array.from({ length: 120 }, () => apiWith({}, "/platform/login", jsonInit({}, from(ip)))));
      const requests: [string, RequestInit][] = [
        ["malformed JSON", { method: "POST", headers: { "content-type": "application/json" }, body: "{" }],
        ["not JSON", { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" }],
        ["too large", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "x".repeat(20_000) }) }],
        ["invalid fields", jsonInit({ email: "nope" })],
      ];
      for (const [, init] of requests) {
        const res = await apiWith({}, "/platform/login", { ...init, headers: { ...(init.headers as Record<string, string>), "cf-connecting-ip": ip } });
        expect(res.status).toBe(429);
        expect(res.headers.get("retry-after")).toBe("60");
        expect((await problemOf(res)).detail).toBe("Too many requests from this address; retry later.");
        // The /platform middleware answers the body's failure and then the address's inside itself: still never cached.
        expect([res.headers.get("cache-control"), res.headers.get("pragma")]).toEqual(["no-store", "no-cache"]);
      }
      // Nothing of the route's own answer stays on the 429: not the WWW-Authenticate of a refused token.
      const badToken = { headers: { authorization: "Bearer not-a-token", "cf-connecting-ip": ip } };
      await Promise.all(Array.from({ length: 120 }, () => apiWith({}, "/platform/me", badToken)));
      const refused = await apiWith({}, "/platform/me", badToken);
      expect([refused.status, refused.headers.get("www-authenticate"), refused.headers.get("retry-after")]).toEqual([429, null, "60"]);
      expect(refused.headers.get("x-request-id")).toBe((await problemOf(refused)).request_id);
    }));

  it("counts an IPv6 client by its /64, however it rotates the rest", { timeout: 30_000 }, () =>
    inOneLimitWindow(async () => {
      const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
      const statuses = await upToLimitThenOne(120, (i) => apiWith({}, "/platform/login", jsonInit({}, from(`${prefix}:${(i + 1).toString(16)}::${(i * 7).toString(16)}`))));
      expect(statuses).toEqual([...Array(120).fill(400), 429]);
      expect((await apiWith({}, "/platform/login", jsonInit({}, from(`${prefix.replace(/:7$/, ":8")}::1`)))).status).toBe(400);
    }));
});

describe("route patterns", () => {
  it("counts /platform/me/ as /platform/me: a trailing slash reaches the same handler and shares its limit (attack 6)", { timeout: 30_000 }, () =>
    inOneLimitWindow(async () => {
      const ip = randomIp();
      const statuses = await upToLimitThenOne(120, (i) => apiWith({}, i % 2 ? "/platform/me/" : "/platform/me", from(ip)));
      expect(statuses).toEqual([...Array(120).fill(401), 429]);
    }));
});

describe("client addresses", () => {
  it("counts an IPv4 address written as IPv6 (::ffff:a.b.c.d) as that IPv4 address, not as one /64 for all", () =>
    inOneLimitWindow(async () => {
      const ip = randomIp();
      await Promise.all(Array.from({ length: 120 }, () => apiWith({}, "/platform/login", jsonInit({}, from(`::ffff:${ip}`)))));
      expect((await apiWith({}, "/platform/login", jsonInit({}, from(ip)))).status).toBe(429);
      expect((await apiWith({}, "/platform/login", jsonInit({}, from(`::ffff:${randomIp()}`)))).status).toBe(400);
    }));
});

describe("a missing binding (attack 8)", () => {
  it("fails closed: 503 misconfigured naming nothing, no Cognito call, unless RATE_LIMITS_OFF names it", async () => {
    const upstream = await scenario({ ForgotPassword: [{ status: 200, body: {} }] });
    for (const binding of ["IP_RATE_LIMITER", "MAIL_RATE_LIMITER", "RECIPIENT_RATE_LIMITER"]) {
      const res = await apiWith({ ...upstream.vars, [binding]: undefined }, "/platform/password/forgot", jsonInit({ email: uniqueEmail() }));
      expect(res.status).toBe(503);
      expect(withoutRequestId(await problemOf(res))).toEqual({
        type: "/problems/misconfigured",
        title: "Service misconfigured",
        status: 503,
        detail: "The service is misconfigured; the operator has been told.",
        code: "misconfigured",
      });
    }
    expect(await upstream.calls()).toEqual([]);
    const off = { ...upstream.vars, MAIL_RATE_LIMITER: undefined, RATE_LIMITS_OFF: "MAIL_RATE_LIMITER" };
    expect((await apiWith(off, "/platform/password/forgot", jsonInit({ email: uniqueEmail() }))).status).toBe(202);
  });
});

describe("a failing limiter", () => {
  it("fails closed: the request gets 500 and Cognito is not called", async () => {
    const upstream = await scenario({ InitiateAuth: [authenticationResult()] });
    const down = { limit: async () => Promise.reject(new Error("rate limiter unavailable")) };
    for (const binding of ["IP_RATE_LIMITER", "GUESS_RATE_LIMITER", "ACCOUNT_RATE_LIMITER"]) {
      const res = await apiWith({ ...upstream.vars, [binding]: down }, "/platform/login", jsonInit({ email: uniqueEmail(), password: STRONG_PASSWORD }));
      expect(res.status).toBe(500);
      expect((await problemOf(res)).code).toBe("internal_error");
    }
    expect(await upstream.calls()).toEqual([]);
  });
});
