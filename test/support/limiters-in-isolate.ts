// The rate-limit bindings of wrangler.toml, counted inside the Worker's own isolate: for tests that
// send thousands of requests, where the local runtime's simulated binding (a call to another
// service, about 2.5 ms each here) would be most of the time. Same names, limits and periods, fixed
// windows like Cloudflare's.
import wranglerToml from "../../wrangler.toml?raw";

type Limiter = { limit(options: { key: string }): Promise<{ success: boolean }> };

function limiter(limit: number, periodSeconds: number): Limiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    async limit({ key }) {
      const now = Date.now();
      let window = windows.get(key);
      if (!window || now - window.start >= periodSeconds * 1000) windows.set(key, (window = { start: now, count: 0 }));
      window.count += 1;
      return { success: window.count <= limit };
    },
  };
}

/** One in-isolate limiter per `[[ratelimits]]` binding of wrangler.toml, by binding name. */
export function limitersInIsolate(): Record<string, Limiter> {
  const bindings: Record<string, Limiter> = {};
  // The top-level Worker's bindings only: environments ([env.bench]...) come after them.
  const topLevel = wranglerToml.split(/^\[env\./m)[0]!;
  const blocks = topLevel.split("[[ratelimits]]").slice(1);
  for (const block of blocks) {
    const name = /name\s*=\s*"(\w+)"/.exec(block)?.[1];
    const simple = /simple\s*=\s*\{\s*limit\s*=\s*(\d+)\s*,\s*period\s*=\s*(\d+)\s*\}/.exec(block);
    if (!name || !simple) throw new Error(`wrangler.toml: a [[ratelimits]] block without name or simple limit: ${block}`);
    bindings[name] = limiter(Number(simple[1]), Number(simple[2]));
  }
  return bindings;
}
