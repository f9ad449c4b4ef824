import { Hono } from "hono/tiny";
import type { AppEnv } from "../types";

/** Liveness: answers even when the Cognito configuration is missing. */
export const root = new Hono<AppEnv>().get("/", (c) => c.json({ message: "Server is running" }));
