// cognito-local, started as its own bin (lib/bin/start.js) starts it, except for two things:
// - a code it would email is written at once as one JSON line, {"delivery": {action, code,
//   destination}}, by its console sender replaced here: its own prints a box through its logger,
//   which reached the reader only with a later request's log (seen: `npm run -s code` right after
//   the request found nothing, a walkthrough's second run timed out);
// - its log is JSON lines (pino's own), read by scripts/cognito-local.mjs to explain a failed start.
const fs = require("node:fs");
const { createRequire } = require("node:module");

const fromEmulator = createRequire(require.resolve("cognito-local/package.json"));
const pino = fromEmulator("pino");
const { createDefaultServer } = fromEmulator("./lib/server");
const { ConsoleMessageSender } = fromEmulator("./lib/services/messageDelivery/consoleMessageSender");

ConsoleMessageSender.prototype.sendToConsole = function (ctx, user, destination, { __code }) {
  // The request's logger names the action (its `target`) that sent the code.
  const action = ctx.logger.bindings?.().target;
  fs.writeSync(1, JSON.stringify({ delivery: { action, code: __code, destination, username: user.Username } }) + "\n");
  return Promise.resolve();
};

const logger = pino({ level: "info", base: undefined });
createDefaultServer(logger)
  .then((server) => server.start())
  .then((server) => {
    const address = server.address();
    logger.info(`Cognito Local running on http://${typeof address === "string" ? address : `${address.address}:${address.port}`}`);
  })
  .catch((error) => {
    logger.error(error);
    process.exit(1);
  });
