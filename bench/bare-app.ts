// The yardstick for app CPU: a bare Hono app (same hono/tiny router) that makes the same Cognito
// calls as the API for each route, with no middleware, no validation beyond parsing, no logging.
// Whatever the API spends above this is its own overhead.
import { AwsClient } from "aws4fetch";
import { Hono } from "hono/tiny";
import { jwtVerify } from "jose";

export interface BareSettings {
  endpoint: string;
  region: string;
  userPoolId: string;
  clientId: string;
  issuer: string;
  /** The pool's public key, imported once. */
  publicKey: CryptoKey;
  accessKeyId: string;
  secretAccessKey: string;
}

async function cognito(endpoint: string, action: string, input: object, signer?: AwsClient): Promise<Record<string, unknown>> {
  const init: RequestInit = {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(input),
  };
  const response = signer ? await signer.fetch(endpoint, init) : await fetch(endpoint, init);
  return (await response.json()) as Record<string, unknown>;
}

export function bareApp(settings: BareSettings): Hono {
  // AdminConfirmSignUp must be SigV4-signed against real Cognito, so the bare app signs it too.
  const signer = new AwsClient({
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    service: "cognito-idp",
    region: settings.region,
    retries: 0,
  });
  const logIn = (email: string, password: string) =>
    cognito(settings.endpoint, "InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: settings.clientId,
      AuthParameters: { USERNAME: email, PASSWORD: password },
    });

  return new Hono()
    .get("/", (c) => c.json({ message: "Server is running" }))
    .post("/platform/login", async (c) => {
      const { email, password } = await c.req.json<{ email: string; password: string }>();
      return c.json((await logIn(email, password)).AuthenticationResult as object);
    })
    .post("/platform/signup", async (c) => {
      const { email, password } = await c.req.json<{ email: string; password: string }>();
      await cognito(settings.endpoint, "SignUp", { ClientId: settings.clientId, Username: email, Password: password });
      await cognito(settings.endpoint, "AdminConfirmSignUp", { UserPoolId: settings.userPoolId, Username: email }, signer);
      return c.json((await logIn(email, password)).AuthenticationResult as object, 201);
    })
    .get("/platform/me", async (c) => {
      // No upstream call, like the API's repeated `me`; the least a correct app does is verify the token.
      const token = c.req.header("authorization")?.slice("Bearer ".length) ?? "";
      const { payload } = await jwtVerify(token, settings.publicKey, { issuer: settings.issuer, algorithms: ["RS256"] });
      return c.json({ sub: payload.sub, username: payload.username });
    });
}
