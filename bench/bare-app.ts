// The yardstick for app CPU: a bare Hono app (hono/tiny: a handful of routes) that makes the same Cognito,
// Broker API and D1 calls as the API for each route, with no middleware, no validation beyond
// parsing, no logging. Whatever the API spends above this is its own overhead.
import { AwsClient } from "aws4fetch";
import { Hono } from "hono/tiny";
import { jwtVerify } from "jose";

export interface BareSettings {
  endpoint: string;
  region: string;
  userPoolId: string;
  clientId: string;
  issuer: string;
  /** The pool's public key, imported once. */
  publicKey: CryptoKey;
  accessKeyId: string;
  secretAccessKey: string;
  brokerUrl: string;
  brokerKeyId: string;
  brokerSecret: string;
  marketDataUrl: string;
}

interface MarketSnapshot {
  latestTrade?: { t: string; p: number; s: number };
  latestQuote?: { t: string; bp: number; bs: number; ap: number; as: number };
  dailyBar?: MarketBar;
  prevDailyBar?: MarketBar;
}
interface MarketBar {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

/** What a bare app would do with the numbers: String() of the float (the API reads each one's source text instead). */
const barOf = (bar: MarketBar | undefined) => (bar ? { time: bar.t, open: String(bar.o), high: String(bar.h), low: String(bar.l), close: String(bar.c), volume: String(bar.v) } : null);
const snapshotOf = (symbol: string, snapshot: MarketSnapshot | undefined) => ({
  symbol,
  latest_trade: snapshot?.latestTrade ? { price: String(snapshot.latestTrade.p), size: String(snapshot.latestTrade.s), time: snapshot.latestTrade.t } : null,
  latest_quote: snapshot?.latestQuote
    ? { bid_price: String(snapshot.latestQuote.bp), bid_size: String(snapshot.latestQuote.bs), ask_price: String(snapshot.latestQuote.ap), ask_size: String(snapshot.latestQuote.as), time: snapshot.latestQuote.t }
    : null,
  daily_bar: barOf(snapshot?.dailyBar),
  prev_daily_bar: barOf(snapshot?.prevDailyBar),
});

interface AccountAnswer {
  id: string;
  account_number: string;
  status: string;
  created_at: string;
  contact: { email_address: string };
  identity: { given_name: string; family_name: string };
  agreements: { agreement: string; signed_at: string }[];
}

const viewOf = (account: AccountAnswer, taxIdLast4: string | null) => ({
  id: account.id,
  account_number: account.account_number,
  status: account.status,
  created_at: account.created_at,
  given_name: account.identity.given_name,
  family_name: account.identity.family_name,
  email: account.contact.email_address,
  tax_id_last4: taxIdLast4,
  agreements: account.agreements.map(({ agreement, signed_at }) => ({ agreement, signed_at })),
});

const audit = (db: D1Database, sub: string, action: string) =>
  db.prepare("INSERT INTO audit_events (sub, action, request_id, outcome, at) VALUES (?, ?, ?, 'ok', ?)").bind(sub, action, crypto.randomUUID(), new Date().toISOString());

async function cognito(endpoint: string, action: string, input: object, signer?: AwsClient): Promise<Record<string, unknown>> {
  const init: RequestInit = {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(input),
  };
  const response = signer ? await signer.fetch(endpoint, init) : await fetch(endpoint, init);
  return (await response.json()) as Record<string, unknown>;
}

export function bareApp(settings: BareSettings): Hono<{ Bindings: { DB: D1Database } }> {
  // AdminConfirmSignUp must be SigV4-signed against real Cognito, so the bare app signs it too.
  const signer = new AwsClient({
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    service: "cognito-idp",
    region: settings.region,
    retries: 0,
  });
  const logIn = (email: string, password: string) =>
    cognito(settings.endpoint, "InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: settings.clientId,
      AuthParameters: { USERNAME: email, PASSWORD: password },
    });

  const verify = async (authorization: string | undefined) => {
    const token = authorization?.slice("Bearer ".length) ?? "";
    const { payload } = await jwtVerify(token, settings.publicKey, { issuer: settings.issuer, algorithms: ["RS256"] });
    return { token, sub: payload.sub as string, username: payload.username };
  };
  const brokerHeaders = { authorization: `Basic ${btoa(`${settings.brokerKeyId}:${settings.brokerSecret}`)}`, "content-type": "application/json" };
  // Kept for the isolate's life, as the API keeps its copy of the view for 5 s.
  const views = new Map<string, ReturnType<typeof viewOf>>();

  return new Hono<{ Bindings: { DB: D1Database } }>()
    .get("/", (c) => c.json({ message: "Server is running" }))
    .post("/platform/login", async (c) => {
      const { email, password } = await c.req.json<{ email: string; password: string }>();
      return c.json((await logIn(email, password)).AuthenticationResult as object);
    })
    .post("/platform/signup", async (c) => {
      const { email, password } = await c.req.json<{ email: string; password: string }>();
      await cognito(settings.endpoint, "SignUp", { ClientId: settings.clientId, Username: email, Password: password });
      await cognito(settings.endpoint, "AdminConfirmSignUp", { UserPoolId: settings.userPoolId, Username: email }, signer);
      return c.json((await logIn(email, password)).AuthenticationResult as object, 201);
    })
    .get("/platform/me", async (c) => {
      // No upstream call, like the API's repeated `me`; the least a correct app does is verify the token.
      const { sub, username } = await verify(c.req.header("authorization"));
      return c.json({ sub, username });
    })
    .post("/platform/accounts", async (c) => {
      // The API's calls: GetUser for the email, the row before the Broker call, the account, the row and its audit row.
      const { token, sub } = await verify(c.req.header("authorization"));
      const profile = (await cognito(settings.endpoint, "GetUser", { AccessToken: token })) as { UserAttributes: { Name: string; Value: string }[] };
      const email = profile.UserAttributes.find((attribute) => attribute.Name === "email")!.Value;
      const opening = await c.req.json<{ contact: object; identity: { tax_id: string }; disclosures: object; agreements: string[] }>();
      const now = new Date().toISOString();
      const last4 = opening.identity.tax_id.replace(/\D/g, "").slice(-4);
      const db = c.env.DB;
      await db.prepare("INSERT INTO brokerage_accounts (sub, status, tax_id_last4, created_at, updated_at) VALUES (?, 'PENDING', ?, ?, ?)").bind(sub, last4, now, now).run();
      const body = {
        ...opening,
        contact: { ...opening.contact, email_address: email },
        agreements: opening.agreements.map((agreement) => ({ agreement, signed_at: now, ip_address: c.req.header("cf-connecting-ip") })),
      };
      const response = await fetch(`${settings.brokerUrl}/v1/accounts`, { method: "POST", headers: brokerHeaders, body: JSON.stringify(body) });
      const account = (await response.json()) as AccountAnswer;
      await db.batch([
        db.prepare("UPDATE brokerage_accounts SET broker_account_id = ?, account_number = ?, status = ?, updated_at = ? WHERE sub = ?").bind(account.id, account.account_number, account.status, now, sub),
        audit(db, sub, "account.open"),
      ]);
      return c.json(viewOf(account, last4), 201);
    })
    .post("/platform/accounts/me/orders", async (c) => {
      // The API's calls: the account's row; the key claimed and read back in one batch; then the
      // stored answer (a replay: no Broker call), or the asset's row (with the list's sync mark, in
      // one batch), CreateOrder, and the answer stored with the audit row and the order's own row.
      const { sub } = await verify(c.req.header("authorization"));
      const key = c.req.header("idempotency-key") ?? "";
      const text = await c.req.text();
      const order = JSON.parse(text) as object;
      const hash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
      const db = c.env.DB;
      const row = (await db.prepare("SELECT broker_account_id FROM brokerage_accounts WHERE sub = ?").bind(sub).first<{ broker_account_id: string }>())!;
      const now = new Date().toISOString();
      const [, read] = await db.batch<{ state: string; response_body: string | null }>([
        db.prepare("INSERT INTO idempotency_keys (sub, key, request_hash, state, created_at, expires_at) VALUES (?, ?, ?, 'in_progress', ?, ?) ON CONFLICT DO NOTHING").bind(sub, key, hash, now, now),
        db.prepare("SELECT state, response_body FROM idempotency_keys WHERE sub = ? AND key = ?").bind(sub, key),
      ]);
      const stored = read!.results[0]!;
      const json = { "content-type": "application/json" };
      if (stored.state === "done") {
        await audit(db, sub, "order.create").run();
        return c.body(stored.response_body!, 201, json);
      }
      const [, asset] = await db.batch<{ tradable: number }>([
        db.prepare("SELECT synced_at FROM asset_sync WHERE id = 1"),
        db.prepare("SELECT tradable, fractionable FROM assets WHERE symbol = ?").bind((order as { symbol: string }).symbol),
      ]);
      if (!asset!.results[0]?.tradable) return c.json({ error: "not tradable" }, 422);
      const response = await fetch(`${settings.brokerUrl}/v1/trading/accounts/${row.broker_account_id}/orders`, {
        method: "POST",
        headers: brokerHeaders,
        body: JSON.stringify({ ...order, client_order_id: hash.slice(0, 43) }),
      });
      const answer = await response.text();
      const placed = JSON.parse(answer) as { id: string; status: string; created_at: string };
      await db.batch([
        db.prepare("UPDATE idempotency_keys SET state = 'done', response_status = 201, response_body = ? WHERE sub = ? AND key = ?").bind(answer, sub, key),
        audit(db, sub, "order.create"),
        db
          .prepare("INSERT INTO orders (id, sub, status, open, created_at, view, heard_at, version) VALUES (?, ?, ?, 1, ?, ?, ?, 1) ON CONFLICT (sub, id) DO NOTHING")
          .bind(placed.id, sub, placed.status, placed.created_at, answer, now),
      ]);
      return c.body(answer, 201, json);
    })
    .get("/platform/accounts/me", async (c) => {
      // The API's calls: its copy of the view (else the row and GetAccount), and the audit row.
      const { sub } = await verify(c.req.header("authorization"));
      const db = c.env.DB;
      let view = views.get(sub);
      if (!view) {
        const row = (await db.prepare("SELECT * FROM brokerage_accounts WHERE sub = ?").bind(sub).first<{ broker_account_id: string; tax_id_last4: string }>())!;
        const response = await fetch(`${settings.brokerUrl}/v1/accounts/${row.broker_account_id}`, { headers: brokerHeaders });
        view = viewOf((await response.json()) as AccountAnswer, row.tax_id_last4);
        views.set(sub, view);
      }
      await audit(db, sub, "account.read").run();
      return c.json(view);
    })
    .get("/platform/market/snapshots", async (c) => {
      // The API's calls: the token, then the edge cache (a key of its own, so the two apps never
      // share an entry), else the Market Data API and the answer stored for 2 s.
      await verify(c.req.header("authorization"));
      const symbols = (c.req.query("symbols") ?? "").split(",").map((symbol) => symbol.toUpperCase());
      const url = `${settings.marketDataUrl}/v2/stocks/snapshots?symbols=${[...symbols].sort().join(",")}&feed=iex`;
      const key = new Request(`https://bare-cache.internal/?upstream=${encodeURIComponent(url)}`);
      const hit = await caches.default.match(key);
      let bySymbol: Record<string, MarketSnapshot>;
      if (hit) bySymbol = await hit.json();
      else {
        const response = await fetch(url, { headers: { authorization: brokerHeaders.authorization } });
        bySymbol = await response.json();
        await caches.default.put(key, new Response(JSON.stringify(bySymbol), { headers: { "cache-control": "public, max-age=2" } }));
      }
      return c.json({ snapshots: symbols.map((symbol) => snapshotOf(symbol, bySymbol[symbol])) });
    });
}
