// Cognito (and its JWKS) answered inside the Worker's own isolate, for tests that send thousands of
// requests: no socket, no other process, so the test measures the Worker and not the loopback.
// Replies have the fake upstream's shape (test/support/fake-upstream.ts), without delays or hangs.
import { vi } from "vitest";
import type { Reply } from "./fake-upstream";

/**
 * Answers every fetch to `origin` from `replies` (per action, the last one repeating) until the test
 * restores mocks; `calls()` lists the actions asked for, in order.
 */
export function answerCognitoInIsolate(origin: string, replies: Record<string, Reply[]>): { calls(): string[] } {
  const answered = new Map<string, number>();
  const calls: string[] = [];
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(origin)) return realFetch(input, init);
    const action = request.url.endsWith("/.well-known/jwks.json") ? "JWKS" : (request.headers.get("x-amz-target")?.split(".").pop() ?? "");
    calls.push(action);
    const count = answered.get(action) ?? 0;
    answered.set(action, count + 1);
    const list = replies[action];
    const reply = list?.[Math.min(count, list.length - 1)] ?? { status: 400, body: { __type: "UnknownOperationException", message: "not scripted" } };
    const isText = typeof reply.body === "string";
    return new Response(isText ? (reply.body as string) : JSON.stringify(reply.body ?? {}), {
      status: reply.status ?? 200,
      headers: { "content-type": isText ? "text/html" : "application/x-amz-json-1.1", ...reply.headers },
    });
  });
  return { calls: () => [...calls] };
}
