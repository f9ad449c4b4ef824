import type { Actor } from "../actor";
import type { AuthVariables } from "../middleware/require-auth";

type RequestOf = { get(name: "user"): AuthVariables["user"]; get(name: "requestId"): string; get(name: "correlationId"): string | undefined };

/** The signed-in user of a request, as flows and the audit trail name them: the request's own id, and the client's correlation id. */
export function requestActor(c: RequestOf): Actor {
  return { sub: c.get("user").sub, source: "request", id: c.get("requestId"), correlationId: c.get("correlationId") };
}

/** The same actor with its session, whose access token the login's flows call Cognito with (auth/signed-in-user.ts SignedInActor). */
export function signedInActor(c: RequestOf): Actor & { user: AuthVariables["user"] } {
  return { ...requestActor(c), user: c.get("user") };
}
