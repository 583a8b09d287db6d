// The package's entry: the wasm module's exports, and loadKlarna (documented in index.d.ts).
export * from "./klarna_payment_button.js";
export { default } from "./klarna_payment_button.js";

const loaded = new Map();

export function loadKlarna({ sdkUrl = "https://js.klarna.com/web-sdk/v2/klarna.mjs", ...config }) {
  if (typeof window == "undefined") return Promise.resolve(null);
  const key = JSON.stringify([sdkUrl, config]);
  let sdk = loaded.get(key);
  if (!sdk) {
    sdk = import(/* webpackIgnore: true */ /* @vite-ignore */ sdkUrl).then((module) => module.KlarnaSDK(config));
    sdk.catch(() => loaded.delete(key));
    loaded.set(key, sdk);
  }
  return sdk;
}
