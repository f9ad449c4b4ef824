// The README's Quickstart, run as a newcomer runs it: `npm run dev` in one terminal, then each shell
// block of the section pasted in order into a second one, and after it every block of "Account
// security", which continues from where the Quickstart left off. Every answer must match the one the
// README prints under its command (the `# ` lines), so the README cannot drift from the code.
//
// In a printed answer `…` stands for any text (tokens, ids, times). A JSON answer matches when it
// has the same keys and the same values, `…` aside (a bare `…` as a value: any value). Blocks made
// only of npm commands (`npm run dev`, `npm test`) are not pasted: CI runs those itself. The whole
// walkthrough is pasted twice on one `npm run dev`, as a newcomer runs it again; the README's emails
// get a fresh suffix per pass, so that sign-up answers 201 again. `npm run -s code -- <address>`
// in a block reads the codes of this check's own `npm run dev` (its DEV_DATA_DIR, set in the shell).
// Its `npm run dev` is its own (scripts/own-dev-server.mjs): on free ports unless PORT /
// COGNITO_LOCAL_PORT are set, with a data folder of its own; the README's 127.0.0.1:8787 becomes that port.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startOwnDevServer } from "./own-dev-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const README_API = "http://127.0.0.1:8787";
const STEP_TIMEOUT_MS = 60_000;
/** The README sections pasted, in this order: each continues from the one before. */
const SECTIONS = ["Quickstart", "Account security", "Brokerage accounts", "Funding and trading"];

let passed = 0;
let failed = 0;
function check(label, problem) {
  if (problem) {
    failed += 1;
    console.log(`quickstart FAILED: ${label}\n${problem.replace(/^/gm, "    ")}`);
  } else {
    passed += 1;
    console.log(`quickstart ok: ${label}`);
  }
}

/** The fenced sh blocks of the README's section whose "## " heading starts with `heading`. */
function shellBlocks(readme, heading) {
  const section = new RegExp(`^## ${heading}.*\n([\\s\\S]*?)(?=^## )`, "m").exec(readme)?.[1];
  if (!section) throw new Error(`README.md has no "## ${heading}" section`);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1].trimEnd().split("\n"));
}

/**
 * A block's steps: the command lines, then the `# ` lines right under them (its printed answer).
 * Comment lines before a command are prose; a blank line ends a step.
 */
function stepsOf(lines) {
  const steps = [];
  let step;
  for (const line of lines) {
    const comment = /^\s*#\s?(.*)$/.exec(line);
    if (!line.trim()) step = undefined;
    else if (comment) {
      if (step) step.expected.push(comment[1]);
    } else {
      if (!step || step.expected.length) steps.push((step = { command: [], expected: [] }));
      step.command.push(line);
    }
  }
  return steps;
}

const isNpmOnly = (lines) => lines.every((line) => !line.trim() || line.trim().startsWith("#") || /^npm /.test(line.trim()));

/** `…` in a printed string stands for any text. */
function textMatches(expected, actual) {
  if (typeof actual !== "string") return false;
  const pattern = expected
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${pattern}$`, "s").test(actual);
}

/** A bare `…` as a printed JSON value (`"expires_in":…`) stands for any value: seconds left, for one. */
const ANY_VALUE = "\u0000any value";
const parsePrinted = (line) => JSON.parse(line.replace(/(:\s*)…(?=\s*[,}\]])/g, `$1${JSON.stringify(ANY_VALUE)}`));

/** Where `actual` differs from the printed JSON `expected`, or undefined. */
function jsonDifference(expected, actual, at = "") {
  if (expected === ANY_VALUE) return undefined;
  if (typeof expected === "string") return textMatches(expected, actual) ? undefined : `${at || "value"}: ${JSON.stringify(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${at || "value"}: ${JSON.stringify(actual)}`;
    return expected.map((item, i) => jsonDifference(item, actual[i], `${at}[${i}]`)).find(Boolean);
  }
  if (expected && typeof expected === "object") {
    if (!actual || typeof actual !== "object" || Array.isArray(actual)) return `${at || "value"}: ${JSON.stringify(actual)}`;
    const keys = (object) => Object.keys(object).sort().join(",");
    if (keys(expected) !== keys(actual)) return `${at || "keys"}: {${keys(actual)}} instead of {${keys(expected)}}`;
    return Object.keys(expected)
      .map((key) => jsonDifference(expected[key], actual[key], at ? `${at}.${key}` : key))
      .find(Boolean);
  }
  return expected === actual ? undefined : `${at || "value"}: ${JSON.stringify(actual)}`;
}

const shorten = (text) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

/** Why the printed answer and the actual output differ, or undefined when they match. */
function answerDifference(expected, actual) {
  if (expected.length !== actual.length) return `expected ${expected.length} line(s):\n${expected.join("\n")}\ngot:\n${actual.map(shorten).join("\n")}`;
  for (const [i, line] of expected.entries()) {
    let printedJson;
    try {
      printedJson = parsePrinted(line);
    } catch {
      // not JSON: compared as text
    }
    let difference;
    if (printedJson === undefined) difference = textMatches(line, actual[i]) ? undefined : `line ${i + 1} differs`;
    else {
      try {
        difference = jsonDifference(printedJson, JSON.parse(actual[i]));
      } catch {
        difference = `line ${i + 1} is not JSON`;
      }
    }
    if (difference) return `${difference}\nexpected: ${line}\ngot:      ${shorten(actual[i])}`;
  }
  return undefined;
}

/** A bash into which steps are pasted one at a time, as into a second terminal; `env` added to its environment. */
function startShell(env) {
  const shell = spawn("bash", ["--noprofile", "--norc"], { cwd: root, stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, ...env } });
  const reader = createInterface({ input: shell.stdout, crlfDelay: Infinity });
  let pending;
  reader.on("line", (line) => pending?.(line));
  shell.stdin.write("exec 2>&1\n");
  let count = 0;
  return {
    run(command) {
      const marker = `__quickstart_step_${++count}_done__`;
      return new Promise((resolve, reject) => {
        const output = [];
        const timer = setTimeout(() => reject(new Error(`no end within ${STEP_TIMEOUT_MS / 1000} s; output so far:\n${output.join("\n")}`)), STEP_TIMEOUT_MS);
        pending = (line) => {
          if (line !== marker) return output.push(line);
          clearTimeout(timer);
          pending = undefined;
          resolve(output.map((text) => text.trimEnd()).filter(Boolean));
        };
        shell.stdin.write(`${command}\nprintf '\\n%s\\n' '${marker}'\n`);
      });
    },
    close: () => shell.stdin.end(),
  };
}

// `--page FILE` (repeatable): every sh block of those pages instead, in order (a draft, a docs page).
const { values: options } = parseArgs({ options: { page: { type: "string", multiple: true } } });
const everyBlock = (text) => [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1].trimEnd().split("\n"));
const blocks = options.page
  ? options.page.flatMap((file) => everyBlock(readFileSync(path.resolve(file), "utf8")).map((lines, i) => ({ label: `${path.basename(file)} block ${i + 1}`, lines })))
  : SECTIONS.flatMap((section) => shellBlocks(readFileSync(path.join(root, "README.md"), "utf8"), section).map((lines, i) => ({ label: `${section} block ${i + 1}`, lines })));
const runnable = blocks.filter(({ lines }) => !isNpmOnly(lines));
console.log(`quickstart: ${blocks.length} shell blocks in ${options.page ? options.page.join(", ") : `README.md (${SECTIONS.join(", ")})`}, ${runnable.length} to paste`);

const PASSES = 2;
const readmeEmails = [...new Set(runnable.flatMap(({ lines }) => lines).join("\n").match(/[\w.+-]+@example\.com/g) ?? [])];

let dev;
try {
  dev = await startOwnDevServer();
  check(`npm run dev (its own) answers on ${dev.base}/`);
} catch (error) {
  check("npm run dev (its own) answers", error.message);
}

if (dev) {
  const shell = startShell({ DEV_DATA_DIR: dev.dataDir });
  try {
    for (let pass = 1; pass <= PASSES; pass++) {
      // A fresh address per pass for each one the blocks use, so that sign-up answers 201 every time
      // (replaced URL-encoded too, as an otpauth:// URI has it).
      const run = `${Date.now().toString(36)}${pass}`;
      const emails = new Map(readmeEmails.map((email) => [email, email.replace("@", `-${run}@`)]));
      const localise = (text) => {
        let result = text.replaceAll(README_API, dev.base);
        for (const [email, fresh] of emails) result = result.replaceAll(email, fresh).replaceAll(encodeURIComponent(email), encodeURIComponent(fresh));
        return result;
      };
      for (const { label: blockLabel, lines } of runnable) {
        for (const step of stepsOf(lines)) {
          const label = `pass ${pass}, ${blockLabel}: ${step.command[0].trim().slice(0, 90)}`;
          try {
            const actual = await shell.run(localise(step.command.join("\n")));
            check(label, answerDifference(step.expected.map(localise), actual));
          } catch (error) {
            check(label, error.message);
            throw error;
          }
        }
      }
    }
  } catch {
    // a step that never ended: the shell is unusable, the rest is not run
  } finally {
    shell.close();
  }

  const devOutput = dev.lines.join("\n");
  check("dev console: no wrangler request lines beside the Worker's", /^\[wrangler:info\] [A-Z]+ \S+ \d{3} /m.test(devOutput) ? devOutput : undefined);
  check("dev console: JSON request lines when not a terminal", /^\{"level":"info","message":"request",/m.test(devOutput) ? undefined : devOutput);
  check("dev console: no ANSI codes when not a terminal", /\x1b\[/.test(devOutput) ? devOutput : undefined);
  check("dev console: no AWS SDK end-of-support notice", /end-of-support/.test(devOutput) ? devOutput : undefined);
  // The expected 502s (sessions_not_ended) among them: a log line like any other.
  check("dev console: the Worker's error lines are one JSON line each, without wrangler's ✘ [ERROR]", /✘ \[ERROR\] \{/.test(devOutput) ? devOutput : undefined);
  check("dev console: no sign-up confirmation code printed, AUTO_CONFIRM being on", /sign-up confirmation code/.test(devOutput) ? devOutput : undefined);
  check("npm run dev stops on Ctrl-C within 10 s", (await dev.stop()) ? undefined : "still running after 10 s: killed");
}

console.log(`quickstart: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
