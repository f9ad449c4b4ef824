// HTTP hygiene: CORS allow-list, request ids, security headers.
import { describe, expect, it } from "vitest";
import headersFile from "../../site/_headers?raw";
import { app } from "../../src/index";
import { api, apiWith, jsonInit, problemOf } from "../support/worker";

describe("CORS", () => {
  const vars = { CORS_ORIGINS: "https://app.example.com, https://admin.example.com" };

  it("allows only the configured origins, never with credentials", async () => {
    const allowed = await apiWith(vars, "/", { headers: { origin: "https://app.example.com" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-credentials")).toBeNull();
    const other = await apiWith(vars, "/", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a preflight from an allowed origin", async () => {
    const res = await apiWith(vars, "/platform/login", {
      method: "OPTIONS",
      headers: { origin: "https://admin.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
  });

  it("allows in a preflight every method of the app's routes and every header they read, from every route", async () => {
    const routes = app.routes.filter((route) => route.method !== "ALL");
    expect(new Set(routes.map((route) => route.method))).toEqual(new Set(["GET", "POST", "PATCH", "DELETE"]));
    const requested = ["authorization", "content-type", "idempotency-key", "last-event-id", "x-request-id"];
    for (const route of routes) {
      const path = route.path.replace(/:\w+/g, "x").replace(/\*/g, "x");
      const res = await apiWith(vars, path, {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": route.method, "access-control-request-headers": requested.join(", ") },
      });
      expect(res.status, `${route.method} ${route.path}`).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(res.headers.get("access-control-allow-methods")?.split(","), `${route.method} ${route.path}`).toContain(route.method);
      expect(res.headers.get("access-control-allow-headers")?.split(",").sort()).toEqual(requested);
      expect(res.headers.get("access-control-max-age")).toBe("600");
    }
  });

  it("refuses a preflight from another origin: no Allow-Origin, so the browser sends nothing", async () => {
    const res = await apiWith(vars, "/platform/accounts/me", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "PATCH", "access-control-request-headers": "authorization, content-type" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets a page read Retry-After, X-Request-Id, Idempotency-Replayed and WWW-Authenticate", async () => {
    const res = await apiWith(vars, "/platform/me", { headers: { origin: "https://app.example.com" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-expose-headers")?.split(",").sort()).toEqual(["idempotency-replayed", "retry-after", "www-authenticate", "x-request-id"]);
  });

  it("sends no CORS headers when no origin is configured", async () => {
    const res = await api("/", { headers: { origin: "https://app.example.com" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("request ids", () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it("makes its own id for every request, whatever X-Request-Id the client sends: the one answered and in problem bodies", async () => {
    const res = await api("/platform/login", jsonInit({}, { headers: { "x-request-id": "trace-abc-123" } }));
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(UUID);
    expect((await problemOf(res)).request_id).toBe(id);
    const again = await api("/platform/login", jsonInit({}, { headers: { "x-request-id": "trace-abc-123" } }));
    expect(again.headers.get("x-request-id")).toMatch(UUID);
    expect(again.headers.get("x-request-id")).not.toBe(id);
  });

  it("answers a UUID for a malformed X-Request-Id too", async () => {
    const res = await api("/", { headers: { "x-request-id": 'bad id"\u0007' } });
    expect(res.headers.get("x-request-id")).toMatch(UUID);
  });

  it("never takes a cf-ray header for the id: a client can send one where Cloudflare does not set it", async () => {
    const res = await api("/", { headers: { "cf-ray": "8c2b7a3e5f6d1234-LHR" } });
    expect(res.headers.get("x-request-id")).toMatch(UUID);
  });
});

describe("security headers", () => {
  it("marks token responses no-store and forbids framing and sniffing", async () => {
    const res = await api("/platform/login", jsonInit({}));
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
  });

  it("are the static assets' own (site/_headers), but for the pages' Content-Security-Policy", async () => {
    const assets = Object.fromEntries(
      [...headersFile.matchAll(/^ {2}([\w-]+): (.+)$/gm)].map(([, name, value]) => [name!.toLowerCase(), value]).filter(([name]) => name !== "content-security-policy"),
    );
    const res = await api("/");
    const worker = Object.fromEntries(Object.keys(assets).map((name) => [name, res.headers.get(name)]));
    expect(worker).toEqual(assets);
  });
});

describe("request bodies", () => {
  const stream = (chunks: string[], fail = false) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        if (fail) controller.error(new Error("the client went away"));
        else controller.close();
      },
    });
  const post = (body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) =>
    api("/platform/login", { method: "POST", headers, body, duplex: "half" } as RequestInit);

  it("reads an empty body without a Content-Length (chunked) as one of Content-Length 0: without a JSON type, no body (400 naming the fields, not 415)", async () => {
    for (const headers of [{ "content-type": "application/json" }, {}] as Record<string, string>[]) {
      const withLength = await problemOf(await post("", headers));
      const chunked = await problemOf(await post(stream([]), headers));
      expect([chunked.status, chunked.code, chunked.errors]).toEqual([withLength.status, withLength.code, withLength.errors]);
    }
    const untyped = await problemOf(await post(stream([]), {}));
    expect([untyped.status, untyped.code, (untyped.errors as { field: string }[]).map((error) => error.field)]).toEqual([400, "validation_failed", ["email", "password"]]);
  });

  it("answers a body the client broke off 400 malformed_json, not a 500", async () => {
    const problem = await problemOf(await post(stream(['{"email":'], true)));
    expect([problem.status, problem.code]).toEqual([400, "malformed_json"]);
  });
});
