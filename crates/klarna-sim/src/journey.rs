//! The purchase journey: the page `payment_request_url` opens, where the shopper approves,
//! declines or cancels (`?auto=approve|decline|cancel` acts at once, for tests).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use klarna_api::PaymentRequestState::{self, Canceled, Completed, Declined, InProgress, Submitted};
use serde::Deserialize;

use crate::authorize::issue_customer_token;
use crate::requests::{expire_due, transition};
use crate::state::{SessionToken, State as SimState};
use crate::webhooks::{self, Outgoing};
use crate::Sim;

/// Query of the journey page.
#[derive(Deserialize)]
pub struct JourneyQuery {
    auto: Option<String>,
    mode: Option<String>,
    origin: Option<String>,
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

/// `GET /journey/{id}`: opens the journey (SUBMITTED → IN_PROGRESS).
pub async fn page(State(sim): State<Sim>, Path(id): Path<String>, Query(query): Query<JourneyQuery>) -> Response {
    let (found, outgoing) = {
        let mut state = sim.lock();
        let mut outgoing = expire_due(&sim, &mut state);
        let current = state.requests.get(&id).map(|r| r.state());
        if current == Some(Submitted) {
            outgoing.extend(transition(&sim, &mut state, &id, InProgress, None));
        }
        (state.requests.get(&id).map(|r| (r.state(), r.request.amount, r.request.currency.clone())), outgoing)
    };
    webhooks::send(&sim, outgoing);
    let Some((current, amount, currency)) = found else {
        return (StatusCode::NOT_FOUND, Html(shell("Not found", "<p>No such payment request.</p>"))).into_response();
    };
    if let Some(word) = &query.auto {
        return act_on(&sim, &id, word, &query);
    }
    let body = if current == InProgress {
        let suffix = suffix(&query);
        let amount = match (amount, currency) {
            (Some(amount), Some(currency)) => {
                format!("<p class=\"amount\">{}.{:02} {}</p>", amount / 100, amount % 100, escape(&currency))
            }
            _ => "<p class=\"amount\">Save Klarna for later purchases</p>".to_owned(),
        };
        let form = |action: &str, label: &str| {
            format!(
                "<form method=\"post\" action=\"./{}/{action}{suffix}\"><button type=\"submit\" data-action=\"{action}\">{label}</button></form>",
                escape(&id)
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
    Html(shell("Klarna purchase journey (simulator)", &body)).into_response()
}

/// `POST /journey/{id}/{action}`: the shopper's choice.
pub async fn act(
    State(sim): State<Sim>,
    Path((id, action)): Path<(String, String)>,
    Query(query): Query<JourneyQuery>,
) -> Response {
    act_on(&sim, &id, &action, &query)
}

fn act_on(sim: &Sim, id: &str, word: &str, query: &JourneyQuery) -> Response {
    let Some(action) = Action::parse(word) else {
        return (StatusCode::BAD_REQUEST, Html(shell("Unknown action", "<p>Use approve, decline or cancel.</p>")))
            .into_response();
    };
    let (finished, outgoing) = {
        let mut state = sim.lock();
        let mut outgoing = expire_due(sim, &mut state);
        if state.requests.get(id).map(|r| r.state()) == Some(Submitted) {
            outgoing.extend(transition(sim, &mut state, id, InProgress, None));
        }
        let current = state.requests.get(id).map(|r| r.state());
        let finished = if current == Some(InProgress) {
            outgoing.extend(match action {
                Action::Approve => complete(sim, &mut state, id),
                Action::Decline => transition(sim, &mut state, id, Declined, None),
                Action::Cancel => transition(sim, &mut state, id, Canceled, Some("PURCHASE_FLOW_ABORTED")),
            });
            state.requests.get(id).map(|r| (r.state(), return_target(r)))
        } else {
            None
        };
        (finished.ok_or(current), outgoing)
    };
    webhooks::send(sim, outgoing);
    match finished {
        Err(None) => {
            (StatusCode::NOT_FOUND, Html(shell("Not found", "<p>No such payment request.</p>"))).into_response()
        }
        Err(Some(state)) => (
            StatusCode::CONFLICT,
            Html(shell(
                "Already finished",
                &format!("<p>This payment request is <strong data-state=\"{0}\">{0}</strong>.</p>", state.as_str()),
            )),
        )
            .into_response(),
        Ok((state, target)) if query.mode.as_deref() == Some("popup") => {
            Html(popup_finish(id, state, target.as_deref(), query.origin.as_deref())).into_response()
        }
        Ok((_, Some(target))) => Redirect::to(&target).into_response(),
        Ok((state, None)) => Html(shell(
            "Journey finished",
            &format!(
                "<p>The payment request is <strong data-state=\"{0}\">{0}</strong>. You can close this page.</p>",
                state.as_str()
            ),
        ))
        .into_response(),
    }
}

/// Approves: issues the network session token (and the customer token, if one was asked
/// for) and moves the request to COMPLETED.
fn complete(sim: &Sim, state: &mut SimState, id: &str) -> Vec<Outgoing> {
    let now = state.now();
    let Some(record) = state.requests.get(id).cloned() else { return Vec::new() };
    let session_token = sim.ids().krn("krn:payment:eu1:klarna-network-session-token:");
    state.session_tokens.insert(
        session_token.clone(),
        SessionToken { payment_request_id: Some(id.to_owned()), issued_at: now, spent: false },
    );
    let customer_token = record
        .pending_token
        .as_ref()
        .map(|pending| issue_customer_token(sim, state, &record.account, &pending.scopes, pending.reference.clone()));
    if let Some(record) = state.requests.get_mut(id) {
        let context = record.request.state_context.get_or_insert_with(Default::default);
        context.klarna_network_session_token = Some(session_token);
        context.customer_token = customer_token;
        // With no payment to authorize, nothing more happens to this request.
        record.finalized = record.pending_payment.is_none();
    }
    transition(sim, state, id, Completed, None)
}

/// The return URL with Klarna's placeholders filled in.
fn return_target(record: &crate::state::RequestRecord) -> Option<String> {
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

fn suffix(query: &JourneyQuery) -> String {
    let mut parts = Vec::new();
    if let Some(mode) = &query.mode {
        parts.push(format!("mode={}", encode(mode)));
    }
    if let Some(origin) = &query.origin {
        parts.push(format!("origin={}", encode(origin)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&amp;"))
    }
}

/// In a pop-up or iframe: tells the page that opened the journey, which then closes it. (A
/// pop-up that closed itself could be seen closed before its message arrived: an abort.)
fn popup_finish(id: &str, state: PaymentRequestState, return_url: Option<&str>, origin: Option<&str>) -> String {
    let message = serde_json::json!({
        "source": "klarna-sim",
        "paymentRequestId": id,
        "state": state.as_str(),
        "returnUrl": return_url,
    });
    // Only to the origin that opened the journey: without it, nothing is posted and the page
    // navigates to the return URL itself.
    let target_origin = origin.filter(|o| o.starts_with("http://") || o.starts_with("https://"));
    // `<` is escaped so that the JSON cannot close the script element.
    let data = message.to_string().replace('<', "\\u003c");
    let target_origin = serde_json::Value::from(target_origin).to_string().replace('<', "\\u003c");
    shell(
        "Journey finished",
        &format!(
            "<p>The payment request is <strong data-state=\"{0}\">{0}</strong>.</p>\
             <script>const data = {data}; const origin = {target_origin};\
             const target = origin && (window.opener || (window.parent !== window ? window.parent : null));\
             if (target) target.postMessage(data, origin);\
             else if (data.returnUrl) location.replace(data.returnUrl);</script>",
            state.as_str()
        ),
    )
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#17120f}}\
         .banner{{background:#ffb3c7;padding:.5rem .75rem;border-radius:.5rem;font-size:.85rem}}\
         button{{display:block;width:100%;margin:.5rem 0;padding:.8rem;border-radius:.6rem;border:1px solid #17120f;background:#fff;font-size:1rem;cursor:pointer}}\
         button[data-action=approve]{{background:#17120f;color:#fff}}.amount{{font-size:1.6rem;font-weight:600}}</style></head>\
         <body><p class=\"banner\">Klarna Network simulator: an offline stand-in for Klarna's purchase journey. No real payment happens here.</p>\
         <h1>{title}</h1>{body}</body></html>"
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
