// The plumbing of a click, in JavaScript because that is where it is smallest and fastest:
// single flight, the idempotency key, the POST with its timer and the page's AbortSignal, and
// reading the reply (at most 1 MB, from a `fetch` of any realm). It decides nothing. `click` is
// the Rust side (src/initiate.rs): it writes the body, reads the reply into the outcome and the
// hand-off, calls `onOutcome`, and makes every error with its code and message.
// The numbers handed to `click.fail` are the `Failure` variants of src/initiate.rs.

const THREW = 0;
const UNREACHABLE = 1;
const REFUSED = 2;
const NOT_A_RESPONSE = 3;
const CUT_OFF = 4;
const TIMED_OUT = 5;
const ABORTED = 6;
const TOO_LARGE = 7;

/** The largest reply read, as Klarna's own request limit: 1 MB. */
const MAX_REPLY_BYTES = 1048576;
/** How long past its timeout a pending attempt is given up on (a `fetch` that never answers). */
const STUCK_AFTER_MS = 5000;
const JSON_TYPE = "application/json";

const ignore = () => {};

/** The config's `initiate`: while an attempt is pending, its promise; otherwise a new attempt. */
export function initiator(click, endpoint, headers, credentials, timeoutMs, signal) {
  let pending;
  let started;
  return (params) => {
    const now = Date.now();
    if (pending && now - started <= timeoutMs + STUCK_AFTER_MS) return pending;
    const attempt = send(click, endpoint, headers, credentials, timeoutMs, signal, params);
    const settled = () => {
      if (pending === attempt) pending = undefined;
    };
    // Registered first, so the next click made when this one settles is a new attempt.
    attempt.then(settled, settled);
    pending = attempt;
    started = now;
    return attempt;
  };
}

async function send(click, endpoint, headers, credentials, timeoutMs, signal, params) {
  if (signal?.aborted) throw click.fail(ABORTED);
  const body = click.body(params);
  const init = {
    method: "POST",
    headers: [["Content-Type", JSON_TYPE], ["Accept", JSON_TYPE], ["Idempotency-Key", uuid()], ...headers],
    body,
    credentials,
  };
  const controller = new AbortController();
  init.signal = controller.signal;
  // Every wait races the deadline, so a `fetch` that ignores its abort signal cannot hang a click.
  let expire;
  const expired = new Promise((_, reject) => (expire = reject));
  expired.catch(ignore);
  const stop = () => {
    controller.abort();
    expire();
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutMs);
  signal?.addEventListener("abort", stop);
  let reply;
  try {
    reply = await exchange(endpoint, init, (promise) => Promise.race([promise, expired]), controller);
  } catch (failure) {
    throw click.fail(timedOut ? TIMED_OUT : signal?.aborted ? ABORTED : failure);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", stop);
  }
  if (signal?.aborted) throw click.fail(ABORTED);
  return click.settle(reply[0], reply[1]);
}

/** A random UUID v4 (`crypto.randomUUID` exists only on https pages). */
function uuid() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 15) | 64;
  bytes[8] = (bytes[8] & 63) | 128;
  const hex = Array.from(bytes, (byte) => (byte | 256).toString(16).slice(1)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** POSTs and reads the reply: `[status, text]`, `text` undefined when the body is not UTF-8.
 * Throws a failure number. */
async function exchange(endpoint, init, race, controller) {
  let response;
  try {
    response = fetch(endpoint, init);
  } catch {
    throw THREW;
  }
  try {
    response = await race(response);
  } catch (error) {
    // A network failure and a CORS refusal both reject with a TypeError, of whichever realm.
    throw error?.name === "TypeError" ? UNREACHABLE : REFUSED;
  }
  if (typeof response?.status != "number" || typeof response.headers?.get != "function") throw NOT_A_RESPONSE;
  const status = response.status;
  const tooLarge = () => {
    controller.abort();
    // An oversized error page still says what its status says; an oversized 2xx is refused.
    if (status >= 200 && status < 300) throw TOO_LARGE;
    return [status, ""];
  };
  if (Number(response.headers.get("content-length")) > MAX_REPLY_BYTES) return tooLarge();
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let text = "";
  const decode = (bytes, stream) => {
    if (text !== undefined) {
      try {
        text += decoder.decode(bytes, { stream });
      } catch {
        text = undefined;
      }
    }
  };
  try {
    const stream = response.body;
    if (!stream) {
      // No stream (an empty body, or a fetch without streams): read it whole.
      const buffer = await race(response.arrayBuffer());
      if (buffer.byteLength > MAX_REPLY_BYTES) return tooLarge();
      decode(buffer, false);
      return [status, text];
    }
    const reader = stream.getReader();
    let size = 0;
    for (;;) {
      const { done, value } = await race(reader.read());
      if (done !== false) break;
      // Not `instanceof Uint8Array`: a chunk may come from another realm (jsdom, an iframe).
      if (!ArrayBuffer.isView(value)) throw CUT_OFF;
      size += value.byteLength;
      if (size > MAX_REPLY_BYTES) {
        reader.cancel().catch(ignore);
        return tooLarge();
      }
      decode(value, true);
    }
  } catch (failure) {
    throw failure === TOO_LARGE ? failure : CUT_OFF;
  }
  decode(undefined, false);
  return [status, text];
}

/** Calls `callback(value)`, ignoring what it throws and what its promise rejects with. */
export function tell(callback, value) {
  try {
    const returned = callback(value);
    if (typeof returned?.then == "function") returned.then(undefined, ignore);
  } catch {
    // What onOutcome throws is ignored.
  }
}

/** `object[key]` when `object` is a JSON object owning `key` (a page's additions to
 * `Object.prototype` are not read); otherwise `undefined`. */
export function own(object, key) {
  return object !== null && typeof object == "object" && !Array.isArray(object) && Object.hasOwn(object, key)
    ? object[key]
    : undefined;
}

/** `Reflect.set(object, key, value)` on a fresh plain object, ignoring what a page's setter on
 * `Object.prototype` throws. */
export function put(object, key, value) {
  try {
    Reflect.set(object, key, value);
  } catch {
    // A page's setter threw: ignored.
  }
}

/** Whether the string `text` is empty or only white space. */
export function isBlank(text) {
  return !text.trim();
}

/** Appends the pair `[name, value]` to `list`. */
export function pushPair(list, name, value) {
  list.push([name, value]);
}

/** Whether `value` is an AbortSignal, of any realm. */
export function isSignal(value) {
  return typeof value?.aborted == "boolean" && typeof value.addEventListener == "function";
}

/** Whether this global scope has what the package needs: `fetch`, `URL` and `crypto`. */
export function hasWebApis() {
  return typeof fetch == "function" && typeof URL == "function" && typeof crypto?.getRandomValues == "function";
}

/** The page's URL, or undefined where there is no `location` (a server). */
export function pageHref() {
  return globalThis.location?.href;
}

/** `[href, protocol, hostname, origin, username, password]` of `input` as the `URL` parser reads
 * it (against `base`, if given), or undefined when it is not a URL. */
export function urlParts(input, base) {
  try {
    const url = new URL(input, base);
    return [url.href, url.protocol, url.hostname, url.origin, url.username, url.password];
  } catch {
    return undefined;
  }
}
