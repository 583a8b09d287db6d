//! Where an order stands, and what a payment request's state does to it: rules only.

use klarna_api::PaymentRequestState;
use serde::Serialize;

/// The order's state as the shopper and the shop see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
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
    /// The payment request lapsed, or Klarna no longer knows it.
    Expired,
    /// Klarna may have authorized a payment nobody can prove: an operator decides.
    NeedsReview,
}

crate::db_enum!(OrderStatus {
    Created = "CREATED",
    AwaitingShopper = "AWAITING_SHOPPER",
    Authorized = "AUTHORIZED",
    TokenSaved = "TOKEN_SAVED",
    Declined = "DECLINED",
    Canceled = "CANCELED",
    Expired = "EXPIRED",
    NeedsReview = "NEEDS_REVIEW",
});

impl OrderStatus {
    /// Whether the order got what it came for; a declined, canceled or expired one may try again.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Authorized | Self::TokenSaved)
    }
}

crate::db_enum!(PaymentRequestState {
    Submitted = "SUBMITTED",
    InProgress = "IN_PROGRESS",
    Completed = "COMPLETED",
    Expired = "EXPIRED",
    Canceled = "CANCELED",
    Declined = "DECLINED",
    Unknown = "UNKNOWN",
});

fn rank(state: PaymentRequestState) -> u8 {
    match state {
        PaymentRequestState::Submitted | PaymentRequestState::InProgress => 0,
        PaymentRequestState::Completed => 1,
        _ => 2,
    }
}

/// Whether a payment request known to be `current` may be recorded as `next`. States only
/// move forward (a late webhook cannot take COMPLETED back to IN_PROGRESS); a request may go
/// back and forth between SUBMITTED and IN_PROGRESS (an aborted journey), and COMPLETED may
/// still become CANCELED; a final state never changes.
pub fn may_record(current: PaymentRequestState, next: PaymentRequestState) -> bool {
    if next == PaymentRequestState::Unknown || current == next {
        return false;
    }
    match (rank(current), rank(next)) {
        (0, _) => true,
        (1, 2) => next == PaymentRequestState::Canceled,
        _ => false,
    }
}

/// What the order's latest payment request, now in `state`, makes of the order.
/// `pending_payment` says whether a final authorization follows a completed journey;
/// `purchase` whether the order buys something.
pub fn after_request(state: PaymentRequestState, pending_payment: bool, purchase: bool) -> Option<OrderStatus> {
    match state {
        PaymentRequestState::Completed if pending_payment || purchase => None,
        PaymentRequestState::Completed => Some(OrderStatus::TokenSaved),
        PaymentRequestState::Declined => Some(OrderStatus::Declined),
        PaymentRequestState::Canceled => Some(OrderStatus::Canceled),
        PaymentRequestState::Expired => Some(OrderStatus::Expired),
        _ => None,
    }
}

/// Whether an order in `status` may be moved to `next` by a payment request's news: an
/// authorized, saved or declined order keeps its status.
pub fn may_move(status: OrderStatus, next: OrderStatus) -> bool {
    !matches!(status, OrderStatus::Authorized | OrderStatus::TokenSaved | OrderStatus::Declined) && status != next
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentRequestState::*;

    #[test]
    fn states_only_move_forward() {
        assert!(may_record(Submitted, InProgress));
        assert!(may_record(InProgress, Submitted), "an aborted journey");
        assert!(may_record(InProgress, Completed));
        assert!(may_record(Completed, Canceled));
        assert!(!may_record(Completed, InProgress), "a late webhook");
        assert!(!may_record(Completed, Expired));
        assert!(!may_record(Canceled, Completed));
        assert!(!may_record(Expired, Submitted));
        assert!(!may_record(Submitted, Unknown));
        assert!(!may_record(Completed, Completed));
    }

    #[test]
    fn what_a_request_makes_of_the_order() {
        assert_eq!(after_request(Completed, false, false), Some(OrderStatus::TokenSaved));
        assert_eq!(after_request(Completed, true, true), None, "the final authorization decides");
        assert_eq!(after_request(Canceled, true, true), Some(OrderStatus::Canceled));
        assert_eq!(after_request(InProgress, true, true), None);
        assert!(!may_move(OrderStatus::Authorized, OrderStatus::Canceled));
        assert!(may_move(OrderStatus::AwaitingShopper, OrderStatus::Expired));
    }
}
