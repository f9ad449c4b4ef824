// The default router (RegExpRouter: one regular expression for all routes), 2.7 KiB gzip more than
// hono/tiny, whose pattern router tries the routes one by one: about a tenth of GET / and log-in.
import { Hono } from "hono";
import type { AccessLogVariables } from "./middleware/access-log";
import type { ConfigVariables } from "./middleware/config";
import { handleError, notFound } from "./middleware/error-handler";
import { everyRequest } from "./middleware/every-request";
import { platform } from "./routes/platform";
import { root } from "./routes/root";
import { log } from "./log";
import { depsFrom } from "./root";

// The app's route list, which CORS derives its methods and headers from once every route is in it.
// Not strict: /platform/me/ is /platform/me, as hono/tiny's pattern router matched it (one handler, one limit).
const base = new Hono<{ Bindings: Env; Variables: AccessLogVariables & ConfigVariables }>({ strict: false });
export const app = base
  .use(everyRequest(depsFrom, base.routes))
  .route("/", root)
  .route("/platform", platform);

app.onError(handleError);
app.notFound(notFound(app.routes));

/** Durable Object classes (wrangler.toml [[durable_objects.bindings]]). */
export { UserEventStreams } from "./events/user-streams";

/** The app's routes and their types, for typed clients: `hc<AppType>(url)` from hono/client. */
export type AppType = typeof app;
export type { FailureCode } from "./failures";
/** Every error answer's body, by its one definition (the documented Problem schema). */
export type { ProblemResponse as ProblemBody } from "./schemas/responses";

/**
 * Cron Triggers: the same composition root as requests. Issues 23 and 24 give it work (the heal
 * pass, the asset sync); until then it builds the dependencies and says so.
 */
async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const deps = depsFrom(env);
  log("info", "scheduled", { cron: controller.cron, configured: deps.configResult.ok, stores: deps.storesIfBound !== undefined });
}

// `fetch` looks app.fetch up on each call, so that a test can route the handler (test/auth/jwks.test.ts).
export default { fetch: (request, env, ctx) => app.fetch(request, env, ctx), scheduled } satisfies ExportedHandler<Env>;
