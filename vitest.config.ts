import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ...inject("emulatorVars"),
          FAKE_UPSTREAM_URL: inject("fakeUpstreamUrl"),
          UNUSED_PORT: String(inject("unusedPort")),
        },
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // The Worker logs a JSON line per request: shown only for failing tests.
    silent: "passed-only",
  },
});
