import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The longest Workers file, then the Node project's files, then the other Workers files (the default
 * orders by project name, so both workers ran the Node files before any Workers runtime started).
 * One worker starts a Workers runtime at once while the other runs the short Node files, then starts
 * the second runtime. A Workers runtime takes seconds to start and is stopped when the next file in
 * the queue is another project's: the Node files (about 6 s) end before the first Workers file does.
 * Within a project, the default order: longest first.
 */
class NodeBesideWorkers extends BaseSequencer {
  override async sort(files: TestSpecification[]) {
    const sorted = await super.sort(files);
    const [first, ...workers] = sorted.filter((spec) => spec.project.name === "workers");
    return [...(first ? [first] : []), ...sorted.filter((spec) => spec.project.name !== "workers"), ...workers];
  }
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      // The Worker logs a JSON line per request: shown only for failing tests.
      silent: "passed-only" as const,
      // Each module as transformed, kept on disk (ignored by git) by its path, content and this config:
      // a run after the first starts each Workers runtime without transforming its hundreds of
      // modules again (a one-file run, load 4.2: 10.4 s, then 6.3 s). A fresh clone transforms them all.
      fsModuleCache: true,
      fsModuleCachePath: "dist/vitest-cache",
      // Two at once on the 2-core machines this runs on (the default there is one): the Node project's
      // files beside the Workers runtime's instead of before them, and two Workers runtimes, each
      // taking whole files (its own D1, Durable Objects and isolate; the servers of the global setup
      // are shared: scenarios, emails and accounts are fresh per test, stalls are per runtime).
      maxWorkers: 2,
      sequence: { sequencer: NodeBesideWorkers },
      projects: [
        {
          // The catalog as the docs see it (the Worker's own build drops the pages' text: wrangler.toml [define]).
          define: { PROBLEM_PAGE_TEXT: "true" },
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              // workerd's own diagnostics (e.g. "uncaught exception … Network connection lost" for each
              // refused connection the fault tests make, although the Worker handles it) stay out of a
              // green run; a failing test still shows its error and the Worker's log lines.
              verbose: false,
              miniflare: {
                bindings: {
                  ...inject("emulatorVars"),
                  // The emulator does not check SigV4; distinctive values let tests prove no response carries them.
                  AWS_ACCESS_KEY_ID: "AKIATESTKEYNEVERSHOWN",
                  AWS_SECRET_ACCESS_KEY: "test-secret-access-key-never-in-a-response",
                  FAKE_UPSTREAM_URL: inject("fakeUpstreamUrl"),
                  UNUSED_PORT: String(inject("unusedPort")),
                  // Applied to the test database by test/support/d1-migrations.ts.
                  TEST_MIGRATIONS: migrations,
                },
              },
            })),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            // One runtime per worker, reused across its files, instead of a new one per file (about 0.75 s
            // each): every test keys what the isolate keeps (JWKS URLs, emails, addresses, token ids) by
            // fresh values, and restores what it mocks.
            isolate: false,
            // zod's and jose's modules (about 150) bundled into one each, once per install (in
            // node_modules/.vite): a fresh run's runtimes fetch and transform each module on their own,
            // and this is most of a clean clone's first run (50.6 s -> 44.4-45.8 s, idle). Not hono:
            // its entry points (hono, hono/tiny, hono/factory...) would each get a copy of its internals.
            deps: { optimizer: { ssr: { enabled: true, include: ["zod", "zod/mini", "jose"] } } },
            exclude: ["test/node/**"],
            globalSetup: ["test/global-setup.ts"],
            setupFiles: ["test/support/d1-migrations.ts"],
          },
        },
        {
          // Build-time code, in Node: the OpenAPI validator compiles schemas with `new Function`, which workerd forbids.
          // The catalog with the problem pages' text, as scripts/build-assets.mjs builds it.
          define: { PROBLEM_PAGE_TEXT: "true" },
          // The Durable Objects' base class, for Node tests that import src/index.ts (bench/subject.ts).
          resolve: { alias: { "cloudflare:workers": path.resolve(import.meta.dirname, "test/node/cloudflare-workers.ts") } },
          // One process for every file (about 0.5 s each otherwise): these tests share no state across files.
          test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node", isolate: false },
        },
      ],
    },
  };
});
