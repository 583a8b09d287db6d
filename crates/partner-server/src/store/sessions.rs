//! Checkout sessions (orders), and the order as the shop and the shopper see it.

use klarna_api::authorize::LineItem;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{amount_column, db_amount, enum_column, now_ms, DbEnum, Store, StoreError};
use crate::checkout::{Flow, Scope, Session};
use crate::order_status::OrderStatus;

/// A stored session with where it stands.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The session.
    pub session: Session,
    /// Where the order stands.
    pub status: OrderStatus,
    /// What the shopper should be told.
    pub notice: Option<String>,
    /// What the last declined attempt asked for.
    pub declined_fingerprint: Option<String>,
}

/// What the order API shows: never a Klarna customer token.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    /// Order id (the checkout session id).
    pub id: String,
    /// Flow.
    pub flow: Flow,
    /// Where it stands.
    pub status: OrderStatus,
    /// What the shopper should be told.
    pub notice: Option<String>,
    /// Total, minor units.
    pub amount: u64,
    /// ISO 4217.
    pub currency: String,
    /// The cart.
    pub lines: Vec<LineItem>,
    /// The authorized transaction.
    pub transaction: Option<TransactionView>,
    /// The backend's own reference to the saved Klarna token.
    pub saved_token: Option<TokenView>,
    /// The latest payment request.
    pub payment_request: Option<RequestView>,
}

/// A transaction, as the order and operator APIs show it.
#[derive(Debug, Clone, Serialize)]
pub struct TransactionView {
    /// Klarna's id.
    pub id: String,
    /// Authorized, minor units.
    pub amount: u64,
    /// Captured so far.
    pub captured: u64,
    /// Refunded so far.
    pub refunded: u64,
}

/// A saved token, as the order API shows it: our opaque reference, never Klarna's token.
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    /// The backend's opaque reference.
    pub reference: String,
    /// Klarna's scopes.
    pub scopes: Vec<String>,
}

/// A payment request, as the order API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    /// Klarna's id.
    pub id: String,
    /// Its last known state.
    pub state: String,
}

impl OrderView {
    /// A new order, as it is stored: nothing has happened to it yet.
    pub fn new_order(session: &Session) -> Self {
        Self {
            id: session.id.clone(),
            flow: session.flow,
            status: OrderStatus::Created,
            notice: None,
            amount: session.amount,
            currency: session.currency.clone(),
            lines: session.lines.clone(),
            transaction: None,
            saved_token: None,
            payment_request: None,
        }
    }
}

pub(crate) const SESSION_COLUMNS: &str =
    "id, customer_id, flow, token_scope, scenario, force_step_up, lines_json, amount, currency, \
     interoperability_token, status, notice, declined_fingerprint";

pub(crate) fn session_from_row(row: &AnyRow) -> Result<SessionRow, StoreError> {
    let lines: String = row.try_get("lines_json")?;
    let force: i64 = row.try_get("force_step_up")?;
    Ok(SessionRow {
        session: Session {
            id: row.try_get("id")?,
            flow: enum_column::<Flow>(row, "flow")?,
            scope: enum_column::<Scope>(row, "token_scope")?,
            scenario: row.try_get("scenario")?,
            force_step_up: force != 0,
            lines: serde_json::from_str(&lines).map_err(|e| StoreError::Corrupt(format!("lines_json: {e}")))?,
            amount: amount_column(row, "amount")?,
            currency: row.try_get("currency")?,
            customer_id: row.try_get("customer_id")?,
            interoperability_token: row.try_get("interoperability_token")?,
        },
        status: enum_column(row, "status")?,
        notice: row.try_get("notice")?,
        declined_fingerprint: row.try_get("declined_fingerprint")?,
    })
}

/// Locks a session for the rest of the transaction (every write that touches an order locks
/// its session first, so writers never wait on each other in a circle) and reads it.
pub(crate) async fn lock_session(connection: &mut AnyConnection, id: &str) -> Result<Option<SessionRow>, StoreError> {
    let sql = format!("UPDATE checkout_sessions SET version = version + 1 WHERE id = $1 RETURNING {SESSION_COLUMNS}");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *connection).await?;
    row.as_ref().map(session_from_row).transpose()
}

/// Sets an order's status (and notice) unless it already got what it came for.
pub(crate) async fn set_status(
    connection: &mut AnyConnection,
    id: &str,
    status: OrderStatus,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE checkout_sessions SET status = $2, updated_at = $3
         WHERE id = $1 AND status NOT IN ('AUTHORIZED', 'TOKEN_SAVED')",
    )
    .bind(id)
    .bind(status.as_db())
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

impl Store {
    /// Stores a new checkout session.
    pub async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let session = session.clone();
        let lines = serde_json::to_string(&session.lines).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let amount = db_amount(session.amount)?;
        self.write_one(move |c| {
            Box::pin(async move {
                let now = now_ms();
                sqlx::query(
                    "INSERT INTO checkout_sessions (id, customer_id, flow, token_scope, scenario, force_step_up, lines_json,
                        amount, currency, interoperability_token, status, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'CREATED', $11, $11)",
                )
                .bind(&session.id)
                .bind(&session.customer_id)
                .bind(session.flow.as_db())
                .bind(session.scope.as_db())
                .bind(&session.scenario)
                .bind(i64::from(session.force_step_up))
                .bind(&lines)
                .bind(amount)
                .bind(&session.currency)
                .bind(&session.interoperability_token)
                .bind(now)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// A stored session.
    pub async fn session(&self, id: &str) -> Result<Option<SessionRow>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// A stored session, and whether it has journeys still open at Klarna (payment requests
    /// SUBMITTED or IN_PROGRESS): what a click reads first.
    pub async fn session_for_click(&self, id: &str) -> Result<Option<(SessionRow, bool)>, StoreError> {
        let sql = format!(
            concat!(
                "SELECT {}, (SELECT COUNT(*) FROM payment_requests r WHERE ",
                open_journey!(),
                ") AS open_journeys FROM checkout_sessions WHERE id = $1"
            ),
            SESSION_COLUMNS
        );
        let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await? else { return Ok(None) };
        let open: i64 = row.try_get("open_journeys")?;
        Ok(Some((session_from_row(&row)?, open > 0)))
    }

    /// The order as the shop and its shopper see it; `None` when there is no such order.
    pub async fn order(&self, id: &str) -> Result<Option<OrderView>, StoreError> {
        let Some(row) = self.session(id).await? else { return Ok(None) };
        let pool = self.reader();
        let transaction = sqlx::query("SELECT id, amount, captured, refunded FROM transactions WHERE session_id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(transaction_view)
            .transpose()?;
        let saved_token = sqlx::query(
            "SELECT reference, scopes FROM customer_tokens WHERE session_id = $1 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(|r| -> Result<TokenView, StoreError> {
            let scopes: String = r.try_get("scopes")?;
            Ok(TokenView {
                reference: r.try_get("reference")?,
                scopes: serde_json::from_str(&scopes).unwrap_or_default(),
            })
        })
        .transpose()?;
        let payment_request = sqlx::query(
            "SELECT id, state FROM payment_requests WHERE session_id = $1 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(|r| -> Result<RequestView, StoreError> {
            Ok(RequestView { id: r.try_get("id")?, state: r.try_get("state")? })
        })
        .transpose()?;
        Ok(Some(OrderView {
            id: row.session.id,
            flow: row.session.flow,
            status: row.status,
            notice: row.notice,
            amount: row.session.amount,
            currency: row.session.currency,
            lines: row.session.lines,
            transaction,
            saved_token,
            payment_request,
        }))
    }
}

pub(crate) fn transaction_view(row: &AnyRow) -> Result<TransactionView, StoreError> {
    Ok(TransactionView {
        id: row.try_get("id")?,
        amount: amount_column(row, "amount")?,
        captured: amount_column(row, "captured")?,
        refunded: amount_column(row, "refunded")?,
    })
}
