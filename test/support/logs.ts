// The Worker's request log lines, as a test sees them.
import { onTestFinished, vi } from "vitest";

/** Captures the console from now to the end of the test; the getter parses the request lines written so far. */
export function requestLog(): () => Record<string, unknown>[] {
  const lines: string[] = [];
  for (const method of ["log", "info", "warn", "error"] as const) {
    const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    onTestFinished(() => spy.mockRestore());
  }
  return () =>
    lines.flatMap((line) => {
      if (!line.startsWith("{")) return [];
      const entry = JSON.parse(line) as Record<string, unknown>;
      return entry.message === "request" ? [entry] : [];
    });
}

/** Every console line from now to the end of the test, as written (request lines and every other), for scans of what must never be logged. */
export function consoleLines(): string[] {
  const lines: string[] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    onTestFinished(() => spy.mockRestore());
  }
  return lines;
}
