//! The sweeper: every few moments, on every instance, it finishes what crashes, lost
//! replies and missed webhooks left undone. It repeats attempts of unknown outcome (inside
//! Klarna's idempotency window; later they go to review), takes over sends whose instance
//! died, reads open payment requests from Klarna (a completed journey is finished even if no
//! webhook ever arrives, and a request Klarna no longer knows lets its order move on), and
//! handles webhook events that were stored but not handled. Every piece of work is claimed
//! in the database first, so instances never do the same work twice.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use crate::routes::webhooks::process_event;
use crate::App;

/// Pieces of work one sweep takes on, per kind.
const BATCH: i64 = 64;
/// Pieces of work run at once.
const CONCURRENCY: usize = 16;

/// Beats this instance's heartbeat, so others know it lives; runs forever.
pub async fn heartbeat(app: Arc<App>) {
    let every = Duration::from_millis(u64::try_from(app.timing.lease_ms / 4).unwrap_or(1000).max(50));
    loop {
        if let Err(error) = app.store.heartbeat(&app.instance).await {
            tracing::error!(%error, "heartbeat failed");
        }
        tokio::time::sleep(every).await;
    }
}

/// Sweeps every `every`; runs forever.
pub async fn run(app: Arc<App>, every: Duration) {
    let mut sweeps: u64 = 0;
    loop {
        if let Err(error) = sweep(&app).await {
            tracing::error!(%error, "the sweeper could not read the database");
        }
        sweeps = sweeps.wrapping_add(1);
        if sweeps % 600 == 0 {
            let _ = app.store.forget_instances(24 * 60 * 60 * 1000).await;
        }
        tokio::time::sleep(every).await;
    }
}

/// One sweep.
pub async fn sweep(app: &Arc<App>) -> Result<(), crate::store::StoreError> {
    let attempts = app.store.attempts_to_resolve(app.timing, BATCH).await?;
    futures_util::stream::iter(attempts)
        .for_each_concurrent(CONCURRENCY, |id| async move {
            match app.store.claim_for_repeat(&id, &app.instance, app.timing).await {
                Ok(Some(sending)) => {
                    tracing::info!(attempt = id, order = sending.session_id, "repeating an attempt of unknown outcome");
                    if let Err(error) = crate::authorization::send(app.clone(), sending).await {
                        tracing::warn!(attempt = id, code = error.body.error_code, "the repeat did not settle it");
                    }
                }
                Ok(None) => {}
                Err(error) => tracing::error!(attempt = id, %error, "could not claim an attempt"),
            }
        })
        .await;
    let requests = app.store.claim_requests_to_poll(BATCH, app.poll_every_ms()).await?;
    futures_util::stream::iter(requests)
        .for_each_concurrent(CONCURRENCY, |id| async move {
            if let Err(error) = crate::finalize::settle(app, &id).await {
                tracing::warn!(id, code = error.body.error_code, "the sweeper could not settle a payment request");
            }
        })
        .await;
    let events = app.store.events_to_process(BATCH).await?;
    futures_util::stream::iter(events)
        .for_each_concurrent(CONCURRENCY, |(id, tries)| async move {
            process_event(app, &id, tries).await;
        })
        .await;
    Ok(())
}
