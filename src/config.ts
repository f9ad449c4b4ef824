import * as z from "zod/mini";
import { Failure } from "./failures";
import { keptFor } from "./isolate";
import { compareDecimals, DEFAULT_MAX_TRANSFER_AMOUNT, isDecimal, MONEY_PLACES } from "./decimal";

/** Settings read from the Worker's environment: [vars], secrets and .dev.vars. */
export interface Config {
  clientId: string;
  clientSecret?: string;
  region: string;
  userPoolId: string;
  endpoint: string;
  issuer: string;
  jwksUrl: string;
  /** Inline JWKS JSON: removes even the first JWKS fetch. */
  jwks?: string;
  awsCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Confirm sign-ups with AdminConfirmSignUp (the tutorial's flow) instead of an emailed code. */
  autoConfirm: boolean;
  /** Limit for one Cognito call (COGNITO_TIMEOUT_MS, else UPSTREAM_TIMEOUT_MS). */
  upstreamTimeoutMs: number;
  /** Limit for all upstream work of one request, retries included. */
  requestBudgetMs: number;
  corsOrigins: string[];
  /** The issuer shown by authenticator apps next to the account's email. */
  totpIssuer: string;
  /** Limit for one SendEmail (SES_TIMEOUT_MS, else UPSTREAM_TIMEOUT_MS up to 2 s): a notice never holds its request long. */
  sesTimeoutMs: number;
  /** Amazon SES for the security notices; absent without SES_FROM_ADDRESS, and then none is sent. */
  ses?: SesConfig;
}

export interface SesConfig {
  /** The verified sender identity the notices come from. */
  fromAddress: string;
  region: string;
  /** SESv2's base URL, without a trailing slash. */
  endpoint: string;
}

/**
 * `invalid`: every variable to fix; `placeholders`: those of them that still hold a value from
 * .dev.vars.example (a copy made and never edited).
 */
export type ConfigResult = { ok: true; config: Config } | Unusable;

type Unusable = { ok: false; invalid: string[]; placeholders: string[] };

/** How every placeholder in .dev.vars.example (and wrangler.toml's commented [vars]) begins. */
const PLACEHOLDER = /^replace-with-/;

const nonEmpty = z.string().check(z.trim(), z.minLength(1));
const awsRegion = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/));
const httpUrl = z.pipe(nonEmpty, z.url({ protocol: /^https?$/ }));
const ms = z.pipe(z.string(), z.transform(Number)).check(z.int(), z.minimum(100), z.maximum(60_000));
const millis = (fallback: number) => z._default(ms, fallback);

/** SendEmail's limit when SES_TIMEOUT_MS is unset: SendEmail answers in well under a second, and a slow one must not hold a request (or its waitUntil) long. */
const SES_TIMEOUT_MS = 2_000;

const EnvSchema = z.object({
  COGNITO_USER_CLIENT_ID: z.string().check(z.regex(/^[\w+]{1,128}$/)),
  COGNITO_USER_CLIENT_SECRET: z.optional(nonEmpty),
  COGNITO_REGION_NAME: awsRegion,
  USER_POOL_ID: z.string().check(z.regex(/^[\w-]+_[0-9a-zA-Z]+$/)),
  COGNITO_ENDPOINT: z.optional(httpUrl),
  COGNITO_ISSUER: z.optional(httpUrl),
  COGNITO_JWKS_PATH: z.optional(nonEmpty),
  COGNITO_JWKS: z.optional(nonEmpty),
  // The admin actions (AdminGetUser before resuming a sign-up, AdminConfirmSignUp, AdminUserGlobalSignOut
  // after a password reset) are SigV4-signed, so every flow needs an IAM key pair.
  AWS_ACCESS_KEY_ID: nonEmpty,
  AWS_SECRET_ACCESS_KEY: nonEmpty,
  AWS_SESSION_TOKEN: z.optional(nonEmpty),
  AUTO_CONFIRM: z._default(z.stringbool(), true),
  UPSTREAM_TIMEOUT_MS: millis(5_000),
  COGNITO_TIMEOUT_MS: z.optional(ms),
  SES_TIMEOUT_MS: z.optional(ms),
  REQUEST_BUDGET_MS: millis(8_000),
  CORS_ORIGINS: z.optional(z.string()),
  TOTP_ISSUER: z._default(z.string().check(z.trim(), z.maxLength(64)), "Edge Auth"),
  // Security notices, signed with the same IAM key (it needs ses:SendEmail).
  SES_FROM_ADDRESS: z.optional(z.pipe(nonEmpty, z.email())),
  SES_REGION: z.optional(awsRegion),
  SES_ENDPOINT: z.optional(httpUrl),
});

/** Wrangler gives unset optional vars as "", which means "not set" here. */
function presentValues(env: object): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "string" && value.trim() !== "") values[name] = value;
  }
  return values;
}

/** The variables `schema` reads from `env`, or every one of them to fix: invalid, missing, or still a placeholder. */
function parseEnv<T extends z.ZodMiniObject>(schema: T, env: object): { ok: true; vars: z.infer<T> } | Unusable {
  const values = presentValues(env);
  const parsed = schema.safeParse(values);
  const placeholders = Object.keys(values).filter((name) => name in schema.def.shape && PLACEHOLDER.test(values[name]!.trim()));
  const invalid = new Set([...(parsed.error?.issues.map((issue) => String(issue.path[0])) ?? []), ...placeholders]);
  if (!parsed.success || invalid.size > 0) return { ok: false, invalid: [...invalid].sort(), placeholders: placeholders.sort() };
  return { ok: true, vars: parsed.data };
}

function parseConfig(env: object): ConfigResult {
  const parsed = parseEnv(EnvSchema, env);
  if (!parsed.ok) return parsed;
  const vars = parsed.vars;
  const issuer = trimSlash(vars.COGNITO_ISSUER ?? `https://cognito-idp.${vars.COGNITO_REGION_NAME}.amazonaws.com/${vars.USER_POOL_ID}`);
  return {
    ok: true,
    config: {
      clientId: vars.COGNITO_USER_CLIENT_ID,
      clientSecret: vars.COGNITO_USER_CLIENT_SECRET,
      region: vars.COGNITO_REGION_NAME,
      userPoolId: vars.USER_POOL_ID,
      endpoint: vars.COGNITO_ENDPOINT ?? `https://cognito-idp.${vars.COGNITO_REGION_NAME}.amazonaws.com/`,
      issuer,
      jwksUrl: jwksUrl(issuer, vars.COGNITO_JWKS_PATH),
      jwks: vars.COGNITO_JWKS,
      awsCredentials: { accessKeyId: vars.AWS_ACCESS_KEY_ID, secretAccessKey: vars.AWS_SECRET_ACCESS_KEY, sessionToken: vars.AWS_SESSION_TOKEN },
      autoConfirm: vars.AUTO_CONFIRM,
      upstreamTimeoutMs: vars.COGNITO_TIMEOUT_MS ?? vars.UPSTREAM_TIMEOUT_MS,
      requestBudgetMs: vars.REQUEST_BUDGET_MS,
      corsOrigins: (vars.CORS_ORIGINS ?? "").split(",").map((origin) => origin.trim()).filter(Boolean),
      totpIssuer: vars.TOTP_ISSUER,
      sesTimeoutMs: vars.SES_TIMEOUT_MS ?? Math.min(vars.UPSTREAM_TIMEOUT_MS, SES_TIMEOUT_MS),
      ses: vars.SES_FROM_ADDRESS ? sesConfig(vars.SES_FROM_ADDRESS, vars.SES_REGION ?? vars.COGNITO_REGION_NAME, vars.SES_ENDPOINT) : undefined,
    },
  };
}

function sesConfig(fromAddress: string, region: string, endpoint: string | undefined): SesConfig {
  return { fromAddress, region, endpoint: trimSlash(endpoint ?? `https://email.${region}.amazonaws.com`) };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The tutorial's COGNITO_JWKS_PATH may be a full URL or a path below the issuer. */
function jwksUrl(issuer: string, path: string | undefined): string {
  if (!path) return `${issuer}/.well-known/jwks.json`;
  if (/^https?:\/\//.test(path)) return path;
  return `${issuer}/${path.replace(/^\/+/, "")}`;
}

/** Parses once per env object, which workerd keeps for the isolate's lifetime. */
export function loadConfig(env: object): ConfigResult {
  return keptFor(env, parseConfig);
}

/** The Alpaca Broker API: the firm's key pair (Basic auth) and where the API is. */
export interface BrokerConfig {
  url: string;
  keyId: string;
  secret: string;
}

export type BrokerConfigResult = { ok: true; broker: BrokerConfig } | Unusable;

/** The sandbox: the series' default, so that a key pair of the sandbox is all a developer sets. */
const BROKER_SANDBOX_URL = "https://broker-api.sandbox.alpaca.markets";

/**
 * Parsed apart from the Cognito settings: without a Broker API key pair only the brokerage routes
 * answer not_configured, and the rest of the API works.
 */
const BrokerEnvSchema = z.object({
  APCA_BROKER_API_KEY: nonEmpty,
  APCA_BROKER_API_SECRET: nonEmpty,
  BROKER_API_URL: z._default(httpUrl, BROKER_SANDBOX_URL),
});

function parseBrokerConfig(env: object): BrokerConfigResult {
  const parsed = parseEnv(BrokerEnvSchema, env);
  if (!parsed.ok) return parsed;
  const vars = parsed.vars;
  return { ok: true, broker: { url: trimSlash(vars.BROKER_API_URL), keyId: vars.APCA_BROKER_API_KEY, secret: vars.APCA_BROKER_API_SECRET } };
}

/** Parsed once per env object, as loadConfig. */
export function loadBrokerConfig(env: object): BrokerConfigResult {
  return keptFor(env, parseBrokerConfig);
}

/** Plaid, for bank links made with Plaid Link: the client id and secret of its dashboard, and where its API is. */
export interface PlaidConfig {
  url: string;
  clientId: string;
  secret: string;
  /** Shown in Plaid Link (at most 30 characters). */
  clientName: string;
  /**
   * The host Plaid Link in the browser talks to, PLAID_ENV's; none when PLAID_API_URL sends the Worker
   * to another Plaid (the local stand-in), whose link tokens Plaid's real Link cannot open.
   */
  linkApi: string | undefined;
}

export type PlaidConfigResult = { ok: true; plaid: PlaidConfig } | Unusable;

/** PLAID_ENV's hosts (Plaid's own SDKs name these two). */
const PLAID_HOSTS = { sandbox: "https://sandbox.plaid.com", production: "https://production.plaid.com" } as const;

/**
 * Apart from the Broker API's: without Plaid's keys only the Plaid routes answer not_configured, and
 * bank links by bank details still work. PLAID_API_URL replaces PLAID_ENV's host (the local stand-in).
 */
const PlaidEnvSchema = z.object({
  PLAID_CLIENT_ID: nonEmpty,
  PLAID_SECRET: nonEmpty,
  PLAID_ENV: z._default(z.enum(["sandbox", "production"]), "sandbox"),
  PLAID_API_URL: z.optional(httpUrl),
  PLAID_CLIENT_NAME: z._default(z.string().check(z.trim(), z.minLength(1), z.maxLength(30)), "Edge Brokerage"),
});

function parsePlaidConfig(env: object): PlaidConfigResult {
  const parsed = parseEnv(PlaidEnvSchema, env);
  if (!parsed.ok) return parsed;
  const vars = parsed.vars;
  const url = trimSlash(vars.PLAID_API_URL ?? PLAID_HOSTS[vars.PLAID_ENV]);
  return { ok: true, plaid: { url, clientId: vars.PLAID_CLIENT_ID, secret: vars.PLAID_SECRET, clientName: vars.PLAID_CLIENT_NAME, linkApi: vars.PLAID_API_URL ? undefined : PLAID_HOSTS[vars.PLAID_ENV] } };
}

export function loadPlaidConfig(env: object): PlaidConfigResult {
  return keptFor(env, parsePlaidConfig);
}

/** The Market Data API: where it is and which feed; it takes the Broker API's key pair (broker-api.md section 9). */
export interface MarketDataConfig {
  url: string;
  /** iex (one venue, included in every plan) or sip (all venues, a paid plan). */
  feed: "iex" | "sip";
}

export type MarketDataConfigResult = { ok: true; marketData: MarketDataConfig } | Unusable;

/** The sandbox data host, as the Broker API's default is its sandbox. */
const MARKET_DATA_SANDBOX_URL = "https://data.sandbox.alpaca.markets";

const MarketDataEnvSchema = z.object({
  MARKET_DATA_URL: z._default(httpUrl, MARKET_DATA_SANDBOX_URL),
  MARKET_DATA_FEED: z._default(z.enum(["iex", "sip"]), "iex"),
});

function parseMarketDataConfig(env: object): MarketDataConfigResult {
  const parsed = parseEnv(MarketDataEnvSchema, env);
  return parsed.ok ? { ok: true, marketData: { url: trimSlash(parsed.vars.MARKET_DATA_URL), feed: parsed.vars.MARKET_DATA_FEED } } : parsed;
}

export function loadMarketDataConfig(env: object): MarketDataConfigResult {
  return keptFor(env, parseMarketDataConfig);
}

/** Limits on moving money, whatever the upstreams allow. */
export interface FundingConfig {
  /** The most one transfer may move: a decimal string of at most 2 places. */
  maxTransferAmount: string;
}

export type FundingConfigResult = { ok: true; funding: FundingConfig } | Unusable;

const FundingEnvSchema = z.object({
  MAX_TRANSFER_AMOUNT: z._default(
    z.string().check(z.refine((text) => isDecimal(text, MONEY_PLACES) && compareDecimals(text, "0") > 0)),
    DEFAULT_MAX_TRANSFER_AMOUNT,
  ),
});

function parseFundingConfig(env: object): FundingConfigResult {
  const parsed = parseEnv(FundingEnvSchema, env);
  return parsed.ok ? { ok: true, funding: { maxTransferAmount: parsed.vars.MAX_TRANSFER_AMOUNT } } : parsed;
}

export function loadFundingConfig(env: object): FundingConfigResult {
  return keptFor(env, parseFundingConfig);
}

/** Each upstream's own limit for one call: its variable, else UPSTREAM_TIMEOUT_MS (docs/deploy.md, "Configuration"). */
export interface Timeouts {
  brokerMs: number;
  plaidMs: number;
  marketDataMs: number;
}

export type TimeoutsResult = { ok: true; timeouts: Timeouts } | Unusable;

const TimeoutsEnvSchema = z.object({
  UPSTREAM_TIMEOUT_MS: millis(5_000),
  BROKER_TIMEOUT_MS: z.optional(ms),
  PLAID_TIMEOUT_MS: z.optional(ms),
  MARKET_DATA_TIMEOUT_MS: z.optional(ms),
});

function parseTimeouts(env: object): TimeoutsResult {
  const parsed = parseEnv(TimeoutsEnvSchema, env);
  if (!parsed.ok) return parsed;
  const { UPSTREAM_TIMEOUT_MS, BROKER_TIMEOUT_MS, PLAID_TIMEOUT_MS, MARKET_DATA_TIMEOUT_MS } = parsed.vars;
  return {
    ok: true,
    timeouts: {
      brokerMs: BROKER_TIMEOUT_MS ?? UPSTREAM_TIMEOUT_MS,
      plaidMs: PLAID_TIMEOUT_MS ?? UPSTREAM_TIMEOUT_MS,
      marketDataMs: MARKET_DATA_TIMEOUT_MS ?? UPSTREAM_TIMEOUT_MS,
    },
  };
}

export function loadTimeouts(env: object): TimeoutsResult {
  return keptFor(env, parseTimeouts);
}

/** Names the variables to set, and those still holding an example value from .dev.vars.example; never a value. */
export function notConfiguredDetail(invalid: string[], placeholders: string[]): string {
  const unset = invalid.filter((name) => !placeholders.includes(name));
  const reasons = [
    ...(unset.length ? [`set ${unset.join(", ")}`] : []),
    ...(placeholders.length
      ? [`${placeholders.join(", ")} still ${placeholders.length === 1 ? "has the example value" : "have the example values"} from .dev.vars.example`]
      : []),
  ];
  return `The service is not configured: ${reasons.join("; ")}.`;
}

/** 503 naming what to set: a deployment without an upstream's settings serves everything else. */
export const notConfigured = (invalid: string[], placeholders: string[] = []) =>
  new Failure("not_configured", { detail: notConfiguredDetail(invalid, placeholders), headers: { "retry-after": "60" } });
