// Compiled with `tsc --strict --noEmit` by `npm test`: the package's types as a checkout page
// sees them. Every `@ts-expect-error` line must stay an error, so the types cannot be loose.
import init, {
  buttonConfig,
  KlarnaButtonError,
  version,
  type ButtonOutcome,
  type InitiateResult,
  type KlarnaButtonConfig,
  type KlarnaButtonErrorCode,
} from "../../pkg/klarna_payment_button.js";

declare const csrf: string;

/** A shop's own cart type: an interface, with an optional field. */
interface Cart {
  cartId: string;
  coupon?: string;
}
declare const cart: Cart;
const INTENTS = ["PAY"] as const;

export async function mount(): Promise<string> {
  await init();
  const builder = buttonConfig("/your-api/authorize-payment")
    .initiationMode("DEVICE_BEST")
    .successUrl("/order/complete")
    .handoff("paymentRequestUrl")
    .timeoutMs(30000)
    .credentials("include")
    .signal(new AbortController().signal)
    .header("X-CSRF-Token", csrf)
    .context({ cartId: "c-1", items: [1, 2], gift: null })
    .context(cart)
    .intents(INTENTS)
    .allowReturnOrigin("https://shop.example")
    .onOutcome((outcome: ButtonOutcome) => {
      const kind: "STEP_UP" | "SUCCESS" | "DECLINE" = outcome.kind;
      const id: string | undefined = outcome.paymentTransactionId;
      void kind, id, outcome.notice, outcome.payment, outcome.token;
    })
    .shape("pill")
    .theme("dark")
    .locale("en-US")
    .intents(["PAY"])
    .logoAlignment("center")
    .id("kb");
  builder.declineUrl("/checkout?declined=1");
  const config: KlarnaButtonConfig = builder.build();

  const result: InitiateResult = await config.initiate({ klarnaNetworkSessionToken: "krn:network:us1:test:session-token:x" });
  await config.initiate();
  if ("paymentRequestId" in result) return result.paymentRequestId;
  if ("paymentRequestUrl" in result) return result.paymentRequestUrl;
  return result.returnUrl + version();
}

export function describe(error: unknown): string {
  if (error instanceof KlarnaButtonError) {
    const code: KlarnaButtonErrorCode = error.code;
    const status: number | undefined = error.status;
    switch (code) {
      case "NETWORK":
      case "TIMEOUT":
        return error.recoverable ? "try again" : "no";
      case "HTTP":
        return `${status} ${error.errorCode ?? ""} ${error.errorId ?? ""}`;
      default:
        return error.message;
    }
  }
  return String(error);
}

export function mistakes(): void {
  // @ts-expect-error an unknown initiation mode
  buttonConfig("/x").initiationMode("SOMETIMES");
  // @ts-expect-error an unknown hand-off
  buttonConfig("/x").handoff("paymentRequest");
  // @ts-expect-error the timeout is a number
  buttonConfig("/x").timeoutMs("30000");
  // @ts-expect-error intents are known words
  buttonConfig("/x").intents(["BUY"]);
  // @ts-expect-error onOutcome takes a function
  buttonConfig("/x").onOutcome("log");
  // @ts-expect-error the config has no such member
  buttonConfig("/x").build().endpoint;
  // @ts-expect-error credentials are fetch's words
  buttonConfig("/x").credentials("cors");
  // @ts-expect-error a signal is an AbortSignal
  buttonConfig("/x").signal(new AbortController());
  // @ts-expect-error context is JSON: not a function
  buttonConfig("/x").context(() => 1);
  // @ts-expect-error context is JSON: not a Map
  buttonConfig("/x").context(new Map([["a", 1]]));
  // @ts-expect-error context is JSON: not a Map inside an object either
  buttonConfig("/x").context({ lines: new Map<string, number>() });
  // @ts-expect-error context is JSON: not a bigint
  buttonConfig("/x").context(10n);
  // @ts-expect-error an error code outside the list
  const code: KlarnaButtonErrorCode = "OOPS";
  void code;
  const aborted: KlarnaButtonErrorCode = "ABORTED";
  void aborted;
}
