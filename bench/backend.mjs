// `npm run bench:backend`: partner-server's throughput and latency, measured with the
// backend-bench load client (Rust) against release builds on loopback: the standalone
// simulator as its own process, SQLite with one instance, PostgreSQL with one, two and three
// instances behind the client's round robin. Each checkout is a checkout session and an
// authorization Klarna approves at once: two writes and a Klarna call, all durable. Writes
// bench/BACKEND.md and bench/backend.json. Bounded (a few minutes).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary, startPostgres, freshPostgres } from "../tests/e2e/support.mjs";

const root = new URL("../", import.meta.url).pathname;
const PROFILE = "server";
const API_KEY = "klarna_test_api_bench_0123456789";
const CONCURRENCY = [1, 8, 64];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const started = Date.now();
const log = (text) => console.log(`[bench:backend ${((Date.now() - started) / 1000).toFixed(0)}s] ${text}`);

log("building release binaries (the server profile)");
execFileSync("cargo", ["build", "--locked", "--profile", PROFILE, "-p", "partner-server", "-p", "klarna-sim", "-p", "backend-bench"], { cwd: root, stdio: "inherit" });

const dir = mkdtempSync(join(tmpdir(), "kpb-bench-"));
const sim = await startBinary("klarna-sim", ["--port", "0", "--api-port", "0", "--api-key", API_KEY], {
  profile: PROFILE,
  waitFor: /partner API[^\n]*?(http:\/\/127\.0\.0\.1:\d+)/,
  env: { RUST_LOG: "warn" },
});
const simApi = sim.extra[1];

async function backends(databaseUrl, count) {
  const started = [];
  for (let n = 0; n < count; n++) {
    started.push(await startBinary("partner-server", [
      "--port", "0", "--database-url", databaseUrl, "--instance-id", `bench-${n}`, "--cookie-secret", "bench-cookie-secret-0123456789abcdef",
      "--klarna-base-url", simApi, "--klarna-api-key", API_KEY, "--klarna-simulator",
      "--webhook-signing-key", "bench=bench-signing-key-0123456789", "--max-connections", "4096",
    ], { profile: PROFILE, env: { RUST_LOG: "warn" } }));
  }
  return started;
}

function load(targets, concurrency) {
  const args = targets.flatMap((t) => ["--target", t.url]).concat(["--concurrency", String(concurrency), "--warmup", "2", "--seconds", String(SECONDS)]);
  const out = execFileSync(`${root}target/${PROFILE}/backend-bench`, args, { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop());
}

const results = [];
async function measure(label, databaseUrl, instances) {
  const running = await backends(databaseUrl, instances);
  try {
    for (const concurrency of CONCURRENCY) {
      const figures = load(running, concurrency);
      results.push({ setup: label, instances, ...figures });
      log(`${label}, ${instances} instance(s), concurrency ${concurrency}: ${figures.checkouts_per_second.toFixed(0)}/s, p50 ${figures.authorize_p50_ms.toFixed(1)} ms, p99 ${figures.authorize_p99_ms.toFixed(1)} ms, ${figures.errors} errors`);
    }
  } finally {
    for (const backend of running) backend.stop();
  }
}

let postgres = null;
try {
  await measure("SQLite", `sqlite://${join(dir, "bench.sqlite3")}`, 1);
  postgres = startPostgres();
  process.env.TEST_DATABASE_URL = postgres.url;
  for (const instances of [1, 2, 3]) await measure("PostgreSQL", freshPostgres(), instances);
} finally {
  sim.stop();
  postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
}

const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
const rows = results.map((r) => `| ${r.setup} | ${r.instances} | ${r.concurrency} | ${r.checkouts_per_second.toFixed(0)} | ${r.authorize_p50_ms.toFixed(1)} | ${r.authorize_p99_ms.toFixed(1)} | ${r.errors} |`);
writeFileSync(new URL("backend.json", import.meta.url), JSON.stringify({ date: new Date().toISOString(), machine, seconds: SECONDS, results }, null, 2) + "\n");
writeFileSync(new URL("BACKEND.md", import.meta.url), `# partner-server: throughput and latency

Measured by \`npm run bench:backend\` on ${new Date().toISOString().slice(0, 10)}: ${machine}; everything on this
one machine (the load client, the simulator, the backends and PostgreSQL share its cores).
Release builds (\`--profile server\`). Each checkout is \`POST /api/checkout-sessions\` and
\`POST /api/authorize-payment\`, which the simulator approves at once: two durable writes
(three commits: the session, the attempt before Klarna is called, Klarna's outcome) and a
Klarna call per checkout. Throughput is checkouts per second over ${SECONDS} s after a 2 s
warm-up; the latencies are of the authorize call. SQLite: WAL, \`synchronous=FULL\`, group
commit by one writer on a thread of its own. PostgreSQL 15: \`fsync=on\`,
\`synchronous_commit=on\`, one database per row group.

Where the time goes at concurrency 64 on SQLite (a \`perf\` profile of the backend): the
writer is busy nearly all the time. Every write is a few statements (with the savepoint that
keeps a failed write apart from the others of its group), and each statement is a round trip
to sqlx's SQLite worker thread; the commit and fsync of each group is the smaller part. The rest of the
backend's time is HTTP (axum, hyper, the call to the simulator), allocation and the kernel's
thread switches.

| database | instances | concurrency | checkouts/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|---|
${rows.join("\n")}

Rerun: \`npm run bench:backend\` (\`BENCH_SECONDS=30\` for longer runs). Raw figures: \`bench/backend.json\`.
`);
log("bench/BACKEND.md written");
