// Bundled by esbuild as an IIFE (build-esbuild.mjs): the package README's recipe for bundlers
// that do not rewrite `new URL(..., import.meta.url)`. The .wasm file's URL comes from the
// package's exported path through esbuild's `file` loader.
import init, { buttonConfig, version } from "klarna-payment-button";
import wasmUrl from "klarna-payment-button/klarna_payment_button_bg.wasm";

async function main(): Promise<void> {
  await init({ module_or_path: wasmUrl });
  const config = buttonConfig("/api/authorize-payment").successUrl("/done").initiationMode("REDIRECT").build();
  document.body.dataset["result"] = JSON.stringify({
    keys: Object.keys(config).sort(),
    initiate: typeof config.initiate,
    initiationMode: config.initiationMode,
    version: version(),
    wasmUrl,
  });
}

main().catch((error: unknown) => {
  document.body.dataset["error"] = String(error);
});
