// HTTP load for `npm run bench`: wrk when it is installed (apt-get install -y wrk), otherwise a small
// keep-alive load generator in Node. The bench installs nothing itself; the results name the tool,
// because the Node generator spends more CPU on this same machine and so reads lower.
import { spawn, spawnSync } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";

const LUA_SCRIPT = fileURLToPath(new URL("load.lua", import.meta.url));

/** "wrk 4.1.0" when wrk runs here, else undefined. */
export function wrkVersion() {
  // wrk --version prints its version, then its usage, and exits 1.
  const { stdout, error } = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  const version = error ? undefined : stdout.match(/(\d+\.\d+\.\d+)/)?.[1];
  return version ? `wrk ${version}` : undefined;
}

/**
 * One cell: `connections` clients hitting `url` for `seconds`.
 * `request`: { method, headers, body } or { method, headers, signupPrefix, password }.
 * Resolves to { requests, rps, p50Ms, p99Ms, errors } where errors counts failed and non-2xx answers.
 */
export function runLoad(tool, url, request, connections, seconds) {
  return tool === "node" ? nodeLoad(url, request, connections, seconds) : wrkLoad(url, request, connections, seconds);
}

function wrkLoad(url, request, connections, seconds) {
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", LUA_SCRIPT];
  for (const [name, value] of Object.entries(request.headers ?? {})) args.push("-H", `${name}: ${value}`);
  args.push(url);
  const env = { ...process.env, BENCH_METHOD: request.method };
  if (request.body !== undefined) env.BENCH_BODY = request.body;
  if (request.signupPrefix) Object.assign(env, { BENCH_SIGNUP_PREFIX: request.signupPrefix, BENCH_PASSWORD: request.password });
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (out += chunk));
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.split("\n").find((text) => text.startsWith("BENCH_RESULT "));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}): ${out.slice(-500)}`));
      const r = JSON.parse(line.slice("BENCH_RESULT ".length));
      resolve({
        requests: r.requests,
        rps: r.requests / (r.duration_us / 1e6),
        p50Ms: r.p50_us / 1000,
        p99Ms: r.p99_us / 1000,
        errors: r.errors + r.status_errors,
      });
    });
  });
}

async function nodeLoad(url, request, connections, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let errors = 0;
  let sent = 0;
  const started = performance.now();
  const stopAt = started + seconds * 1000;
  const once = () =>
    new Promise((resolve) => {
      const body = request.signupPrefix
        ? JSON.stringify({ email: `${request.signupPrefix}-n-${++sent}@example.com`, password: request.password })
        : request.body;
      const begun = performance.now();
      const req = http.request(url, { method: request.method, headers: request.headers, agent }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode >= 400) errors++;
          latencies.push(performance.now() - begun);
          resolve();
        });
      });
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < stopAt) await once();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests: latencies.length, rps: latencies.length / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}
