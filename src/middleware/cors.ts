import type { Context } from "hono";
import { cors } from "hono/cors";
import type { ConfigVariables } from "./config";

/**
 * CORS for the origins in CORS_ORIGINS only: no wildcard, no credentials (clients send bearer
 * tokens, not cookies). Other origins, or none configured, get no Access-Control-Allow-Origin.
 */
export const corsFromConfig = cors({
  origin: (origin, c: Context<{ Variables: ConfigVariables }>) => {
    const result = c.get("configResult");
    return result.ok && result.config.corsOrigins.includes(origin) ? origin : null;
  },
  allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
  allowHeaders: ["authorization", "content-type", "x-request-id"],
  exposeHeaders: ["retry-after", "x-request-id", "www-authenticate"],
  maxAge: 600,
  credentials: false,
});
