import { Hono } from "hono/tiny";

/** Liveness: answers even when the Cognito configuration is missing. */
export const root = new Hono().get("/", (c) => c.json({ message: "Server is running" }));
