import { describe, expect, it } from "vitest";
import { SessionRevokedError } from "../../src/services/errors";
import { CONTACT_TTL_MS, contactOf, forgetContacts } from "../../src/services/profile";
import { answers, fails, fakePool } from "./fake-pool";

const user = (email: string, verified = "true") =>
  answers({ Username: "u", UserAttributes: [{ Name: "email", Value: email }, { Name: "email_verified", Value: verified }] });

const session = (sub = crypto.randomUUID()) => ({ accessToken: "token", tokenId: crypto.randomUUID(), sub, username: sub });

describe("contactOf", () => {
  it("answers a repeated call for one session from the cache for a minute, then asks again", async () => {
    const { pool, calls } = fakePool({ getUser: [user("ann@example.com")] });
    const ann = session();
    const now = Date.now();
    expect(await contactOf(pool, ann, false, now)).toEqual({ email: "ann@example.com", emailVerified: true, mfa: [] });
    await contactOf(pool, ann, false, now + CONTACT_TTL_MS - 1);
    expect(calls).toHaveLength(1);
    await contactOf(pool, ann, false, now + CONTACT_TTL_MS);
    expect(calls).toHaveLength(2);
  });

  it("asks again when told to, and for each new session", async () => {
    const { pool, calls } = fakePool({ getUser: [user("ann@example.com")] });
    const ann = session();
    await contactOf(pool, ann, false);
    await contactOf(pool, ann, true);
    await contactOf(pool, { ...ann, tokenId: crypto.randomUUID() }, false);
    expect(calls).toHaveLength(3);
  });

  it("forgets a user's answers by sub or by email", async () => {
    const { pool, calls } = fakePool({ getUser: [user("bob@example.com")] });
    const bob = session();
    await contactOf(pool, bob, false);
    forgetContacts({ sub: bob.sub });
    await contactOf(pool, bob, false);
    forgetContacts({ email: "bob@example.com" });
    await contactOf(pool, bob, false);
    expect(calls).toHaveLength(3);
  });

  it("says the session is revoked when Cognito no longer honours the token", async () => {
    const { pool } = fakePool({ getUser: [fails("NotAuthorizedException", "Access Token has been revoked")] });
    await expect(contactOf(pool, session(), false)).rejects.toBeInstanceOf(SessionRevokedError);
  });
});
