//! Running backend processes and their heartbeats: how one instance knows another is gone.

use super::{now_ms, Store, StoreError};

impl Store {
    /// Records that `instance` is alive now.
    pub async fn heartbeat(&self, instance: &str) -> Result<(), StoreError> {
        let instance = instance.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let now = now_ms();
                sqlx::query(
                    "INSERT INTO instances (id, started_at, heartbeat_at) VALUES ($1, $2, $2)
                     ON CONFLICT (id) DO UPDATE SET heartbeat_at = $2",
                )
                .bind(&instance)
                .bind(now)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Forgets instances that stopped beating long ago.
    pub async fn forget_instances(&self, older_than_ms: i64) -> Result<(), StoreError> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("DELETE FROM instances WHERE heartbeat_at < $1")
                    .bind(now_ms().saturating_sub(older_than_ms))
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }
}

impl Store {
    /// At start: whatever this instance claimed before it stopped is not in flight any more
    /// (this process just began), so its claims are released at once rather than after the
    /// lease: a send becomes an attempt of unknown outcome (repeated under its key), a final
    /// authorization and a webhook event are free to be taken again.
    pub async fn release_own_claims(&self, instance: &str) -> Result<u64, StoreError> {
        let instance = instance.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let now = now_ms();
                let attempts = sqlx::query(
                    "UPDATE attempts SET status = 'UNKNOWN', owner = NULL, next_try_at = $2, updated_at = $2,
                        last_error = 'its sender stopped'
                     WHERE owner = $1 AND status = 'SENDING'",
                )
                .bind(&instance)
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected();
                sqlx::query(
                    "UPDATE payment_requests SET finalization = NULL, owner = NULL, next_poll_at = $2
                     WHERE owner = $1 AND finalization = 'RUNNING'",
                )
                .bind(&instance)
                .bind(now)
                .execute(&mut *c)
                .await?;
                sqlx::query("UPDATE webhook_events SET owner = NULL, next_try_at = $2 WHERE owner = $1 AND status = 'RECEIVED'")
                    .bind(&instance)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
                Ok(attempts)
            })
        })
        .await
    }
}
