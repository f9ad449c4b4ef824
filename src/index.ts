// hono/tiny: the pattern router, a few KiB smaller than the default; a dozen routes need nothing faster.
import { Hono } from "hono/tiny";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { Problem, internalError, problemResponse } from "./errors";
import { accessLog } from "./middleware/access-log";
import { corsFromConfig } from "./middleware/cors";
import { requireJsonBody } from "./middleware/validate";
import { platform } from "./routes/platform";
import { root } from "./routes/root";
import type { AppEnv } from "./types";

const BODY_LIMIT_BYTES = 16 * 1024;

const app = new Hono<AppEnv>()
  .use(requestId({ generator: (c) => c.req.header("cf-ray") ?? crypto.randomUUID() }))
  .use(accessLog)
  .use(corsFromConfig)
  .use(secureHeaders({ strictTransportSecurity: "max-age=31536000; includeSubDomains", xFrameOptions: "DENY" }))
  .use(
    bodyLimit({
      maxSize: BODY_LIMIT_BYTES,
      onError: () => {
        throw new Problem(413, "payload_too_large", { detail: `The body must be at most ${BODY_LIMIT_BYTES} bytes.` });
      },
    }),
  )
  .use(requireJsonBody)
  .route("/", root)
  .route("/platform", platform);

app.notFound((c) => {
  // Every route path is static, so the methods a path allows are a plain lookup.
  const allowed = [...new Set(app.routes.filter((route) => route.path === c.req.path && route.method !== "ALL").map((route) => route.method))];
  if (allowed.length > 0) {
    return problemResponse(
      c,
      new Problem(405, "method_not_allowed", { detail: `${c.req.path} allows ${allowed.join(", ")}.`, headers: { allow: allowed.join(", ") } }),
    );
  }
  return problemResponse(c, new Problem(404, "not_found", { detail: `No route for ${c.req.method} ${c.req.path}.` }));
});

app.onError((error, c) => {
  const problem = toProblem(error);
  const cause = problem.cause ?? (problem === error ? undefined : error);
  c.set("failure", { code: problem.code, ...(cause ? describe(cause) : {}) });
  return problemResponse(c, problem);
});

function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new Problem(413, "payload_too_large", { detail: "The body is too large." });
    if (error.status === 400) return new Problem(400, "malformed_json", { detail: "The body is not valid JSON." });
  }
  return internalError(error);
}

/** Enough to debug from the log: error class, Cognito type and message; never a stack in a response. */
function describe(cause: unknown): Record<string, string> {
  if (!(cause instanceof Error)) return { error: String(cause) };
  const type = (cause as { type?: unknown }).type;
  return { error: cause.name, ...(typeof type === "string" ? { type } : {}), message: cause.message };
}

/** For typed clients (`hc<AppType>` from hono/client): success answers from AppType, every error as ProblemBody. */
export type AppType = typeof app;
export type { ProblemBody, ProblemCode } from "./errors";
export default app;
