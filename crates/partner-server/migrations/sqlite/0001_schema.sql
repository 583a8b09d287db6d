-- The reference backend's schema (SQLite). migrations/postgres/0001_schema.sql is the same
-- schema for PostgreSQL; keep the two in step. Times are milliseconds since the Unix epoch.

-- Running backend processes; a claim whose owner stopped beating is taken over.
CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);

-- A checkout session is an order: its cart is the server's, never the browser's.
CREATE TABLE checkout_sessions (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    flow TEXT NOT NULL,
    token_scope TEXT NOT NULL,
    scenario TEXT,
    force_step_up INTEGER NOT NULL,
    lines_json TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    interoperability_token TEXT,
    status TEXT NOT NULL,
    notice TEXT,
    declined_fingerprint TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_customer ON checkout_sessions (customer_id);

-- One Authorize call under one Klarna-Idempotency-Key (the id).
CREATE TABLE attempts (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES checkout_sessions (id),
    fingerprint TEXT NOT NULL,
    request_json TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    claimed_at INTEGER,
    tries INTEGER NOT NULL DEFAULT 0,
    first_sent_at INTEGER NOT NULL,
    next_try_at INTEGER,
    http_status INTEGER,
    payment_result TEXT,
    token_result TEXT,
    reply_json TEXT,
    klarna_reply TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- At most one open attempt (being sent, or of unknown outcome) per order.
CREATE UNIQUE INDEX one_open_attempt_per_session ON attempts (session_id) WHERE status IN ('SENDING', 'UNKNOWN');
CREATE INDEX attempts_by_session ON attempts (session_id);
CREATE INDEX attempts_by_status ON attempts (status, next_try_at);

-- A browser's click (its Idempotency-Key) and the attempt that answers it.
CREATE TABLE clicks (
    session_id TEXT NOT NULL REFERENCES checkout_sessions (id),
    browser_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    attempt_id TEXT REFERENCES attempts (id),
    refusal_status INTEGER,
    refusal_json TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, browser_key)
);

-- Payment requests this backend created, as last read from Klarna.
CREATE TABLE payment_requests (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES checkout_sessions (id),
    attempt_id TEXT REFERENCES attempts (id),
    state TEXT NOT NULL,
    gone INTEGER NOT NULL DEFAULT 0,
    pending_payment INTEGER NOT NULL,
    finalization TEXT,
    owner TEXT,
    claimed_at INTEGER,
    next_poll_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX requests_by_session ON payment_requests (session_id, created_at);
CREATE INDEX requests_to_poll ON payment_requests (next_poll_at);

CREATE TABLE transactions (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES checkout_sessions (id),
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    captured INTEGER NOT NULL DEFAULT 0,
    refunded INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX transactions_by_session ON transactions (session_id);

CREATE TABLE transaction_actions (
    idempotency_key TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES transactions (id),
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- Klarna customer tokens, under a reference of our own; only the owner may charge one.
CREATE TABLE customer_tokens (
    reference TEXT PRIMARY KEY,
    klarna_token TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    owner TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES checkout_sessions (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX tokens_by_owner ON customer_tokens (owner, created_at);

-- Webhook deliveries: an inbox, each event handled once, whatever instance received it.
CREATE TABLE webhook_events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    payment_request_id TEXT,
    occurred_at TEXT NOT NULL,
    signing_key_id TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    claimed_at INTEGER,
    tries INTEGER NOT NULL DEFAULT 0,
    next_try_at INTEGER,
    received_at INTEGER NOT NULL
);
CREATE INDEX events_by_status ON webhook_events (status, next_try_at);
