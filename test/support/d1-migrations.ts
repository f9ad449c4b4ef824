// Runs before each test file: the schema of migrations/ on the test database. The runtime (and so
// the database) is shared across files (isolate: false); applyD1Migrations skips the migrations it
// has recorded as applied, so every file after the first finds them done.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { seedAssets } from "./assets";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// The asset list every order is checked against (test/support/assets.ts).
await seedAssets();
