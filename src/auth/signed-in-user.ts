import type { Actor } from "../actor";

/** The signed-in user, as a verified access token names them: what every flow for that user takes. */
export interface SignedInUser {
  accessToken: string;
  /** The token's `jti`: each session (and each refresh of it) has its own. */
  tokenId: string;
  sub: string;
  /** The Cognito username, to sign in as the same user again (the `sub` in email-as-username pools). */
  username: string;
}

/** The user of a verified access token. */
export function signedInUser(accessToken: string, claims: { sub: string; jti?: string; username?: string }): SignedInUser {
  return { accessToken, tokenId: claims.jti ?? accessToken, sub: claims.sub, username: claims.username ?? claims.sub };
}

/**
 * A user acting through their own Cognito session (a request with their access token): the actor of
 * the login's flows for a signed-in user, whose Cognito calls take the session's token.
 */
export interface SignedInActor extends Actor {
  user: SignedInUser;
}
