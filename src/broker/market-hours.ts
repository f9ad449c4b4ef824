// The market's clock and calendar, on the Broker API's host (broker-api.md section 10): no account id.
import * as z from "zod/mini";
import { unusableAnswer } from "../upstream";
import type { BrokerClient } from "./client";
import { BROKER_API } from "./errors";

const Clock = z.object({ timestamp: z.string(), is_open: z.boolean(), next_open: z.string(), next_close: z.string() });
/** New York wall-clock times; the newer session_open, session_close and settlement_date are not read. */
const Session = z.object({ date: z.string(), open: z.string(), close: z.string() });
const Calendar = z.array(Session);

export type MarketClock = z.output<typeof Clock>;
export type MarketSession = z.output<typeof Session>;

/** Dates (YYYY-MM-DD, inclusive); either left out is the Broker API's default. */
export interface CalendarRange {
  start?: string;
  end?: string;
}

export class MarketHours {
  readonly #client: BrokerClient;
  readonly #url: string;

  /** `url`: the Broker API's root, for the URLs that key the answers' cache entries. */
  constructor(client: BrokerClient, url: string) {
    this.#client = client;
    this.#url = url;
  }

  /** GET /v1/clock, as a URL (a cache key). */
  get clockUrl(): string {
    return `${this.#url}/v1/clock`;
  }

  async clock(): Promise<MarketClock> {
    return this.#read("GET /v1/clock", "/v1/clock", Clock);
  }

  /** GET /v1/calendar?start=&end=, as a URL (a cache key). */
  calendarUrl(range: CalendarRange): string {
    return this.#url + calendarPath(range);
  }

  async calendar(range: CalendarRange): Promise<MarketSession[]> {
    return this.#read("GET /v1/calendar", calendarPath(range), Calendar);
  }

  async #read<T extends z.ZodMiniType>(action: string, path: string, schema: T): Promise<z.output<T>> {
    const parsed = schema.safeParse(await this.#client.call(action, "GET", path));
    if (!parsed.success) throw unusableAnswer(BROKER_API, `${action} answered an unexpected shape`);
    return parsed.data;
  }
}

function calendarPath({ start, end }: CalendarRange): string {
  const params = new URLSearchParams();
  if (start) params.set("start", start);
  if (end) params.set("end", end);
  return `/v1/calendar${params.size ? `?${params}` : ""}`;
}
