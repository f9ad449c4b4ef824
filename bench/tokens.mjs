// Cognito-shaped RS256 (2048-bit) access tokens for the in-workerd benchmarks, signed in Node before
// anything is timed. Signing uses libuv's thread pool (async crypto.sign), so both cores help.
import { generateKeyPair, randomUUID, sign } from "node:crypto";
import { promisify } from "node:util";

const generate = promisify(generateKeyPair);
const signAsync = promisify(sign);

export const BENCH_POOL = {
  region: "us-east-1",
  userPoolId: "us-east-1_BenchPool1",
  clientId: "benchclient0000000000000000",
  issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BenchPool1",
};
const KID = "bench-key-1";

const base64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** What Cognito puts in an access token, valid for an hour. */
function accessClaims(sub = randomUUID()) {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub,
    iss: BENCH_POOL.issuer,
    client_id: BENCH_POOL.clientId,
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    username: sub,
  };
}

/** A key, its JWKS, one token to repeat and `count` distinct tokens. */
export async function signTokens(count) {
  const { privateKey, publicKey } = await generate("rsa", { modulusLength: 2048 });
  const jwks = { keys: [{ ...publicKey.export({ format: "jwk" }), kid: KID, alg: "RS256", use: "sig" }] };
  const header = base64url({ alg: "RS256", kid: KID });
  const signOne = async (claims) => {
    const input = `${header}.${base64url(claims)}`;
    return `${input}.${(await signAsync("sha256", Buffer.from(input), privateKey)).toString("base64url")}`;
  };
  const repeatedClaims = accessClaims();
  const [repeatedToken, ...tokens] = await Promise.all([signOne(repeatedClaims), ...Array.from({ length: count }, () => signOne(accessClaims()))]);
  return { jwks, repeatedToken, userSub: repeatedClaims.sub, tokens };
}
