import type { Context } from "hono";
import { securityNotice, sendSecurityNotice, type NotifyOwner } from "../services/notices";
import { openSes } from "../ses/client";
import type { AccessLogVariables } from "./access-log";
import type { CognitoVariables } from "./cognito";

type NoticeEnv = { Variables: AccessLogVariables & Pick<CognitoVariables, "config" | "upstreamScope"> };

/**
 * The NotifyOwner a route hands its flow: the notice carries the request's time and CF-Connecting-IP
 * and goes out through SES within the request's scope (none without SES_FROM_ADDRESS); its outcome
 * joins the request's log line, which the access log writes once the send settles, after the answer
 * (middleware/access-log.ts). One per request.
 */
export function ownerNotifier<E extends NoticeEnv>(c: Context<E>): NotifyOwner {
  return (to, change) => {
    const origin = { at: new Date(), clientAddress: c.req.header("cf-connecting-ip") };
    const ses = openSes(c.get("config"), c.get("upstreamScope"));
    c.set("notice", to === null ? Promise.resolve("no_address") : sendSecurityNotice(ses, securityNotice(to, change, origin)));
  };
}
