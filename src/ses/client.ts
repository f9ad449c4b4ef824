import { AwsClient } from "aws4fetch";
import type { Config, SesConfig } from "../config";
import { Failure } from "../failures";
import { keptFor } from "../isolate";
import { isJsonObject, parseJson } from "../json";
import { awsErrorType, exchange, unusableAnswer, type RequestScope, type Upstream } from "../upstream";

/** Amazon SES, as failures name it. */
const MAIL_SERVICE = "The mail service";

/** A plain-text email to one recipient, from the configured sender. */
export interface PlainEmail {
  to: string;
  subject: string;
  text: string;
}

interface SesClientOptions extends SesConfig {
  timeoutMs: number;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** SESv2's SendEmail: POST {endpoint}/v2/email/outbound-emails, SigV4-signed for the service `ses`. */
class SesClient {
  readonly #url: string;
  readonly #from: string;
  readonly #upstream: Upstream;
  readonly #signer: AwsClient;

  constructor(options: SesClientOptions) {
    this.#url = `${options.endpoint}/v2/email/outbound-emails`;
    this.#from = options.fromAddress;
    this.#upstream = { name: MAIL_SERVICE, timeoutMs: options.timeoutMs };
    // Never repeated (neither here nor by aws4fetch): a retry after a lost answer would send the mail twice.
    this.#signer = new AwsClient({ ...options.credentials, service: "ses", region: options.region, retries: 0 });
  }

  /** Resolves once SES has accepted the message; any other outcome is a Failure (upstream_*). */
  async sendEmail(scope: RequestScope, email: PlainEmail): Promise<void> {
    const request = await this.#signer.sign(this.#url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        FromEmailAddress: this.#from,
        Destination: { ToAddresses: [email.to] },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: "UTF-8" },
            Body: { Text: { Data: email.text, Charset: "UTF-8" } },
          },
        },
      }),
    });
    const { response, text, logCall } = await exchange(scope, this.#upstream, "SendEmail", request);
    const body = parseJson(text);
    if (!response.ok) {
      // MessageRejected, an unverified sender or a sandbox recipient, throttling: the type is in the log's call.
      const type = awsErrorType(response, body);
      logCall(type ?? "unknown");
      throw new Failure("upstream_error", { detail: `${MAIL_SERVICE} refused the message.`, cause: new Error(`SendEmail answered HTTP ${response.status} ${type ?? "without an error type"}`) });
    }
    logCall();
    if (!isJsonObject(body) || typeof body.MessageId !== "string") throw unusableAnswer(MAIL_SERVICE, `SendEmail answered HTTP ${response.status} without a MessageId`);
  }
}

/** SES as one request sees it: its calls share the request's time budget, call log and clearance. */
export interface Ses {
  sendEmail(email: PlainEmail): Promise<void>;
}

/** One per isolate (keptFor), so the signer is made once; none without SES_FROM_ADDRESS. */
function sesClientOf(config: Config): SesClient | undefined {
  if (!config.ses) return undefined;
  return new SesClient({ ...config.ses, timeoutMs: config.sesTimeoutMs, credentials: config.awsCredentials });
}

/** SES bound to one request, or undefined when it is not configured. */
export function openSes(config: Config, scope: RequestScope): Ses | undefined {
  const client = keptFor(config, sesClientOf);
  return client && { sendEmail: (email) => client.sendEmail(scope, email) };
}
