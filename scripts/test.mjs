// `npm test`: the assets first, then the typecheck and the tests at once, so the wall time is the
// longer of the two rather than their sum (the tests keep one core busy with workerd, tsc takes the other). Arguments go to
// vitest (CI adds its reporters). Fails if either fails; the typecheck's output comes whole, after
// it ends, so the two never interleave. The typecheck runs at a lower priority: it ends well within
// the tests' time on spare CPU, while the tests, the longer of the two, are not slowed by it.
import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function run(command, args, { buffered, background = false, env }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: buffered ? ["ignore", "pipe", "pipe"] : "inherit", env: { ...process.env, ...env } });
    if (background) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // Not permitted here: it runs at the normal priority.
      }
    }
    let output = "";
    if (buffered) for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => (output += chunk));
    child.on("exit", (code, signal) => resolve({ ok: code === 0, output, code: code ?? (signal ? 1 : 0) }));
  });
}

// The packages' own entry points, run by this Node: no npm or npx process in between.
const bin = (file) => path.join(root, "node_modules", file);
// Each tsc run keeps its incremental state (ignored by git): the next run checks again only what
// changed since, and reports the errors of files it did not check again too. A fresh clone has none,
// and checks everything. The declarations' state is kept with them, in dist/app-types/: whatever
// removes them (a build) removes it too, and the next run writes them all.
const tsc = (buildInfo, ...args) => [bin("typescript/bin/tsc"), ...args, "--incremental", "--tsBuildInfoFile", buildInfo];
// The static assets first and alone (the bundles, about 0.5 s): the tests read public/ (the app's
// page, the problem pages), which a fresh clone does not have.
const prepare = [path.join(root, "scripts/build-assets.mjs"), "--no-typecheck"];
// Then, beside the tests: the Worker's types, then its typecheck and the web app's against the
// routes' declarations. wrangler runs the assets' build with its types ([build]); that one is built
// elsewhere, without the app's typecheck (the tsc runs after it are that), for public/ to stay as
// the tests read it.
const typecheckSteps = [
  [[bin("wrangler/bin/wrangler.js"), "types", "--env-interface", "Env"], { BUILD_ASSETS_NO_TYPECHECK: "1", BUILD_ASSETS_OUTDIR: path.join(root, "dist/types-build") }],
  [tsc("dist/typecheck/worker.tsbuildinfo", "--noEmit")],
  [tsc("dist/app-types/.tsbuildinfo", "-p", "tsconfig.app-types.json")],
  [tsc("dist/typecheck/app.tsbuildinfo", "-p", "site/app/tsconfig.json")],
];
async function typecheckAll() {
  for (const [args, env] of typecheckSteps) {
    const step = await run(process.execPath, args, { buffered: true, background: true, env });
    if (!step.ok) return step;
  }
  return { ok: true, output: "" };
}
const prepared = await run(process.execPath, prepare, { buffered: true });
if (!prepared.ok) {
  process.stderr.write(`the assets' build failed:\n${prepared.output}\n`);
  process.exit(1);
}
const [typecheck, tests] = await Promise.all([
  typecheckAll(),
  run(process.execPath, [bin("vitest/vitest.mjs"), "run", ...process.argv.slice(2)], { buffered: false }),
]);
if (!typecheck.ok) process.stderr.write(`typecheck failed:\n${typecheck.output}\n`);
process.exitCode = typecheck.ok && tests.ok ? 0 : 1;
