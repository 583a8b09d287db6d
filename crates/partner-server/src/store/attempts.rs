//! Attempts (one Authorize call under one Klarna key) and clicks (a browser's
//! `Idempotency-Key`): what a click may do, decided and recorded in one transaction with the
//! order locked, and what Klarna's answer made of the order.

use klarna_api::{AuthorizeResponse, Notice, Outcome, OutcomeKind, PaymentRequestState};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::sessions::{lock_session, set_status};
use super::{amount_column, db_amount, enum_column, now_ms, DbEnum, Store, StoreError};
use crate::attempts::{
    act_on_open, decide_click, Actor, AttemptStatus, ClickDecision, OpenAction, OpenAttempt, OrderFacts, Timing,
};
use crate::order_status::OrderStatus;

/// A click, as the authorize route hands it over.
#[derive(Debug, Clone)]
pub struct Click {
    /// The order.
    pub session_id: String,
    /// The browser's `Idempotency-Key`.
    pub browser_key: String,
    /// What the click would ask Klarna for (see [`crate::checkout::attempt_fingerprint`]).
    pub fingerprint: String,
    /// The Authorize call a new attempt sends (a [`crate::klarna::StoredCall`] as JSON).
    pub request_json: String,
}

/// An attempt this instance now sends.
#[derive(Debug, Clone)]
pub struct Sending {
    /// Its id, which is its `Klarna-Idempotency-Key`.
    pub attempt_id: String,
    /// The order.
    pub session_id: String,
    /// The call, exactly as first sent.
    pub request_json: String,
    /// What the call asks for.
    pub fingerprint: String,
    /// Whether it repeats an earlier send of the same key.
    pub repeat: bool,
    /// For a new attempt: whether the order had journeys open at Klarna when it was decided,
    /// which are canceled before it is sent. A repeat never cancels anything (`false`).
    pub open_journeys: bool,
}

/// What a click may do.
#[derive(Debug)]
pub enum Begin {
    /// Send this attempt.
    Send(Sending),
    /// The same click again: the answer it got.
    Replay {
        /// HTTP status.
        status: u16,
        /// The JSON body.
        body: String,
    },
    /// The same `Idempotency-Key` came with a different request.
    KeyReused,
    /// Another instance is sending the order's attempt: wait for its answer.
    Wait {
        /// The attempt to wait for.
        attempt_id: String,
    },
    /// The order already got what it came for.
    Finished(OrderStatus),
    /// An operator must look at the order first.
    UnderReview,
    /// A completed journey's final authorization runs first.
    FinalAuthorizationDue,
    /// The same payment was declined before; the refusal is recorded for this click.
    DeclinedBefore,
    /// No such order.
    NoOrder,
}

/// An attempt's answer, for a click that waited on it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Where it stands.
    pub status: AttemptStatus,
    /// The reply the browser gets, once Klarna's outcome is recorded.
    pub reply_json: Option<String>,
}

/// An attempt waiting for an operator.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    /// The order.
    pub order_id: String,
    /// The attempt's `Klarna-Idempotency-Key`.
    pub klarna_idempotency_key: String,
    /// When it was first sent (ms since the epoch).
    pub first_sent_at: i64,
    /// How often it was sent.
    pub tries: i64,
    /// The last thing that went wrong.
    pub last_error: Option<String>,
    /// The amount it asked for.
    pub amount: u64,
    /// Its currency.
    pub currency: String,
}

/// How the refusal of a replayed decline reads.
pub const DECLINE_NOT_REPLAYED: &str =
    "Klarna declined this payment; it is not retried unchanged. Choose another payment method or change the order.";

async fn open_attempt(
    connection: &mut AnyConnection,
    session_id: &str,
    now: i64,
    timing: &Timing,
) -> Result<Option<(String, OpenAttempt)>, StoreError> {
    let row = sqlx::query(
        "SELECT a.id, a.status, a.claimed_at, a.first_sent_at, a.next_try_at,
                (SELECT COUNT(*) FROM instances i WHERE i.id = a.owner AND i.heartbeat_at > $2) AS alive
         FROM attempts a WHERE a.session_id = $1 AND a.status IN ('SENDING', 'UNKNOWN')",
    )
    .bind(session_id)
    .bind(now.saturating_sub(timing.lease_ms))
    .fetch_optional(&mut *connection)
    .await?;
    row.map(|row| -> Result<(String, OpenAttempt), StoreError> {
        let alive: i64 = row.try_get("alive")?;
        Ok((
            row.try_get("id")?,
            OpenAttempt {
                status: enum_column(&row, "status")?,
                owner_alive: alive > 0,
                claimed_at: row.try_get("claimed_at")?,
                first_sent_at: row.try_get("first_sent_at")?,
                next_try_at: row.try_get("next_try_at")?,
            },
        ))
    })
    .transpose()
}

async fn claim_for_sending(
    connection: &mut AnyConnection,
    attempt_id: &str,
    instance: &str,
    now: i64,
) -> Result<Sending, StoreError> {
    let row = sqlx::query(
        "UPDATE attempts SET status = 'SENDING', owner = $2, claimed_at = $3, tries = tries + 1, updated_at = $3
         WHERE id = $1 RETURNING id, session_id, request_json, fingerprint",
    )
    .bind(attempt_id)
    .bind(instance)
    .bind(now)
    .fetch_one(&mut *connection)
    .await?;
    Ok(Sending {
        attempt_id: row.try_get("id")?,
        session_id: row.try_get("session_id")?,
        request_json: row.try_get("request_json")?,
        fingerprint: row.try_get("fingerprint")?,
        repeat: true,
        open_journeys: false,
    })
}

async fn put_in_review(connection: &mut AnyConnection, attempt_id: &str, session_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE attempts SET status = 'REVIEW', owner = NULL, updated_at = $2 WHERE id = $1")
        .bind(attempt_id)
        .bind(now_ms())
        .execute(&mut *connection)
        .await?;
    set_status(connection, session_id, OrderStatus::NeedsReview).await?;
    tracing::error!(
        order = session_id,
        attempt = attempt_id,
        "an attempt of unknown outcome is past Klarna's idempotency window; an operator must reconcile it"
    );
    Ok(())
}

async fn attach_click(
    connection: &mut AnyConnection,
    click: &Click,
    attempt_id: Option<&str>,
    refusal: Option<(u16, &str)>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO clicks (session_id, browser_key, fingerprint, attempt_id, refusal_status, refusal_json, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (session_id, browser_key) DO UPDATE SET attempt_id = $4, refusal_status = $5, refusal_json = $6",
    )
    .bind(&click.session_id)
    .bind(&click.browser_key)
    .bind(&click.fingerprint)
    .bind(attempt_id)
    .bind(refusal.map(|(status, _)| i64::from(status)))
    .bind(refusal.map(|(_, body)| body))
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

fn status_code(value: i64) -> u16 {
    u16::try_from(value).unwrap_or(500)
}

/// Everything a click's decision needs, read once the order is locked. (Not in the locking
/// statement itself: PostgreSQL would evaluate its subqueries on the snapshot from before the
/// lock was granted, and miss what the previous holder wrote.)
const CLICK_FACTS: &str = concat!(
    "SELECT
      (SELECT COUNT(*) FROM transactions t WHERE t.session_id = $1) AS transactions,
      (SELECT COUNT(*) FROM payment_requests r WHERE r.session_id = $1 AND r.state = 'COMPLETED' AND r.gone = 0
          AND r.pending_payment = 1 AND (r.finalization IS NULL OR r.finalization = 'RUNNING')) AS finalization_due,
      (SELECT COUNT(*) FROM attempts a WHERE a.session_id = $1) AS attempts_made,
      (SELECT COUNT(*) FROM attempts a WHERE a.session_id = $1 AND a.status IN ('SENDING', 'UNKNOWN')) AS open_attempts,
      (SELECT COUNT(*) FROM payment_requests r WHERE ",
    open_journey!(),
    ") AS open_journeys,
      (SELECT c.fingerprint FROM clicks c WHERE c.session_id = $1 AND c.browser_key = $2) AS click_fingerprint,
      (SELECT c.refusal_status FROM clicks c WHERE c.session_id = $1 AND c.browser_key = $2) AS click_refusal_status,
      (SELECT c.refusal_json FROM clicks c WHERE c.session_id = $1 AND c.browser_key = $2) AS click_refusal_json,
      (SELECT a.status FROM clicks c JOIN attempts a ON a.id = c.attempt_id
          WHERE c.session_id = $1 AND c.browser_key = $2) AS click_attempt_status,
      (SELECT a.reply_json FROM clicks c JOIN attempts a ON a.id = c.attempt_id
          WHERE c.session_id = $1 AND c.browser_key = $2) AS click_reply"
);

/// The answer an earlier click with the same key got, when it has a final one.
fn earlier_answer(row: &AnyRow, click: &Click) -> Result<Option<Begin>, StoreError> {
    let fingerprint: Option<String> = row.try_get("click_fingerprint")?;
    let Some(fingerprint) = fingerprint else { return Ok(None) };
    if fingerprint != click.fingerprint {
        return Ok(Some(Begin::KeyReused));
    }
    let refusal: Option<i64> = row.try_get("click_refusal_status")?;
    let refusal_json: Option<String> = row.try_get("click_refusal_json")?;
    if let (Some(status), Some(body)) = (refusal, refusal_json) {
        return Ok(Some(Begin::Replay { status: status_code(status), body }));
    }
    let status: Option<AttemptStatus> = super::optional_enum(row, "click_attempt_status")?;
    let reply: Option<String> = row.try_get("click_reply")?;
    Ok(match (status, reply) {
        (Some(AttemptStatus::StepUp | AttemptStatus::Success | AttemptStatus::Decline), Some(body)) => {
            Some(Begin::Replay { status: 200, body })
        }
        _ => None,
    })
}

async fn begin(
    connection: &mut AnyConnection,
    click: Click,
    instance: String,
    timing: Timing,
) -> Result<Begin, StoreError> {
    let session_id = click.session_id.as_str();
    let Some(order) = lock_session(connection, session_id).await? else { return Ok(Begin::NoOrder) };
    let row = sqlx::query(CLICK_FACTS).bind(session_id).bind(&click.browser_key).fetch_one(&mut *connection).await?;
    if let Some(answer) = earlier_answer(&row, &click)? {
        return Ok(answer);
    }
    let now = now_ms();
    let open_attempts: i64 = row.try_get("open_attempts")?;
    let open = if open_attempts > 0 { open_attempt(connection, session_id, now, &timing).await? } else { None };
    let transactions: i64 = row.try_get("transactions")?;
    let finalization_due: i64 = row.try_get("finalization_due")?;
    let facts = OrderFacts {
        status: order.status,
        has_transaction: transactions > 0,
        final_authorization_due: finalization_due > 0,
        declined_fingerprint: order.declined_fingerprint.clone(),
        open: open.as_ref().map(|(_, attempt)| *attempt),
    };
    let open_id = open.map(|(id, _)| id);
    Ok(match (decide_click(&facts, &click.fingerprint, now, &timing), open_id) {
        (ClickDecision::Finished(status), _) => Begin::Finished(status),
        (ClickDecision::UnderReview, _) => Begin::UnderReview,
        (ClickDecision::FinalAuthorizationDue, _) => Begin::FinalAuthorizationDue,
        (ClickDecision::DeclinedBefore, _) => {
            let body = crate::error::ApiError::conflict("DECLINE_NOT_REPLAYED", DECLINE_NOT_REPLAYED).body_json();
            attach_click(connection, &click, None, Some((409, &body))).await?;
            Begin::DeclinedBefore
        }
        (ClickDecision::Wait, Some(id)) => {
            attach_click(connection, &click, Some(&id), None).await?;
            Begin::Wait { attempt_id: id }
        }
        (ClickDecision::Repeat, Some(id)) => {
            let sending = claim_for_sending(connection, &id, &instance, now).await?;
            attach_click(connection, &click, Some(&id), None).await?;
            Begin::Send(sending)
        }
        (ClickDecision::Review, Some(id)) => {
            put_in_review(connection, &id, session_id).await?;
            Begin::UnderReview
        }
        (ClickDecision::New, _) | (ClickDecision::Wait | ClickDecision::Repeat | ClickDecision::Review, None) => {
            let made: i64 = row.try_get("attempts_made")?;
            // A stable id per order and attempt number (spec A2b: a UUID v5 of a stable id).
            let key = uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_URL,
                format!("authorize:{session_id}:{}", made.saturating_add(1)).as_bytes(),
            )
            .to_string();
            sqlx::query(
                "INSERT INTO attempts (id, session_id, fingerprint, request_json, status, owner, claimed_at, tries,
                    first_sent_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'SENDING', $5, $6, 1, $6, $6, $6)",
            )
            .bind(&key)
            .bind(session_id)
            .bind(&click.fingerprint)
            .bind(&click.request_json)
            .bind(&instance)
            .bind(now)
            .execute(&mut *connection)
            .await?;
            attach_click(connection, &click, Some(&key), None).await?;
            Begin::Send(Sending {
                attempt_id: key,
                session_id: click.session_id.clone(),
                request_json: click.request_json.clone(),
                fingerprint: click.fingerprint.clone(),
                repeat: false,
                open_journeys: row.try_get::<i64, _>("open_journeys")? > 0,
            })
        }
    })
}

/// What an outcome makes of the order.
fn order_status_of(outcome: Outcome, purchase: bool) -> OrderStatus {
    match outcome.kind {
        OutcomeKind::StepUp => OrderStatus::AwaitingShopper,
        OutcomeKind::Success if purchase => OrderStatus::Authorized,
        OutcomeKind::Success => OrderStatus::TokenSaved,
        OutcomeKind::Decline => OrderStatus::Declined,
    }
}

/// Everything Klarna's outcome of an attempt creates.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The attempt.
    pub attempt_id: String,
    /// Klarna's reply (with its secrets; they stay in the database).
    pub reply: AuthorizeResponse,
    /// The outcome (spec A1).
    pub outcome: Outcome,
    /// The reply the browser gets.
    pub public_json: String,
    /// When the sweeper first reads a new payment request from Klarna.
    pub first_poll_at: i64,
}

async fn record(connection: &mut AnyConnection, recorded: Recorded) -> Result<(), StoreError> {
    // The order is locked first (as everywhere), found through its attempt.
    let sql = format!(
        "UPDATE checkout_sessions SET version = version + 1 WHERE id = (SELECT session_id FROM attempts WHERE id = $1)
         RETURNING {}, (SELECT fingerprint FROM attempts WHERE id = $1) AS attempt_fingerprint",
        super::sessions::SESSION_COLUMNS
    );
    let Some(locked) = sqlx::query(&sql).bind(&recorded.attempt_id).fetch_optional(&mut *connection).await? else {
        return Err(StoreError::Corrupt("an attempt or its order vanished".into()));
    };
    let row = super::sessions::session_from_row(&locked)?;
    let fingerprint: String = locked.try_get("attempt_fingerprint")?;
    let session = &row.session;
    let reply = &recorded.reply;
    let now = now_ms();
    let updated = sqlx::query(
        "UPDATE attempts SET status = $2, owner = NULL, http_status = 200, payment_result = $3, token_result = $4,
            reply_json = $5, last_error = NULL, updated_at = $6
         WHERE id = $1 AND status IN ('SENDING', 'UNKNOWN')",
    )
    .bind(&recorded.attempt_id)
    .bind(AttemptStatus::of_outcome(recorded.outcome).as_db())
    .bind(reply.payment_result().map(|r| r.as_str()))
    .bind(reply.token_result().map(|r| r.as_str()))
    .bind(&recorded.public_json)
    .bind(now)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if updated == 0 {
        // Recorded already (another instance took the attempt over and got the same answer).
        return Ok(());
    }
    let transaction = reply.payment_transaction_response.as_ref().and_then(|p| p.payment_transaction.as_ref());
    if let Some(transaction) = transaction {
        let amount = transaction.amount.unwrap_or(session.amount);
        super::transactions::insert(
            connection,
            &session.id,
            &transaction.payment_transaction_id,
            amount,
            &session.currency,
        )
        .await?;
    }
    if let Some(token) = reply.customer_token_response.as_ref().and_then(|t| t.customer_token.as_ref()) {
        super::tokens::insert(connection, &session.id, &session.customer_id, token, session.scope.klarna()).await?;
    }
    if let Some(id) = reply.payment_request.as_ref().and_then(|r| r.id()) {
        let state = reply.payment_request.as_ref().and_then(|r| r.state).unwrap_or(PaymentRequestState::Submitted);
        let pending_payment = reply.payment_result() == Some(klarna_api::AuthorizationResult::StepUpRequired);
        sqlx::query(
            "INSERT INTO payment_requests (id, session_id, attempt_id, state, pending_payment, next_poll_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(&session.id)
        .bind(&recorded.attempt_id)
        .bind(state.as_db())
        .bind(i64::from(pending_payment))
        .bind(recorded.first_poll_at)
        .bind(now)
        .execute(&mut *connection)
        .await?;
    }
    // An authorized payment makes the order authorized, whatever its token part still needs.
    let status = match transaction {
        Some(_) => OrderStatus::Authorized,
        None => order_status_of(recorded.outcome, session.flow.has_purchase()),
    };
    let declined = (recorded.outcome.kind == OutcomeKind::Decline).then_some(fingerprint);
    sqlx::query(
        "UPDATE checkout_sessions SET status = $2, notice = $3, declined_fingerprint = COALESCE($4, declined_fingerprint),
            updated_at = $5
         WHERE id = $1 AND status <> 'AUTHORIZED'",
    )
    .bind(&session.id)
    .bind(status.as_db())
    .bind(recorded.outcome.notice.map(Notice::as_str))
    .bind(declined)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

impl Store {
    /// Decides, with the order locked, what a click may do, and records it: a new attempt or
    /// a repeat claimed for `instance`, a wait on another instance's send, or a refusal.
    pub async fn begin_click(&self, click: Click, instance: &str, timing: Timing) -> Result<Begin, StoreError> {
        let instance = instance.to_owned();
        self.write(move |c| Box::pin(begin(c, click, instance, timing))).await
    }

    /// Records Klarna's outcome of an attempt and all it created, in one transaction.
    pub async fn record_outcome(&self, recorded: Recorded) -> Result<(), StoreError> {
        self.write(move |c| Box::pin(record(c, recorded))).await
    }

    /// Records that Klarna certainly did not act on an attempt.
    pub async fn record_failure(
        &self,
        attempt_id: &str,
        http_status: Option<u16>,
        error: &str,
    ) -> Result<(), StoreError> {
        let (id, error) = (attempt_id.to_owned(), error.to_owned());
        self.write_one(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE attempts SET status = 'FAILED', owner = NULL, http_status = $2, last_error = $3, updated_at = $4
                     WHERE id = $1 AND status IN ('SENDING', 'UNKNOWN')",
                )
                .bind(&id)
                .bind(http_status.map(i64::from))
                .bind(&error)
                .bind(now_ms())
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Records that an attempt's outcome is unknown: it keeps the order's key and is repeated.
    /// `klarna_reply` keeps a reply that could not be read, for reconciliation.
    pub async fn record_unknown(
        &self,
        attempt_id: &str,
        error: &str,
        klarna_reply: Option<String>,
        retry_after_ms: Option<i64>,
        timing: Timing,
    ) -> Result<(), StoreError> {
        let (id, error) = (attempt_id.to_owned(), error.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                let now = now_ms();
                let tries: i64 = sqlx::query("SELECT tries FROM attempts WHERE id = $1")
                    .bind(&id)
                    .fetch_optional(&mut *c)
                    .await?
                    .map(|row| row.try_get("tries"))
                    .transpose()?
                    .unwrap_or(1);
                sqlx::query(
                    "UPDATE attempts SET status = 'UNKNOWN', owner = NULL, last_error = $2,
                        klarna_reply = COALESCE($3, klarna_reply), next_try_at = $4, updated_at = $5
                     WHERE id = $1 AND status IN ('SENDING', 'UNKNOWN')",
                )
                .bind(&id)
                .bind(&error)
                .bind(klarna_reply)
                .bind(timing.next_try(now, tries, retry_after_ms))
                .bind(now)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Where an attempt stands, for a click waiting on it.
    pub async fn attempt_answer(&self, attempt_id: &str) -> Result<Option<Answer>, StoreError> {
        sqlx::query("SELECT status, reply_json FROM attempts WHERE id = $1")
            .bind(attempt_id)
            .fetch_optional(self.reader())
            .await?
            .map(|row| -> Result<Answer, StoreError> {
                Ok(Answer { status: enum_column(&row, "status")?, reply_json: row.try_get("reply_json")? })
            })
            .transpose()
    }

    /// Open attempts the sweeper should look at now (its pace, dead senders, the window).
    pub async fn attempts_to_resolve(&self, timing: Timing, limit: i64) -> Result<Vec<String>, StoreError> {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT a.id, a.status, a.claimed_at, a.first_sent_at, a.next_try_at,
                (SELECT COUNT(*) FROM instances i WHERE i.id = a.owner AND i.heartbeat_at > $1) AS alive
             FROM attempts a WHERE a.status IN ('SENDING', 'UNKNOWN') ORDER BY a.next_try_at LIMIT $2",
        )
        .bind(now.saturating_sub(timing.lease_ms))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let mut due = Vec::new();
        for row in rows {
            let alive: i64 = row.try_get("alive")?;
            let open = OpenAttempt {
                status: enum_column(&row, "status")?,
                owner_alive: alive > 0,
                claimed_at: row.try_get("claimed_at")?,
                first_sent_at: row.try_get("first_sent_at")?,
                next_try_at: row.try_get("next_try_at")?,
            };
            if act_on_open(&open, now, &timing, Actor::Sweeper) != OpenAction::Wait {
                due.push(row.try_get("id")?);
            }
        }
        Ok(due)
    }

    /// Claims an open attempt for the sweeper, re-checking the rules with its order locked:
    /// `Some` to send it again, `None` when someone else has it or it went to review.
    pub async fn claim_for_repeat(
        &self,
        attempt_id: &str,
        instance: &str,
        timing: Timing,
    ) -> Result<Option<Sending>, StoreError> {
        let (id, instance) = (attempt_id.to_owned(), instance.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                let session_id: Option<String> = sqlx::query("SELECT session_id FROM attempts WHERE id = $1")
                    .bind(&id)
                    .fetch_optional(&mut *c)
                    .await?
                    .map(|row| row.try_get("session_id"))
                    .transpose()?;
                let Some(session_id) = session_id else { return Ok(None) };
                lock_session(c, &session_id).await?;
                let now = now_ms();
                let Some((open_id, open)) = open_attempt(c, &session_id, now, &timing).await? else { return Ok(None) };
                if open_id != id {
                    return Ok(None);
                }
                match act_on_open(&open, now, &timing, Actor::Sweeper) {
                    OpenAction::Wait => Ok(None),
                    OpenAction::Review => {
                        put_in_review(c, &id, &session_id).await?;
                        Ok(None)
                    }
                    OpenAction::Repeat => Ok(Some(claim_for_sending(c, &id, &instance, now).await?)),
                }
            })
        })
        .await
    }

    /// Attempts waiting for an operator.
    pub async fn reviews(&self) -> Result<Vec<Review>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.session_id, a.id, a.first_sent_at, a.tries, a.last_error, s.amount, s.currency
             FROM attempts a JOIN checkout_sessions s ON s.id = a.session_id
             WHERE a.status = 'REVIEW' ORDER BY a.first_sent_at",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(review_from_row).collect()
    }

    /// Closes an order's review with what the operator found at Klarna: the transaction the
    /// attempt created (recorded as authorized), or none (the order may be paid again).
    pub async fn resolve_review(&self, order_id: &str, transaction: Option<(String, u64)>) -> Result<bool, StoreError> {
        let order_id = order_id.to_owned();
        let amount = transaction.as_ref().map(|(_, amount)| db_amount(*amount)).transpose()?;
        self.write(move |c| {
            Box::pin(async move {
                let Some(row) = lock_session(c, &order_id).await? else { return Ok(false) };
                let closed = sqlx::query(
                    "UPDATE attempts SET status = 'RESOLVED', updated_at = $2 WHERE session_id = $1 AND status = 'REVIEW'",
                )
                .bind(&order_id)
                .bind(now_ms())
                .execute(&mut *c)
                .await?
                .rows_affected();
                if closed == 0 {
                    return Ok(false);
                }
                let status = match (&transaction, amount) {
                    (Some((id, _)), Some(amount)) => {
                        let amount = u64::try_from(amount).unwrap_or(row.session.amount);
                        super::transactions::insert(c, &order_id, id, amount, &row.session.currency).await?;
                        OrderStatus::Authorized
                    }
                    _ => OrderStatus::Created,
                };
                sqlx::query("UPDATE checkout_sessions SET status = $2, updated_at = $3 WHERE id = $1")
                    .bind(&order_id)
                    .bind(status.as_db())
                    .bind(now_ms())
                    .execute(&mut *c)
                    .await?;
                Ok(true)
            })
        })
        .await
    }
}

fn review_from_row(row: &AnyRow) -> Result<Review, StoreError> {
    Ok(Review {
        order_id: row.try_get("session_id")?,
        klarna_idempotency_key: row.try_get("id")?,
        first_sent_at: row.try_get("first_sent_at")?,
        tries: row.try_get("tries")?,
        last_error: row.try_get("last_error")?,
        amount: amount_column(row, "amount")?,
        currency: row.try_get("currency")?,
    })
}
