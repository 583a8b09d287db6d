//! The database (SQLite): checkout sessions, attempts, payment requests, transactions,
//! customer tokens and webhook events. Each step of the flow is one transaction, committed
//! (synchronous=FULL) before the browser or Klarna gets an answer.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use klarna_api::authorize::LineItem;
use klarna_api::{AuthorizeResponse, CustomerToken, Notice, Outcome, OutcomeKind, PaymentRequestState, TokenScope};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;

use crate::checkout::{Flow, Scope, Session};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS checkout_sessions (
    id TEXT PRIMARY KEY,
    flow TEXT NOT NULL,
    scope TEXT NOT NULL,
    scenario TEXT,
    force_step_up INTEGER NOT NULL,
    lines_json TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    interoperability_token TEXT,
    status TEXT NOT NULL,
    notice TEXT,
    declined_fingerprint TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES checkout_sessions(id),
    browser_key TEXT NOT NULL,
    klarna_key TEXT,
    fingerprint TEXT NOT NULL,
    http_status INTEGER,
    payment_result TEXT,
    token_result TEXT,
    outcome TEXT NOT NULL,
    reply_json TEXT,
    request_json TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (session_id, browser_key)
);
CREATE TABLE IF NOT EXISTS payment_requests (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES checkout_sessions(id),
    state TEXT NOT NULL,
    pending_payment INTEGER NOT NULL,
    finalization TEXT,
    claimed_at TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX IF NOT EXISTS one_pending_attempt_per_session ON attempts (session_id) WHERE outcome = 'PENDING';
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES checkout_sessions(id),
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    captured INTEGER NOT NULL DEFAULT 0,
    refunded INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS customer_tokens (
    reference TEXT PRIMARY KEY,
    klarna_token TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    owner TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES checkout_sessions(id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS transactions_by_session ON transactions (session_id);
CREATE TABLE IF NOT EXISTS transaction_actions (
    idempotency_key TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES transactions(id),
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS webhook_events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    payment_request_id TEXT,
    occurred_at TEXT NOT NULL,
    body TEXT NOT NULL,
    processed INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
";

/// The schema this code writes; a database of another version is refused, not guessed at.
const SCHEMA_VERSION: i64 = 1;

/// How long an attempt may stay in flight before a new click may repeat it: longer than the
/// worst case of one attempt (canceling a left-over journey, then the Authorize call, each
/// bounded by the client's 60-second timeout).
pub const PENDING_ATTEMPT_STALE_SECONDS: i64 = 180;

/// What one click would send to Klarna.
pub struct Click<'a> {
    /// The browser's `Idempotency-Key`.
    pub browser_key: &'a str,
    /// What makes two attempts the same (cart, amount, flow, payment option).
    pub fingerprint: &'a str,
    /// The Klarna key for a new attempt.
    pub fresh_key: &'a str,
    /// The exact request (an [`crate::klarna::StoredCall`] as JSON), kept so that an attempt
    /// with an unknown outcome can be sent again unchanged.
    pub request_json: &'a str,
}

/// What a new click may do.
#[derive(Debug)]
pub enum Begin {
    /// Call Klarna with this `Klarna-Idempotency-Key` and this request.
    Proceed {
        /// The key: new for a new attempt, the old one when repeating an attempt whose
        /// outcome is unknown (so Klarna replays rather than authorizing twice).
        klarna_key: String,
        /// The request to send: this click's, or the repeated attempt's.
        request_json: String,
    },
    /// The same `Idempotency-Key` came with a different attempt.
    KeyReused,
    /// The same click again: its answer, already given.
    Replay {
        /// HTTP status.
        status: u16,
        /// The JSON body.
        reply: String,
    },
    /// Another attempt of this order is in flight.
    InProgress,
    /// The order is already paid or its token saved.
    Finished(Status),
    /// The same attempt was declined before.
    DeclinedBefore,
}

/// The order's state as the shopper and the shop see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Nothing sent to Klarna yet.
    Created,
    /// The shopper is in (or on the way to) Klarna's journey.
    AwaitingShopper,
    /// The payment is authorized.
    Authorized,
    /// Klarna is saved for later (no purchase).
    TokenSaved,
    /// Klarna declined.
    Declined,
    /// The journey was canceled.
    Canceled,
    /// The payment request lapsed.
    Expired,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::AwaitingShopper => "AWAITING_SHOPPER",
            Self::Authorized => "AUTHORIZED",
            Self::TokenSaved => "TOKEN_SAVED",
            Self::Declined => "DECLINED",
            Self::Canceled => "CANCELED",
            Self::Expired => "EXPIRED",
        }
    }

    fn parse(name: &str) -> Self {
        [Self::AwaitingShopper, Self::Authorized, Self::TokenSaved, Self::Declined, Self::Canceled, Self::Expired]
            .into_iter()
            .find(|s| s.as_str() == name)
            .unwrap_or(Self::Created)
    }

    /// Whether the order got what it came for; a declined, canceled or expired one may try again.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Authorized | Self::TokenSaved)
    }
}

/// A stored session with its state.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The session.
    pub session: Session,
    /// Where the order stands.
    pub status: Status,
    /// What the shopper should be told.
    pub notice: Option<String>,
    /// The fingerprint of the last declined attempt.
    pub declined_fingerprint: Option<String>,
}

/// What the order API shows (never the Klarna customer token).
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    /// Order id (the checkout session id).
    pub id: String,
    /// Flow.
    pub flow: Flow,
    /// Where it stands.
    pub status: Status,
    /// What the shopper should be told.
    pub notice: Option<String>,
    /// Total, minor units.
    pub amount: u64,
    /// ISO 4217.
    pub currency: String,
    /// The cart.
    pub lines: Vec<LineItem>,
    /// The authorized transaction.
    pub transaction: Option<TransactionView>,
    /// The backend's own reference to the saved Klarna token.
    pub saved_token: Option<TokenView>,
    /// The latest payment request.
    pub payment_request: Option<RequestView>,
}

/// A transaction, as the order API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TransactionView {
    /// Klarna's id.
    pub id: String,
    /// Authorized, minor units.
    pub amount: u64,
    /// Captured so far.
    pub captured: u64,
    /// Refunded so far.
    pub refunded: u64,
}

/// A saved token, as the order API shows it: our opaque reference, never Klarna's token.
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    /// The backend's opaque reference.
    pub reference: String,
    /// Klarna's scopes.
    pub scopes: Vec<String>,
}

/// A payment request, as the order API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    /// Klarna's id.
    pub id: String,
    /// Its last known state.
    pub state: String,
}

/// A payment request the backend tracks.
#[derive(Debug, Clone)]
pub struct TrackedRequest {
    /// Its session.
    pub session_id: String,
    /// Whether the journey authorizes a payment (a final authorization follows).
    pub pending_payment: bool,
}

/// The database.
pub struct Store {
    connection: Mutex<Connection>,
}

fn scope_name(scope: TokenScope) -> &'static str {
    match scope {
        TokenScope::CustomerPresent => "payment:customer_present",
        TokenScope::CustomerNotPresent => "payment:customer_not_present",
        TokenScope::CustomerLogin => "customer:login",
        TokenScope::Unknown => "unknown",
    }
}

fn json<T: Serialize>(value: &T) -> Result<String, rusqlite::Error> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

impl Store {
    /// Opens (and creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, String> {
        Self::open_sqlite(path).map_err(|error| error.to_string())?.map_err(|version| {
            format!(
                "it has schema version {version}, and this server writes version {SCHEMA_VERSION}; \
                 use a new database file (--database) or move the old one away"
            )
        })
    }

    /// Opens the database; the inner `Err` is the version of a database of another schema.
    fn open_sqlite(path: &Path) -> Result<Result<Self, i64>, rusqlite::Error> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 =
            connection.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))?;
        if version != SCHEMA_VERSION && (version != 0 || tables != 0) {
            return Ok(Err(version));
        }
        connection.execute_batch(SCHEMA)?;
        connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Ok(Self { connection: Mutex::new(connection) }))
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores a new checkout session.
    pub fn create_session(&self, session: &Session) -> Result<(), rusqlite::Error> {
        let scope = match session.scope {
            Scope::CustomerPresent => "customer_present",
            Scope::CustomerNotPresent => "customer_not_present",
        };
        self.lock().execute(
            "INSERT INTO checkout_sessions (id, flow, scope, scenario, force_step_up, lines_json, amount, currency, customer_id, interoperability_token, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'CREATED')",
            params![
                session.id,
                session.flow.as_str(),
                scope,
                session.scenario,
                session.force_step_up,
                json(&session.lines)?,
                session.amount,
                session.currency,
                session.customer_id,
                session.interoperability_token
            ],
        )?;
        Ok(())
    }

    /// A stored session.
    pub fn session(&self, id: &str) -> Result<Option<SessionRow>, rusqlite::Error> {
        self.lock()
            .query_row(
                "SELECT id, flow, scope, scenario, force_step_up, lines_json, amount, currency, customer_id,
                        interoperability_token, status, notice, declined_fingerprint
                 FROM checkout_sessions WHERE id = ?1",
                [id],
                |row| {
                    let flow: String = row.get(1)?;
                    let scope: String = row.get(2)?;
                    let lines: String = row.get(5)?;
                    let status: String = row.get(10)?;
                    Ok(SessionRow {
                        session: Session {
                            id: row.get(0)?,
                            flow: Flow::parse(&flow).unwrap_or(Flow::OneTime),
                            scope: if scope == "customer_not_present" {
                                Scope::CustomerNotPresent
                            } else {
                                Scope::CustomerPresent
                            },
                            scenario: row.get(3)?,
                            force_step_up: row.get(4)?,
                            lines: serde_json::from_str(&lines).unwrap_or_default(),
                            amount: row.get(6)?,
                            currency: row.get(7)?,
                            customer_id: row.get(8)?,
                            interoperability_token: row.get(9)?,
                        },
                        status: Status::parse(&status),
                        notice: row.get(11)?,
                        declined_fingerprint: row.get(12)?,
                    })
                },
            )
            .optional()
    }

    /// Decides, in one transaction, what a click may do, and records it as in flight when it
    /// may call Klarna with `call` (the exact request, as JSON, under `fresh_key`).
    ///
    /// At most one attempt per order is in flight. An attempt whose outcome is unknown (a
    /// timeout, a lost connection, a 5xx, or one whose server died: in flight for longer than
    /// [`PENDING_ATTEMPT_STALE_SECONDS`]) is repeated first, as it was sent and under its own
    /// Klarna key, so Klarna replays its answer instead of authorizing twice. No attempt starts
    /// while a completed journey's final authorization is still due.
    pub fn begin_attempt(&self, row: &SessionRow, click: &Click<'_>) -> Result<Begin, rusqlite::Error> {
        let mut connection = self.lock();
        let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let session_id = row.session.id.as_str();
        type Earlier = (String, Option<u16>, Option<String>, String);
        let same_click: Option<Earlier> = tx
            .query_row(
                "SELECT outcome, http_status, reply_json, fingerprint FROM attempts WHERE session_id = ?1 AND browser_key = ?2",
                [session_id, click.browser_key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        if let Some((outcome, code, reply, fingerprint)) = same_click {
            if fingerprint != click.fingerprint {
                return Ok(Begin::KeyReused);
            }
            if let (Some(code), Some(reply)) = (code, reply) {
                if !matches!(outcome.as_str(), "PENDING" | "FAILED" | "UNCERTAIN") {
                    return Ok(Begin::Replay { status: code, reply });
                }
            }
        }
        let status: String =
            tx.query_row("SELECT status FROM checkout_sessions WHERE id = ?1", [session_id], |r| r.get(0))?;
        let status = Status::parse(&status);
        let has_transaction: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM transactions WHERE session_id = ?1)", [session_id], |r| {
                r.get(0)
            })?;
        if status.is_done() || has_transaction {
            return Ok(Begin::Finished(if has_transaction { Status::Authorized } else { status }));
        }
        let finishing: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM payment_requests WHERE session_id = ?1 AND state = 'COMPLETED'
                AND pending_payment = 1 AND (finalization IS NULL OR finalization = 'RUNNING'))",
            [session_id],
            |r| r.get(0),
        )?;
        if finishing {
            return Ok(Begin::InProgress);
        }
        let declined: Option<String> =
            tx.query_row("SELECT declined_fingerprint FROM checkout_sessions WHERE id = ?1", [session_id], |r| {
                r.get(0)
            })?;
        if declined.as_deref() == Some(click.fingerprint) {
            tx.execute(
                "INSERT OR REPLACE INTO attempts (session_id, browser_key, fingerprint, http_status, outcome, reply_json)
                 VALUES (?1, ?2, ?3, 409, 'REFUSED_REPLAY', NULL)",
                params![session_id, click.browser_key, click.fingerprint],
            )?;
            tx.commit()?;
            return Ok(Begin::DeclinedBefore);
        }
        let pending: Option<(i64, bool)> = tx
            .query_row(
                "SELECT id, created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2)
                 FROM attempts WHERE session_id = ?1 AND outcome = 'PENDING'",
                params![session_id, format!("-{PENDING_ATTEMPT_STALE_SECONDS} seconds")],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match pending {
            Some((_, false)) => return Ok(Begin::InProgress),
            Some((id, true)) => {
                tx.execute("UPDATE attempts SET outcome = 'UNCERTAIN' WHERE id = ?1", [id])?;
            }
            None => {}
        }
        // The latest attempt whose outcome is unknown is repeated exactly as it was sent.
        let unresolved: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT id, klarna_key, request_json FROM attempts
                 WHERE session_id = ?1 AND outcome = 'UNCERTAIN' AND request_json IS NOT NULL ORDER BY id DESC LIMIT 1",
                [session_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (klarna_key, request_json) = match unresolved {
            Some((id, key, request)) => {
                tx.execute("UPDATE attempts SET outcome = 'RETRIED' WHERE id = ?1", [id])?;
                (key, request)
            }
            None => (click.fresh_key.to_owned(), click.request_json.to_owned()),
        };
        tx.execute(
            "INSERT OR REPLACE INTO attempts (session_id, browser_key, klarna_key, fingerprint, outcome, request_json, created_at)
             VALUES (?1, ?2, ?3, ?4, 'PENDING', ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            params![session_id, click.browser_key, klarna_key, click.fingerprint, request_json],
        )?;
        tx.commit()?;
        Ok(Begin::Proceed { klarna_key, request_json })
    }

    /// Ends an in-flight attempt without an outcome: `FAILED` when Klarna refused it (the
    /// click may be retried as is), `UNCERTAIN` when Klarna may have acted on it (a timeout,
    /// a lost connection, a 5xx): the next attempt then reuses its Klarna key.
    pub fn end_attempt_without_outcome(
        &self,
        session_id: &str,
        browser_key: &str,
        certain: bool,
        status: u16,
    ) -> Result<(), rusqlite::Error> {
        self.lock().execute(
            "UPDATE attempts SET outcome = ?3, http_status = ?4 WHERE session_id = ?1 AND browser_key = ?2 AND outcome = 'PENDING'",
            params![session_id, browser_key, if certain { "FAILED" } else { "UNCERTAIN" }, status],
        )?;
        Ok(())
    }

    /// The payment requests of an order still open (SUBMITTED or IN_PROGRESS).
    pub fn open_requests(&self, session_id: &str) -> Result<Vec<String>, rusqlite::Error> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT id FROM payment_requests WHERE session_id = ?1 AND state IN ('SUBMITTED', 'IN_PROGRESS')",
        )?;
        let ids = statement.query_map([session_id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    /// Persists an Authorize reply in one transaction: the attempt with the reply the browser
    /// gets, the transaction and the customer token it approved, the payment request it
    /// created, and the order's new state.
    #[allow(clippy::too_many_arguments)]
    pub fn record_authorization(
        &self,
        row: &SessionRow,
        browser_key: &str,
        klarna_key: &str,
        fingerprint: &str,
        reply: &AuthorizeResponse,
        outcome: Outcome,
        public_reply: &str,
    ) -> Result<(), rusqlite::Error> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let session = &row.session;
        let kind = match outcome.kind {
            OutcomeKind::StepUp => "STEP_UP",
            OutcomeKind::Success => "SUCCESS",
            OutcomeKind::Decline => "DECLINE",
        };
        tx.execute(
            "UPDATE attempts SET http_status = 200, payment_result = ?4, token_result = ?5, outcome = ?6, reply_json = ?7
             WHERE session_id = ?1 AND browser_key = ?2 AND klarna_key = ?3",
            params![
                session.id,
                browser_key,
                klarna_key,
                reply.payment_result().map(|r| r.as_str()),
                reply.token_result().map(|r| r.as_str()),
                kind,
                public_reply
            ],
        )?;
        if let Some(transaction) =
            reply.payment_transaction_response.as_ref().and_then(|p| p.payment_transaction.as_ref())
        {
            insert_transaction(
                &tx,
                &session.id,
                &transaction.payment_transaction_id,
                transaction.amount.unwrap_or(session.amount),
                &session.currency,
            )?;
        }
        if let Some(token) = reply.customer_token_response.as_ref().and_then(|t| t.customer_token.as_ref()) {
            insert_token(&tx, &session.id, &session.customer_id, token)?;
        }
        if let Some(request) = &reply.payment_request {
            if let Some(id) = request.id() {
                let pending_payment = reply.payment_result() == Some(klarna_api::AuthorizationResult::StepUpRequired);
                tx.execute(
                    "INSERT OR IGNORE INTO payment_requests (id, session_id, state, pending_payment) VALUES (?1, ?2, ?3, ?4)",
                    params![id, session.id, request.state.unwrap_or(PaymentRequestState::Submitted).as_str(), pending_payment],
                )?;
            }
        }
        let status = match outcome.kind {
            OutcomeKind::StepUp => Status::AwaitingShopper,
            OutcomeKind::Success if session.flow.has_purchase() => Status::Authorized,
            OutcomeKind::Success => Status::TokenSaved,
            OutcomeKind::Decline => Status::Declined,
        };
        let notice = outcome.notice.map(Notice::as_str);
        let declined = (outcome.kind == OutcomeKind::Decline).then_some(fingerprint);
        tx.execute(
            "UPDATE checkout_sessions SET status = ?2, notice = ?3,
                    declined_fingerprint = COALESCE(?4, declined_fingerprint),
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1 AND status <> 'AUTHORIZED'",
            params![session.id, status.as_str(), notice, declined],
        )?;
        tx.commit()
    }

    /// The payment request a session waits on, if any.
    pub fn awaited_request(&self, session_id: &str) -> Result<Option<String>, rusqlite::Error> {
        self.lock()
            .query_row(
                "SELECT id FROM payment_requests WHERE session_id = ?1 ORDER BY rowid DESC LIMIT 1",
                [session_id],
                |row| row.get(0),
            )
            .optional()
    }

    /// A payment request this backend created.
    pub fn tracked_request(&self, id: &str) -> Result<Option<TrackedRequest>, rusqlite::Error> {
        self.lock()
            .query_row("SELECT session_id, pending_payment FROM payment_requests WHERE id = ?1", [id], |row| {
                Ok(TrackedRequest { session_id: row.get(0)?, pending_payment: row.get(1)? })
            })
            .optional()
    }

    /// Records a payment request's new state, keeps the customer token the journey created,
    /// and moves the order on, in one transaction. Returns the order's new status.
    ///
    /// A request's state only moves forward (a late webhook cannot take COMPLETED back to
    /// IN_PROGRESS); only the order's latest request moves the order; and an order with an
    /// authorized transaction stays AUTHORIZED whatever happens to a token-only journey.
    pub fn record_request_state(
        &self,
        id: &str,
        state: PaymentRequestState,
        token: Option<&CustomerToken>,
    ) -> Result<Option<Status>, rusqlite::Error> {
        if state == PaymentRequestState::Unknown {
            return Ok(None);
        }
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let Some((session_id, pending_payment, current)) = tx
            .query_row("SELECT session_id, pending_payment, state FROM payment_requests WHERE id = ?1", [id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?, row.get::<_, String>(2)?))
            })
            .optional()?
        else {
            return Ok(None);
        };
        let rank = |name: &str| match name {
            "SUBMITTED" => 0,
            "IN_PROGRESS" => 1,
            "COMPLETED" => 2,
            _ => 3,
        };
        if rank(state.as_str()) < rank(&current) || (rank(&current) == 3 && state.as_str() != current) {
            tx.commit()?;
            return Ok(None);
        }
        tx.execute(
            "UPDATE payment_requests SET state = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            params![id, state.as_str()],
        )?;
        let (owner, flow): (String, String) =
            tx.query_row("SELECT customer_id, flow FROM checkout_sessions WHERE id = ?1", [&session_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        if let Some(token) = token {
            insert_token(&tx, &session_id, &owner, token)?;
        }
        let latest: String = tx.query_row(
            "SELECT id FROM payment_requests WHERE session_id = ?1 ORDER BY rowid DESC LIMIT 1",
            [&session_id],
            |r| r.get(0),
        )?;
        let has_transaction: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM transactions WHERE session_id = ?1)", [&session_id], |r| {
                r.get(0)
            })?;
        let status = match state {
            _ if latest != id => None,
            _ if has_transaction => Some(Status::Authorized),
            PaymentRequestState::Completed if pending_payment => None,
            PaymentRequestState::Completed if Flow::parse(&flow).is_some_and(Flow::has_purchase) => None,
            PaymentRequestState::Completed => Some(Status::TokenSaved),
            PaymentRequestState::Declined => Some(Status::Declined),
            PaymentRequestState::Canceled => Some(Status::Canceled),
            PaymentRequestState::Expired => Some(Status::Expired),
            _ => None,
        };
        if let Some(status) = status {
            tx.execute(
                "UPDATE checkout_sessions SET status = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1 AND status NOT IN ('AUTHORIZED', 'TOKEN_SAVED', 'DECLINED')",
                params![session_id, status.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(status)
    }

    /// Claims the final authorization of a request: true for exactly one caller, unless a
    /// claim is older than 120 seconds (longer than the client's timeout: its holder died),
    /// then it may be taken over. Never while an attempt of the order is in flight.
    pub fn claim_finalization(&self, id: &str) -> Result<bool, rusqlite::Error> {
        let changed = self.lock().execute(
            "UPDATE payment_requests SET finalization = 'RUNNING', claimed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ?1 AND pending_payment = 1 AND (finalization IS NULL
                OR (finalization = 'RUNNING' AND claimed_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-120 seconds')))
               AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.session_id = payment_requests.session_id)
               AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.session_id = payment_requests.session_id AND a.outcome = 'PENDING')",
            [id],
        )?;
        Ok(changed == 1)
    }

    /// Lets another caller retry a final authorization that failed.
    pub fn release_finalization(&self, id: &str) -> Result<(), rusqlite::Error> {
        self.lock().execute(
            "UPDATE payment_requests SET finalization = NULL WHERE id = ?1 AND finalization = 'RUNNING'",
            [id],
        )?;
        Ok(())
    }

    /// Whether a final authorization of `id` is in flight elsewhere (claimed less than 120 s ago).
    pub fn finalization_running(&self, id: &str) -> Result<bool, rusqlite::Error> {
        self.lock().query_row(
            "SELECT EXISTS (SELECT 1 FROM payment_requests WHERE id = ?1 AND finalization = 'RUNNING'
                AND claimed_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-120 seconds'))",
            [id],
            |r| r.get(0),
        )
    }

    /// COMPLETED requests whose final authorization has not run, or whose claim went stale:
    /// what the sweeper finishes after a crash.
    pub fn unfinished_finalizations(&self) -> Result<Vec<String>, rusqlite::Error> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT r.id FROM payment_requests r
             WHERE r.state = 'COMPLETED' AND r.pending_payment = 1
               AND (r.finalization IS NULL OR (r.finalization = 'RUNNING'
                    AND r.claimed_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-120 seconds')))
               AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.session_id = r.session_id)",
        )?;
        let ids = statement.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    /// Records that Klarna refused the final authorization for good.
    pub fn record_final_refusal(&self, id: &str) -> Result<Status, rusqlite::Error> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        tx.execute("UPDATE payment_requests SET finalization = 'REFUSED' WHERE id = ?1", [id])?;
        tx.execute(
            "UPDATE checkout_sessions SET status = 'DECLINED', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = (SELECT session_id FROM payment_requests WHERE id = ?1) AND status <> 'AUTHORIZED'",
            [id],
        )?;
        tx.commit()?;
        Ok(Status::Declined)
    }

    /// Records the final authorization's result in one transaction.
    pub fn record_final_authorization(&self, id: &str, reply: &AuthorizeResponse) -> Result<Status, rusqlite::Error> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let (session_id, currency, amount): (String, String, u64) = tx.query_row(
            "SELECT s.id, s.currency, s.amount FROM payment_requests r JOIN checkout_sessions s ON s.id = r.session_id WHERE r.id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        let transaction = reply.payment_transaction_response.as_ref().and_then(|p| p.payment_transaction.as_ref());
        let status = match transaction {
            Some(transaction) => {
                insert_transaction(
                    &tx,
                    &session_id,
                    &transaction.payment_transaction_id,
                    transaction.amount.unwrap_or(amount),
                    &currency,
                )?;
                Status::Authorized
            }
            None => Status::Declined,
        };
        tx.execute("UPDATE payment_requests SET finalization = 'DONE' WHERE id = ?1", [id])?;
        tx.execute(
            "UPDATE checkout_sessions SET status = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            params![session_id, status.as_str()],
        )?;
        tx.commit()?;
        Ok(status)
    }

    /// Stores a webhook event; `false` if it was already handled.
    pub fn receive_event(
        &self,
        event_id: &str,
        event_type: &str,
        payment_request_id: Option<&str>,
        occurred_at: &str,
        body: &str,
    ) -> Result<bool, rusqlite::Error> {
        let connection = self.lock();
        connection.execute(
            "INSERT OR IGNORE INTO webhook_events (event_id, event_type, payment_request_id, occurred_at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![event_id, event_type, payment_request_id, occurred_at, body],
        )?;
        let processed: bool =
            connection
                .query_row("SELECT processed FROM webhook_events WHERE event_id = ?1", [event_id], |r| r.get(0))?;
        Ok(!processed)
    }

    /// Marks a webhook event handled.
    pub fn event_processed(&self, event_id: &str) -> Result<(), rusqlite::Error> {
        self.lock().execute("UPDATE webhook_events SET processed = 1 WHERE event_id = ?1", [event_id])?;
        Ok(())
    }

    /// The newest token of `owner` that allows a customer-present charge: (reference, Klarna token).
    pub fn token_for_charge(&self, owner: &str) -> Result<Option<(String, String)>, rusqlite::Error> {
        self.lock()
            .query_row(
                "SELECT reference, klarna_token FROM customer_tokens WHERE owner = ?1 AND scopes LIKE '%payment:customer_present%'
                 ORDER BY rowid DESC LIMIT 1",
                [owner],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
    }

    /// The order as the shop and the shopper see it.
    pub fn order(&self, id: &str) -> Result<Option<OrderView>, rusqlite::Error> {
        let Some(row) = self.session(id)? else { return Ok(None) };
        let connection = self.lock();
        let transaction = connection
            .query_row("SELECT id, amount, captured, refunded FROM transactions WHERE session_id = ?1", [id], |r| {
                Ok(TransactionView { id: r.get(0)?, amount: r.get(1)?, captured: r.get(2)?, refunded: r.get(3)? })
            })
            .optional()?;
        let saved_token = connection
            .query_row(
                "SELECT reference, scopes FROM customer_tokens WHERE session_id = ?1 ORDER BY rowid DESC LIMIT 1",
                [id],
                |r| {
                    let scopes: String = r.get(1)?;
                    Ok(TokenView { reference: r.get(0)?, scopes: serde_json::from_str(&scopes).unwrap_or_default() })
                },
            )
            .optional()?;
        let payment_request = connection
            .query_row(
                "SELECT id, state FROM payment_requests WHERE session_id = ?1 ORDER BY rowid DESC LIMIT 1",
                [id],
                |r| Ok(RequestView { id: r.get(0)?, state: r.get(1)? }),
            )
            .optional()?;
        Ok(Some(OrderView {
            id: row.session.id,
            flow: row.session.flow,
            status: row.status,
            notice: row.notice,
            amount: row.session.amount,
            currency: row.session.currency,
            lines: row.session.lines,
            transaction,
            saved_token,
            payment_request,
        }))
    }

    /// A transaction's session, amount, captured and refunded amounts.
    pub fn transaction(&self, id: &str) -> Result<Option<TransactionView>, rusqlite::Error> {
        self.lock()
            .query_row("SELECT id, amount, captured, refunded FROM transactions WHERE id = ?1", [id], |r| {
                Ok(TransactionView { id: r.get(0)?, amount: r.get(1)?, captured: r.get(2)?, refunded: r.get(3)? })
            })
            .optional()
    }

    /// Adds a capture or refund to a transaction's totals, once per idempotency key: a retried
    /// operator call that Klarna answered from its idempotency store is not counted twice.
    pub fn record_action(&self, key: &str, id: &str, kind: &str, amount: u64) -> Result<(), rusqlite::Error> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO transaction_actions (idempotency_key, transaction_id, kind, amount) VALUES (?1, ?2, ?3, ?4)",
            params![key, id, kind, amount],
        )?;
        if inserted == 1 {
            let (captured, refunded) = if kind == "capture" { (amount, 0) } else { (0, amount) };
            tx.execute(
                "UPDATE transactions SET captured = captured + ?2, refunded = refunded + ?3 WHERE id = ?1",
                params![id, captured, refunded],
            )?;
        }
        tx.commit()
    }
}

fn insert_transaction(
    tx: &Transaction<'_>,
    session_id: &str,
    id: &str,
    amount: u64,
    currency: &str,
) -> Result<(), rusqlite::Error> {
    tx.execute(
        "INSERT OR IGNORE INTO transactions (id, session_id, amount, currency) VALUES (?1, ?2, ?3, ?4)",
        params![id, session_id, amount, currency],
    )?;
    Ok(())
}

/// Keeps a Klarna customer token under a reference of our own; the same token twice is kept once.
fn insert_token(
    tx: &Transaction<'_>,
    session_id: &str,
    owner: &str,
    token: &CustomerToken,
) -> Result<(), rusqlite::Error> {
    let scopes: Vec<&str> = token.scopes.iter().map(|s| scope_name(*s)).collect();
    let reference = format!("kpbt_{}", uuid::Uuid::new_v4().simple());
    tx.execute(
        "INSERT OR IGNORE INTO customer_tokens (reference, klarna_token, scopes, owner, session_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![reference, token.customer_token, json(&scopes)?, owner, session_id],
    )?;
    Ok(())
}
