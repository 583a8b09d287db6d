//! Customer tokens: Klarna's token kept under a reference of our own, owned by one customer.

use klarna_api::{CustomerToken, TokenScope};
use sqlx::{AnyConnection, Row};

use super::{now_ms, Store, StoreError};

fn scope_name(scope: TokenScope) -> &'static str {
    match scope {
        TokenScope::CustomerPresent => "payment:customer_present",
        TokenScope::CustomerNotPresent => "payment:customer_not_present",
        TokenScope::CustomerLogin => "customer:login",
        TokenScope::Unknown => "unknown",
    }
}

/// Keeps a Klarna customer token for `owner`; the same token twice is kept once. A token that
/// came without its scopes (a bare string, as older pages show it) has the scope it was asked
/// for, `asked`.
pub(crate) async fn insert(
    connection: &mut AnyConnection,
    session_id: &str,
    owner: &str,
    token: &CustomerToken,
    asked: TokenScope,
) -> Result<(), StoreError> {
    let scopes: Vec<&str> = if token.scopes.is_empty() {
        vec![scope_name(asked)]
    } else {
        token.scopes.iter().map(|s| scope_name(*s)).collect()
    };
    let scopes = serde_json::to_string(&scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO customer_tokens (reference, klarna_token, scopes, owner, session_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (klarna_token) DO NOTHING",
    )
    .bind(format!("kpbt_{}", uuid::Uuid::new_v4().simple()))
    .bind(&token.customer_token)
    .bind(scopes)
    .bind(owner)
    .bind(session_id)
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

impl Store {
    /// The newest token of `owner` that allows a customer-present charge: (reference, Klarna token).
    pub async fn token_for_charge(&self, owner: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(sqlx::query(
            "SELECT reference, klarna_token FROM customer_tokens WHERE owner = $1 AND scopes LIKE '%payment:customer_present%'
             ORDER BY created_at DESC, reference DESC LIMIT 1",
        )
        .bind(owner)
        .fetch_optional(self.reader())
        .await?
        .map(|row| -> Result<(String, String), sqlx::Error> { Ok((row.try_get("reference")?, row.try_get("klarna_token")?)) })
        .transpose()?)
    }
}
