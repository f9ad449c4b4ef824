// Upstream timeouts that fire when the fake upstream holds the call they guard, not after wall-clock
// time: a test of a timeout then neither waits for one nor races it against a loaded machine. The
// code under test keeps its own timer (AbortSignal.timeout, with its configured length, as the
// fallback); the test fires it early for exactly the call the fake holds, and every other call of
// the same request keeps its normal, generous limit.
import { afterEach, beforeEach, inject, vi } from "vitest";
import type { Stall } from "./fake-upstream";

interface Guarded {
  method: string;
  /** Path and query, as the fake upstream reports a stall. */
  url: string;
  fire(): void;
}

export interface HeldTimeouts {
  /** Waits until the fake upstream holds a call of this window (a hang, a held answer), then fires that call's timeout. */
  expireNextStall(signal?: AbortSignal): Promise<void>;
  restore(): void;
}

let runtime: string | undefined;
/**
 * This test runtime, as the fake upstream knows it: files run in parallel, one runtime each, and a
 * runtime's scenarios report their stalls to it alone. Made on first use (no random values at a
 * module's top level in workerd), then kept for the runtime's life.
 */
export function testRuntime(): string {
  return (runtime ??= crypto.randomUUID());
}

// The fetch of the test's own calls to the fake, untouched by the spies below.
const realFetch: typeof fetch = globalThis.fetch.bind(globalThis);

/**
 * The calls the fake upstream will hold from now on (hang, holdUntilNext, holdUntilReleased), in
 * order: next() waits, without polling, until it holds one more, and answers the new ones.
 */
export async function stallWatch(): Promise<{ next(signal?: AbortSignal): Promise<Stall[]> }> {
  const fake = inject("fakeUpstreamUrl");
  const read = async (query: string, signal?: AbortSignal) =>
    (await (await realFetch(`${fake}/__stalls?runtime=${testRuntime()}${query}`, { signal })).json()) as { count: number; stalls: Stall[] };
  let seen = (await read("")).count;
  return {
    async next(signal) {
      const { count, stalls } = await read(`&after=${seen}`, signal);
      seen = count;
      return stalls;
    },
  };
}

/**
 * From now until restore(), each upstream timeout started (AbortSignal.timeout) can be fired early:
 * expireNextStall() fires the one guarding the call the fake upstream holds next.
 */
export async function holdTimeouts(): Promise<HeldTimeouts> {
  // vi.spyOn would take over another helper's spy and, on restore, undo it too.
  if (vi.isMockFunction(globalThis.fetch) || vi.isMockFunction(AbortSignal.timeout)) throw new Error("holdTimeouts: fetch or AbortSignal.timeout is mocked already");
  const stalls = await stallWatch();
  const timers = new WeakMap<AbortSignal, AbortController>();
  const inFlight = new Set<Guarded>();
  const originalTimeout = AbortSignal.timeout.bind(AbortSignal);
  const originalFetch = globalThis.fetch;
  const timeoutSpy = vi.spyOn(AbortSignal, "timeout").mockImplementation((ms: number) => {
    const controller = new AbortController();
    const own = originalTimeout(ms);
    own.addEventListener("abort", () => controller.abort(own.reason), { once: true });
    timers.set(controller.signal, controller);
    return controller.signal;
  });
  const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const signal = init?.signal ?? undefined;
    const controller = signal ? timers.get(signal) : undefined;
    if (!controller) return originalFetch(input, init);
    // Read without making a Request of it, which would use up the body the real fetch is to send.
    const url = new URL(input instanceof Request ? input.url : String(input));
    const guarded: Guarded = {
      method: (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase(),
      url: url.pathname + url.search,
      fire: () => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
    };
    inFlight.add(guarded);
    return originalFetch(input, init).finally(() => inFlight.delete(guarded));
  });
  return {
    async expireNextStall(signal) {
      for (const stall of await stalls.next(signal)) {
        const call = [...inFlight].find((guarded) => guarded.method === stall.method && guarded.url === stall.url);
        if (!call) throw new Error(`the fake upstream holds ${stall.method} ${stall.url}, which no timeout of this window guards`);
        inFlight.delete(call);
        call.fire();
      }
    },
    restore() {
      fetchSpy.mockRestore();
      timeoutSpy.mockRestore();
    },
  };
}

/**
 * Runs `request`, firing the timeout of every call the fake upstream holds meanwhile (a `hang`, a
 * `holdUntilNext`), as soon as it holds it: the request then ends as if that call had timed out.
 */
export async function timingOut<T>(request: () => Promise<T>): Promise<T> {
  const held = await holdTimeouts();
  const done = new AbortController();
  let failure: unknown;
  const watching = (async () => {
    while (!done.signal.aborted) await held.expireNextStall(done.signal);
  })().catch((error: unknown) => {
    if (!done.signal.aborted) failure = error;
  });
  try {
    return await request();
  } finally {
    done.abort();
    await watching;
    held.restore();
    if (failure) throw failure;
  }
}

/**
 * Runs `request` against an upstream whose rate limit resets at `resetSeconds` (Unix seconds), and
 * gives the seconds left until then as the Worker's clock read them when the request began and when
 * it ended: a Retry-After computed from that reset lies between them, however long the set-up took.
 */
export async function secondsLeftAround<T>(resetSeconds: number, request: () => Promise<T>): Promise<{ result: T; atMost: number; atLeast: number }> {
  const left = () => Math.ceil(resetSeconds - Date.now() / 1000);
  const atMost = left();
  const result = await request();
  return { result, atMost, atLeast: left() };
}

/**
 * For the file that calls it: a retry goes out at once. The backoff between retries is full jitter
 * (src/upstream.ts), a random share of its cap: the draw is 0 here, so a test of retries waits for
 * none, and how many calls are made stays what the code decides.
 */
export function retriesWithoutPause(): void {
  beforeEach(() => {
    vi.spyOn(Math, "random").mockReturnValue(0);
  });
  afterEach(() => {
    vi.mocked(Math.random).mockRestore();
  });
}
