// Cognito (and its JWKS) answered inside the Worker's own isolate, for tests that send thousands of
// requests: no socket, no other process, so the test measures the Worker and not the loopback.
// Replies have the fake upstream's shape (test/support/fake-upstream.ts), without delays or hangs.
import { vi } from "vitest";
import { actionOf, answerOf, nextReply, type Reply } from "./replies";

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
    const { action, rest } = actionOf(request.method, new URL(request.url).pathname, request.headers.get("x-amz-target") ?? undefined);
    calls.push(action);
    const count = answered.get(action) ?? 0;
    answered.set(action, count + 1);
    const answer = answerOf(nextReply(replies[action], count), rest);
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  });
  return { calls: () => [...calls] };
}
