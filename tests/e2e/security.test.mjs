// Attacks from the shop's network, over HTTP, against partner-server with its embedded
// simulator: each test is one attack that must fail. See SECURITY.md.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary, client, reader, waitUntil } from "./support.mjs";

const root = new URL("../../", import.meta.url).pathname;
const ACCOUNT = "krn:partner:global:account:test:demo-shop";
const OPERATOR_KEY = "security-operator-key-0123456789";
const KEYS = { k1: "first-signing-key-0123456789", k2: "second-signing-key-0123456789" };
let dir;
let server;
let control;
let api;
let db;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "partner-security-"));
  const database = join(dir, "partner.sqlite3");
  server = await startBinary("partner-server", [
    "--port", "0", "--database", database, "--operator-key", OPERATOR_KEY,
    "--webhook-signing-key", `k1=${KEYS.k1}`, "--webhook-signing-key", `k2=${KEYS.k2}`,
    "--sweep-interval-ms", "200", "--poll-interval-ms", "500",
    "--request-read-timeout-ms", "1000", "--max-connections", "12",
  ], { cwd: root, waitFor: /partner API at (http:\/\/127\.0\.0\.1:\d+)[\s\S]*simulator control: (http:\/\/127\.0\.0\.1:\d+)\/_sim/ });
  api = server.extra[1];
  control = server.extra[2];
  db = reader(`sqlite://${database}`);
});

after(() => {
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A shopper with a cookie jar (or the given client): creates orders and clicks the button's route. */
function shopper(request = client(server.url)) {
  return {
    request,
    order: async (flow, extra = {}) => {
      const reply = await request("/api/checkout-sessions", { json: { flow, ...extra } });
      assert.equal(reply.status, 200, await reply.clone().text());
      return reply.json();
    },
    click: async (order, body = {}) => {
      const reply = await request("/api/authorize-payment", {
        json: { payment_option_id: "opt", context: { checkoutSessionId: order.id }, ...body },
        headers: { "idempotency-key": crypto.randomUUID() },
      });
      return { status: reply.status, body: await reply.json() };
    },
  };
}

/** Approves a step-up journey the way the shopper's browser would, on the shop's origin. */
async function approve(shopperClient, paymentRequestId) {
  const reply = await fetch(`${server.url}/klarna-sim/eu/requests/${paymentRequestId.split(":").pop()}/start/approve`, {
    method: "POST",
    redirect: "manual",
  });
  assert.equal(reply.status, 303);
  const back = new URL(reply.headers.get("location"));
  await shopperClient.request(back.pathname + back.search);
}

async function savedToken(shopperClient) {
  const order = await shopperClient.order("token_only");
  const { status, body } = await shopperClient.click(order);
  assert.equal(status, 200);
  await approve(shopperClient, body.payment_request.payment_request_id);
  await waitUntil("the token to be saved", () => db("SELECT status FROM checkout_sessions WHERE id = ?", [order.id])[0]?.status === "TOKEN_SAVED");
  return order;
}

function sign(body, key) {
  return createHmac("sha256", key).update(body).digest("base64");
}

function deliver(body, { keyId = "k1", key = KEYS[keyId] } = {}) {
  return fetch(`${server.url}/webhooks/klarna`, {
    method: "POST",
    headers: { "content-type": "application/json", "klarna-signature": sign(body, key), "klarna-signing-key-id": keyId },
    body,
  });
}

function completedEvent(paymentRequestId, { recipient = ACCOUNT, token = "krn:customer-token:eu1:attacker" } = {}) {
  return JSON.stringify({
    metadata: {
      event_type: "payment.request.state-change.completed",
      event_id: crypto.randomUUID(),
      event_version: "v2",
      occurred_at: new Date().toISOString(),
      subject_account_id: ACCOUNT,
      recipient_account_id: recipient,
      webhook_id: "wh-forged",
      live: false,
    },
    payload: {
      payment_request_id: paymentRequestId,
      state: "COMPLETED",
      state_context: {
        klarna_network_session_token: "krn:forged-session-token",
        customer_token: { customer_token: token, scopes: ["payment:customer_present"] },
      },
    },
  });
}

test("the simulator's partner API is not on the shop's origin, and its own listener takes only the backend's key", async () => {
  const order = await shopper().order("one_time");
  const forged = { authorization: "Basic klarna_test_api_attacker_made_this_up", "content-type": "application/json" };
  const body = JSON.stringify({ currency: "USD", request_payment_transaction: { amount: 100 } });
  for (const path of [
    `/klarna-sim/v2/accounts/${ACCOUNT}/payment/authorize`,
    `/klarna-sim/v2/accounts/${ACCOUNT}/payment/requests/${order.id}`,
    `/klarna-sim/v2/accounts/${ACCOUNT}/payment/transactions/anything/captures`,
  ]) {
    const reply = await fetch(`${server.url}${path}`, { method: path.endsWith("authorize") || path.endsWith("captures") ? "POST" : "GET", headers: forged, body: path.endsWith("authorize") || path.endsWith("captures") ? body : undefined });
    assert.equal(reply.status, 404, `${path} answered on the shop's origin`);
  }
  const direct = await fetch(`${api}/v2/accounts/${ACCOUNT}/payment/authorize`, { method: "POST", headers: forged, body });
  assert.equal(direct.status, 401, "a key the simulator was not given");
  assert.equal((await direct.json()).error_code, "UNAUTHORIZED");
});

test("no reply a browser can get carries a customer token or a session token, in any outcome row", async () => {
  // Every body the shopper's browser receives is read here, in the test (a browser test can
  // miss a body the page navigated away from).
  const seen = [];
  const request = client(server.url);
  const recorded = async (path, options) => {
    const reply = await request(path, options);
    seen.push(`${path}\n${await reply.clone().text()}`);
    return reply;
  };
  const me = shopper(recorded);
  const pay = async (flow, scenario = "") => {
    const order = await me.order(flow, { scenario });
    const { body } = await me.click(order);
    const status = async () => (await (await recorded(`/api/orders/${order.id}`)).json()).status;
    // A step-up the backend kept (a declined purchase cancels the journey it came with).
    if (body.payment_request && (await status()) === "AWAITING_SHOPPER") {
      await approve(me, body.payment_request.payment_request_id);
    }
    await waitUntil(`${flow} ${scenario} to settle`, async () => !["CREATED", "AWAITING_SHOPPER"].includes(await status()));
    await recorded(`/order/${order.id}`);
  };
  await pay("token_only");
  await pay("token_charge");
  await pay("one_time");
  for (const scenario of ["pay_approved_token_step_up", "pay_step_up_token_approved", "pay_approved_token_declined", "pay_declined_token_approved", "pay_step_up_token_declined", "pay_declined_token_step_up"]) {
    await pay("token_with_purchase", scenario);
  }
  const tokens = db("SELECT klarna_token FROM customer_tokens").map((row) => row.klarna_token);
  assert.ok(tokens.length >= 3, "the flows saved tokens (the scan has something to find)");
  for (const secret of ["krn:customer-token", "klarna-network-session-token", "session-token:", ...tokens]) {
    const leak = seen.find((body) => body.includes(secret));
    assert.equal(leak, undefined, `${secret} reached the browser in ${leak?.split("\n")[0]}`);
  }
});

test("a shopper cannot charge, or even see, another shopper's saved Klarna", async () => {
  const alice = shopper();
  const saved = await savedToken(alice);
  const mallory = shopper();
  const charge = await mallory.order("token_charge");
  const attempt = await mallory.click(charge);
  assert.equal(attempt.status, 409);
  assert.equal(attempt.body.error_code, "NO_SAVED_TOKEN");
  assert.equal((await mallory.request(`/api/orders/${saved.id}`)).status, 404, "another shopper's order");
  assert.equal((await mallory.request(`/order/${saved.id}`)).status, 404);
  // Mallory cannot click Alice's order either.
  const aliceCharge = await alice.order("token_charge");
  assert.equal((await mallory.click(aliceCharge)).status, 404);
  const own = await alice.click(aliceCharge);
  assert.equal(own.status, 200);
  assert.equal(own.body.payment_transaction_response.result, "APPROVED");
  const forgedCookie = client(server.url);
  const reply = await forgedCookie("/api/orders/" + saved.id, { headers: { cookie: "kpb_customer=" + db("SELECT customer_id FROM checkout_sessions WHERE id = ?", [saved.id])[0].customer_id } });
  assert.equal(reply.status, 404, "an unsigned cookie naming Alice is not Alice");
});

test("a signed but forged COMPLETED webhook changes nothing Klarna does not confirm", async () => {
  const victim = shopper();
  const order = await victim.order("token_only");
  const { body } = await victim.click(order);
  const request = body.payment_request.payment_request_id;
  assert.equal((await deliver(completedEvent(request))).status, 200, "well signed, so acknowledged");
  await waitUntil("the event to be handled", () =>
    db("SELECT status FROM webhook_events WHERE payment_request_id = ? AND event_type LIKE '%completed'", [request])[0]?.status === "DONE");
  assert.equal(db("SELECT status FROM checkout_sessions WHERE id = ?", [order.id])[0].status, "AWAITING_SHOPPER");
  assert.equal(db("SELECT COUNT(*) AS n FROM customer_tokens WHERE klarna_token = 'krn:customer-token:eu1:attacker'")[0].n, 0);
  assert.equal(db("SELECT state FROM payment_requests WHERE id = ?", [request])[0].state, "SUBMITTED", "as Klarna has it");
});

test("webhooks for another account, or signed with a key under another key's id, are refused", async () => {
  const order = await shopper().order("one_time");
  assert.equal((await deliver(completedEvent("krn:r", { recipient: "krn:partner:global:account:test:someone-else" }))).status, 400);
  assert.equal((await deliver(completedEvent("krn:r"), { keyId: "k1", key: KEYS.k2 })).status, 400, "key 2 under key 1's id");
  assert.equal((await deliver(completedEvent("krn:r"), { keyId: "k2" })).status, 200, "a rotated key under its own id");
  assert.ok(order.id);
});

test("the backend refuses to start without a webhook key against a real Klarna, or with a short operator key", () => {
  const binary = `${process.env.CARGO_TARGET_DIR ?? `${root}target`}/debug/partner-server`;
  const run = (args) => spawnSync(binary, ["--port", "0", "--database", join(dir, "refused.sqlite3"), ...args], { encoding: "utf8", timeout: 10_000 });
  const noKey = run(["--klarna-base-url", "https://api-global.test.klarna.com", "--klarna-api-key", "klarna_test_api_x"]);
  assert.notEqual(noKey.status, 0);
  assert.match(noKey.stderr, /webhook-signing-key/);
  for (const key of ["", "short"]) {
    const weak = run(["--operator-key", key]);
    assert.notEqual(weak.status, 0, `OPERATOR_KEY=${JSON.stringify(key)}`);
    assert.match(weak.stderr, /OPERATOR_KEY must be at least/);
  }
});

test("the operator endpoints check the key before they read the body", async () => {
  const post = (headers, body) => fetch(`${server.url}/operator/transactions/x/captures`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  assert.equal((await post({}, "not json")).status, 403);
  assert.equal((await post({ authorization: "Bearer " }, "{}")).status, 403);
  assert.equal((await post({ authorization: `Bearer ${OPERATOR_KEY}x` }, "{}")).status, 403);
  assert.equal((await post({ authorization: `Bearer ${OPERATOR_KEY}` }, "not json")).status, 400);
});

test("a session token Klarna could not take is refused at the door, and the order still pays", async () => {
  const buyer = shopper();
  const order = await buyer.order("one_time");
  const bad = await buyer.click(order, { klarna_network_session_token: "krn:bad\u0001token" });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error_code, "INVALID_NETWORK_SESSION_TOKEN");
  assert.equal(db("SELECT COUNT(*) AS n FROM attempts WHERE session_id = ?", [order.id])[0].n, 0, "no attempt recorded");
  const good = await buyer.click(order);
  assert.equal(good.status, 200, JSON.stringify(good.body));
  assert.equal(good.body.payment_transaction_response.result, "STEP_UP_REQUIRED");
});

test("the simulator's control API cannot be made to panic, and stays up", async () => {
  const advance = await fetch(`${control}/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advance_ms: 9_000_000_000_000_000 }) });
  assert.ok(advance.status >= 400 && advance.status < 500, `status ${advance.status}`);
  const buyer = shopper();
  const order = await buyer.order("one_time");
  assert.equal((await buyer.click(order)).status, 200, "the simulator still answers");
});

test("a rebinding attacker's host name is refused on every listener", async () => {
  const { request } = await import("node:http");
  const get = (base, path) =>
    new Promise((resolve, reject) => {
      const url = new URL(path, base);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: `evil.example:${url.port}`, origin: `http://evil.example:${url.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end();
    });
  assert.equal(await get(server.url, "/api/config"), 421);
  assert.equal(await get(control, "/_sim/state"), 421);
  assert.equal(await get(api, "/health"), 421);
});

test("journey pages are served hardened: no inline script, framing and posting only to the shop", async () => {
  const buyer = shopper();
  const order = await buyer.order("one_time");
  const { body } = await buyer.click(order);
  const journey = body.payment_request.state_context.customer_interaction.payment_request_url;
  const url = `${journey}?mode=popup&origin=${encodeURIComponent("https://evil.example")}`;
  const page = await fetch(url);
  const csp = page.headers.get("content-security-policy") ?? "";
  assert.match(csp, /frame-ancestors [^;]*127\.0\.0\.1/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(page.headers.get("x-content-type-options"), "nosniff");
  const done = await fetch(`${url.replace("?", "/approve?")}`, { method: "POST" });
  const html = await done.text();
  assert.doesNotMatch(html, /<script>(?!<\/script>)/, "an inline script");
  assert.doesNotMatch(html, /evil\.example/, "the page posts to the origin the query names");
});

/** A raw connection that sends `text`, and resolves when the server closes it. */
function rawConnection(url, text) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    // Given up on after 8 s, so that a server that never cuts it fails the test, not hangs it.
    socket.setTimeout(8_000, () => socket.destroy());
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
    socket.resume();
  });
}

test("connections that dribble their headers are cut off, and connections are bounded", { timeout: 20_000 }, async () => {
  const started = Date.now();
  await rawConnection(server.url, "GET /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  assert.ok(Date.now() - started < 5_000, "a dribbling client was not cut off");
  // Hold every connection slot with idle sockets: a new request waits for a free slot.
  const idle = Array.from({ length: 12 }, () => rawConnection(server.url, ""));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const blocked = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(400) }).then(() => "served", () => "waited");
  assert.equal(blocked, "waited", "more connections than the limit were served at once");
  await Promise.all(idle);
  assert.equal((await fetch(`${server.url}/health`)).status, 200, "served once the idle connections were cut");
});

// Last: it breaks the database on purpose.
test("an internal failure tells the client an error id, not the database's words", async () => {
  const { execFileSync } = await import("node:child_process");
  execFileSync("python3", ["-c", "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('DROP TABLE webhook_events')", join(dir, "partner.sqlite3")]);
  const reply = await deliver(completedEvent("krn:payment:eu1:request:any"));
  assert.equal(reply.status, 500);
  const text = await reply.text();
  assert.doesNotMatch(text, /webhook_events|no such table|sqlite|database:/i, "the database's words reached the client");
  const { error_id: id, error_code: code } = JSON.parse(text);
  assert.equal(code, "INTERNAL_ERROR");
  await waitUntil("the log to name the error id", () => server.log().includes(id));
  const line = server.log().split("\n").find((l) => l.includes(id));
  assert.match(line, /webhook_events/, "the log has what went wrong, under the id");
});
