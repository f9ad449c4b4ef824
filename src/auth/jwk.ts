/** Keys by `kid`, imported once so that a verification costs one `crypto.subtle.verify`. */
export type KeysByKid = ReadonlyMap<string, CryptoKey>;

interface RsaSigningJwk {
  kty: "RSA";
  kid: string;
  n: string;
  e: string;
}

/** RS256 with a key shorter than this is breakable; jose would also refuse such a key at verification. */
const MIN_MODULUS_BITS = 2048;

/**
 * The RS256 verification keys of a JWKS document, or `undefined` when the document is not a JWKS
 * or holds no usable key. Entries for other algorithms or uses are skipped rather than failing the
 * whole set, so a pool that publishes one more key type keeps working.
 */
export async function importJwks(document: unknown): Promise<KeysByKid | undefined> {
  if (!isRecord(document) || !Array.isArray(document.keys)) return undefined;
  const keys = new Map<string, CryptoKey>();
  for (const jwk of document.keys) {
    if (!isRs256SigningJwk(jwk)) continue;
    const key = await importRsaKey(jwk);
    if (key) keys.set(jwk.kid, key);
  }
  return keys.size > 0 ? keys : undefined;
}

function isRs256SigningJwk(jwk: unknown): jwk is RsaSigningJwk {
  return (
    isRecord(jwk) &&
    jwk.kty === "RSA" &&
    typeof jwk.kid === "string" &&
    jwk.kid !== "" &&
    typeof jwk.n === "string" &&
    typeof jwk.e === "string" &&
    (jwk.alg === undefined || jwk.alg === "RS256") &&
    (jwk.use === undefined || jwk.use === "sig")
  );
}

/** Only n and e are passed on: other members (key_ops, x5c...) could make an otherwise good key fail to import. */
async function importRsaKey({ n, e }: RsaSigningJwk): Promise<CryptoKey | undefined> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("jwk", { kty: "RSA", n, e, alg: "RS256" }, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
  } catch {
    return undefined;
  }
  return (key.algorithm as CryptoKeyRsaKeyAlgorithm).modulusLength >= MIN_MODULUS_BITS ? key : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
