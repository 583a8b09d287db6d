// The simulator's Web SDK stand-in in headless Chromium, with the real journey pages: a small
// page mounts the stand-in's button, its "backend" calls the simulator's Authorize API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startBinary, launchChromium } from "./support.mjs";

const API_KEY = "klarna_test_api_e2e0123456789";
const KEY = `Basic ${API_KEY}`;
const ACCOUNT = "krn:partner:global:account:test:e2e";
let sim;
let api; // the simulator's partner API and /_sim controls
let shop;
let browser;

async function simJson(path, init = {}) {
  const reply = await fetch(`${api}${path}`, init);
  return reply.json();
}

function page(options) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>shop</title></head><body>
<div id="klarna-button-container"></div><button id="own">Own button</button><pre id="events"></pre>
<script type="module">
const { KlarnaSDK } = await import(${JSON.stringify(`${sim.url}/web-sdk/v2/klarna.mjs`)});
const Klarna = await KlarnaSDK({ clientId: "klarna_test_client_e2e" });
window.events = [];
for (const name of ["complete", "abort", "error"]) {
  Klarna.Payment.on(name, (payload) => { window.events.push({ name, code: payload?.errorCode ?? null, message: payload?.message ?? null, state: payload?.state ?? null, id: payload?.paymentRequestId ?? null }); });
}
const options = ${JSON.stringify(options)};
async function initiate(params) {
  window.params = params;
  if (options.result === "reject") throw new Error("backend unavailable");
  if (options.result === "empty") return {};
  if (options.result === "return") return { returnUrl: "/return?direct=1" };
  const reply = await fetch(options.foreignReturn ? "/api/authorize?foreignReturn=1" : "/api/authorize", { method: "POST", body: JSON.stringify(params) });
  const body = await reply.json();
  const request = body.payment_request;
  const url = request?.state_context.customer_interaction.payment_request_url;
  if (request && options.handoff === "rewritten") return { paymentRequestUrl: url.replace("127.0.0.1", "localhost") };
  if (request) return options.handoff === "url" ? { paymentRequestUrl: url } : { paymentRequestId: request.payment_request_id };
  return { returnUrl: "/return?approved=1" };
}
const presentation = await Klarna.Payment.presentation({ amount: 11800, currency: "USD", locale: "en-US" });
window.presentation = {
  instruction: presentation.instruction,
  options: presentation.paymentOptions.map((option) => [option.paymentOptionId, typeof option.paymentButton.component]),
  older: typeof presentation.paymentButton.component,
};
presentation.paymentButton.component({ initiate, initiationMode: options.mode, shape: "pill" }).mount("#klarna-button-container");
document.querySelector("#own").addEventListener("click", () => Klarna.Payment.initiate(initiate, { initiationMode: options.mode }));
document.body.dataset.ready = "1";
</script></body></html>`;
}

before(async () => {
  sim = await startBinary("klarna-sim", ["--port", "0", "--api-port", "0", "--api-key", API_KEY], {
    waitFor: /partner API: (http:\/\/127\.0\.0\.1:\d+)/,
  });
  api = sim.extra[1];
  shop = createServer(async (request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    if (url.pathname === "/") {
      const options = Object.fromEntries(url.searchParams);
      response.writeHead(200, { "content-type": "text/html" }).end(page(options));
    } else if (url.pathname === "/api/authorize") {
      let raw = "";
      for await (const chunk of request) raw += chunk;
      const params = JSON.parse(raw || "{}");
      // `foreignReturn` registers another origin (localhost instead of 127.0.0.1) for the return.
      const host = url.searchParams.get("foreignReturn") ? request.headers.host.replace("127.0.0.1", "localhost") : request.headers.host;
      const origin = `http://${host}`;
      const reply = await fetch(`${api}/v2/accounts/${ACCOUNT}/payment/authorize`, {
        method: "POST",
        headers: { authorization: KEY, "content-type": "application/json", "klarna-network-session-token": params.klarnaNetworkSessionToken },
        body: JSON.stringify({
          currency: "USD",
          request_payment_transaction: { amount: 11800, payment_option_id: params.paymentOptionId },
          step_up_config: { customer_interaction_config: { method: "SDK", return_url: `${origin}/return?id={klarna.payment_request.id}&state={klarna.payment_request.state}` } },
        }),
      });
      response.writeHead(reply.status, { "content-type": "application/json" }).end(await reply.text());
    } else if (url.pathname === "/return") {
      response.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><p id="returned">${url.search.replace(/[<>&"]/g, "")}</p>`);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => shop.listen(0, "127.0.0.1", resolve));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  shop?.close();
  sim?.stop();
});

async function open(query) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(`http://127.0.0.1:${shop.address().port}/?${new URLSearchParams(query)}`);
  await tab.waitForSelector("body[data-ready='1']");
  return tab;
}

test("the button steps up in a pop-up and returns to the shop on approval", async () => {
  const tab = await open({ mode: "POPUP" });
  const button = tab.locator("[data-klarna-button]");
  assert.equal(await button.textContent(), "Pay with Klarna");
  const [popup] = await Promise.all([tab.waitForEvent("popup"), button.click()]);
  await popup.waitForSelector("button[data-action=approve]");
  assert.match(await popup.textContent("body"), /simulator/i);
  assert.equal(await button.getAttribute("aria-busy"), "true", "the button is loading while the journey is open");
  await Promise.all([tab.waitForURL(/\/return\?/), popup.click("button[data-action=approve]")]);
  const returned = new URL(tab.url());
  assert.equal(returned.searchParams.get("state"), "COMPLETED");
  const id = returned.searchParams.get("id");
  assert.match(id, /^krn:payment:eu1:request:/);
  const state = await simJson("/_sim/state");
  assert.equal(state.requests[id].request.state, "COMPLETED");
  await tab.context().close();
});

test("REDIRECT leaves the page for the journey; a decline comes back with its state", async () => {
  const tab = await open({ mode: "REDIRECT", handoff: "url" });
  await Promise.all([tab.waitForURL(/\/eu\/requests\/[0-9a-f-]+\/start$/), tab.click("[data-klarna-button]")]);
  await Promise.all([tab.waitForURL(/\/return\?/), tab.click("button[data-action=decline]")]);
  assert.equal(new URL(tab.url()).searchParams.get("state"), "DECLINED");
  await tab.context().close();
});

test("the SDK passes initiate its network session token and payment option", async () => {
  const tab = await open({ mode: "POPUP", result: "empty" });
  await tab.click("[data-klarna-button]");
  await tab.waitForFunction(() => window.events.length > 0);
  const params = await tab.evaluate(() => window.params);
  assert.deepEqual(Object.keys(params).sort(), ["klarnaNetworkSessionToken", "paymentOptionId"]);
  assert.match(params.klarnaNetworkSessionToken, /^krn:network:us1:test:session-token:/);
  const state = await simJson("/_sim/state");
  assert.ok(state.session_tokens[params.klarnaNetworkSessionToken], "the simulator issued that token");
  await tab.context().close();
});

test("a result with none of the hand-off keys is refused with INVALID_CALLBACK_RESPONSE", async () => {
  const tab = await open({ mode: "POPUP", result: "empty" });
  await tab.click("[data-klarna-button]");
  await tab.waitForFunction(() => window.events.length > 0);
  const events = await tab.evaluate(() => window.events);
  assert.deepEqual(events.map((e) => [e.name, e.code]), [["error", "INVALID_CALLBACK_RESPONSE"]]);
  assert.equal(await tab.locator("[data-klarna-button]").isEnabled(), true, "the button is usable again");
  await tab.context().close();
});

test("a rejected initiate emits error with the thrown error and re-enables the button", async () => {
  const tab = await open({ mode: "POPUP", result: "reject" });
  await tab.click("[data-klarna-button]");
  await tab.waitForFunction(() => window.events.length > 0);
  const events = await tab.evaluate(() => window.events);
  assert.deepEqual(events.map((e) => [e.name, e.message]), [["error", "backend unavailable"]]);
  assert.equal(await tab.locator("[data-klarna-button]").isEnabled(), true);
  await tab.context().close();
});

test("Payment.initiate from the shop's own button follows a returnUrl", async () => {
  const tab = await open({ mode: "DEVICE_BEST", result: "return" });
  await Promise.all([tab.waitForURL(/\/return\?direct=1/), tab.click("#own")]);
  await tab.context().close();
});

test("closing the pop-up aborts and re-enables the button", async () => {
  const tab = await open({ mode: "POPUP" });
  const [popup] = await Promise.all([tab.waitForEvent("popup"), tab.click("[data-klarna-button]")]);
  await popup.waitForSelector("button[data-action=cancel]");
  await popup.close();
  await tab.waitForFunction(() => window.events.length > 0);
  const events = await tab.evaluate(() => window.events);
  assert.deepEqual(events.map((e) => e.name), ["abort"]);
  assert.equal(await tab.locator("[data-klarna-button]").isEnabled(), true);
  await tab.context().close();
});

test("the journey posts its result only to the origin registered with the payment request", async () => {
  const tab = await open({ mode: "POPUP", foreignReturn: "1" });
  const [popup] = await Promise.all([tab.waitForEvent("popup"), tab.click("[data-klarna-button]")]);
  await popup.waitForSelector("button[data-action=approve]");
  await popup.click("button[data-action=approve]");
  await popup.waitForSelector("#journey-result", { state: "attached" });
  assert.equal(await popup.getAttribute("#journey-result", "data-target-origin"), `http://localhost:${shop.address().port}`);
  // The opener is on 127.0.0.1, not the registered origin: the browser drops the message.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.deepEqual(await tab.evaluate(() => window.events), []);
  assert.equal(await tab.locator("[data-klarna-button]").getAttribute("aria-busy"), "true");
  await tab.context().close();
});

test("the SDK refuses a payment request URL the simulator did not issue", async () => {
  const tab = await open({ mode: "POPUP", handoff: "rewritten" });
  let popups = 0;
  tab.on("popup", () => (popups += 1));
  await tab.click("[data-klarna-button]");
  await tab.waitForFunction(() => window.events.length > 0);
  const events = await tab.evaluate(() => window.events);
  assert.deepEqual(events.map((e) => [e.name, e.code]), [["error", "INVALID_PAYMENT_REQUEST_URL"]]);
  assert.equal(popups, 0, "the journey opened from a rewritten URL");
  assert.equal(await tab.locator("[data-klarna-button]").isEnabled(), true);
  await tab.context().close();
});

test("leaving the journey aborts and leaves the payment request SUBMITTED", async () => {
  const tab = await open({ mode: "POPUP" });
  const [popup] = await Promise.all([tab.waitForEvent("popup"), tab.click("[data-klarna-button]")]);
  await popup.click("button[data-action=cancel]");
  await tab.waitForFunction(() => window.events.length > 0);
  const events = await tab.evaluate(() => window.events);
  assert.deepEqual(events.map((e) => [e.name, e.state]), [["abort", "SUBMITTED"]]);
  const state = await simJson("/_sim/state");
  assert.equal(state.requests[events[0].id].request.state, "SUBMITTED");
  await tab.context().close();
});

test("presentation comes in the latest shape and the older one, and can say HIDE_KLARNA", async () => {
  const tab = await open({ mode: "POPUP" });
  assert.deepEqual(await tab.evaluate(() => window.presentation), {
    instruction: "SHOW_KLARNA",
    options: [["klarna-sim-pay-later", "function"]],
    older: "function",
  });
  await tab.context().close();
  const put = (instruction) => fetch(`${api}/_sim/presentation`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ instruction }) });
  assert.equal((await put("HIDE_KLARNA")).status, 200);
  try {
    const hidden = await open({ mode: "POPUP" });
    assert.deepEqual(await hidden.evaluate(() => window.presentation), { instruction: "HIDE_KLARNA", options: [], older: "function" });
    await hidden.context().close();
  } finally {
    await put(null);
  }
});
