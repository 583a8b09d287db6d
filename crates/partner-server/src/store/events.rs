//! Webhook events: an inbox. Each delivery is stored before it is acknowledged, then handled
//! once, by whichever instance claims it; what fails is retried by the sweeper.

use sqlx::Row;

use super::{now_ms, DbEnum, Store, StoreError};
use crate::attempts::Timing;

/// Where a webhook event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    /// Stored; not handled yet.
    Received,
    /// Handled.
    Done,
    /// Not about anything this backend tracks.
    Ignored,
}

crate::db_enum!(EventStatus { Received = "RECEIVED", Done = "DONE", Ignored = "IGNORED" });

/// A webhook delivery as it arrived.
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    /// `metadata.event_id`.
    pub event_id: String,
    /// `metadata.event_type`.
    pub event_type: String,
    /// The payment request it is about, if any.
    pub payment_request_id: Option<String>,
    /// `metadata.occurred_at`.
    pub occurred_at: String,
    /// The `Klarna-Signing-Key-Id` it was signed with.
    pub signing_key_id: Option<String>,
    /// The raw body.
    pub body: String,
}

impl Store {
    /// Stores a delivery; `false` when the event was already stored (a redelivery).
    pub async fn receive_event(&self, event: IncomingEvent) -> Result<bool, StoreError> {
        self.write_one(move |c| {
            Box::pin(async move {
                let inserted = sqlx::query(
                    "INSERT INTO webhook_events (event_id, event_type, payment_request_id, occurred_at, signing_key_id, body,
                        status, received_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'RECEIVED', $7) ON CONFLICT (event_id) DO NOTHING",
                )
                .bind(&event.event_id)
                .bind(&event.event_type)
                .bind(&event.payment_request_id)
                .bind(&event.occurred_at)
                .bind(&event.signing_key_id)
                .bind(&event.body)
                .bind(now_ms())
                .execute(&mut *c)
                .await?
                .rows_affected();
                Ok(inserted == 1)
            })
        })
        .await
    }

    /// Claims an unhandled event for `instance`: true for exactly one caller. A claim whose
    /// instance stopped beating, or older than one send may take, is taken over. The payment
    /// request it is about comes back with the claim.
    pub async fn claim_event(
        &self,
        event_id: &str,
        instance: &str,
        timing: Timing,
    ) -> Result<Option<Option<String>>, StoreError> {
        let (event_id, instance) = (event_id.to_owned(), instance.to_owned());
        self.write_one(move |c| {
            Box::pin(async move {
                let now = now_ms();
                let row = sqlx::query(
                    "UPDATE webhook_events SET owner = $2, claimed_at = $3, tries = tries + 1
                     WHERE event_id = $1 AND status = 'RECEIVED'
                       AND (owner IS NULL OR claimed_at < $4
                            OR NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = webhook_events.owner AND i.heartbeat_at > $5))
                     RETURNING payment_request_id",
                )
                .bind(&event_id)
                .bind(&instance)
                .bind(now)
                .bind(now.saturating_sub(timing.max_send_ms))
                .bind(now.saturating_sub(timing.lease_ms))
                .fetch_optional(&mut *c)
                .await?;
                row.map(|row| row.try_get("payment_request_id").map_err(StoreError::from)).transpose()
            })
        })
        .await
    }

    /// Marks a claimed event handled (or ignored).
    pub async fn finish_event(&self, event_id: &str, status: EventStatus) -> Result<(), StoreError> {
        let event_id = event_id.to_owned();
        self.write_one(move |c| {
            Box::pin(async move {
                sqlx::query("UPDATE webhook_events SET status = $2, owner = NULL WHERE event_id = $1")
                    .bind(&event_id)
                    .bind(status.as_db())
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Gives a claimed event back, to be tried again from `next_try_at`.
    pub async fn retry_event(&self, event_id: &str, next_try_at: i64) -> Result<(), StoreError> {
        let event_id = event_id.to_owned();
        self.write_one(move |c| {
            Box::pin(async move {
                sqlx::query("UPDATE webhook_events SET owner = NULL, next_try_at = $2 WHERE event_id = $1 AND status = 'RECEIVED'")
                    .bind(&event_id)
                    .bind(next_try_at)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Unhandled events due for a try, oldest first, with how often each was tried.
    pub async fn events_to_process(&self, limit: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_id, tries FROM webhook_events WHERE status = 'RECEIVED' AND (next_try_at IS NULL OR next_try_at <= $1)
             ORDER BY received_at LIMIT $2",
        )
        .bind(now_ms())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|row| Ok((row.try_get("event_id")?, row.try_get("tries")?))).collect()
    }
}
