// The benchmark stubs every rate-limit binding the Worker reads; one it missed would answer 503
// misconfigured (bindings fail closed) and the bench would time an error path.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RATE_LIMIT_BINDINGS } from "../../bench/subject";

describe("npm run bench", () => {
  it("stubs exactly the rate-limit bindings of wrangler.toml", () => {
    const toml = readFileSync(path.resolve(import.meta.dirname, "../../wrangler.toml"), "utf8").split(/^\[env\./m)[0]!;
    const declared = [...toml.matchAll(/\[\[ratelimits\]\]\s*\nname\s*=\s*"(\w+)"/g)].map((match) => match[1]);
    expect([...RATE_LIMIT_BINDINGS].sort()).toEqual(declared.sort());
  });
});
