// A world for reliability tests: the standalone simulator (Klarna, with its state in a file so
// it outlives a restart), the fault proxy in front of its partner API, and partner-server
// pointed at the proxy; shoppers without a browser; and the reconciliation of Klarna's books
// with the database's.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary, client, reader, waitUntil } from "../e2e/support.mjs";
import { startFaultProxy } from "./proxy.mjs";

const root = new URL("../../", import.meta.url).pathname;
export const ACCOUNT = "krn:partner:global:account:test:demo-shop";
const API_KEY = "klarna_test_api_chaos_0123456789";
const SIGNING_KEY = "chaos-webhook-signing-key-0123";

/** Starts the world. `profile` picks the build (debug for `npm test`, server for `npm run chaos`). */
export async function startWorld({
  profile = "debug",
  databaseUrl = null,
  plan = () => null,
  proxyTimeoutMs = 3_000,
  backendArgs = [],
  simArgs = [],
  instances = 1,
} = {}) {
  const dir = mkdtempSync(join(tmpdir(), "kpb-chaos-"));
  const stateFile = join(dir, "klarna-sim.json");
  const simFlags = [
    "--port", "0", "--api-port", "0", "--api-key", API_KEY, "--state-file", stateFile,
    "--signing-key", SIGNING_KEY, "--signing-key-id", "chaos", "--retry-base-ms", "200", ...simArgs,
  ];
  const startSim = (port, apiPort) =>
    startBinary("klarna-sim", simFlags.map((flag, i) => (simFlags[i - 1] === "--port" && port ? String(port) : simFlags[i - 1] === "--api-port" && apiPort ? String(apiPort) : flag)), {
      profile,
      waitFor: /partner API[^\n]*?(http:\/\/127\.0\.0\.1:\d+)/,
    });
  let sim = await startSim();
  const simBrowser = sim.url;
  const simApi = sim.extra[1];
  const proxy = await startFaultProxy(simApi, { plan, timeoutMs: proxyTimeoutMs });
  const database = databaseUrl ?? `sqlite://${join(dir, "partner.sqlite3")}`;
  const db = reader(database);
  // Several instances share the database, the cookie secret and Klarna; each has a port and
  // a name of its own, kept across restarts.
  const backends = Array.from({ length: instances }, () => ({ port: 0, process: null }));
  const cookieSecret = `chaos-cookie-secret-${crypto.randomUUID()}`;

  async function startBackend(slot, env = {}) {
    const n = backends.indexOf(slot);
    slot.process = await startBinary("partner-server", [
      "--port", String(slot.port), "--database-url", database, "--instance-id", `chaos-backend-${n}`,
      "--cookie-secret", cookieSecret,
      "--klarna-base-url", proxy.url, "--klarna-api-key", API_KEY, "--klarna-simulator",
      "--klarna-sdk-url", `${simBrowser}/web-sdk/v2/klarna.mjs`,
      "--webhook-signing-key", `chaos=${SIGNING_KEY}`,
      // Timings for tests; a flag in `backendArgs` replaces its default here.
      ...Object.entries({ "--sweep-interval-ms": "200", "--poll-interval-ms": "1000", "--klarna-timeout-ms": "1500", "--lease-ms": "2000" })
        .filter(([flag]) => !backendArgs.includes(flag))
        .flat(),
      ...backendArgs,
    ], { profile, env });
    slot.port = Number(new URL(slot.process.url).port);
    return slot.process;
  }
  try {
    for (const slot of backends) await startBackend(slot);
  } catch (error) {
    // Leave nothing running (a live simulator would keep the test process up).
    for (const slot of backends) slot.process?.stop();
    await proxy.close();
    sim.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const control = (path, body) =>
    fetch(`${simApi}/_sim${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then(async (reply) => {
        const text = await reply.text();
        if (!reply.ok) throw new Error(`simulator control ${path}: HTTP ${reply.status}: ${text}`);
        return text ? JSON.parse(text) : null;
      });
  // Every instance gets every webhook: duplicates across instances are handled once.
  for (const slot of backends) {
    await control("/webhooks", { url: `${slot.process.url}/webhooks/klarna`, signing_key_id: "chaos", signing_key: SIGNING_KEY });
  }
  const alive = (slot) => slot.process && slot.process.child.exitCode === null && slot.process.child.signalCode === null;
  let turn = 0;

  const world = {
    dir,
    db,
    proxy,
    control,
    simBrowser,
    /** The first instance. */
    get backend() {
      return backends[0].process;
    },
    /** Every instance's process. */
    get backends() {
      return backends.map((slot) => slot.process);
    },
    /** The next live instance's URL, round robin: where a shopper's next request goes. */
    nextUrl() {
      const live = backends.filter(alive);
      const slot = live[turn++ % Math.max(live.length, 1)] ?? backends[0];
      return slot.process.url;
    },
    /** Restarts instance `n` on its port (its name stays), with `env`. */
    async restartBackend(env = {}, n = 0) {
      const slot = backends[n];
      if (alive(slot)) await slot.process.kill();
      // A process that died by itself: let its closed connections be seen (see `kill`).
      else await new Promise((done) => setTimeout(done, 100));
      return startBackend(slot, env);
    },
    /** Kills instance `n` with SIGKILL. */
    async killBackend(n = 0) {
      await backends[n].process.kill();
    },
    /** Kills the simulator and starts it again from its state file. */
    async restartSim() {
      await sim.kill();
      sim = await startSim(new URL(simBrowser).port, new URL(simApi).port);
    },
    /** A shopper with a cookie jar. */
    shopper() {
      return shopper(world);
    },
    /** Klarna's transactions by order (the payment_transaction_reference), from its state (read
     * now, unless a state already read is given). */
    async klarnaTransactions(state = null) {
      state ??= await control("/state");
      const byOrder = new Map();
      for (const record of Object.values(state.transactions)) {
        const order = record.details.payment_transaction_reference;
        byOrder.set(order, [...(byOrder.get(order) ?? []), record.details.payment_transaction_id]);
      }
      return byOrder;
    },
    /** Klarna's books against the database's, for `orders`. */
    async reconcile(orders) {
      const state = await control("/state");
      const klarna = await world.klarnaTransactions(state);
      // Journeys the shopper completed for a payment: each must end in a transaction.
      const approved = new Set(Object.values(state.requests)
        .filter((r) => r.request.state === "COMPLETED" && r.pending_payment != null)
        .map((r) => r.request.payment_request_reference));
      const rows = db("SELECT id, session_id FROM transactions");
      const ours = new Map();
      for (const row of rows) ours.set(row.session_id, [...(ours.get(row.session_id) ?? []), row.id]);
      const statuses = new Map(db("SELECT id, status FROM checkout_sessions").map((r) => [r.id, r.status]));
      const open = new Set(db("SELECT session_id FROM attempts WHERE status IN ('SENDING', 'UNKNOWN')").map((r) => r.session_id));
      const finishing = new Set(db(
        "SELECT session_id FROM payment_requests WHERE state = 'COMPLETED' AND pending_payment = 1 AND gone = 0 AND (finalization IS NULL OR finalization = 'RUNNING')",
      ).map((r) => r.session_id));
      const result = { orders: orders.length, klarnaTransactions: 0, databaseTransactions: 0, doubles: [], lost: [], phantoms: [], unsettled: [] };
      for (const order of orders) {
        const atKlarna = klarna.get(order) ?? [];
        const inDb = ours.get(order) ?? [];
        result.klarnaTransactions += atKlarna.length;
        result.databaseTransactions += inDb.length;
        if (atKlarna.length > 1) result.doubles.push(order);
        if (atKlarna.some((id) => !inDb.includes(id))) result.lost.push(order);
        if (inDb.some((id) => !atKlarna.includes(id))) result.phantoms.push(order);
        const paidButNotSo = atKlarna.length > 0 && statuses.get(order) !== "AUTHORIZED";
        const approvalNotCollected = approved.has(order) && atKlarna.length === 0;
        if (paidButNotSo || approvalNotCollected || open.has(order) || finishing.has(order)) result.unsettled.push(order);
      }
      return result;
    },
    async stop() {
      await proxy.close();
      for (const slot of backends) if (alive(slot)) slot.process.stop();
      sim?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** A shopper: a cookie jar, the button's calls, and Klarna's journey as a browser would do it. */
function shopper(world) {
  const request = client(() => world.nextUrl());
  const me = {
    request,
    async order(flow = "one_time", scenario = "", extra = {}) {
      const reply = await request("/api/checkout-sessions", { json: { flow, scenario, ...extra } });
      if (reply.status !== 200) throw new Error(`checkout session: HTTP ${reply.status}: ${await reply.text()}`);
      return reply.json();
    },
    async click(order, key = crypto.randomUUID()) {
      const reply = await request("/api/authorize-payment", {
        json: { payment_option_id: "chaos", context: { checkoutSessionId: order.id } },
        headers: { "idempotency-key": key },
      }).catch((error) => ({ status: 0, text: async () => JSON.stringify({ error_code: "NETWORK", message: String(error) }) }));
      const text = await reply.text();
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = { raw: text };
      }
      return { status: reply.status, body };
    },
    /** Approves the journey of a step-up reply; resolves with the return URL Klarna sends the shopper to. */
    async approve(paymentRequestId) {
      // Klarna's journey URL: <browser host>/eu/requests/<the id's UUID>/start.
      const journey = `${world.simBrowser}/eu/requests/${paymentRequestId.split(":").pop()}/start`;
      const reply = await fetch(`${journey}/approve`, { method: "POST", redirect: "manual" });
      return reply.headers.get("location");
    },
    /** Comes back from Klarna to the shop. */
    async comeBack(location) {
      const url = new URL(location);
      return request(url.pathname + url.search).catch(() => null);
    },
    async status(order) {
      return world.db("SELECT status FROM checkout_sessions WHERE id = ?", [order.id])[0]?.status;
    },
  };
  return me;
}

export { waitUntil, root };
