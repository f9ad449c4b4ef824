import { decodeJwt } from "jose";

/**
 * The claims of a token that came straight from Cognito over TLS (a sign-in's answer), read without
 * checking the signature: safe only for a token this API did not receive from a client.
 */
export function claimsOfIssuedToken(token: string): { sub?: unknown; exp?: unknown } | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}
