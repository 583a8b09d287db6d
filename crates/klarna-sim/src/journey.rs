//! The purchase journey: the page `payment_request_url` opens (`/<region>/requests/<id>/start`,
//! Klarna's shape), where the shopper approves, declines or leaves (`cancel`: the request goes
//! back to SUBMITTED, as an aborted journey does); `?auto=approve|decline|cancel` acts at once.
//!
//! The pages carry no inline script or style. Each is framed, posted to and redirected to only
//! by the origin registered when its payment request was created (the origin of its
//! `return_url`): `frame-ancestors` and `form-action` say so, and the finishing script posts
//! its result to that origin alone, whatever the query says.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use klarna_api::PaymentRequestState::{self, Declined};
use serde::Deserialize;

use crate::state::RequestRecord;
use crate::Sim;

/// The script that ends a journey in a pop-up or iframe.
const SCRIPT: &str = include_str!("assets/journey.js");
/// The journey's style sheet.
const STYLE: &str = include_str!("assets/journey.css");

/// Query of the journey page.
#[derive(Deserialize)]
pub struct JourneyQuery {
    auto: Option<String>,
    mode: Option<String>,
}

#[derive(Clone, Copy)]
enum Action {
    Approve,
    Decline,
    Cancel,
}

impl Action {
    fn parse(word: &str) -> Option<Self> {
        match word {
            "approve" => Some(Self::Approve),
            "decline" => Some(Self::Decline),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }
}

/// Where a page stands relative to the journey root, for its asset links.
#[derive(Clone, Copy)]
enum Depth {
    /// `/{region}/requests/{id}/start`.
    Page,
    /// `/{region}/requests/{id}/start/{action}`.
    Action,
}

/// The region in the journey URLs the simulator issues.
pub const REGION: &str = "eu";

/// The payment request a journey URL names (its last segment is the request's UUID).
fn request_id(region: &str, id: &str) -> Option<String> {
    (region == REGION && !id.contains(':')).then(|| format!("krn:payment:eu1:request:{id}"))
}

/// A journey page with its headers: the CSP names the registered origin, if any.
fn page_response(status: StatusCode, origin: Option<&str>, depth: Depth, title: &str, body: &str) -> Response {
    let ancestors = origin.unwrap_or("'none'");
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; \
         form-action 'self' {}; frame-ancestors {ancestors}",
        origin.unwrap_or("")
    );
    let headers: [(HeaderName, String); 4] = [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::REFERRER_POLICY, "no-referrer".to_owned()),
        (header::CACHE_CONTROL, "no-store".to_owned()),
    ];
    (status, headers, Html(shell(depth, title, body))).into_response()
}

fn not_found(depth: Depth) -> Response {
    page_response(StatusCode::NOT_FOUND, None, depth, "Not found", "<p>No such payment request.</p>")
}

/// `GET /{region}/requests/{id}/start`: opens the journey (SUBMITTED → IN_PROGRESS).
pub async fn page(
    State(sim): State<Sim>,
    Path((region, id)): Path<(String, String)>,
    Query(query): Query<JourneyQuery>,
) -> Response {
    let Some(id) = request_id(&region, &id) else { return not_found(Depth::Page) };
    if let Some(word) = &query.auto {
        return act_on(&sim, &id, word, &query, Depth::Page);
    }
    let found = sim.mutate(|state| {
        state.expire_due(sim.ids());
        state.open_journey(sim.ids(), &id);
        Ok(state.requests.get(&id).cloned())
    });
    let record = match found {
        Ok(Some(record)) => record,
        Ok(None) => return not_found(Depth::Page),
        Err(error) => return error.into_response(),
    };
    let current = record.state();
    let body = if current == PaymentRequestState::InProgress {
        let suffix = if query.mode.as_deref() == Some("popup") { "?mode=popup" } else { "" };
        let amount = match (record.request.amount, &record.request.currency) {
            (Some(amount), Some(currency)) => {
                format!("<p class=\"amount\">{}.{:02} {}</p>", amount / 100, amount % 100, escape(currency))
            }
            _ => "<p class=\"amount\">Save Klarna for later purchases</p>".to_owned(),
        };
        let form = |action: &str, label: &str| {
            format!(
                "<form method=\"post\" action=\"start/{action}{suffix}\"><button type=\"submit\" data-action=\"{action}\">{label}</button></form>"
            )
        };
        format!(
            "{amount}{}{}{}",
            form("approve", "Approve and pay"),
            form("decline", "Decline"),
            form("cancel", "Cancel and go back")
        )
    } else {
        format!("<p>This payment request is <strong data-state=\"{0}\">{0}</strong>.</p>", current.as_str())
    };
    let origin = record.registered_origin.as_deref();
    page_response(StatusCode::OK, origin, Depth::Page, "Klarna purchase journey (simulator)", &body)
}

/// `POST /{region}/requests/{id}/start/{action}`: the shopper's choice.
pub async fn act(
    State(sim): State<Sim>,
    Path((region, id, action)): Path<(String, String, String)>,
    Query(query): Query<JourneyQuery>,
) -> Response {
    let Some(id) = request_id(&region, &id) else { return not_found(Depth::Action) };
    act_on(&sim, &id, &action, &query, Depth::Action)
}

fn act_on(sim: &Sim, id: &str, word: &str, query: &JourneyQuery, depth: Depth) -> Response {
    let Some(action) = Action::parse(word) else {
        let body = "<p>Use approve, decline or cancel.</p>";
        return page_response(StatusCode::BAD_REQUEST, None, depth, "Unknown action", body);
    };
    let ids = sim.ids();
    let acted = sim.mutate(|state| {
        state.expire_due(ids);
        state.open_journey(ids, id);
        let Some(before) = state.requests.get(id).map(RequestRecord::state) else { return Ok(None) };
        let done = before == PaymentRequestState::InProgress
            && match action {
                Action::Approve => state.complete(ids, id),
                Action::Decline => state.transition(ids, id, Declined, None),
                Action::Cancel => state.abort(ids, id),
            };
        Ok(state.requests.get(id).cloned().map(|record| (done, record)))
    });
    let (done, record) = match acted {
        Ok(Some(acted)) => acted,
        Ok(None) => return not_found(depth),
        Err(error) => return error.into_response(),
    };
    let state = record.state();
    let origin = record.registered_origin.as_deref();
    let says = format!("<p>This payment request is <strong data-state=\"{0}\">{0}</strong>.</p>", state.as_str());
    if !done {
        return page_response(StatusCode::CONFLICT, origin, depth, "Already finished", &says);
    }
    let target = return_target(&record);
    if query.mode.as_deref() == Some("popup") {
        let finish = format!(
            "{says}<main id=\"journey-result\" data-payment-request-id=\"{}\" data-state=\"{}\" data-return-url=\"{}\" data-target-origin=\"{}\"></main><script src=\"{}assets/journey.js\"></script>",
            escape(id),
            state.as_str(),
            escape(target.as_deref().unwrap_or("")),
            escape(origin.unwrap_or("")),
            root(depth),
        );
        return page_response(StatusCode::OK, origin, depth, "Journey finished", &finish);
    }
    match target {
        Some(target) => Redirect::to(&target).into_response(),
        None => page_response(
            StatusCode::OK,
            origin,
            depth,
            "Journey finished",
            &format!("{says}<p>You can close this page.</p>"),
        ),
    }
}

/// `GET /assets/journey.js`.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /assets/journey.css`.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        text,
    )
        .into_response()
}

/// The return URL with Klarna's placeholders filled in.
fn return_target(record: &RequestRecord) -> Option<String> {
    let url = record.return_url.as_ref()?;
    let request = &record.request;
    let token = request.state_context.as_ref().and_then(|c| c.klarna_network_session_token.as_deref()).unwrap_or("");
    let state = request.state.map(PaymentRequestState::as_str).unwrap_or("");
    Some(
        url.replace("{klarna.payment_request.id}", &encode(request.payment_request_id.as_deref().unwrap_or("")))
            .replace("{klarna.payment_request.state}", &encode(state))
            .replace("{klarna.payment_request.state_reason}", &encode(request.state_reason.as_deref().unwrap_or("")))
            .replace(
                "{klarna.payment_request.payment_request_reference}",
                &encode(request.payment_request_reference.as_deref().unwrap_or("")),
            )
            .replace("{klarna.payment_token}", &encode(token)),
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The way from a page to the journey root.
fn root(depth: Depth) -> &'static str {
    match depth {
        Depth::Page => "../../../",
        Depth::Action => "../../../../",
    }
}

fn shell(depth: Depth, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{}assets/journey.css\"></head>\
         <body><p class=\"banner\">Klarna Network simulator: an offline stand-in for Klarna's purchase journey. No real payment happens here.</p>\
         <h1>{title}</h1>{body}</body></html>",
        root(depth)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("krn:payment:eu1:request:a b/c?d"), "krn%3Apayment%3Aeu1%3Arequest%3Aa%20b%2Fc%3Fd");
        assert_eq!(encode("A-z_0.9~"), "A-z_0.9~");
    }

    #[test]
    fn escapes_html() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
