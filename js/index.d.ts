// The package's entry: the builder and its types (klarna_payment_button.d.ts), `loadKlarna`, and
// the part of Klarna's Web SDK v2 the package works with, typed from Klarna's typedoc
// (docs.klarna.com/websdk/v2/). Klarna's SDK has more; these are the members a checkout uses
// with this package.
export * from "./klarna_payment_button.js";
export { default } from "./klarna_payment_button.js";

import type {
  AcquiringConfig,
  ButtonShape,
  ButtonTheme,
  InitiationMode,
  Intent,
  LogoAlignment,
} from "./klarna_payment_button.js";

/** Klarna's `SDKConfig`: what `KlarnaSDK(config)` takes. */
export interface KlarnaSDKConfig {
  /** Your Web SDK client id (an Acquiring Partner uses its own). */
  clientId: string;
  /** The SDK's locale, such as `en-US`. */
  locale?: string;
  /** The account you act on behalf of, such as `krn:partner:global:account:...`. */
  partnerAccountId?: string;
  /** The SDK products to load. */
  products?: readonly ("PAYMENT" | "CUSTOMER" | "IDENTITY" | "MESSAGING")[];
  /** Resumes an SDK session your server created. */
  sdkToken?: string;
}

/** The export of Klarna's SDK module: `const Klarna = await KlarnaSDK({ clientId })`. */
export type KlarnaSDK = (config: KlarnaSDKConfig) => Promise<Klarna>;

/** `loadKlarna`'s options: Klarna's `SDKConfig`, and where the SDK module is. */
export interface LoadKlarnaOptions extends KlarnaSDKConfig {
  /** The SDK module's URL; `https://js.klarna.com/web-sdk/v2/klarna.mjs` unless set (tests point it
   * at the offline simulator's stand-in). Klarna asks that its SDK is neither bundled nor
   * self-hosted: the module is loaded at run time and no bundler touches it. */
  sdkUrl?: string;
}

/**
 * Loads Klarna's Web SDK and creates its instance, once for each set of options (later calls,
 * React StrictMode's second effect among them, get the same instance; a failed load is tried
 * again on the next call). Resolves `null` where there is no `window` (server rendering, a
 * worker): check before use.
 */
export function loadKlarna(options: LoadKlarnaOptions): Promise<Klarna | null>;

/** Klarna's SDK instance (`Klarna`), as far as this package uses it. */
export interface Klarna {
  /** Payments: the presentation with its button, the journey from your own button, events. */
  readonly Payment: KlarnaPayment;
}

/** Klarna's `KlarnaPayment`. */
export interface KlarnaPayment {
  /** What to show for this amount; fetch it again when the amount changes. */
  presentation(data: PaymentPresentationData): Promise<PaymentPresentation>;
  /** Starts the journey from your own button: `Klarna.Payment.initiate(config.initiate, { initiationMode: config.initiationMode })`. */
  initiate(callback: PaymentInitiateCallback, options?: PaymentRequestOptions): Promise<PaymentRequest>;
  /** The journey finished; resolve `false` to stay on the page instead of following the return URL. */
  on(event: "complete", callback: (paymentRequest: PaymentRequest) => boolean | void | Promise<boolean | void>): void;
  /** The shopper left the journey. */
  on(event: "abort", callback: (paymentRequest: PaymentRequest) => void | Promise<void>): void;
  /** Something failed, a rejected `initiate` among them (then `error` is its `KlarnaButtonError`). */
  on(event: "error", callback: (error: PaymentError | Error, paymentRequest?: PaymentRequest) => void | Promise<void>): void;
  /** Removes a callback `on` added. */
  off(event: PaymentEvent, callback: (...args: never[]) => unknown): void;
}

/** The events of `Klarna.Payment.on`. */
export type PaymentEvent = "complete" | "abort" | "error";

/** Klarna's `PaymentPresentationData`. */
export interface PaymentPresentationData {
  /** In minor units: 11800 is 118.00. */
  amount: number;
  /** ISO 4217, such as `USD`. */
  currency: string;
  /** Such as `en-US`. */
  locale: string;
  /** What the shopper is doing; `["PAY"]` unless set. */
  intents?: readonly Intent[];
}

/** Klarna's `PaymentPresentation`. */
export interface PaymentPresentation {
  /** Whether and how to show Klarna among the payment methods. */
  instruction: "SHOW_KLARNA" | "PRESELECT_KLARNA" | "SHOW_ONLY_KLARNA" | "HIDE_KLARNA";
  /** Where the payment stands. */
  paymentStatus: "PENDING_PARTNER_AUTHORIZATION" | "REQUIRES_CUSTOMER_ACTION";
  /** Klarna's payment button. */
  paymentButton: {
    /** Creates the button: pass `buttonConfig(...).build()`. */
    component(config: KlarnaPaymentButtonConfig): KlarnaPaymentButton;
  };
}

/** Klarna's `KlarnaPaymentButtonConfig` (`ButtonConfiguration`): what `component(config)` takes.
 * The object `buttonConfig(...).build()` returns is one. */
export interface KlarnaPaymentButtonConfig {
  /** Called on a click; resolves to what the SDK does next. */
  initiate?: PresentationInitiateCallback;
  /** How the SDK launches the journey; `DEVICE_BEST` unless set. */
  initiationMode?: InitiationMode;
  disabled?: boolean;
  loading?: boolean;
  id?: string;
  locale?: string;
  intents?: readonly Intent[];
  shape?: ButtonShape;
  theme?: ButtonTheme;
  logoAlignment?: LogoAlignment;
  hideOverlay?: boolean;
}

/** Klarna's `KlarnaPaymentButton`. */
export interface KlarnaPaymentButton {
  /** The button's id. */
  readonly id: string;
  /** The button's element. */
  readonly htmlElement: HTMLElement;
  /** Puts the button into a container: a CSS selector or the element. */
  mount(container: string | HTMLElement): void;
  /** Takes the button out of the page. */
  unmount(): void;
  /** Sets (or, without a value, flips) a state of the button. */
  toggleState(state: "disabled" | "loading", value?: boolean): void;
}

/** What Klarna's SDK passes to a presentation button's `initiate`. */
export interface PresentationInitiateParams {
  klarnaNetworkSessionToken: string;
  paymentOptionId: string;
  acquiringConfig?: AcquiringConfig;
}

/** Klarna's `PresentationInitiateCallback`. */
export type PresentationInitiateCallback = (params: PresentationInitiateParams) => Promise<InitiateCallbackResult>;

/** What `Klarna.Payment.initiate` passes to its callback (no payment option: there is no presentation button). */
export interface PaymentInitiateParams {
  klarnaNetworkSessionToken: string;
  paymentOptionId?: string;
  acquiringConfig?: AcquiringConfig;
}

/** The callback of `Klarna.Payment.initiate`. */
export type PaymentInitiateCallback = (params: PaymentInitiateParams) => Promise<InitiateCallbackResult>;

/** What an `initiate` callback may resolve to, per Klarna's types: a payment request to create,
 * a server-created one by URL or (deprecated) by id, or where to send the shopper. */
export type InitiateCallbackResult =
  | PaymentRequestData
  | { paymentRequestUrl: string }
  | { paymentRequestId: string }
  | { returnUrl?: string };

/** Klarna's `PaymentRequestData`: a payment request created in the browser. */
export interface PaymentRequestData {
  currency: string;
  amount?: number;
  paymentOptionId?: string;
  paymentRequestReference?: string;
  interoperabilityData?: string;
  intent?: "authorization" | "preparation";
  requestCustomerToken?: {
    customerTokenReference?: string;
    scopes: readonly ("payment:customer_present" | "payment:customer_not_present" | "customer:login")[];
  };
  collectCustomerProfile?: readonly string[];
  collectShippingData?: { scopes: readonly ("SHIPPING_ADDRESS" | "SHIPPING_OPTION")[]; supportedCountries?: readonly string[] };
  supplementaryPurchaseData?: {
    customer?: object;
    lineItems?: readonly object[];
    purchaseReference?: string;
    shipping?: readonly object[];
  };
}

/** Klarna's `PaymentRequestOptions`. */
export interface PaymentRequestOptions {
  initiationMode?: InitiationMode;
  /** May hold `{klarna.payment_request.id}` and Klarna's other placeholders. */
  returnUrl?: string;
}

/** Klarna's `PaymentRequest`, as the SDK's events pass it. */
export interface PaymentRequest {
  paymentRequestId: string;
  state: PaymentRequestState;
  previousState?: PaymentRequestState;
  stateReason?: "PARTNER_CANCELED" | "PURCHASE_FLOW_ABORTED" | "TECHNICAL_ERROR";
  stateContext?: { paymentToken?: string };
}

/** The states of a payment request. */
export type PaymentRequestState = "SUBMITTED" | "IN_PROGRESS" | "COMPLETED" | "EXPIRED" | "CANCELED";

/** Klarna's `PaymentError`. */
export interface PaymentError extends Error {
  errorCode: string;
  errorId: string;
  errorMessage: string;
  errorType: string;
  originalError?: unknown;
  validationErrors?: readonly { parameter?: string; reason?: string }[];
}
