"use client";
// The React binding (documented in react.d.ts). React is an optional peer dependency of the
// package: it is imported here, never bundled.
import { createElement, useEffect, useId, useRef, useState } from "react";
import init, { loadKlarna } from "./index.js";

const NONE = { config: null, error: null };

export function useKlarnaButtonConfig(factory, deps, { wasm } = {}) {
  const [state, setState] = useState(NONE);
  useEffect(() => {
    // Aborted when the deps change or the component unmounts: a click still in flight then
    // settles with ABORTED and never reaches onOutcome.
    const controller = new AbortController();
    const live = () => !controller.signal.aborted;
    init(wasm === undefined ? undefined : { module_or_path: wasm })
      .then(() => factory().signal(controller.signal).build())
      .then(
        (config) => live() && setState({ config, error: null }),
        (error) => live() && setState({ config: null, error }),
      );
    return () => {
      controller.abort();
      setState(NONE);
    };
  }, deps);
  return state;
}

export function KlarnaPaymentButton(props) {
  const { clientId, partnerAccountId, sdkUrl, amount, currency, locale, intents, config, configDeps = [], wasm, className } = props;
  const id = `klarna-payment-button-${useId().replace(/[^\w-]/g, "")}`;
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });
  const fail = (error) => latest.current.onError?.(error);
  const [klarna, setKlarna] = useState(null);
  const [presentation, setPresentation] = useState(null);
  const built = useKlarnaButtonConfig(config, configDeps, { wasm });

  useEffect(() => {
    let live = true;
    const options = { clientId };
    if (partnerAccountId !== undefined) options.partnerAccountId = partnerAccountId;
    if (sdkUrl !== undefined) options.sdkUrl = sdkUrl;
    loadKlarna(options).then((sdk) => live && setKlarna(sdk), (error) => live && fail(error));
    return () => {
      live = false;
    };
  }, [clientId, partnerAccountId, sdkUrl]);

  const intentList = intents?.join();
  useEffect(() => {
    if (!klarna) return undefined;
    let live = true;
    const data = { amount, currency, locale };
    if (intents) data.intents = intents;
    klarna.Payment.presentation(data).then((shown) => live && setPresentation(shown), (error) => live && fail(error));
    return () => {
      live = false;
      setPresentation(null);
    };
  }, [klarna, amount, currency, locale, intentList]);

  useEffect(() => {
    if (!klarna) return undefined;
    const listeners = [
      ["error", (error, request) => latest.current.onError?.(error, request)],
      ["complete", (request) => latest.current.onComplete?.(request)],
      ["abort", (request) => latest.current.onAbort?.(request)],
    ];
    for (const [event, listener] of listeners) klarna.Payment.on(event, listener);
    return () => {
      for (const [event, listener] of listeners) klarna.Payment.off(event, listener);
    };
  }, [klarna]);

  useEffect(() => {
    if (built.error) fail(built.error);
  }, [built.error]);

  useEffect(() => {
    if (!presentation || !built.config) return undefined;
    const button = presentation.paymentButton.component(built.config);
    button.mount(`#${id}`);
    return () => button.unmount();
  }, [presentation, built.config, id]);

  return createElement("div", { id, className, "data-klarna-payment-button": "" });
}
