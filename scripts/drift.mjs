// npm run drift: one set of contract cases against Klarna's Payment Authorize API, run against
// the offline simulator in each of its dialects and, when KLARNA_API_KEY and
// KLARNA_PARTNER_ACCOUNT_ID are set, against Klarna's test API (KLARNA_BASE_URL, by default
// https://api-global.test.klarna.com). One line per case and target, then what each target
// was seen to do where Klarna's documentation leaves a choice, and where the targets differ.
// Bounded: every call has a 15-second limit; the whole run makes about 20 calls per target.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";

const root = new URL("../", import.meta.url).pathname;
const TIMEOUT_MS = 15_000;
const DIALECTS = ["standard", "acquirer", "legacy"];

/** One target: where to send, with which key and account, and extra headers. */
function client({ name, base, key, account, headers = {} }) {
  async function call(method, path, { body, extra = {}, auth = `Basic ${key}` } = {}) {
    const init = {
      method,
      headers: { ...headers, ...extra, authorization: auth, "partner-correlation-id": randomUUID() },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const reply = await fetch(`${base}${path}`, init);
    const text = await reply.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: the case decides whether that matters.
    }
    return { status: reply.status, json, text, headers: reply.headers };
  }
  const accountPath = `/v2/accounts/${encodeURIComponent(account)}/payment`;
  return {
    name,
    authorize: (body, extra, auth) => call("POST", `${accountPath}/authorize`, { body, extra, auth }),
    readRequest: (id) => call("GET", `${accountPath}/requests/${encodeURIComponent(id)}`),
    cancelRequest: (id) => call("DELETE", `${accountPath}/requests/${encodeURIComponent(id)}`),
  };
}

const RETURN_URL = "https://shop.example/return?state={klarna.payment_request.state}";

function purchase(reference, changes = {}) {
  return {
    currency: "USD",
    request_payment_transaction: { amount: 11800, payment_transaction_reference: reference },
    step_up_config: { payment_request_reference: reference, customer_interaction_config: { method: "SDK", return_url: RETURN_URL } },
    supplementary_purchase_data: {
      purchase_reference: reference,
      line_items: [
        { name: "Shoes", quantity: 2, unit_price: 5000, total_amount: 10000 },
        { name: "Socks", quantity: 1, unit_price: 1800, total_amount: 1800 },
      ],
    },
    ...changes,
  };
}

/** The payment request's id and URL, wherever the reply puts them. */
function requestOf(reply) {
  const request = reply.json?.payment_request;
  const interaction = request?.state_context?.customer_interaction;
  return { id: request?.payment_request_id ?? interaction?.payment_request_id, url: interaction?.payment_request_url };
}

/** What an error body looks like, in the words of spec A4. */
function errorForm(json) {
  if (!json || typeof json.error_code !== "string") return "not an error body";
  const parts = [json.error_type === undefined ? "no error_type" : "error_type"];
  parts.push(json.error_message === undefined ? "no error_message" : "error_message");
  if (Array.isArray(json.validation_errors)) parts.push("validation_errors[]");
  if (Array.isArray(json.errors)) parts.push("errors[]");
  return parts.join(", ");
}

function refused(json) {
  const lists = [...(json?.validation_errors ?? []), ...(json?.errors ?? [])];
  return lists.map((error) => error.parameter);
}

class Failure extends Error {}
function expect(condition, why) {
  if (!condition) throw new Failure(why);
}

/** The contract cases. Each returns a short detail; `observe` notes what Klarna may do either way. */
const CASES = [
  ["an unknown API key is refused with 401 and an error body", async (k) => {
    const reply = await k.authorize(purchase(`drift-${randomUUID()}`), {}, "Basic klarna_test_api_drift_unknown_key");
    expect(reply.status === 401, `HTTP ${reply.status}`);
    expect(typeof reply.json?.error_code === "string", `body: ${reply.text.slice(0, 120)}`);
    return reply.json.error_code;
  }],
  ["a purchase with step_up_config steps up with a payment request", async (k, memo) => {
    const reply = await k.authorize(purchase(`drift-${randomUUID()}`));
    expect(reply.status === 200, `HTTP ${reply.status}: ${reply.text.slice(0, 160)}`);
    expect(reply.json?.payment_transaction_response?.result === "STEP_UP_REQUIRED", `result ${reply.json?.payment_transaction_response?.result}`);
    const { id, url } = requestOf(reply);
    expect(typeof id === "string" && id.startsWith("krn:"), `payment request id ${id}`);
    expect(typeof url === "string" && /\/[a-z]{2}\/requests\/[^/]+\/start/.test(new URL(url).pathname), `payment_request_url ${url}`);
    expect(reply.json.payment_request.state === "SUBMITTED", `state ${reply.json.payment_request.state}`);
    memo.request = id;
    memo.observe("Klarna-Correlation-Id on replies", reply.headers.has("klarna-correlation-id") ? "yes" : "no");
    memo.observe("payment request id at the top level", reply.json.payment_request.payment_request_id ? "yes" : "only in state_context");
    return `${id.slice(0, 40)}…`;
  }],
  ["the payment request reads back SUBMITTED", async (k, memo) => {
    expect(memo.request, "no payment request from the case before");
    const reply = await k.readRequest(memo.request);
    expect(reply.status === 200, `HTTP ${reply.status}`);
    expect(reply.json?.state === "SUBMITTED", `state ${reply.json?.state}`);
    return reply.json.state;
  }],
  ["a DELETE cancels the payment request", async (k, memo) => {
    expect(memo.request, "no payment request from the case before");
    const reply = await k.cancelRequest(memo.request);
    expect(reply.status === 200 || reply.status === 204, `HTTP ${reply.status}`);
    const after = await k.readRequest(memo.request);
    expect(after.json?.state === "CANCELED", `state ${after.json?.state}`);
    return `HTTP ${reply.status}, then ${after.json.state}`;
  }],
  ["an unknown payment request is 404", async (k) => {
    const reply = await k.readRequest(`krn:payment:eu1:request:${randomUUID()}`);
    expect(reply.status === 404, `HTTP ${reply.status}`);
    return reply.json?.error_code ?? "no error body";
  }],
  ["the same Klarna-Idempotency-Key and body get the first reply", async (k) => {
    const key = { "klarna-idempotency-key": randomUUID() };
    const body = purchase(`drift-${randomUUID()}`);
    const first = await k.authorize(body, key);
    const second = await k.authorize(body, key);
    expect(first.status === 200 && second.status === 200, `HTTP ${first.status}, ${second.status}`);
    expect(requestOf(first).id === requestOf(second).id, "a second payment request");
    await k.cancelRequest(requestOf(first).id);
    return "same payment request";
  }],
  ["another body under a used key is refused", async (k, memo) => {
    const key = { "klarna-idempotency-key": randomUUID() };
    const first = await k.authorize(purchase(`drift-${randomUUID()}`), key);
    const other = await k.authorize(purchase(`drift-${randomUUID()}`), key);
    expect(first.status === 200, `HTTP ${first.status}`);
    expect(other.status >= 400 && other.status < 500, `HTTP ${other.status}`);
    await k.cancelRequest(requestOf(first).id);
    memo.observe("key reused with another body", `HTTP ${other.status} ${other.json?.error_code ?? ""}`.trim());
    return `HTTP ${other.status}`;
  }],
  ["a repeat of a refused request gets the same error", async (k, memo) => {
    const key = { "klarna-idempotency-key": randomUUID() };
    const body = purchase(`drift-${randomUUID()}`, { currency: "XYZ" });
    const first = await k.authorize(body, key);
    const again = await k.authorize(body, key);
    expect(first.status === 400 && again.status === 400, `HTTP ${first.status}, ${again.status}`);
    memo.observe("a refused request repeated under its key", first.json?.error_id === again.json?.error_id ? "same error_id (replayed)" : "new error_id");
    return "400 twice";
  }],
  ["an unknown currency is a validation error naming currency", async (k, memo) => {
    const reply = await k.authorize(purchase(`drift-${randomUUID()}`, { currency: "XYZ" }));
    expect(reply.status === 400, `HTTP ${reply.status}`);
    expect(reply.json?.error_code === "VALIDATION_ERROR", `error_code ${reply.json?.error_code}`);
    const named = refused(reply.json);
    expect(named.includes("currency") || /currency/i.test(reply.json.error_message ?? ""), `refused ${named}`);
    memo.observe("validation error body", errorForm(reply.json));
    return named.join(", ") || reply.json.error_message;
  }],
  ["a step-up without return_url is a validation error", async (k) => {
    const body = purchase(`drift-${randomUUID()}`);
    delete body.step_up_config.customer_interaction_config.return_url;
    const reply = await k.authorize(body);
    expect(reply.status === 400, `HTTP ${reply.status}`);
    return refused(reply.json).join(", ") || reply.json?.error_message || reply.json?.error_code;
  }],
  ["tokenization steps up first", async (k) => {
    const reply = await k.authorize({
      currency: "USD",
      request_customer_token: { scopes: ["payment:customer_present"], customer_token_reference: `drift-${randomUUID()}` },
      step_up_config: { customer_interaction_config: { method: "SDK", return_url: RETURN_URL } },
      supplementary_purchase_data: { ondemand_service: { average_amount: 2500, purchase_interval: "MONTH", purchase_interval_frequency: 1 } },
    });
    expect(reply.status === 200, `HTTP ${reply.status}: ${reply.text.slice(0, 160)}`);
    expect(reply.json?.customer_token_response?.result === "STEP_UP_REQUIRED", `result ${reply.json?.customer_token_response?.result}`);
    await k.cancelRequest(requestOf(reply).id);
    return "STEP_UP_REQUIRED";
  }],
  ["a discounted line (total below quantity × price) is accepted", async (k) => {
    const body = purchase(`drift-${randomUUID()}`);
    body.supplementary_purchase_data.line_items = [
      { name: "Shoes", quantity: 2, unit_price: 5000, total_amount: 9000 },
      { name: "Socks", quantity: 1, unit_price: 1800, total_amount: 2800 },
    ];
    const reply = await k.authorize(body);
    expect(reply.status === 200, `HTTP ${reply.status}: ${reply.text.slice(0, 160)}`);
    await k.cancelRequest(requestOf(reply).id);
    return "accepted";
  }],
  ["shipping as a single object is accepted", async (k) => {
    const body = purchase(`drift-${randomUUID()}`);
    body.supplementary_purchase_data.shipping = { recipient: { given_name: "Ada", family_name: "Lovelace" }, address: { country: "US", postal_code: "10001" } };
    const reply = await k.authorize(body);
    expect(reply.status === 200, `HTTP ${reply.status}: ${reply.text.slice(0, 160)}`);
    await k.cancelRequest(requestOf(reply).id);
    return "accepted";
  }],
  ["step_up_config.mode REQUIRED is accepted or refused cleanly", async (k, memo) => {
    const body = purchase(`drift-${randomUUID()}`);
    body.step_up_config.mode = "REQUIRED";
    const reply = await k.authorize(body);
    expect(reply.status === 200 || reply.status === 400, `HTTP ${reply.status}`);
    if (reply.status === 200) await k.cancelRequest(requestOf(reply).id);
    const seen = reply.status === 200 ? `accepted (${reply.json?.payment_transaction_response?.result})` : `refused (${refused(reply.json).join(", ")})`;
    memo.observe("step_up_config.mode REQUIRED", seen);
    return seen;
  }],
];

async function run(target) {
  const memo = { observations: new Map(), observe: (what, seen) => memo.observations.set(what, seen) };
  let failed = 0;
  for (const [name, check] of CASES) {
    try {
      const detail = await check(target, memo);
      console.log(`PASS  ${target.name.padEnd(14)} ${name}${detail ? `  (${detail})` : ""}`);
    } catch (error) {
      failed += 1;
      const why = error instanceof Failure ? error.message : `${error.name}: ${error.message}`;
      console.log(`FAIL  ${target.name.padEnd(14)} ${name}  (${why})`);
    }
  }
  return { failed, observations: memo.observations };
}

/** Builds and starts the simulator on free ports; resolves with its API base URL. */
async function startSimulator(key) {
  const built = spawnSync("cargo", ["build", "-q", "-p", "klarna-sim"], { cwd: root, stdio: "inherit" });
  if (built.status !== 0) throw new Error("cargo build -p klarna-sim failed");
  const binary = `${process.env.CARGO_TARGET_DIR ?? `${root}target`}/debug/klarna-sim`;
  const child = spawn(binary, ["--port", "0", "--api-port", "0", "--api-key", key], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const api = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`klarna-sim did not start:\n${log}`)), 15_000);
    const read = (chunk) => {
      log += chunk;
      const match = /partner API: (http:\/\/[^\s]+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => reject(new Error(`klarna-sim exited with ${code}:\n${log}`)));
  });
  return { api, stop: () => child.kill("SIGTERM") };
}

const results = new Map();
let failures = 0;
const simKey = `klarna_test_api_drift_${randomUUID().replaceAll("-", "")}`;
const sim = await startSimulator(simKey);
try {
  for (const dialect of DIALECTS) {
    const target = client({ name: `sim/${dialect}`, base: sim.api, key: simKey, account: "krn:partner:global:account:test:drift", headers: { "klarna-sim-dialect": dialect } });
    const result = await run(target);
    failures += result.failed;
    results.set(target.name, result.observations);
  }
} finally {
  sim.stop();
}

const { KLARNA_API_KEY: key, KLARNA_PARTNER_ACCOUNT_ID: account } = process.env;
if (key && account) {
  const base = (process.env.KLARNA_BASE_URL ?? "https://api-global.test.klarna.com").replace(/\/$/, "");
  const result = await run(client({ name: "klarna", base, key, account }));
  failures += result.failed;
  results.set("klarna", result.observations);
} else {
  console.log("SKIP  klarna         skipped: no credentials (set KLARNA_API_KEY and KLARNA_PARTNER_ACCOUNT_ID to compare with Klarna's test API)");
}

console.log("\nWhere Klarna's documentation leaves a choice, each target was seen to:");
const aspects = [...new Set([...results.values()].flatMap((seen) => [...seen.keys()]))];
for (const aspect of aspects) {
  const seen = [...results].map(([name, observations]) => [name, observations.get(aspect) ?? "-"]);
  const differs = new Set(seen.map(([, value]) => value)).size > 1;
  console.log(`${differs ? "DIFFERS" : "same   "}  ${aspect}`);
  for (const [name, value] of seen) console.log(`           ${name.padEnd(14)} ${value}`);
}
console.log(`\ndrift: ${failures === 0 ? "every case passed" : `${failures} case(s) failed`}`);
process.exit(failures === 0 ? 0 : 1);
