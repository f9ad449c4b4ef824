import { describe, expect, it } from "vitest";
import { api, apiWith, problemOf } from "../support/worker";

describe("GET /", () => {
  it("answers that the server is running", async () => {
    const res = await api("/");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Server is running" });
  });

  it("still answers when Cognito is not configured", async () => {
    const res = await apiWith({ USER_POOL_ID: undefined, COGNITO_USER_CLIENT_ID: undefined }, "/");
    expect(res.status).toBe(200);
  });

  it("answers unknown routes with a 404 problem", async () => {
    const res = await api("/nope");
    expect(res.status).toBe(404);
    expect(await problemOf(res)).toMatchObject({ status: 404, code: "not_found", type: "/problems/not-found" });
  });

  it("sets a request id and security headers on every response", async () => {
    const res = await api("/");
    expect(res.headers.get("x-request-id")).toMatch(/^[\w-]+$/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("strict-transport-security")).toContain("max-age=");
  });
});
