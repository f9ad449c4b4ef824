// The Market Data API (broker-api.md section 9) with the Broker API's key: one method per call, each
// answer checked against its shape. Prices and sizes come as JSON numbers and leave here as decimal
// strings read from their source text (json-numbers.ts). The market's clock and calendar are the
// Broker API's (broker/market-hours.ts).
import * as z from "zod/mini";
import type { BrokerConfig, MarketDataConfig } from "../config";
import { keptFor } from "../isolate";
import { isJsonObject, parseJson } from "../json";
import { exchange, secondsUntilReset, unusableAnswer, withRetries, type RequestScope, type Upstream } from "../upstream";
import { isFailure } from "../failures";
import { parseWithDecimalNumbers } from "../json-numbers";

/** The Market Data API, as failures name it. */
export const MARKET_DATA_API = "The Market Data API";

/** What the Market Data API refused: its status, its error code, and for a 429 when to come back. Never its message. */
export class MarketDataError extends Error {
  override name = "MarketDataError";
  constructor(
    action: string,
    readonly httpStatus: number,
    readonly code: number | undefined,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(`${action} answered HTTP ${httpStatus}, code ${code ?? "none"}`);
  }
}

/** A number of the answer, as json-numbers.ts spells it: a plain decimal string (a string sent in its place must be one too). */
const NumberText = z.string().check(z.regex(/^-?\d+(\.\d+)?$/));
const Trade = z.object({ t: z.string(), p: NumberText, s: NumberText });
const Quote = z.object({ t: z.string(), bp: NumberText, bs: NumberText, ap: NumberText, as: NumberText });
const Bar = z.object({ t: z.string(), o: NumberText, h: NumberText, l: NumberText, c: NumberText, v: NumberText });
/** Each part may be missing for a symbol without trades yet (a new listing, the sandbox). */
const Snapshot = z.object({
  latestTrade: z.nullish(Trade),
  latestQuote: z.nullish(Quote),
  dailyBar: z.nullish(Bar),
  prevDailyBar: z.nullish(Bar),
});
/** `{"AAPL": Snapshot, ...}`: a symbol it has nothing for is absent (or null). */
const Snapshots = z.record(z.string(), z.nullable(Snapshot));
const Bars = z.object({ bars: z.nullable(z.array(Bar)), next_page_token: z.nullish(z.string()) });

export type MarketBar = z.output<typeof Bar>;
export type MarketSnapshot = z.output<typeof Snapshot>;

export type Timeframe = "1Min" | "5Min" | "15Min" | "1Hour" | "1Day";

export interface BarsQuery {
  symbol: string;
  timeframe: Timeframe;
  start?: string;
  end?: string;
  limit?: number;
  /** The last answer's next_page_token. */
  pageToken?: string;
}

/** One call's request: its URL, which is also the key its answer is cached under (services/market.ts). */
export interface MarketRequest {
  url: string;
}

const basicAuthOf = (config: BrokerConfig) => `Basic ${btoa(`${config.keyId}:${config.secret}`)}`;

export class MarketData {
  readonly #config: MarketDataConfig;
  readonly #broker: BrokerConfig;
  readonly #scope: RequestScope;
  readonly #upstream: Upstream;

  /** `broker`: the Broker API's key pair, which the Market Data API takes too. */
  constructor(config: MarketDataConfig, broker: BrokerConfig, scope: RequestScope, timeoutMs: number) {
    this.#config = config;
    this.#broker = broker;
    this.#scope = scope;
    this.#upstream = { name: MARKET_DATA_API, timeoutMs };
  }

  /** GET /v2/stocks/snapshots?symbols=&feed= */
  snapshotsRequest(symbols: readonly string[]): MarketRequest {
    return { url: `${this.#config.url}/v2/stocks/snapshots?${new URLSearchParams({ symbols: symbols.join(","), feed: this.#config.feed })}` };
  }

  async snapshots(request: MarketRequest): Promise<Record<string, MarketSnapshot | null>> {
    return this.#get("GET /v2/stocks/snapshots", request, Snapshots);
  }

  /** GET /v2/stocks/{symbol}/bars, oldest first. */
  barsRequest(query: BarsQuery): MarketRequest {
    const params = new URLSearchParams({ timeframe: query.timeframe, feed: this.#config.feed });
    if (query.start) params.set("start", query.start);
    if (query.end) params.set("end", query.end);
    if (query.limit) params.set("limit", String(query.limit));
    if (query.pageToken) params.set("page_token", query.pageToken);
    return { url: `${this.#config.url}/v2/stocks/${encodeURIComponent(query.symbol)}/bars?${params}` };
  }

  async bars(request: MarketRequest): Promise<z.output<typeof Bars>> {
    return this.#get("GET /v2/stocks/{symbol}/bars", request, Bars);
  }

  /** A read, retried as the Broker API's reads are: no connection, a 5xx. */
  async #get<T extends z.ZodMiniType>(action: string, { url }: MarketRequest, schema: T): Promise<z.output<T>> {
    const once = async () => {
      const headers = { authorization: keptFor(this.#broker, basicAuthOf), accept: "application/json" };
      const { response, text, logCall } = await exchange(this.#scope, this.#upstream, action, url, { headers });
      if (!response.ok) throw refusalOf(action, response, text, logCall);
      logCall();
      let body: unknown;
      try {
        body = parseWithDecimalNumbers(text);
      } catch (error) {
        throw unusableAnswer(MARKET_DATA_API, `${action} answered what is not JSON with numbers: ${String(error)}`);
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw unusableAnswer(MARKET_DATA_API, `${action} answered an unexpected shape`);
      return parsed.data;
    };
    return withRetries(this.#scope, this.#upstream, once, isTransient);
  }
}

function refusalOf(action: string, response: Response, text: string, logCall: (errorType?: string) => void): Error {
  const parsed = parseJson(text);
  const code = isJsonObject(parsed) && typeof parsed.code === "number" ? parsed.code : undefined;
  logCall(code === undefined ? "unknown" : String(code));
  if (response.status >= 500 && code === undefined) return unusableAnswer(MARKET_DATA_API, `${action} answered HTTP ${response.status} without an API error`);
  return new MarketDataError(action, response.status, code, response.status === 429 ? secondsUntilReset(response) : undefined);
}

function isTransient(error: unknown): boolean {
  if (isFailure(error, "upstream_unavailable", "upstream_error")) return true;
  return error instanceof MarketDataError && error.httpStatus >= 500;
}
