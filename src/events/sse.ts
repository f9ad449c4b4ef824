/**
 * An incremental reader of server-sent events (the WHATWG "event stream" format), fed the body's
 * chunks as they come: a line, a field or a UTF-8 character may be split across chunks; lines end in
 * LF, CR or CRLF (a CR ending one chunk and an LF starting the next are one line end); `data:` lines
 * of one message are joined with LF; a blank line ends a message; `:` lines are comments (the Broker
 * API's heartbeats and its "dropped N messages" notices, broker-api.md section 7). A line the stream
 * ends in the middle of is discarded with its message, as the format says.
 */

/** One message: its joined `data:` lines, with the `event:` and `id:` fields when the server sent them. */
export interface SseMessage {
  type: "message";
  data: string;
  event?: string;
  id?: string;
}

/** A comment line, without its leading ":" and one space after it. */
export interface SseComment {
  type: "comment";
  text: string;
}

export type SseItem = SseMessage | SseComment;

/** What the Broker API means by a comment (section 7); anything else is "other". */
export type CommentMeaning = { kind: "heartbeat" } | { kind: "dropped"; count: number } | { kind: "closing" } | { kind: "other" };

export function meaningOf(comment: SseComment): CommentMeaning {
  const text = comment.text.trim();
  if (text === "" || /^heartbeat$/i.test(text)) return { kind: "heartbeat" };
  const dropped = /dropped (\d+) messages?/i.exec(text);
  if (dropped) return { kind: "dropped", count: Number(dropped[1]) };
  if (/internal server error/i.test(text)) return { kind: "closing" };
  return { kind: "other" };
}

/** A line longer than this is not an event of the Broker's (its largest, a trade event with its order, is a few KiB): the stream is broken. */
export const MAX_LINE_CHARS = 1_000_000;

export class SseLineTooLong extends Error {
  override name = "SseLineTooLong";
}

export class SseParser {
  readonly #decoder = new TextDecoder("utf-8");
  /** The text of the current, unfinished line. */
  #pending = "";
  /** The last chunk ended in CR: an LF starting the next one belongs to that line end. */
  #afterCr = false;
  #firstLine = true;
  #data: string[] = [];
  #event: string | undefined;
  #id: string | undefined;

  /** The items the chunk completes, in order. Bytes are decoded as UTF-8, a character split across chunks included. */
  feed(chunk: Uint8Array | string): SseItem[] {
    let text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    if (this.#afterCr && text !== "") {
      if (text.startsWith("\n")) text = text.slice(1);
      this.#afterCr = false;
    }
    const items: SseItem[] = [];
    let start = 0;
    for (;;) {
      const end = lineEnd(text, start);
      if (end === -1) break;
      this.#line(this.#pending + text.slice(start, end), items);
      this.#pending = "";
      if (text[end] === "\r") {
        if (end + 1 === text.length) {
          this.#afterCr = true;
          start = end + 1;
          break;
        }
        start = text[end + 1] === "\n" ? end + 2 : end + 1;
      } else {
        start = end + 1;
      }
    }
    this.#pending += text.slice(start);
    if (this.#pending.length > MAX_LINE_CHARS) throw new SseLineTooLong(`a line of over ${MAX_LINE_CHARS} characters`);
    return items;
  }

  #line(raw: string, items: SseItem[]) {
    // A byte order mark may open the stream, and only there.
    const line = this.#firstLine && raw.startsWith("\uFEFF") ? raw.slice(1) : raw;
    this.#firstLine = false;
    if (line === "") return this.#dispatch(items);
    if (line.startsWith(":")) return void items.push({ type: "comment", text: line.slice(line.startsWith(": ") ? 2 : 1) });
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    // An id with a NUL is ignored, as the format says.
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    // "retry" and unknown fields: nothing we act on.
  }

  #dispatch(items: SseItem[]) {
    if (this.#data.length) {
      items.push({ type: "message", data: this.#data.join("\n"), ...(this.#event !== undefined ? { event: this.#event } : {}), ...(this.#id !== undefined ? { id: this.#id } : {}) });
    }
    this.#data = [];
    this.#event = undefined;
    // The last event id persists across messages, as EventSource keeps it.
  }
}

/** The index of the next CR or LF at or after `from`, or -1. */
function lineEnd(text: string, from: number): number {
  const cr = text.indexOf("\r", from);
  const lf = text.indexOf("\n", from);
  if (cr === -1) return lf;
  if (lf === -1) return cr;
  return Math.min(cr, lf);
}
