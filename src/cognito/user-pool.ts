import type { Config } from "../config";
import { CognitoClient, type UpstreamContext } from "./client";
import { UpstreamBadResponseError } from "./errors";
import { secretHasher } from "./secret-hash";

/** AuthenticationResult of InitiateAuth; cognito-local leaves out ExpiresIn and TokenType. */
export interface AuthenticationResult {
  AccessToken: string;
  IdToken: string;
  RefreshToken?: string;
  ExpiresIn?: number;
  TokenType?: string;
}

export interface CodeDelivery {
  Destination?: string;
  DeliveryMedium?: string;
  AttributeName?: string;
}

interface InitiateAuthOutput {
  AuthenticationResult?: AuthenticationResult;
  ChallengeName?: string;
}

/** A sign-in that Cognito did not finish because it wants another step (MFA, new password...). */
export class ChallengeRequiredError extends Error {
  override name = "ChallengeRequiredError";
  constructor(readonly challenge: string) {
    super(`Cognito asked for the ${challenge} challenge`);
  }
}

/** The actions of one user pool app client, with SECRET_HASH added where the client has a secret. */
export class UserPool {
  readonly #client: CognitoClient;
  readonly #clientId: string;
  readonly #userPoolId: string;
  readonly #clientSecret?: string;
  readonly #secretHash?: (username: string) => Promise<string>;

  constructor(config: Config) {
    this.#client = new CognitoClient({
      endpoint: config.endpoint,
      region: config.region,
      timeoutMs: config.upstreamTimeoutMs,
      credentials: config.awsCredentials,
    });
    this.#clientId = config.clientId;
    this.#clientSecret = config.clientSecret;
    this.#userPoolId = config.userPoolId;
    if (config.clientSecret) this.#secretHash = secretHasher(config.clientId, config.clientSecret);
  }

  async signUp(ctx: UpstreamContext, email: string, password: string) {
    return this.#client.call<{ UserSub: string; UserConfirmed: boolean; CodeDeliveryDetails?: CodeDelivery }>(
      ctx,
      "SignUp",
      { ClientId: this.#clientId, Username: email, Password: password, ...(await this.#hashParam("SecretHash", email)) },
    );
  }

  async adminConfirmSignUp(ctx: UpstreamContext, username: string): Promise<void> {
    await this.#client.call(ctx, "AdminConfirmSignUp", { UserPoolId: this.#userPoolId, Username: username }, { signed: true, retry: true });
  }

  async confirmSignUp(ctx: UpstreamContext, email: string, code: string): Promise<void> {
    await this.#client.call(
      ctx,
      "ConfirmSignUp",
      { ClientId: this.#clientId, Username: email, ConfirmationCode: code, ...(await this.#hashParam("SecretHash", email)) },
      { retry: true },
    );
  }

  async resendConfirmationCode(ctx: UpstreamContext, email: string) {
    return this.#client.call<{ CodeDeliveryDetails?: CodeDelivery }>(ctx, "ResendConfirmationCode", {
      ClientId: this.#clientId,
      Username: email,
      ...(await this.#hashParam("SecretHash", email)),
    });
  }

  async passwordAuth(ctx: UpstreamContext, email: string, password: string): Promise<AuthenticationResult> {
    return this.#initiateAuth(ctx, "USER_PASSWORD_AUTH", {
      USERNAME: email,
      PASSWORD: password,
      ...(await this.#hashParam("SECRET_HASH", email)),
    });
  }

  /** With a client secret the hash is over the user's `sub`, which is the username of email-as-username pools. */
  async refreshAuth(ctx: UpstreamContext, refreshToken: string, sub?: string): Promise<AuthenticationResult> {
    return this.#initiateAuth(ctx, "REFRESH_TOKEN_AUTH", {
      REFRESH_TOKEN: refreshToken,
      ...(sub ? await this.#hashParam("SECRET_HASH", sub) : {}),
    });
  }

  async getUser(ctx: UpstreamContext, accessToken: string) {
    return this.#client.call<{ Username: string; UserAttributes?: { Name: string; Value?: string }[] }>(
      ctx,
      "GetUser",
      { AccessToken: accessToken },
      { retry: true },
    );
  }

  async globalSignOut(ctx: UpstreamContext, accessToken: string): Promise<void> {
    await this.#client.call(ctx, "GlobalSignOut", { AccessToken: accessToken }, { retry: true });
  }

  async revokeToken(ctx: UpstreamContext, refreshToken: string): Promise<void> {
    await this.#client.call(
      ctx,
      "RevokeToken",
      { Token: refreshToken, ClientId: this.#clientId, ...(this.#clientSecret ? { ClientSecret: this.#clientSecret } : {}) },
      { retry: true },
    );
  }

  async forgotPassword(ctx: UpstreamContext, email: string) {
    return this.#client.call<{ CodeDeliveryDetails?: CodeDelivery }>(ctx, "ForgotPassword", {
      ClientId: this.#clientId,
      Username: email,
      ...(await this.#hashParam("SecretHash", email)),
    });
  }

  async confirmForgotPassword(ctx: UpstreamContext, email: string, code: string, password: string): Promise<void> {
    await this.#client.call(
      ctx,
      "ConfirmForgotPassword",
      {
        ClientId: this.#clientId,
        Username: email,
        ConfirmationCode: code,
        Password: password,
        ...(await this.#hashParam("SecretHash", email)),
      },
      { retry: true },
    );
  }

  async #initiateAuth(ctx: UpstreamContext, flow: string, parameters: Record<string, string>): Promise<AuthenticationResult> {
    const output = await this.#client.call<InitiateAuthOutput>(
      ctx,
      "InitiateAuth",
      { AuthFlow: flow, ClientId: this.#clientId, AuthParameters: parameters },
      { retry: true },
    );
    const result = output.AuthenticationResult;
    if (result && typeof result.AccessToken === "string" && typeof result.IdToken === "string") return result;
    if (typeof output.ChallengeName === "string") throw new ChallengeRequiredError(output.ChallengeName);
    throw new UpstreamBadResponseError("InitiateAuth answered without AuthenticationResult or ChallengeName");
  }

  async #hashParam(name: "SecretHash" | "SECRET_HASH", username: string): Promise<Record<string, string>> {
    return this.#secretHash ? { [name]: await this.#secretHash(username) } : {};
  }
}

const poolsByConfig = new WeakMap<Config, UserPool>();

/** One client per isolate: the SigV4 signer and the imported HMAC key are reused across requests. */
export function userPoolFor(config: Config): UserPool {
  let pool = poolsByConfig.get(config);
  if (!pool) {
    pool = new UserPool(config);
    poolsByConfig.set(config, pool);
  }
  return pool;
}
