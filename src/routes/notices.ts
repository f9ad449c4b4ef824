import type { Context } from "hono";
import type { AccessLogVariables } from "../middleware/access-log";
import type { CognitoVariables } from "../middleware/cognito";
import { securityNotice, sendSecurityNotice, type NotifyOwner } from "../services/notices";

/**
 * The NotifyOwner a route hands its flow: the notice carries the request's time and CF-Connecting-IP
 * and goes out through the request's SES (none without SES_FROM_ADDRESS); its outcome joins the
 * request's log line, which the access log writes once the send settles, after the answer
 * (middleware/access-log.ts). One per request. Here, not in middleware: middleware never calls a service.
 */
export function ownerNotifier<E extends { Variables: AccessLogVariables & Pick<CognitoVariables, "ses"> }>(c: Context<E>): NotifyOwner {
  return (to, change) => {
    const origin = { at: new Date(), clientAddress: c.req.header("cf-connecting-ip") };
    c.set("notice", to === null ? Promise.resolve("no_address") : sendSecurityNotice(c.get("ses"), securityNotice(to, change, origin)));
  };
}
