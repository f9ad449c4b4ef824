// The incremental SSE parser (src/events/sse.ts): what the Broker's event streams send, however the
// network cuts it into chunks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_LINE_CHARS, meaningOf, SseLineTooLong, SseParser, type SseItem } from "../../src/events/sse";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Every item the parser gives for `chunks` fed one after another. */
function parse(chunks: (string | Uint8Array)[]): SseItem[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.feed(chunk));
}

/** `text` as bytes cut at `cuts` (byte offsets, any order): a UTF-8 character may be cut in two. */
function cutAt(text: string, cuts: number[]): Uint8Array[] {
  const all = bytes(text);
  const points = [...new Set(cuts.map((cut) => cut % (all.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((from, index) => all.slice(from, [...points, all.length][index]));
}

const TRADE = '{"event":"fill","event_id":"01J7ZB1W6X8Y9Z0A1B2C3D4E5F","order":{"symbol":"AAPL","filled_qty":"2"}}';
const STATUS = '{"account_id":"4db36989-6565-4011-9126-39fe6b3d9bf6","event_ulid":"01F84ZC0H0Q1QN7XPNWX44HF5J","status_to":"ACTIVE"}';

describe("SseParser", () => {
  it("reads one message per data line and blank line, as the Broker sends them", () => {
    expect(parse([`data: ${TRADE}\n\ndata: ${STATUS}\n\n`])).toEqual([
      { type: "message", data: TRADE },
      { type: "message", data: STATUS },
    ]);
  });

  it("gives nothing for a message until its blank line, then the message: a line split across chunks, mid-field and mid-value", () => {
    const parser = new SseParser();
    expect(parser.feed("da")).toEqual([]);
    expect(parser.feed(`ta: ${TRADE.slice(0, 20)}`)).toEqual([]);
    expect(parser.feed(`${TRADE.slice(20)}\n`)).toEqual([]);
    expect(parser.feed("\n")).toEqual([{ type: "message", data: TRADE }]);
  });

  it("gives the same items however the bytes are cut into chunks, UTF-8 characters cut in two included", () => {
    const stream = `:heartbeat\r\n\r\ndata: {"reason":"Zahlung zurückgewiesen — 返回"}\r\n\r\n: you are reading too slowly, dropped 3 messages\n\ndata: ${TRADE}\rdata: second line\r\r`;
    const whole = parse([stream]);
    expect(whole).toHaveLength(4);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(parse(cutAt(stream, cuts))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it("takes LF, CR and CRLF as line ends, a CRLF split between two chunks as one", () => {
    const message = { type: "message", data: TRADE };
    expect(parse([`data: ${TRADE}\r\n\r\n`])).toEqual([message]);
    expect(parse([`data: ${TRADE}\r\r`])).toEqual([message]);
    // CR at a chunk's end, LF at the next one's start: one line end, not a blank line between.
    expect(parse([`data: ${TRADE}\r`, "\n", "data: next\r", "\n\r\n"])).toEqual([{ type: "message", data: `${TRADE}\nnext` }]);
    // An empty chunk between the CR and its LF changes nothing.
    expect(parse([`data: ${TRADE}\r`, "", "\n", "\r\n"])).toEqual([message]);
  });

  it("joins a message's data lines with LF; an empty data line is an empty line of data", () => {
    expect(parse(["data: {\ndata:  \"a\": 1\ndata\ndata: }\n\n"])).toEqual([{ type: "message", data: '{\n "a": 1\n\n}' }]);
    expect(parse(["data:\n\n"])).toEqual([{ type: "message", data: "" }]);
  });

  it("reads comments as their own items: heartbeats, the dropped-messages notice and the closing one, with what each means", () => {
    const items = parse([":heartbeat\n\n: you are reading too slowly, dropped 12 messages\n:\n: internal server error\n: something else\n"]);
    expect(items).toEqual([
      { type: "comment", text: "heartbeat" },
      { type: "comment", text: "you are reading too slowly, dropped 12 messages" },
      { type: "comment", text: "" },
      { type: "comment", text: "internal server error" },
      { type: "comment", text: "something else" },
    ]);
    expect(items.map((item) => item.type === "comment" && meaningOf(item))).toEqual([
      { kind: "heartbeat" },
      { kind: "dropped", count: 12 },
      { kind: "heartbeat" },
      { kind: "closing" },
      { kind: "other" },
    ]);
  });

  it("keeps a comment between a message's data lines out of the message", () => {
    expect(parse([`data: a\n:heartbeat\ndata: b\n\n`])).toEqual([
      { type: "comment", text: "heartbeat" },
      { type: "message", data: "a\nb" },
    ]);
  });

  it("gives the event and id fields with the message, the id carrying on to later messages as EventSource keeps it", () => {
    expect(parse(["event: trade\nid: 7\ndata: x\n\ndata: y\n\nid\ndata: z\n\n"])).toEqual([
      { type: "message", event: "trade", id: "7", data: "x" },
      { type: "message", id: "7", data: "y" },
      { type: "message", id: "", data: "z" },
    ]);
  });

  it("ignores blank lines with no data, retry and unknown fields, a field with no colon, and one byte order mark at the very start", () => {
    expect(parse(["\uFEFF\n\nretry: 1000\nfoo: bar\nevent: ignored\n\ndata: x\n\n"])).toEqual([{ type: "message", data: "x" }]);
    expect(parse(["data: \uFEFFx\n\n"])).toEqual([{ type: "message", data: "\uFEFFx" }]);
  });

  it("removes only one space after the colon", () => {
    expect(parse(["data:   x\n\n", "data:y\n\n"])).toEqual([
      { type: "message", data: "  x" },
      { type: "message", data: "y" },
    ]);
  });

  it("drops a message the stream ends in the middle of: nothing is given before its blank line", () => {
    const parser = new SseParser();
    expect(parser.feed(`data: ${TRADE}\n`)).toEqual([]);
    expect(parser.feed(`data: ${STATUS}`)).toEqual([]);
  });

  it("fails a line longer than any event instead of holding it in memory without end", () => {
    const parser = new SseParser();
    expect(() => parser.feed(`data: ${"x".repeat(MAX_LINE_CHARS)}`)).toThrow(SseLineTooLong);
    // Long lines within the bound are read whole.
    const long = "y".repeat(100_000);
    expect(parse([`data: ${long.slice(0, 50_000)}`, `${long.slice(50_000)}\n\n`])).toEqual([{ type: "message", data: long }]);
  });
});
