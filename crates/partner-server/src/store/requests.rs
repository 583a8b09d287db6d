//! Payment requests: their state as last read from Klarna, what it makes of the order, the
//! claim on the final authorization, and when the sweeper reads them again.

use klarna_api::{AuthorizeResponse, CustomerToken, PaymentRequestState};
use sqlx::{AnyConnection, Row};

use super::sessions::lock_session;
use super::{enum_column, now_ms, optional_enum, DbEnum, Store, StoreError};
use crate::attempts::Timing;
use crate::order_status::{after_request, may_move, may_record, OrderStatus};

/// Where the final authorization of a completed journey stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finalization {
    /// An instance is running it.
    Running,
    /// Klarna answered it.
    Done,
    /// Klarna refused it for good.
    Refused,
}

crate::db_enum!(Finalization { Running = "RUNNING", Done = "DONE", Refused = "REFUSED" });

/// A payment request this backend created.
#[derive(Debug, Clone)]
pub struct TrackedRequest {
    /// Its order.
    pub session_id: String,
    /// Whether a final authorization follows its completion.
    pub pending_payment: bool,
    /// Its last known state.
    pub state: PaymentRequestState,
    /// Whether Klarna no longer knows it.
    pub gone: bool,
    /// Its final authorization.
    pub finalization: Option<Finalization>,
}

async fn session_of(connection: &mut AnyConnection, id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query("SELECT session_id FROM payment_requests WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get("session_id"))
        .transpose()?)
}

async fn is_latest(connection: &mut AnyConnection, session_id: &str, id: &str) -> Result<bool, StoreError> {
    let latest: Option<String> =
        sqlx::query("SELECT id FROM payment_requests WHERE session_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1")
            .bind(session_id)
            .fetch_optional(&mut *connection)
            .await?
            .map(|row| row.try_get("id"))
            .transpose()?;
    Ok(latest.as_deref() == Some(id))
}

async fn has_transaction(connection: &mut AnyConnection, session_id: &str) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM transactions WHERE session_id = $1")
        .bind(session_id)
        .fetch_one(&mut *connection)
        .await?
        .try_get(0)?;
    Ok(n > 0)
}

/// Whether the sweeper still needs to read a request in `state` from Klarna.
fn still_polled(state: PaymentRequestState, pending_payment: bool, finalization: Option<Finalization>) -> bool {
    match state {
        PaymentRequestState::Submitted | PaymentRequestState::InProgress => true,
        PaymentRequestState::Completed => {
            pending_payment && !matches!(finalization, Some(Finalization::Done | Finalization::Refused))
        }
        _ => false,
    }
}

impl Store {
    /// A payment request this backend created.
    pub async fn tracked_request(&self, id: &str) -> Result<Option<TrackedRequest>, StoreError> {
        sqlx::query("SELECT session_id, pending_payment, state, gone, finalization FROM payment_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .map(|row| -> Result<TrackedRequest, StoreError> {
                let pending: i64 = row.try_get("pending_payment")?;
                let gone: i64 = row.try_get("gone")?;
                Ok(TrackedRequest {
                    session_id: row.try_get("session_id")?,
                    pending_payment: pending != 0,
                    state: enum_column(&row, "state")?,
                    gone: gone != 0,
                    finalization: optional_enum(&row, "finalization")?,
                })
            })
            .transpose()
    }

    /// The order's latest payment request.
    pub async fn latest_request(&self, session_id: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query(
            "SELECT id FROM payment_requests WHERE session_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(session_id)
        .fetch_optional(self.reader())
        .await?
        .map(|row| row.try_get("id"))
        .transpose()?)
    }

    /// The order's payment requests that are still open at Klarna (SUBMITTED or IN_PROGRESS).
    pub async fn open_requests(&self, session_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(concat!("SELECT r.id FROM payment_requests r WHERE ", open_journey!()))
            .bind(session_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    /// Records a payment request's state as read from Klarna, keeps the customer token its
    /// journey created, and moves the order on, in one transaction. Returns the order's new
    /// status when it moved. Only the order's latest request moves the order, and an order
    /// that got what it came for keeps it. `poll_every_ms` schedules the next read.
    pub async fn record_request_state(
        &self,
        id: &str,
        state: PaymentRequestState,
        token: Option<CustomerToken>,
        poll_every_ms: i64,
    ) -> Result<Option<OrderStatus>, StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let Some(session_id) = session_of(c, &id).await? else { return Ok(None) };
                let Some(order) = lock_session(c, &session_id).await? else { return Ok(None) };
                let row =
                    sqlx::query("SELECT state, pending_payment, finalization FROM payment_requests WHERE id = $1")
                        .bind(&id)
                        .fetch_one(&mut *c)
                        .await?;
                let current: PaymentRequestState = enum_column(&row, "state")?;
                let pending: i64 = row.try_get("pending_payment")?;
                let finalization: Option<Finalization> = optional_enum(&row, "finalization")?;
                if let Some(token) = &token {
                    super::tokens::insert(
                        c,
                        &session_id,
                        &order.session.customer_id,
                        token,
                        order.session.scope.klarna(),
                    )
                    .await?;
                }
                let now = now_ms();
                let recorded = if may_record(current, state) { state } else { current };
                let next_poll =
                    still_polled(recorded, pending != 0, finalization).then(|| now.saturating_add(poll_every_ms));
                sqlx::query("UPDATE payment_requests SET state = $2, next_poll_at = $3, updated_at = $4 WHERE id = $1")
                    .bind(&id)
                    .bind(recorded.as_db())
                    .bind(next_poll)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
                if recorded != state || current == state {
                    return Ok(None);
                }
                if !is_latest(c, &session_id, &id).await? {
                    return Ok(None);
                }
                if has_transaction(c, &session_id).await? {
                    if order.status == OrderStatus::Authorized {
                        return Ok(None);
                    }
                    super::sessions::set_status(c, &session_id, OrderStatus::Authorized).await?;
                    return Ok(Some(OrderStatus::Authorized));
                }
                let Some(next) = after_request(state, pending != 0, order.session.flow.has_purchase()) else {
                    return Ok(None);
                };
                if !may_move(order.status, next) {
                    return Ok(None);
                }
                super::sessions::set_status(c, &session_id, next).await?;
                Ok(Some(next))
            })
        })
        .await
    }

    /// Records that Klarna no longer knows a payment request (it answered 404): it is gone,
    /// nothing waits on it any more, and an order that waited on it may be paid again.
    pub async fn request_gone(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let Some(session_id) = session_of(c, &id).await? else { return Ok(()) };
                let Some(order) = lock_session(c, &session_id).await? else { return Ok(()) };
                sqlx::query(
                    "UPDATE payment_requests SET gone = 1, next_poll_at = NULL, owner = NULL,
                        finalization = CASE WHEN finalization = 'RUNNING' THEN NULL ELSE finalization END,
                        updated_at = $2 WHERE id = $1",
                )
                .bind(&id)
                .bind(now_ms())
                .execute(&mut *c)
                .await?;
                if is_latest(c, &session_id, &id).await?
                    && !has_transaction(c, &session_id).await?
                    && may_move(order.status, OrderStatus::Expired)
                {
                    super::sessions::set_status(c, &session_id, OrderStatus::Expired).await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Claims the final authorization of a completed request for `instance`: true for
    /// exactly one caller across instances. A claim whose instance stopped beating, or older
    /// than one send may take, is taken over. Never while the order has a transaction or an
    /// open attempt.
    pub async fn claim_finalization(&self, id: &str, instance: &str, timing: Timing) -> Result<bool, StoreError> {
        let (id, instance) = (id.to_owned(), instance.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                let Some(session_id) = session_of(c, &id).await? else { return Ok(false) };
                lock_session(c, &session_id).await?;
                let now = now_ms();
                let claimed = sqlx::query(
                    "UPDATE payment_requests SET finalization = 'RUNNING', owner = $2, claimed_at = $3, updated_at = $3
                     WHERE id = $1 AND pending_payment = 1 AND gone = 0 AND state = 'COMPLETED'
                       AND (finalization IS NULL OR (finalization = 'RUNNING' AND (claimed_at < $4
                            OR NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = payment_requests.owner AND i.heartbeat_at > $5))))
                       AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.session_id = payment_requests.session_id)
                       AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.session_id = payment_requests.session_id
                                       AND a.status IN ('SENDING', 'UNKNOWN'))",
                )
                .bind(&id)
                .bind(&instance)
                .bind(now)
                .bind(now.saturating_sub(timing.max_send_ms))
                .bind(now.saturating_sub(timing.lease_ms))
                .execute(&mut *c)
                .await?
                .rows_affected();
                Ok(claimed == 1)
            })
        })
        .await
    }

    /// Lets another caller retry a final authorization that failed without an answer.
    pub async fn release_finalization(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write_one(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE payment_requests SET finalization = NULL, owner = NULL, updated_at = $2
                     WHERE id = $1 AND finalization = 'RUNNING'",
                )
                .bind(&id)
                .bind(now_ms())
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Records that Klarna refused the final authorization for good: the order is declined.
    pub async fn record_final_refusal(&self, id: &str) -> Result<OrderStatus, StoreError> {
        self.finish_finalization(id, None).await
    }

    /// Records the final authorization's result (its transaction, when approved).
    pub async fn record_final_authorization(
        &self,
        id: &str,
        reply: AuthorizeResponse,
    ) -> Result<OrderStatus, StoreError> {
        self.finish_finalization(id, Some(reply)).await
    }

    async fn finish_finalization(&self, id: &str, reply: Option<AuthorizeResponse>) -> Result<OrderStatus, StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let Some(session_id) = session_of(c, &id).await? else {
                    return Err(StoreError::Corrupt("a payment request vanished".into()));
                };
                let Some(order) = lock_session(c, &session_id).await? else {
                    return Err(StoreError::Corrupt("an order vanished".into()));
                };
                let transaction = reply
                    .as_ref()
                    .and_then(|r| r.payment_transaction_response.as_ref())
                    .and_then(|p| p.payment_transaction.as_ref());
                let (finalization, status) = match (&reply, transaction) {
                    (Some(_), Some(transaction)) => {
                        super::transactions::insert(
                            c,
                            &session_id,
                            &transaction.payment_transaction_id,
                            transaction.amount.unwrap_or(order.session.amount),
                            &order.session.currency,
                        )
                        .await?;
                        (Finalization::Done, OrderStatus::Authorized)
                    }
                    (Some(_), None) => (Finalization::Done, OrderStatus::Declined),
                    (None, _) => (Finalization::Refused, OrderStatus::Declined),
                };
                sqlx::query(
                    "UPDATE payment_requests SET finalization = $2, owner = NULL, next_poll_at = NULL, updated_at = $3
                     WHERE id = $1",
                )
                .bind(&id)
                .bind(finalization.as_db())
                .bind(now_ms())
                .execute(&mut *c)
                .await?;
                let status = if has_transaction(c, &session_id).await? { OrderStatus::Authorized } else { status };
                sqlx::query("UPDATE checkout_sessions SET status = $2, updated_at = $3 WHERE id = $1")
                    .bind(&session_id)
                    .bind(status.as_db())
                    .bind(now_ms())
                    .execute(&mut *c)
                    .await?;
                Ok(status)
            })
        })
        .await
    }

    /// Claims up to `limit` payment requests the sweeper should read from Klarna now, moving
    /// each one's next read `poll_every_ms` ahead: two instances never read the same one at
    /// once.
    pub async fn claim_requests_to_poll(&self, limit: i64, poll_every_ms: i64) -> Result<Vec<String>, StoreError> {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT id, next_poll_at FROM payment_requests WHERE next_poll_at IS NOT NULL AND next_poll_at <= $1
             ORDER BY next_poll_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let mut claimed = Vec::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let due: i64 = row.try_get("next_poll_at")?;
            let taken = self
                .write_one({
                    let id = id.clone();
                    move |c| {
                        Box::pin(async move {
                            Ok(sqlx::query(
                                "UPDATE payment_requests SET next_poll_at = $3 WHERE id = $1 AND next_poll_at = $2",
                            )
                            .bind(&id)
                            .bind(due)
                            .bind(now.saturating_add(poll_every_ms))
                            .execute(&mut *c)
                            .await?
                            .rows_affected())
                        })
                    }
                })
                .await?;
            if taken == 1 {
                claimed.push(id);
            }
        }
        Ok(claimed)
    }
}
