// Security notices: their text, and that sending one never throws, whatever SES does.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { securityNotice, sendSecurityNotice, type NotifyOwner } from "../../src/services/notices";
import { accepted, FROM_ADDRESS, SEND_EMAIL, sentEmail, sesAt } from "../fixtures/ses";
import type { Reply } from "../support/fake-upstream";
import { timingOut } from "../support/timeouts";
import { scenario } from "../support/worker";

const vars = env as unknown as Record<string, string>;
const origin = { at: new Date("2026-12-01T09:47:58.123Z"), clientAddress: "203.0.113.7" };

describe("securityNotice", () => {
  it("says what changed, when and from where, and what to do if it was not the owner", () => {
    expect(securityNotice("ann@example.com", { kind: "password_changed", signedOut: true }, origin)).toEqual({
      to: "ann@example.com",
      subject: "Your password was changed",
      text: [
        "The password of your account was changed, and every session of the account was signed out.",
        "",
        "When: 2026-12-01T09:47:58Z (UTC)",
        "From the address: 203.0.113.7",
        "",
        "If this was you, there is nothing to do.",
        'If it was not you, reset your password at once with "Forgot password" and this email address, then contact support.',
        "",
      ].join("\n"),
    });
  });

  const changes: Parameters<NotifyOwner>[1][] = [
    { kind: "email_changed", newEmail: "mallory.new@attacker.example" },
    { kind: "password_changed", signedOut: true },
    { kind: "contact_changed" },
    { kind: "totp_enabled" },
    { kind: "totp_disabled" },
    { kind: "account_deleted" },
  ];
  it.each(changes)("for $kind: the time and the address as given, and no link", (change) => {
    const notice = securityNotice("ann@example.com", change, { at: origin.at, clientAddress: "2001:db8::1" });
    expect(notice.text).toContain("When: 2026-12-01T09:47:58Z (UTC)\nFrom the address: 2001:db8::1\n");
    expect(notice.text).not.toMatch(/https?:|www\.|\.com\//i);
  });

  it("says that a password change did not sign the other sessions out when the sign-out failed (issue 21)", () => {
    const { subject, text } = securityNotice("ann@example.com", { kind: "password_changed", signedOut: false }, origin);
    expect(subject).toBe("Your password was changed");
    expect(text).toContain("The password of your account was changed, but signing out its other sessions failed: a device that was signed in may still be.");
    expect(text).not.toContain("every session of the account was signed out");
  });

  it("tells of a contact change without the new address or phone", () => {
    const { subject, text } = securityNotice("ann@example.com", { kind: "contact_changed" }, origin);
    expect(subject).toBe("Your brokerage account's address or phone was changed");
    expect(text).toContain("The postal address or phone number of record of your brokerage account was changed");
  });

  it("gives each change a subject of its own", () => {
    const subjects = changes.map((change) => securityNotice("ann@example.com", change, origin).subject);
    expect(new Set(subjects).size).toBe(changes.length);
  });

  it("masks the new address of an email change", () => {
    const { subject, text } = securityNotice("ann@example.com", { kind: "email_changed", newEmail: "mallory.new@attacker.example" }, origin);
    expect(subject).toBe("Your account's email address is being changed");
    expect(text).toContain("to m***@attacker.example was asked for.");
    expect(text).not.toContain("mallory.new");
  });

  it("says so when the client address is unknown", () => {
    expect(securityNotice("ann@example.com", { kind: "totp_enabled" }, { at: origin.at, clientAddress: undefined }).text).toContain("From the address: unknown\n");
  });
});

describe("sendSecurityNotice", () => {
  const notice = securityNotice("ann@example.com", { kind: "totp_disabled" }, origin);

  it("sends the notice to its address from SES_FROM_ADDRESS: sent", async () => {
    const upstream = await scenario({ [SEND_EMAIL]: [accepted()] });
    await expect(sendSecurityNotice(sesAt(upstream.base).ses, notice)).resolves.toBe("sent");
    const calls = await upstream.calls();
    expect(calls.map((call) => sentEmail(call.body))).toEqual([{ from: FROM_ADDRESS, to: ["ann@example.com"], subject: notice.subject, text: notice.text }]);
  });

  it("without SES configured: not_configured", async () => {
    await expect(sendSecurityNotice(undefined, notice)).resolves.toBe("not_configured");
  });

  const faults: [string, Reply][] = [
    ["a 500", { status: 500, body: "<html>Internal Server Error</html>" }],
    ["a refusal", { status: 400, headers: { "x-amzn-errortype": "MessageRejected" }, body: { message: "Email address is not verified." } }],
    ["throttling", { status: 429, headers: { "x-amzn-errortype": "TooManyRequestsException" }, body: { message: "Too Many Requests" } }],
    ["no answer in time", { hang: true }],
    ["a dropped connection", { destroy: true }],
  ];
  it.each(faults)("resolves failed, without throwing, on %s, after one try", async (_name, reply) => {
    const upstream = await scenario({ [SEND_EMAIL]: [reply] });
    const { ses, scope } = sesAt(upstream.base);
    await expect(timingOut(() => sendSecurityNotice(ses, notice))).resolves.toBe("failed");
    expect(scope.calls.map((call) => call.action)).toEqual(["SendEmail"]);
  });

  it("resolves failed when SES cannot be reached", async () => {
    await expect(sendSecurityNotice(sesAt(`http://127.0.0.1:${vars.UNUSED_PORT}`).ses, notice)).resolves.toBe("failed");
  });
});
