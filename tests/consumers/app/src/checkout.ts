// The Vite app: a checkout page in strict TypeScript on the installed package, with Klarna's
// SDK (here the simulator's stand-in) loaded by loadKlarna and the button mounted as Klarna
// documents it.
import init, { buttonConfig, KlarnaButtonError, loadKlarna, type ButtonOutcome } from "klarna-payment-button";
import { newOrder, shopConfig } from "./shop";

function show(message: string): void {
  const notice = document.querySelector<HTMLElement>("#notice");
  if (notice) {
    notice.textContent = message;
    notice.hidden = false;
  }
}

async function main(): Promise<void> {
  const scenario = new URLSearchParams(location.search).get("scenario") ?? "";
  const [, shop, order] = await Promise.all([init(), shopConfig(), newOrder(scenario)]);
  document.body.dataset["orderId"] = order.id;

  const Klarna = await loadKlarna({ clientId: shop.clientId, sdkUrl: shop.sdkUrl });
  if (Klarna === null) throw new Error("loadKlarna found no window");
  const presentation = await Klarna.Payment.presentation({ amount: order.amount, currency: order.currency, locale: "en-US" });
  const total = document.querySelector("#total");
  if (total) total.textContent = `${(order.amount / 100).toFixed(2)} ${order.currency}`;

  const config = buttonConfig("/api/authorize-payment")
    .initiationMode("POPUP")
    .successUrl(`/order/${order.id}`)
    .declineUrl(`/order/${order.id}`)
    .context({ checkoutSessionId: order.id })
    .onOutcome((outcome: ButtonOutcome) => {
      document.body.dataset["outcome"] = outcome.kind;
    })
    .shape("pill")
    .build();
  Klarna.Payment.on("error", (error) => {
    show(error instanceof KlarnaButtonError ? `${error.code}: ${error.message}` : error.message);
  });
  presentation.paymentButton.component(config).mount("#klarna-button-container");
  document.body.dataset["ready"] = "true";
}

main().catch((error: unknown) => show(`The checkout could not start: ${String(error)}`));
