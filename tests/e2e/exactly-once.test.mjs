// Exactly once under crashes and faults, end to end: partner-server against the standalone
// simulator through a fault proxy, killed at chosen points. Klarna's books (the simulator's
// state) must equal the database's: no transaction twice, none lost, every order settled by
// itself. `npm run chaos` runs the long version of the same (RELIABILITY.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorld, waitUntil } from "../chaos/world.mjs";
import { runCheckouts, killPointCase } from "../chaos/scenarios.mjs";
import { freshPostgres } from "./support.mjs";

/** Each test runs on both databases the backend supports; `fresh()` gives an empty database
 * for one world: SQLite (a file of the world's own) or PostgreSQL (on `npm test`'s server). */
const DATABASES = [["SQLite", () => null], ["PostgreSQL", freshPostgres]];
function onBoth(name, body) {
  for (const [database, fresh] of DATABASES) test(`${name} (${database})`, () => body(fresh));
}

const onAuthorize = (...faults) => {
  let n = 0;
  return ({ path }) => (path.endsWith("/payment/authorize") ? faults[n++] ?? null : null);
};

onBoth("a lost approval, then a 429 on its repeat: still one transaction, recorded", async (fresh) => {
  const world = await startWorld({ databaseUrl: fresh(), plan: onAuthorize("lostReply", "rateLimited") });
  try {
    const shopper = world.shopper();
    const order = await shopper.order("one_time", "approve");
    const lost = await shopper.click(order);
    assert.equal(lost.status, 502, JSON.stringify(lost.body));
    const limited = await shopper.click(order);
    assert.equal(limited.status, 429, "Klarna's 429 proves nothing: the attempt stays open");
    const third = await shopper.click(order);
    assert.equal(third.status, 200, JSON.stringify(third.body));
    assert.equal(third.body.payment_transaction_response.result, "APPROVED");
    const atKlarna = (await world.klarnaTransactions()).get(order.id);
    assert.equal(atKlarna.length, 1, "Klarna authorized once");
    assert.deepEqual(world.db("SELECT id FROM transactions WHERE session_id = ?", [order.id]).map((r) => r.id), atKlarna);
    const keys = world.db("SELECT id, tries FROM attempts WHERE session_id = ?", [order.id]);
    assert.deepEqual(keys.map((k) => k.tries), [3], "one Klarna key, sent three times");
  } finally {
    await world.stop();
  }
});

onBoth("past Klarna's idempotency window an unknown attempt goes to an operator, never repeated blind", async (fresh) => {
  const operator = "chaos-operator-key-0123456789";
  const world = await startWorld({
    databaseUrl: fresh(),
    plan: onAuthorize("lostReply"),
    backendArgs: ["--idempotency-window-ms", "500", "--operator-key", operator],
  });
  try {
    const shopper = world.shopper();
    const order = await shopper.order("one_time", "approve");
    assert.equal((await shopper.click(order)).status, 502);
    await new Promise((resolve) => setTimeout(resolve, 700));
    // Klarna's window passed too: a repeat now would be a second payment.
    await world.control("/clock", { advance_minutes: 25 * 60 });
    const calls = world.proxy.calls();
    const click = await shopper.click(order);
    assert.equal(click.status, 409);
    assert.equal(click.body.error_code, "ORDER_UNDER_REVIEW");
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(world.proxy.calls(), calls, "nothing was sent to Klarna, by the click or the sweeper");
    assert.equal(await shopper.status(order), "NEEDS_REVIEW");
    const reviews = await (await fetch(`${world.backend.url}/operator/reviews`, { headers: { authorization: `Bearer ${operator}` } })).json();
    assert.deepEqual(reviews.map((r) => r.order_id), [order.id]);
    const [transaction] = (await world.klarnaTransactions()).get(order.id);
    const resolved = await fetch(`${world.backend.url}/operator/orders/${order.id}/resolve`, {
      method: "POST",
      headers: { authorization: `Bearer ${operator}`, "content-type": "application/json" },
      body: JSON.stringify({ transaction_id: transaction, amount: 11800 }),
    });
    assert.equal(resolved.status, 204);
    assert.equal(await shopper.status(order), "AUTHORIZED");
    assert.equal((await world.klarnaTransactions()).get(order.id).length, 1);
  } finally {
    await world.stop();
  }
});

onBoth("killed after Klarna approved and before the commit: the shopper's retry is answered at once, once", async (fresh) => {
  const world = await startWorld({ databaseUrl: fresh() });
  try {
    await world.restartBackend({ PARTNER_KILL_AT: "after-klarna-before-commit" });
    const shopper = world.shopper();
    const order = await shopper.order("one_time", "approve");
    const crashed = await shopper.click(order);
    assert.equal(crashed.status, 0, "the backend died mid-request");
    await world.restartBackend();
    const started = Date.now();
    const retry = await shopper.click(order);
    // The retry repeats the attempt under its key and gets Klarna's approval, unless the
    // restarted instance's sweeper did so a moment before: then the order is already paid.
    const answered = retry.status === 200 ? retry.body.payment_transaction_response?.result : retry.body.error_code;
    assert.ok(["APPROVED", "ORDER_FINISHED"].includes(answered), JSON.stringify(retry));
    assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
    assert.equal((await world.klarnaTransactions()).get(order.id).length, 1);
    assert.equal(await shopper.status(order), "AUTHORIZED");
  } finally {
    await world.stop();
  }
});

onBoth("killed after Klarna approved and before the commit, and nobody clicks again: the sweeper finishes it", async (fresh) => {
  const world = await startWorld({ databaseUrl: fresh() });
  try {
    await world.restartBackend({ PARTNER_KILL_AT: "after-klarna-before-commit" });
    const shopper = world.shopper();
    const order = await shopper.order("one_time", "approve");
    assert.equal((await shopper.click(order)).status, 0);
    await world.restartBackend();
    await waitUntil("the sweeper to record the approval", async () => (await shopper.status(order)) === "AUTHORIZED", 8_000);
    assert.equal((await world.klarnaTransactions()).get(order.id).length, 1);
  } finally {
    await world.stop();
  }
});

onBoth("a journey approved while the backend is down, its webhooks never delivered, is collected by itself", async (fresh) => {
  const world = await startWorld({ databaseUrl: fresh() });
  try {
    const shopper = world.shopper();
    const order = await shopper.order("one_time");
    const click = await shopper.click(order);
    assert.equal(click.status, 200);
    await world.control("/deliveries/hold", {});
    await world.killBackend();
    await shopper.approve(click.body.payment_request.payment_request_id);
    await world.restartBackend();
    // The shopper does not come back and no webhook arrives: the backend asks Klarna.
    await waitUntil("the order to be authorized", async () => (await shopper.status(order)) === "AUTHORIZED", 8_000);
    assert.equal((await world.klarnaTransactions()).get(order.id).length, 1);
  } finally {
    await world.stop();
  }
});

onBoth("a click after the shopper approved the journey, before Klarna's webhook, finishes that payment and cancels nothing", async (fresh) => {
  // Polling off: only the click itself can learn of the approval.
  const world = await startWorld({ databaseUrl: fresh(), backendArgs: ["--poll-interval-ms", "3600000"] });
  try {
    const shopper = world.shopper();
    const order = await shopper.order("one_time");
    const first = await shopper.click(order);
    assert.equal(first.body.payment_transaction_response.result, "STEP_UP_REQUIRED");
    await world.control("/deliveries/hold", {});
    await shopper.approve(first.body.payment_request.payment_request_id);
    // A second tab, or a pop-up whose result was lost: a new click, under a new key.
    const second = await shopper.click(order);
    assert.notEqual(second.status, 200, JSON.stringify(second.body));
    assert.ok(["ORDER_FINISHED", "FINAL_AUTHORIZATION_RUNNING", "JOURNEY_COMPLETED"].includes(second.body.error_code), JSON.stringify(second.body));
    const requests = Object.values((await world.control("/state")).requests).map((r) => r.request.state);
    assert.deepEqual(requests, ["COMPLETED"], "the approved journey was not canceled, and no new one opened");
    await waitUntil("the order to be authorized", async () => (await shopper.status(order)) === "AUTHORIZED", 8_000);
    await world.control("/deliveries/release", {});
    const result = await world.reconcile([order.id]);
    assert.deepEqual([result.doubles, result.lost, result.unsettled], [[], [], []], JSON.stringify(result));
    assert.equal(result.klarnaTransactions, 1);
  } finally {
    await world.stop();
  }
});

onBoth("a payment request Klarna no longer knows lets the order move on", async (fresh) => {
  const world = await startWorld({ databaseUrl: fresh() });
  try {
    const shopper = world.shopper();
    const order = await shopper.order("one_time");
    const first = await shopper.click(order);
    assert.equal(first.status, 200);
    const forgotten = first.body.payment_request.payment_request_id;
    await world.control("/reset", {});
    const again = await shopper.click(order);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.payment_transaction_response.result, "STEP_UP_REQUIRED");
    const [gone] = world.db("SELECT gone, next_poll_at FROM payment_requests WHERE id = ?", [forgotten]);
    assert.deepEqual(gone, { gone: 1, next_poll_at: null }, "forgotten, and no longer read from Klarna");
  } finally {
    await world.stop();
  }
});

onBoth("a webhook whose sender hangs up is still handled, at once", async (fresh) => {
  const slowFinal = ({ path, n }) => (path.endsWith("/payment/authorize") && n > 1 ? "slow" : null);
  const world = await startWorld({ databaseUrl: fresh(), plan: slowFinal, simArgs: ["--webhook-timeout-ms", "150"] });
  try {
    const shopper = world.shopper();
    const order = await shopper.order("one_time");
    const click = await shopper.click(order);
    await shopper.approve(click.body.payment_request.payment_request_id);
    // The shopper does not come back: only the COMPLETED webhook tells the backend.
    await waitUntil("the order to be authorized", async () => (await shopper.status(order)) === "AUTHORIZED", 6_000);
    const deliveries = (await world.control("/deliveries")).deliveries.filter((d) => d.event_type.endsWith("completed"));
    assert.ok(deliveries.some((d) => d.acknowledged), "acknowledged before the slow work, not timed out");
  } finally {
    await world.stop();
  }
});

onBoth("kill points: a crash anywhere in a checkout loses and doubles nothing", async (fresh) => {
  for (const point of ["before-klarna-call", "after-commit-before-reply", "during-final-authorization", "webhook-before-order-update"]) {
    const result = await killPointCase(point, { databaseUrl: fresh(), returning: point !== "webhook-before-order-update" });
    assert.deepEqual([result.doubles, result.lost, result.unsettled], [[], [], []], `${point}: ${JSON.stringify(result)}`);
    assert.equal(result.klarnaTransactions, result.databaseTransactions, point);
  }
});

onBoth("50 checkouts through 5% 500s, 2% timeouts, 2% 429s, 1% malformed and 5% lost replies: Klarna's books equal ours", async (fresh) => {
  const world = await startWorld({
    databaseUrl: fresh(),
    plan: (await import("../chaos/proxy.mjs")).randomPlan({ http500: 0.05, timeout: 0.02, rateLimited: 0.02, malformed: 0.01, lostReply: 0.05, slow: 0.05 }, 7),
  });
  try {
    // A repeat that meets faults again backs off (2 s, 4 s, 8 s…): settled, not at once.
    const orders = await runCheckouts(world, 50, { concurrency: 8, settleMs: 20_000 });
    const result = await world.reconcile(orders);
    assert.deepEqual([result.doubles, result.lost, result.phantoms, result.unsettled], [[], [], [], []], JSON.stringify(result));
    assert.ok(result.klarnaTransactions > 40, `only ${result.klarnaTransactions} of 50 paid`);
  } finally {
    await world.stop();
  }
});
