//! Authorized transactions and the operator's captures and refunds of them.

use sqlx::AnyConnection;

use super::sessions::{transaction_view, TransactionView};
use super::{db_amount, now_ms, Store, StoreError};

/// What the operator did to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Captured an amount.
    Capture,
    /// Refunded an amount.
    Refund,
}

crate::db_enum!(Action { Capture = "capture", Refund = "refund" });

/// Keeps an authorized transaction; the same id twice is kept once.
pub(crate) async fn insert(
    connection: &mut AnyConnection,
    session_id: &str,
    id: &str,
    amount: u64,
    currency: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO transactions (id, session_id, amount, currency, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(session_id)
    .bind(db_amount(amount)?)
    .bind(currency)
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

impl Store {
    /// A transaction with its captured and refunded amounts.
    pub async fn transaction(&self, id: &str) -> Result<Option<TransactionView>, StoreError> {
        sqlx::query("SELECT id, amount, captured, refunded FROM transactions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(transaction_view)
            .transpose()
    }

    /// Adds a capture or refund to a transaction's totals, once per idempotency key: a retried
    /// operator call that Klarna answered from its idempotency store is not counted twice.
    pub async fn record_action(&self, key: &str, id: &str, action: Action, amount: u64) -> Result<(), StoreError> {
        let (key, id, amount) = (key.to_owned(), id.to_owned(), db_amount(amount)?);
        self.write(move |c| {
            Box::pin(async move {
                let inserted = sqlx::query(
                    "INSERT INTO transaction_actions (idempotency_key, transaction_id, kind, amount, created_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(&key)
                .bind(&id)
                .bind(super::DbEnum::as_db(action))
                .bind(amount)
                .bind(now_ms())
                .execute(&mut *c)
                .await?
                .rows_affected();
                if inserted == 1 {
                    let (captured, refunded) = match action {
                        Action::Capture => (amount, 0),
                        Action::Refund => (0, amount),
                    };
                    sqlx::query(
                        "UPDATE transactions SET captured = captured + $2, refunded = refunded + $3 WHERE id = $1",
                    )
                    .bind(&id)
                    .bind(captured)
                    .bind(refunded)
                    .execute(&mut *c)
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }
}
