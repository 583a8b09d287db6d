// A plain-JavaScript implementation of the package's contract, for `npm run bench` to compare
// against (never shipped): the same builder and its checks, the same wire contract, outcome
// table, URL policy, hand-off and errors. `npm run bench` minifies it and checks that it gives
// the same results as the package before it times anything.

export class KlarnaButtonError extends Error {
  constructor(code, message, recoverable, status, errorCode, errorId) {
    super(message);
    this.name = "KlarnaButtonError";
    this.code = code;
    this.recoverable = recoverable;
    if (status !== undefined) this.status = status;
    if (errorCode !== undefined) this.errorCode = errorCode;
    if (errorId !== undefined) this.errorId = errorId;
  }
}

const MAX_REPLY_BYTES = 1048576;
const RECOVERABLE = new Set(["NETWORK", "TIMEOUT"]);
const fail = (code, message, status, errorCode, errorId) =>
  new KlarnaButtonError(code, message, RECOVERABLE.has(code) || (code === "HTTP" && (status === 429 || status >= 500)), status, errorCode, errorId);
const config = (message) => fail("CONFIG", message);
const WORDS = {
  initiationMode: ["DEVICE_BEST", "ON_PAGE", "REDIRECT", "POPUP"],
  handoff: ["paymentRequestId", "paymentRequestUrl"],
  credentials: ["omit", "same-origin", "include"],
  shape: ["default", "pill", "rect"],
  theme: ["default", "light", "dark", "outlined"],
  logoAlignment: ["default", "left", "center"],
};
const INTENTS = ["PAY", "SUBSCRIBE", "SIGNUP", "SIGNIN", "DONATE", "ADD_TO_WALLET"];
const RESERVED = ["content-type", "accept", "idempotency-key"];

function isLoopback(host) {
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host);
}

function parse(input, base) {
  try {
    return new URL(input, base);
  } catch {
    return undefined;
  }
}

/** The outcome table (spec A1): [kind, notice] or undefined for an invalid reply. */
function decide(p, t) {
  const known = (r) => r === undefined || r === "APPROVED" || r === "STEP_UP_REQUIRED" || r === "DECLINED";
  if (!known(p) || !known(t)) return "UNKNOWN";
  if (p === undefined && t === undefined) return undefined;
  if (p === "APPROVED" && t === "DECLINED") return ["SUCCESS", "TOKEN_NOT_CREATED"];
  if (p === "STEP_UP_REQUIRED" && t === "DECLINED") return ["STEP_UP", "TOKEN_NOT_CREATED"];
  if (p === "DECLINED" && t === "APPROVED") return ["DECLINE", "PURCHASE_FAILED_TOKEN_CREATED"];
  if (p === "DECLINED" || (p === undefined && t === "DECLINED")) return ["DECLINE", null];
  if (p === "STEP_UP_REQUIRED" || t === "STEP_UP_REQUIRED") return ["STEP_UP", null];
  return ["SUCCESS", null];
}

const own = (o, k) => (o !== null && typeof o === "object" && !Array.isArray(o) && Object.hasOwn(o, k) ? o[k] : undefined);
const invalid = (message) => fail("INVALID_RESPONSE", message);
function object(parent, key) {
  const value = own(parent, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalid(`the backend's reply has a ${key} that is not an object`);
  return value;
}
function text(parent, key) {
  const value = own(parent, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`the backend's reply has a ${key} that is not a string`);
  return value;
}
function result(part) {
  if (!part) return undefined;
  const value = text(part, "result");
  if (value === undefined) throw invalid("a result part of the backend's reply has no result");
  return value;
}
const validId = (id) => typeof id === "string" && id.startsWith("krn:") && id.length > 4 && id.length <= 256 && /^[\x21-\x7e]+$/.test(id);

function settle(plan, status, body, onOutcome) {
  let root;
  if (body !== undefined && body.trim() !== "") {
    try {
      root = JSON.parse(body);
    } catch {}
  }
  if (status < 200 || status > 299) {
    const field = (k) => (typeof own(root, k) === "string" ? root[k] : undefined);
    let message = `the backend answered HTTP ${status}`;
    if (field("error_code")) message += `: ${field("error_code")}`;
    if (field("error_message")) message += ` (${field("error_message")})`;
    throw fail("HTTP", message, status, field("error_code"), field("error_id"));
  }
  if (body === undefined) throw invalid("the backend's reply is not UTF-8 text");
  if (body.trim() === "") throw invalid("the backend's reply is empty");
  if (root === undefined) throw invalid("the backend's reply is not JSON");
  if (root === null || typeof root !== "object" || Array.isArray(root)) throw invalid("the backend's reply is not a JSON object");
  const payment = object(root, "payment_transaction_response");
  const transaction = payment && object(payment, "payment_transaction");
  const transactionId = transaction && text(transaction, "payment_transaction_id");
  const p = result(payment);
  const t = result(object(root, "customer_token_response"));
  const request = object(root, "payment_request");
  const interaction = request && object(object(request, "state_context") ?? {}, "customer_interaction");
  const requestId = request && (text(request, "payment_request_id") ?? (interaction && text(interaction, "payment_request_id")));
  const requestUrl = interaction && text(interaction, "payment_request_url");
  const cell = decide(p, t);
  if (cell === undefined) throw invalid("the backend's reply has neither a payment nor a token result");
  if (cell === "UNKNOWN") throw invalid("the backend's reply has a result other than APPROVED, STEP_UP_REQUIRED or DECLINED");
  const [kind, notice] = cell;
  let handoff;
  if (kind === "SUCCESS") handoff = { returnUrl: plan.successUrl };
  else if (kind === "DECLINE") handoff = plan.declineUrl ? { returnUrl: plan.declineUrl } : undefined;
  else {
    if (!request) throw invalid("the step-up reply has no payment_request");
    if (plan.handoff === "paymentRequestId") {
      if (requestId === undefined) throw invalid("the step-up reply has no payment_request_id");
      if (!validId(requestId)) throw invalid("the payment request id is not a Klarna id (krn:…)");
      handoff = { paymentRequestId: requestId };
    } else {
      if (requestUrl === undefined) throw invalid("the step-up reply has no payment_request_url");
      if (/[\s\x00-\x1f\x7f]/.test(requestUrl)) throw invalid("the payment_request_url has spaces or control characters");
      const url = parse(requestUrl);
      if (!url) throw invalid("the payment_request_url is not an absolute URL");
      if (url.username || url.password) throw fail("UNSAFE_URL", "the payment request URL carries a user name or password");
      if (!(url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname)))) throw fail("UNSAFE_URL", "the payment request URL is not https");
      handoff = { paymentRequestUrl: requestUrl };
    }
  }
  if (onOutcome) {
    const outcome = { kind, payment: p ?? null, token: t ?? null, notice };
    if (transactionId !== undefined) outcome.paymentTransactionId = transactionId;
    if (kind === "STEP_UP" && validId(requestId)) outcome.paymentRequestId = requestId;
    try {
      const returned = onOutcome(outcome);
      if (typeof returned?.then === "function") returned.then(undefined, () => {});
    } catch {}
  }
  if (!handoff) throw fail("DECLINED", "Klarna declined the payment and no declineUrl is configured");
  return handoff;
}

function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = Array.from(b, (x) => (x | 256).toString(16).slice(1)).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function requestBody(params, context) {
  const body = {};
  if (params !== null && typeof params === "object") {
    for (const [from, to] of [["klarnaNetworkSessionToken", "klarna_network_session_token"], ["paymentOptionId", "payment_option_id"]]) {
      const value = params[from];
      if (typeof value === "string") body[to] = value;
      else if (value !== undefined && value !== null) throw config(`initiate: ${from} must be a string`);
    }
    const acquiring = params.acquiringConfig;
    if (acquiring !== null && typeof acquiring === "object") body.acquiring_config = acquiring;
    else if (acquiring !== undefined && acquiring !== null) throw config("initiate: acquiringConfig must be an object");
  } else if (params !== undefined && params !== null) throw config("initiate takes the SDK's parameter object, or nothing");
  if (context !== undefined) body.context = JSON.parse(context);
  return JSON.stringify(body);
}

async function send(plan, params) {
  const signal = plan.signal;
  if (signal?.aborted) throw fail("ABORTED", "the click was aborted by its AbortSignal");
  const body = requestBody(params, plan.context);
  const controller = new AbortController();
  let expire;
  const expired = new Promise((_, reject) => (expire = reject));
  expired.catch(() => {});
  let timedOut = false;
  const stop = () => {
    controller.abort();
    expire();
  };
  const timer = setTimeout(() => ((timedOut = true), stop()), plan.timeoutMs);
  signal?.addEventListener("abort", stop);
  const race = (promise) => Promise.race([promise, expired]);
  const failure = (message) =>
    timedOut
      ? fail("TIMEOUT", `no complete reply within ${plan.timeoutMs} ms; the request was aborted`)
      : signal?.aborted
        ? fail("ABORTED", "the click was aborted by its AbortSignal")
        : fail("NETWORK", message);
  let status;
  let text = "";
  try {
    let response;
    try {
      response = fetch(plan.endpoint, {
        method: "POST",
        headers: [["Content-Type", "application/json"], ["Accept", "application/json"], ["Idempotency-Key", uuid()], ...plan.headers],
        body,
        credentials: plan.credentials,
        signal: controller.signal,
      });
    } catch {
      throw failure("fetch threw before sending the request");
    }
    try {
      response = await race(response);
    } catch (error) {
      throw failure(error?.name === "TypeError" && plan.crossOrigin ? plan.corsMessage : "could not reach the backend");
    }
    if (typeof response?.status !== "number") throw failure("fetch did not give a Response");
    status = response.status;
    const tooLarge = () => {
      controller.abort();
      if (status >= 200 && status < 300) throw invalid("the backend's reply is larger than 1 MB");
      text = "";
    };
    if (Number(response.headers.get("content-length")) > MAX_REPLY_BYTES) tooLarge();
    else {
      const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      try {
        const reader = response.body.getReader();
        let size = 0;
        for (;;) {
          const { done, value } = await race(reader.read());
          if (done !== false) break;
          if (!ArrayBuffer.isView(value)) throw 0;
          size += value.byteLength;
          if (size > MAX_REPLY_BYTES) {
            reader.cancel().catch(() => {});
            tooLarge();
            break;
          }
          if (text !== undefined) {
            try {
              text += decoder.decode(value, { stream: true });
            } catch {
              text = undefined;
            }
          }
        }
      } catch (error) {
        if (error instanceof KlarnaButtonError) throw error;
        throw failure("the backend's reply was cut off");
      }
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", stop);
  }
  if (signal?.aborted) throw fail("ABORTED", "the click was aborted by its AbortSignal");
  return settle(plan, status, text, plan.onOutcome);
}

class Builder {
  #s;
  constructor(endpoint) {
    this.#s = { endpoint, headers: [], origins: [] };
  }
  initiationMode(v) { this.#s.initiationMode = v; return this; }
  successUrl(v) { this.#s.successUrl = v; return this; }
  declineUrl(v) { this.#s.declineUrl = v; return this; }
  handoff(v) { this.#s.handoff = v; return this; }
  timeoutMs(v) { this.#s.timeoutMs = v; return this; }
  credentials(v) { this.#s.credentials = v; return this; }
  header(name, value) { this.#s.headers.push([name, value]); return this; }
  context(v) {
    let json;
    try { json = JSON.stringify(v); } catch {}
    this.#s.context = json ?? null;
    return this;
  }
  allowReturnOrigin(v) { this.#s.origins.push(v); return this; }
  onOutcome(v) { this.#s.onOutcome = v; return this; }
  signal(v) { this.#s.signal = v; return this; }
  shape(v) { this.#s.shape = v; return this; }
  theme(v) { this.#s.theme = v; return this; }
  locale(v) { this.#s.locale = v; return this; }
  intents(v) { this.#s.intents = v; return this; }
  logoAlignment(v) { this.#s.logoAlignment = v; return this; }
  id(v) { this.#s.id = v; return this; }

  build() {
    const s = this.#s;
    for (const key of ["endpoint", "initiationMode", "successUrl", "declineUrl", "handoff", "credentials", "shape", "theme", "locale", "logoAlignment", "id"]) {
      if (s[key] !== undefined && typeof s[key] !== "string") throw config(`${key} must be a string`);
    }
    if (s.timeoutMs !== undefined && typeof s.timeoutMs !== "number") throw config("timeoutMs must be a number");
    if (s.context === null) throw config("context must be a JSON value");
    if (s.onOutcome !== undefined && typeof s.onOutcome !== "function") throw config("onOutcome takes a function");
    if (s.signal !== undefined && typeof s.signal?.aborted !== "boolean") throw config("signal takes an AbortSignal");
    if (s.intents !== undefined && !(Array.isArray(s.intents) && s.intents.every((i) => typeof i === "string"))) throw config("intents must be an array of strings");
    const page = globalThis.location?.href;
    const pageOrigin = page ? new URL(page).origin : "null";
    if (s.endpoint === undefined) throw config("buttonConfig needs the backend endpoint");
    const endpoint = parse(s.endpoint, page);
    if (!endpoint) throw config(`the endpoint "${s.endpoint}" is not a URL`);
    if (!/^https?:$/.test(endpoint.protocol) || endpoint.username || endpoint.password) throw config(`the endpoint "${endpoint.href}": only http and https endpoints without credentials are allowed`);
    const origins = s.origins.map((origin) => {
      if (typeof origin !== "string") throw config("allowReturnOrigin takes an origin string");
      const url = parse(origin);
      if (!url) throw config(`allowReturnOrigin("${origin}") needs an absolute origin such as https://shop.example`);
      if (!/^https?:$/.test(url.protocol) || (url.protocol === "http:" && !isLoopback(url.hostname))) throw config(`allowReturnOrigin("${origin}"): only https origins, or http on loopback, are allowed`);
      return url.origin;
    });
    const returnUrl = (field, value) => {
      const url = parse(value, page);
      if (!url) throw config(`${field} "${value}" is not a URL`);
      const ownOrigin = url.origin === pageOrigin;
      if (!/^https?:$/.test(url.protocol) || url.username || url.password || (!ownOrigin && !origins.includes(url.origin)) || (url.protocol === "http:" && !ownOrigin && !isLoopback(url.hostname))) {
        throw config(`${field} "${url.href}": its origin, scheme or credentials are not allowed`);
      }
      return url.href;
    };
    if (s.successUrl === undefined) throw config("successUrl is required: Klarna's SDK needs a returnUrl after success");
    const plan = {
      endpoint: endpoint.href,
      successUrl: returnUrl("successUrl", s.successUrl),
      declineUrl: s.declineUrl === undefined ? undefined : returnUrl("declineUrl", s.declineUrl),
      handoff: s.handoff ?? "paymentRequestId",
      timeoutMs: s.timeoutMs ?? 30000,
      credentials: s.credentials ?? "same-origin",
      context: s.context,
      onOutcome: s.onOutcome,
      signal: s.signal,
      crossOrigin: endpoint.origin !== pageOrigin,
    };
    for (const [field, words] of Object.entries(WORDS)) {
      if (s[field] !== undefined && !words.includes(s[field])) throw config(`${field} must be one of ${words.join(", ")}, not "${s[field]}"`);
    }
    if (!Number.isInteger(plan.timeoutMs) || plan.timeoutMs < 100 || plan.timeoutMs > 120000) throw config("timeoutMs must be a whole number of milliseconds from 100 to 120000");
    const headers = new Map();
    for (const [name, value] of s.headers) {
      if (typeof name !== "string" || typeof value !== "string") throw config("header takes a name and a value, both strings");
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw config(`header name "${name}" is not a valid HTTP header name`);
      if (RESERVED.includes(name.toLowerCase())) throw config(`header "${name}" is set by the package and cannot be replaced`);
      if (/[^\t\x20-\x7e\x80-\xff]|[\x7f-\x9f]/.test(value)) throw config(`header "${name}" has a line break, a control character or a character beyond Latin-1 in its value`);
      headers.set(name.toLowerCase(), [name, value]);
    }
    plan.headers = [...headers.values()];
    plan.corsMessage = `could not reach the backend at ${endpoint.origin}, another origin than the page's: a CORS refusal looks the same as a network failure. The backend must answer the OPTIONS preflight and the POST with Access-Control-Allow-Origin: ${pageOrigin} (this exact origin), Access-Control-Allow-Methods: POST, Access-Control-Allow-Headers: ${["content-type", "idempotency-key", ...headers.keys()].join(", ")}${plan.credentials === "include" ? ", and Access-Control-Allow-Credentials: true" : ""}; the browser's console names what is missing`;
    if (s.intents !== undefined && (s.intents.length === 0 || !s.intents.every((i) => INTENTS.includes(i)))) throw config("each intent must be one of " + INTENTS.join(", "));
    if (s.locale !== undefined && !/^[A-Za-z0-9][A-Za-z0-9-]{1,34}$/.test(s.locale)) throw config(`locale "${s.locale}" is not a language tag such as en-US`);
    if (s.id !== undefined && (s.id.length === 0 || s.id.length > 128 || /\s/.test(s.id))) throw config(`id "${s.id}" must be 1 to 128 characters without spaces`);
    let pending;
    let started;
    const result = {
      initiate: (params) => {
        const now = Date.now();
        if (pending && now - started <= plan.timeoutMs + 5000) return pending;
        const attempt = send(plan, params);
        const settled = () => {
          if (pending === attempt) pending = undefined;
        };
        attempt.then(settled, settled);
        pending = attempt;
        started = now;
        return attempt;
      },
      initiationMode: s.initiationMode ?? "DEVICE_BEST",
    };
    for (const key of ["shape", "theme", "locale", "intents", "logoAlignment", "id"]) if (s[key] !== undefined) result[key] = s[key];
    return result;
  }
}

export function buttonConfig(endpoint) {
  return new Builder(endpoint);
}
