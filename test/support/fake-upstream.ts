// A scriptable stand-in for the upstreams (Cognito and its JWKS endpoint, the Broker API, Plaid), run
// in Node by the global setup. Tests create a scenario (replies per action), point the Worker at
// /s/{id}/, then read the calls made.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { actionOf, answerOf, nextReply, type Reply } from "./replies";

export type { Reply } from "./replies";

export interface RecordedCall {
  action: string;
  signed: boolean;
  body: unknown;
  /** The request's headers, names lower-cased. */
  headers: Record<string, string>;
  /** The path below the scenario, with the query string: which account a REST call named. */
  path: string;
}

interface Scenario {
  /** The test runtime that made it (files run in parallel, one runtime each): it watches only its own stalls. */
  runtime: string;
  /** Replies per action (see actionOf); the last one repeats. */
  replies: Record<string, Reply[]>;
  calls: RecordedCall[];
  /** Per action, the answers held until its next call (Reply.holdUntilNext). */
  held: Map<string, (() => void)[]>;
  /** The answers held until the test releases them (Reply.holdUntilReleased); null once it has: none is held any more. */
  heldForTest: (() => void)[] | null;
}

const scenarios = new Map<string, Scenario>();

/** A call the fake holds without answering (hang, holdUntilNext, holdUntilReleased), in order of arrival, all scenarios. */
export interface Stall {
  method: string;
  /** The request's path and query, scenario prefix included: what the Worker's fetch asked for. */
  url: string;
}
/** Per test runtime (Scenario.runtime), its stalls. */
const stalls = new Map<string, Stall[]>();
/** Long polls of GET /__stalls?runtime=r&after=n waiting for the runtime's (n+1)th stall. */
const stallWaiters: (() => void)[] = [];

function stall(req: IncomingMessage, runtime: string) {
  if (!stalls.has(runtime)) stalls.set(runtime, []);
  stalls.get(runtime)!.push({ method: req.method ?? "GET", url: req.url ?? "/" });
  for (const wake of stallWaiters.splice(0)) wake();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function reply(req: IncomingMessage, res: ServerResponse, scenario: Scenario, action: string, callIndex: number, rest: boolean) {
  const next = nextReply(scenario.replies[action], callIndex);
  // This call lets through what an earlier one of the action held.
  for (const release of scenario.held.get(action)?.splice(0) ?? []) release();
  const releasedByTest = next.holdUntilReleased && scenario.heldForTest;
  // A hang with chunks answers (an open event stream): not a stall.
  if ((next.hang && !next.chunks) || next.holdUntilNext || releasedByTest) stall(req, scenario.runtime);
  if (next.holdUntilNext) await new Promise<void>((resolve) => scenario.held.set(action, [...(scenario.held.get(action) ?? []), resolve]));
  if (releasedByTest) await new Promise<void>((resolve) => releasedByTest.push(resolve));
  if (next.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
  if (next.hang && !next.chunks) return; // the socket stays open until the client aborts
  if (next.destroy) return res.socket?.destroy();
  const answer = answerOf(next, rest);
  // A held answer's client may be gone: writing to its closed socket is what the real upstream does too.
  if (res.destroyed) return;
  if (next.chunks) return stream(res, answer, next);
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** The headers now, then each chunk as it comes: a body the client reads while it is still being sent. */
async function stream(res: ServerResponse, answer: { status: number; headers: Record<string, string> }, { chunks = [], chunkGapMs, hang }: Reply) {
  res.writeHead(answer.status, answer.headers).flushHeaders();
  for (const chunk of chunks) {
    if (chunkGapMs) await new Promise((resolve) => setTimeout(resolve, chunkGapMs));
    if (res.destroyed) return;
    res.write(chunk);
  }
  if (!hang) res.end();
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://fake");
  const text = await readBody(req);
  if (req.method === "POST" && url.pathname === "/__scenarios") {
    const id = crypto.randomUUID();
    const { replies = {}, runtime } = JSON.parse(text) as { replies?: Record<string, Reply[]>; runtime: string };
    scenarios.set(id, { runtime, replies, calls: [], held: new Map(), heldForTest: [] });
    return sendJson(res, 201, { id });
  }
  if (url.pathname === "/__stalls") {
    // Answers once the runtime has more than `after` stalls (at once without `after`): the stalls since then, and the count.
    const after = Number(url.searchParams.get("after") ?? -1);
    const runtime = url.searchParams.get("runtime") ?? "";
    const own = () => stalls.get(runtime) ?? [];
    while (own().length <= after && !res.destroyed) await new Promise<void>((resolve) => stallWaiters.push(resolve));
    if (!res.destroyed) sendJson(res, 200, { count: own().length, stalls: own().slice(Math.max(0, after)) });
    return;
  }
  const releaseMatch = /^\/__release\/([\w-]+)$/.exec(url.pathname);
  if (req.method === "POST" && releaseMatch) {
    // The held answers go, and any call still to come is answered at once.
    const scenario = scenarios.get(releaseMatch[1]!);
    const held = scenario?.heldForTest ?? [];
    if (scenario) scenario.heldForTest = null;
    for (const release of held) release();
    return sendJson(res, 200, { released: held.length });
  }
  const callsMatch = /^\/__calls\/([\w-]+)$/.exec(url.pathname);
  if (callsMatch) return sendJson(res, 200, scenarios.get(callsMatch[1]!)?.calls ?? []);

  const match = /^\/s\/([\w-]+)(\/.*)$/.exec(url.pathname);
  const scenario = match && scenarios.get(match[1]!);
  if (!scenario) return sendJson(res, 404, { error: "unknown scenario" });
  const target = req.headers["x-amz-target"];
  const { action, rest } = actionOf(req.method ?? "GET", match[2]!, typeof target === "string" ? target : undefined);
  const callIndex = scenario.calls.filter((call) => call.action === action).length;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  // Node gives the names lower-cased; a repeated header's values are joined as fetch joins them.
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]),
  );
  scenario.calls.push({ action, signed: typeof req.headers.authorization === "string", body, headers, path: match[2]! + url.search });
  return reply(req, res, scenario, action, callIndex, rest);
}

export async function startFakeUpstream(): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, server };
}
