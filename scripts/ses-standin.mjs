// A local development stand-in for Amazon SES: `npm run dev` starts it when .dev.vars sets no
// SES_FROM_ADDRESS, and points the API at it. It is not SES. It takes SESv2's SendEmail with a
// plain-text body and prints each message on the console instead of sending it, as cognito-local
// prints codes; it checks no signature, verifies no sender and has no sandbox.
// Alone: `node scripts/ses-standin.mjs [port]`.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HOST = "127.0.0.1";
const SEND_EMAIL_PATH = "/v2/email/outbound-emails";

/** The sender `npm run dev` gives the API with the stand-in. */
export const LOCAL_FROM_ADDRESS = "security-notices@example.com";

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** An SESv2 error answer: the type in x-amzn-ErrorType, the message in the body. */
function refuse(res, status, type, message) {
  res.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": type }).end(JSON.stringify({ message }));
}

/** The recipient, subject and text of a SendEmail body, or undefined when it is not one with a plain-text body. */
function simpleEmail(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const to = body?.Destination?.ToAddresses;
  const subject = body?.Content?.Simple?.Subject?.Data;
  const plain = body?.Content?.Simple?.Body?.Text?.Data;
  const valid = typeof body?.FromEmailAddress === "string" && Array.isArray(to) && to.length > 0 && to.every((address) => typeof address === "string");
  return valid && typeof subject === "string" && typeof plain === "string" ? { to, subject, text: plain } : undefined;
}

/**
 * Listens on `port` (0: a free one) on 127.0.0.1. `log` gets the start line and one line per message:
 * `[ses-standin] notice to <address>: <subject> — <first line>`.
 */
export async function startSesStandin({ port = 0, log = console.log } = {}) {
  const server = createServer((req, res) => {
    readBody(req).then((text) => {
      if (req.method !== "POST" || new URL(req.url ?? "/", "http://standin").pathname !== SEND_EMAIL_PATH) {
        return refuse(res, 404, "NotFoundException", "The stand-in has SendEmail only: POST /v2/email/outbound-emails.");
      }
      const email = simpleEmail(text);
      if (!email) return refuse(res, 400, "BadRequestException", "Expected FromEmailAddress, Destination.ToAddresses and Content.Simple with a Subject and a Text body.");
      // The whole address: this console is the developer's own, the stand-in for the inbox.
      log(`[ses-standin] notice to ${email.to.join(", ")}: ${email.subject} — ${email.text.split("\n")[0]}`);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ MessageId: `standin-${randomUUID()}` }));
    }, () => res.destroy());
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, HOST, resolve));
  const url = `http://${HOST}:${server.address().port}`;
  log(`[ses-standin] development stand-in for Amazon SES on ${url}: prints each email here instead of sending it (not SES: no signature check, no sender verification, no sandbox)`);
  return { url, stop: () => new Promise((resolve) => server.close(resolve)) };
}

/** The Worker variables that send the notices to the stand-in. */
export function sesStandinVars(url) {
  return { SES_ENDPOINT: url, SES_FROM_ADDRESS: LOCAL_FROM_ADDRESS };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const standin = await startSesStandin({ port: Number(process.argv[2] ?? 0) });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => standin.stop().then(() => process.exit(0)));
}
