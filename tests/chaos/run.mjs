// `npm run chaos`: the reliability run. The backend (release build, with its kill points) runs
// against the standalone simulator through the fault proxy: killed at each kill point, with
// and without a returning shopper; 300 checkouts through injected faults; the simulator killed
// and restarted from its state file mid-run. For each case it reconciles Klarna's books (the
// simulator's state) with the database's and writes the figures into RELIABILITY.md.
// Bounded (under 10 minutes), loopback only.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { startWorld, waitUntil } from "./world.mjs";
import { randomPlan } from "./proxy.mjs";
import { runCheckouts, killPointCase } from "./scenarios.mjs";

const root = new URL("../../", import.meta.url).pathname;
const started = Date.now();
const PROFILE = "server";
const FAULTS = { http500: 0.05, timeout: 0.02, rateLimited: 0.02, malformed: 0.01, lostReply: 0.05, slow: 0.05 };
const POINTS = ["before-klarna-call", "after-klarna-before-commit", "after-commit-before-reply", "during-final-authorization", "webhook-before-order-update"];

function log(text) {
  console.log(`[chaos ${((Date.now() - started) / 1000).toFixed(0)}s] ${text}`);
}

log("building the release binaries with kill points");
execFileSync("cargo", ["build", "--locked", "--profile", PROFILE, "-p", "partner-server", "-p", "klarna-sim", "--features", "partner-server/kill-points"], {
  cwd: root,
  stdio: "inherit",
});

const rows = [];
/** Records a case: `result` is the final reconciliation; `atPeriod` the orders not settled one
 * sweep period after the last checkout (repeats that met faults again back off: 2 s, 4 s, 8 s…);
 * `settledAfter` how long after that every order had settled. */
function row(name, result, { note = "", atPeriod = result.unsettled, settledAfter = null } = {}) {
  rows.push({ name, ...result, note, atPeriod, settledAfter });
  const bad = result.doubles.length + result.lost.length + result.phantoms.length + result.unsettled.length;
  log(`${name}: ${result.klarnaTransactions} at Klarna, ${result.databaseTransactions} in the database, ${atPeriod.length} not settled after one sweep period${settledAfter === null ? "" : `, all settled ${settledAfter} s later`}, ${bad ? `${bad} PROBLEMS` : "no problem"}`);
}

/** Reconciles `orders` one sweep period after the last checkout, then again once every order
 * has settled (at most two minutes more): losses and doubles are judged on the second. */
async function finalReconcile(world, orders) {
  const first = await world.reconcile(orders);
  const atPeriod = first.unsettled;
  if (atPeriod.length === 0) return { result: first, atPeriod, settledAfter: 0 };
  const since = Date.now();
  await waitUntil("every order to settle", async () => (await world.reconcile(orders)).unsettled.length === 0, 120_000).catch(() => {});
  const result = await world.reconcile(orders);
  const settledAfter = result.unsettled.length ? null : Number(((Date.now() - since) / 1000).toFixed(1));
  return { result, atPeriod, settledAfter };
}

for (const point of POINTS) {
  for (const returning of [true, false]) {
    const result = await killPointCase(point, { returning, profile: PROFILE });
    row(`killed at ${point}, ${returning ? "the shopper returns" : "no returning shopper"}`, result);
  }
}

{
  const world = await startWorld({ profile: PROFILE, plan: randomPlan(FAULTS, 2026) });
  try {
    const orders = await runCheckouts(world, 300, { concurrency: 12 });
    const counts = Object.entries(world.proxy.counts).filter(([, n]) => n > 0).map(([fault, n]) => `${n} ${fault}`).join(", ");
    const { result, atPeriod, settledAfter } = await finalReconcile(world, orders);
    row("300 checkouts through injected faults", result, { note: `of ${world.proxy.calls()} calls to Klarna: ${counts}`, atPeriod, settledAfter });
  } finally {
    await world.stop();
  }
}

{
  const world = await startWorld({ profile: PROFILE, plan: randomPlan({ http500: 0.02, lostReply: 0.02 }, 7) });
  try {
    const restart = new Promise((resolve) => setTimeout(() => world.restartSim().then(resolve), 2_000));
    const orders = await runCheckouts(world, 100, { concurrency: 8 });
    await restart;
    const { result, atPeriod, settledAfter } = await finalReconcile(world, orders);
    row("100 checkouts, the simulator killed and restarted from its state file mid-run", result, { atPeriod, settledAfter });
  } finally {
    await world.stop();
  }
}

const seconds = ((Date.now() - started) / 1000).toFixed(0);
const table = [
  "| case | checkouts | transactions at Klarna | transactions in the database | doubles | losses | unknown to Klarna | not settled after one sweep period | all settled after | never settled | faults |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.name} | ${r.orders} | ${r.klarnaTransactions} | ${r.databaseTransactions} | ${r.doubles.length} | ${r.lost.length} | ${r.phantoms.length} | ${r.atPeriod.length} | ${r.settledAfter === null ? "—" : r.settledAfter === 0 ? "at once" : `${r.settledAfter} s more`} | ${r.unsettled.length} | ${r.note} |`),
].join("\n");
const section = `<!-- chaos:begin -->
Last run: ${new Date().toISOString().slice(0, 10)}, ${seconds} s, on ${cpus().length} cores (\`${cpus()[0]?.model ?? "unknown CPU"}\`), SQLite, release build.
Rerun with \`npm run chaos\`.

${table}

Faults are injected by the proxy between the backend and Klarna: a 500 or a 429 (with
\`Retry-After\`) that Klarna never saw; a timeout (Klarna acted, the reply came after the
backend gave up); a malformed 200 and a lost reply (Klarna acted, its reply was spoilt or the
connection dropped); a latency spike. A checkout's shopper clicks again after any failure the
backend calls recoverable, goes through Klarna's journey on a step-up, and comes back (unless
the case says not). "Not settled" counts orders with money at Klarna that the database does not
show as authorized, an attempt still open, a completed journey still waiting for its final
authorization, or a journey the shopper completed with no transaction at Klarna (an approval
not collected), one sweep period after the last checkout (a kill-point case: 25 s after the
restart; "—": not measured). Repeats that meet faults again back off (2 s, 4 s, 8 s…), so the two long runs are
reconciled again once every order has settled (at most two minutes later): "all settled
after" is how long that took, and the transactions, doubles and losses are of that final
reconciliation; "never settled" counts what was still open after two minutes.
<!-- chaos:end -->`;

const file = new URL("../../RELIABILITY.md", import.meta.url);
const text = readFileSync(file, "utf8");
writeFileSync(file, text.replace(/<!-- chaos:begin -->[\s\S]*<!-- chaos:end -->/, section));
const problems = rows.filter((r) => r.doubles.length + r.lost.length + r.phantoms.length + r.unsettled.length > 0);
log(`done in ${seconds} s; RELIABILITY.md updated; ${problems.length} case(s) with problems`);
process.exit(problems.length ? 1 : 0);
