// Runs in Node before the Workers-runtime tests: a fresh cognito-local in a temp folder, and the fake upstream.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { emulatorVars, ensurePoolAndClient, freePort, startCognitoLocal } from "../scripts/cognito-local.mjs";
import { startFakeUpstream } from "./support/fake-upstream";

/** The emulator prints codes instead of emailing them; fixing them lets tests confirm and reset. */
export const EMULATOR_CODE = "123456";

declare module "vitest" {
  export interface ProvidedContext {
    emulatorVars: Record<string, string>;
    fakeUpstreamUrl: string;
    unusedPort: number;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), "edge-auth-test-"));
  const emulator = await startCognitoLocal({ dir, port: await freePort(), code: EMULATOR_CODE });
  const ids = await ensurePoolAndClient(emulator.endpoint, path.join(dir, "ids.json"));
  const fake = await startFakeUpstream();

  project.provide("emulatorVars", emulatorVars(emulator.endpoint, ids));
  project.provide("fakeUpstreamUrl", `http://127.0.0.1:${fake.port}`);
  project.provide("unusedPort", await freePort());

  return async () => {
    await new Promise((resolve) => fake.server.close(resolve));
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
