// What every /platform route shares: body parsing and validation, the method check, the configuration.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, apiWith, jsonInit, postJson, problemOf, STRONG_PASSWORD, uniqueEmail, withoutRequestId } from "../support/worker";

const emulator = env as unknown as Record<string, string>;

describe("request validation", () => {
  for (const path of ["/platform/signup", "/platform/login"]) {
    it(`${path}: lists every invalid field in a 400 problem`, async () => {
      const res = await postJson(path, { email: "not-an-email", password: "x".repeat(257) });
      expect(res.status).toBe(400);
      const problem = await problemOf(res);
      expect(problem.code).toBe("validation_failed");
      expect(problem.errors).toEqual([
        { field: "email", message: "email must be a valid email address" },
        { field: "password", message: "password must be at most 256 characters" },
      ]);
    });

    it(`${path}: names missing fields`, async () => {
      const problem = await problemOf(await postJson(path, {}));
      expect((problem.errors as { field: string }[]).map((error) => error.field)).toEqual(["email", "password"]);
    });

    it(`${path}: rejects a body that is not an object`, async () => {
      for (const body of [[], "text", 42, null]) {
        const res = await postJson(path, body);
        expect(res.status).toBe(400);
        expect((await problemOf(res)).code).toBe("validation_failed");
      }
    });

    it(`${path}: answers malformed JSON with 400`, async () => {
      const res = await api(path, { method: "POST", headers: { "content-type": "application/json" }, body: '{"email": ' });
      expect(res.status).toBe(400);
      expect((await problemOf(res)).code).toBe("malformed_json");
    });

    it(`${path}: answers a non-JSON content type with 415`, async () => {
      const res = await api(path, { method: "POST", headers: { "content-type": "text/plain" }, body: "email=a@b.co" });
      expect(res.status).toBe(415);
      expect((await problemOf(res)).code).toBe("unsupported_media_type");
    });

    it(`${path}: answers a 1 MiB body with 413 without reading it whole`, async () => {
      const res = await api(path, jsonInit({ email: "a@example.com", password: "p".repeat(1024 * 1024) }));
      expect(res.status).toBe(413);
      expect((await problemOf(res)).code).toBe("payload_too_large");
    });
  }

  it("answers a wrong method with 405 and the allowed ones", async () => {
    const res = await api("/platform/login");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await problemOf(res)).code).toBe("method_not_allowed");
  });
});

describe("configuration", () => {
  it("answers 503 naming the missing variables but never a value", async () => {
    const res = await apiWith({ USER_POOL_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, "/platform/login", jsonInit({ email: "a@example.com", password: STRONG_PASSWORD }));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(withoutRequestId(await problemOf(res))).toEqual({
      type: "/problems/not-configured",
      title: "Service not configured",
      status: 503,
      detail: "The service is not configured: set AWS_SECRET_ACCESS_KEY, USER_POOL_ID.",
      code: "not_configured",
    });
    expect(await (await apiWith({ USER_POOL_ID: undefined }, "/platform/login", jsonInit({}))).text()).not.toContain(emulator.COGNITO_USER_CLIENT_ID!);
  });

  it("needs the IAM key even when sign-ups are confirmed by code: resuming a sign-up and ending sessions use admin calls", async () => {
    const res = await apiWith({ AUTO_CONFIRM: "false", AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, "/platform/confirm", jsonInit({ email: uniqueEmail(), code: "123456" }));
    expect(res.status).toBe(503);
    expect((await problemOf(res)).detail).toBe("The service is not configured: set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.");
  });

  it("answers 503 for a malformed value, naming only the variable", async () => {
    const res = await apiWith({ COGNITO_REGION_NAME: "not a region" }, "/platform/login", jsonInit({ email: "a@example.com", password: STRONG_PASSWORD }));
    expect(res.status).toBe(503);
    const problem = await problemOf(res);
    expect(problem.detail).toContain("COGNITO_REGION_NAME");
    expect(problem.detail).not.toContain("not a region");
  });
});
