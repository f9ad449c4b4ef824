// The local SES stand-in (scripts/ses-standin.mjs), over HTTP, as `npm run dev` uses it.
import { afterEach, describe, expect, it } from "vitest";
import { LOCAL_FROM_ADDRESS, sesStandinVars, startSesStandin, type SesStandin } from "../../scripts/ses-standin.mjs";

const running: SesStandin[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((standin) => standin.stop()));
});

async function start() {
  const lines: string[] = [];
  const standin = await startSesStandin({ log: (line) => lines.push(line) });
  running.push(standin);
  const send = (body: unknown, path = "/v2/email/outbound-emails") =>
    fetch(`${standin.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { standin, lines, send };
}

const sendEmail = {
  FromEmailAddress: LOCAL_FROM_ADDRESS,
  Destination: { ToAddresses: ["ann@example.com"] },
  Content: {
    Simple: {
      Subject: { Data: "Your password was changed", Charset: "UTF-8" },
      Body: { Text: { Data: "The password of your account was changed.\n\nWhen: 2026-12-01T09:47:58Z (UTC)\n", Charset: "UTF-8" } },
    },
  },
};

describe("the SES stand-in", () => {
  it("says on start that it is a development stand-in, on 127.0.0.1", async () => {
    const { standin, lines } = await start();
    expect(standin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines).toEqual([
      `[ses-standin] development stand-in for Amazon SES on ${standin.url}: prints each email here instead of sending it (not SES: no signature check, no sender verification, no sandbox)`,
    ]);
  });

  it("takes SendEmail, answers with a MessageId, and prints the recipient, the subject and the first line", async () => {
    const { lines, send } = await start();
    const res = await send(sendEmail);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ MessageId: expect.stringMatching(/^standin-[0-9a-f-]{36}$/) });
    expect(lines.slice(1)).toEqual(["[ses-standin] notice to ann@example.com: Your password was changed — The password of your account was changed."]);
  });

  it("refuses what is not a plain-text SendEmail as SES would, with an error type, and prints nothing", async () => {
    const { lines, send } = await start();
    const bad = await send({ ...sendEmail, Destination: { ToAddresses: [] } });
    expect([bad.status, bad.headers.get("x-amzn-errortype"), typeof ((await bad.json()) as { message: unknown }).message]).toEqual([400, "BadRequestException", "string"]);
    const elsewhere = await send(sendEmail, "/v2/email/identities");
    expect([elsewhere.status, elsewhere.headers.get("x-amzn-errortype")]).toEqual([404, "NotFoundException"]);
    expect(lines).toHaveLength(1);
  });

  it("gives the Worker the variables that point its notices at it", async () => {
    const { standin } = await start();
    expect(sesStandinVars(standin.url)).toEqual({ SES_ENDPOINT: standin.url, SES_FROM_ADDRESS: LOCAL_FROM_ADDRESS });
  });
});
