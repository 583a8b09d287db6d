//! Group commit for SQLite: every write runs on one connection, and the writes that arrive
//! together share one transaction and one fsync. Each write runs in a savepoint of its own,
//! so one that fails is rolled back alone; none is answered before the commit that holds it.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Executor};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// The most writes one transaction carries.
const MAX_BATCH: usize = 256;

/// Tells one write how its transaction ended: `None` when it committed.
type Deliver = Box<dyn FnOnce(Option<Arc<str>>) + Send>;
/// One write: runs its statements and says whether they succeeded, and how to answer.
type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, (bool, Deliver)> + Send>;

/// The handle writes go through.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens the writer's connection and starts committing.
    pub async fn start(options: AnyConnectOptions) -> Result<Self, StoreError> {
        let connection = connect(&options).await?;
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(commit_forever(connection, queue, options));
        Ok(Self { jobs })
    }

    /// Runs `op` in the next transaction and answers once that transaction committed.
    pub async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |connection| {
            Box::pin(async move {
                let result = op(connection).await;
                let ok = result.is_ok();
                let deliver: Deliver = Box::new(move |failed_commit| {
                    let _ = answer.send(match failed_commit {
                        None => result,
                        Some(why) => Err(StoreError::Commit(why)),
                    });
                });
                (ok, deliver)
            })
        });
        self.jobs.send(job).await.map_err(|_| StoreError::WriterGone)?;
        answered.await.map_err(|_| StoreError::WriterGone)?
    }
}

async fn connect(options: &AnyConnectOptions) -> Result<AnyConnection, StoreError> {
    let mut connection = options.connect().await?;
    super::prepare_sqlite(&mut connection).await?;
    Ok(connection)
}

async fn commit_forever(mut connection: AnyConnection, mut queue: mpsc::Receiver<Job>, options: AnyConnectOptions) {
    while let Some(first) = queue.recv().await {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(error) = commit(&mut connection, batch).await {
            tracing::error!(%error, "the database writer lost its connection; reconnecting");
            loop {
                match connect(&options).await {
                    Ok(fresh) => {
                        connection = fresh;
                        break;
                    }
                    Err(error) => {
                        tracing::error!(%error, "the database writer cannot reconnect");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        }
    }
}

/// Runs one batch in one transaction. An `Err` means the connection is no longer usable;
/// every write of the batch has been answered either way.
async fn commit(connection: &mut AnyConnection, batch: Vec<Job>) -> Result<(), sqlx::Error> {
    let mut delivers: Vec<Deliver> = Vec::with_capacity(batch.len());
    let failure = run_batch(connection, batch, &mut delivers).await.err();
    match failure {
        None => {
            for deliver in delivers {
                deliver(None);
            }
            Ok(())
        }
        Some(error) => {
            let why: Arc<str> = Arc::from(error.to_string());
            for deliver in delivers {
                deliver(Some(why.clone()));
            }
            match connection.execute("ROLLBACK").await {
                Ok(_) => Ok(()),
                Err(_) => Err(error),
            }
        }
    }
}

/// Each write runs in a savepoint of its own. The statements that end one savepoint and open
/// the next go to SQLite in one call, so a write costs one round trip more than its own.
async fn run_batch(
    connection: &mut AnyConnection,
    batch: Vec<Job>,
    delivers: &mut Vec<Deliver>,
) -> Result<(), sqlx::Error> {
    connection.execute("BEGIN IMMEDIATE; SAVEPOINT write").await?;
    let last = batch.len();
    for (n, job) in batch.into_iter().enumerate() {
        let (ok, deliver) = match AssertUnwindSafe(job(connection)).catch_unwind().await {
            Ok(done) => done,
            // The write's answer channel went with it; its caller sees the writer's error.
            Err(_) => (false, Box::new(|_| {}) as Deliver),
        };
        delivers.push(deliver);
        let undo = if ok { "" } else { "ROLLBACK TO write; " };
        let next = if n + 1 == last { "RELEASE write; COMMIT" } else { "RELEASE write; SAVEPOINT write" };
        let sql = format!("{undo}{next}");
        connection.execute(sql.as_str()).await?;
    }
    Ok(())
}
