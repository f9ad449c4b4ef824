// The SES client against a scripted SESv2: the request it signs and sends, and each way it can fail.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { openSes } from "../../src/ses/client";
import { accepted, FROM_ADDRESS as FROM, SEND_EMAIL, sesAt } from "../fixtures/ses";
import type { Reply } from "../support/fake-upstream";
import { timingOut } from "../support/timeouts";
import { scenario } from "../support/worker";

const vars = env as unknown as Record<string, string>;
const email = { to: "ann@example.com", subject: "Your password was changed", text: "The password of your account was changed.\n" };

describe("SES SendEmail", () => {
  it("posts the plain-text email as SESv2 JSON, SigV4-signed for ses in the pool's region, and logs the call", async () => {
    const upstream = await scenario({ [SEND_EMAIL]: [accepted()] });
    const { ses, scope } = sesAt(upstream.base);
    await ses.sendEmail(email);
    const [call, ...others] = await upstream.calls();
    expect(others).toEqual([]);
    expect(call!.action).toBe(SEND_EMAIL);
    expect(call!.body).toEqual({
      FromEmailAddress: FROM,
      Destination: { ToAddresses: ["ann@example.com"] },
      Content: {
        Simple: {
          Subject: { Data: "Your password was changed", Charset: "UTF-8" },
          Body: { Text: { Data: "The password of your account was changed.\n", Charset: "UTF-8" } },
        },
      },
    });
    expect(call!.headers["content-type"]).toBe("application/json");
    expect(call!.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(call!.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${vars.AWS_ACCESS_KEY_ID}/\\d{8}/us-east-1/ses/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`),
    );
    expect(scope.calls).toEqual([{ action: "SendEmail", status: 200, ms: expect.any(Number) }]);
  });

  it("signs for SES_REGION when it is set", async () => {
    const upstream = await scenario({ [SEND_EMAIL]: [accepted()] });
    await sesAt(upstream.base, { SES_REGION: "eu-west-1" }).ses.sendEmail(email);
    expect((await upstream.calls())[0]!.headers.authorization).toContain("/eu-west-1/ses/aws4_request");
  });

  it("is not there without SES_FROM_ADDRESS", () => {
    const result = loadConfig(vars);
    if (!result.ok) throw new Error("test config invalid");
    expect(result.config.ses).toBeUndefined();
    expect(openSes(result.config, { budgetEndsAt: Date.now() + 1_000, calls: [], clearance: Promise.resolve() })).toBeUndefined();
  });

  it("a refusal is upstream_error with SES's error type in the log, and is not sent again", async () => {
    const upstream = await scenario({
      [SEND_EMAIL]: [{ status: 400, headers: { "x-amzn-errortype": "MessageRejected:http://internal.amazon.com/coral/com.amazonaws.sesv2/" }, body: { message: "Email address is not verified." } }],
    });
    const { ses, scope } = sesAt(upstream.base);
    await expect(ses.sendEmail(email)).rejects.toMatchObject({ name: "Failure", code: "upstream_error", detail: "The mail service refused the message." });
    expect(scope.calls).toEqual([{ action: "SendEmail", status: 400, errorType: "MessageRejected", ms: expect.any(Number) }]);
    expect(await upstream.calls()).toHaveLength(1);
  });

  const faults: [string, Reply, string, string][] = [
    ["a 500", { status: 500, body: "<html>Internal Server Error</html>" }, "upstream_error", "500"],
    ["a 200 without a MessageId", { status: 200, body: {} }, "upstream_error", "200"],
    ["no answer within the timeout", { hang: true }, "upstream_timeout", "timeout"],
    ["a dropped connection", { destroy: true }, "upstream_unavailable", "unreachable"],
  ];
  for (const [name, reply, code, status] of faults) {
    it(`${name} is ${code}, after one call`, async () => {
      const upstream = await scenario({ [SEND_EMAIL]: [reply] });
      const { ses, scope } = sesAt(upstream.base);
      // A hung SES times out as soon as the fake holds the call; the other faults answer within the usual limit.
      await expect(timingOut(() => ses.sendEmail(email))).rejects.toMatchObject({ name: "Failure", code });
      expect(scope.calls.map((call) => String(call.status))).toEqual([status]);
      expect(await upstream.calls()).toHaveLength(1);
    });
  }

  it("a refused connection is upstream_unavailable", async () => {
    const { ses, scope } = sesAt(`http://127.0.0.1:${vars.UNUSED_PORT}`);
    await expect(ses.sendEmail(email)).rejects.toMatchObject({ name: "Failure", code: "upstream_unavailable" });
    expect(scope.calls).toEqual([{ action: "SendEmail", status: "unreachable", ms: expect.any(Number) }]);
  });

  it("defaults to SESv2 in the pool's region", () => {
    const result = loadConfig({ ...vars, SES_FROM_ADDRESS: FROM });
    if (!result.ok) throw new Error("test config invalid");
    expect(result.config.ses).toEqual({ fromAddress: FROM, region: "us-east-1", endpoint: "https://email.us-east-1.amazonaws.com" });
  });
});
