// The minimal forwarding Worker: the floor the API is compared with over HTTP. It turns the API's
// request bodies into the same Cognito calls and passes the answer back, with nothing else: no
// validation, no rate limits, no logging, no error mapping. Run by scripts/bench.mjs with
// `wrangler dev -c bench/forwarder.toml`.
import { AwsClient } from "aws4fetch";

interface ForwarderEnv {
  COGNITO_ENDPOINT: string;
  COGNITO_REGION_NAME: string;
  USER_POOL_ID: string;
  COGNITO_USER_CLIENT_ID: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
}

let signer: AwsClient | undefined;

function cognito(env: ForwarderEnv, action: string, input: object, signed = false): Promise<Response> {
  const init = {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(input),
  };
  if (!signed) return fetch(env.COGNITO_ENDPOINT, init);
  signer ??= new AwsClient({
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    service: "cognito-idp",
    region: env.COGNITO_REGION_NAME,
    retries: 0,
  });
  return signer.fetch(env.COGNITO_ENDPOINT, init);
}

function logIn(env: ForwarderEnv, email: string, password: string): Promise<Response> {
  return cognito(env, "InitiateAuth", { AuthFlow: "USER_PASSWORD_AUTH", ClientId: env.COGNITO_USER_CLIENT_ID, AuthParameters: { USERNAME: email, PASSWORD: password } });
}

export default {
  async fetch(request: Request, env: ForwarderEnv): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    // ?log: one JSON line per request, as the API writes, to show what logging costs under wrangler dev.
    if (url.searchParams.has("log")) console.log(JSON.stringify({ level: "info", message: "request", method: request.method, route: path, request_id: crypto.randomUUID() }));
    if (request.method === "GET" && path === "/") return Response.json({ message: "Server is running" });
    if (request.method !== "POST") return new Response(null, { status: 404 });
    const { email, password } = (await request.json()) as { email: string; password: string };
    if (path === "/platform/login") return logIn(env, email, password);
    if (path === "/platform/signup") {
      await (await cognito(env, "SignUp", { ClientId: env.COGNITO_USER_CLIENT_ID, Username: email, Password: password })).arrayBuffer();
      // Real Cognito wants AdminConfirmSignUp SigV4-signed; the emulator ignores the signature.
      await (await cognito(env, "AdminConfirmSignUp", { UserPoolId: env.USER_POOL_ID, Username: email }, true)).arrayBuffer();
      const tokens = await logIn(env, email, password);
      return new Response(tokens.body, { status: tokens.ok ? 201 : tokens.status, headers: tokens.headers });
    }
    return new Response(null, { status: 404 });
  },
};
