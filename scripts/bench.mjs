// npm run bench: ops/sec of verifying one access token, this API's verifier against aws-jwt-verify,
// inside workerd (wrangler's unstable_startWorker). Each sample is one request running N
// verifications; it is timed here because workerd's own clock stands still while code runs.
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

const { unstable_startWorker } = await import("wrangler");

const IMPLS = ["ours", "aws-jwt-verify"];
const ITERATIONS = 5_000;
const ROUNDS = 9;

const worker = await unstable_startWorker({
  name: "auth-bench",
  entrypoint: "bench/worker.ts",
  compatibilityDate: "2026-11-01",
  dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "warn" },
});

async function run(impl, iterations) {
  const started = performance.now();
  const res = await worker.fetch(`http://bench.local/?impl=${encodeURIComponent(impl)}&n=${iterations}`);
  const body = await res.text();
  if (!res.ok) throw new Error(`${impl}: HTTP ${res.status} ${body}`);
  return performance.now() - started;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  await worker.ready;
  // Warm-up: key generation, first imports, JIT.
  for (const impl of IMPLS) await run(impl, 1_000);
  const overheadMs = median(await Promise.all([0, 1, 2, 3, 4].map(async () => run("ours", 0))));

  const samples = Object.fromEntries(IMPLS.map((impl) => [impl, []]));
  // Alternating rounds, so that a slow moment of the machine hits both alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const impl of IMPLS) samples[impl].push(ITERATIONS / ((await run(impl, ITERATIONS)) - overheadMs) * 1000);
  }

  const opsPerSec = Object.fromEntries(IMPLS.map((impl) => [impl, median(samples[impl])]));
  console.log(`workerd, RS256 (2048-bit) Cognito access token, key set in memory; ${ROUNDS} rounds x ${ITERATIONS} verifications, median`);
  for (const impl of IMPLS) {
    const perOpUs = 1e6 / opsPerSec[impl];
    const [low, high] = [Math.min(...samples[impl]), Math.max(...samples[impl])].map((value) => Math.round(value).toLocaleString("en-US"));
    console.log(`${impl.padEnd(16)} ${Math.round(opsPerSec[impl]).toLocaleString("en-US").padStart(8)} ops/sec  (${perOpUs.toFixed(1)} us/op; rounds ${low} to ${high})`);
  }
  console.log(`ratio ours / aws-jwt-verify: ${(opsPerSec.ours / opsPerSec["aws-jwt-verify"]).toFixed(2)}x`);
} finally {
  await worker.dispose();
}
