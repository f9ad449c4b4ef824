/**
 * The signature check of an RS256 JWS in compact form: the one shape Cognito signs. Not jose's
 * compactVerify: written for every algorithm and serialization, it re-encodes the signing input
 * in three parts and joins them, and reads the key's algorithm back from workerd on every token,
 * which made a first-seen token cost 1.18x the bare signature check against jwtVerify's 1.10x
 * (bench/results.md). Here the checks are jose's own, in its order, with its base64url decoder;
 * what a key must be (RS256, at least 2048 bits) is checked once, where the key set imports it (jwks.ts).
 */
import { base64url, type CompactJWSHeaderParameters } from "jose";
import { JwtAlgorithmNotAllowedError, JwtMalformedError, JwtSignatureInvalidError } from "./errors";

export interface VerifiedJws {
  protectedHeader: CompactJWSHeaderParameters;
  /** The payload's bytes, decoded from base64url. */
  payload: Uint8Array;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const ascii = new TextEncoder();
const NON_ASCII = /[^\x00-\x7f]/;

const malformed = () => new JwtMalformedError("The token is not a well-formed JWS.");

function decode(part: string): Uint8Array {
  try {
    return base64url.decode(part);
  } catch {
    throw malformed();
  }
}

function headerOf(part: string): CompactJWSHeaderParameters {
  let header: unknown;
  try {
    header = JSON.parse(strictUtf8.decode(decode(part)));
  } catch {
    throw malformed();
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw malformed();
  return header as CompactJWSHeaderParameters;
}

/**
 * Verifies `token` with the key `keyFor` gives for its header (asked only once the header passed),
 * in jose's order: three parts; a JSON object header; no critical extension (this verifier knows
 * none, RFC 7515 section 4.1.11); a base64url payload (b64, RFC 7797, is refused, as jwtVerify
 * refuses it); `alg` RS256; the key; the signature over the ASCII signing input; the payload.
 */
export async function verifyCompactRs256(token: string, keyFor: (header: CompactJWSHeaderParameters) => Promise<CryptoKey>): Promise<VerifiedJws> {
  const headerEnd = token.indexOf(".");
  const payloadEnd = token.indexOf(".", headerEnd + 1);
  if (headerEnd < 0 || payloadEnd < 0 || token.includes(".", payloadEnd + 1)) throw malformed();
  const protectedHeader = headerOf(token.slice(0, headerEnd));
  if (protectedHeader.crit !== undefined || protectedHeader.b64 === false) throw malformed();
  const { alg } = protectedHeader;
  if (typeof alg !== "string" || alg === "") throw malformed();
  if (alg !== "RS256") throw new JwtAlgorithmNotAllowedError();
  const key = await keyFor(protectedHeader);
  const signingInput = token.slice(0, payloadEnd);
  if (NON_ASCII.test(signingInput)) throw malformed();
  const signature = decode(token.slice(payloadEnd + 1));
  let verified = false;
  try {
    verified = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, ascii.encode(signingInput));
  } catch {
    // A signature of the wrong length, say: refused as one that does not match.
  }
  if (!verified) throw new JwtSignatureInvalidError();
  return { protectedHeader, payload: decode(token.slice(headerEnd + 1, payloadEnd)) };
}
