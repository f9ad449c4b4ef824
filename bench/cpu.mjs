// CPU time that processes spent on a core, read from Linux's /proc (per-thread schedstat, in ns).
// Unlike wall-clock time it does not count the time a process waited for a core, so figures hold on
// a machine that other jobs share. Elsewhere (no /proc) the bench falls back to wall-clock time.
import { existsSync, readFileSync, readdirSync } from "node:fs";

export const cpuClockAvailable = existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`);

function read(file) {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined; // the process or thread is gone
  }
}

/** Every process as { pid, ppid, name }. */
function processes() {
  const list = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    // "pid (name) state ppid ...": the name may hold spaces and parentheses, so split at the last ")".
    const close = stat?.lastIndexOf(")") ?? -1;
    if (!stat || close < 0) continue;
    list.push({ pid: Number(entry), name: stat.slice(stat.indexOf("(") + 1, close), ppid: Number(stat.slice(close + 2).split(" ")[1]) });
  }
  return list;
}

/** `root` and all its descendants. */
export function processTree(root) {
  const all = processes();
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const p of all) if (p.ppid === tree[i]) tree.push(p.pid);
  return tree;
}

/** The direct children of `parent` named `name`, with their descendants. */
export function childrenNamed(parent, name) {
  return processes()
    .filter((p) => p.ppid === parent && p.name === name)
    .flatMap((p) => processTree(p.pid));
}

/** Nanoseconds on a core, summed over every thread of the processes. */
export function cpuNs(pids) {
  let total = 0;
  for (const pid of pids) {
    let tasks;
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      const schedstat = read(`/proc/${pid}/task/${task}/schedstat`);
      if (schedstat) total += Number(schedstat.split(" ")[0]);
    }
  }
  return total;
}

/** The processes named `name` among `root` and its descendants (the workerd that a `wrangler dev` runs). */
export function namedInTree(root, name) {
  const tree = new Set(processTree(root));
  return processes()
    .filter((p) => tree.has(p.pid) && p.name === name)
    .map((p) => p.pid);
}
