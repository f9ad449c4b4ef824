import { env } from "cloudflare:workers";
import { base64url } from "jose";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  JwtClaimInvalidError,
  JwtExpiredError,
  JwtIssuedInFutureError,
  JwtNotYetValidError,
  JwtSignatureInvalidError,
} from "../../src/auth/errors";
import { verifyAccessToken, verifyIdToken, type VerifierConfig } from "../../src/auth/verifier";
import { accessClaims, idClaims, jwksOf, makeKey, sign, verifierConfig, type TestKey } from "../support/keys";
import { STRONG_PASSWORD, scenario, uniqueEmail } from "../support/worker";

let key: TestKey;
let config: VerifierConfig;

beforeAll(async () => {
  key = await makeKey();
});

beforeEach(async () => {
  config = verifierConfig((await scenario({ JWKS: [{ status: 200, body: jwksOf(key) }] })).vars);
});

const now = () => Math.floor(Date.now() / 1000);

describe("verifyAccessToken", () => {
  it("tolerates 60 s of clock skew on exp, nbf and iat", async () => {
    const token = await sign(key, accessClaims(config, { exp: now() - 50, nbf: now() + 50, iat: now() + 50 }));
    await expect(verifyAccessToken(config, token)).resolves.toMatchObject({ token_use: "access" });
  });

  it.each([
    ["exp", { exp: now() - 70 }, JwtExpiredError],
    ["nbf", { nbf: now() + 70 }, JwtNotYetValidError],
    ["iat", { iat: now() + 70 }, JwtIssuedInFutureError],
  ])("tolerates no more skew than that on %s", async (_claim, overrides, error) => {
    const token = await sign(key, accessClaims(config, overrides));
    await expect(verifyAccessToken(config, token)).rejects.toBeInstanceOf(error);
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
    const error = await verifyAccessToken(config, token).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JwtClaimInvalidError);
    expect(error).toMatchObject({ claim });
  });

  it("gives a client-credentials token, which has no username, scopes and no groups", async () => {
    const token = await sign(key, accessClaims(config, { username: undefined, scope: "orders/read orders/write", auth_time: undefined }));
    const claims = await verifyAccessToken(config, token);
    expect(claims).toMatchObject({ username: undefined, scopes: ["orders/read", "orders/write"], groups: [], auth_time: undefined });
  });

  it("verifies a token issued by the Cognito emulator", async () => {
    const emulator = verifierConfig({});
    const { AccessToken, IdToken } = await emulatorSignIn();
    await expect(verifyAccessToken(emulator, AccessToken)).resolves.toMatchObject({ token_use: "access", client_id: emulator.clientId });
    await expect(verifyIdToken(emulator, IdToken)).resolves.toMatchObject({ token_use: "id", aud: emulator.clientId });
  });
});

describe("verifyIdToken", () => {
  it("gives the ID token's claims", async () => {
    const claims = idClaims(config, { "cognito:groups": ["traders"] });
    await expect(verifyIdToken(config, await sign(key, claims))).resolves.toEqual({
      token_use: "id",
      sub: claims.sub,
      aud: config.clientId,
      username: claims["cognito:username"],
      email: "someone@example.com",
      email_verified: true,
      groups: ["traders"],
      exp: claims.exp,
      iat: claims.iat,
      auth_time: claims.auth_time,
      jti: claims.jti,
      origin_jti: claims.origin_jti,
    });
  });

  it.each([
    ["an access token", (c: VerifierConfig) => accessClaims(c), "token_use"],
    ["another audience", (c: VerifierConfig) => idClaims(c, { aud: "someotherclient" }), "aud"],
    ["no audience", (c: VerifierConfig) => idClaims(c, { aud: undefined }), "aud"],
    ["no cognito:username", (c: VerifierConfig) => idClaims(c, { "cognito:username": undefined }), "cognito:username"],
  ])("refuses %s", async (_case, claims, claim) => {
    const error = await verifyIdToken(config, await sign(key, claims(config))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JwtClaimInvalidError);
    expect(error).toMatchObject({ claim });
  });

  it("refuses a token whose payload was changed after signing", async () => {
    const [header, , signature] = (await sign(key, idClaims(config))).split(".");
    const forged = base64url.encode(JSON.stringify(idClaims(config, { "cognito:username": "admin" })));
    await expect(verifyIdToken(config, `${header}.${forged}.${signature}`)).rejects.toBeInstanceOf(JwtSignatureInvalidError);
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
