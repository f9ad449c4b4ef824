// `node scripts/node22.mjs SCRIPT [ARGS]`: how the npm scripts run (dev, test, deploy...). wrangler and
// workerd need Node 22.12 or newer. On such a Node it runs SCRIPT in this process. On an older one (a
// second terminal where the README's PATH line was not run) it finds the Node 22 set up before, where
// the README's recipe (~/.cache/node22), CI (~/.cache/edge-auth-api/node22, NODE22_DIR) or nvm put it,
// and runs SCRIPT with it, first on PATH; with none, it prints what to do (scripts/check-node.mjs).
// Plain syntax, no dependencies: any Node that can start it gets that far.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import Module from "node:module";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const NEEDED = [22, 12];
const here = path.dirname(fileURLToPath(import.meta.url));
const [script, ...args] = process.argv.slice(2);
const newEnough = (version) => {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return major > NEEDED[0] || (major === NEEDED[0] && minor >= NEEDED[1]);
};

/** Node 22 binaries set up on this machine, the README's first. */
function candidates() {
  const nodePackage = `node-${process.platform === "win32" ? "win" : process.platform}-${process.arch}`;
  const fromNpm = (dir) => path.join(dir, "node_modules", nodePackage, "bin", "node");
  const found = [
    fromNpm(path.join(homedir(), ".cache", "node22")),
    process.env.NODE22_DIR && fromNpm(process.env.NODE22_DIR),
    fromNpm(path.join(homedir(), ".cache", "edge-auth-api", "node22")),
  ];
  const nvm = path.join(process.env.NVM_DIR ?? path.join(homedir(), ".nvm"), "versions", "node");
  if (existsSync(nvm)) {
    for (const version of readdirSync(nvm).filter(newEnough).sort().reverse()) found.push(path.join(nvm, version, "bin", "node"));
  }
  return found.filter((candidate) => candidate && existsSync(candidate));
}

function versionOf(node) {
  const result = spawnSync(node, ["--version"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : "v0.0.0";
}

if (!script) {
  console.error("usage: node scripts/node22.mjs SCRIPT [ARGS]");
  process.exit(2);
}
if (newEnough(process.versions.node)) {
  // This process runs it as its main module, as `node SCRIPT ARGS` would: the script sees its own path
  // and arguments, and a CommonJS one (wrangler's bin) finds itself `require.main`.
  process.argv.splice(1, 2, path.resolve(script));
  Module.runMain();
} else {
  const node = candidates().find((candidate) => newEnough(versionOf(candidate)));
  if (!node) {
    // Says which Node this is and how to get Node 22, then fails.
    spawnSync(process.execPath, [path.join(here, "check-node.mjs")], { stdio: "inherit" });
    process.exit(1);
  }
  const home = homedir();
  console.error(`[node] this terminal's Node is ${process.versions.node}; running with Node ${versionOf(node).slice(1)} from ${node.startsWith(home) ? `~${node.slice(home.length)}` : node}`);
  const child = spawn(node, [script, ...args], {
    stdio: "inherit",
    env: { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ""}` },
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  // npm ended without a signal reaching this process (`kill <npm's PID>`): the script ends too.
  const parent = process.ppid;
  const watch = setInterval(() => process.ppid !== parent && child.kill("SIGTERM"), 500);
  child.on("exit", (code, signal) => {
    clearInterval(watch);
    process.exit(code ?? (signal ? 1 : 0));
  });
}
