import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { Deps } from "../deps";
import { validJson } from "../middleware/validate";
import { ChangeContact, OpenAccount } from "../schemas/brokerage";
import { StepUp } from "../schemas/requests";
import { accountStatus, accountView, changeContact, closeAccount, openAccount, tradingAccount, verifiedEmailOf } from "../services/brokerage";
import { requestActor, signedInActor } from "./actor";
import type { PlatformEnv } from "./env";
import { rules } from "./rules";

const depsOf = (c: { get(name: "deps"): Deps }) => c.get("deps");

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The address a user consents from, as the Broker API wants it: IPv4. CF-Connecting-IP as it is for
 * an IPv4 client (also one written as ::ffff:a.b.c.d). For an IPv6 client, the address Cloudflare's
 * Pseudo IPv4 ("Add header") derives from it, CF-Pseudo-IPv4 (always in 240.0.0.0/4); without that
 * setting, the IPv6 address itself, which the Broker API may refuse (docs/brokerage-accounts.md, "Agreements").
 */
function agreementAddress(c: Context): string {
  const ip = c.req.header("cf-connecting-ip") ?? "";
  const v4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)?.[1] ?? ip;
  if (IPV4.test(v4)) return v4;
  const pseudo = c.req.header("cf-pseudo-ipv4") ?? "";
  const first = Number(IPV4.exec(pseudo)?.[1]);
  return first >= 240 && first <= 255 ? pseudo : ip;
}

/**
 * The signed-in user's one brokerage account. No route takes an account id: the account is always
 * the one D1 records for the token's `sub`. Counted per user and route; opening counts apart, so
 * that a form sent twice is answered 409, not 429.
 */
export const brokerageRoutes = new Hono<PlatformEnv>()
  // The form is checked before the email (a Cognito call): every field at fault is named first.
  .post("/accounts", ...rules({ uses: "broker", limit: { brokerage: "open" }, body: validJson(OpenAccount), verifiedEmail: "after body" }), async (c) => {
    const opening = { request: c.req.valid("json"), address: agreementAddress(c), verifiedEmail: verifiedEmailOf(c.get("loginDeps"), signedInActor(c)) };
    return c.json(await openAccount(depsOf(c), requestActor(c), opening), 201);
  })
  .get("/accounts/me", ...rules({ uses: "broker", limit: { brokerage: "read" } }), async (c) => {
    return c.json(await accountView(depsOf(c), requestActor(c), verifiedEmailOf(c.get("loginDeps"), signedInActor(c))), 200);
  })
  .patch("/accounts/me", ...rules({ uses: "broker", limit: { brokerage: "update" } }), validJson(ChangeContact), async (c) => {
    const { contact, password, code } = c.req.valid("json");
    return c.json(await changeContact(depsOf(c), requestActor(c), { contact, proof: { password, code } }), 200);
  })
  .get("/accounts/me/status", ...rules({ uses: "broker", limit: { brokerage: "read" } }), async (c) => {
    return c.json(await accountStatus(depsOf(c), requestActor(c)), 200);
  })
  .get("/accounts/me/trading", ...rules({ uses: "broker", limit: { brokerage: "trading" } }), async (c) => {
    return c.json(await tradingAccount(depsOf(c), requestActor(c)), 200);
  })
  .post("/accounts/me/close", ...rules({ uses: "broker", limit: { brokerage: "close" } }), validJson(StepUp), async (c) => {
    return c.json(await closeAccount(depsOf(c), requestActor(c), c.req.valid("json")), 200);
  });
