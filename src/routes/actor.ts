import type { Actor } from "../actor";

/** The signed-in user of a request, as flows and the audit trail name them: the request's own id, and the client's correlation id. */
export function requestActor(c: { get(name: "user"): { sub: string }; get(name: "requestId"): string; get(name: "correlationId"): string | undefined }): Actor {
  return { sub: c.get("user").sub, source: "request", id: c.get("requestId"), correlationId: c.get("correlationId") };
}
