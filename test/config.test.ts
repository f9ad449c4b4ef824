// src/config.ts as a user meets it: a .dev.vars copied from .dev.vars.example and never edited.
/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import devVarsExample from "../.dev.vars.example?raw";
import { apiWith, jsonInit, problemOf, STRONG_PASSWORD } from "./support/worker";

/** The KEY=value lines that are not commented out, as wrangler reads them. */
function exampleValues(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const match of devVarsExample.matchAll(/^([A-Z_][A-Z0-9_]*)=(.*)$/gm)) values[match[1]!] = match[2]!.trim();
  return values;
}

const login = (overrides: Record<string, string | undefined>) =>
  apiWith(overrides, "/platform/login", jsonInit({ email: "a@example.com", password: STRONG_PASSWORD }));

describe("placeholder settings", () => {
  it("answers 503 naming every variable .dev.vars.example leaves as a placeholder", async () => {
    const res = await login(exampleValues());
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(await problemOf(res)).toEqual({
      type: "/problems/not-configured",
      title: "Service not configured",
      status: 503,
      code: "not_configured",
      detail:
        "The service is not configured: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, COGNITO_REGION_NAME, COGNITO_USER_CLIENT_ID, USER_POOL_ID still have the example values from .dev.vars.example.",
      request_id: expect.any(String),
    });
  });

  it("names the one placeholder left among real settings", async () => {
    const res = await login({ USER_POOL_ID: exampleValues().USER_POOL_ID });
    expect((await problemOf(res)).detail).toBe("The service is not configured: USER_POOL_ID still has the example value from .dev.vars.example.");
  });

  it("tells a placeholder apart from a missing variable", async () => {
    const res = await login({ COGNITO_USER_CLIENT_ID: exampleValues().COGNITO_USER_CLIENT_ID, AWS_SECRET_ACCESS_KEY: undefined });
    expect((await problemOf(res)).detail).toBe(
      "The service is not configured: set AWS_SECRET_ACCESS_KEY; COGNITO_USER_CLIENT_ID still has the example value from .dev.vars.example.",
    );
  });
});

describe("SES settings", () => {
  it("names an SES_FROM_ADDRESS that is not an email, and a malformed SES_REGION, never their values", async () => {
    const res = await login({ SES_FROM_ADDRESS: "security-at-example.com", SES_REGION: "Europe" });
    expect((await problemOf(res)).detail).toBe("The service is not configured: set SES_FROM_ADDRESS, SES_REGION.");
  });
});
