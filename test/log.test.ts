import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { log, maskEmail } from "../src/log";
import { Email } from "../src/schemas/requests";
import { authenticationResult } from "./fixtures/cognito";
import { api, apiWith, jsonInit, postJson, scenario, STRONG_PASSWORD, uniqueEmail } from "./support/worker";

/** What log() writes for a line whose one field holds `text`: the field as it reaches the log. */
function logged(text: string): string {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    log("info", "test", { field: text });
  } finally {
    spy.mockRestore();
  }
  return (JSON.parse(lines[0]!) as { field: string }).field;
}

describe("redaction", () => {
  it("masks emails to their first letter and domain", () => {
    expect(maskEmail("ann.smith@example.com")).toBe("a***@example.com");
    expect(maskEmail("john.smith'x@corp-example.com")).toBe("j***@corp-example.com");
  });

  it("masks every email the request schemas accept, wherever it appears in a line", () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.string({ maxLength: 20 }), (candidate, around) => {
        const parsed = Email.safeParse(candidate);
        fc.pre(parsed.success);
        const email = parsed.data!;
        const local = email.slice(0, email.indexOf("@"));
        const masked = logged(`${around} ${email}, ${around}`);
        expect(masked).not.toContain(email);
        if (local.length > 1) expect(masked).not.toContain(`${local}@`);
      }),
      { numRuns: 300 },
    );
  });

  it("hides JWTs and long secrets", () => {
    expect(logged("token eyJhbGciOi.eyJzdWIiOiJ4In0.c2ln end")).toBe("token [token] end");
    expect(logged(`key ${"A1b2".repeat(10)}`)).toBe("key [redacted]");
  });
});

describe("request logs", () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it("never contain a password, token, secret or full email over a whole session", async () => {
    const email = uniqueEmail("private");
    const secrets: string[] = [STRONG_PASSWORD, "Wr0ng-Secret-Pass!", email];

    const signUp = await postJson("/platform/signup", { email, password: STRONG_PASSWORD });
    const tokens = (await signUp.json()) as { access_token: string; id_token: string; refresh_token: string };
    secrets.push(tokens.access_token, tokens.id_token, tokens.refresh_token);
    await postJson("/platform/login", { email, password: STRONG_PASSWORD });
    await postJson("/platform/login", { email, password: "Wr0ng-Secret-Pass!" });
    await api("/platform/me", { headers: { authorization: `Bearer ${tokens.access_token}` } });
    await postJson("/platform/refresh", { refresh_token: tokens.refresh_token });
    await postJson("/platform/password/forgot", { email });
    await postJson("/platform/password/reset", { email, code: "000000", password: "N3w-Secret-Pass!" });
    secrets.push("N3w-Secret-Pass!");

    // A client with a secret: neither it nor the SECRET_HASH may be logged.
    const upstream = await scenario({ InitiateAuth: [authenticationResult()] });
    const clientSecret = "client-secret-value-that-must-stay-hidden";
    await apiWith({ ...upstream.vars, COGNITO_USER_CLIENT_SECRET: clientSecret }, "/platform/login", jsonInit({ email, password: STRONG_PASSWORD }));
    const [call] = await upstream.calls();
    secrets.push(clientSecret, (call!.body as { AuthParameters: { SECRET_HASH: string } }).AuthParameters.SECRET_HASH);

    const requestLines = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.message === "request");
    expect(requestLines).toHaveLength(8);
    expect(requestLines.every((entry) => typeof entry.request_id === "string" && typeof entry.status === "number")).toBe(true);
    expect(requestLines.some((entry) => entry.user === maskEmail(email))).toBe(true);
    const all = lines.join("\n");
    for (const secret of secrets) expect(all).not.toContain(secret);
  });

  it("writes a client's X-Request-Id as it came, however long, as the correlation id beside the server's request id", async () => {
    const id = `trace-${"a1B2".repeat(12)}`;
    const res = await api("/", { headers: { "x-request-id": id } });
    const line = JSON.parse(lines[0]!) as { request_id: string; correlation_id: string };
    expect(line).toMatchObject({ correlation_id: id, request_id: res.headers.get("x-request-id") });
    expect(line.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("masks an email with an apostrophe that the API accepts", async () => {
    await postJson("/platform/login", { email: "john.smith'x@corp-example.com", password: "Wr0ng-Secret-Pass!" });
    const all = lines.join("\n");
    expect(all).not.toContain("john.smith'x");
    expect((JSON.parse(lines[0]!) as { user: string }).user).toBe("j***@corp-example.com");
  });

  it("says why a request failed in the same single line", async () => {
    await postJson("/platform/login", { email: uniqueEmail(), password: "Wr0ng-Secret-Pass!" });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as { route: string; status: number; error: { code: string; type: string }; upstream: unknown[] };
    expect(entry).toMatchObject({ route: "/platform/login", status: 401, error: { code: "invalid_credentials" } });
    expect(entry.error.type).toMatch(/Exception$/);
    expect(entry.upstream).toHaveLength(1);
  });
});
