//! The POST to the partner backend: headers, abort on timeout, a cap on the reply's size.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, ReadableStreamDefaultReader, RequestInit, Response, Window};

use crate::js;

use crate::builder::Plan;
use crate::error::{ButtonError, ErrorCode};

/// The largest reply read, as Klarna's own request limit: 1 MB.
pub const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// The backend's reply: its status and its whole body (empty when an error page was too large).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body, at most [`MAX_REPLY_BYTES`].
    pub body: Vec<u8>,
}

/// Aborts the request when the time is up, and rejects [`Deadline::race`] then even if a
/// `fetch` wrapper ignores the abort signal; clears its timer when dropped.
struct Deadline {
    window: Window,
    timer: i32,
    fired: Rc<Cell<bool>>,
    expired: Promise,
    _on_time_up: Closure<dyn FnMut()>,
    _ignore: Closure<dyn FnMut(JsValue)>,
}

impl Deadline {
    fn start(window: &Window, controller: &AbortController, timeout_ms: u32) -> Result<Self, ButtonError> {
        let fired = Rc::new(Cell::new(false));
        let reject_slot: Rc<Cell<Option<Function>>> = Rc::new(Cell::new(None));
        let expired = {
            let slot = reject_slot.clone();
            Promise::new(&mut |_resolve, reject| slot.set(Some(reject)))
        };
        // Nobody may be waiting on `expired` when it rejects: handled, it is no console error.
        let ignore = Closure::<dyn FnMut(JsValue)>::new(|_| {});
        let _ = expired.catch(&ignore);
        let on_time_up = {
            let (fired, controller) = (fired.clone(), controller.clone());
            Closure::once(move || {
                fired.set(true);
                controller.abort();
                if let Some(reject) = reject_slot.take() {
                    let _ = reject.call0(&JsValue::UNDEFINED);
                }
            })
        };
        let timer = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                on_time_up.as_ref().unchecked_ref(),
                i32::try_from(timeout_ms).unwrap_or(i32::MAX),
            )
            .map_err(|_| ButtonError::new(ErrorCode::Network, "could not start the request timer"))?;
        Ok(Self { window: window.clone(), timer, fired, expired, _on_time_up: on_time_up, _ignore: ignore })
    }

    /// Waits for `promise`, or fails once the time is up, whichever comes first.
    async fn race(&self, promise: &Promise) -> Result<JsValue, JsValue> {
        JsFuture::from(Promise::race(&Array::of2(promise, &self.expired))).await
    }

    /// The error for a failed request: `TIMEOUT` if the deadline aborted it, else `NETWORK`.
    fn failure(&self, timeout_ms: u32, network_message: &str) -> ButtonError {
        if self.fired.get() {
            let message = format!("no complete reply within {timeout_ms} ms; the request was aborted");
            ButtonError::new(ErrorCode::Timeout, message)
        } else {
            ButtonError::new(ErrorCode::Network, network_message)
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.window.clear_timeout_with_handle(self.timer);
    }
}

/// POSTs `body` as JSON with the plan's headers and `Idempotency-Key`, and reads the reply.
pub async fn post(plan: &Plan, idempotency_key: &str, body: &str) -> Result<Reply, ButtonError> {
    let window =
        web_sys::window().ok_or_else(|| ButtonError::new(ErrorCode::Config, "initiate needs a browser window"))?;
    let headers = request_headers(plan, idempotency_key)?;
    let controller = AbortController::new()
        .map_err(|_| ButtonError::new(ErrorCode::Network, "this browser has no AbortController"))?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    init.set_signal(Some(&controller.signal()));

    let deadline = Deadline::start(&window, &controller, plan.timeout_ms)?;
    // A throwing or promise-less `fetch` (a wrapper, say) becomes a NETWORK error, not a stuck click.
    let fetched = js::fetch(&plan.endpoint, &init)
        .map_err(|_| ButtonError::new(ErrorCode::Network, "fetch threw before sending the request"))?;
    let response = deadline
        .race(&Promise::resolve(&fetched))
        .await
        .map_err(|_| deadline.failure(plan.timeout_ms, "could not reach the backend"))?;
    let response: Response =
        response.dyn_into().map_err(|_| ButtonError::new(ErrorCode::Network, "fetch did not give a Response"))?;
    let status = response.status();
    let declared = response.headers().get("content-length").ok().flatten();
    let declared_too_large =
        declared.and_then(|length| length.trim().parse::<usize>().ok()).is_some_and(|length| length > MAX_REPLY_BYTES);
    let body = if declared_too_large { Err(Cut::TooLarge) } else { read_capped(&response, &deadline).await };
    match body {
        Ok(body) => Ok(Reply { status, body }),
        // An oversized error page still says what the status says; an oversized 2xx is refused.
        Err(Cut::TooLarge) => {
            controller.abort();
            if (200..300).contains(&status) {
                Err(ButtonError::new(ErrorCode::InvalidResponse, "the backend's reply is larger than 1 MB"))
            } else {
                Ok(Reply { status, body: Vec::new() })
            }
        }
        Err(Cut::Failed) => Err(deadline.failure(plan.timeout_ms, "the backend's reply was cut off")),
    }
}

fn request_headers(plan: &Plan, idempotency_key: &str) -> Result<Headers, ButtonError> {
    let refused = |_| ButtonError::new(ErrorCode::Config, "the browser refused a request header");
    let headers = Headers::new().map_err(refused)?;
    headers.set("Content-Type", "application/json").map_err(refused)?;
    headers.set("Accept", "application/json").map_err(refused)?;
    headers.set("Idempotency-Key", idempotency_key).map_err(refused)?;
    for (name, value) in &plan.headers {
        headers.set(name, value).map_err(refused)?;
    }
    Ok(headers)
}

enum Cut {
    TooLarge,
    Failed,
}

/// Reads the body chunk by chunk and stops as soon as it passes [`MAX_REPLY_BYTES`].
async fn read_capped(response: &Response, deadline: &Deadline) -> Result<Vec<u8>, Cut> {
    let Some(stream) = response.body() else {
        // No stream (an empty body, or a fetch without streams): read it whole.
        let buffer =
            deadline.race(&response.array_buffer().map_err(|_| Cut::Failed)?).await.map_err(|_| Cut::Failed)?;
        let bytes = Uint8Array::new(&buffer);
        if bytes.length() as usize > MAX_REPLY_BYTES {
            return Err(Cut::TooLarge);
        }
        return Ok(bytes.to_vec());
    };
    let reader: ReadableStreamDefaultReader = js::reader(&stream).map_err(|_| Cut::Failed)?.unchecked_into();
    let mut body = Vec::new();
    loop {
        let chunk = deadline.race(&reader.read()).await.map_err(|_| Cut::Failed)?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done")).map_err(|_| Cut::Failed)?;
        if done.as_bool().unwrap_or(true) {
            return Ok(body);
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|_| Cut::Failed)?;
        let bytes: Uint8Array = value.dyn_into().map_err(|_| Cut::Failed)?;
        if body.len().saturating_add(bytes.length() as usize) > MAX_REPLY_BYTES {
            let _: Promise = reader.cancel();
            return Err(Cut::TooLarge);
        }
        body.extend_from_slice(&bytes.to_vec());
    }
}
