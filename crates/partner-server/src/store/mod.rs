//! The database: one schema, on SQLite (the embedded default) or PostgreSQL
//! (`DATABASE_URL=postgres://…`), through sqlx's `Any` driver. The SQL of the schema lives in
//! `migrations/`; every query here is written once and runs on both.
//!
//! Every change is one transaction, committed before anyone is answered, and every rule that
//! must hold across instances (one open attempt per order, one final authorization per
//! payment request, each webhook event once) is enforced by the database: unique keys and
//! conditional updates, never a process's memory. On SQLite, writes go through one connection
//! that commits them in groups (`store/writer.rs`); `synchronous=FULL` in WAL mode makes each commit
//! durable. PostgreSQL commits each write in its own transaction from a pool.
//!
//! Times are milliseconds since the Unix epoch, from this process's clock ([`now_ms`]).

use std::path::Path;
use std::str::FromStr;

use futures_util::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Executor, Row};

/// What makes a payment request (`r`) of order `$1` a journey still open at Klarna, as SQL
/// text for `concat!`: the click's first read, its locked decision and the cancel before a new
/// attempt must agree on it.
macro_rules! open_journey {
    () => {
        "r.session_id = $1 AND r.gone = 0 AND r.state IN ('SUBMITTED', 'IN_PROGRESS')"
    };
}

pub mod attempts;
pub mod events;
pub mod instances;
pub mod requests;
pub mod sessions;
#[cfg(test)]
mod tests;
pub mod tokens;
pub mod transactions;
mod writer;

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a statement.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A transaction that held this write failed to commit.
    #[error("database commit failed: {0}")]
    Commit(std::sync::Arc<str>),
    /// The database holds something this server does not understand.
    #[error("the database holds a value this server does not know: {0}")]
    Corrupt(String),
    /// The SQLite writer stopped.
    #[error("the database writer stopped")]
    WriterGone,
    /// The database is not one this server can use.
    #[error("{0}")]
    Unusable(String),
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite, one file.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The database.
pub struct Store {
    engine: Engine,
    pool: AnyPool,
    writer: Option<writer::Writer>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The URL of an SQLite database file, created when missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Durability and integrity settings of every SQLite connection: WAL journal, a full fsync
/// on each commit, foreign keys on, and a wait rather than an error when the file is busy.
async fn prepare_sqlite(connection: &mut AnyConnection) -> Result<(), sqlx::Error> {
    for pragma in [
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 5000",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA wal_autocheckpoint = 10000",
    ] {
        connection.execute(pragma).await?;
    }
    Ok(())
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and brings the schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            return Err(StoreError::Unusable("the database URL must start with sqlite:// or postgres://".into()));
        };
        // An SQLite file is created when missing.
        let url = if engine == Engine::Sqlite && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            // A connection to a local file cannot go stale: no ping before each use.
            .test_before_acquire(engine == Engine::Postgres)
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        prepare_sqlite(connection).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        refuse_foreign_schema(&pool, engine).await?;
        match engine {
            Engine::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let writer = match engine {
            Engine::Sqlite => Some(writer::Writer::start(options).await?),
            Engine::Postgres => None,
        };
        Ok(Self { engine, pool, writer })
    }

    /// Which database this is.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The pool reads go through.
    pub(crate) fn reader(&self) -> &AnyPool {
        &self.pool
    }

    /// Runs `op` in a transaction and answers once it committed.
    pub(crate) async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        self.write_with(false, op).await
    }

    /// Like [`Store::write`], for an op that runs at most one statement that changes anything
    /// (it needs no savepoint of its own in a group commit).
    pub(crate) async fn write_one<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        self.write_with(true, op).await
    }

    async fn write_with<T, F>(&self, single: bool, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.write(single, op).await;
        }
        let mut transaction = self.pool.begin().await?;
        let result = op(&mut transaction).await;
        match result {
            Ok(value) => {
                transaction.commit().await?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = transaction.rollback().await {
                    tracing::warn!(%rollback, "rollback failed");
                }
                Err(error)
            }
        }
    }
}

/// A database made by an earlier version of this server (before migrations) is refused with
/// a sentence, not guessed at.
async fn refuse_foreign_schema(pool: &AnyPool, engine: Engine) -> Result<(), StoreError> {
    let tables = match engine {
        Engine::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        Engine::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        }
    };
    let names: Vec<String> =
        sqlx::query(tables).fetch_all(pool).await?.iter().filter_map(|row| row.try_get("name").ok()).collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    if has("checkout_sessions") && !has("_sqlx_migrations") {
        return Err(StoreError::Unusable(
            "the database was made by an earlier version of partner-server, without migrations; \
             use a new database (--database or DATABASE_URL) or move the old one away"
                .into(),
        ));
    }
    Ok(())
}

/// Maps an enum to the text a column stores.
pub trait DbEnum: Sized + Copy {
    /// The stored text.
    fn as_db(self) -> &'static str;
    /// Reads the stored text.
    fn from_db(text: &str) -> Option<Self>;
}

/// Implements [`DbEnum`] for an enum from its variants and their stored names.
#[macro_export]
macro_rules! db_enum {
    ($ty:ty { $($variant:ident = $name:literal),* $(,)? }) => {
        impl $crate::store::DbEnum for $ty {
            fn as_db(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
            fn from_db(text: &str) -> Option<Self> {
                match text {
                    $($name => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

/// Reads an enum column.
pub(crate) fn enum_column<T: DbEnum>(row: &AnyRow, column: &str) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    T::from_db(&text).ok_or_else(|| StoreError::Corrupt(format!("{column} = {text:?}")))
}

/// Reads an optional enum column.
pub(crate) fn optional_enum<T: DbEnum>(row: &AnyRow, column: &str) -> Result<Option<T>, StoreError> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| T::from_db(&text).ok_or_else(|| StoreError::Corrupt(format!("{column} = {text:?}")))).transpose()
}

/// An amount in minor units, stored as a signed 64-bit integer.
pub(crate) fn amount_column(row: &AnyRow, column: &str) -> Result<u64, StoreError> {
    let value: i64 = row.try_get(column)?;
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column} = {value}")))
}

/// An amount as the database stores it.
pub(crate) fn db_amount(amount: u64) -> Result<i64, StoreError> {
    i64::try_from(amount).map_err(|_| StoreError::Corrupt(format!("amount {amount} is too large")))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Stores for tests: a fresh SQLite file, and a fresh PostgreSQL schema when
    //! `TEST_DATABASE_URL` names a server (`npm test` starts one).

    use super::*;

    /// A fresh store per engine that is available, with a label for messages.
    pub async fn stores() -> Vec<(&'static str, Store, Option<tempdir::TempDir>)> {
        let mut stores = Vec::new();
        let dir = tempdir::TempDir::new();
        let url = sqlite_url(&dir.path().join("test.sqlite3"));
        stores.push(("sqlite", Store::connect(&url, 4).await.unwrap(), Some(dir)));
        if let Ok(server) = std::env::var("TEST_DATABASE_URL") {
            let schema = format!("t{}", uuid::Uuid::new_v4().simple());
            let admin = AnyPoolOptions::new().max_connections(1).connect(&server).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
            let separator = if server.contains('?') { '&' } else { '?' };
            let url = format!("{server}{separator}options=-csearch_path%3D{schema}");
            stores.push(("postgres", Store::connect(&url, 4).await.unwrap(), None));
        }
        stores
    }

    /// A throwaway directory, removed when dropped.
    pub mod tempdir {
        /// A directory under the system's temporary directory.
        pub struct TempDir(std::path::PathBuf);

        impl TempDir {
            /// Creates one.
            pub fn new() -> Self {
                let path = std::env::temp_dir().join(format!("partner-store-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&path).unwrap();
                Self(path)
            }

            /// Its path.
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }

        impl Drop for TempDir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
