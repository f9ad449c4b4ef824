// `npm run -s code -- ann@example.com`: the code the Cognito emulator of `npm run dev` last sent to
// that address (scripts/dev-inbox.mjs), printed alone, so a block reads CODE=$(npm run -s code -- …)
// and pastes as printed. Each code is printed once: a second call waits for the next code (up to
// 15 s), so a walkthrough run twice never takes the first run's code, which would count as a guess.
// Development only: against a real user pool the codes go to the real inbox.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inboxFile } from "./dev-inbox.mjs";

const WAIT_MS = 15_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = path.resolve(process.env.DEV_DATA_DIR ?? root);
const address = (process.argv[2] ?? "").trim().toLowerCase();
if (!address.includes("@")) {
  console.error("usage: npm run -s code -- ann@example.com   (the address the code was sent to)");
  process.exit(2);
}

const file = inboxFile(dataDir);
const readFile = path.join(path.dirname(file), "dev-inbox.read.json");
const printed = existsSync(readFile) ? JSON.parse(readFileSync(readFile, "utf8")) : {};

/** The newest code for the address after the line printed last, with its line number. */
function newest() {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  for (let line = lines.length - 1; line >= (printed[address] ?? -1) + 1; line--) {
    const entry = JSON.parse(lines[line]);
    if (entry.to === address) return { line, entry };
  }
  return undefined;
}

const deadline = Date.now() + WAIT_MS;
let found = newest();
while (!found && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  found = newest();
}
if (!found) {
  console.error(
    existsSync(file)
      ? `no new code for ${address} within ${WAIT_MS / 1000} s: ask for one first (sign-up, a password reset, email verification), with npm run dev running`
      : `no code sent yet: npm run dev (with its emulator, not a .dev.vars user pool) keeps them in ${path.relative(process.cwd(), file) || file}`,
  );
  process.exit(1);
}
writeFileSync(readFile, JSON.stringify({ ...printed, [address]: found.line }));
console.log(found.entry.code);
