// Turns one run of `npm run bench` (the object written to bench/results.json) into the printed
// table, the generated part of bench/results.md, the goals verdicts and bench/results.svg.

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** { median, min, max } of a list of samples. */
export function spread(samples) {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
const ratio = (value) => `${fixed(value, 2)}x`;
const range = (s, digits = 1) => `${fixed(s.min, digits)}-${fixed(s.max, digits)}`;

const TARGET_NAMES = { api: "this API", forwarder: "minimal forwarder", forwarderLogging: "forwarder + 1 log line", direct: "direct to emulator" };

function cell(http, route, target, concurrency) {
  return http.cells.find((c) => c.route === route && c.target === target && c.concurrency === concurrency);
}

/** Each goal of issues 10 and 22 with what this run measured, met or not, and by how much. */
export function evaluateGoals(results) {
  const verification = Object.fromEntries(results.verification.rows.map((row) => [row.name, row]));
  const login = results.appCpu.rows.find((row) => row.route === "POST /platform/login");
  const goals = [];
  const add = (goal, target, measured, met, margin) => goals.push({ goal, target, measured, met, margin });

  const first = verification["ours, first sight"].ratioToFloor.median;
  add("first-seen token vs floor", "<= 1.20x", ratio(first), first <= 1.2, first <= 1.2 ? `${ratio(1.2 - first)} to spare` : `${ratio(first - 1.2)} over (${fixed((first - 1.2) * verification.floor.usPerToken.median)} us per token too slow)`);
  // Issue 22: what ours adds to the signature costs no more than what jose adds; round by round.
  const jose = verification["jose jwtVerify"];
  const toJose = median(verification["ours, first sight"].samples.map((value, round) => value / jose.samples[round]));
  add("first-seen token vs jose jwtVerify", "<= 1.00x", ratio(toJose), toJose <= 1, toJose <= 1 ? `${ratio(1 - toJose)} to spare` : `${ratio(toJose - 1)} over (${fixed((toJose - 1) * jose.usPerToken.median)} us per token too slow)`);
  const repeated = verification["ours, repeated"].ratioToFloor.median;
  add("repeated token vs floor", "<= 0.20x", ratio(repeated), repeated <= 0.2, repeated <= 0.2 ? `${ratio(0.2 - repeated)} to spare` : `${ratio(repeated - 0.2)} over (${fixed((repeated - 0.2) * verification.floor.usPerToken.median)} us per token too slow)`);
  const cpu = login.ratio.median;
  add("app CPU per log-in vs bare Hono", "<= 1.50x", ratio(cpu), cpu <= 1.5, cpu <= 1.5 ? `${ratio(1.5 - cpu)} to spare` : `${ratio(cpu - 1.5)} over (${fixed((cpu - 1.5) * login.bare.median, 0)} us per log-in too much)`);

  const api1 = cell(results.http, "POST /platform/login", "api", 1);
  const fwd1 = cell(results.http, "POST /platform/login", "forwarder", 1);
  if (api1?.requests && fwd1?.requests) {
    const gap = api1.p50Ms - fwd1.p50Ms;
    add("log-in p50 at c=1 vs forwarder", "<= +2.0 ms", `${gap >= 0 ? "+" : ""}${fixed(gap, 1)} ms (${fixed(api1.p50Ms)} vs ${fixed(fwd1.p50Ms)} ms)`, gap <= 2, gap <= 2 ? `${fixed(2 - gap)} ms to spare` : `${fixed(gap - 2)} ms over`);
  } else {
    add("log-in p50 at c=1 vs forwarder", "<= +2.0 ms", "no answer", false, "not measured: a cell got no answer");
  }
  const api10 = cell(results.http, "POST /platform/login", "api", 10);
  const fwd10 = cell(results.http, "POST /platform/login", "forwarder", 10);
  if (api10?.requests && fwd10?.requests) {
    const share = api10.rps / fwd10.rps;
    add("log-in req/s at c=10 vs forwarder", ">= 0.90x", `${ratio(share)} (${fixed(api10.rps, 0)} vs ${fixed(fwd10.rps, 0)} req/s)`, share >= 0.9, share >= 0.9 ? `${ratio(share - 0.9)} to spare` : `${ratio(0.9 - share)} short (${fixed(0.9 * fwd10.rps - api10.rps, 0)} req/s)`);
  } else {
    add("log-in req/s at c=10 vs forwarder", ">= 0.90x", "no answer", false, "not measured: a cell got no answer");
  }
  const worst = results.roundTrips.routes.reduce((a, b) => (b.perRequest.limiterWaves > a.perRequest.limiterWaves ? b : a));
  add("limiter round trips one after another", "<= 1 per route", `${fixed(worst.perRequest.limiterWaves, 0)} (${worst.route})`, worst.perRequest.limiterWaves <= 1, worst.perRequest.limiterWaves <= 1 ? "met on every route" : `${fixed(worst.perRequest.limiterWaves - 1, 0)} sequential limiter call(s) too many`);
  return goals;
}

function upstreamText(upstream) {
  const entries = Object.entries(upstream);
  if (entries.length === 0) return "0";
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return `${fixed(total, total % 1 ? 2 : 0)} (${entries.map(([action, count]) => (count === 1 ? action : `${action} x${fixed(count, count % 1 ? 2 : 0)}`)).join(", ")})`;
}

/** Markdown tables of one run; also printed (they read fine as plain text). */
export function renderTables(results) {
  const { environment: env, settings } = results;
  const out = [];
  out.push(
    `Run ${results.date} in ${fixed(results.durationSeconds, 0)} s: Node ${env.node}, wrangler ${env.wrangler}, workerd ${env.workerd}, ${env.loadGenerator}; ${env.cores} cores (${env.cpuModel}), load average ${env.loadAverageAtStart.map((v) => fixed(v, 2)).join(" ")} at start.`,
    "",
  );

  out.push(`Clock for the in-workerd figures: ${settings.clock}.`, "");
  out.push(`### Token verification inside workerd (us per token; median of ${settings.rounds} interleaved rounds, min-max)`, "");
  out.push("| verifier | us per token | rounds | x floor (median, min-max) | tokens per round |", "|---|---:|---:|---:|---:|");
  for (const row of results.verification.rows) {
    out.push(`| ${row.name} | ${fixed(row.usPerToken.median)} | ${range(row.usPerToken)} | ${ratio(row.ratioToFloor.median)} (${range(row.ratioToFloor, 2)}) | ${row.iterations} |`);
  }
  out.push("");

  out.push(`### App CPU per request inside workerd (us per request; median of ${settings.rounds} rounds, min-max)`, "");
  out.push("| route | this API | rounds | bare Hono | rounds | x bare (median, min-max) |", "|---|---:|---:|---:|---:|---:|");
  for (const row of results.appCpu.rows) {
    out.push(`| ${row.route} | ${fixed(row.ours.median, 0)} | ${range(row.ours, 0)} | ${fixed(row.bare.median, 0)} | ${range(row.bare, 0)} | ${ratio(row.ratio.median)} (${range(row.ratio, 2)}) |`);
  }
  out.push("");

  out.push("### Round trips per request, counted (this API; Cognito, the Broker API and limiters stubbed in the isolate, D1 real)", "");
  out.push(
    "Upstream: Cognito and Broker API calls by action. D1: round trips (a statement run alone, or a batch). Target: what `test/budgets.test.ts` holds the route to.",
    "",
    "| route | upstream, first request | upstream, each request after | D1, first | D1, each after | target | limiter calls | limiter waves (one after another) | log lines |",
    "|---|---|---|---:|---:|---|---:|---:|---:|",
  );
  const trips = (value) => (value === undefined ? "-" : fixed(value, value % 1 ? 2 : 0));
  for (const row of results.roundTrips.routes) {
    out.push(
      `| ${row.route} | ${upstreamText(row.firstRequest.upstream)} | ${upstreamText(row.perRequest.upstream)} | ${trips(row.firstRequest.d1Trips)} | ${trips(row.perRequest.d1Trips)} | ${row.target ?? "-"} | ${fixed(row.perRequest.limiterCalls, 0)} | ${fixed(row.perRequest.limiterWaves, 0)} | ${fixed(row.perRequest.logLines, 0)} |`,
    );
  }
  const jwks = results.roundTrips.jwksFetches;
  out.push("", `JWKS fetches over the whole run: ${jwks.http} by \`wrangler dev\` over HTTP (counted at the JWKS server), ${jwks.inIsolate} in the isolate (inline COGNITO_JWKS).`, "");

  const http = results.http;
  out.push(`### End to end over HTTP (${http.tool}, ${http.seconds} s per cell)`, "");
  out.push(
    "Server CPU: CPU time of the serving processes (the whole `wrangler dev` tree, or the emulator) per request.",
    "",
    "| route | c | target | req/s | p50 ms | p99 ms | server CPU us/req | req/s vs forwarder | p50 vs forwarder |",
    "|---|---:|---|---:|---:|---:|---:|---:|---:|",
  );
  const names = TARGET_NAMES;
  for (const route of http.routes) {
    for (const concurrency of http.concurrency) {
      const fwd = cell(http, route, "forwarder", concurrency);
      for (const target of ["api", "forwarder", "forwarderLogging", "direct"]) {
        const c = cell(http, route, target, concurrency);
        if (!c) continue;
        if (c.requests === 0) {
          out.push(`| ${route} | ${concurrency} | ${names[target]} | 0 | no answer within the cell |  |  |  |  |`);
          continue;
        }
        const versus = fwd?.requests && target !== "forwarder";
        out.push(
          `| ${route} | ${concurrency} | ${names[target]}${c.errors ? ` (**${c.errors} errors**)` : ""} | ${fixed(c.rps, 0)} | ${fixed(c.p50Ms)} | ${fixed(c.p99Ms)} | ${c.serverCpuUs === undefined ? "-" : fixed(c.serverCpuUs, 0)} | ${versus ? ratio(c.rps / fwd.rps) : ""} | ${versus ? `${c.p50Ms >= fwd.p50Ms ? "+" : ""}${fixed(c.p50Ms - fwd.p50Ms)} ms` : ""} |`,
        );
      }
    }
  }
  out.push("");

  const s = results.startup;
  out.push("### Start-up", "");
  out.push(`Worker bundle ${fixed(s.rawBytes / 1024)} KiB minified, **${fixed(s.gzipBytes / 1024)} KiB gzip** (budget ${fixed(s.budgetBytes / 1024)} KiB). \`wrangler check startup\` (minified): ${fixed(s.startupCpuMs.median)} ms active CPU, median of ${s.startupCpuMs.samples.length} (${s.startupCpuMs.samples.map((v) => fixed(v)).join(", ")}).`, "");

  out.push("### Goals (issues 10 and 22)", "");
  out.push("| goal | target | measured | verdict |", "|---|---|---|---|");
  for (const goal of results.goals) out.push(`| ${goal.goal} | ${goal.target} | ${goal.measured} | ${goal.met ? "met" : "**not met**"}: ${goal.margin} |`);
  out.push("");
  return out.join("\n");
}

const escapeXml = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Horizontal bars with min-max whiskers, one panel per measurement; plain SVG text. */
export function renderSvg(results) {
  const width = 960;
  const labelWidth = 290;
  const plotWidth = width - labelWidth - 180;
  const barHeight = 16;
  const gap = 6;
  const parts = [];
  let y = 10;

  const panel = (title, unit, bars, reference) => {
    const max = Math.max(...bars.filter((bar) => !bar.group).map((bar) => bar.max ?? bar.value)) * 1.05 || 1;
    const x = (value) => labelWidth + (value / max) * plotWidth;
    parts.push(`<text x="10" y="${y + 16}" class="title">${escapeXml(title)}</text>`);
    y += 28;
    const top = y;
    for (const bar of bars) {
      if (bar.group) {
        parts.push(`<text x="10" y="${y + 12}" class="group">${escapeXml(bar.group)}</text>`);
        y += barHeight + 2;
        continue;
      }
      parts.push(`<text x="${labelWidth - 8}" y="${y + 12}" class="label" text-anchor="end">${escapeXml(bar.label)}</text>`);
      parts.push(`<rect x="${labelWidth}" y="${y}" width="${Math.max(1, x(bar.value) - labelWidth).toFixed(1)}" height="${barHeight}" fill="${bar.color}"/>`);
      if (bar.min !== undefined) {
        const mid = y + barHeight / 2;
        parts.push(`<path d="M${x(bar.min).toFixed(1)} ${mid}H${x(bar.max).toFixed(1)}M${x(bar.min).toFixed(1)} ${mid - 4}v8M${x(bar.max).toFixed(1)} ${mid - 4}v8" class="whisker"/>`);
      }
      parts.push(`<text x="${(x(bar.max ?? bar.value) + 6).toFixed(1)}" y="${y + 12}" class="value">${escapeXml(bar.text)}</text>`);
      y += barHeight + gap;
    }
    if (reference) {
      parts.push(`<path d="M${x(reference.value).toFixed(1)} ${top - 3}V${y - gap + 3}" class="reference"/>`);
      parts.push(`<text x="${(x(reference.value) + 3).toFixed(1)}" y="${y + 10}" class="note">${escapeXml(reference.label)}</text>`);
    }
    parts.push(`<text x="${labelWidth}" y="${y + (reference ? 24 : 10)}" class="note">${escapeXml(unit)}</text>`);
    y += reference ? 44 : 30;
  };

  const colors = { floor: "#7f7f7f", ours: "#d9534f", other: "#5b8ff9", bare: "#7f7f7f", api: "#d9534f", forwarder: "#5b8ff9", forwarderLogging: "#9bb8fb", direct: "#7f7f7f" };
  const verification = results.verification.rows;
  const floor = verification.find((row) => row.name === "floor");
  panel(
    `Token verification inside workerd, us per token (median, whiskers min-max over ${results.settings.rounds} rounds)`,
    "us per token; x = ratio to the floor",
    verification.map((row) => ({
      label: row.name,
      value: row.usPerToken.median,
      min: row.usPerToken.min,
      max: row.usPerToken.max,
      color: row.name === "floor" ? colors.floor : row.name.startsWith("ours") ? colors.ours : colors.other,
      text: `${fixed(row.usPerToken.median)} us (${ratio(row.ratioToFloor.median)})`,
    })),
    floor && { value: floor.usPerToken.median, label: "floor" },
  );
  panel(
    "App CPU per request inside workerd, us (this API vs a bare Hono app making the same Cognito calls)",
    "us per request",
    results.appCpu.rows.flatMap((row) => [
      { label: `${row.route}: this API`, value: row.ours.median, min: row.ours.min, max: row.ours.max, color: colors.ours, text: `${fixed(row.ours.median, 0)} us (${ratio(row.ratio.median)})` },
      { label: `${row.route}: bare Hono`, value: row.bare.median, min: row.bare.min, max: row.bare.max, color: colors.bare, text: `${fixed(row.bare.median, 0)} us` },
    ]),
  );
  const http = results.http;
  panel(
    `End to end over HTTP, req/s (${http.tool}, ${http.seconds} s per cell; p50 in ms)`,
    "requests per second",
    http.routes.flatMap((route) =>
      http.concurrency.flatMap((concurrency) => {
        const cells = ["api", "forwarder", "forwarderLogging", "direct"].map((target) => cell(http, route, target, concurrency)).filter(Boolean);
        return [
          { group: `${route}, c=${concurrency}` },
          ...cells.map((c) => ({ label: TARGET_NAMES[c.target], value: c.rps, color: colors[c.target], text: c.requests ? `${fixed(c.rps, 0)} req/s, p50 ${fixed(c.p50Ms)} ms` : "no answer within the cell" })),
        ];
      }),
    ),
  );

  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
    "<style>.title{font-size:14px;font-weight:600}.group{font-size:12px;font-weight:600;fill:#333}.label,.value{font-size:12px}.note{font-size:11px;fill:#666}.whisker{stroke:#222;stroke-width:1.2;fill:none}.reference{stroke:#222;stroke-dasharray:4 3}</style>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...parts,
    `<text x="${width - 10}" y="${height - 8}" class="note" text-anchor="end">${escapeXml(`npm run bench, ${results.date}, ${results.environment.cores} cores`)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}

export const GENERATED_BEGIN = "<!-- npm run bench: generated from here -->";
export const GENERATED_END = "<!-- npm run bench: generated up to here -->";

/** bench/results.md with the generated part replaced; what is written around it by hand is kept. */
export function updateResultsMarkdown(previous, results) {
  const generated = `${GENERATED_BEGIN}\n\n${renderTables(results)}\n${GENERATED_END}`;
  const begin = previous?.indexOf(GENERATED_BEGIN) ?? -1;
  const end = previous?.indexOf(GENERATED_END) ?? -1;
  if (begin >= 0 && end > begin) return previous.slice(0, begin) + generated + previous.slice(end + GENERATED_END.length);
  return `# Benchmark results\n\n${generated}\n`;
}
