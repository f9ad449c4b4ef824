// hono/tiny: the pattern router, a few KiB smaller than the default; a dozen routes need nothing faster.
import { Hono } from "hono/tiny";
import { accessLog, type AccessLogVariables } from "./middleware/access-log";
import { readConfig } from "./middleware/config";
import { corsFor } from "./middleware/cors";
import { handleError, notFound } from "./middleware/error-handler";
import { requestIds } from "./middleware/request-id";
import { securityHeaders } from "./middleware/security-headers";
import { platform } from "./routes/platform";
import { root } from "./routes/root";

// The app's route list, which CORS derives its methods and headers from once every route is in it.
const base = new Hono<{ Bindings: Env; Variables: AccessLogVariables }>();
const app = base
  .use(requestIds, accessLog, readConfig, corsFor(base.routes))
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
export default app;
