// Bindings only the tests have (vitest.config.ts), and the types of the `cloudflare:test` module.
/// <reference types="@cloudflare/vitest-plugin/types" />

declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
