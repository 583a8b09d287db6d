// The React page (bundled by esbuild with the README's wasm recipe): Klarna's button through
// klarna-payment-button/react, in StrictMode, with a toggle that unmounts it.
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import {
  buttonConfig,
  KlarnaButtonError,
  loadKlarna,
  type Klarna,
  type KlarnaPayment,
  type PaymentEvent,
} from "klarna-payment-button";
import { KlarnaPaymentButton } from "klarna-payment-button/react";
import wasmUrl from "klarna-payment-button/klarna_payment_button_bg.wasm";
import { newOrder, shopConfig, type Order, type ShopConfig } from "./shop";

/** What the test reads: every outcome (one reaching an unmounted component too), every error,
 * and what the component asked of Klarna's SDK: buttons mounted and unmounted, listeners. */
interface ShopLog {
  outcomes: string[];
  errors: string[];
  buttons: string[];
  listeners: number;
}
declare global {
  interface Window {
    shopLog: ShopLog;
  }
}
const log: ShopLog = { outcomes: [], errors: [], buttons: [], listeners: 0 };
window.shopLog = log;

/** Records the component's calls on the SDK instance (loadKlarna hands both the same one). */
function watch(Klarna: Klarna): void {
  const { Payment } = Klarna;
  const [presentation, on, off] = [Payment.presentation.bind(Payment), Payment.on.bind(Payment), Payment.off.bind(Payment)];
  Payment.presentation = async (data) => {
    const shown = await presentation(data);
    const component = shown.paymentButton.component.bind(shown.paymentButton);
    shown.paymentButton.component = (config) => {
      const button = component(config);
      const [mount, unmount] = [button.mount.bind(button), button.unmount.bind(button)];
      button.mount = (container) => {
        log.buttons.push(`mount ${String(container)}`);
        mount(container);
      };
      button.unmount = () => {
        log.buttons.push("unmount");
        unmount();
      };
      return button;
    };
    return shown;
  };
  Payment.on = ((event: PaymentEvent, callback: () => void) => {
    log.listeners += 1;
    on(event as "abort", callback);
  }) as KlarnaPayment["on"];
  Payment.off = (event, callback) => {
    log.listeners -= 1;
    off(event, callback);
  };
}

const describe = (error: Error): string => (error instanceof KlarnaButtonError ? error.code : error.message);

function Checkout({ shop, order }: { shop: ShopConfig; order: Order }) {
  const [shown, setShown] = useState(true);
  const [outcome, setOutcome] = useState("");
  return (
    <main data-outcome={outcome}>
      <button id="toggle" type="button" onClick={() => setShown((now) => !now)}>
        {shown ? "Hide Klarna" : "Show Klarna"}
      </button>
      {shown && (
        <KlarnaPaymentButton
          clientId={shop.clientId}
          sdkUrl={shop.sdkUrl}
          amount={order.amount}
          currency={order.currency}
          locale="en-US"
          wasm={wasmUrl}
          config={() =>
            buttonConfig("/api/authorize-payment")
              .initiationMode("POPUP")
              .successUrl(`/order/${order.id}`)
              .declineUrl(`/order/${order.id}`)
              .context({ checkoutSessionId: order.id })
              .onOutcome((result) => {
                log.outcomes.push(result.kind);
                setOutcome(result.kind);
              })
          }
          configDeps={[order.id]}
          onError={(error) => log.errors.push(`component:${describe(error)}`)}
        />
      )}
    </main>
  );
}

async function main(): Promise<void> {
  const scenario = new URLSearchParams(location.search).get("scenario") ?? "";
  const [shop, order] = await Promise.all([shopConfig(), newOrder(scenario)]);
  document.body.dataset["orderId"] = order.id;
  // The page's own listener, on the instance the component gets too (loadKlarna loads once):
  // it stays when the component unmounts.
  const Klarna = await loadKlarna({ clientId: shop.clientId, sdkUrl: shop.sdkUrl });
  if (!Klarna) throw new Error("loadKlarna found no window");
  Klarna.Payment.on("error", (error) => {
    log.errors.push(`page:${describe(error)}`);
  });
  watch(Klarna);
  const root = document.querySelector("#root");
  if (!root) throw new Error("no #root");
  createRoot(root).render(
    <StrictMode>
      <Checkout shop={shop} order={order} />
    </StrictMode>,
  );
  document.body.dataset["ready"] = "true";
}

main().catch((error: unknown) => {
  document.body.dataset["error"] = String(error);
});
