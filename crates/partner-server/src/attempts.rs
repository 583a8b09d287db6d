//! What an attempt may do next: the rules that keep every payment exactly once, with no SQL
//! and no I/O, so they can be read and tested on their own.
//!
//! An *attempt* is one Authorize call under one `Klarna-Idempotency-Key`. Klarna replays its
//! first answer to a repeat under the same key for 24 hours, so an attempt whose outcome is
//! unknown (a timeout, a lost connection, a 5xx, a 429, a reply that cannot be read) is never
//! given up: it is repeated, exactly as it was sent and under its own key, until Klarna's
//! answer proves what happened. While one is open, the order gets no new key. Past Klarna's
//! window a repeat would be a new payment, so the attempt goes to an operator instead.

use klarna_api::Outcome;

use crate::order_status::OrderStatus;

/// Where one attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptStatus {
    /// An instance is sending it to Klarna right now.
    Sending,
    /// Klarna may have acted on it: it is repeated under the same key until Klarna's answer
    /// proves the outcome.
    Unknown,
    /// Klarna certainly did not act on it (it refused it as sent, or it was never sent).
    Failed,
    /// Klarna answered: the shopper goes through the purchase journey.
    StepUp,
    /// Klarna answered: approved.
    Success,
    /// Klarna answered: declined.
    Decline,
    /// Unknown past Klarna's idempotency window: an operator must find out what happened.
    Review,
    /// An operator closed the review.
    Resolved,
}

crate::db_enum!(AttemptStatus {
    Sending = "SENDING",
    Unknown = "UNKNOWN",
    Failed = "FAILED",
    StepUp = "STEP_UP",
    Success = "SUCCESS",
    Decline = "DECLINE",
    Review = "REVIEW",
    Resolved = "RESOLVED",
});

impl AttemptStatus {
    /// Whether the attempt still holds the order's only open Klarna key.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Sending | Self::Unknown)
    }

    /// The status that records Klarna's outcome.
    pub fn of_outcome(outcome: Outcome) -> Self {
        match outcome.kind {
            klarna_api::OutcomeKind::StepUp => Self::StepUp,
            klarna_api::OutcomeKind::Success => Self::Success,
            klarna_api::OutcomeKind::Decline => Self::Decline,
        }
    }
}

/// The clocks of the rules, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long after its first send an unknown attempt may still be repeated: inside
    /// Klarna's 24-hour idempotency window, with a margin.
    pub idempotency_window_ms: i64,
    /// An instance whose heartbeat is older than this is gone; what it held is taken over.
    pub lease_ms: i64,
    /// The longest one send may take (the Klarna client's timeout and a margin): a claim older
    /// than this is abandoned even if its instance still beats.
    pub max_send_ms: i64,
    /// The first pause before the sweeper repeats an unknown attempt; it doubles per try.
    pub retry_base_ms: i64,
    /// The longest pause between two repeats of an unknown attempt.
    pub retry_max_ms: i64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            idempotency_window_ms: 23 * 60 * 60 * 1000,
            lease_ms: 10_000,
            max_send_ms: 60_000,
            retry_base_ms: 2_000,
            retry_max_ms: 5 * 60 * 1000,
        }
    }
}

impl Timing {
    /// When the sweeper repeats an unknown attempt that has been tried `tries` times, given
    /// Klarna's `Retry-After` when it sent one.
    pub fn next_try(&self, now: i64, tries: i64, retry_after_ms: Option<i64>) -> i64 {
        let doubling = u32::try_from(tries.clamp(1, 20) - 1).unwrap_or(0);
        let backoff = self.retry_base_ms.saturating_mul(1_i64 << doubling).min(self.retry_max_ms);
        now.saturating_add(backoff.max(retry_after_ms.unwrap_or(0)))
    }
}

/// The open attempt of an order, as the database has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenAttempt {
    /// `Sending` or `Unknown`.
    pub status: AttemptStatus,
    /// Whether the instance that claimed it still beats.
    pub owner_alive: bool,
    /// When it was claimed for sending.
    pub claimed_at: Option<i64>,
    /// When its key was first sent to Klarna.
    pub first_sent_at: i64,
    /// When the sweeper may repeat it.
    pub next_try_at: Option<i64>,
}

/// Who is about to act on an open attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A shopper's click: an unknown attempt is repeated at once, so the shopper gets an answer.
    Shopper,
    /// The sweeper: repeats at the pace of [`Timing::next_try`].
    Sweeper,
}

/// What to do with an open attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenAction {
    /// Another instance is sending it: wait for its answer.
    Wait,
    /// Send it again, as it was sent, under its own key.
    Repeat,
    /// Too old to repeat safely: put it in front of an operator.
    Review,
}

/// What may be done with an open attempt now.
pub fn act_on_open(attempt: &OpenAttempt, now: i64, timing: &Timing, actor: Actor) -> OpenAction {
    if attempt.status == AttemptStatus::Sending {
        let claimed = attempt.claimed_at.unwrap_or(attempt.first_sent_at);
        if attempt.owner_alive && now.saturating_sub(claimed) < timing.max_send_ms {
            return OpenAction::Wait;
        }
        // Its sender is gone (or hung): whatever it sent, the outcome is unknown.
    }
    if now.saturating_sub(attempt.first_sent_at) >= timing.idempotency_window_ms {
        return OpenAction::Review;
    }
    match actor {
        Actor::Shopper => OpenAction::Repeat,
        Actor::Sweeper if attempt.next_try_at.is_none_or(|at| at <= now) => OpenAction::Repeat,
        Actor::Sweeper => OpenAction::Wait,
    }
}

/// What the database says about an order when a click arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    /// The order's status.
    pub status: OrderStatus,
    /// Whether a transaction is already authorized.
    pub has_transaction: bool,
    /// Whether a completed journey's final authorization is still due.
    pub final_authorization_due: bool,
    /// What the last declined attempt asked for.
    pub declined_fingerprint: Option<String>,
    /// The order's open attempt, if any.
    pub open: Option<OpenAttempt>,
}

/// What a new click may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickDecision {
    /// The order already got what it came for.
    Finished(OrderStatus),
    /// An operator must look at the order first.
    UnderReview,
    /// Another instance is sending the order's open attempt: wait for its answer.
    Wait,
    /// Repeat the open attempt (it answers this click too).
    Repeat,
    /// The open attempt is too old to repeat: send it to review.
    Review,
    /// A completed journey's final authorization runs first.
    FinalAuthorizationDue,
    /// The same payment was declined: it is not sent again unchanged.
    DeclinedBefore,
    /// Start a new attempt with a new key.
    New,
}

/// Decides what a click with `fingerprint` (what it would ask Klarna for) may do.
pub fn decide_click(facts: &OrderFacts, fingerprint: &str, now: i64, timing: &Timing) -> ClickDecision {
    if facts.has_transaction {
        return ClickDecision::Finished(OrderStatus::Authorized);
    }
    if facts.status.is_done() {
        return ClickDecision::Finished(facts.status);
    }
    if facts.status == OrderStatus::NeedsReview {
        return ClickDecision::UnderReview;
    }
    if let Some(open) = &facts.open {
        return match act_on_open(open, now, timing, Actor::Shopper) {
            OpenAction::Wait => ClickDecision::Wait,
            OpenAction::Repeat => ClickDecision::Repeat,
            OpenAction::Review => ClickDecision::Review,
        };
    }
    if facts.final_authorization_due {
        return ClickDecision::FinalAuthorizationDue;
    }
    if facts.declined_fingerprint.as_deref() == Some(fingerprint) {
        return ClickDecision::DeclinedBefore;
    }
    ClickDecision::New
}

/// What Klarna's answer to an Authorize call proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Klarna decided: this is the outcome.
    Acted(Outcome),
    /// Klarna certainly did nothing (it refused the call as sent, or it was never sent).
    DidNotAct,
    /// Nothing is proven: Klarna may have acted. `retry_after_ms` is Klarna's hint.
    Nothing {
        /// From a `Retry-After` header.
        retry_after_ms: Option<i64>,
    },
}

/// What a non-2xx status proves. A 409 (the key is in use), a 429 and a 5xx prove nothing:
/// Klarna may have acted (a timeout after the work was done, say). Refusals of the request
/// as sent prove Klarna did nothing.
pub fn proof_of_status(status: u16, retry_after_ms: Option<i64>) -> Proof {
    match status {
        400 | 401 | 403 | 404 | 405 | 413 | 415 | 422 => Proof::DidNotAct,
        _ => Proof::Nothing { retry_after_ms },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: Timing = Timing {
        idempotency_window_ms: 1_000_000,
        lease_ms: 10_000,
        max_send_ms: 60_000,
        retry_base_ms: 1_000,
        retry_max_ms: 8_000,
    };

    fn unknown(first_sent_at: i64) -> OpenAttempt {
        OpenAttempt {
            status: AttemptStatus::Unknown,
            owner_alive: false,
            claimed_at: None,
            first_sent_at,
            next_try_at: Some(first_sent_at + 1_000),
        }
    }

    fn facts(open: Option<OpenAttempt>) -> OrderFacts {
        OrderFacts {
            status: OrderStatus::Created,
            has_transaction: false,
            final_authorization_due: false,
            declined_fingerprint: None,
            open,
        }
    }

    #[test]
    fn an_unknown_attempt_is_repeated_inside_the_window_and_reviewed_after_it() {
        let open = unknown(0);
        assert_eq!(act_on_open(&open, 999_999, &T, Actor::Shopper), OpenAction::Repeat);
        assert_eq!(act_on_open(&open, 1_000_000, &T, Actor::Shopper), OpenAction::Review);
        assert_eq!(act_on_open(&open, 1_000_000, &T, Actor::Sweeper), OpenAction::Review);
    }

    #[test]
    fn the_sweeper_keeps_its_pace_a_shopper_does_not() {
        let open = unknown(0);
        assert_eq!(act_on_open(&open, 500, &T, Actor::Sweeper), OpenAction::Wait);
        assert_eq!(act_on_open(&open, 500, &T, Actor::Shopper), OpenAction::Repeat);
        assert_eq!(act_on_open(&open, 1_000, &T, Actor::Sweeper), OpenAction::Repeat);
    }

    #[test]
    fn a_live_sender_is_waited_for_a_dead_or_hung_one_is_taken_over() {
        let sending = OpenAttempt {
            status: AttemptStatus::Sending,
            owner_alive: true,
            claimed_at: Some(100),
            first_sent_at: 100,
            next_try_at: None,
        };
        assert_eq!(act_on_open(&sending, 200, &T, Actor::Shopper), OpenAction::Wait);
        let dead = OpenAttempt { owner_alive: false, ..sending };
        assert_eq!(act_on_open(&dead, 200, &T, Actor::Shopper), OpenAction::Repeat);
        assert_eq!(act_on_open(&sending, 100 + 60_000, &T, Actor::Sweeper), OpenAction::Repeat, "hung");
    }

    #[test]
    fn an_open_attempt_blocks_a_new_key_and_a_decline_is_not_replayed() {
        assert_eq!(decide_click(&facts(Some(unknown(0))), "f", 10, &T), ClickDecision::Repeat);
        assert_eq!(decide_click(&facts(Some(unknown(0))), "f", 2_000_000, &T), ClickDecision::Review);
        let declined = OrderFacts { declined_fingerprint: Some("f".into()), ..facts(None) };
        assert_eq!(decide_click(&declined, "f", 0, &T), ClickDecision::DeclinedBefore);
        assert_eq!(decide_click(&declined, "g", 0, &T), ClickDecision::New);
        let due = OrderFacts { final_authorization_due: true, ..facts(None) };
        assert_eq!(decide_click(&due, "f", 0, &T), ClickDecision::FinalAuthorizationDue);
        let paid = OrderFacts { has_transaction: true, ..facts(Some(unknown(0))) };
        assert_eq!(decide_click(&paid, "f", 0, &T), ClickDecision::Finished(OrderStatus::Authorized));
        let review = OrderFacts { status: OrderStatus::NeedsReview, ..facts(None) };
        assert_eq!(decide_click(&review, "f", 0, &T), ClickDecision::UnderReview);
    }

    #[test]
    fn only_refusals_as_sent_prove_that_klarna_did_nothing() {
        for status in [400, 401, 403, 404, 413, 422] {
            assert_eq!(proof_of_status(status, None), Proof::DidNotAct, "{status}");
        }
        for status in [409, 429, 500, 502, 503, 504, 302] {
            assert!(matches!(proof_of_status(status, Some(5)), Proof::Nothing { .. }), "{status}");
        }
    }

    #[test]
    fn repeats_back_off_and_honour_retry_after() {
        assert_eq!(T.next_try(0, 1, None), 1_000);
        assert_eq!(T.next_try(0, 3, None), 4_000);
        assert_eq!(T.next_try(0, 30, None), 8_000);
        assert_eq!(T.next_try(0, 1, Some(30_000)), 30_000);
    }

    fn any_open() -> impl Strategy<Value = OpenAttempt> {
        (any::<bool>(), any::<bool>(), 0..3_000_000i64, 0..3_000_000i64, proptest::option::of(0..3_000_000i64))
            .prop_map(|(sending, alive, claimed, first, next)| OpenAttempt {
                status: if sending { AttemptStatus::Sending } else { AttemptStatus::Unknown },
                owner_alive: alive,
                claimed_at: Some(claimed),
                first_sent_at: first,
                next_try_at: next,
            })
    }

    proptest! {
        /// Whatever the clocks say, an open attempt never lets a click start a new key, and
        /// nothing past the window is ever repeated.
        #[test]
        fn no_new_key_while_open_and_no_blind_repeat(open in any_open(), now in 0..4_000_000i64) {
            let decision = decide_click(&facts(Some(open)), "f", now, &T);
            prop_assert!(matches!(decision, ClickDecision::Wait | ClickDecision::Repeat | ClickDecision::Review));
            for actor in [Actor::Shopper, Actor::Sweeper] {
                if act_on_open(&open, now, &T, actor) == OpenAction::Repeat {
                    prop_assert!(now - open.first_sent_at < T.idempotency_window_ms);
                }
            }
        }

        #[test]
        fn next_try_is_never_in_the_past(now in -1_000_000i64..i64::MAX / 2, tries in -5i64..100, after in proptest::option::of(0..1_000_000i64)) {
            prop_assert!(T.next_try(now, tries, after) > now);
        }
    }
}
