import { base64url, exportJWK, generateKeyPair, importJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyCompactRs256 } from "../../src/auth/compact-jws";
import { JwtAlgorithmNotAllowedError, JwtMalformedError, JwtSignatureInvalidError } from "../../src/auth/errors";

let privateKey: CryptoKey;
let publicKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  privateKey = pair.privateKey;
  // As the key set imports it (jwks.ts): from the JWK, for RS256.
  publicKey = (await importJWK({ ...(await exportJWK(pair.publicKey)), alg: "RS256" }, "RS256")) as CryptoKey;
});

const part = (value: unknown) => base64url.encode(typeof value === "string" ? value : JSON.stringify(value));
const CLAIMS = { sub: "someone", token_use: "access" };

/** A compact JWS of exactly these parts, signed over them as they are (whatever they hold). */
async function signed(header: string, payload: string): Promise<string> {
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", privateKey, new TextEncoder().encode(`${header}.${payload}`));
  return `${header}.${payload}.${base64url.encode(new Uint8Array(signature))}`;
}

const keyAsked: string[] = [];
const keyFor = async (header: { kid?: string }) => {
  keyAsked.push(header.kid ?? "");
  return publicKey;
};

async function refusal(token: string): Promise<unknown> {
  return verifyCompactRs256(token, keyFor).then(
    () => "accepted",
    (error: unknown) => error,
  );
}

describe("verifyCompactRs256", () => {
  it("gives the header and the payload's bytes of a token signed with the key", async () => {
    const token = await signed(part({ alg: "RS256", kid: "k1" }), part(CLAIMS));
    const { protectedHeader, payload } = await verifyCompactRs256(token, keyFor);
    expect(protectedHeader).toEqual({ alg: "RS256", kid: "k1" });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(CLAIMS);
  });

  it.each([
    ["two parts", async () => (await signed(part({ alg: "RS256", kid: "k1" }), part(CLAIMS))).split(".").slice(0, 2).join(".")],
    ["four parts", async () => `${await signed(part({ alg: "RS256", kid: "k1" }), part(CLAIMS))}.x`],
    ["a header that is not base64url", async () => signed("eyJ+", part(CLAIMS))],
    ["a header that is not JSON", async () => signed(part("not json"), part(CLAIMS))],
    ["a header that is a JSON array", async () => signed(part(["RS256"]), part(CLAIMS))],
    ["a header that is not UTF-8", async () => signed(base64url.encode(new Uint8Array([0x7b, 0xff, 0x7d])), part(CLAIMS))],
    ["a critical extension", async () => signed(part({ alg: "RS256", kid: "k1", crit: ["exp"] }), part(CLAIMS))],
    ["an unencoded payload (b64 false)", async () => signed(part({ alg: "RS256", kid: "k1", b64: false, crit: ["b64"] }), JSON.stringify(CLAIMS))],
    ["b64 false without crit", async () => signed(part({ alg: "RS256", kid: "k1", b64: false }), part(CLAIMS))],
    ["no alg", async () => signed(part({ kid: "k1" }), part(CLAIMS))],
    ["an empty alg", async () => signed(part({ alg: "", kid: "k1" }), part(CLAIMS))],
    ["a payload with characters outside ASCII", async () => signed(part({ alg: "RS256", kid: "k1" }), "eyJzdWIiOiJ4In0é")],
    ["a payload that is not base64url, signed as it is", async () => signed(part({ alg: "RS256", kid: "k1" }), "eyJ+c3ViIjoieCJ9")],
    ["a signature that is not base64url", async () => `${(await signed(part({ alg: "RS256", kid: "k1" }), part(CLAIMS))).slice(0, -2)}+/`],
  ])("refuses %s as a malformed JWS", async (_case, token) => {
    const error = await refusal(await token());
    expect(error).toBeInstanceOf(JwtMalformedError);
    expect(error).toMatchObject({ message: "The token is not a well-formed JWS." });
  });

  it("refuses another alg before it asks for a key: none, HS256, RS512", async () => {
    keyAsked.length = 0;
    for (const alg of ["none", "HS256", "RS512"]) {
      expect(await refusal(await signed(part({ alg, kid: "k1" }), part(CLAIMS)))).toBeInstanceOf(JwtAlgorithmNotAllowedError);
    }
    expect(keyAsked).toEqual([]);
  });

  it("refuses a changed payload, a changed header, a signature of another length and an empty one as an invalid signature", async () => {
    const token = await signed(part({ alg: "RS256", kid: "k1" }), part(CLAIMS));
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const forgeries = [
      `${header}.${part({ ...CLAIMS, sub: "admin" })}.${signature}`,
      `${part({ alg: "RS256", kid: "k2" })}.${payload}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -12)}`,
      `${header}.${payload}.`,
    ];
    for (const forged of forgeries) expect(await refusal(forged)).toBeInstanceOf(JwtSignatureInvalidError);
  });
});
