// A Broker event stream that the test writes, for a consumer run with its apply step given.
import { ulidAt } from "../../src/events/consumer";

/** An event id (a ULID) at `ms`, `n` making it unique within the millisecond. */
export const idAt = (ms: number, n = 1) => `${ulidAt(ms).slice(0, 10)}${String(n).padStart(16, "0")}`;

/** A stream body the test writes; the consumer's abort errors it, as fetch's signal does a real one. */
export function writtenStream(signal: AbortSignal) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  signal.addEventListener("abort", () => controller.error(signal.reason));
  return {
    response: new Response(body, { headers: { "content-type": "text/event-stream" } }),
    send: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    end: () => controller.close(),
  };
}
