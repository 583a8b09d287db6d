// `npm run bench`: the package (pkg/) against a plain-JavaScript implementation of the same
// contract (bench/baseline/button.js, never shipped), measured side by side in one run of
// headless Chromium: gzip and brotli bytes, cold start (fresh pages to a built config), the
// cost of one `initiate` per outcome kind (fetch stubbed), and memory after 100,000 calls.
// Writes bench/results.json, bench/REPORT.md and bench/chart.svg. It prints figures; it asserts
// nothing about them. It does check, before timing, that both give the same results.
//
//   node bench/run.mjs [--no-build]     (--no-build: measure the pkg/ that is there)
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem, type as osType, release } from "node:os";
import { extname, join, relative } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { minify } from "terser";
import { launchChromium } from "../tests/e2e/support.mjs";

const LIMIT_MS = 10 * 60 * 1000;
const COLD_PAGES = 30;
const CALLS = 10_000;
const BATCH = 100;
const MEMORY_CALLS = 100_000;

const root = new URL("../", import.meta.url).pathname;
const benchDir = join(root, "bench");
const started = Date.now();
const loadAtStart = loadavg()[0];
setTimeout(() => {
  console.error("bench: over 10 minutes; stopped");
  process.exit(1);
}, LIMIT_MS).unref();
const say = (text) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${text}`);

// 1. Build both.
if (!process.argv.includes("--no-build")) {
  say("building pkg/ (scripts/build.sh)");
  execFileSync("bash", ["scripts/build.sh"], { cwd: root, stdio: "inherit" });
}
say("building bench/baseline/dist/button.min.js (terser, as the package's glue)");
mkdirSync(join(benchDir, "baseline/dist"), { recursive: true });
const baselineMin = await minify(readFileSync(join(benchDir, "baseline/button.js"), "utf8"), {
  module: true,
  ecma: 2020,
  compress: { passes: 2 },
  mangle: true,
  format: { comments: false },
});
writeFileSync(join(benchDir, "baseline/dist/button.min.js"), baselineMin.code);

// 2. Bytes a page downloads.
const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
const bytes = (paths, base) => {
  const rows = paths.map((path) => {
    const data = readFileSync(path);
    return {
      file: relative(base, path),
      raw: data.length,
      gzip: gzipSync(data, { level: 9 }).length,
      brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }).length,
    };
  });
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const row of rows) for (const key of Object.keys(total)) total[key] += row[key];
  return { files: rows, total };
};
const pkgDir = join(root, "pkg");
const size = {
  // What every page downloads (react.js is for React pages only, as in `npm run size`).
  package: bytes(files(pkgDir).filter((p) => (p.endsWith(".js") && !p.endsWith("react.js")) || p.endsWith(".wasm")).sort(), pkgDir),
  baseline: bytes([join(benchDir, "baseline/dist/button.min.js")], join(benchDir, "baseline/dist")),
};

// 3. Pages, served from 127.0.0.1 on a free port, never cached.
const IMPORT = {
  package: `import init, { buttonConfig } from "/pkg/klarna_payment_button.js"; const wasm = await init(); window.__wasmMemory = () => wasm.memory.buffer.byteLength;`,
  baseline: `import { buttonConfig } from "/baseline/button.min.js"; window.__wasmMemory = () => 0;`,
};
const BUILD = `buttonConfig("/api/authorize-payment").successUrl("/order/complete").declineUrl("/checkout?declined=1").onOutcome(() => {}).build()`;
const REPLIES = {
  success: [200, { payment_transaction_response: { result: "APPROVED", payment_transaction: { payment_transaction_id: "krn:payment:eu1:transaction:6debe89e", amount: 11800, currency: "USD" } } }],
  "step-up": [200, {
    customer_token_response: { result: "STEP_UP_REQUIRED" },
    payment_request: { payment_request_id: "krn:payment:eu1:request:552603c0-fe8b-4ab1-aacb-41d55fafbdb4", state: "SUBMITTED", state_context: { customer_interaction: { method: "HANDOVER", payment_request_url: "https://pay.test.klarna.com/eu/requests/552603c0/start" } } },
  }],
  decline: [200, { payment_transaction_response: { result: "DECLINED", result_reason: "DECLINED_BY_RISK_ASSESSMENT" } }],
  "error reply": [500, { error_id: "e-77", error_type: "TECHNICAL_ERROR", error_code: "TIMEOUT", error_message: "Request processing timeout." }],
};
const page = (impl, body) => `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">${IMPORT[impl]}\n${body}</script>`;
const PAGES = {
  cold: () => `const config = ${BUILD}; window.__built = performance.now();`,
  calls: () => `
const REPLIES = ${JSON.stringify(REPLIES)};
const PARAMS = { klarnaNetworkSessionToken: "krn:network:us1:test:session-token:abc", paymentOptionId: "option-1" };
const config = ${BUILD};
const stub = (kind) => { const [status, body] = REPLIES[kind]; const text = JSON.stringify(body);
  return () => Promise.resolve(new Response(text, { status, headers: { "content-type": "application/json" } })); };
const once = async () => { try { return JSON.stringify(await config.initiate(PARAMS)); } catch (e) { return e.name + " " + e.code + " " + e.status + " " + e.recoverable + " " + e.message; } };
window.result = async (kind) => { globalThis.fetch = stub(kind); return once(); };
window.run = async (kind, calls, batch) => {
  globalThis.fetch = stub(kind);
  const perCall = [];
  for (let b = 0; b < calls / batch; b++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await once();
    perCall.push(((performance.now() - t0) / batch) * 1000);
  }
  return perCall;
};
window.ready = true;`,
};
const MIME = { ".js": "text/javascript", ".wasm": "application/wasm", ".map": "application/json", ".html": "text/html" };
const server = createServer((request, response) => {
  const path = new URL(request.url, "http://127.0.0.1").pathname;
  const headers = (type) => ({ "Content-Type": type, "Cache-Control": "no-store" });
  const pageMatch = /^\/page\/(package|baseline)\/(cold|calls)\.html$/.exec(path);
  if (pageMatch) {
    response.writeHead(200, headers("text/html"));
    return response.end(page(pageMatch[1], PAGES[pageMatch[2]]()));
  }
  const file = path.startsWith("/pkg/") ? join(pkgDir, path.slice(5)) : path.startsWith("/baseline/") ? join(benchDir, "baseline/dist", path.slice(10)) : null;
  if (file && !relative(root, file).startsWith("..")) {
    try {
      const data = readFileSync(file);
      response.writeHead(200, headers(MIME[extname(file)] ?? "application/octet-stream"));
      return response.end(data);
    } catch {
      // Not there: 404 below.
    }
  }
  response.writeHead(404).end();
  return undefined;
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await launchChromium();
const IMPLS = ["package", "baseline"];
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p95: at(0.95), mean: values.reduce((a, b) => a + b, 0) / values.length, n: values.length };
};

try {
  // 4. Same results first: the comparison is only fair if both do the same.
  const pages = {};
  for (const impl of IMPLS) {
    pages[impl] = await (await browser.newContext()).newPage();
    await pages[impl].goto(`${origin}/page/${impl}/calls.html`);
    await pages[impl].waitForFunction(() => window.ready === true);
  }
  const results = {};
  for (const kind of Object.keys(REPLIES)) {
    const [a, b] = await Promise.all(IMPLS.map((impl) => pages[impl].evaluate((k) => window.result(k), kind)));
    if (a !== b) throw new Error(`bench: the two implementations differ for ${kind}:\n  package:  ${a}\n  baseline: ${b}`);
    results[kind] = a;
  }
  say("both implementations give the same result for every outcome kind");

  // 5. Cold start: fresh context (empty cache) and page each time, the two taking turns.
  const cold = { package: [], baseline: [] };
  for (let i = 0; i < COLD_PAGES; i++) {
    for (const impl of i % 2 ? [...IMPLS].reverse() : IMPLS) {
      const context = await browser.newContext();
      const fresh = await context.newPage();
      await fresh.goto(`${origin}/page/${impl}/cold.html`);
      await fresh.waitForFunction(() => typeof window.__built === "number");
      cold[impl].push(await fresh.evaluate(() => window.__built));
      await context.close();
    }
  }
  say(`cold start: ${COLD_PAGES} fresh pages each`);

  // 6. Per call, per outcome kind: a warm-up, then two rounds of CALLS / 2, taking turns.
  const perCall = {};
  for (const kind of Object.keys(REPLIES)) {
    perCall[kind] = { package: [], baseline: [] };
    for (const impl of IMPLS) await pages[impl].evaluate(([k, n, b]) => window.run(k, n, b), [kind, 1000, BATCH]);
    for (let round = 0; round < 2; round++) {
      for (const impl of round ? [...IMPLS].reverse() : IMPLS) {
        perCall[kind][impl].push(...(await pages[impl].evaluate(([k, n, b]) => window.run(k, n, b), [kind, CALLS / 2, BATCH])));
      }
    }
    say(`per call: ${kind}, ${CALLS} calls each`);
  }

  // 7. Memory: after a warm-up, and after MEMORY_CALLS more, each after a full garbage collection.
  const memory = {};
  for (const impl of IMPLS) {
    const cdp = await pages[impl].context().newCDPSession(pages[impl]);
    const measure = async () => {
      await cdp.send("HeapProfiler.collectGarbage");
      const { usedSize } = await cdp.send("Runtime.getHeapUsage");
      return { jsHeap: usedSize, wasmMemory: await pages[impl].evaluate(() => window.__wasmMemory()) };
    };
    await pages[impl].evaluate(([n, b]) => window.run("success", n, b), [1000, BATCH]);
    const before = await measure();
    await pages[impl].evaluate(([n, b]) => window.run("success", n, b), [MEMORY_CALLS, BATCH]);
    const after = await measure();
    memory[impl] = { before, after, growth: { jsHeap: after.jsHeap - before.jsHeap, wasmMemory: after.wasmMemory - before.wasmMemory } };
    say(`memory: ${impl}, ${MEMORY_CALLS} calls`);
  }

  // 8. Write it down.
  const version = browser.version();
  const machine = {
    cpu: `${cpus()[0]?.model ?? "unknown"} (${cpus().length} cores)`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    os: `${osType()} ${release()}`,
    node: process.version,
    chromium: version,
    loadAverage: `${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (1-minute)`,
  };
  const report = {
    date: new Date().toISOString(),
    machine,
    command: "npm run bench (on a shared machine: flock /tmp/build.lock npm run bench)",
    size,
    coldStartMs: Object.fromEntries(IMPLS.map((impl) => [impl, stats(cold[impl])])),
    perCallMicroseconds: Object.fromEntries(Object.entries(perCall).map(([kind, by]) => [kind, Object.fromEntries(IMPLS.map((impl) => [impl, stats(by[impl])]))])),
    memoryAfter100kCalls: memory,
    results,
    raw: { coldStartMs: cold },
  };
  writeFileSync(join(benchDir, "results.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(benchDir, "chart.svg"), chart(report));
  writeFileSync(join(benchDir, "REPORT.md"), markdown(report));
  console.log(markdown(report));
  say("wrote bench/REPORT.md, bench/results.json and bench/chart.svg");
} finally {
  await browser.close();
  server.close();
}

function ratioRows(report) {
  const rows = [
    ["gzip bytes", report.size.package.total.gzip, report.size.baseline.total.gzip, ""],
    ["brotli bytes", report.size.package.total.brotli, report.size.baseline.total.brotli, ""],
    ["cold start, median", report.coldStartMs.package.median, report.coldStartMs.baseline.median, "ms"],
    ["cold start, p95", report.coldStartMs.package.p95, report.coldStartMs.baseline.p95, "ms"],
  ];
  for (const [kind, by] of Object.entries(report.perCallMicroseconds)) {
    rows.push([`initiate, ${kind}, median`, by.package.median, by.baseline.median, "µs"]);
    rows.push([`initiate, ${kind}, p95`, by.package.p95, by.baseline.p95, "µs"]);
  }
  return rows;
}

function fmt(value, unit) {
  if (unit === "") return value.toLocaleString("en-US");
  return `${value.toFixed(unit === "ms" ? 1 : 1)} ${unit}`;
}

function markdown(report) {
  const lines = [
    "# The package against plain JavaScript",
    "",
    "Written by `npm run bench` (bench/run.mjs); do not edit by hand. The baseline is",
    "`bench/baseline/button.js`, a plain-JavaScript implementation of the same contract (builder",
    "checks, wire contract, outcome table, URL policy, errors), minified with terser as the",
    "package's glue is; it is for comparison only and never shipped. Before timing, the run checks",
    "that both give the same result for every outcome kind.",
    "",
    `Run ${report.date} on ${report.machine.cpu}, ${report.machine.memory}, ${report.machine.os}; Node ${report.machine.node}, headless Chromium ${report.machine.chromium}; load average ${report.machine.loadAverage}.`,
    "Timings move from run to run on a busy machine (per-call ratios by a few tenths); compare runs made under the same load.",
    "Rerun: `npm run bench` (on a shared machine, under its build lock: `flock /tmp/build.lock npm run bench`).",
    "",
    "![package / baseline](chart.svg)",
    "",
    "| | the package | plain JS | ratio |",
    "|---|---|---|---|",
    ...ratioRows(report).map(([what, a, b, unit]) => `| ${what} | ${fmt(a, unit)} | ${fmt(b, unit)} | ${(a / b).toFixed(2)}x |`),
    "",
    `Cold start: a fresh browser context (empty cache) per page, ${COLD_PAGES} pages each, taking turns; the time from`,
    "navigation start to a built config (`performance.now()`), which includes loading the module, and for the",
    "package fetching and compiling the wasm. Per call: `initiate` with `fetch` stubbed to answer at once,",
    `${CALLS.toLocaleString("en-US")} calls per kind in batches of ${BATCH}, after a warm-up; the figures are per call, over batches.`,
    "",
    "## Bytes a page downloads",
    "",
    "| file | raw | gzip | brotli |",
    "|---|---|---|---|",
    ...["package", "baseline"].flatMap((impl) => [
      ...report.size[impl].files.map((f) => `| ${impl === "package" ? "pkg/" : "baseline: "}${f.file} | ${f.raw.toLocaleString("en-US")} | ${f.gzip.toLocaleString("en-US")} | ${f.brotli.toLocaleString("en-US")} |`),
      `| **${impl} total** | ${report.size[impl].total.raw.toLocaleString("en-US")} | **${report.size[impl].total.gzip.toLocaleString("en-US")}** | **${report.size[impl].total.brotli.toLocaleString("en-US")}** |`,
    ]),
    "",
    `## Memory after ${MEMORY_CALLS.toLocaleString("en-US")} calls`,
    "",
    "After a warm-up of 1,000 calls and after 100,000 more (success replies), each after a full garbage collection.",
    "",
    "| | JS heap before | JS heap after | growth | wasm memory before | after | growth |",
    "|---|---|---|---|---|---|---|",
    ...["package", "baseline"].map((impl) => {
      const m = report.memoryAfter100kCalls[impl];
      return `| ${impl} | ${m.before.jsHeap.toLocaleString("en-US")} B | ${m.after.jsHeap.toLocaleString("en-US")} B | ${m.growth.jsHeap.toLocaleString("en-US")} B | ${m.before.wasmMemory.toLocaleString("en-US")} B | ${m.after.wasmMemory.toLocaleString("en-US")} B | ${m.growth.wasmMemory.toLocaleString("en-US")} B |`;
    }),
    "",
    "## What each outcome kind gave (the same for both)",
    "",
    ...Object.entries(report.results).map(([kind, result]) => `- ${kind}: \`${result}\``),
    "",
  ];
  return lines.join("\n");
}

function chart(report) {
  const rows = ratioRows(report).filter(([what]) => !what.endsWith("p95"));
  const width = 760;
  const rowHeight = 30;
  const left = 250;
  const scale = (width - left - 80) / Math.max(2, ...rows.map(([, a, b]) => a / b));
  const height = 60 + rows.length * rowHeight + 30;
  const x = (ratio) => left + ratio * scale;
  const bars = rows
    .map(([what, a, b], i) => {
      const y = 50 + i * rowHeight;
      const ratio = a / b;
      const colour = ratio <= 1.5 ? "#2e7d32" : "#c62828";
      return `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${what}</text><rect x="${left}" y="${y + 3}" width="${(ratio * scale).toFixed(1)}" height="18" fill="${colour}"/><text x="${(x(ratio) + 6).toFixed(1)}" y="${y + 16}">${ratio.toFixed(2)}x</text>`;
    })
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">The package / plain JavaScript (lower is better; green: within 1.5x)</text>
<line x1="${x(1)}" y1="40" x2="${x(1)}" y2="${height - 25}" stroke="#555" stroke-dasharray="4 3"/>
<text x="${x(1)}" y="${height - 10}" text-anchor="middle">1x</text>
<line x1="${x(1.5)}" y1="40" x2="${x(1.5)}" y2="${height - 25}" stroke="#c62828" stroke-dasharray="4 3"/>
<text x="${x(1.5)}" y="${height - 10}" text-anchor="middle">1.5x</text>
${bars}
</svg>
`;
}
