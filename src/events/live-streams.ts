// The Worker's side of the per-user Durable Objects (user-streams.ts): a stream opened at the user's
// own object, and applied changes handed to each user's object. The object is found by the user's
// `sub` alone, so a change can only reach the streams of the user it belongs to.
import type { LiveStreams } from "../deps";
import type { AppliedChange } from "./types";
import type { UserEventStreams } from "./user-streams";

export function liveStreamsOf(namespace: DurableObjectNamespace<UserEventStreams>): LiveStreams {
  const objectOf = (sub: string) => namespace.get(namespace.idFromName(sub));
  return {
    open: (request) => objectOf(request.sub).open(request),
    async publish(changes) {
      const bySub = new Map<string, AppliedChange[]>();
      for (const change of changes) bySub.set(change.sub, [...(bySub.get(change.sub) ?? []), change]);
      const sent = await Promise.allSettled([...bySub].map(([sub, theirs]) => objectOf(sub).publish(theirs)));
      return sent.filter((outcome) => outcome.status === "rejected").length;
    },
  };
}
