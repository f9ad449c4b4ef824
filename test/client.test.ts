// Types flow from the app to clients: hono/client typed by AppType calls the API without a hand-written type.
import { hc } from "hono/client";
import { describe, expect, it } from "vitest";
import type { AppType } from "../src/index";
import { api, BASE, STRONG_PASSWORD, uniqueEmail } from "./support/worker";

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
