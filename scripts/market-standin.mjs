// The market data the Broker API stand-in serves (broker-standin.mjs mounts it): the Market Data API's
// snapshots and bars, and the Broker API's clock and calendar, deterministic for `npm run dev` and the
// tests. It is not the Market Data API: its fields follow ../shared/reference/broker-api.md sections 9
// and 10, its prices are made up.
// - each symbol's price follows a fixed path: a function of the symbol and the minute alone (a seeded
//   hash), so the same minute always has the same price, whoever asks and whenever;
// - the exchange is open 09:30-16:00 New York time on weekdays but the holidays below, and the clock
//   follows the real time;
// - prices are written as JSON numbers, as the Market Data API writes them.

/** NYSE full-day holidays, 2025-2027 (the calendar's range here). */
const HOLIDAYS = new Set([
  "2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25",
  "2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
  "2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24",
]);
const FIRST_DATE = "2025-01-01";
const LAST_DATE = "2027-12-31";
const OPEN = "09:30";
const CLOSE = "16:00";
const MINUTE = 60_000;
const DAY = 86_400_000;

const newYork = new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** New York's offset from UTC at `ms`, in minutes (-240 or -300). */
function offsetAt(ms) {
  const parts = Object.fromEntries(newYork.formatToParts(new Date(ms)).map(({ type, value }) => [type, value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / MINUTE);
}

/** The instant of a New York wall-clock time ("2026-12-07", "09:30"). */
function instantOf(date, time) {
  const wall = Date.parse(`${date}T${time}:00Z`);
  // The offset at the guess is right except within an hour of a DST switch, never at 09:30 or 16:00.
  return wall - offsetAt(wall - 5 * 60 * MINUTE) * MINUTE;
}

/** `ms` as New York time with its offset, as the Broker API's clock writes it: 2022-04-29T09:30:00-04:00. */
function newYorkTime(ms) {
  const offset = offsetAt(ms);
  const wall = new Date(Math.floor(ms / 1000) * 1000 + offset * MINUTE).toISOString().slice(0, 19);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** The New York date of `ms`: 2026-12-07. */
const dateOf = (ms) => new Date(ms + offsetAt(ms) * MINUTE).toISOString().slice(0, 10);

function isTradingDay(date) {
  const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !HOLIDAYS.has(date);
}

const nextDate = (date, step = 1) => new Date(Date.parse(`${date}T12:00:00Z`) + step * DAY).toISOString().slice(0, 10);

/** The trading days from `start` to `end`, inclusive, within the calendar's range. */
function sessions(start, end) {
  const days = [];
  for (let date = start < FIRST_DATE ? FIRST_DATE : start; date <= end && date <= LAST_DATE; date = nextDate(date)) {
    if (isTradingDay(date)) days.push({ date, open: OPEN, close: CLOSE });
  }
  return days;
}

/** The session open at `ms`, or the last one before it, or the next one after it: { open, close } in ms. */
function sessionAround(ms, direction) {
  for (let date = dateOf(ms), i = 0; i < 15; i++, date = nextDate(date, direction)) {
    if (!isTradingDay(date)) continue;
    const open = instantOf(date, OPEN);
    const close = instantOf(date, CLOSE);
    if (direction > 0 ? close > ms : open <= ms) return { date, open, close };
  }
  throw new Error("no session within 15 days");
}

export function clock(now = Date.now()) {
  const next = sessionAround(now, 1);
  const isOpen = next.open <= now && now < next.close;
  const following = isOpen ? sessionAround(next.close, 1) : next;
  return { timestamp: newYorkTime(now), is_open: isOpen, next_open: newYorkTime(isOpen ? sessionAround(next.close + MINUTE, 1).open : following.open), next_close: newYorkTime(next.close) };
}

export function calendar(params, now = Date.now()) {
  const today = dateOf(now);
  return sessions(params.get("start") ?? today, params.get("end") ?? today);
}

/** A 32-bit hash of the text (FNV-1a): the seed of a symbol's path. */
function hash(text) {
  let h = 0x811c9dc5;
  for (const char of text) h = Math.imul(h ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** The symbol's price at minute `m` (since the epoch), in cents: within 3% of its base, on a smooth path with a little noise. */
function centsAt(base, symbol, m) {
  const seed = hash(symbol);
  const wave = Math.sin((m + (seed % 997)) / 390) * 0.02 + Math.sin((m + (seed % 113)) / 37) * 0.008;
  const noise = ((hash(`${symbol}:${m}`) % 1000) / 1000 - 0.5) * 0.002;
  return Math.round(base * 100 * (1 + wave + noise));
}

/** A JSON number of cents as dollars: 18712 -> 187.12 (written as the Market Data API writes prices). */
const dollars = (cents) => cents / 100;
const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");

/** The bar of `symbol` over [from, to) minutes, its time `stamp`. */
function bar(base, symbol, from, to, stamp) {
  const prices = [];
  for (let m = from; m < to; m++) prices.push(centsAt(base, symbol, m));
  const volume = (hash(`${symbol}:v:${from}`) % 9000) + 1000;
  return { t: iso(stamp), o: dollars(prices[0]), h: dollars(Math.max(...prices)), l: dollars(Math.min(...prices)), c: dollars(prices.at(-1)), v: volume * (to - from), n: to - from, vw: dollars(prices[0]) };
}

/** The daily bar of a session, stamped New York midnight in UTC, as the Market Data API stamps daily bars. */
function dailyBar(base, symbol, session, until = session.close) {
  const from = session.open / MINUTE;
  const to = Math.max(from + 1, Math.ceil(Math.min(until, session.close) / MINUTE));
  return bar(base, symbol, from, to, instantOf(session.date, "00:00"));
}

export function snapshot(base, symbol, now = Date.now()) {
  const current = sessionAround(now, -1);
  const previous = sessionAround(current.open - MINUTE, -1);
  const last = Math.min(now, current.close - 1);
  const m = Math.floor(last / MINUTE);
  const price = centsAt(base, symbol, m);
  const spread = Math.max(1, Math.round(price / 10_000));
  return {
    latestTrade: { t: iso(m * MINUTE + 30_000), x: "V", p: dollars(price), s: (hash(`${symbol}:s:${m}`) % 500) + 1, c: ["@"], i: m, z: "C" },
    latestQuote: { t: iso(m * MINUTE + 45_000), ax: "V", ap: dollars(price + spread), as: 2, bx: "V", bp: dollars(price - spread), bs: 3, c: ["R"], z: "C" },
    minuteBar: bar(base, symbol, m, m + 1, m * MINUTE),
    dailyBar: dailyBar(base, symbol, current, now),
    prevDailyBar: dailyBar(base, symbol, previous),
  };
}

const STEPS = { Min: 1, Hour: 60 };
const TIMEFRAME = /^([1-9]\d?)(Min|Hour|Day)$/;

/**
 * Bars of one symbol over [start, end], oldest first: intraday bars within sessions, daily bars per
 * session. `page_token` is where the next page starts (opaque to clients: base64 of a minute).
 */
export function bars(base, symbol, params, now = Date.now()) {
  const match = TIMEFRAME.exec(params.get("timeframe") ?? "");
  if (!match) return { error: "invalid timeframe" };
  const limit = Number(params.get("limit") ?? 1000);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return { error: "invalid limit" };
  const end = Math.min(params.get("end") ? Date.parse(params.get("end")) : now, now);
  const token = params.get("page_token");
  const start = token ? Number(atob(token)) : params.get("start") ? Date.parse(params.get("start")) : instantOf(dateOf(now), "00:00");
  if (!Number.isFinite(start) || !Number.isFinite(end)) return { error: "invalid start or end" };
  const out = [];
  let at = start;
  if (match[2] === "Day") {
    for (let date = dateOf(start); out.length < limit && instantOf(date, "00:00") <= end; date = nextDate(date)) {
      const stamp = instantOf(date, "00:00");
      at = instantOf(nextDate(date), "00:00");
      if (stamp < start || !isTradingDay(date)) continue;
      out.push(dailyBar(base, symbol, { date, open: instantOf(date, OPEN), close: instantOf(date, CLOSE) }, now));
    }
  } else {
    const step = Number(match[1]) * STEPS[match[2]];
    let m = Math.ceil(start / MINUTE / step) * step;
    for (; out.length < limit && m * MINUTE <= end; m += step) {
      const session = sessionAround(m * MINUTE, 1);
      const [open, close] = [session.open / MINUTE, session.close / MINUTE];
      // Before the session: on to the bar its open falls in (an hour's bar from 09:00 holds 09:30-10:00).
      if (open >= m + step) {
        m = Math.floor(open / step) * step - step;
        continue;
      }
      out.push(bar(base, symbol, Math.max(m, open), Math.min(m + step, close), m * MINUTE));
    }
    at = m * MINUTE;
  }
  const more = out.length === limit && at <= end;
  return { bars: out, symbol, next_page_token: more ? btoa(String(at)) : null };
}

/** The price of `symbol` at `ms`, in cents, on the path its snapshots and bars follow (the last session's close outside hours): what the portfolio history values a position at. */
export function centsAtTime(base, symbol, ms) {
  const session = sessionAround(ms, -1);
  return centsAt(base, symbol, Math.floor(Math.min(ms, session.close - 1) / MINUTE));
}

/** The sessions that overlap [start, end] (ms): { date, open, close }, open and close in ms. */
export function sessionsWithin(start, end) {
  return sessions(dateOf(start), dateOf(end)).map(({ date }) => ({ date, open: instantOf(date, OPEN), close: instantOf(date, CLOSE) }));
}
