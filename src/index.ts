// hono/tiny: the pattern router, a few KiB smaller than the default; a dozen routes need nothing faster.
import { Hono } from "hono/tiny";
import { accessLog, type AccessLogVariables } from "./middleware/access-log";
import { withRoot } from "./middleware/config";
import { corsFor } from "./middleware/cors";
import { handleError, notFound } from "./middleware/error-handler";
import { requestIds } from "./middleware/request-id";
import { securityHeaders } from "./middleware/security-headers";
import { platform } from "./routes/platform";
import { root } from "./routes/root";
import { log } from "./log";
import { depsFrom } from "./root";

// The app's route list, which CORS derives its methods and headers from once every route is in it.
const base = new Hono<{ Bindings: Env; Variables: AccessLogVariables }>();
export const app = base
  .use(requestIds, accessLog, withRoot(depsFrom), corsFor(base.routes))
  .use(securityHeaders)
  .route("/", root)
  .route("/platform", platform);

app.onError(handleError);
app.notFound(notFound(app.routes));

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
