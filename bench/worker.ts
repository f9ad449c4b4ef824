// The benchmark's Worker: verifies one valid Cognito-shaped access token in a loop, with this API's
// verifier or with aws-jwt-verify, same token and same key, both with the key set already in memory.
// scripts/bench.mjs times the requests from outside: inside workerd the clock only moves on I/O.
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { createAccessTokenVerifier, type VerifierSettings } from "../src/auth/verifier";

const USER_POOL_ID = "us-east-1_BenchPool1";
const CLIENT_ID = "benchclient";
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${USER_POOL_ID}`;

interface Fixture {
  token: string;
  verifiers: Record<string, () => Promise<unknown>>;
}

let fixture: Promise<Fixture> | undefined;

/** Made on the first request: workerd allows no key generation in global scope. */
async function makeFixture(): Promise<Fixture> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256", use: "sig" }] };
  const now = Math.floor(Date.now() / 1000);
  const sub = crypto.randomUUID();
  const token = await new SignJWT({
    sub,
    iss: ISSUER,
    client_id: CLIENT_ID,
    origin_jti: crypto.randomUUID(),
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: crypto.randomUUID(),
    username: sub,
  })
    .setProtectedHeader({ alg: "RS256", kid: "bench" })
    .sign(privateKey);

  // Inline JWKS: the keys are in memory from the start, as they are after the first fetch.
  const config: VerifierSettings = { issuer: ISSUER, clientId: CLIENT_ID, jwksUrl: `${ISSUER}/.well-known/jwks.json`, jwks: JSON.stringify(jwks) };
  const ours = createAccessTokenVerifier(config, { maxCachedTokens: 0 });
  const aws = CognitoJwtVerifier.create({ userPoolId: USER_POOL_ID, tokenUse: "access", clientId: CLIENT_ID });
  aws.cacheJwks(jwks as Parameters<typeof aws.cacheJwks>[0]);

  const verifiers = {
    // No verified-token cache: this measures a full verification every time.
    ours: () => ours.verify(token),
    "aws-jwt-verify": () => aws.verify(token),
  };
  // Both must accept the token, or the loop would time error paths.
  for (const verify of Object.values(verifiers)) await verify();
  return { token, verifiers };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const params = new URL(request.url).searchParams;
    const { verifiers } = await (fixture ??= makeFixture());
    const verify = verifiers[params.get("impl") ?? ""];
    if (!verify) return new Response(`impl must be one of ${Object.keys(verifiers).join(", ")}`, { status: 400 });
    const iterations = Number(params.get("n") ?? "0");
    for (let i = 0; i < iterations; i++) await verify();
    return new Response(String(iterations));
  },
};
