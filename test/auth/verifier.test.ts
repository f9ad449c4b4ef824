import { env } from "cloudflare:workers";
import { base64url } from "jose";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  JwtClaimInvalidError,
  JwtExpiredError,
  JwtIssuedInFutureError,
  JwtNotYetValidError,
  JwtSignatureInvalidError,
  JwtUnknownKeyError,
} from "../../src/auth/errors";
import { createAccessTokenVerifier, type AccessTokenVerifier, type VerifierSettings } from "../../src/auth/verifier";
import { accessClaims, jwksOf, makeKey, sign, verifierConfig, type TestKey } from "../support/keys";
import { STRONG_PASSWORD, scenario, uniqueEmail } from "../support/worker";

let key: TestKey;
let config: VerifierSettings;
let verifier: AccessTokenVerifier;

beforeAll(async () => {
  key = await makeKey();
});

beforeEach(async () => {
  config = verifierConfig((await scenario({ JWKS: [{ status: 200, body: jwksOf(key) }] })).vars);
  verifier = createAccessTokenVerifier(config);
});

const now = () => Math.floor(Date.now() / 1000);

describe("access token verifier", () => {
  it("tolerates 60 s of clock skew on exp, nbf and iat", async () => {
    const token = await sign(key, accessClaims(config, { exp: now() - 50, nbf: now() + 50, iat: now() + 50 }));
    await expect(verifier.verify(token)).resolves.toMatchObject({ token_use: "access" });
  });

  it.each([
    ["exp", { exp: now() - 70 }, JwtExpiredError],
    ["nbf", { nbf: now() + 70 }, JwtNotYetValidError],
    ["iat", { iat: now() + 70 }, JwtIssuedInFutureError],
  ])("tolerates no more skew than that on %s", async (_claim, overrides, error) => {
    const token = await sign(key, accessClaims(config, overrides));
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(error);
  });

  it.each([
    ["sub", "missing", { sub: undefined }],
    ["exp", "missing", { exp: undefined }],
    ["iat", "missing", { iat: undefined }],
    ["token_use", "missing", { token_use: undefined }],
    ["client_id", "missing", { client_id: undefined }],
    ["sub", "mistyped", { sub: 42 }],
    ["exp", "mistyped", { exp: "tomorrow" }],
    ["scope", "mistyped", { scope: ["admin"] }],
    ["cognito:groups", "mistyped", { "cognito:groups": "admins" }],
    ["username", "mistyped", { username: { name: "root" } }],
  ])("refuses a token whose %s claim is %s", async (claim, _problem, overrides) => {
    const token = await sign(key, accessClaims(config, overrides));
    const error = await verifier.verify(token).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JwtClaimInvalidError);
    expect(error).toMatchObject({ claim });
  });

  it("gives a client-credentials token, which has no username, scopes and no groups", async () => {
    const token = await sign(key, accessClaims(config, { username: undefined, scope: "orders/read orders/write", auth_time: undefined }));
    const claims = await verifier.verify(token);
    expect(claims).toMatchObject({ username: undefined, scopes: ["orders/read", "orders/write"], groups: [], auth_time: undefined });
  });

  it("verifies a token issued by the Cognito emulator", async () => {
    const emulator = verifierConfig({});
    const { AccessToken } = await emulatorSignIn();
    await expect(createAccessTokenVerifier(emulator).verify(AccessToken)).resolves.toMatchObject({ token_use: "access", client_id: emulator.clientId });
  });

  it("refuses a token whose payload was changed after signing", async () => {
    const [header, , signature] = (await sign(key, accessClaims(config))).split(".");
    const forged = base64url.encode(JSON.stringify(accessClaims(config, { username: "admin" })));
    await expect(verifier.verify(`${header}.${forged}.${signature}`)).rejects.toBeInstanceOf(JwtSignatureInvalidError);
  });
});

describe("verified-token cache", () => {
  /** A verifier whose clock the test moves, and a count of its JWKS fetches and signature checks. */
  async function cachingVerifier(replies = [{ status: 200, body: jwksOf(key) }]) {
    const jwks = await scenario({ JWKS: replies });
    const settings = verifierConfig(jwks.vars);
    let offsetMs = 0;
    const verify = vi.spyOn(crypto.subtle, "verify");
    return {
      settings,
      verifier: createAccessTokenVerifier(settings, { now: () => Date.now() + offsetMs, maxCachedTokens: 2 }),
      advance: (ms: number) => (offsetMs += ms),
      signatureChecks: () => verify.mock.calls.length,
      fetches: async () => (await jwks.calls()).length,
    };
  }

  afterEach(() => vi.restoreAllMocks());

  it("checks a repeated token's signature once", async () => {
    const subject = await cachingVerifier();
    const token = await sign(key, accessClaims(subject.settings));
    const first = await subject.verifier.verify(token);
    for (let i = 0; i < 5; i++) expect(await subject.verifier.verify(token)).toEqual(first);
    expect(subject.signatureChecks()).toBe(1);
  });

  it("drops a token at its exp, without the leeway a first verification allows", async () => {
    const subject = await cachingVerifier();
    const token = await sign(key, accessClaims(subject.settings, { exp: Math.floor(Date.now() / 1000) + 10 }));
    await subject.verifier.verify(token);
    subject.advance(11_000);
    // Past exp, within the 60 s leeway: verified again from scratch (accepted), never served from the cache.
    await subject.verifier.verify(token);
    expect(subject.signatureChecks()).toBe(2);
    subject.advance(60_000);
    await expect(subject.verifier.verify(token)).rejects.toBeInstanceOf(JwtExpiredError);
  });

  it("never caches a refusal", async () => {
    const subject = await cachingVerifier();
    const token = await sign(key, accessClaims(subject.settings, { nbf: Math.floor(Date.now() / 1000) + 120 }));
    await expect(subject.verifier.verify(token)).rejects.toBeInstanceOf(JwtNotYetValidError);
    await expect(subject.verifier.verify(token)).rejects.toBeInstanceOf(JwtNotYetValidError);
    expect(subject.signatureChecks()).toBe(2);
  });

  it("keeps at most its size, dropping the least recently used token", async () => {
    const subject = await cachingVerifier();
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => sign(key, accessClaims(subject.settings))));
    for (const token of [a, b, a, c]) await subject.verifier.verify(token!);
    expect(subject.signatureChecks()).toBe(3);
    await subject.verifier.verify(a!); // kept: used more recently than b
    expect(subject.signatureChecks()).toBe(3);
    await subject.verifier.verify(b!); // evicted by c
    expect(subject.signatureChecks()).toBe(4);
  });

  it("stops accepting a cached token once a refetched key set no longer has its key", async () => {
    const other = await makeKey();
    const subject = await cachingVerifier([{ status: 200, body: jwksOf(key) }, { status: 200, body: jwksOf(other) }]);
    const token = await sign(key, accessClaims(subject.settings));
    await subject.verifier.verify(token);
    subject.advance(61 * 60_000); // the key set's max age: the next use refetches it
    await expect(subject.verifier.verify(token)).rejects.toBeInstanceOf(JwtUnknownKeyError);
    expect(await subject.fetches()).toBe(2);
  });
});

/** SignUp, AdminConfirmSignUp and InitiateAuth against the emulator the test setup started. */
async function emulatorSignIn(): Promise<{ AccessToken: string; IdToken: string }> {
  const vars = env as unknown as Record<string, string>;
  const call = async (action: string, input: object) => {
    const res = await fetch(vars.COGNITO_ENDPOINT!, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${action}` },
      body: JSON.stringify(input),
    });
    if (!res.ok) throw new Error(`${action} failed: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const email = uniqueEmail("verifier");
  await call("SignUp", { ClientId: vars.COGNITO_USER_CLIENT_ID, Username: email, Password: STRONG_PASSWORD });
  await call("AdminConfirmSignUp", { UserPoolId: vars.USER_POOL_ID, Username: email });
  const auth = await call("InitiateAuth", {
    ClientId: vars.COGNITO_USER_CLIENT_ID,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: email, PASSWORD: STRONG_PASSWORD },
  });
  return auth.AuthenticationResult as { AccessToken: string; IdToken: string };
}
