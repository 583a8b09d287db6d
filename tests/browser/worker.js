// The package in a dedicated worker (tests/worker.rs): no `window`, but `fetch`, `URL`,
// `crypto` and a `location`, as in happy-dom, jsdom or a service worker. Throws on failure.
import { installFakeFetch, queueReply, requests } from "./fake_fetch.js";

const check = (condition, message) => {
  if (!condition) throw new Error(message);
};

/** Builds a config and clicks it, with relative URLs resolved against the worker's location. */
export async function clickInAWorker(buttonConfig) {
  check(typeof window === "undefined" && typeof WorkerGlobalScope !== "undefined", "not in a worker");
  installFakeFetch();
  const config = buttonConfig("/api/authorize-payment").successUrl("/order/complete").build();
  queueReply({ status: 200, body: JSON.stringify({ payment_transaction_response: { result: "APPROVED" } }) });
  const result = await config.initiate({ klarnaNetworkSessionToken: "krn:network:us1:test:session-token:abc" });
  const expected = new URL("/order/complete", location.href).href;
  check(JSON.stringify(result) === JSON.stringify({ returnUrl: expected }), `result ${JSON.stringify(result)}, expected ${expected}`);
  check(requests()[0].url === new URL("/api/authorize-payment", location.href).href, `request to ${requests()[0].url}`);
}
