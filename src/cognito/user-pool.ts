import type { Config } from "../config";
import { keptFor } from "../isolate";
import { CognitoClient } from "./client";
import { unusableAnswer, type RequestScope } from "../upstream";
import { ChallengeRequiredError, IDENTITY_PROVIDER, isCognitoError } from "./errors";
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

interface UserAttribute {
  Name: string;
  Value?: string;
}

/** AdminGetUser's UserStatus, as its API model lists them; kept open, since AWS adds values. */
type UserStatus = "UNCONFIRMED" | "CONFIRMED" | "ARCHIVED" | "COMPROMISED" | "UNKNOWN" | "RESET_REQUIRED" | "FORCE_CHANGE_PASSWORD" | "EXTERNAL_PROVIDER" | (string & {});

/** InitiateAuth's and RespondToAuthChallenge's output: tokens, or the next challenge and its Session. */
interface AuthOutput {
  AuthenticationResult?: AuthenticationResult;
  ChallengeName?: string;
  Session?: string;
}

/** GetUser's UserMFASettingList entries; kept open, since AWS adds factors. */
type MfaSetting = "SOFTWARE_TOKEN_MFA" | "SMS_MFA" | "EMAIL_OTP" | (string & {});

/** The tokens of a finished sign-in, or the challenge (with its Session) that Cognito asks for next. */
function authenticated(output: AuthOutput, action: string): AuthenticationResult {
  const result = output.AuthenticationResult;
  if (result && typeof result.AccessToken === "string" && typeof result.IdToken === "string") return result;
  if (typeof output.ChallengeName === "string") {
    throw new ChallengeRequiredError(output.ChallengeName, typeof output.Session === "string" ? output.Session : undefined);
  }
  throw unusableAnswer(IDENTITY_PROVIDER, `${action} answered without AuthenticationResult or ChallengeName`);
}

/** What does not change between requests: the HTTP client with its SigV4 signer, and the app client. */
interface AppClient {
  client: CognitoClient;
  clientId: string;
  clientSecret?: string;
  userPoolId: string;
  secretHash?: (username: string) => Promise<string>;
}

/** One per isolate (keptFor): the SigV4 signer and the imported HMAC key are reused across requests. */
function appClientOf(config: Config): AppClient {
  return {
    client: new CognitoClient({
      endpoint: config.endpoint,
      region: config.region,
      timeoutMs: config.upstreamTimeoutMs,
      credentials: config.awsCredentials,
    }),
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    userPoolId: config.userPoolId,
    secretHash: config.clientSecret ? secretHasher(config.clientId, config.clientSecret) : undefined,
  };
}

/** The user pool as one request sees it: every call shares the request's time budget, call log and clearance. */
export function openUserPool(config: Config, scope: RequestScope): UserPool {
  return new UserPool(keptFor(config, appClientOf), scope);
}

/** The actions of one user pool app client, with SECRET_HASH added where the client has a secret. */
export class UserPool {
  readonly #app: AppClient;
  readonly #scope: RequestScope;

  constructor(app: AppClient, scope: RequestScope) {
    this.#app = app;
    this.#scope = scope;
  }

  /** With a client secret, REFRESH_TOKEN_AUTH needs the user's `sub` for SECRET_HASH. */
  get hasClientSecret(): boolean {
    return this.#app.secretHash !== undefined;
  }

  async signUp(email: string, password: string) {
    return this.#once<{ UserSub: string; UserConfirmed: boolean; CodeDeliveryDetails?: CodeDelivery }>(
      "SignUp",
      { ClientId: this.#app.clientId, Username: email, Password: password, ...(await this.#hash("SecretHash", email)) },
    );
  }

  async adminGetUserStatus(email: string): Promise<UserStatus> {
    return this.#adminGetUser(email, "UserStatus");
  }

  /** One field of AdminGetUser's answer: UserStatus, or Username (the `sub` of email-as-username pools). */
  async #adminGetUser(email: string, field: "UserStatus" | "Username"): Promise<string> {
    const user = await this.#call<Record<string, unknown>>("AdminGetUser", { UserPoolId: this.#app.userPoolId, Username: email }, { signed: true });
    const value = user[field];
    if (typeof value !== "string") throw unusableAnswer(IDENTITY_PROVIDER, `AdminGetUser answered without a ${field}`);
    return value;
  }

  /**
   * The username SECRET_HASH must be made over. An email with no account keeps going as it is, so that
   * Cognito refuses it the way it refuses a known one (a bad session): the same answer and the same
   * number of calls, whether or not the email has an account.
   */
  async #usernameOf(email: string): Promise<string> {
    try {
      return await this.#adminGetUser(email, "Username");
    } catch (error) {
      if (isCognitoError(error, "UserNotFoundException")) return email;
      throw error;
    }
  }

  async adminConfirmSignUp(email: string): Promise<void> {
    await this.#call("AdminConfirmSignUp", { UserPoolId: this.#app.userPoolId, Username: email }, { signed: true });
  }

  /** Ends every session of the user: their refresh tokens stop working at once. */
  async adminUserGlobalSignOut(email: string): Promise<void> {
    await this.#call("AdminUserGlobalSignOut", { UserPoolId: this.#app.userPoolId, Username: email }, { signed: true });
  }

  async confirmSignUp(email: string, code: string): Promise<void> {
    await this.#once("ConfirmSignUp", {
      ClientId: this.#app.clientId,
      Username: email,
      ConfirmationCode: code,
      ...(await this.#hash("SecretHash", email)),
    });
  }

  async resendConfirmationCode(email: string) {
    return this.#once<{ CodeDeliveryDetails?: CodeDelivery }>(
      "ResendConfirmationCode",
      { ClientId: this.#app.clientId, Username: email, ...(await this.#hash("SecretHash", email)) },
    );
  }

  async passwordAuth(email: string, password: string): Promise<AuthenticationResult> {
    return this.#initiateAuth("USER_PASSWORD_AUTH", { USERNAME: email, PASSWORD: password, ...(await this.#hash("SECRET_HASH", email)) });
  }

  /** With a client secret the hash is over the user's `sub`, which is the username of email-as-username pools. */
  async refreshAuth(refreshToken: string, sub?: string): Promise<AuthenticationResult> {
    return this.#initiateAuth("REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: refreshToken, ...(sub ? await this.#hash("SECRET_HASH", sub) : {}) });
  }

  getUser(accessToken: string) {
    return this.#call<{ Username: string; UserAttributes?: UserAttribute[]; UserMFASettingList?: MfaSetting[] }>("GetUser", { AccessToken: accessToken });
  }

  /**
   * Answers the SOFTWARE_TOKEN_MFA challenge of a sign-in. Cognito checks SECRET_HASH against the
   * user's real username (the `sub` of email-as-username pools), not the email, so with a client
   * secret the username is looked up first.
   */
  async answerSoftwareTokenChallenge(username: string, session: string, code: string): Promise<AuthenticationResult> {
    const user = this.#app.secretHash ? await this.#usernameOf(username) : username;
    const output = await this.#once<AuthOutput>("RespondToAuthChallenge", {
      ChallengeName: "SOFTWARE_TOKEN_MFA",
      ClientId: this.#app.clientId,
      Session: session,
      ChallengeResponses: { USERNAME: user, SOFTWARE_TOKEN_MFA_CODE: code, ...(await this.#hash("SECRET_HASH", user)) },
    });
    return authenticated(output, "RespondToAuthChallenge");
  }

  /** A new TOTP secret for the user, pending until verified. */
  async associateSoftwareToken(accessToken: string): Promise<string> {
    const output = await this.#call<{ SecretCode?: unknown }>("AssociateSoftwareToken", { AccessToken: accessToken });
    if (typeof output.SecretCode !== "string") throw unusableAnswer(IDENTITY_PROVIDER, "AssociateSoftwareToken answered without a SecretCode");
    return output.SecretCode;
  }

  /** Checks a code of the pending secret; "SUCCESS" makes it the user's. */
  async verifySoftwareToken(accessToken: string, code: string): Promise<string | undefined> {
    return (await this.#once<{ Status?: string }>("VerifySoftwareToken", { AccessToken: accessToken, UserCode: code })).Status;
  }

  /** TOTP on (and preferred) or off for the user. */
  async setSoftwareTokenMfa(accessToken: string, enabled: boolean): Promise<void> {
    await this.#call("SetUserMFAPreference", { AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled } });
  }

  async changePassword(accessToken: string, previous: string, proposed: string): Promise<void> {
    await this.#once("ChangePassword", { AccessToken: accessToken, PreviousPassword: previous, ProposedPassword: proposed });
  }

  /** Sends mail. */
  async sendEmailVerificationCode(accessToken: string): Promise<void> {
    await this.#once("GetUserAttributeVerificationCode", { AccessToken: accessToken, AttributeName: "email" });
  }

  async verifyEmail(accessToken: string, code: string): Promise<void> {
    await this.#once("VerifyUserAttribute", { AccessToken: accessToken, AttributeName: "email", Code: code });
  }

  /** Sends a code to the new address, which (with the pool's keep-original setting) replaces the old one once verified. */
  async changeEmail(accessToken: string, email: string): Promise<void> {
    await this.#once("UpdateUserAttributes", { AccessToken: accessToken, UserAttributes: [{ Name: "email", Value: email }] });
  }

  async deleteUser(accessToken: string): Promise<void> {
    await this.#once("DeleteUser", { AccessToken: accessToken });
  }

  async globalSignOut(accessToken: string): Promise<void> {
    await this.#call("GlobalSignOut", { AccessToken: accessToken });
  }

  /** Best effort beside GlobalSignOut (see services/sign-in.ts): one try, so a failing revocation delays no log-out. */
  async revokeToken(refreshToken: string): Promise<void> {
    await this.#once(
      "RevokeToken",
      { Token: refreshToken, ClientId: this.#app.clientId, ...(this.#app.clientSecret ? { ClientSecret: this.#app.clientSecret } : {}) },
    );
  }

  /** Sends mail: not repeated after a failure that may have sent it. */
  async forgotPassword(email: string) {
    return this.#once<{ CodeDeliveryDetails?: CodeDelivery }>(
      "ForgotPassword",
      { ClientId: this.#app.clientId, Username: email, ...(await this.#hash("SecretHash", email)) },
    );
  }

  async confirmForgotPassword(email: string, code: string, password: string): Promise<void> {
    await this.#once("ConfirmForgotPassword", {
      ClientId: this.#app.clientId,
      Username: email,
      ConfirmationCode: code,
      Password: password,
      ...(await this.#hash("SecretHash", email)),
    });
  }

  async #initiateAuth(flow: string, parameters: Record<string, string>): Promise<AuthenticationResult> {
    const output = await this.#call<AuthOutput>("InitiateAuth", {
      AuthFlow: flow,
      ClientId: this.#app.clientId,
      AuthParameters: parameters,
    });
    return authenticated(output, "InitiateAuth");
  }

  /** Safe to repeat after throttling or a 5xx: a read, or a change that lands the same however often it is made. */
  #call<T extends object>(action: string, input: object, options: { signed?: boolean } = {}): Promise<T> {
    return this.#app.client.call<T>(this.#scope, action, input, { ...options, retry: true });
  }

  /**
   * Not repeated: it creates something (SignUp), sends mail, uses up what it checks (a code, a
   * challenge session), or a repeat after a fault that Cognito did process would fail (the old
   * password, a deleted user); RevokeToken is best effort, so one try.
   */
  #once<T extends object>(action: string, input: object): Promise<T> {
    return this.#app.client.call<T>(this.#scope, action, input, { retry: false });
  }

  async #hash(name: "SecretHash" | "SECRET_HASH", username: string): Promise<Record<string, string>> {
    return this.#app.secretHash ? { [name]: await this.#app.secretHash(username) } : {};
  }
}
