/** The Broker API's GET /v1/clock at `now` (default: the real time). */
export function clock(now?: number): { timestamp: string; is_open: boolean; next_open: string; next_close: string };
/** GET /v1/calendar's sessions for `start` and `end` (default: today). */
export function calendar(params: URLSearchParams, now?: number): { date: string; open: string; close: string }[];
/** The Market Data API's snapshot of `symbol`, its path centred on `base` dollars. */
export function snapshot(base: number, symbol: string, now?: number): { latestTrade: { t: string; p: number; s: number } } & Record<string, unknown>;
/** GET /v2/stocks/{symbol}/bars, or `{ error }` for a query it refuses. */
export function bars(base: number, symbol: string, params: URLSearchParams, now?: number): { bars: { t: string }[]; symbol: string; next_page_token: string | null; error?: string };
/** `symbol`'s price at `ms` in cents, on its path (the last session's close outside hours). */
export function centsAtTime(base: number, symbol: string, ms: number): number;
/** The trading sessions overlapping [start, end] (ms), open and close in ms. */
export function sessionsWithin(start: number, end: number): { date: string; open: number; close: number }[];
