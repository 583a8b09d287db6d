// A shop's component tests, as the package README shows them: Vitest in a DOM environment,
// the module loaded with initSync from the package's exported .wasm path, `fetch` stubbed with
// the replies the shop's backend gives.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { buttonConfig, initSync, KlarnaButtonError, type ButtonOutcome } from "klarna-payment-button";

const REQUEST_ID = "krn:payment:eu1:request:552603c0-fe8b-4ab1-aacb-41d55fafbdb4";
const TRANSACTION_ID = "krn:payment:eu1:transaction:6debe89e-98c0-4f7e";
const SDK_PARAMS = { klarnaNetworkSessionToken: "krn:network:us1:test:session-token:vitest", paymentOptionId: "option-1" };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Call {
  url: string;
  init: RequestInit;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Stubs `fetch` with a backend that answers `reply(init)` and records every call. */
function backend(reply: (init: RequestInit) => Response | Promise<Response>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string | URL, init: RequestInit = {}) => {
      calls.push({ url: String(url), init });
      return reply(init);
    }),
  );
  return calls;
}

/** A reply that comes only after `release()`; with `honourSignal`, aborting rejects it as fetch does. */
function heldReply(body: unknown, honourSignal: boolean) {
  let release = () => {};
  const reply = (init: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      release = () => resolve(json(body));
      if (honourSignal) init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    });
  return { reply, release: () => release() };
}

async function rejection(promise: Promise<unknown>): Promise<KlarnaButtonError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(KlarnaButtonError);
  return error as KlarnaButtonError;
}

export function describeComponentTests(environment: string, userAgent: RegExp): void {
  describe(`klarna-payment-button in Vitest with ${environment}`, () => {
    beforeAll(() => {
      const require = createRequire(import.meta.url);
      const wasm = readFileSync(require.resolve("klarna-payment-button/klarna_payment_button_bg.wasm"));
      initSync({ module: wasm });
    });
    afterEach(() => {
      vi.unstubAllGlobals();
    });

    test("runs in the DOM environment it names", () => {
      expect(navigator.userAgent).toMatch(userAgent);
      expect(document.body).toBeTruthy();
    });

    test("build() gives the config Klarna's SDK takes", () => {
      const config = buttonConfig("/api/authorize-payment").successUrl("/done").shape("pill").build();
      expect(Object.keys(config).sort()).toEqual(["initiate", "initiationMode", "shape"]);
      expect(config.initiationMode).toBe("DEVICE_BEST");
      expect(typeof config.initiate).toBe("function");
    });

    test("a step-up: one POST to the backend, the payment request handed to the SDK, onOutcome first", async () => {
      const calls = backend(() =>
        json({ payment_transaction_response: { result: "STEP_UP_REQUIRED" }, payment_request: { payment_request_id: REQUEST_ID } }),
      );
      const outcomes: ButtonOutcome[] = [];
      const config = buttonConfig("/api/authorize-payment")
        .successUrl("/done")
        .header("X-CSRF-Token", "csrf-1")
        .context({ cartId: "c-1" })
        .onOutcome((outcome) => outcomes.push(outcome))
        .build();
      await expect(config.initiate(SDK_PARAMS)).resolves.toEqual({ paymentRequestId: REQUEST_ID });
      expect(outcomes.map((outcome) => [outcome.kind, outcome.paymentRequestId])).toEqual([["STEP_UP", REQUEST_ID]]);
      expect(calls).toHaveLength(1);
      const [call] = calls;
      expect(call?.url).toBe(new URL("/api/authorize-payment", location.href).href);
      expect(call?.init.method).toBe("POST");
      const headers = new Headers(call?.init.headers);
      expect(headers.get("content-type")).toBe("application/json");
      expect(headers.get("x-csrf-token")).toBe("csrf-1");
      expect(headers.get("idempotency-key")).toMatch(UUID_V4);
      expect(JSON.parse(String(call?.init.body))).toEqual({
        klarna_network_session_token: SDK_PARAMS.klarnaNetworkSessionToken,
        payment_option_id: SDK_PARAMS.paymentOptionId,
        context: { cartId: "c-1" },
      });
    });

    test("an approval resolves the success URL against the page", async () => {
      backend(() =>
        json({ payment_transaction_response: { result: "APPROVED", payment_transaction: { payment_transaction_id: TRANSACTION_ID } } }),
      );
      const outcomes: ButtonOutcome[] = [];
      const config = buttonConfig("/api/authorize-payment").successUrl("/order/1").onOutcome((o) => outcomes.push(o)).build();
      await expect(config.initiate(SDK_PARAMS)).resolves.toEqual({ returnUrl: new URL("/order/1", location.href).href });
      expect(outcomes.map((outcome) => [outcome.kind, outcome.paymentTransactionId])).toEqual([["SUCCESS", TRANSACTION_ID]]);
    });

    test("a relayed Klarna error rejects with a typed, recoverable HTTP error", async () => {
      backend(() => json({ error_id: "e-1", error_type: "TECHNICAL_ERROR", error_code: "TEMPORARILY_UNAVAILABLE", error_message: "try later" }, 503));
      const error = await rejection(buttonConfig("/api/authorize-payment").successUrl("/done").build().initiate(SDK_PARAMS));
      expect([error.code, error.status, error.recoverable, error.errorCode, error.errorId]).toEqual(["HTTP", 503, true, "TEMPORARILY_UNAVAILABLE", "e-1"]);
    });

    test("aborting the builder's signal rejects the click in flight with ABORTED, and onOutcome never runs", async () => {
      const held = heldReply({ payment_transaction_response: { result: "APPROVED" } }, true);
      const calls = backend(held.reply);
      const controller = new AbortController();
      const outcomes: ButtonOutcome[] = [];
      const config = buttonConfig("/api/authorize-payment").successUrl("/done").signal(controller.signal).onOutcome((o) => outcomes.push(o)).build();
      const click = config.initiate(SDK_PARAMS);
      await vi.waitFor(() => expect(calls).toHaveLength(1));
      controller.abort();
      const error = await rejection(click);
      expect(error.code).toBe("ABORTED");
      expect(calls[0]?.init.signal?.aborted).toBe(true);
      held.release();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(outcomes).toEqual([]);
    });

    test("an abort wins even over a fetch that ignores the signal and answers later", async () => {
      const held = heldReply({ payment_transaction_response: { result: "APPROVED" } }, false);
      const calls = backend(held.reply);
      const controller = new AbortController();
      const outcomes: ButtonOutcome[] = [];
      const config = buttonConfig("/api/authorize-payment").successUrl("/done").signal(controller.signal).onOutcome((o) => outcomes.push(o)).build();
      const click = config.initiate(SDK_PARAMS);
      await vi.waitFor(() => expect(calls).toHaveLength(1));
      controller.abort();
      held.release();
      expect((await rejection(click)).code).toBe("ABORTED");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(outcomes).toEqual([]);
    });

    test("credentials() reaches fetch", async () => {
      const calls = backend(() => json({ payment_transaction_response: { result: "APPROVED" } }));
      await buttonConfig("https://api.shop.example/authorize").successUrl("/done").credentials("include").build().initiate(SDK_PARAMS);
      expect(calls[0]?.init.credentials).toBe("include");
    });
  });
}
