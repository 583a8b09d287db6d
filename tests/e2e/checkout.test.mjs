// The whole flow in headless Chromium: the demo checkout (the npm package mounted through the
// simulator's SDK stand-in) → partner-server → the embedded Klarna Network simulator → the
// journey → webhooks → the confirmation page. Each test starts from a fresh page and checks
// both where the shopper ends up and what the database holds.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary, launchChromium } from "./support.mjs";

const root = new URL("../../", import.meta.url).pathname;
const OPERATOR_KEY = "e2e-operator-key";
let dir;
let database;
let server;
let control;
let browser;

/** Reads the partner database with Python's sqlite3 (an independent reader). */
function db(sql, params = []) {
  const program = [
    "import json, sqlite3, sys",
    "c = sqlite3.connect(sys.argv[1]); c.row_factory = sqlite3.Row",
    "print(json.dumps([dict(r) for r in c.execute(sys.argv[2], json.loads(sys.argv[3]))]))",
  ].join("\n");
  return JSON.parse(execFileSync("python3", ["-c", program, database, sql, JSON.stringify(params)], { encoding: "utf8" }));
}

/** The embedded simulator's control API (its own loopback port, not the shop's origin). */
async function sim(path, body) {
  const reply = await fetch(`${control}${path.replace(/^\/_sim/, "")}`, body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return reply.status === 204 ? null : reply.json();
}

async function waitUntil(what, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "partner-e2e-"));
  database = join(dir, "partner.sqlite3");
  server = await startBinary("partner-server", ["--port", "0", "--database", database, "--operator-key", OPERATOR_KEY, "--sweep-interval-ms", "300"], {
    cwd: root,
    waitFor: /simulator control: (http:\/\/127\.0\.0\.1:\d+\/_sim)/,
  });
  control = server.extra[1];
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh checkout page; collects what the browser receives, to prove secrets stay out. */
async function checkout(query, path = "/") {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.problems = [];
  page.bodies = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !/Failed to load resource/.test(message.text())) page.problems.push(message.text());
  });
  page.on("pageerror", (error) => page.problems.push(error.message));
  page.on("response", async (response) => {
    try {
      page.bodies.push(await response.text());
    } catch {
      // Navigations and aborted requests have no body to read.
    }
  });
  await page.goto(`${server.url}${path}?${new URLSearchParams(query)}`);
  await page.waitForSelector("body[data-ready='true']");
  page.orderId = await page.getAttribute("body", "data-order-id");
  return page;
}

async function finish(page) {
  await page.waitForURL(/\/order\/ord_[0-9a-f]+$/);
  const status = await page.getAttribute("[data-order-status]", "data-order-status");
  const leaked = page.bodies.some((body) => body.includes("krn:customer-token"));
  assert.equal(leaked, false, "a Klarna customer token reached the browser");
  assert.deepEqual(page.problems, [], "the page logged errors (CSP or script)");
  await page.context().close();
  return status;
}

/** Clicks the Klarna button and acts in the journey pop-up. */
async function payInPopup(page, action = "approve", button = "[data-klarna-button]") {
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.click(button)]);
  await popup.waitForSelector(`button[data-action=${action}]`);
  await popup.click(`button[data-action=${action}]`);
}

/** The Authorize calls the backend sent to the simulator (Klarna) for an order, oldest first. */
async function klarnaCalls(id) {
  const state = await sim("/_sim/state");
  return state.calls.filter((call) => call.body?.request_payment_transaction?.payment_transaction_reference === id
    || call.body?.step_up_config?.payment_request_reference === id);
}

/** Transactions the simulator (Klarna) authorized for an order: the truth the database must match. */
async function klarnaTransactions(id) {
  const state = await sim("/_sim/state");
  return Object.values(state.transactions).filter((t) => t.details.payment_transaction_reference === id);
}

function order(id) {
  return {
    session: db("SELECT * FROM checkout_sessions WHERE id = ?", [id])[0],
    transactions: db("SELECT * FROM transactions WHERE session_id = ?", [id]),
    tokens: db("SELECT * FROM customer_tokens WHERE session_id = ?", [id]),
    requests: db("SELECT * FROM payment_requests WHERE session_id = ?", [id]),
    attempts: db("SELECT * FROM attempts WHERE session_id = ? ORDER BY id", [id]),
  };
}

test("a one-time purchase steps up in a pop-up and is authorized once", async () => {
  const page = await checkout({ flow: "one_time", mode: "POPUP" });
  await payInPopup(page);
  assert.equal(await finish(page), "AUTHORIZED");
  const saved = order(page.orderId);
  assert.equal(saved.transactions.length, 1);
  assert.equal(saved.transactions[0].amount, 11800);
  assert.match(saved.transactions[0].id, /^krn:payment:eu1:transaction:/);
  assert.deepEqual(saved.requests.map((r) => [r.state, r.finalization]), [["COMPLETED", "DONE"]]);
  assert.deepEqual(saved.attempts.map((a) => [a.outcome, a.payment_result]), [["STEP_UP", "STEP_UP_REQUIRED"]]);
  assert.deepEqual((await klarnaTransactions(page.orderId)).map((t) => t.details.payment_transaction_id), [saved.transactions[0].id]);

  // What the backend sent: the first authorization, then the final one.
  const [first, final] = await klarnaCalls(page.orderId);
  assert.match(first.idempotency_key, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a UUID v5 Klarna-Idempotency-Key");
  assert.match(first.partner_correlation_id, /^[0-9a-f-]{36}$/);
  assert.equal(JSON.parse(first.integration_metadata).integrator.module_name, "partner-server");
  assert.match(first.network_session_token, /^krn:network:us1:test:session-token:/, "the SDK's token, forwarded");
  assert.equal(first.customer_token, null);
  assert.equal(first.body.request_payment_transaction.amount, 11800, "the amount comes from the server's cart");
  assert.equal(first.body.supplementary_purchase_data.line_items.reduce((sum, line) => sum + line.total_amount, 0), 11800);
  assert.equal(first.body.step_up_config.customer_interaction_config.return_url, `${server.url}/order/${page.orderId}/return?state={klarna.payment_request.state}`);
  assert.equal(first.body.request_customer_token, undefined);
  assert.match(final.network_session_token, /^krn:payment:eu1:klarna-network-session-token:/, "the final authorization");
  assert.deepEqual(final.body, { currency: "USD", request_payment_transaction: { amount: 11800, payment_transaction_reference: page.orderId } });
  assert.notEqual(final.idempotency_key, first.idempotency_key);
});

test("a one-time purchase steps up by redirect", async () => {
  const page = await checkout({ flow: "one_time", mode: "REDIRECT" });
  await Promise.all([page.waitForURL(/\/klarna-sim\/eu\/requests\/[0-9a-f-]+\/start$/), page.click("[data-klarna-button]")]);
  await page.click("button[data-action=approve]");
  assert.equal(await finish(page), "AUTHORIZED");
  assert.equal(order(page.orderId).transactions.length, 1);
});

test("saving Klarna without a purchase keeps the token on the server only", async () => {
  const page = await checkout({ flow: "token_only", mode: "POPUP" });
  await payInPopup(page);
  const confirmation = page.locator("[data-saved-token]");
  await page.waitForURL(/\/order\/ord_[0-9a-f]+$/);
  const reference = await confirmation.textContent();
  assert.equal(await finish(page), "TOKEN_SAVED");
  const saved = order(page.orderId);
  assert.equal(saved.transactions.length, 0);
  assert.equal(saved.tokens.length, 1);
  assert.equal(saved.tokens[0].reference, reference, "the page shows the backend's own reference");
  assert.match(saved.tokens[0].reference, /^kpbt_/);
  assert.match(saved.tokens[0].klarna_token, /^krn:customer-token:eu1:/);
  assert.equal(saved.tokens[0].owner, "demo-shopper");
  assert.deepEqual(JSON.parse(saved.tokens[0].scopes), ["payment:customer_present"]);
});

test("a purchase that saves Klarna authorizes the payment and keeps the token", async () => {
  const page = await checkout({ flow: "token_with_purchase", mode: "POPUP" });
  await payInPopup(page);
  assert.equal(await finish(page), "AUTHORIZED");
  const saved = order(page.orderId);
  assert.equal(saved.transactions.length, 1);
  assert.equal(saved.tokens.length, 1);
});

test("forcing the step-up sends a saved-token charge through the journey", async () => {
  const setup = await checkout({ flow: "token_only", mode: "POPUP" });
  await payInPopup(setup);
  assert.equal(await finish(setup), "TOKEN_SAVED");
  const page = await checkout({ flow: "token_charge", mode: "POPUP", force_step_up: "1" });
  await payInPopup(page);
  assert.equal(await finish(page), "AUTHORIZED");
  assert.deepEqual(order(page.orderId).attempts.map((a) => [a.outcome, a.payment_result]), [["STEP_UP", "STEP_UP_REQUIRED"]]);
});

test("a saved token pays in one click, with no journey", async () => {
  const setup = await checkout({ flow: "token_only", mode: "POPUP" });
  await payInPopup(setup);
  assert.equal(await finish(setup), "TOKEN_SAVED");
  const page = await checkout({ flow: "token_charge", mode: "POPUP" });
  let popups = 0;
  page.on("popup", () => popups++);
  await page.click("[data-klarna-button]");
  assert.equal(await finish(page), "AUTHORIZED");
  assert.equal(popups, 0, "a one-click charge opened the journey");
  const saved = order(page.orderId);
  assert.deepEqual(saved.attempts.map((a) => [a.outcome, a.payment_result]), [["SUCCESS", "APPROVED"]]);
  assert.equal(saved.transactions.length, 1);
  const [call] = await klarnaCalls(page.orderId);
  const newest = db("SELECT klarna_token FROM customer_tokens WHERE owner = 'demo-shopper' ORDER BY rowid DESC LIMIT 1")[0];
  assert.equal(call.customer_token, newest.klarna_token, "the charge sends the saved Klarna token");
  assert.equal(call.body.request_customer_token, undefined);
});

// The mixed rows of spec A1, through the whole stack: [scenario, journey?, final status,
// transactions, tokens, notice].
const MIXED = [
  ["pay_approved_token_step_up", true, "AUTHORIZED", 1, 1, null],
  ["pay_step_up_token_approved", true, "AUTHORIZED", 1, 1, null],
  ["pay_approved_token_declined", false, "AUTHORIZED", 1, 0, "TOKEN_NOT_CREATED"],
  ["pay_declined_token_approved", false, "DECLINED", 0, 1, "PURCHASE_FAILED_TOKEN_CREATED"],
  ["pay_step_up_token_declined", true, "AUTHORIZED", 1, 0, "TOKEN_NOT_CREATED"],
  ["pay_declined_token_step_up", false, "DECLINED", 0, 0, null],
];

for (const [scenario, journey, status, transactions, tokens, notice] of MIXED) {
  test(`mixed row ${scenario}`, async () => {
    const page = await checkout({ flow: "token_with_purchase", scenario, mode: "POPUP" });
    if (journey) {
      await payInPopup(page);
    } else {
      await page.click("[data-klarna-button]");
    }
    await page.waitForURL(/\/order\/ord_[0-9a-f]+$/);
    const noticeElement = await page.$("[data-notice]");
    const shownNotice = noticeElement && (await noticeElement.getAttribute("data-notice"));
    assert.equal(await finish(page), status);
    const saved = order(page.orderId);
    assert.equal(saved.transactions.length, transactions, "transactions kept");
    assert.equal(saved.tokens.length, tokens, "tokens kept");
    assert.equal(saved.session.notice, notice);
    if (notice) assert.equal(shownNotice, notice, "the confirmation page tells the shopper");
    if (scenario === "pay_declined_token_step_up") {
      assert.deepEqual(saved.requests.map((r) => r.state), ["CANCELED"], "the unused payment request was canceled");
    }
  });
}

test("a decline lands on the order page and is not replayed unchanged", async () => {
  const page = await checkout({ flow: "one_time", scenario: "decline", mode: "POPUP" });
  const id = page.orderId;
  await page.click("[data-klarna-button]");
  await page.waitForURL(/\/order\/ord_[0-9a-f]+$/);
  const callsBefore = (await sim("/_sim/state")).authorize_calls;
  const replay = await page.evaluate(async (checkoutSessionId) => {
    const reply = await fetch("/api/authorize-payment", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ payment_option_id: "klarna-sim-pay-later", context: { checkoutSessionId } }),
    });
    return { status: reply.status, body: await reply.json() };
  }, id);
  assert.equal(await finish(page), "DECLINED");
  assert.equal(replay.status, 409);
  assert.equal(replay.body.error_code, "DECLINE_NOT_REPLAYED");
  assert.equal((await sim("/_sim/state")).authorize_calls, callsBefore, "the replay reached Klarna");
  const saved = order(id);
  assert.deepEqual(saved.attempts.map((a) => a.outcome), ["DECLINE", "REFUSED_REPLAY"]);
  assert.equal(saved.transactions.length, 0);
});

test("a Klarna 5xx shows an error and the button works again", async () => {
  await sim("/_sim/outcomes", { scenarios: ["http_500"] });
  const page = await checkout({ flow: "one_time", mode: "POPUP" });
  await page.click("[data-klarna-button]");
  await page.waitForSelector("#notice:not([hidden])");
  assert.equal(await page.getAttribute("#notice", "data-error-code"), "HTTP");
  assert.match(await page.textContent("#notice"), /try again/);
  assert.equal(await page.locator("[data-klarna-button]").isEnabled(), true);
  await payInPopup(page);
  assert.equal(await finish(page), "AUTHORIZED");
  assert.equal(order(page.orderId).transactions.length, 1);
});

test("a shopper who cancels in Klarna's journey can pay on the next click", async () => {
  const page = await checkout({ flow: "one_time", mode: "POPUP" });
  await payInPopup(page, "cancel");
  await page.waitForSelector("#notice[data-error-code='ABORTED']");
  await waitUntil("the canceled webhook", () => order(page.orderId).session.status === "CANCELED");
  await payInPopup(page);
  assert.equal(await finish(page), "AUTHORIZED");
  const saved = order(page.orderId);
  assert.deepEqual(saved.requests.map((r) => r.state).sort(), ["CANCELED", "COMPLETED"]);
  assert.equal(saved.transactions.length, 1);
});

test("the webhook arrives before the shopper returns", async () => {
  await sim("/_sim/deliveries/hold", {});
  const page = await checkout({ flow: "token_with_purchase", mode: "REDIRECT" });
  const id = page.orderId;
  let releaseReturn;
  const returned = new Promise((resolve) => (releaseReturn = resolve));
  await page.route("**/order/*/return*", async (route) => {
    await returned;
    await route.continue();
  });
  await Promise.all([page.waitForURL(/\/klarna-sim\/eu\/requests\/[0-9a-f-]+\/start$/), page.click("[data-klarna-button]")]);
  await page.click("button[data-action=approve]");
  await sim("/_sim/deliveries/release", {});
  await waitUntil("the webhook to finish the order", () => order(id).session.status === "AUTHORIZED");
  const completed = db("SELECT * FROM webhook_events WHERE payment_request_id = ? AND event_type LIKE '%completed'", [order(id).requests[0].id]);
  assert.equal(completed.length, 1);
  assert.equal(completed[0].processed, 1);
  releaseReturn();
  assert.equal(await finish(page), "AUTHORIZED");
  const saved = order(id);
  assert.equal(saved.transactions.length, 1, "exactly one transaction");
  assert.equal((await klarnaTransactions(id)).length, 1, "exactly one transaction at Klarna");
  assert.equal(saved.tokens.length, 1);
});

test("the webhook arrives after the shopper returns", async () => {
  await sim("/_sim/deliveries/hold", {});
  const page = await checkout({ flow: "token_with_purchase", mode: "POPUP" });
  const id = page.orderId;
  await payInPopup(page);
  assert.equal(await finish(page), "AUTHORIZED", "the return finished the order without the webhook");
  const requestId = order(id).requests[0].id;
  assert.equal(db("SELECT * FROM webhook_events WHERE payment_request_id = ? AND event_type LIKE '%completed'", [requestId]).length, 0);
  await sim("/_sim/deliveries/release", {});
  await waitUntil("the late webhook", () =>
    db("SELECT processed FROM webhook_events WHERE payment_request_id = ? AND event_type LIKE '%completed'", [requestId])[0]?.processed === 1,
  );
  const saved = order(id);
  assert.equal(saved.transactions.length, 1, "the late webhook made no second transaction");
  assert.equal((await klarnaTransactions(id)).length, 1, "exactly one transaction at Klarna");
  assert.equal(saved.tokens.length, 1, "the token is kept once");
  assert.equal(saved.session.status, "AUTHORIZED");
});

test("the shop's own button starts the journey with Klarna.Payment.initiate", async () => {
  const page = await checkout({ flow: "one_time", mode: "POPUP" }, "/custom");
  await payInPopup(page, "approve", "#pay-with-klarna");
  assert.equal(await finish(page), "AUTHORIZED");
  assert.equal(order(page.orderId).transactions.length, 1);
});

test("cross-site and malformed calls to the authorize route are refused", async () => {
  const post = (headers, body = "{}") =>
    fetch(`${server.url}/api/authorize-payment`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  assert.equal((await post({ origin: "http://evil.example", "idempotency-key": crypto.randomUUID() })).status, 403);
  assert.equal((await post({ "content-type": "text/plain", "idempotency-key": crypto.randomUUID() })).status, 400);
  assert.equal((await post({})).status, 400, "no Idempotency-Key");
  const missing = await post({ "idempotency-key": crypto.randomUUID() }, JSON.stringify({ context: { checkoutSessionId: "ord_missing" } }));
  assert.equal(missing.status, 404);
});

test("webhooks with a bad or missing signature, or stale, are refused; an event is handled once", async () => {
  const { createHmac } = await import("node:crypto");
  const event = (id, occurredAt) =>
    JSON.stringify({
      metadata: {
        event_type: "payment.request.state-change.submitted",
        event_id: id,
        event_version: "v2",
        occurred_at: occurredAt,
        subject_account_id: "krn:partner:global:account:test:demo-shop",
        recipient_account_id: "krn:partner:global:account:test:demo-shop",
        webhook_id: "wh-test",
        live: false,
      },
      payload: { payment_request_id: "krn:payment:eu1:request:not-ours", state: "SUBMITTED" },
    });
  const deliver = (body, signature) =>
    fetch(`${server.url}/webhooks/klarna`, {
      method: "POST",
      headers: { "content-type": "application/json", "klarna-signature": signature, "klarna-signing-key-id": "embedded-simulator" },
      body,
    });
  const sign = (body, key = "demo-webhook-signing-key") => createHmac("sha256", key).update(body).digest("base64");
  const fresh = event("evt-test-1", new Date().toISOString());
  assert.equal((await deliver(fresh, sign(fresh, "wrong-key"))).status, 400);
  assert.equal((await deliver(fresh, "")).status, 400);
  assert.equal((await deliver(fresh.replace("SUBMITTED", "COMPLETED"), sign(fresh))).status, 400, "a body changed after signing");
  const stale = event("evt-test-2", new Date(Date.now() - 25 * 3600 * 1000).toISOString());
  assert.equal((await deliver(stale, sign(stale))).status, 400);
  assert.equal((await deliver(fresh, sign(fresh))).status, 200);
  assert.equal((await deliver(fresh, sign(fresh))).status, 200, "a redelivery is acknowledged");
  assert.deepEqual(db("SELECT event_id, processed FROM webhook_events WHERE event_id LIKE 'evt-test-%'"), [{ event_id: "evt-test-1", processed: 1 }]);
});

test("the operator captures and refunds through Klarna; shoppers cannot", async () => {
  const page = await checkout({ flow: "one_time", scenario: "approve", mode: "POPUP" });
  await page.click("[data-klarna-button]");
  assert.equal(await finish(page), "AUTHORIZED");
  const transaction = order(page.orderId).transactions[0].id;
  const operate = (kind, amount, key) =>
    fetch(`${server.url}/operator/transactions/${encodeURIComponent(transaction)}/${kind}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ amount }),
    });
  assert.equal((await operate("captures", 5000)).status, 403);
  assert.equal((await operate("captures", 5000, "not-the-key")).status, 403);
  assert.equal((await operate("captures", 5000, OPERATOR_KEY)).status, 201);
  assert.equal((await operate("refunds", 2000, OPERATOR_KEY)).status, 201);
  const tooMuch = await operate("refunds", 9000, OPERATOR_KEY);
  assert.equal(tooMuch.status, 422, "Klarna's refusal is passed on");
  assert.equal((await tooMuch.json()).error_code, "VALIDATION_ERROR");
  const saved = db("SELECT amount, captured, refunded FROM transactions WHERE id = ?", [transaction]);
  assert.deepEqual(saved, [{ amount: 11800, captured: 5000, refunded: 2000 }]);
  const atKlarna = (await sim("/_sim/state")).transactions[transaction].details;
  assert.deepEqual([atKlarna.captured_amount, atKlarna.refunded_amount], [5000, 2000]);
});

test("the simulator's control API is not served on the shop's origin", async () => {
  for (const path of ["/klarna-sim/_sim/state", "/_sim/state"]) {
    assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
  }
});

test("two clicks of one order at once authorize once", async () => {
  const setup = await checkout({ flow: "token_only", mode: "POPUP" });
  await payInPopup(setup);
  assert.equal(await finish(setup), "TOKEN_SAVED");
  const session = await (await fetch(`${server.url}/api/checkout-sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ flow: "token_charge", scenario: "slow:1500" }),
  })).json();
  const click = () =>
    fetch(`${server.url}/api/authorize-payment`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ payment_option_id: "opt", context: { checkoutSessionId: session.id } }),
    }).then(async (reply) => ({ status: reply.status, body: await reply.json() }));
  const replies = await Promise.all([click(), click()]);
  const statuses = replies.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 409]);
  assert.equal(replies.find((r) => r.status === 409).body.error_code, "ATTEMPT_IN_PROGRESS");
  const after = await click();
  assert.equal(after.status, 409);
  assert.equal(after.body.error_code, "ORDER_FINISHED");
  assert.equal(order(session.id).transactions.length, 1);
  assert.equal((await klarnaTransactions(session.id)).length, 1, "one authorization at Klarna");
});

test("an approved payment stays authorized when only its token journey is canceled", async () => {
  const page = await checkout({ flow: "token_with_purchase", scenario: "pay_approved_token_step_up", mode: "POPUP" });
  const id = page.orderId;
  await payInPopup(page, "cancel");
  await page.waitForSelector("#notice[data-error-code='ABORTED']");
  await waitUntil("the canceled webhook", () => order(id).requests[0]?.state === "CANCELED");
  assert.equal(order(id).session.status, "AUTHORIZED");
  await page.click("[data-klarna-button]");
  await page.waitForSelector("#notice[data-error-code='HTTP']");
  assert.equal(order(id).transactions.length, 1, "no second authorization");
  assert.equal((await klarnaTransactions(id)).length, 1);
  await page.context().close();
});

test("after an uncertain failure the next click repeats the attempt at Klarna", async () => {
  await sim("/_sim/outcomes", { scenarios: ["timeout"] });
  const page = await checkout({ flow: "one_time", mode: "POPUP" });
  await page.click("[data-klarna-button]");
  await page.waitForSelector("#notice[data-error-code='HTTP']");
  await payInPopup(page);
  assert.equal(await finish(page), "AUTHORIZED");
  const attempts = order(page.orderId).attempts;
  assert.deepEqual(attempts.map((a) => a.outcome), ["RETRIED", "STEP_UP"]);
  assert.equal(attempts[0].klarna_key, attempts[1].klarna_key, "the same Klarna-Idempotency-Key");
  assert.equal((await klarnaTransactions(page.orderId)).length, 1);
});

test("a final authorization that failed is finished by the sweeper", async () => {
  await sim("/_sim/deliveries/hold", {});
  const page = await checkout({ flow: "one_time", mode: "POPUP" });
  const id = page.orderId;
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.click("[data-klarna-button]")]);
  await popup.waitForSelector("button[data-action=approve]");
  // The final authorization (the next call to Klarna) fails once.
  await sim("/_sim/outcomes", { scenarios: ["http_500"] });
  await popup.click("button[data-action=approve]");
  await page.waitForURL(/\/order\/ord_[0-9a-f]+$/);
  await waitUntil("the sweeper to authorize the order", () => order(id).session.status === "AUTHORIZED", 15_000);
  const saved = order(id);
  assert.equal(saved.transactions.length, 1);
  assert.equal(saved.requests[0].finalization, "DONE");
  assert.equal((await klarnaTransactions(id)).length, 1);
  await sim("/_sim/deliveries/release", {});
  await page.context().close();
});

test("one Idempotency-Key is one attempt: a replay gets the same answer, a different attempt under it is refused", async () => {
  const session = await (await fetch(`${server.url}/api/checkout-sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ flow: "one_time" }),
  })).json();
  const key = crypto.randomUUID();
  const click = (option) =>
    fetch(`${server.url}/api/authorize-payment`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ payment_option_id: option, context: { checkoutSessionId: session.id } }),
    }).then(async (reply) => ({ status: reply.status, text: await reply.text() }));
  const first = await click("option-a");
  const callsBefore = (await sim("/_sim/state")).authorize_calls;
  const again = await click("option-a");
  assert.equal(first.status, 200);
  assert.deepEqual(again, first, "the replay is the first answer");
  assert.equal((await sim("/_sim/state")).authorize_calls, callsBefore, "the replay did not reach Klarna");
  const other = await click("option-b");
  assert.equal(other.status, 422);
  assert.equal(JSON.parse(other.text).error_code, "IDEMPOTENCY_KEY_REUSED");
});

test("the Partner's interoperability token is forwarded unaltered; a malformed one is refused", async () => {
  const create = (token) =>
    fetch(`${server.url}/api/checkout-sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ flow: "one_time", interoperability_token: token }),
    });
  assert.equal((await create("bad token with spaces")).status, 400);
  assert.equal((await create("x".repeat(8193))).status, 400);
  const token = "eyJhbGciOiJFUzI1NiJ9.interop-payload.signature";
  const session = await (await create(token)).json();
  const reply = await fetch(`${server.url}/api/authorize-payment`, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
    body: JSON.stringify({ context: { checkoutSessionId: session.id } }),
  });
  assert.equal(reply.status, 200);
  const [call] = await klarnaCalls(session.id);
  assert.equal(call.interoperability_token, token);
  assert.equal(call.network_session_token, null, "no SDK token when the browser sent none");
});

test("when Klarna's presentation says HIDE_KLARNA the demo shows no button", async () => {
  await sim("/_sim/presentation", { instruction: "HIDE_KLARNA" });
  try {
    const page = await checkout({ flow: "one_time", mode: "POPUP" });
    assert.equal(await page.getAttribute("body", "data-klarna"), "hidden");
    assert.equal(await page.locator("[data-klarna-button]").count(), 0);
    assert.equal(await page.getAttribute("#notice", "data-error-code"), "HIDE_KLARNA");
    await page.context().close();
  } finally {
    await sim("/_sim/presentation", { instruction: null });
  }
});
