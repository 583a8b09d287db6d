// A small partner backend in plain Node, for testing `klarna-sim conform` on a backend that is
// not the reference one. With no flaws it keeps the contract (in memory, one process); each
// flaw breaks one duty on purpose:
//   leak-token          answers the browser with Klarna's reply unstripped (the customer token)
//   one-key             sends every Authorize call under one Klarna-Idempotency-Key
//   browser-amount      charges the amount the browser sends (body or context), if any
//   no-key              sends no Klarna-Idempotency-Key
//   drop-session-token  does not forward the click's network session token
//   no-serialize        lets two clicks of one checkout call Klarna at once
//   forget-replies      calls Klarna again for a repeated Idempotency-Key, under a new key
//   replay-decline      sends a declined checkout to Klarna again on the next click
//   no-final            never runs the final authorization
//   foreign-return      puts the step-up return URL on another origin
//   webhook-500         answers every webhook 500
//   no-signature-check  accepts webhooks whatever their signature
//   replay-acts         authorizes again for a repeated COMPLETED event
//   leak-session-token  shows the completed request's network session token on the order page
//   strip-request       drops payment_request from step-up replies
//
// Usage: startBrokenBackend({ klarna, apiKey, signingKeys: {id: key}, flaws: [...] }) ->
// { url, close() }; or `node broken-backend.mjs` with KLARNA_BASE_URL, KLARNA_API_KEY,
// SIGNING_KEY_ID, SIGNING_KEY, FLAWS (comma-separated), PORT.
import { createServer } from "node:http";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

const ACCOUNT = "krn:partner:global:account:test:broken-shop";
const CART = [
  { name: "Trail running shoes", quantity: 1, unit_price: 8900, total_amount: 8900 },
  { name: "Socks", quantity: 2, unit_price: 1450, total_amount: 2900 },
];
const FLOWS = new Set(["one_time", "token_only", "token_with_purchase"]);
const ONE_KEY = "6b0c7d1e-0000-4000-8000-000000000001";

export function startBrokenBackend({ klarna, apiKey, signingKeys, flaws = [], port = 0 }) {
  const flaw = new Set(flaws);
  const checkouts = new Map(); // id -> {id, flow, amount, currency, status, open, requestId, transactionId}
  const replies = new Map(); // browser Idempotency-Key -> {status, body, fingerprint}
  const events = new Set();
  const finals = new Map(); // payment request id -> promise of the final authorization
  let origin = "";

  const klarnaCall = async (method, path, { body, headers = {} } = {}) => {
    const reply = await fetch(`${klarna}${path}`, {
      method,
      headers: { authorization: `Basic ${apiKey}`, "content-type": "application/json", "partner-correlation-id": randomUUID(), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await reply.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: reply.status, json };
  };

  const authorizeBody = (checkout, browserBody) => {
    const context = browserBody.context ?? {};
    const amount = flaw.has("browser-amount") ? (browserBody.amount ?? context.amount ?? checkout.amount) : checkout.amount;
    const purchase = checkout.flow !== "token_only";
    const token = checkout.flow !== "one_time";
    const returnOrigin = flaw.has("foreign-return") ? "https://elsewhere.example" : origin;
    return {
      currency: checkout.currency,
      ...(purchase ? { request_payment_transaction: { amount, payment_transaction_reference: checkout.id, ...(browserBody.payment_option_id ? { payment_option_id: browserBody.payment_option_id } : {}) } } : {}),
      ...(token ? { request_customer_token: { scopes: ["payment:customer_present"], customer_token_reference: checkout.id } } : {}),
      step_up_config: {
        payment_request_reference: checkout.id,
        customer_interaction_config: { method: "SDK", return_url: `${returnOrigin}/return/${checkout.id}` },
      },
      supplementary_purchase_data: {
        purchase_reference: checkout.id,
        ...(purchase ? { line_items: CART } : {}),
        ...(token ? { ondemand_service: { average_amount: 5000, minimum_amount: 1000, maximum_amount: 20000, purchase_interval: "WEEK", purchase_interval_frequency: 1 } } : {}),
      },
    };
  };

  const strip = (reply) => {
    if (flaw.has("leak-token") || !reply) return reply;
    const copy = structuredClone(reply);
    if (copy.customer_token_response) delete copy.customer_token_response.customer_token;
    const request = copy.payment_request;
    if (request) {
      delete request.klarna_network_session_token;
      delete request.klarna_customer;
      if (request.state_context) {
        delete request.state_context.customer_token;
        delete request.state_context.klarna_network_session_token;
      }
    }
    if (flaw.has("strip-request")) delete copy.payment_request;
    return copy;
  };

  // One attempt at Klarna for a click; records what Klarna made of it.
  const attempt = async (checkout, browserBody) => {
    const headers = {};
    if (!flaw.has("no-key")) headers["klarna-idempotency-key"] = flaw.has("one-key") ? ONE_KEY : randomUUID();
    if (browserBody.klarna_network_session_token && !flaw.has("drop-session-token")) {
      headers["klarna-network-session-token"] = browserBody.klarna_network_session_token;
    }
    const reply = await klarnaCall("POST", `/v2/accounts/${encodeURIComponent(ACCOUNT)}/payment/authorize`, { body: authorizeBody(checkout, browserBody), headers });
    if (reply.status !== 200 || !reply.json) {
      return { status: 502, body: { error_id: randomUUID(), error_type: "TECHNICAL_ERROR", error_code: reply.json?.error_code ?? "KLARNA_ERROR", error_message: `Klarna answered ${reply.status}` } };
    }
    const payment = reply.json.payment_transaction_response;
    if (payment?.result === "DECLINED" || (!payment && reply.json.customer_token_response?.result === "DECLINED")) checkout.status = "DECLINED";
    else if (payment?.result === "APPROVED") { checkout.status = "AUTHORIZED"; checkout.transactionId = payment.payment_transaction?.payment_transaction_id; }
    else if (reply.json.payment_request) { checkout.status = "STEP_UP"; checkout.requestId = reply.json.payment_request.payment_request_id; }
    else checkout.status = "DONE";
    return { status: 200, body: strip(reply.json) };
  };

  const click = async (key, browserBody) => {
    const fingerprint = JSON.stringify(browserBody);
    const known = replies.get(key);
    if (known && !flaw.has("forget-replies")) {
      if (known.fingerprint !== fingerprint) return { status: 422, body: { error_code: "IDEMPOTENCY_KEY_REUSED" } };
      return known;
    }
    const checkout = checkouts.get(browserBody.context?.checkoutId);
    if (!checkout) return { status: 404, body: { error_code: "RESOURCE_NOT_FOUND" } };
    if (checkout.open && !flaw.has("no-serialize")) {
      await checkout.open.catch(() => {});
      return { status: 409, body: { error_code: "ATTEMPT_ANSWERED" } };
    }
    if (checkout.status === "DECLINED" && !flaw.has("replay-decline")) return { status: 409, body: { error_code: "DECLINE_NOT_REPLAYED" } };
    if (checkout.status === "AUTHORIZED") return { status: 409, body: { error_code: "ORDER_FINISHED" } };
    const running = attempt(checkout, browserBody);
    checkout.open = running;
    try {
      const answer = await running;
      const stored = { ...answer, fingerprint };
      replies.set(key, stored);
      return stored;
    } finally {
      checkout.open = null;
    }
  };

  // Reads the payment request from Klarna; after COMPLETED, the final authorization, once.
  const settle = async (requestId, again = false) => {
    if (!requestId || flaw.has("no-final")) return;
    if (finals.has(requestId) && !again) return finals.get(requestId);
    const work = (async () => {
      const read = await klarnaCall("GET", `/v2/accounts/${encodeURIComponent(ACCOUNT)}/payment/requests/${encodeURIComponent(requestId)}`);
      const request = read.json;
      if (read.status !== 200 || request?.state !== "COMPLETED") { finals.delete(requestId); return; }
      const checkout = [...checkouts.values()].find((c) => c.requestId === requestId);
      const token = request.state_context?.klarna_network_session_token ?? request.klarna_network_session_token;
      if (!checkout) return;
      checkout.completionToken = token;
      if (checkout.flow === "token_only") { checkout.status = "TOKEN_SAVED"; return; }
      const reply = await klarnaCall("POST", `/v2/accounts/${encodeURIComponent(ACCOUNT)}/payment/authorize`, {
        headers: { "klarna-network-session-token": token, "klarna-idempotency-key": again ? randomUUID() : checkout.finalKey },
        body: { currency: checkout.currency, request_payment_transaction: { amount: checkout.amount, payment_transaction_reference: checkout.id } },
      });
      if (reply.json?.payment_transaction_response?.result === "APPROVED") checkout.status = "AUTHORIZED";
    })();
    finals.set(requestId, work);
    return work;
  };

  const verified = (headers, raw) => {
    if (flaw.has("no-signature-check")) return true;
    const key = signingKeys[headers["klarna-signing-key-id"]];
    const signature = String(headers["klarna-signature"] ?? "").trim();
    if (!key || !signature) return false;
    const digest = createHmac("sha256", key).update(raw).digest();
    const given = /^[0-9a-fA-F]{64}$/.test(signature) ? Buffer.from(signature, "hex") : Buffer.from(signature, "base64");
    return given.length === digest.length && timingSafeEqual(given, digest);
  };

  const server = createServer(async (req, res) => {
    const send = (status, body, headers = {}) => {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      res.writeHead(status, { "content-type": typeof body === "string" ? "text/html" : "application/json", ...headers });
      res.end(text);
    };
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url, origin);
      const json = () => JSON.parse(raw.toString("utf8") || "{}");
      if (req.method === "POST" && url.pathname === "/start") {
        const { flow } = json();
        if (!FLOWS.has(flow)) return send(400, { error_code: "UNKNOWN_FLOW" });
        const id = `bo_${randomUUID()}`;
        const amount = CART.reduce((sum, line) => sum + line.total_amount, 0);
        checkouts.set(id, { id, flow, amount, currency: "USD", status: "NEW", open: null, finalKey: randomUUID() });
        return send(200, { context: { checkoutId: id }, amount, currency: "USD" });
      }
      if (req.method === "POST" && url.pathname === "/authorize") {
        const key = req.headers["idempotency-key"];
        if (!key) return send(400, { error_code: "MISSING_IDEMPOTENCY_KEY" });
        const answer = await click(key, json());
        return send(answer.status, answer.body);
      }
      if (req.method === "POST" && url.pathname === "/webhooks") {
        if (flaw.has("webhook-500")) return send(500, { error_code: "INTERNAL_ERROR" });
        if (!verified(req.headers, raw)) return send(400, { error_code: "INVALID_SIGNATURE" });
        const event = json();
        const id = event?.metadata?.event_id;
        const repeated = events.has(id);
        events.add(id);
        send(200, { received: true });
        if (event?.metadata?.event_type?.endsWith(".completed") && (!repeated || flaw.has("replay-acts"))) {
          settle(event.payload?.payment_request_id, repeated).catch(() => {});
        }
        return;
      }
      const back = /^\/return\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && back) {
        const checkout = checkouts.get(back[1]);
        if (checkout) await settle(checkout.requestId).catch(() => {});
        return send(302, "", { location: `/order/${back[1]}` });
      }
      const order = /^\/order\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && order && checkouts.has(order[1])) {
        const checkout = checkouts.get(order[1]);
        const extra = flaw.has("leak-session-token") ? ` <!-- ${checkout.completionToken} -->` : "";
        return send(200, `<p>Order ${checkout.id}: ${checkout.status}</p>${extra}`);
      }
      send(404, { error_code: "NOT_FOUND" });
    } catch (error) {
      send(500, { error_code: "INTERNAL_ERROR", error_message: String(error) });
    }
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      origin = `http://127.0.0.1:${server.address().port}`;
      resolve({ url: origin, close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }) });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const backend = await startBrokenBackend({
    klarna: env.KLARNA_BASE_URL,
    apiKey: env.KLARNA_API_KEY,
    signingKeys: { [env.SIGNING_KEY_ID ?? "sim-key-1"]: env.SIGNING_KEY ?? "klarna-sim-signing-key" },
    flaws: (env.FLAWS ?? "").split(",").filter(Boolean),
    port: Number(env.PORT ?? 0),
  });
  console.log(`broken backend listening on ${backend.url}`);
}
