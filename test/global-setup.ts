// Runs in Node before the Workers-runtime tests: a fresh cognito-local in a temp folder, and the fake upstream.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { LOCAL_KEY_ID, LOCAL_SECRET, standinVars, startBrokerStandin } from "../scripts/broker-standin.mjs";
import { emulatorVars, ensurePoolAndClient, freePort, startCognitoLocal } from "../scripts/cognito-local.mjs";
import { startFakeUpstream } from "./support/fake-upstream";

/** The emulator prints codes instead of emailing them; fixing them lets tests confirm and reset. */
export const EMULATOR_CODE = "123456";

declare module "vitest" {
  export interface ProvidedContext {
    emulatorVars: Record<string, string>;
    fakeUpstreamUrl: string;
    /** The Broker API stand-in's variables, for the tests of two users with real (stand-in) state. */
    brokerStandinVars: Record<string, string>;
    unusedPort: number;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), "edge-auth-test-"));
  const [emulator, fake, standin] = await Promise.all([
    startCognitoLocal({ dir, port: await freePort(), code: EMULATOR_CODE }),
    startFakeUpstream(),
    // Quiet: its status lines are for a developer's console.
    startBrokerStandin({ dir: path.join(dir, "broker-standin"), keyId: LOCAL_KEY_ID, secret: LOCAL_SECRET, log: () => undefined }),
  ]);
  const ids = await ensurePoolAndClient(emulator.endpoint, path.join(dir, "ids.json"));

  project.provide("emulatorVars", emulatorVars(emulator.endpoint, ids));
  project.provide("fakeUpstreamUrl", `http://127.0.0.1:${fake.port}`);
  project.provide("brokerStandinVars", standinVars(standin.url));
  project.provide("unusedPort", await freePort());

  return async () => {
    await new Promise((resolve) => fake.server.close(resolve));
    await standin.stop();
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
