import { derivedHmacKey } from "./derived-key";

/**
 * Cognito's challenge Session for a log-in's TOTP step, sealed to the email it was issued for before it
 * goes to the client: `<session>.<HMAC-SHA256 over email and session, base64url>`. POST /login/mfa
 * opens it before calling Cognito, so a made-up session, or one issued for another email, is refused
 * here the same way for every email, with no call upstream: the answer cannot depend on whether the
 * email has an account, whatever Cognito (or an emulator that ignores sessions) would have said.
 */
export interface ChallengeSeal {
  seal(email: string, session: string): Promise<string>;
  /** The session, or undefined when it was not sealed by this key for this email. */
  open(email: string, sealed: string): Promise<string | undefined>;
}

const encoder = new TextEncoder();

function base64url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The seal, with an HMAC key derived (HKDF) from a server secret for this purpose alone. */
export function challengeSeal(secret: string): ChallengeSeal {
  const key = derivedHmacKey(secret, "edge-auth-api challenge session v1", ["sign", "verify"]);
  // Length-prefixed, so no email and session pair reads as another.
  const message = (email: string, session: string) => encoder.encode(`${email.length}:${email}:${session}`);
  return {
    async seal(email, session) {
      return `${session}.${base64url(await crypto.subtle.sign("HMAC", await key, message(email, session)))}`;
    },
    async open(email, sealed) {
      const dot = sealed.lastIndexOf(".");
      if (dot <= 0) return undefined;
      const session = sealed.slice(0, dot);
      const mac = sealed.slice(dot + 1);
      let signature: Uint8Array;
      try {
        signature = Uint8Array.from(atob(mac.replaceAll("-", "+").replaceAll("_", "/")), (char) => char.charCodeAt(0));
      } catch {
        return undefined;
      }
      // crypto.subtle.verify compares in constant time.
      return (await crypto.subtle.verify("HMAC", await key, signature, message(email, session))) ? session : undefined;
    },
  };
}
