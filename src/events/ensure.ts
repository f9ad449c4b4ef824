/**
 * Keeping the stream consumers running. In production a Cron Trigger calls `ensureConsumers` every
 * minute; under `npm run dev` and `wrangler dev`, where no cron fires on its own, the first request an
 * isolate serves does it (EVENT_CONSUMERS_ON_REQUEST=true), at most once a minute per isolate, after
 * the answer (waitUntil). Each consumer's own alarm reconnects it in between.
 */
import { log } from "../log";
import { depsFrom } from "../root";
import { EVENT_STREAMS } from "./consumer";

/** Asks each stream's consumer to run; a deployment without the Broker API's settings has none to run. */
export async function ensureConsumers(env: Env): Promise<void> {
  try {
    depsFrom(env).brokerage();
  } catch {
    return log("info", "event consumers not started: the brokerage is not configured");
  }
  const namespace = env.BROKER_STREAMS;
  const results = await Promise.allSettled(EVENT_STREAMS.map((stream) => namespace.get(namespace.idFromName(stream)).ensureRunning(stream)));
  results.forEach((result, index) => {
    if (result.status === "rejected") log("error", "event consumer not reached", { stream: EVENT_STREAMS[index], error: result.reason instanceof Error ? result.reason.name : "unknown" });
  });
}

const KICK_EVERY_MS = 60_000;
let kickedAt = Number.NEGATIVE_INFINITY;

/** Under development servers only: the consumers ensured after this request, unless this isolate did so in the last minute. */
export function ensureConsumersOnRequest(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): void {
  if ((env as { EVENT_CONSUMERS_ON_REQUEST?: string }).EVENT_CONSUMERS_ON_REQUEST !== "true") return;
  const now = Date.now();
  if (now - kickedAt < KICK_EVERY_MS) return;
  kickedAt = now;
  ctx.waitUntil(ensureConsumers(env));
}
