// A user made through the API against the emulator, and their profile, for the account tests.
import { expect } from "vitest";
import { bearer } from "./own-pool";
import { totp } from "./totp";
import { api, jsonInit, postJson, STRONG_PASSWORD, uniqueEmail } from "./worker";

/** Signs up `email` with STRONG_PASSWORD and gives the new session's access token. */
export async function signedUp(email = uniqueEmail()): Promise<{ email: string; token: string }> {
  const res = await postJson("/platform/signup", { email, password: STRONG_PASSWORD });
  expect(res.status).toBe(201);
  return { email, token: ((await res.json()) as { access_token: string }).access_token };
}

/** GET /platform/me, which must answer 200. */
export async function me(token: string): Promise<{ email: string; email_verified: boolean; mfa: string[] }> {
  const res = await api("/platform/me", { headers: bearer(token) });
  expect(res.status).toBe(200);
  return (await res.json()) as { email: string; email_verified: boolean; mfa: string[] };
}

/** Sets up and enables TOTP through the API; returns the secret, as a user's authenticator app holds it. */
export async function withTotp(token: string): Promise<string> {
  const setup = await api("/platform/mfa/totp/setup", jsonInit({ password: STRONG_PASSWORD }, { headers: bearer(token) }));
  expect(setup.status).toBe(200);
  const { secret } = (await setup.json()) as { secret: string };
  const enable = await api("/platform/mfa/totp/enable", jsonInit({ code: await totp(secret) }, { headers: bearer(token) }));
  expect(enable.status).toBe(204);
  return secret;
}
