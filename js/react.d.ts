// `klarna-payment-button/react`: Klarna's payment button as a React component, and a hook for
// the button's configuration. React (18 or later) is an optional peer dependency.
import type { DependencyList, ReactElement } from "react";
import type { ButtonConfigBuilder, InitInput, Intent, KlarnaButtonConfig } from "./klarna_payment_button.js";
import type { PaymentError, PaymentRequest } from "./index.js";

/** What `useKlarnaButtonConfig` gives: the built configuration, or why there is none (yet). */
export interface KlarnaButtonConfigState {
  /** The object for `paymentButton.component(config)` or `Klarna.Payment.initiate`; `null`
   * until the package is ready and after a failure. */
  config: KlarnaButtonConfig | null;
  /** Why there is no configuration: a `KlarnaButtonError` (code `CONFIG`) from `build()`, or
   * the failure to load the WebAssembly module. */
  error: Error | null;
}

/** Options of `useKlarnaButtonConfig`. */
export interface KlarnaButtonConfigOptions {
  /** Where the `.wasm` file is, for bundlers that do not rewrite `new URL(..., import.meta.url)`
   * (see the package README); passed to `init({ module_or_path })`. */
  wasm?: InitInput | Promise<InitInput> | undefined;
}

/**
 * Builds the button's configuration once the package is ready:
 * `useKlarnaButtonConfig(() => buttonConfig("/api/authorize-payment").successUrl(url), [url])`.
 * Like `useEffect`, it builds again when one of `deps` changes. The builder gets an
 * `AbortSignal` that is aborted when the deps change or the component unmounts, so a click in
 * flight then rejects with `ABORTED` and `onOutcome` never runs into an unmounted component.
 */
export function useKlarnaButtonConfig(
  factory: () => ButtonConfigBuilder,
  deps: DependencyList,
  options?: KlarnaButtonConfigOptions,
): KlarnaButtonConfigState;

/** The props of `KlarnaPaymentButton`. */
export interface KlarnaPaymentButtonProps {
  /** Your Klarna Web SDK client id. */
  clientId: string;
  /** The account you act on behalf of. */
  partnerAccountId?: string | undefined;
  /** Where Klarna's SDK module is; Klarna's own URL unless set (tests use the simulator's stand-in). */
  sdkUrl?: string | undefined;
  /** The amount in minor units (11800 is 118.00); the presentation is fetched again when it changes. */
  amount: number;
  /** ISO 4217, such as `USD`. */
  currency: string;
  /** Such as `en-US`. */
  locale: string;
  /** What the shopper is doing; `["PAY"]` unless set. */
  intents?: readonly Intent[] | undefined;
  /** Starts the button's configuration: `() => buttonConfig("/api/authorize-payment").successUrl(url)`. */
  config: () => ButtonConfigBuilder;
  /** What the configuration depends on: it is built again when one of these changes. */
  configDeps?: DependencyList | undefined;
  /** Where the `.wasm` file is, for bundlers that do not rewrite `new URL(..., import.meta.url)`. */
  wasm?: InitInput | Promise<InitInput> | undefined;
  /** Something failed: loading the SDK, the presentation, `build()` (a `KlarnaButtonError` with code
   * `CONFIG`), or Klarna's `error` event (a rejected click among them: its `KlarnaButtonError`). */
  onError?: ((error: PaymentError | Error, paymentRequest?: PaymentRequest) => void) | undefined;
  /** Klarna's `complete` event; return `false` to stay on the page instead of following the return URL. */
  onComplete?: ((paymentRequest: PaymentRequest) => boolean | void | Promise<boolean | void>) | undefined;
  /** Klarna's `abort` event: the shopper left the journey. */
  onAbort?: ((paymentRequest: PaymentRequest) => void) | undefined;
  /** The container's class. */
  className?: string | undefined;
}

/**
 * Klarna's payment button: loads the SDK (once), fetches the presentation, builds the
 * configuration and mounts the button into a container with an id of its own; on unmount it
 * takes the button out, removes its event listeners and aborts a click in flight. Klarna's
 * events reach every mounted `KlarnaPaymentButton` of the same SDK instance.
 */
export function KlarnaPaymentButton(props: KlarnaPaymentButtonProps): ReactElement;
