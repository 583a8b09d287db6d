// Browser scenarios for the package, written against its JavaScript API as a checkout page
// uses it. `tests/web.rs` runs each one in headless Chromium and Firefox through
// wasm-bindgen-test and hands it the real `buttonConfig`. A scenario throws on failure.
import { installFakeFetch, installRealFetch, queueReply, requests } from "./fake_fetch.js";

const ENDPOINT = "/api/authorize-payment";
const REQUEST_ID = "krn:payment:eu1:request:552603c0-fe8b-4ab1-aacb-41d55fafbdb4";
const REQUEST_URL = "https://pay.test.klarna.com/eu/requests/552603c0/start?token=abc";
const TRANSACTION_ID = "krn:payment:eu1:transaction:6debe89e-98c0-4f7e";
const LEAKED_TOKEN = "krn:customer-token:eu1:LEAKED-SECRET";
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SDK_PARAMS = {
  klarnaNetworkSessionToken: "krn:network:us1:test:session-token:abc",
  paymentOptionId: "option-1",
  acquiringConfig: { paymentAccountId: "acct-9" },
};

const abs = (path) => new URL(path, location.href).href;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function eq(actual, expected, what) {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

async function rejection(promise, what) {
  let value;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`${what}: expected a rejection, got ${JSON.stringify(value)}`);
}

function expectError(error, code, what) {
  check(error instanceof Error, `${what}: not an Error: ${error}`);
  eq(error.name, "KlarnaButtonError", `${what}: name`);
  eq(error.code, code, `${what}: code (message: ${error.message})`);
  check(typeof error.message === "string" && error.message.length > 0, `${what}: no message`);
  check(typeof error.recoverable === "boolean", `${what}: recoverable is not a boolean`);
  return error;
}

function expectPlain(result, what) {
  check(result !== null && typeof result === "object", `${what}: not an object`);
  check(Object.getPrototypeOf(result) === Object.prototype, `${what}: not a plain object`);
  for (const [key, value] of Object.entries(result)) {
    check(value !== null && value !== undefined, `${what}: ${key} is ${value}`);
  }
}

const json = (value, status = 200) => ({ status, body: JSON.stringify(value) });

/** A Payment Authorize reply with payment result `p` and token result `t` (null = absent). */
function authorizeReply(p, t) {
  const reply = {};
  if (p) {
    reply.payment_transaction_response = { result: p };
    if (p === "APPROVED") {
      reply.payment_transaction_response.payment_transaction = { payment_transaction_id: TRANSACTION_ID, amount: 11800, currency: "USD" };
    }
    if (p === "DECLINED") reply.payment_transaction_response.result_reason = "RISK";
  }
  if (t) {
    reply.customer_token_response = { result: t };
    // A careless backend that forgets to strip the token: it must never reach onOutcome.
    if (t === "APPROVED") reply.customer_token_response.customer_token = { customer_token: LEAKED_TOKEN, scopes: ["payment:customer_present"] };
  }
  if (p === "STEP_UP_REQUIRED" || t === "STEP_UP_REQUIRED") {
    reply.payment_request = {
      payment_request_id: REQUEST_ID,
      state: "SUBMITTED",
      state_context: { customer_interaction: { method: "HANDOVER", payment_request_url: REQUEST_URL } },
    };
  }
  return reply;
}

function base(buttonConfig) {
  return buttonConfig(ENDPOINT).successUrl("/order/complete");
}

const good = () => json(authorizeReply("APPROVED", null));

async function expectGoodCall(config, what) {
  queueReply(good());
  eq(await config.initiate(SDK_PARAMS), { returnUrl: abs("/order/complete") }, `${what}: the next click`);
}

// Spec A1, every cell, as the contract writes it: [P, T, kind, notice].
const TABLE = [
  [null, null, "INVALID"],
  [null, "APPROVED", "SUCCESS", null],
  [null, "STEP_UP_REQUIRED", "STEP_UP", null],
  [null, "DECLINED", "DECLINE", null],
  ["APPROVED", null, "SUCCESS", null],
  ["APPROVED", "APPROVED", "SUCCESS", null],
  ["APPROVED", "STEP_UP_REQUIRED", "STEP_UP", null],
  ["APPROVED", "DECLINED", "SUCCESS", "TOKEN_NOT_CREATED"],
  ["STEP_UP_REQUIRED", null, "STEP_UP", null],
  ["STEP_UP_REQUIRED", "APPROVED", "STEP_UP", null],
  ["STEP_UP_REQUIRED", "STEP_UP_REQUIRED", "STEP_UP", null],
  ["STEP_UP_REQUIRED", "DECLINED", "STEP_UP", "TOKEN_NOT_CREATED"],
  ["DECLINED", null, "DECLINE", null],
  ["DECLINED", "APPROVED", "DECLINE", "PURCHASE_FAILED_TOKEN_CREATED"],
  ["DECLINED", "STEP_UP_REQUIRED", "DECLINE", null],
  ["DECLINED", "DECLINED", "DECLINE", null],
];

const scenarios = {
  async outcomeTable(buttonConfig) {
    for (const [p, t, kind, notice] of TABLE) {
      const cell = `P=${p} T=${t}`;
      installFakeFetch();
      const outcomes = [];
      let settled = false;
      const config = base(buttonConfig)
        .declineUrl("/checkout?declined=1")
        .onOutcome((outcome) => outcomes.push({ outcome, settledBefore: settled }))
        .build();
      queueReply(json(authorizeReply(p, t)));
      const promise = config.initiate(SDK_PARAMS);
      promise.then(() => (settled = true), () => (settled = true));
      if (kind === "INVALID") {
        expectError(await rejection(promise, cell), "INVALID_RESPONSE", cell);
        eq(outcomes.length, 0, `${cell}: onOutcome calls`);
        continue;
      }
      const result = await promise;
      expectPlain(result, cell);
      const expected = {
        STEP_UP: { paymentRequestId: REQUEST_ID },
        SUCCESS: { returnUrl: abs("/order/complete") },
        DECLINE: { returnUrl: abs("/checkout?declined=1") },
      }[kind];
      eq(result, expected, `${cell}: result`);
      eq(outcomes.length, 1, `${cell}: onOutcome calls`);
      const { outcome, settledBefore } = outcomes[0];
      check(!settledBefore, `${cell}: onOutcome ran after the promise settled`);
      check(Object.getPrototypeOf(outcome) === Object.prototype, `${cell}: the outcome is not a plain object`);
      check(!Object.values(outcome).includes(undefined), `${cell}: the outcome has an undefined field`);
      const expectedOutcome = { kind, payment: p, token: t, notice };
      if (p === "APPROVED") expectedOutcome.paymentTransactionId = TRANSACTION_ID;
      if (kind === "STEP_UP") expectedOutcome.paymentRequestId = REQUEST_ID;
      eq(outcome, expectedOutcome, `${cell}: outcome`);
      check(!JSON.stringify(outcome).includes("LEAKED"), `${cell}: the outcome carries the customer token`);
    }
  },

  async declineWithoutUrlRejects(buttonConfig) {
    installFakeFetch();
    const kinds = [];
    const config = base(buttonConfig).onOutcome((o) => kinds.push(o.kind)).build();
    queueReply(json(authorizeReply("DECLINED", "DECLINED")));
    const error = expectError(await rejection(config.initiate(SDK_PARAMS), "decline"), "DECLINED", "decline");
    eq(error.recoverable, false, "recoverable");
    eq(kinds, ["DECLINE"], "onOutcome saw the decline");
    await expectGoodCall(config, "after a decline");
  },

  async handoffByUrl(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).handoff("paymentRequestUrl").build();
    queueReply(json(authorizeReply(null, "STEP_UP_REQUIRED")));
    const result = await config.initiate(SDK_PARAMS);
    expectPlain(result, "url hand-off");
    eq(result, { paymentRequestUrl: REQUEST_URL }, "Klarna's URL passed through unchanged");
    // A loopback journey (the offline simulator) is allowed over plain http.
    const local = "http://127.0.0.1:4100/journey/krn:payment:eu1:request:1";
    queueReply(json({ customer_token_response: { result: "STEP_UP_REQUIRED" }, payment_request: { state_context: { customer_interaction: { payment_request_url: local } } } }));
    eq(await config.initiate(SDK_PARAMS), { paymentRequestUrl: local }, "loopback journey");
  },

  async requestIdInStateContext(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    queueReply(json({
      customer_token_response: { result: "STEP_UP_REQUIRED" },
      payment_request: { state_context: { customer_interaction: { method: "SDK", payment_request_id: REQUEST_ID } } },
    }));
    eq(await config.initiate(SDK_PARAMS), { paymentRequestId: REQUEST_ID }, "id read from state_context");
  },

  async forwarding(buttonConfig) {
    installFakeFetch();
    const context = { cartId: "c-1", lines: [1, 2], note: null };
    const config = base(buttonConfig)
      .header("X-CSRF-Token", "csrf-123")
      .header("X-Shop", "first")
      .header("x-shop", "second")
      .context(context)
      .build();
    context.cartId = "changed after context()";
    queueReply(good());
    queueReply(good());
    await config.initiate(SDK_PARAMS);
    await config.initiate({ klarnaNetworkSessionToken: "krn:network:us1:test:session-token:def" });
    const [first, second] = requests();
    eq(first.url, abs(ENDPOINT), "url");
    eq(first.method, "POST", "method");
    eq(first.headers["content-type"], "application/json", "content-type");
    eq(first.headers["accept"], "application/json", "accept");
    eq(first.headers["x-csrf-token"], "csrf-123", "custom header");
    eq(first.headers["x-shop"], "second", "a later header value replaces");
    check(UUID_V4.test(first.headers["idempotency-key"]), `idempotency key ${first.headers["idempotency-key"]}`);
    check(UUID_V4.test(second.headers["idempotency-key"]), "second idempotency key");
    check(first.headers["idempotency-key"] !== second.headers["idempotency-key"], "each click has a fresh key");
    eq(JSON.parse(first.body), {
      klarna_network_session_token: SDK_PARAMS.klarnaNetworkSessionToken,
      payment_option_id: "option-1",
      acquiring_config: { paymentAccountId: "acct-9" },
      context: { cartId: "c-1", lines: [1, 2], note: null },
    }, "first body");
    eq(JSON.parse(second.body), {
      klarna_network_session_token: "krn:network:us1:test:session-token:def",
      context: { cartId: "c-1", lines: [1, 2], note: null },
    }, "second body");
  },

  async noParams(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    queueReply(good());
    await config.initiate();
    eq(JSON.parse(requests()[0].body), {}, "body without SDK params or context");
  },

  async doubleClick(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    queueReply({ ...good(), delayMs: 50 });
    const first = config.initiate(SDK_PARAMS);
    const second = config.initiate(SDK_PARAMS);
    const third = config.initiate();
    check(first === second && second === third, "a click while one is pending gets the same promise");
    await first;
    eq(requests().length, 1, "requests sent for three clicks");
    queueReply(good());
    await config.initiate(SDK_PARAMS);
    eq(requests().length, 2, "a click after settling sends again");
    check(requests()[0].headers["idempotency-key"] !== requests()[1].headers["idempotency-key"], "with a new key");
  },

  async timeout(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).timeoutMs(150).build();
    queueReply({ hang: true });
    const started = performance.now();
    const error = expectError(await rejection(config.initiate(SDK_PARAMS), "hang"), "TIMEOUT", "hang");
    check(performance.now() - started >= 140, "rejected before the timeout");
    eq(error.recoverable, true, "recoverable");
    check(requests()[0].signal.aborted, "the request was aborted");
    queueReply({ stallBody: true });
    expectError(await rejection(config.initiate(SDK_PARAMS), "stalled body"), "TIMEOUT", "stalled body");
    check(requests()[1].signal.aborted, "the stalled request was aborted");
    await expectGoodCall(config, "after a timeout");
  },

  async fastReplyClearsTheTimer(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).timeoutMs(100).build();
    const started = [];
    const cleared = [];
    const { setTimeout: realSet, clearTimeout: realClear } = window;
    window.setTimeout = (callback, ms, ...rest) => {
      const handle = realSet(callback, ms, ...rest);
      if (ms === 100) started.push(handle);
      return handle;
    };
    window.clearTimeout = (handle) => {
      cleared.push(handle);
      realClear(handle);
    };
    try {
      queueReply(good());
      await config.initiate(SDK_PARAMS);
    } finally {
      window.setTimeout = realSet;
      window.clearTimeout = realClear;
    }
    eq(started.length, 1, "timers started for the request");
    check(cleared.includes(started[0]), "the request's timer was not cleared after the reply");
    await new Promise((resolve) => setTimeout(resolve, 200));
    check(!requests()[0].signal.aborted, "a finished request was aborted later by its timer");
  },

  async fetchThatThrows(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    queueReply({ throwSync: true });
    const error = expectError(await rejection(config.initiate(SDK_PARAMS), "throwing fetch"), "NETWORK", "throwing fetch");
    eq(error.recoverable, true, "recoverable");
    await expectGoodCall(config, "after a throwing fetch");
  },

  async fetchThatIgnoresAbort(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).timeoutMs(150).build();
    queueReply({ ignoreAbort: true });
    expectError(await rejection(config.initiate(SDK_PARAMS), "deaf fetch"), "TIMEOUT", "a fetch that ignores the abort signal");
    await expectGoodCall(config, "after a fetch that ignored the abort");
  },

  async doubleClickOnAFailingAttempt(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    queueReply({ status: 503, body: "", delayMs: 30 });
    const first = config.initiate(SDK_PARAMS);
    const second = config.initiate(SDK_PARAMS);
    check(first === second, "the second click got another promise");
    const [a, b] = await Promise.allSettled([first, second]);
    eq([a.status, b.status, a.reason?.code, b.reason === a.reason], ["rejected", "rejected", "HTTP", true], "both clicks share the failure");
    eq(requests().length, 1, "requests sent");
    await expectGoodCall(config, "after the shared failure");
  },

  async correctedSetterCalls(buttonConfig) {
    const builder = buttonConfig(ENDPOINT).successUrl(42);
    builder.timeoutMs("30000");
    builder.successUrl("/order/complete");
    builder.timeoutMs(5000);
    const config = builder.build();
    check(typeof config.initiate === "function", "a corrected builder builds");
  },

  async asyncOnOutcomeThatRejects(buttonConfig) {
    installFakeFetch();
    const unhandled = [];
    const listener = (event) => unhandled.push(event.reason);
    window.addEventListener("unhandledrejection", listener);
    try {
      const config = base(buttonConfig).onOutcome(async () => {
        throw new Error("async analytics failed");
      }).build();
      queueReply(good());
      eq(await config.initiate(SDK_PARAMS), { returnUrl: abs("/order/complete") }, "result despite a rejecting onOutcome");
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      window.removeEventListener("unhandledrejection", listener);
    }
    eq(unhandled.length, 0, "unhandled rejections");
  },

  async networkError(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    queueReply({ networkError: true });
    const error = expectError(await rejection(config.initiate(SDK_PARAMS), "network"), "NETWORK", "network");
    eq(error.recoverable, true, "recoverable");
    await expectGoodCall(config, "after a network error");
  },

  async httpErrors(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    const klarnaTimeout = { error_id: "e-77", error_type: "TECHNICAL_ERROR", error_code: "TIMEOUT", error_message: "Request processing timeout." };
    const cases = [
      [json(klarnaTimeout, 500), { status: 500, recoverable: true, errorCode: "TIMEOUT", errorId: "e-77" }],
      [json({ error_id: "e-1", error_type: "INPUT_ERROR", error_code: "RATE_LIMITED", error_message: "slow down" }, 429), { status: 429, recoverable: true, errorCode: "RATE_LIMITED", errorId: "e-1" }],
      [json({ error_id: "e-2", error_type: "INPUT_ERROR", error_code: "VALIDATION_ERROR", error_message: "bad" }, 400), { status: 400, recoverable: false, errorCode: "VALIDATION_ERROR", errorId: "e-2" }],
      [{ status: 502, body: "<html><body>Bad gateway</body></html>", headers: { "content-type": "text/html" } }, { status: 502, recoverable: true }],
      [{ status: 403, body: "" }, { status: 403, recoverable: false }],
    ];
    for (const [spec, expected] of cases) {
      queueReply(spec);
      const what = `HTTP ${spec.status}`;
      const error = expectError(await rejection(config.initiate(SDK_PARAMS), what), "HTTP", what);
      eq({ status: error.status, recoverable: error.recoverable, errorCode: error.errorCode, errorId: error.errorId }, expected, what);
      if (!expected.errorCode) check(!("errorCode" in error) && !("errorId" in error), `${what}: errorCode set without a Klarna body`);
      await expectGoodCall(config, `after ${what}`);
    }
  },

  async invalidReplies(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    const bodies = [
      "",
      "not json",
      "<!doctype html><html><body>Welcome</body></html>",
      "null",
      "[]",
      "\"APPROVED\"",
      "{}",
      "{\"payment_transaction_response\":",
      JSON.stringify({ payment_transaction_response: "APPROVED" }),
      JSON.stringify({ payment_transaction_response: { result: 1 } }),
      JSON.stringify({ payment_transaction_response: { result: "PENDING" } }),
      JSON.stringify({ customer_token_response: { result: "approved" } }),
      JSON.stringify({ customer_token_response: { result: "STEP_UP_REQUIRED" } }),
      JSON.stringify({ customer_token_response: { result: "STEP_UP_REQUIRED" }, payment_request: {} }),
      JSON.stringify({ customer_token_response: { result: "STEP_UP_REQUIRED" }, payment_request: { payment_request_id: 42 } }),
    ];
    for (const body of bodies) {
      queueReply({ status: 200, body });
      expectError(await rejection(config.initiate(SDK_PARAMS), `body ${body}`), "INVALID_RESPONSE", `body ${body}`);
    }
    await expectGoodCall(config, "after invalid replies");
  },

  async oversizedReplies(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    const approved = JSON.stringify(authorizeReply("APPROVED", null));
    queueReply({ status: 200, body: approved, headers: { "content-type": "application/json", "content-length": String(2 * 1024 * 1024) } });
    const declared = expectError(await rejection(config.initiate(SDK_PARAMS), "declared 2 MB"), "INVALID_RESPONSE", "declared 2 MB");
    check(declared.message.includes("1 MB"), `declared 2 MB: ${declared.message}`);
    queueReply({ status: 502, chunks: ["<html>", ...Array(17).fill(" ".repeat(64 * 1024))], headers: { "content-type": "text/html" } });
    const page = expectError(await rejection(config.initiate(SDK_PARAMS), "oversized 502 page"), "HTTP", "oversized 502 page");
    eq([page.status, page.recoverable], [502, true], "an oversized error page keeps its status");
    const padding = " ".repeat(64 * 1024);
    queueReply({ status: 200, chunks: [JSON.stringify(authorizeReply("APPROVED", null)), ...Array(17).fill(padding)] });
    expectError(await rejection(config.initiate(SDK_PARAMS), "streamed 1.06 MB"), "INVALID_RESPONSE", "streamed 1.06 MB");
    check(requests()[2].signal.aborted, "the oversized download was aborted");
    queueReply({ status: 200, chunks: [JSON.stringify(authorizeReply("APPROVED", null)), ...Array(15).fill(padding)] });
    eq(await config.initiate(SDK_PARAMS), { returnUrl: abs("/order/complete") }, "a reply just under 1 MB");
  },

  async unsafeHandoffs(buttonConfig) {
    installFakeFetch();
    const byUrl = base(buttonConfig).handoff("paymentRequestUrl").build();
    const stepUpWithUrl = (url) => json({ customer_token_response: { result: "STEP_UP_REQUIRED" }, payment_request: { state_context: { customer_interaction: { payment_request_url: url } } } });
    for (const url of ["http://pay.klarna.example/r/1", "javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "https://user:pw@pay.klarna.example/r/1"]) {
      queueReply(stepUpWithUrl(url));
      expectError(await rejection(byUrl.initiate(SDK_PARAMS), url), "UNSAFE_URL", url);
    }
    queueReply(stepUpWithUrl("/relative/journey"));
    expectError(await rejection(byUrl.initiate(SDK_PARAMS), "relative"), "INVALID_RESPONSE", "relative URL");
    const byId = base(buttonConfig).build();
    for (const id of ["javascript:alert(1)", "krn:payment:eu1:request:a b", "krn:x\u0000", `krn:${"a".repeat(300)}`, ""]) {
      queueReply(json({ customer_token_response: { result: "STEP_UP_REQUIRED" }, payment_request: { payment_request_id: id } }));
      expectError(await rejection(byId.initiate(SDK_PARAMS), `id ${id}`), "INVALID_RESPONSE", `id ${JSON.stringify(id)}`);
    }
    await expectGoodCall(byId, "after unsafe hand-offs");
  },

  async configErrors(buttonConfig) {
    const cyclic = {};
    cyclic.self = cyclic;
    const cases = [
      ["no successUrl", () => buttonConfig(ENDPOINT), "successUrl"],
      ["unknown initiation mode", () => base(buttonConfig).initiationMode("SOMETIMES"), "initiationMode"],
      ["javascript: success URL", () => buttonConfig(ENDPOINT).successUrl("javascript:alert(1)"), "successUrl"],
      ["foreign success URL", () => buttonConfig(ENDPOINT).successUrl("https://evil.example/x"), "successUrl"],
      ["foreign decline URL", () => base(buttonConfig).declineUrl("https://evil.example/x"), "declineUrl"],
      ["http allowed origin", () => base(buttonConfig).allowReturnOrigin("http://partner.example"), "allowReturnOrigin"],
      ["relative allowed origin", () => base(buttonConfig).allowReturnOrigin("pay.partner.example"), "allowReturnOrigin"],
      ["BigInt context", () => base(buttonConfig).context(10n), "context"],
      ["function context", () => base(buttonConfig).context(() => 1), "context"],
      ["cyclic context", () => base(buttonConfig).context(cyclic), "context"],
      ["timeout too short", () => base(buttonConfig).timeoutMs(10), "timeoutMs"],
      ["timeout too long", () => base(buttonConfig).timeoutMs(10 * 60 * 1000), "timeoutMs"],
      ["timeout not a number", () => base(buttonConfig).timeoutMs("30000"), "timeoutMs"],
      ["successUrl not a string", () => buttonConfig(ENDPOINT).successUrl({ href: "/x" }), "successUrl"],
      ["endpoint not a string", () => buttonConfig(42).successUrl("/x"), "endpoint"],
      ["reserved header", () => base(buttonConfig).header("Idempotency-Key", "mine"), "Idempotency-Key"],
      ["header with a line break", () => base(buttonConfig).header("X-A", "a\r\nb: c"), "X-A"],
      ["header beyond Latin-1", () => base(buttonConfig).header("X-Price", "5 €"), "X-Price"],
      ["unknown hand-off", () => base(buttonConfig).handoff("paymentRequest"), "handoff"],
      ["unknown shape", () => base(buttonConfig).shape("circle"), "shape"],
      ["intents not an array", () => base(buttonConfig).intents("PAY"), "intents"],
      ["onOutcome not a function", () => base(buttonConfig).onOutcome("log"), "onOutcome"],
      ["credentials not a fetch word", () => base(buttonConfig).credentials("cors"), "credentials"],
      ["credentials not a string", () => base(buttonConfig).credentials(true), "credentials"],
      ["signal not an AbortSignal", () => base(buttonConfig).signal(new AbortController()), "signal"],
      ["signal undefined", () => base(buttonConfig).signal(undefined), "signal"],
    ];
    for (const [what, make, field] of cases) {
      let error;
      try {
        make().build();
      } catch (thrown) {
        error = thrown;
      }
      check(error !== undefined, `${what}: build() did not throw`);
      expectError(error, "CONFIG", what);
      eq(error.recoverable, false, `${what}: recoverable`);
      check(error.message.includes(field), `${what}: the message does not name ${field}: ${error.message}`);
    }
  },

  async badInitiateParams(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).build();
    for (const params of ["token", 42, { klarnaNetworkSessionToken: 5 }, { acquiringConfig: "acct" }, { paymentOptionId: {} }]) {
      expectError(await rejection(config.initiate(params), JSON.stringify(params)), "CONFIG", JSON.stringify(params));
    }
    eq(requests().length, 0, "nothing sent for bad parameters");
    // A click event passed as the parameter (initiate wired as a DOM handler) sends no SDK fields.
    queueReply(good());
    await config.initiate(new MouseEvent("click"));
    eq(JSON.parse(requests()[0].body), {}, "body for a click event");
  },

  async builderIsPlainJavaScript(buttonConfig) {
    installFakeFetch();
    const builder = buttonConfig(ENDPOINT);
    builder.successUrl("/order/complete");
    builder.declineUrl("/checkout?declined=1");
    builder.initiationMode("POPUP");
    const config = builder.build();
    expectPlain(config, "config");
    eq(Object.keys(config).sort(), ["initiate", "initiationMode"], "config keys");
    eq(config.initiationMode, "POPUP", "initiationMode");
    check(typeof config.initiate === "function", "initiate is a function");
    queueReply(json(authorizeReply("DECLINED", null)));
    eq(await config.initiate(SDK_PARAMS), { returnUrl: abs("/checkout?declined=1") }, "decline URL set without chaining");

    const styled = base(buttonConfig).shape("pill").theme("dark").locale("en-US").intents(["PAY"]).logoAlignment("center").id("kb").build();
    eq(Object.keys(styled).sort(), ["id", "initiate", "initiationMode", "intents", "locale", "logoAlignment", "shape", "theme"], "styled keys");
    eq([styled.initiationMode, styled.shape, styled.theme, styled.locale, styled.intents, styled.logoAlignment, styled.id], ["DEVICE_BEST", "pill", "dark", "en-US", ["PAY"], "center", "kb"], "styled values");

    // The builder stays usable: a second build gives an independent config.
    const again = builder.build();
    check(again.initiate !== config.initiate, "each build has its own initiate");
  },

  async onOutcomeThatThrows(buttonConfig) {
    installFakeFetch();
    const config = base(buttonConfig).onOutcome(() => {
      throw new Error("analytics is down");
    }).build();
    queueReply(json(authorizeReply(null, "STEP_UP_REQUIRED")));
    eq(await config.initiate(SDK_PARAMS), { paymentRequestId: REQUEST_ID }, "result despite a throwing onOutcome");
  },

  async leakedStringTokenStaysOut(buttonConfig) {
    installFakeFetch();
    let seen;
    const config = base(buttonConfig).onOutcome((o) => (seen = o)).build();
    queueReply(json({ customer_token_response: { result: "APPROVED", customer_token: LEAKED_TOKEN } }));
    const result = await config.initiate(SDK_PARAMS);
    check(!JSON.stringify(result).includes("LEAKED") && !JSON.stringify(seen).includes("LEAKED"), "the leaked token reached the page");
    eq(seen.kind, "SUCCESS", "kind");
  },

  async signalAbortsTheClick(buttonConfig) {
    installFakeFetch();
    const outcomes = [];
    const controller = new AbortController();
    // A short timeout, so that a signal the package ignored fails here as TIMEOUT, not by hanging.
    const config = base(buttonConfig).timeoutMs(2000).signal(controller.signal).onOutcome((o) => outcomes.push(o)).build();
    queueReply({ hang: true });
    const pending = config.initiate(SDK_PARAMS);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const error = expectError(await rejection(pending, "aborted click"), "ABORTED", "aborted click");
    eq(error.recoverable, false, "recoverable");
    check(requests()[0].signal.aborted, "the request was not aborted");
    // Aborted while the reply is on its way: onOutcome is not called.
    const late = new AbortController();
    const lateConfig = base(buttonConfig).signal(late.signal).onOutcome((o) => outcomes.push(o)).build();
    queueReply({ ...good(), delayMs: 60 });
    const second = lateConfig.initiate(SDK_PARAMS);
    setTimeout(() => late.abort(), 10);
    expectError(await rejection(second, "aborted during the reply"), "ABORTED", "aborted during the reply");
    eq(outcomes.length, 0, "onOutcome calls for aborted clicks");
    // Once aborted, every click rejects at once and sends nothing.
    const sent = requests().length;
    expectError(await rejection(config.initiate(SDK_PARAMS), "already aborted"), "ABORTED", "already aborted");
    eq(requests().length, sent, "requests sent once aborted");
    // A signal that never aborts changes nothing, and no click leaves a listener on it.
    const calm = new AbortController().signal;
    let listeners = 0;
    const { addEventListener: add, removeEventListener: remove } = calm;
    calm.addEventListener = (...args) => (listeners++, add.apply(calm, args));
    calm.removeEventListener = (...args) => (listeners--, remove.apply(calm, args));
    const calmConfig = base(buttonConfig).signal(calm).onOutcome((o) => outcomes.push(o)).build();
    await expectGoodCall(calmConfig, "with a signal never aborted");
    queueReply({ status: 503, body: "" });
    await rejection(calmConfig.initiate(SDK_PARAMS), "a failing click");
    eq([outcomes.length, listeners], [1, 0], "outcomes, and listeners left on the signal");
  },

  async credentialsReachFetch(buttonConfig) {
    installFakeFetch();
    for (const [mode, expected] of [[undefined, "same-origin"], ["omit", "omit"], ["same-origin", "same-origin"], ["include", "include"]]) {
      const builder = base(buttonConfig);
      if (mode) builder.credentials(mode);
      queueReply(good());
      await builder.build().initiate(SDK_PARAMS);
      eq(requests().at(-1).credentials, expected, `fetch's credentials for ${mode}`);
    }
  },

  async replyFromAnotherRealm(buttonConfig) {
    installFakeFetch();
    const frame = document.createElement("iframe");
    document.body.append(frame);
    try {
      const realm = frame.contentWindow;
      // What makes this test worth having: the other realm's chunks are not our Uint8Arrays.
      const { value } = await new realm.Response("x").body.getReader().read();
      check(!(value instanceof Uint8Array) && value instanceof realm.Uint8Array, "the iframe gives no chunks of another realm");
      let seen;
      const config = base(buttonConfig).onOutcome((o) => (seen = o.kind)).build();
      queueReply({ ...json(authorizeReply(null, "STEP_UP_REQUIRED")), realm });
      eq(await config.initiate(SDK_PARAMS), { paymentRequestId: REQUEST_ID }, "a step-up in a Response of another realm");
      queueReply({ ...json(authorizeReply("APPROVED", null)), realm });
      eq(await config.initiate(SDK_PARAMS), { returnUrl: abs("/order/complete") }, "a success in a Response of another realm");
      eq(seen, "SUCCESS", "onOutcome");
      queueReply({ status: 200, body: "not json", realm });
      expectError(await rejection(config.initiate(SDK_PARAMS), "not JSON"), "INVALID_RESPONSE", "not JSON, of another realm");
    } finally {
      frame.remove();
    }
  },

  async crossOriginBackend(buttonConfig, backend) {
    check(backend, "no backend on another origin: scripts/test.sh starts tests/browser/cors_backend.mjs and passes its URL in KLARNA_TEST_CORS_BACKEND when the tests are compiled");
    check(new URL(backend).origin !== location.origin, `${backend} is on the page's own origin`);
    installRealFetch();
    const run = Math.random().toString(36).slice(2);
    const log = async () => (await fetch(`${backend}/log?run=${run}`)).json();
    // The backend sets its session cookie, as its own login would.
    await fetch(`${backend}/login?run=${run}`, { credentials: "include" });
    for (const [mode, cookie] of [["omit", false], ["same-origin", false], ["include", true]]) {
      const config = buttonConfig(`${backend}/authorize?run=${run}`)
        .successUrl("/order/complete")
        .credentials(mode)
        .header("X-CSRF-Token", "csrf-1")
        .context({ cartId: "c-1" })
        .build();
      eq(await config.initiate(SDK_PARAMS), { returnUrl: abs("/order/complete") }, `credentials ${mode}`);
      const post = (await log()).posts.at(-1);
      eq(post.cookie === `kpb_session=${run}`, cookie, `credentials ${mode}: the cookie reached the backend (${post.cookie})`);
      eq([post.origin, post.csrf, JSON.parse(post.body).context], [location.origin, "csrf-1", { cartId: "c-1" }], `credentials ${mode}: the request`);
      check(UUID_V4.test(post.idempotencyKey), `credentials ${mode}: idempotency key ${post.idempotencyKey}`);
    }
    const { preflights } = await log();
    check(preflights.length > 0, "no preflight reached the backend");
    const asked = preflights[0].headers.split(",").map((name) => name.trim().toLowerCase()).sort();
    eq(asked, ["content-type", "idempotency-key", "x-csrf-token"], "the preflight's Access-Control-Request-Headers");
    eq(preflights[0].method, "POST", "the preflight's Access-Control-Request-Method");
    // A backend that sends no CORS headers: NETWORK, recoverable (a browser cannot tell), and a
    // message that says what a CORS refusal looks like and which headers fix it.
    const refused = buttonConfig(`${backend}/no-cors?run=${run}`).successUrl("/order/complete").header("X-Shop", "s").build();
    const error = expectError(await rejection(refused.initiate(SDK_PARAMS), "no CORS headers"), "NETWORK", "no CORS headers");
    eq(error.recoverable, true, "recoverable");
    for (const part of ["a CORS refusal looks the same as a network failure", `Access-Control-Allow-Origin: ${location.origin}`, "Access-Control-Allow-Methods: POST", "Access-Control-Allow-Headers: content-type, idempotency-key, x-shop"]) {
      check(error.message.includes(part), `the message lacks "${part}": ${error.message}`);
    }
    // The same failure on the page's own origin says nothing of CORS.
    installFakeFetch();
    queueReply({ networkError: true });
    const local = expectError(await rejection(base(buttonConfig).build().initiate(SDK_PARAMS), "same origin"), "NETWORK", "same origin");
    check(!local.message.includes("CORS"), `a same-origin failure mentions CORS: ${local.message}`);
  },

  async allowedReturnOrigin(buttonConfig) {
    installFakeFetch();
    const config = buttonConfig(ENDPOINT)
      .allowReturnOrigin("https://pay.partner.example")
      .successUrl("https://pay.partner.example/done?order=1")
      .build();
    queueReply(good());
    eq(await config.initiate(SDK_PARAMS), { returnUrl: "https://pay.partner.example/done?order=1" }, "allowed origin");
  },
};

/** Runs the scenario `name` with the package's real `buttonConfig`; `backend` is the URL of
 * tests/browser/cors_backend.mjs, on another origin than the page (or undefined). */
export function runScenario(name, buttonConfig, backend) {
  const scenario = scenarios[name];
  if (!scenario) return Promise.reject(new Error(`no scenario named ${name}`));
  return scenario(buttonConfig, backend);
}
