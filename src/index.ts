// The default router (RegExpRouter: one regular expression for all routes), 2.7 KiB gzip more than
// hono/tiny, whose pattern router tries the routes one by one: about a tenth of GET / and log-in.
import { Hono } from "hono";
import type { AccessLogVariables } from "./middleware/access-log";
import type { ConfigVariables } from "./middleware/config";
import { handleError, notFound } from "./middleware/error-handler";
import { everyRequest } from "./middleware/every-request";
import { platform } from "./routes/platform";
import { root } from "./routes/root";
import { ensureConsumers, ensureConsumersOnRequest } from "./events/ensure";
import { log } from "./log";
import { runHealPass } from "./events/heal";
import { depsFrom } from "./root";
import { syncAssetList } from "./services/assets";
import { appPage } from "./app-page";

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

/** Durable Objects, bound in wrangler.toml. */
export { BrokerStreamConsumer } from "./events/consumer";

/** Cron Triggers (wrangler.toml [triggers]), one function per job, each starting at the same composition root as requests. */
const JOBS: Record<string, (env: Env) => Promise<unknown>> = {
  "* * * * *": ensureConsumers,
  "*/10 * * * *": runHealPass,
  "17 4 * * *": (env) => syncAssetList(depsFrom(env)),
};

async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const job = JOBS[controller.cron];
  if (!job) return log("warn", "scheduled: no job for this cron", { cron: controller.cron });
  await job(env);
}

/** The paths wrangler.toml `run_worker_first` sends here although they are assets: the app's page. */
const APP_PAGE = new Set(["/app/", "/app/index.html"]);

// `fetch` looks app.fetch up on each call, so that a test can route the handler (test/auth/jwks.test.ts).
export default {
  fetch: (request, env, ctx) => {
    // Before anything of the API's: the page is an asset, with its own headers and no upstream call.
    // (The substring first: an API request parses no URL more.)
    if (request.url.includes("/app/") && APP_PAGE.has(new URL(request.url).pathname)) return appPage(request, env);
    ensureConsumersOnRequest(env, ctx);
    return app.fetch(request, env, ctx);
  },
  scheduled,
} satisfies ExportedHandler<Env>;
