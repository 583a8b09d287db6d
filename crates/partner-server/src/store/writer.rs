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
/// One write's statements: they say whether they succeeded, and how to answer.
type Run = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, (bool, Deliver)> + Send>;

/// One write, and whether it is a single statement (which SQLite makes atomic by itself, so it
/// needs no savepoint of its own).
struct Job {
    run: Run,
    single: bool,
}

/// The handle writes go through.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens the writer's connection and starts committing, on a thread of its own: the
    /// writer runs one statement after another, and each would otherwise wait behind the
    /// server's requests on the shared runtime.
    pub async fn start(options: AnyConnectOptions) -> Result<Self, StoreError> {
        let connection = connect(&options).await?;
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let unusable =
            |error: std::io::Error| StoreError::Unusable(format!("cannot start the database writer: {error}"));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(unusable)?;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || runtime.block_on(commit_forever(connection, queue, options)))
            .map_err(unusable)?;
        Ok(Self { jobs })
    }

    /// Runs `op` in the next transaction and answers once that transaction committed. A
    /// `single` op runs at most one statement that changes anything.
    pub async fn write<T, F>(&self, single: bool, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let run: Run = Box::new(move |connection| {
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
        self.jobs.send(Job { run, single }).await.map_err(|_| StoreError::WriterGone)?;
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

/// A write of several statements runs in a savepoint, so a failure undoes it alone; a single
/// statement is undone by SQLite itself when it fails. Opening a savepoint also releases the
/// previous one, in the same call to SQLite; the commit releases the last.
async fn run_batch(
    connection: &mut AnyConnection,
    batch: Vec<Job>,
    delivers: &mut Vec<Deliver>,
) -> Result<(), sqlx::Error> {
    connection.execute("BEGIN IMMEDIATE").await?;
    let mut open = false;
    for job in batch {
        if !job.single {
            connection.execute(if open { "RELEASE write; SAVEPOINT write" } else { "SAVEPOINT write" }).await?;
            open = true;
        }
        let (ok, deliver) = match AssertUnwindSafe((job.run)(connection)).catch_unwind().await {
            Ok(done) => done,
            // The write's answer channel went with it; its caller sees the writer's error.
            Err(_) => (false, Box::new(|_| {}) as Deliver),
        };
        delivers.push(deliver);
        if !ok && !job.single {
            connection.execute("ROLLBACK TO write").await?;
        }
    }
    connection.execute("COMMIT").await?;
    Ok(())
}
