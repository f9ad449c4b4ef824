// Cognito inside the bench isolate: globalThis.fetch answers the JSON API and the JWKS with canned,
// Cognito-shaped bodies, so that a request's time is the app's own CPU and no network. It counts
// every call, which gives the round trips per request.

export interface FakeCognitoData {
  /** What InitiateAuth returns: a valid access token (signed by the bench key) and the rest. */
  accessToken: string;
  idToken: string;
  userSub: string;
  email: string;
  jwks: object;
}

export type CallCounts = Record<string, number>;

const JSON_HEADERS = { "content-type": "application/x-amz-json-1.1" };

function cannedBody(action: string, data: FakeCognitoData): object | undefined {
  switch (action) {
    case "InitiateAuth":
      return {
        AuthenticationResult: {
          AccessToken: data.accessToken,
          IdToken: data.idToken,
          RefreshToken: "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.bench-opaque-refresh-token",
          ExpiresIn: 3600,
          TokenType: "Bearer",
        },
        ChallengeParameters: {},
      };
    case "SignUp":
      return {
        UserConfirmed: false,
        UserSub: data.userSub,
        CodeDeliveryDetails: { AttributeName: "email", DeliveryMedium: "EMAIL", Destination: "b***@e***" },
      };
    case "AdminConfirmSignUp":
      return {};
    case "AdminGetUser":
    case "GetUser":
      return {
        Username: data.userSub,
        UserAttributes: [
          { Name: "sub", Value: data.userSub },
          { Name: "email", Value: data.email },
          { Name: "email_verified", Value: "true" },
        ],
      };
    default:
      return undefined;
  }
}

/** Replaces globalThis.fetch for the isolate's lifetime; `counts` grows with every call (action, or "JWKS"). */
export function installFakeCognito(data: FakeCognitoData): { counts: CallCounts } {
  const counts: CallCounts = {};
  const count = (name: string) => (counts[name] = (counts[name] ?? 0) + 1);
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (request.method === "GET" && new URL(request.url).pathname.endsWith("/.well-known/jwks.json")) {
      count("JWKS");
      return Response.json(data.jwks);
    }
    const action = request.headers.get("x-amz-target")?.split(".").pop() ?? "";
    // Read as Cognito would; also keeps the caller's body stream from being left unread.
    await request.text();
    const body = cannedBody(action, data);
    count(body ? action : `unscripted:${action}`);
    if (!body) return new Response(JSON.stringify({ __type: "UnknownOperationException", message: "not in the bench fake" }), { status: 400, headers: JSON_HEADERS });
    return new Response(JSON.stringify(body), { status: 200, headers: JSON_HEADERS });
  };
  return { counts };
}
