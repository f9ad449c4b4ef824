// Says which Node this is and how to get Node 22.12 or newer, which wrangler and workerd need, and
// fails when it is older: run by scripts/node22.mjs (how `npm run dev`, `npm test` and the other
// scripts start) when no Node 22 is set up on this machine, and by hand. (`npm install` is stopped by
// engine-strict in .npmrc, and points here.) Plain syntax and no imports, so that any old Node can
// run it and say what is wrong.
var NEEDED = [22, 12];
var found = process.versions.node.split(".").map(Number);

if (found[0] < NEEDED[0] || (found[0] === NEEDED[0] && found[1] < NEEDED[1])) {
  var platform = process.platform === "win32" ? "win" : process.platform;
  var nodePackage = "node-" + platform + "-" + process.arch + "@22";
  console.error(
    [
      "edge-brokerage needs Node.js " + NEEDED.join(".") + " or newer; this is Node.js " + process.versions.node + " (" + process.execPath + ").",
      "Get Node 22 with nvm:",
      "  nvm install && nvm use          (reads .nvmrc)",
      "or from npm itself (the first line keeps this machine's npm settings, CA file included, for the new npm):",
      "  export npm_config_globalconfig=\"$(npm config get globalconfig)\"",
      "  npm install --prefix ~/.cache/node22 --no-save " + nodePackage,
      "  export PATH=~/.cache/node22/node_modules/" + nodePackage.replace(/@22$/, "") + "/bin:$PATH",
      "then run the npm command again in the same terminal.",
    ].join("\n"),
  );
  process.exit(1);
}
