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
