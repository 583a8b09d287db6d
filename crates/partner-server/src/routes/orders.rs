//! Orders: `GET /api/orders/{id}`, the confirmation page `GET /order/{id}`, and the return
//! from Klarna's journey `GET /order/{id}/return`. An order is shown only to its customer.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Json};

use crate::customer::Customer;
use crate::error::ApiError;
use crate::finalize::Settled;
use crate::order_status::OrderStatus;
use crate::store::sessions::OrderView;
use crate::App;

/// How long the return waits for Klarna before it shows the order as the database has it
/// (the settling goes on in the background, and the page shows the result on a reload).
const RETURN_WAIT: Duration = Duration::from_secs(3);

async fn owned_order(app: &App, id: &str, customer: &Customer) -> Result<OrderView, ApiError> {
    let owned = app.store.session(id).await?.is_some_and(|row| row.session.customer_id == customer.0);
    let order = if owned { app.store.order(id).await? } else { None };
    order.ok_or_else(|| ApiError::not_found("Order"))
}

/// The order as JSON (never a Klarna customer token).
pub async fn read(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Extension(customer): Extension<Customer>,
) -> Result<Json<OrderView>, ApiError> {
    owned_order(&app, &id, &customer).await.map(Json)
}

/// Where Klarna's journey sends the shopper: settle the order from Klarna's side (if the
/// webhook has not yet), briefly, then show it. Reads are coalesced per payment request, so
/// a flood of returns costs Klarna one read.
pub async fn back_from_klarna(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let deadline = tokio::time::Instant::now() + RETURN_WAIT;
    match app.store.latest_request(&id).await {
        Ok(Some(request)) => {
            let settling = {
                let app = app.clone();
                tokio::spawn(async move { crate::finalize::settle(&app, &request).await })
            };
            match tokio::time::timeout_at(deadline, settling).await {
                Ok(Ok(Ok(Settled::Busy))) => {
                    // Another instance (or the webhook) runs the final authorization: give it
                    // the rest of the moment, so the page shows its result.
                    while tokio::time::Instant::now() < deadline {
                        match app.store.session(&id).await {
                            Ok(Some(row)) if row.status == OrderStatus::AwaitingShopper => {
                                tokio::time::sleep(Duration::from_millis(100)).await
                            }
                            _ => break,
                        }
                    }
                }
                Ok(Ok(Err(error))) => {
                    tracing::warn!(
                        order = id,
                        code = error.body.error_code,
                        "could not settle on return; the sweeper will"
                    )
                }
                Err(_) => tracing::info!(order = id, "Klarna is slow; the order settles in the background"),
                _ => {}
            }
        }
        Ok(None) => {}
        Err(error) => tracing::error!(order = id, %error, "database"),
    }
    let target = format!("/order/{}", crate::urls::segment(&id));
    Redirect::to(&target).into_response()
}

/// The confirmation page.
#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage<'a> {
    order: &'a OrderView,
    status: &'static str,
    headline: &'static str,
    detail: &'static str,
    notice: Option<(&'static str, &'static str)>,
    lines: Vec<(u64, &'a str, String)>,
    total: String,
}

fn words(status: OrderStatus) -> (&'static str, &'static str) {
    match status {
        OrderStatus::Authorized => ("Thank you! Your order is confirmed.", "Klarna authorized the payment."),
        OrderStatus::TokenSaved => ("Klarna is saved for later.", "You can pay with Klarna in one click next time."),
        OrderStatus::AwaitingShopper => {
            ("Waiting for Klarna…", "Finish in Klarna's window; this page shows the result when it arrives.")
        }
        OrderStatus::Declined => ("Klarna declined this payment.", "Please choose another way to pay."),
        OrderStatus::Canceled => ("The Klarna payment was canceled.", "Nothing was charged."),
        OrderStatus::Expired => ("The Klarna payment expired.", "Nothing was charged; please start again."),
        OrderStatus::Created => ("Not paid yet.", "Go back to the checkout to pay."),
        OrderStatus::NeedsReview => (
            "We are checking your payment with Klarna.",
            "Nothing more is needed from you; the shop will confirm the result.",
        ),
    }
}

/// The confirmation page, rendered on the server from the database: it tells the truth.
pub async fn page(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Extension(customer): Extension<Customer>,
) -> Result<Html<String>, ApiError> {
    let order = owned_order(&app, &id, &customer).await?;
    let (headline, detail) = words(order.status);
    let notice = match order.notice.as_deref() {
        Some("TOKEN_NOT_CREATED") => {
            Some(("TOKEN_NOT_CREATED", "Your purchase went through, but Klarna could not be saved for later."))
        }
        Some("PURCHASE_FAILED_TOKEN_CREATED") => {
            Some(("PURCHASE_FAILED_TOKEN_CREATED", "The purchase failed, but Klarna is saved for later."))
        }
        _ => None,
    };
    let lines = order
        .lines
        .iter()
        .map(|l| (l.quantity, l.name.as_str(), crate::money::format(l.total_amount, &order.currency)))
        .collect();
    let total = crate::money::format(order.amount, &order.currency);
    let status = crate::store::DbEnum::as_db(order.status);
    let page = OrderPage { order: &order, status, headline, detail, notice, lines, total };
    page.render().map(Html).map_err(ApiError::internal)
}
