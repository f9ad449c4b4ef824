// Starts the cognito-local emulator and creates, idempotently, the user pool and app client the API
// needs. Used by `npm run dev` (and so CI's quickstart check) and the test setup.
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

// Its server, with a logger of our own (JSON lines, written at once): scripts/cognito-local-start.cjs.
const START_SCRIPT = fileURLToPath(new URL("./cognito-local-start.cjs", import.meta.url));
const HOST = "127.0.0.1";

/** Cognito's default policy: 8+ characters with upper, lower, number and symbol. */
const PASSWORD_POLICY = {
  MinimumLength: 8,
  RequireUppercase: true,
  RequireLowercase: true,
  RequireNumbers: true,
  RequireSymbols: true,
};

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether something already listens on `port` of 127.0.0.1 (or of every address). */
export async function portTaken(port) {
  return new Promise((resolve) => {
    const probe = createServer()
      .once("error", () => resolve(true))
      .listen(port, HOST, () => probe.close(() => resolve(false)));
  });
}

/**
 * Runs the emulator with `dir` as its working folder (its data goes to `dir/.cognito`).
 * `code` fixes the confirmation and reset codes it would otherwise print. Its own log is dropped;
 * `onCodeDelivery` gets each code it would have sent.
 */
export async function startCognitoLocal({ dir, port, code, onCodeDelivery }) {
  await mkdir(path.join(dir, ".cognito"), { recursive: true });
  // A config.json in the folder wins over HOST/PORT, so write ours.
  await writeFile(
    path.join(dir, ".cognito", "config.json"),
    JSON.stringify({ ServerConfig: { hostname: HOST, port }, TokenConfig: { IssuerDomain: `http://${HOST}:${port}` } }, null, 2),
  );
  const child = spawn(process.execPath, [START_SCRIPT], {
    cwd: dir,
    env: {
      ...process.env,
      HOST,
      PORT: String(port),
      ...(code ? { CODE: code } : {}),
      // It runs on the AWS SDK v2, which otherwise prints its end-of-support notice at every start.
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // Its log is kept only to explain a failed start.
  let startOutput = [];
  codeDeliveries(child.stdout, (delivery) => onCodeDelivery?.(delivery), (line) => startOutput?.push(line));
  const endpoint = `http://${HOST}:${port}/`;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // If whoever started it exits without stopping it (a crash, a test run cut short), it goes too.
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  try {
    await waitForHealth(endpoint, child);
  } catch (error) {
    await stop();
    throw new Error(`${error.message}; its output:\n${startOutput.join("\n")}`);
  }
  startOutput = undefined;
  return { endpoint, port, pid: child.pid, stop };
}

/** What each emulator action that sends a code sends it for. */
const CODE_KINDS = {
  SignUp: "sign-up confirmation code",
  ResendConfirmationCode: "sign-up confirmation code",
  ForgotPassword: "password reset code",
  UpdateUserAttributes: "email verification code",
  AdminUpdateUserAttributes: "email verification code",
  GetUserAttributeVerificationCode: "email verification code",
  AdminCreateUser: "temporary password",
  InitiateAuth: "sign-in code",
  RespondToAuthChallenge: "sign-in code",
};

/**
 * Reads the emulator's output (scripts/cognito-local-start.cjs): a code it would have emailed is a
 * line {"delivery": {action, code, destination, username}}. Calls `onDelivery({ kind, code,
 * destination })` for each, `onOtherLine(text)` for every other line (its JSON log).
 */
function codeDeliveries(stream, onDelivery, onOtherLine) {
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
    let delivery;
    try {
      delivery = JSON.parse(line).delivery;
    } catch {
      // not JSON: a line of its own
    }
    if (!delivery?.code) return onOtherLine(line);
    onDelivery({ kind: CODE_KINDS[delivery.action] ?? `${delivery.action} code`, code: delivery.code, destination: delivery.destination ?? delivery.username });
  });
}

async function waitForHealth(endpoint, child) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`cognito-local exited with code ${child.exitCode}`);
    try {
      const res = await fetch(new URL("health", endpoint), { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("cognito-local did not become healthy within 30 s");
}

export async function cognitoCall(endpoint, action, input) {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${action} failed: ${res.status} ${body.__type ?? ""}`);
  return body;
}

/** Authenticator-app MFA that each user may turn on, as a real pool needs for the TOTP routes. */
const MFA_CONFIG = { MfaConfiguration: "OPTIONAL", SoftwareTokenMfaConfiguration: { Enabled: true } };

/**
 * Reuses the pool and client recorded in `stateFile` when the emulator still has them, otherwise
 * creates both and records their ids, so a restart keeps the same users.
 */
export async function ensurePoolAndClient(endpoint, stateFile) {
  const saved = await readFile(stateFile, "utf8").then(JSON.parse, () => undefined);
  if (saved?.userPoolId && saved?.clientId) {
    const exists = await cognitoCall(endpoint, "DescribeUserPoolClient", { UserPoolId: saved.userPoolId, ClientId: saved.clientId }).then(
      () => true,
      () => false, // gone (emulator data removed): create anew
    );
    if (exists) {
      // A pool made before TOTP was offered gets it; the email setting below cannot be changed on the emulator.
      await cognitoCall(endpoint, "SetUserPoolMfaConfig", { UserPoolId: saved.userPoolId, ...MFA_CONFIG });
      return saved;
    }
  }
  const { UserPool } = await cognitoCall(endpoint, "CreateUserPool", {
    PoolName: "edge-auth-local",
    UsernameAttributes: ["email"],
    AutoVerifiedAttributes: ["email"],
    Policies: { PasswordPolicy: PASSWORD_POLICY },
    MfaConfiguration: MFA_CONFIG.MfaConfiguration,
    // "Keep original attribute value active": a new email replaces the old one only once verified.
    UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ["email"] },
  });
  await cognitoCall(endpoint, "SetUserPoolMfaConfig", { UserPoolId: UserPool.Id, ...MFA_CONFIG });
  const { UserPoolClient } = await cognitoCall(endpoint, "CreateUserPoolClient", {
    UserPoolId: UserPool.Id,
    ClientName: "edge-auth-api",
    ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
  });
  const state = { userPoolId: UserPool.Id, clientId: UserPoolClient.ClientId };
  await mkdir(path.dirname(stateFile), { recursive: true });
  await writeFile(stateFile, JSON.stringify(state, null, 2) + "\n");
  return state;
}

/** The Worker variables that point the API at an emulator. */
export function emulatorVars(endpoint, { userPoolId, clientId }) {
  return {
    COGNITO_ENDPOINT: endpoint,
    COGNITO_REGION_NAME: "us-east-1",
    USER_POOL_ID: userPoolId,
    COGNITO_USER_CLIENT_ID: clientId,
    COGNITO_ISSUER: `${endpoint}${userPoolId}`,
    // The emulator does not check SigV4; the signer still needs a key pair.
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
  };
}
