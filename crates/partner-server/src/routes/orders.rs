//! Orders: `GET /api/orders/{id}`, the confirmation page `GET /order/{id}`, and the return
//! from Klarna's journey `GET /order/{id}/return`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;

use crate::error::ApiError;
use crate::finalize::settle;
use crate::store::{OrderView, Status};
use crate::App;

/// The order as JSON (no Klarna customer token, ever).
pub async fn read(State(app): State<Arc<App>>, Path(id): Path<String>) -> Result<Json<OrderView>, ApiError> {
    app.store.order(&id)?.map(Json).ok_or_else(|| ApiError::not_found("Order"))
}

/// Where Klarna's journey sends the shopper: settle the order (if the webhook has not yet),
/// then show it.
pub async fn back_from_klarna(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    match app.store.awaited_request(&id) {
        Ok(Some(request)) => {
            if let Err(error) = settle(&app, &request, None).await.map(|_| ()) {
                tracing::warn!(
                    order = id,
                    code = error.body.error_code,
                    "could not settle on return; the webhook will"
                );
            }
        }
        Ok(None) => {}
        Err(error) => tracing::error!(order = id, %error, "database"),
    }
    // If the webhook is finishing this order right now, give it a moment, so the page the
    // shopper lands on already shows the result.
    for _ in 0..50 {
        match app.store.session(&id) {
            Ok(Some(row)) if row.status == Status::AwaitingShopper => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            _ => break,
        }
    }
    Redirect::to(&format!("/order/{id}")).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn money(amount: u64, currency: &str) -> String {
    format!("{}.{:02} {}", amount / 100, amount % 100, escape(currency))
}

/// The confirmation page, rendered on the server from the database: it tells the truth.
pub async fn page(State(app): State<Arc<App>>, Path(id): Path<String>) -> Result<Html<String>, ApiError> {
    let order = app.store.order(&id)?.ok_or_else(|| ApiError::not_found("Order"))?;
    let (headline, detail) = match order.status {
        Status::Authorized => ("Thank you! Your order is confirmed.", "Klarna authorized the payment."),
        Status::TokenSaved => ("Klarna is saved for later.", "You can pay with Klarna in one click next time."),
        Status::AwaitingShopper => {
            ("Waiting for Klarna…", "Finish in Klarna's window; this page shows the result when it arrives.")
        }
        Status::Declined => ("Klarna declined this payment.", "Please choose another way to pay."),
        Status::Canceled => ("The Klarna payment was canceled.", "Nothing was charged."),
        Status::Expired => ("The Klarna payment expired.", "Nothing was charged; please start again."),
        Status::Created => ("Not paid yet.", "Go back to the checkout to pay."),
    };
    let notice = match order.notice.as_deref() {
        Some("TOKEN_NOT_CREATED") => "<p class=\"notice\" data-notice=\"TOKEN_NOT_CREATED\">Your purchase went through, but Klarna could not be saved for later.</p>",
        Some("PURCHASE_FAILED_TOKEN_CREATED") => "<p class=\"notice\" data-notice=\"PURCHASE_FAILED_TOKEN_CREATED\">The purchase failed, but Klarna is saved for later.</p>",
        _ => "",
    };
    let lines: String = order
        .lines
        .iter()
        .map(|l| {
            format!(
                "<li><span>{} × {}</span><span>{}</span></li>",
                l.quantity,
                escape(&l.name),
                money(l.total_amount, &order.currency)
            )
        })
        .collect();
    let transaction = order
        .transaction
        .as_ref()
        .map(|t| format!("<p class=\"meta\">Klarna transaction <code data-transaction>{}</code></p>", escape(&t.id)))
        .unwrap_or_default();
    let token = order
        .saved_token
        .as_ref()
        .map(|t| format!("<p class=\"meta\">Saved as <code data-saved-token>{}</code></p>", escape(&t.reference)))
        .unwrap_or_default();
    let status = order.status.as_str();
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>Order {id}</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/assets/style.css\"></head>\
         <body><main class=\"card confirmation\" data-order-status=\"{status}\" data-order-id=\"{id}\">\
         <h1>{headline}</h1><p>{detail}</p>{notice}<ul class=\"lines\">{lines}</ul>\
         <p class=\"total\"><span>Total</span><span>{total}</span></p>{transaction}{token}\
         <p class=\"meta\">Order <code>{id}</code> · status <strong>{status}</strong></p>\
         <p><a href=\"/\">Back to the shop</a></p></main></body></html>",
        id = escape(&order.id),
        total = money(order.amount, &order.currency),
    )))
}
