// The package's types as a Node-style ("nodenext") TypeScript project resolves them: the main
// entry, the React subpath and the wasm path, through package.json's "exports".
import init, { buttonConfig, loadKlarna, type Klarna } from "klarna-payment-button";
import { KlarnaPaymentButton, useKlarnaButtonConfig } from "klarna-payment-button/react";
import wasmUrl from "klarna-payment-button/klarna_payment_button_bg.wasm";

export async function start(): Promise<Klarna | null> {
  await init({ module_or_path: wasmUrl });
  buttonConfig("/api/authorize-payment").successUrl("/done").build();
  return loadKlarna({ clientId: "klarna_test_client_x" });
}

export const component: typeof KlarnaPaymentButton = KlarnaPaymentButton;
export const hook: typeof useKlarnaButtonConfig = useKlarnaButtonConfig;
