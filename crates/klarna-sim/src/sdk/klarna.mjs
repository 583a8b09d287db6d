// STAND-IN for Klarna's Web SDK v2, served by klarna-sim, the offline Klarna Network simulator.
// It is NOT Klarna's SDK. It implements the documented surface pages use, so a checkout can be
// built and tested with no network and no credentials:
//   const { KlarnaSDK } = await import(".../web-sdk/v2/klarna.mjs");
//   const Klarna = await KlarnaSDK({ clientId });
//   const presentation = await Klarna.Payment.presentation({ amount, currency, locale });
//   if (presentation.instruction !== "HIDE_KLARNA")
//     presentation.paymentButton.component(config).mount("#klarna-button-container");
//   (also presentation.paymentOptions[0].paymentButton, the latest typedoc's shape)
//   Klarna.Payment.initiate(callback, { initiationMode });  Klarna.Payment.on("complete" | "abort" | "error", cb);

const SDK_BASE = new URL(".", import.meta.url);
const SIM_ROOT = new URL("../../", SDK_BASE);
const MODES = ["DEVICE_BEST", "ON_PAGE", "REDIRECT", "POPUP"];
let announced = false;

function klarnaError(errorCode, errorMessage, originalError) {
  const error = new Error(errorMessage);
  error.name = "KlarnaError";
  error.errorCode = errorCode;
  error.errorId = Math.random().toString(36).slice(2);
  error.errorMessage = errorMessage;
  error.errorType = "SDK_ERROR";
  if (originalError !== undefined) error.originalError = originalError;
  return error;
}

function isHandoff(result) {
  return (
    result !== null &&
    typeof result === "object" &&
    (typeof result.paymentRequestId === "string" ||
      typeof result.paymentRequestUrl === "string" ||
      typeof result.returnUrl === "string")
  );
}

function styleButton(button, config) {
  const dark = config.theme === "dark";
  Object.assign(button.style, {
    display: "flex",
    alignItems: "center",
    justifyContent: config.logoAlignment === "left" ? "flex-start" : "center",
    gap: "0.5rem",
    width: "100%",
    minHeight: "48px",
    padding: "0 1.25rem",
    border: config.theme === "outlined" ? "1px solid #17120f" : "0",
    borderRadius: config.shape === "pill" ? "999px" : config.shape === "rect" ? "0" : "8px",
    background: dark ? "#17120f" : config.theme === "outlined" ? "#fff" : "#ffb3c7",
    color: dark ? "#fff" : "#17120f",
    font: "600 1rem system-ui, sans-serif",
    cursor: "pointer",
  });
}

/** Creates the SDK. A stand-in: it reaches only the simulator that served this module. */
export async function KlarnaSDK(config = {}) {
  if (typeof config.clientId !== "string" || config.clientId === "") {
    throw klarnaError("INVALID_CONFIG", "KlarnaSDK needs a clientId");
  }
  if (!announced) {
    announced = true;
    console.info("[klarna-sim] Klarna Web SDK stand-in from the offline simulator at", SIM_ROOT.href);
  }
  const reply = await fetch(new URL("session", SDK_BASE), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clientId: config.clientId }),
  });
  if (!reply.ok) throw klarnaError("SESSION_FAILED", `the simulator refused a session (${reply.status})`);
  const { klarnaNetworkSessionToken } = await reply.json();
  const partnerAccountId = typeof config.partnerAccountId === "string" ? config.partnerAccountId : null;
  const listeners = new Map();

  async function emit(event, ...args) {
    const results = [];
    for (const callback of listeners.get(event) ?? []) {
      try {
        results.push(await callback(...args));
      } catch (error) {
        console.error(`[klarna-sim] a "${event}" handler threw`, error);
      }
    }
    return results;
  }

  function setBusy(button, busy) {
    if (!button) return;
    button.disabled = busy;
    button.setAttribute("aria-busy", String(busy));
    button.dataset.state = busy ? "loading" : "ready";
  }

  function openJourney(url, mode, button) {
    const journey = new URL(url);
    const onPopup = new URL(journey);
    onPopup.searchParams.set("mode", "popup");
    const mobile = typeof matchMedia === "function" && matchMedia("(pointer: coarse)").matches;
    if (mode === "REDIRECT" || (mode === "DEVICE_BEST" && mobile)) {
      location.assign(journey.href);
      return;
    }
    let frame = null;
    let popup = window.open(onPopup.href, "klarna-purchase-journey", "popup,width=480,height=720");
    if (!popup) {
      if (mode === "POPUP") {
        setBusy(button, false);
        emit("error", klarnaError("POPUP_BLOCKED", "the browser blocked the purchase journey pop-up"));
        return;
      }
      if (mode === "DEVICE_BEST") {
        location.assign(journey.href);
        return;
      }
      frame = document.createElement("iframe");
      frame.src = onPopup.href;
      frame.title = "Klarna purchase journey (simulator)";
      Object.assign(frame.style, { position: "fixed", inset: "0", width: "100%", height: "100%", border: "0", background: "#fff", zIndex: "2147483647" });
      document.body.append(frame);
    }
    let finished = false;
    // Leaving the journey sends the request back to SUBMITTED, as Klarna's does.
    const leave = () => fetch(`${journey.origin}${journey.pathname}/cancel`, { method: "POST", mode: "no-cors" }).catch(() => {});
    const finish = () => {
      finished = true;
      window.removeEventListener("message", onMessage);
      clearInterval(watch);
      frame?.remove();
      if (popup && !popup.closed) popup.close();
      setBusy(button, false);
    };
    const onMessage = async (event) => {
      if (event.origin !== journey.origin || event.data?.source !== "klarna-sim") return;
      finish();
      const paymentRequest = { paymentRequestId: event.data.paymentRequestId, state: event.data.state };
      if (event.data.state === "COMPLETED") {
        const answers = await emit("complete", paymentRequest);
        if (!answers.includes(false) && event.data.returnUrl) location.assign(event.data.returnUrl);
      } else if (event.data.state === "SUBMITTED") {
        await emit("abort", paymentRequest);
      } else {
        await emit("error", klarnaError("PAYMENT_REQUEST_" + event.data.state, `the payment request is ${event.data.state}`), paymentRequest);
      }
    };
    window.addEventListener("message", onMessage);
    const watch = setInterval(() => {
      if (!finished && popup && popup.closed) {
        finish();
        leave();
        emit("abort", { paymentRequestId: null, state: "SUBMITTED" });
      }
    }, 400);
  }

  async function start(initiate, mode, params, button) {
    if (typeof initiate !== "function") {
      emit("error", klarnaError("INVALID_CONFIG", "initiate must be a function"));
      return;
    }
    const initiationMode = MODES.includes(mode) ? mode : "DEVICE_BEST";
    setBusy(button, true);
    let result;
    try {
      result = await initiate(params);
    } catch (error) {
      setBusy(button, false);
      await emit("error", error);
      return;
    }
    if (!isHandoff(result)) {
      setBusy(button, false);
      await emit(
        "error",
        klarnaError("INVALID_CALLBACK_RESPONSE", "initiate must resolve to {paymentRequestId}, {paymentRequestUrl} or {returnUrl}"),
      );
      return;
    }
    if (typeof result.paymentRequestId === "string" || typeof result.paymentRequestUrl === "string") {
      const url = await issuedJourney(result);
      if (!url) {
        setBusy(button, false);
        await emit(
          "error",
          typeof result.paymentRequestUrl === "string"
            ? klarnaError("INVALID_PAYMENT_REQUEST_URL", "the payment request URL was not issued by Klarna (this simulator) or was rewritten")
            : klarnaError("PAYMENT_REQUEST_NOT_FOUND", "no payment request has that id"),
        );
        return;
      }
      openJourney(url, initiationMode, button);
      return;
    }
    location.assign(result.returnUrl);
  }

  // The journey of the payment request handed over: only a URL the simulator issued, as is
  // (the real SDK refuses a rewritten one), or the URL of a request id it knows.
  async function issuedJourney(result) {
    let query;
    if (typeof result.paymentRequestUrl === "string") {
      let url;
      try {
        url = new URL(result.paymentRequestUrl);
      } catch {
        return null;
      }
      if (url.origin !== SIM_ROOT.origin) return null;
      query = `url=${encodeURIComponent(result.paymentRequestUrl)}`;
    } else {
      query = `id=${encodeURIComponent(result.paymentRequestId)}`;
    }
    try {
      const reply = await fetch(new URL(`payment-requests?${query}`, SDK_BASE));
      if (!reply.ok) return null;
      const found = await reply.json();
      return typeof found.paymentRequestUrl === "string" ? found.paymentRequestUrl : null;
    } catch {
      return null;
    }
  }

  function component(config = {}) {
    const id = config.id ?? `klarna-payment-button-${Math.random().toString(36).slice(2)}`;
    const button = document.createElement("button");
    button.type = "button";
    button.id = id;
    button.dataset.klarnaButton = "";
    button.dataset.state = "ready";
    button.title = "Klarna Web SDK stand-in (offline simulator)";
    button.textContent = config.intents?.includes("SUBSCRIBE") ? "Subscribe with Klarna" : "Pay with Klarna";
    if (config.locale) button.lang = config.locale;
    styleButton(button, config);
    button.disabled = Boolean(config.disabled);
    button.addEventListener("click", () =>
      start(config.initiate, config.initiationMode, { klarnaNetworkSessionToken, paymentOptionId: "klarna-sim-pay-later" }, button),
    );
    return {
      id,
      htmlElement: button,
      mount(target) {
        const container = typeof target === "string" ? document.querySelector(target) : target;
        if (!container) throw klarnaError("MOUNT_FAILED", `no element matches ${target}`);
        container.replaceChildren(button);
        return this;
      },
      unmount() {
        button.remove();
      },
      toggleState(state, value) {
        if (state === "disabled") button.disabled = value ?? !button.disabled;
        if (state === "loading") setBusy(button, value ?? button.dataset.state !== "loading");
      },
    };
  }

  const Payment = {
    async presentation({ amount, currency, locale, intents } = {}) {
      if (!Number.isInteger(amount) || amount < 0 || typeof currency !== "string") {
        throw klarnaError("INVALID_PRESENTATION", "presentation needs an integer amount in minor units and a currency");
      }
      const asked = new URLSearchParams({ currency });
      if (partnerAccountId) asked.set("account", partnerAccountId);
      const reply = await fetch(new URL(`presentation?${asked}`, SDK_BASE));
      if (!reply.ok) throw klarnaError("PRESENTATION_FAILED", `the simulator refused a presentation (${reply.status})`);
      const { instruction } = await reply.json();
      const parts = {
        header: { text: "Klarna" },
        subheader: { text: "Pay now or later (simulator)" },
        icon: { shape: "badge" },
        paymentButton: { component },
      };
      const hidden = instruction === "HIDE_KLARNA";
      return {
        // The latest typedoc: an instruction and the payment options to show.
        instruction,
        paymentStatus: "PENDING_PARTNER_AUTHORIZATION",
        paymentOptions: hidden ? [] : [{ paymentOptionId: "klarna-sim-pay-later", ...parts }],
        // The older shape: the parts at the top level.
        locale,
        intents: intents ?? ["PAY"],
        ...parts,
      };
    },
    initiate(callback, options = {}) {
      return start(callback, options.initiationMode, { klarnaNetworkSessionToken }, null);
    },
    on(event, callback) {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(callback);
    },
    off(event, callback) {
      listeners.set(event, (listeners.get(event) ?? []).filter((cb) => cb !== callback));
    },
  };

  return {
    Payment,
    Network: { Session: { token: async () => klarnaNetworkSessionToken, on() {} } },
    standIn: "klarna-sim",
  };
}

export default KlarnaSDK;
