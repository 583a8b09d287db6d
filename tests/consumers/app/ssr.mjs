// Server rendering: importing the package and its React binding on Node, and rendering the
// component to HTML, read no browser global; loadKlarna resolves null. Run by
// ../consumers.test.mjs with plain `node`: it prints "ssr: ok" or throws.
import assert from "node:assert/strict";
import { createElement } from "react";
import { renderToString } from "react-dom/server";

// React and react-dom/server are loaded above, before the watch starts: what they read is theirs.
const BROWSER_GLOBALS = ["window", "document", "self", "location", "navigator", "HTMLElement", "customElements"];
const read = [];
for (const name of BROWSER_GLOBALS) {
  const own = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      read.push(name);
      return own?.get ? own.get.call(globalThis) : own?.value;
    },
  });
}

const { buttonConfig, loadKlarna, version } = await import("klarna-payment-button");
const { KlarnaPaymentButton } = await import("klarna-payment-button/react");
const html = renderToString(
  createElement(KlarnaPaymentButton, {
    clientId: "klarna_test_client_ssr",
    amount: 11800,
    currency: "USD",
    locale: "en-US",
    config: () => buttonConfig("/api/authorize-payment").successUrl("/done"),
  }),
);
assert.deepEqual(read, [], `importing and rendering read browser globals: ${read.join(", ")}`);
assert.match(html, /^<div id="klarna-payment-button-[\w-]+" data-klarna-payment-button=""><\/div>$/, html);

assert.equal(await loadKlarna({ clientId: "klarna_test_client_ssr" }), null, "loadKlarna on the server");
assert.deepEqual(read, ["window"], "loadKlarna looks for a window and nothing else");
assert.equal(typeof version, "function");
console.log(`ssr: ok (${html})`);
