// Compiled with `tsc --strict --noEmit` by `npm test`: loadKlarna and the types of Klarna's SDK
// as a checkout page uses them with the package's config. Every `@ts-expect-error` line must
// stay an error: a config Klarna's types refuse must not compile.
import init, {
  buttonConfig,
  KlarnaButtonError,
  loadKlarna,
  type InitOutput,
  type Klarna,
  type KlarnaPaymentButton,
  type KlarnaPaymentButtonConfig,
  type KlarnaSDK,
  type PaymentPresentation,
  type PaymentRequest,
} from "../../pkg/index.js";
import wasmUrl from "../../pkg/klarna_payment_button_bg.wasm";

export async function checkout(container: HTMLElement): Promise<string> {
  const loaded: InitOutput = await init({ module_or_path: wasmUrl });
  void loaded.memory.buffer;
  const Klarna: Klarna | null = await loadKlarna({ clientId: "klarna_test_client_x", sdkUrl: "http://127.0.0.1:4100/web-sdk/v2/klarna.mjs" });
  if (Klarna === null) return "server";
  const presentation: PaymentPresentation = await Klarna.Payment.presentation({ amount: 11800, currency: "USD", locale: "en-US", intents: ["PAY"] });
  if (presentation.instruction === "HIDE_KLARNA") return "hidden";
  const config = buttonConfig("/api/authorize-payment").successUrl("/done").shape("pill").build();
  const klarnaConfig: KlarnaPaymentButtonConfig = config;
  const button: KlarnaPaymentButton = presentation.paymentButton.component(klarnaConfig);
  button.mount("#klarna-button-container");
  button.mount(container);
  button.toggleState("loading", true);
  const element: HTMLElement = button.htmlElement;
  void element;
  button.unmount();

  const request: PaymentRequest = await Klarna.Payment.initiate(config.initiate, { initiationMode: config.initiationMode });
  Klarna.Payment.on("complete", async (done) => done.state === "COMPLETED");
  Klarna.Payment.on("abort", (aborted) => void aborted.stateReason);
  const onError = (error: Error) => {
    if (error instanceof KlarnaButtonError) void error.code;
    else if ("errorCode" in error) void error.errorCode;
  };
  Klarna.Payment.on("error", onError);
  Klarna.Payment.off("error", onError);

  // A hand-written initiate in Klarna's shapes compiles too.
  presentation.paymentButton.component({
    initiationMode: "POPUP",
    initiate: async ({ klarnaNetworkSessionToken, paymentOptionId }) =>
      klarnaNetworkSessionToken ? { paymentRequestUrl: `https://pay.example/${paymentOptionId}` } : { returnUrl: "/done" },
  });
  return request.paymentRequestId;
}

export const factory: KlarnaSDK = async ({ clientId }) => {
  const Klarna = await loadKlarna({ clientId });
  if (!Klarna) throw new Error("no window");
  return Klarna;
};

export async function refused(presentation: PaymentPresentation, Klarna: Klarna): Promise<void> {
  // @ts-expect-error the builder is not a config: call build() first
  presentation.paymentButton.component(buttonConfig("/x").successUrl("/done"));
  // @ts-expect-error an initiation mode Klarna does not know
  presentation.paymentButton.component({ initiationMode: "IFRAME" });
  // @ts-expect-error a button shape Klarna does not know
  presentation.paymentButton.component({ shape: "round" });
  // @ts-expect-error an intent Klarna does not know
  presentation.paymentButton.component({ intents: ["BUY"] });
  // @ts-expect-error initiate resolves to a hand-off Klarna reads, not a bare id
  presentation.paymentButton.component({ initiate: async () => "krn:payment:eu1:request:1" });
  // @ts-expect-error a key Klarna does not read
  presentation.paymentButton.component({ initiate: async () => ({ paymentRequest: "krn:payment:eu1:request:1" }) });
  // @ts-expect-error the amount is in minor units, a number
  await Klarna.Payment.presentation({ amount: "118.00", currency: "USD", locale: "en-US" });
  // @ts-expect-error the presentation needs a locale
  await Klarna.Payment.presentation({ amount: 11800, currency: "USD" });
  // @ts-expect-error no such event
  Klarna.Payment.on("completed", () => undefined);
  // @ts-expect-error loadKlarna needs a client id
  await loadKlarna({ sdkUrl: "/sdk.mjs" });
  // @ts-expect-error loadKlarna resolves null when server-rendering: check first
  (await loadKlarna({ clientId: "x" })).Payment;
  // @ts-expect-error wasm-bindgen's internal exports are not public
  (await init()).__wbindgen_malloc;
}
