//! The store's behaviour, on SQLite and (when `TEST_DATABASE_URL` names a server) PostgreSQL:
//! the same tests on both. Concurrency tests race real transactions on the database.

use klarna_api::{AuthorizeResponse, PaymentRequestState};

use super::attempts::{Begin, Click, Recorded};
use super::testing::stores;
use super::*;
use crate::attempts::{AttemptStatus, Timing};
use crate::checkout::{cart, Flow, Scope, Session, CURRENCY};
use crate::order_status::OrderStatus;

const TIMING: Timing = Timing {
    idempotency_window_ms: 60_000,
    lease_ms: 2_000,
    max_send_ms: 30_000,
    retry_base_ms: 10,
    retry_max_ms: 100,
};

fn session(customer: &str) -> Session {
    let lines = cart(Flow::OneTime);
    Session {
        id: format!("ord_{}", uuid::Uuid::new_v4().simple()),
        flow: Flow::OneTime,
        scope: Scope::CustomerPresent,
        scenario: None,
        force_step_up: false,
        amount: lines.iter().map(|l| l.total_amount).sum(),
        lines,
        currency: CURRENCY.to_owned(),
        customer_id: customer.to_owned(),
        interoperability_token: None,
    }
}

fn click(session: &Session, key: &str, fingerprint: &str) -> Click {
    Click {
        session_id: session.id.clone(),
        browser_key: key.to_owned(),
        fingerprint: fingerprint.to_owned(),
        request_json: format!("{{\"click\":\"{key}\"}}"),
    }
}

fn approved(transaction: &str) -> AuthorizeResponse {
    serde_json::from_value(serde_json::json!({"payment_transaction_response": {"result": "APPROVED",
        "payment_transaction": {"payment_transaction_id": transaction, "amount": 11800}}}))
    .unwrap()
}

fn step_up(request: &str) -> AuthorizeResponse {
    serde_json::from_value(serde_json::json!({"payment_transaction_response": {"result": "STEP_UP_REQUIRED"},
        "payment_request": {"payment_request_id": request, "state": "SUBMITTED"}}))
    .unwrap()
}

async fn record(store: &Store, attempt_id: &str, reply: AuthorizeResponse) {
    let outcome = reply.outcome().unwrap();
    let public = serde_json::to_string(&reply).unwrap();
    store
        .record_outcome(Recorded {
            attempt_id: attempt_id.to_owned(),
            reply,
            outcome,
            public_json: public,
            first_poll_at: 0,
        })
        .await
        .unwrap();
}

async fn sent(store: &Store, click: Click, instance: &str) -> super::attempts::Sending {
    match store.begin_click(click, instance, TIMING).await.unwrap() {
        Begin::Send(sending) => sending,
        other => panic!("expected a send, got {other:?}"),
    }
}

async fn status(store: &Store, id: &str) -> OrderStatus {
    store.session(id).await.unwrap().unwrap().status
}

async fn count(store: &Store, sql: &str, id: &str) -> i64 {
    sqlx::query(sql).bind(id).fetch_one(store.reader()).await.unwrap().try_get(0).unwrap()
}

#[test]
fn both_schemas_are_the_same_schema() {
    let sqlite = include_str!("../../migrations/sqlite/0001_schema.sql");
    let postgres = include_str!("../../migrations/postgres/0001_schema.sql");
    let body = |text: &str| text.lines().skip(2).map(|l| l.replace("BIGINT", "INTEGER")).collect::<Vec<_>>();
    assert_eq!(body(sqlite), body(postgres), "the two migrations must describe one schema");
}

#[tokio::test]
async fn a_click_is_answered_once_and_replayed_after() {
    for (engine, store, _dir) in stores().await {
        store.heartbeat("a").await.unwrap();
        let s = session("c1");
        store.create_session(&s).await.unwrap();
        let first = sent(&store, click(&s, "k1", "f"), "a").await;
        assert!(!first.repeat, "{engine}");
        // The same click while it is being sent: wait for it.
        assert!(
            matches!(store.begin_click(click(&s, "k1", "f"), "a", TIMING).await.unwrap(), Begin::Wait { .. }),
            "{engine}"
        );
        // Another click of the order while it is being sent: wait too, no second key.
        assert!(
            matches!(store.begin_click(click(&s, "k2", "f"), "a", TIMING).await.unwrap(), Begin::Wait { .. }),
            "{engine}"
        );
        record(&store, &first.attempt_id, approved("krn:t1")).await;
        assert_eq!(status(&store, &s.id).await, OrderStatus::Authorized, "{engine}");
        match store.begin_click(click(&s, "k1", "f"), "a", TIMING).await.unwrap() {
            Begin::Replay { status, body } => assert!(status == 200 && body.contains("krn:t1"), "{engine}"),
            other => panic!("{engine}: {other:?}"),
        }
        assert!(matches!(store.begin_click(click(&s, "k1", "other"), "a", TIMING).await.unwrap(), Begin::KeyReused));
        assert!(matches!(
            store.begin_click(click(&s, "k3", "f"), "a", TIMING).await.unwrap(),
            Begin::Finished(OrderStatus::Authorized)
        ));
        assert_eq!(count(&store, "SELECT COUNT(*) FROM attempts WHERE session_id = $1", &s.id).await, 1, "{engine}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM transactions WHERE session_id = $1", &s.id).await,
            1,
            "{engine}"
        );
    }
}

#[tokio::test]
async fn an_unknown_outcome_keeps_its_key_until_proven_and_goes_to_review_after_the_window() {
    for (engine, store, _dir) in stores().await {
        store.heartbeat("a").await.unwrap();
        let s = session("c1");
        store.create_session(&s).await.unwrap();
        let first = sent(&store, click(&s, "k1", "f"), "a").await;
        // Klarna answered 429, then 500: nothing is proven.
        store.record_unknown(&first.attempt_id, "HTTP 429", None, Some(5), TIMING).await.unwrap();
        let repeat = sent(&store, click(&s, "k2", "f-other"), "a").await;
        assert_eq!(repeat.attempt_id, first.attempt_id, "{engine}: a new click repeats the open attempt's key");
        assert_eq!(repeat.request_json, first.request_json, "{engine}: exactly as first sent");
        assert!(repeat.repeat);
        store.record_unknown(&repeat.attempt_id, "HTTP 500", Some("<html>".into()), None, TIMING).await.unwrap();
        let again = sent(&store, click(&s, "k3", "f"), "a").await;
        assert_eq!(again.attempt_id, first.attempt_id, "{engine}");
        store.record_unknown(&again.attempt_id, "timeout", None, None, TIMING).await.unwrap();
        // Past the window: no repeat, an operator decides.
        let late = Timing { idempotency_window_ms: 0, ..TIMING };
        assert!(matches!(store.begin_click(click(&s, "k4", "f"), "a", late).await.unwrap(), Begin::UnderReview));
        assert_eq!(status(&store, &s.id).await, OrderStatus::NeedsReview, "{engine}");
        assert!(matches!(store.begin_click(click(&s, "k5", "f"), "a", TIMING).await.unwrap(), Begin::UnderReview));
        let reviews = store.reviews().await.unwrap();
        assert_eq!(reviews.len(), 1, "{engine}");
        assert_eq!(reviews[0].klarna_idempotency_key, first.attempt_id);
        assert!(store.resolve_review(&s.id, Some(("krn:found".into(), 11800))).await.unwrap());
        assert_eq!(status(&store, &s.id).await, OrderStatus::Authorized, "{engine}");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM attempts WHERE session_id = $1", &s.id).await, 1, "{engine}");
    }
}

#[tokio::test]
async fn a_dead_instances_send_is_taken_over_at_once() {
    for (engine, store, _dir) in stores().await {
        let s = session("c1");
        store.create_session(&s).await.unwrap();
        // "gone" never beat: its send is abandoned.
        let first = sent(&store, click(&s, "k1", "f"), "gone").await;
        store.heartbeat("b").await.unwrap();
        let taken = sent(&store, click(&s, "k2", "f"), "b").await;
        assert_eq!(taken.attempt_id, first.attempt_id, "{engine}");
        assert!(taken.repeat, "{engine}");
        // The sweeper finds it too, when nobody clicks.
        store.record_unknown(&taken.attempt_id, "lost", None, None, TIMING).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let due = store.attempts_to_resolve(TIMING, 10).await.unwrap();
        assert!(due.contains(&first.attempt_id), "{engine}");
        let claimed = store.claim_for_repeat(&first.attempt_id, "b", TIMING).await.unwrap();
        assert!(claimed.is_some(), "{engine}");
        assert!(
            store.claim_for_repeat(&first.attempt_id, "c", TIMING).await.unwrap().is_none(),
            "{engine}: claimed once"
        );
    }
}

#[tokio::test]
async fn racing_clicks_and_claims_across_instances_do_the_work_once() {
    for (engine, store, _dir) in stores().await {
        let store = std::sync::Arc::new(store);
        for instance in ["a", "b", "c"] {
            store.heartbeat(instance).await.unwrap();
        }
        let s = session("c1");
        store.create_session(&s).await.unwrap();
        let mut tasks = Vec::new();
        for n in 0..12 {
            let (store, click) = (store.clone(), click(&s, &format!("k{n}"), "f"));
            let instance = ["a", "b", "c"][n % 3];
            tasks.push(tokio::spawn(async move { store.begin_click(click, instance, TIMING).await.unwrap() }));
        }
        let mut sends = 0;
        for task in tasks {
            if matches!(task.await.unwrap(), Begin::Send(_)) {
                sends += 1;
            }
        }
        assert_eq!(sends, 1, "{engine}: one of twelve racing clicks sends");
        let attempt: String = sqlx::query("SELECT id FROM attempts WHERE session_id = $1")
            .bind(&s.id)
            .fetch_one(store.reader())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        record(&store, &attempt, step_up("krn:payment:eu1:request:r1")).await;
        store
            .record_request_state("krn:payment:eu1:request:r1", PaymentRequestState::Completed, None, 1000)
            .await
            .unwrap();
        let mut claims = Vec::new();
        for instance in ["a", "b", "c", "a", "b", "c"] {
            let store = store.clone();
            claims.push(tokio::spawn(async move {
                store.claim_finalization("krn:payment:eu1:request:r1", instance, TIMING).await.unwrap()
            }));
        }
        let mut won = 0;
        for claim in claims {
            won += usize::from(claim.await.unwrap());
        }
        assert_eq!(won, 1, "{engine}: one final authorization");
    }
}

#[tokio::test]
async fn a_request_klarna_forgot_lets_the_order_move_on() {
    for (engine, store, _dir) in stores().await {
        store.heartbeat("a").await.unwrap();
        let s = session("c1");
        store.create_session(&s).await.unwrap();
        let attempt = sent(&store, click(&s, "k1", "f"), "a").await;
        record(&store, &attempt.attempt_id, step_up("krn:r-gone")).await;
        assert_eq!(status(&store, &s.id).await, OrderStatus::AwaitingShopper, "{engine}");
        // A stale claim on its final authorization is taken over by the goodbye, not kept.
        store.record_request_state("krn:r-gone", PaymentRequestState::InProgress, None, 1000).await.unwrap();
        store.request_gone("krn:r-gone").await.unwrap();
        assert_eq!(status(&store, &s.id).await, OrderStatus::Expired, "{engine}");
        assert!(store.open_requests(&s.id).await.unwrap().is_empty(), "{engine}");
        assert!(
            matches!(store.begin_click(click(&s, "k2", "f"), "a", TIMING).await.unwrap(), Begin::Send(_)),
            "{engine}"
        );
    }
}

#[tokio::test]
async fn request_states_only_move_forward_and_only_the_latest_moves_the_order() {
    for (engine, store, _dir) in stores().await {
        store.heartbeat("a").await.unwrap();
        let s = session("c1");
        store.create_session(&s).await.unwrap();
        let attempt = sent(&store, click(&s, "k1", "f"), "a").await;
        record(&store, &attempt.attempt_id, step_up("krn:r1")).await;
        let completed = store.record_request_state("krn:r1", PaymentRequestState::Completed, None, 1000).await.unwrap();
        assert_eq!(completed, None, "{engine}: a completed purchase waits for its final authorization");
        let late = store.record_request_state("krn:r1", PaymentRequestState::InProgress, None, 1000).await.unwrap();
        assert_eq!(late, None);
        assert_eq!(
            store.tracked_request("krn:r1").await.unwrap().unwrap().state,
            PaymentRequestState::Completed,
            "{engine}"
        );
        assert!(store.claim_finalization("krn:r1", "a", TIMING).await.unwrap());
        let done = store.record_final_authorization("krn:r1", approved("krn:t-final")).await.unwrap();
        assert_eq!(done, OrderStatus::Authorized, "{engine}");
        let canceled = store.record_request_state("krn:r1", PaymentRequestState::Canceled, None, 1000).await.unwrap();
        assert_eq!(canceled, None, "{engine}: an authorized order stays authorized");
        assert_eq!(status(&store, &s.id).await, OrderStatus::Authorized);
    }
}

#[tokio::test]
async fn webhook_events_are_stored_once_and_claimed_once() {
    for (engine, store, _dir) in stores().await {
        store.heartbeat("a").await.unwrap();
        store.heartbeat("b").await.unwrap();
        let event = super::events::IncomingEvent {
            event_id: "e1".into(),
            event_type: "payment.request.state-change.completed".into(),
            payment_request_id: Some("krn:r".into()),
            occurred_at: "2026-01-01T00:00:00Z".into(),
            signing_key_id: Some("k".into()),
            body: "{}".into(),
        };
        assert!(store.receive_event(event.clone()).await.unwrap(), "{engine}");
        assert!(!store.receive_event(event).await.unwrap(), "{engine}: a redelivery is not a new event");
        assert_eq!(store.claim_event("e1", "a", TIMING).await.unwrap(), Some(Some("krn:r".into())), "{engine}");
        assert_eq!(store.claim_event("e1", "b", TIMING).await.unwrap(), None, "{engine}: a live claim holds");
        store.finish_event("e1", super::events::EventStatus::Done).await.unwrap();
        assert!(store.events_to_process(10).await.unwrap().is_empty(), "{engine}");
    }
}

#[tokio::test]
async fn concurrent_writes_all_commit_with_their_own_answers() {
    for (engine, store, _dir) in stores().await {
        let store = std::sync::Arc::new(store);
        let mut tasks = Vec::new();
        for n in 0..200 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let s = session(&format!("c{n}"));
                store.create_session(&s).await.map(|()| s.id)
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap().unwrap());
        }
        for id in &ids {
            assert!(store.session(id).await.unwrap().is_some(), "{engine}");
        }
        // A write that fails is rolled back alone: its batch-mates commit.
        let duplicate = store.session(&ids[0]).await.unwrap().unwrap().session;
        let fresh = session("fresh-customer");
        let (failed, fine) = tokio::join!(store.create_session(&duplicate), store.create_session(&fresh));
        assert!(failed.is_err(), "{engine}");
        assert!(fine.is_ok(), "{engine}");
    }
}

#[tokio::test]
async fn tokens_belong_to_their_customer() {
    for (engine, store, _dir) in stores().await {
        store.heartbeat("a").await.unwrap();
        let mut s = session("alice");
        s.flow = Flow::TokenOnly;
        store.create_session(&s).await.unwrap();
        let attempt = sent(&store, click(&s, "k1", "f"), "a").await;
        let reply: AuthorizeResponse =
            serde_json::from_value(serde_json::json!({"customer_token_response": {"result": "APPROVED",
            "customer_token": {"customer_token": "krn:customer-token:alice", "scopes": ["payment:customer_present"]}}}))
            .unwrap();
        record(&store, &attempt.attempt_id, reply).await;
        assert!(store.token_for_charge("alice").await.unwrap().is_some(), "{engine}");
        assert!(store.token_for_charge("mallory").await.unwrap().is_none(), "{engine}");
        assert_eq!(status(&store, &s.id).await, OrderStatus::TokenSaved);
        let attempts = store.attempt_answer(&attempt.attempt_id).await.unwrap().unwrap();
        assert_eq!(attempts.status, AttemptStatus::Success, "{engine}");
    }
}
