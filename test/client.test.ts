// Types flow from the app to clients: hono/client typed by AppType calls the API without a hand-written type.
import { hc } from "hono/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import authPage from "../docs/auth.md?raw";
import example from "../examples/typed-client.ts?raw";
import { deposit, signUpAndGreet, startTotpSetup } from "../examples/typed-client";
import { achRelationshipQueued, transferQueued } from "./fixtures/broker";
import type { AppType } from "../src/index";
import { accountHolder } from "./support/funding";
import { api, apiWith, BASE, STRONG_PASSWORD, uniqueEmail } from "./support/worker";
import { signedUp, withTotp } from "./support/users";

const client = hc<AppType>(BASE, { fetch: (input: RequestInfo | URL, init?: RequestInit) => api(new URL(String(input)).pathname, init) });

describe("typed client", () => {
  it("signs up, logs in and reads the profile through AppType", async () => {
    const email = uniqueEmail("client");
    const signUp = await client.platform.signup.$post({ json: { email, password: STRONG_PASSWORD } });
    expect(signUp.status).toBe(201);
    const login = await client.platform.login.$post({ json: { email, password: STRONG_PASSWORD } });
    if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
    const tokens = await login.json();
    const me = await client.platform.me.$get({ query: {} }, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    if (me.status !== 200) throw new Error(`me failed: ${me.status}`);
    expect((await me.json()).email).toBe(email);
  });
});

describe("docs/auth.md's typed client (examples/typed-client.ts)", () => {
  // The example calls http://127.0.0.1:8787 as `npm run dev` serves it; here that origin is this Worker.
  beforeEach(() => {
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      return url.origin === "http://127.0.0.1:8787" ? api(url.pathname + url.search, init) : realFetch(input, init);
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it("is in docs/auth.md as it is here", () => {
    expect(authPage).toContain("```ts\n" + example + "```\n");
  });

  it("signs up and reads the profile", async () => {
    const email = uniqueEmail("readme");
    expect(await signUpAndGreet(email, STRONG_PASSWORD)).toBe(`Signed up as ${email}`);
  });

  it("reads the problem answers with their types", async () => {
    const email = uniqueEmail("readme");
    await signUpAndGreet(email, STRONG_PASSWORD);
    expect(await signUpAndGreet(email, STRONG_PASSWORD)).toBe("This email already has an account: log in instead");
    expect(await signUpAndGreet("not-an-email", "")).toBe("email: email must be a valid email address; password: password must not be empty");
  });

  it("sets TOTP up with the password, and reads the two refusals", async () => {
    const { email, token } = await signedUp();
    expect(await startTotpSetup(token, "Wr0ng-Horse!")).toBe("Wrong password");
    expect(await startTotpSetup(token, STRONG_PASSWORD)).toMatch(new RegExp(`^Scan otpauth://totp/Edge%20Auth:${encodeURIComponent(email)}\\?secret=`));
    await withTotp(token);
    expect(await startTotpSetup(token, STRONG_PASSWORD)).toBe("An authenticator is already set up: turn it off first");
  });

  it("deposits with an Idempotency-Key, reading the typed transfer; the retry with the key replays it, one Broker transfer", async () => {
    const approved = { ...achRelationshipQueued, status: "APPROVED" };
    const user = await accountHolder({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [approved] }], "POST /v1/accounts/{id}/transfers": [{ body: transferQueued }] });
    // This user's Broker API is a scripted one: the example's origin goes to the Worker with its settings.
    const elsewhere = vi.mocked(globalThis.fetch).getMockImplementation()!;
    vi.mocked(globalThis.fetch).mockImplementation((input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      return url.origin === "http://127.0.0.1:8787" ? apiWith(user.vars, url.pathname + url.search, init) : elsewhere(input, init);
    });
    const key = crypto.randomUUID();
    const answer = `Transfer ${transferQueued.id} is ${transferQueued.status}`;
    expect(await deposit(user.token, approved.id, "500.00", key)).toBe(answer);
    expect(await deposit(user.token, approved.id, "500.00", key)).toBe(answer);
    expect((await user.calls()).filter((call) => call.action === "POST /v1/accounts/{id}/transfers")).toHaveLength(1);
    expect(await deposit(user.token, crypto.randomUUID(), "500.00", crypto.randomUUID())).toBe("Link the bank account first");
  });
});
