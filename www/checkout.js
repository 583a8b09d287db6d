// The demo checkout: the klarna-payment-button package mounted through Klarna's Web SDK (the
// simulator's stand-in unless the server has a Klarna client id). No inline scripts: this
// page runs under a strict Content-Security-Policy.
import init, { buttonConfig } from "/pkg/klarna_payment_button.js";

const query = new URLSearchParams(location.search);
const choice = {
  flow: query.get("flow") ?? "one_time",
  scenario: query.get("scenario") ?? "",
  mode: query.get("mode") ?? "DEVICE_BEST",
  handoff: query.get("handoff") ?? "paymentRequestId",
  scope: query.get("scope") ?? "customer_present",
  forceStepUp: query.get("force_step_up") === "1",
};
// `/custom` is the same checkout with the shop's own button instead of Klarna's.
const variant = location.pathname === "/custom" ? "custom" : "button";
document.body.dataset.variant = variant;
const notice = document.querySelector("#notice");

function show(message, code) {
  notice.textContent = message;
  notice.dataset.errorCode = code ?? "";
  notice.hidden = false;
}

async function post(path, body) {
  const reply = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await reply.json();
  if (!reply.ok) throw Object.assign(new Error(json.error_message ?? `HTTP ${reply.status}`), { code: json.error_code });
  return json;
}

const money = (amount, currency) => new Intl.NumberFormat("en-US", { style: "currency", currency }).format(amount / 100);

function renderCart(order) {
  const lines = document.querySelector("#lines");
  lines.replaceChildren();
  if (order.lines.length === 0) {
    const item = document.createElement("li");
    item.className = "placeholder";
    item.textContent = "Nothing to pay now: save Klarna for quick purchases later.";
    lines.append(item);
  }
  for (const line of order.lines) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = `${line.quantity} × ${line.name}`;
    const price = document.createElement("span");
    price.textContent = money(line.total_amount, order.currency);
    item.append(name, price);
    lines.append(item);
  }
  document.querySelector("#total").textContent = money(order.amount, order.currency);
  document.body.dataset.orderId = order.id;
}

function wireControls() {
  const form = document.querySelector("#demo-controls");
  for (const [name, value] of Object.entries(choice)) {
    if (form.elements[name]) form.elements[name].value = String(value);
  }
  form.addEventListener("change", () => {
    const next = new URLSearchParams(new FormData(form));
    for (const [key, value] of [...next]) if (!value) next.delete(key);
    location.search = next.toString();
  });
}

/** The shop's own button, where Klarna's would be mounted, and a hint that says so. */
function ownButtonInPlaceOfKlarnas() {
  const button = document.createElement("button");
  button.type = "button";
  button.id = "pay-with-klarna";
  button.className = "own-button";
  button.textContent = "Continue to Klarna";
  button.disabled = true;
  document.querySelector("#klarna-button-container").replaceChildren(button);
  const hint = document.querySelector(".hint");
  hint.textContent = "This page starts Klarna from the shop's own button with Klarna.Payment.initiate. ";
  const back = document.createElement("a");
  back.href = "/";
  back.textContent = "Back to Klarna's button";
  hint.append(back);
  return button;
}

async function main() {
  wireControls();
  const [, config, order] = await Promise.all([
    init(),
    fetch("/api/config").then((reply) => reply.json()),
    post("/api/checkout-sessions", {
      flow: choice.flow,
      scenario: choice.scenario,
      scope: choice.scope,
      force_step_up: choice.forceStepUp,
    }),
  ]);
  renderCart(order);
  document.querySelector("#klarna-mode").textContent = config.simulator ? "Demo · offline Klarna simulator" : "Klarna test environment";

  const { KlarnaSDK } = await import(config.sdkUrl);
  const Klarna = await KlarnaSDK({ clientId: config.clientId });
  const presentation = await Klarna.Payment.presentation({
    amount: order.amount,
    currency: order.currency,
    locale: "en-US",
    intents: choice.flow === "token_only" ? ["SUBSCRIBE"] : ["PAY"],
  });
  if (presentation.instruction === "HIDE_KLARNA") {
    // Klarna says not to offer it for this purchase: no button at all.
    document.body.dataset.klarna = "hidden";
    show("Klarna is not available for this purchase.", "HIDE_KLARNA");
    document.body.dataset.ready = "true";
    return;
  }
  const klarna = buttonConfig("/api/authorize-payment")
    .initiationMode(choice.mode)
    .handoff(choice.handoff)
    .successUrl(`/order/${order.id}`)
    .declineUrl(`/order/${order.id}`)
    .context({ checkoutSessionId: order.id })
    .onOutcome((outcome) => {
      document.body.dataset.outcome = outcome.kind;
      if (outcome.kind === "STEP_UP") show("Continue in Klarna's window…", "");
    })
    .shape("pill")
    .build();

  const ownButton = variant === "custom" ? ownButtonInPlaceOfKlarnas() : null;
  Klarna.Payment.on("error", (error) => {
    const code = error?.code ?? error?.errorCode ?? "ERROR";
    const retry = error?.recoverable ? " Please try again." : "";
    show(`Klarna could not continue: ${error?.message ?? code}.${retry}`, code);
    if (ownButton) ownButton.disabled = false;
  });
  Klarna.Payment.on("abort", () => {
    show("You left Klarna before finishing. Nothing was charged.", "ABORTED");
    if (ownButton) ownButton.disabled = false;
  });

  if (ownButton) {
    ownButton.disabled = false;
    ownButton.addEventListener("click", () => {
      ownButton.disabled = true;
      notice.hidden = true;
      Klarna.Payment.initiate(klarna.initiate, { initiationMode: klarna.initiationMode });
    });
  } else {
    presentation.paymentButton.component(klarna).mount("#klarna-button-container");
  }
  document.body.dataset.ready = "true";
}

main().catch((error) => show(`The checkout could not start: ${error.message}`, error.code ?? "STARTUP"));
