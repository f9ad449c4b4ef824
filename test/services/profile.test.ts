import { describe, expect, it } from "vitest";
import { forgetProfiles, userProfile } from "../../src/services/profile";

/** How long `me` may answer from its copy: a minute (docs/auth.md, "How stale me can be"). */
const A_MINUTE = 60_000;
import { answers, fails, fakePool } from "./fake-pool";

const user = (email: string, verified = "true") =>
  answers({ Username: "u", UserAttributes: [{ Name: "email", Value: email }, { Name: "email_verified", Value: verified }] });

const signedIn = (sub = crypto.randomUUID()) => ({ accessToken: "token", tokenId: crypto.randomUUID(), sub, username: sub });

describe("userProfile", () => {
  it("answers a repeated call for one session from the cache for a minute, then asks again", async () => {
    const { pool, calls } = fakePool({ getUser: [user("ann@example.com")] });
    const ann = signedIn();
    const now = Date.now();
    expect(await userProfile(pool, ann, false, now)).toEqual({ email: "ann@example.com", emailVerified: true, mfa: [] });
    await userProfile(pool, ann, false, now + A_MINUTE - 1);
    expect(calls).toHaveLength(1);
    await userProfile(pool, ann, false, now + A_MINUTE);
    expect(calls).toHaveLength(2);
  });

  it("asks again when told to, and for each new session", async () => {
    const { pool, calls } = fakePool({ getUser: [user("ann@example.com")] });
    const ann = signedIn();
    await userProfile(pool, ann, false);
    await userProfile(pool, ann, true);
    await userProfile(pool, { ...ann, tokenId: crypto.randomUUID() }, false);
    expect(calls).toHaveLength(3);
  });

  it("forgets a user's answers by sub or by email", async () => {
    const { pool, calls } = fakePool({ getUser: [user("bob@example.com")] });
    const bob = signedIn();
    await userProfile(pool, bob, false);
    forgetProfiles({ sub: bob.sub });
    await userProfile(pool, bob, false);
    forgetProfiles({ email: "bob@example.com" });
    await userProfile(pool, bob, false);
    expect(calls).toHaveLength(3);
  });

  it("says the session is revoked when Cognito no longer honours the token", async () => {
    const { pool } = fakePool({ getUser: [fails("NotAuthorizedException", "Access Token has been revoked")] });
    await expect(userProfile(pool, signedIn(), false)).rejects.toMatchObject({
      name: "Failure",
      code: "invalid_token",
      detail: "The session has been revoked; sign in again.",
    });
  });
});
