import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { withBroker } from "../middleware/broker";
import { limitGuessesOfUser } from "../middleware/rate-limit";
import { requireAuth, type AuthVariables } from "../middleware/require-auth";
import { limitUser } from "../middleware/user-limit";
import { validJson } from "../middleware/validate";
import { ChangeContact, CloseAccount, OpenAccount } from "../schemas/brokerage";
import type { Actor } from "../services/audit";
import { accountView, changeContact, closeAccount, openAccount, tradingAccount } from "../services/brokerage";
import { userProfile } from "../services/profile";
import { reauthenticate } from "../services/sign-in";
import { Failure } from "../failures";
import type { PlatformEnv } from "./env";
import { requireVerifiedEmail } from "./guards";

/** The signed-in user of a request, as the audit trail names them. */
function actor(c: { get(name: "user"): { sub: string }; get(name: "requestId"): string }): Actor {
  return { sub: c.get("user").sub, requestId: c.get("requestId") };
}

/** Per user and route; opening counts apart, so that a form sent twice is answered 409, not 429. */
const perUser = (route: string) => limitUser<PlatformEnv & { Variables: AuthVariables }>({ counter: "BROKERAGE_RATE_LIMITER", key: (c) => `${route}|${c.get("user").sub}` });

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The address a user consents from, as the Broker API wants it: IPv4. CF-Connecting-IP as it is for
 * an IPv4 client (also one written as ::ffff:a.b.c.d). For an IPv6 client, the address Cloudflare's
 * Pseudo IPv4 ("Add header") derives from it, CF-Pseudo-IPv4 (always in 240.0.0.0/4); without that
 * setting, the IPv6 address itself, which the Broker API may refuse (README, "Brokerage accounts").
 */
export function agreementAddress(c: Context): string {
  const ip = c.req.header("cf-connecting-ip") ?? "";
  const v4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)?.[1] ?? ip;
  if (IPV4.test(v4)) return v4;
  const pseudo = c.req.header("cf-pseudo-ipv4") ?? "";
  const first = Number(IPV4.exec(pseudo)?.[1]);
  return first >= 240 && first <= 255 ? pseudo : ip;
}

/**
 * The signed-in user's one brokerage account. No route takes an account id: the account is always
 * the one D1 records for the token's `sub`.
 */
export const brokerageRoutes = new Hono<PlatformEnv>()
  .post("/accounts", withBroker, requireAuth, perUser("open"), validJson(OpenAccount), requireVerifiedEmail, async (c) => {
    const email = (await userProfile(c.get("cognito"), c.get("user"), false)).email;
    if (!email) throw new Failure("email_not_verified");
    const opener = { ...actor(c), email, address: agreementAddress(c) };
    return c.json(await openAccount(c.get("brokerage"), opener, c.req.valid("json"), c.get("config").requestBudgetMs), 201);
  })
  .get("/accounts/me", withBroker, requireAuth, perUser("read"), async (c) => {
    return c.json(await accountView(c.get("brokerage"), actor(c)), 200);
  })
  .patch("/accounts/me", withBroker, requireAuth, perUser("update"), validJson(ChangeContact), async (c) => {
    return c.json(await changeContact(c.get("brokerage"), actor(c), c.req.valid("json").contact), 200);
  })
  .get("/accounts/me/trading", withBroker, requireAuth, perUser("trading"), async (c) => {
    return c.json(await tradingAccount(c.get("brokerage"), actor(c)), 200);
  })
  .post("/accounts/me/close", withBroker, requireAuth, perUser("close"), validJson(CloseAccount), limitGuessesOfUser("password"), async (c) => {
    const { password, code } = c.req.valid("json");
    const proof = () => reauthenticate(c.get("cognito"), c.get("user"), { password, code });
    return c.json(await closeAccount(c.get("brokerage"), actor(c), proof), 200);
  });
