// A fake `fetch` for the browser tests: it records every request and answers from a queue of
// reply specs, so each test shapes exactly what the "backend" says.
//
// A reply spec: { status = 200, body = "", headers = {"content-type": "application/json"},
//   networkError, hang (never answers; rejects when aborted), stallBody (headers arrive, the
//   body never ends), chunks: [strings] (a streamed body), delayMs, throwSync (fetch throws
//   before returning, as a broken wrapper might), ignoreAbort (never answers, even when aborted),
//   realm (a window whose Response class answers) }.

const state = { replies: [], calls: [] };

/** The browser's own `fetch`, for the scenarios that talk to a real backend. */
export const realFetch = globalThis.fetch;

/** Installs the fake and forgets earlier requests and replies. */
export function installFakeFetch() {
  state.replies = [];
  state.calls = [];
  globalThis.fetch = fetchEntry;
}

/** Puts the browser's own `fetch` back. */
export function installRealFetch() {
  globalThis.fetch = realFetch;
}

/** The installed `fetch`: a plain function, so it can also throw synchronously. */
function fetchEntry(url, init = {}) {
  const spec = state.replies[0];
  if (spec?.throwSync || spec?.ignoreAbort) {
    state.replies.shift();
    state.calls.push(record(url, init));
    if (spec.throwSync) throw new TypeError("a fetch wrapper threw");
    return new Promise(() => {});
  }
  return fakeFetch(url, init);
}

/** Queues the reply to the next request. */
export function queueReply(spec) {
  state.replies.push(spec);
}

/** Every request so far: { url, method, headers (lower-case names), body, signal, credentials }. */
export function requests() {
  return state.calls;
}

function abortError() {
  return new DOMException("The operation was aborted.", "AbortError");
}

function whenAborted(signal) {
  return new Promise((_, reject) => {
    if (signal?.aborted) reject(abortError());
    signal?.addEventListener("abort", () => reject(abortError()));
  });
}

function record(url, init) {
  return {
    url: String(url),
    method: init.method,
    headers: Object.fromEntries(new Headers(init.headers)),
    body: init.body,
    signal: init.signal,
    credentials: init.credentials,
  };
}

async function fakeFetch(url, init = {}) {
  state.calls.push(record(url, init));
  const spec = state.replies.shift() ?? { status: 599, body: "the test queued no reply" };
  if (spec.networkError) throw new TypeError("Failed to fetch");
  if (spec.hang) return whenAborted(init.signal);
  if (spec.delayMs) {
    await Promise.race([new Promise((resolve) => setTimeout(resolve, spec.delayMs)), whenAborted(init.signal)]);
  }
  const headers = spec.headers ?? { "content-type": "application/json" };
  let body = spec.body ?? "";
  if (spec.stallBody || spec.chunks) {
    const encoder = new TextEncoder();
    const chunks = spec.chunks ?? ["{"];
    body = new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        if (spec.stallBody) {
          init.signal?.addEventListener("abort", () => controller.error(abortError()));
        } else {
          controller.close();
        }
      },
    });
  }
  // `realm`: a window whose Response to answer with (a reply from another realm, as jsdom's).
  const { Response: ResponseOfRealm } = spec.realm ?? globalThis;
  return new ResponseOfRealm(body, { status: spec.status ?? 200, headers });
}
