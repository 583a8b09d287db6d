// The whole flow in headless Chromium: the demo checkout (the npm package mounted through the
// simulator's SDK stand-in) → partner-server → the embedded Klarna Network simulator → the
// journey → webhooks → the confirmation page. Each test starts from a fresh page and checks
// both where the shopper ends up and what the database holds.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary, launchChromium, client, reader, waitUntil } from "./support.mjs";

const root = new URL("../../", import.meta.url).pathname;
const OPERATOR_KEY = "e2e-operator-key-0123456789abcdef";
const SIGNING_KEY = "e2e-webhook-signing-key-0123456789";
let dir;
let db;
let server;
let control;
let browser;

/** The embedded simulator's control API (its own loopback port, not the shop's origin). */
async function sim(path, body) {
  const reply = await fetch(`${control}${path.replace(/^\/_sim/, "")}`, body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return reply.status === 204 ? null : reply.json();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "partner-e2e-"));
  const database = join(dir, "partner.sqlite3");
  server = await startBinary("partner-server", [
    "--port", "0", "--database", database, "--operator-key", OPERATOR_KEY,
    "--webhook-signing-key", `embedded-simulator=${SIGNING_KEY}`,
    "--sweep-interval-ms", "300", "--poll-interval-ms", "500",
  ], { cwd: root, waitFor: /simulator control: (http:\/\/127\.0\.0\.1:\d+\/_sim)/ });
  control = server.extra[1];
  db = reader(`sqlite://${database}`);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh checkout page; collects what the browser receives, to prove secrets stay out. */
async function checkout(query, path = "/", context = null) {
  context ??= await browser.newContext();
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

async function finish(page, { keep = false } = {}) {
  await page.waitForURL(/\/order\/ord_[0-9a-f]+$/);
  const status = await page.getAttribute("[data-order-status]", "data-order-status");
  // Nothing secret reaches the browser: customer tokens, the network session token of a
  // completed journey, the API key, the webhook signing key, the operator key.
  for (const secret of ["krn:customer-token", "klarna-network-session-token", "klarna_test_api_", SIGNING_KEY, OPERATOR_KEY]) {
    assert.equal(page.bodies.some((body) => body.includes(secret)), false, `${secret} reached the browser`);
  }
  assert.deepEqual(page.problems, [], "the page logged errors (CSP or script)");
  if (!keep) await page.context().close();
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
    attempts: db("SELECT * FROM attempts WHERE session_id = ? ORDER BY created_at", [id]),
    clicks: db("SELECT * FROM clicks WHERE session_id = ? ORDER BY created_at", [id]),
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
  assert.deepEqual(saved.attempts.map((a) => [a.status, a.payment_result]), [["STEP_UP", "STEP_UP_REQUIRED"]]);
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
  assert.equal(saved.tokens[0].owner, saved.session.customer_id, "the token belongs to the shopper who saved it");
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
  assert.equal(await finish(setup, { keep: true }), "TOKEN_SAVED");
  const page = await checkout({ flow: "token_charge", mode: "POPUP", force_step_up: "1" }, "/", setup.context());
  await payInPopup(page);
  assert.equal(await finish(page), "AUTHORIZED");
  assert.deepEqual(order(page.orderId).attempts.map((a) => [a.status, a.payment_result]), [["STEP_UP", "STEP_UP_REQUIRED"]]);
});

test("a saved token pays in one click, with no journey", async () => {
  const setup = await checkout({ flow: "token_only", mode: "POPUP" });
  await payInPopup(setup);
  assert.equal(await finish(setup, { keep: true }), "TOKEN_SAVED");
  const owner = order(setup.orderId).session.customer_id;
  const page = await checkout({ flow: "token_charge", mode: "POPUP" }, "/", setup.context());
  let popups = 0;
  page.on("popup", () => popups++);
  await page.click("[data-klarna-button]");
  assert.equal(await finish(page), "AUTHORIZED");
  assert.equal(popups, 0, "a one-click charge opened the journey");
  const saved = order(page.orderId);
  assert.deepEqual(saved.attempts.map((a) => [a.status, a.payment_result]), [["SUCCESS", "APPROVED"]]);
  assert.equal(saved.transactions.length, 1);
  const [call] = await klarnaCalls(page.orderId);
  const newest = db("SELECT klarna_token FROM customer_tokens WHERE owner = ? ORDER BY created_at DESC LIMIT 1", [owner])[0];
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
  assert.deepEqual(saved.attempts.map((a) => a.status), ["DECLINE"], "the refused replay made no attempt");
  assert.deepEqual(saved.clicks.map((c) => c.refusal_status), [null, 409]);
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

test("a shopper who leaves Klarna's journey can pay on the next click, which cancels the journey left open", async () => {
  const page = await checkout({ flow: "one_time", mode: "POPUP" });
  await payInPopup(page, "cancel");
  await page.waitForSelector("#notice[data-error-code='ABORTED']");
  // As Klarna documents it, leaving the journey leaves the request SUBMITTED.
  await waitUntil("the journey to go back to SUBMITTED", () => order(page.orderId).requests[0]?.state === "SUBMITTED");
  assert.equal(order(page.orderId).session.status, "AWAITING_SHOPPER");
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
  assert.equal(completed[0].status, "DONE");
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
    db("SELECT status FROM webhook_events WHERE payment_request_id = ? AND event_type LIKE '%completed'", [requestId])[0]?.status === "DONE",
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

/** Signs a webhook body as the embedded simulator does (HMAC-SHA256, base64). */
async function signed(body, key = SIGNING_KEY) {
  const { createHmac } = await import("node:crypto");
  return createHmac("sha256", key).update(body).digest("base64");
}

test("webhooks with a bad or missing signature, or stale, are refused; an event is handled once", async () => {
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
  const fresh = event("evt-test-1", new Date().toISOString());
  assert.equal((await deliver(fresh, await signed(fresh, "wrong-key-0123456789"))).status, 400);
  assert.equal((await deliver(fresh, "")).status, 400);
  assert.equal((await deliver(fresh.replace("SUBMITTED", "COMPLETED"), await signed(fresh))).status, 400, "a body changed after signing");
  const stale = event("evt-test-2", new Date(Date.now() - 25 * 3600 * 1000).toISOString());
  assert.equal((await deliver(stale, await signed(stale))).status, 400);
  assert.equal((await deliver(fresh, await signed(fresh))).status, 200);
  assert.equal((await deliver(fresh, await signed(fresh))).status, 200, "a redelivery is acknowledged");
  await waitUntil("the event to be handled", () =>
    db("SELECT status FROM webhook_events WHERE event_id = 'evt-test-1'")[0]?.status === "IGNORED");
  assert.deepEqual(db("SELECT event_id, status FROM webhook_events WHERE event_id LIKE 'evt-test-%'"), [{ event_id: "evt-test-1", status: "IGNORED" }]);
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

/** A shopper without a browser: a cookie jar and the JSON calls the page makes. */
function shopper() {
  const request = client(server.url);
  return {
    request,
    session: async (body) => (await request("/api/checkout-sessions", { json: body })).json(),
    click: (session, { key = crypto.randomUUID(), option = "opt", body } = {}) =>
      request("/api/authorize-payment", {
        json: body ?? { payment_option_id: option, context: { checkoutSessionId: session.id } },
        headers: { "idempotency-key": key },
      }).then(async (reply) => ({ status: reply.status, text: await reply.text() })),
  };
}

test("two clicks of one order at once authorize once, and both get the answer", async () => {
  const setup = await checkout({ flow: "token_only", mode: "POPUP" });
  await payInPopup(setup);
  assert.equal(await finish(setup, { keep: true }), "TOKEN_SAVED");
  // The same shopper (the browser that saved Klarna), calling the API directly.
  const api = setup.context().request;
  const session = await (await api.post(`${server.url}/api/checkout-sessions`, { data: { flow: "token_charge", scenario: "slow:1500" } })).json();
  const click = () =>
    api.post(`${server.url}/api/authorize-payment`, {
      data: { payment_option_id: "opt", context: { checkoutSessionId: session.id } },
      headers: { "idempotency-key": crypto.randomUUID() },
    }).then(async (reply) => ({ status: reply.status(), text: await reply.text() }));
  const replies = await Promise.all([click(), click()]);
  assert.deepEqual(replies.map((r) => r.status), [200, 200]);
  assert.equal(replies[0].text, replies[1].text, "the waiting click gets the sending click's answer");
  const after = await click();
  assert.equal(after.status, 409);
  assert.equal(JSON.parse(after.text).error_code, "ORDER_FINISHED");
  assert.equal(order(session.id).transactions.length, 1);
  assert.equal((await klarnaTransactions(session.id)).length, 1, "one authorization at Klarna");
  await setup.context().close();
});

test("an approved payment stays authorized when only its token journey is canceled", async () => {
  const page = await checkout({ flow: "token_with_purchase", scenario: "pay_approved_token_step_up", mode: "POPUP" });
  const id = page.orderId;
  await payInPopup(page, "cancel");
  await page.waitForSelector("#notice[data-error-code='ABORTED']");
  await waitUntil("the journey to go back to SUBMITTED", () => order(id).requests[0]?.state === "SUBMITTED");
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
  const { attempts, clicks } = order(page.orderId);
  assert.deepEqual(attempts.map((a) => [a.status, a.tries]), [["STEP_UP", 2]], "one attempt, sent twice");
  assert.equal(clicks.length, 2);
  assert.ok(clicks.every((c) => c.attempt_id === attempts[0].id), "both clicks answered by the one attempt");
  const calls = (await klarnaCalls(page.orderId)).filter((c) => c.body?.step_up_config);
  assert.deepEqual(calls.map((c) => c.idempotency_key), [attempts[0].id, attempts[0].id], "the same Klarna-Idempotency-Key");
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
  const buyer = shopper();
  const session = await buyer.session({ flow: "one_time" });
  const key = crypto.randomUUID();
  const first = await buyer.click(session, { key, option: "option-a" });
  const callsBefore = (await sim("/_sim/state")).authorize_calls;
  const again = await buyer.click(session, { key, option: "option-a" });
  assert.equal(first.status, 200);
  assert.deepEqual(again, first, "the replay is the first answer");
  assert.equal((await sim("/_sim/state")).authorize_calls, callsBefore, "the replay did not reach Klarna");
  const other = await buyer.click(session, { key, option: "option-b" });
  assert.equal(other.status, 422);
  assert.equal(JSON.parse(other.text).error_code, "IDEMPOTENCY_KEY_REUSED");
});

test("the Partner's interoperability token is forwarded unaltered; a malformed one is refused", async () => {
  const buyer = shopper();
  const create = (token) => buyer.request("/api/checkout-sessions", { json: { flow: "one_time", interoperability_token: token } });
  assert.equal((await create("bad token with spaces")).status, 400);
  assert.equal((await create("x".repeat(8193))).status, 400);
  const token = "eyJhbGciOiJFUzI1NiJ9.interop-payload.signature";
  const session = await (await create(token)).json();
  const reply = await buyer.click(session, { body: { context: { checkoutSessionId: session.id } } });
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
