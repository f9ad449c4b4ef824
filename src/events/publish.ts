// What the event consumer calls once applyEvent has committed a batch: each user's changes to that
// user's Durable Object, which writes them to the user's open streams (user-streams.ts).
import { log } from "../log";
import { liveStreamsOf } from "./live-streams";
import type { AppliedChange } from "./types";

/**
 * Never throws: the changes are in D1 already, so a user's object that could not be reached costs
 * its open streams these messages only, which a client gets back by resuming with Last-Event-ID.
 */
export async function publishChanges(env: Env, changes: AppliedChange[]): Promise<void> {
  if (changes.length === 0) return;
  const failed = await liveStreamsOf(env.USER_EVENTS).publish(changes);
  if (failed > 0) log("warn", "live_publish_failed", { users: failed, changes: changes.length });
}
