//! The outcome table of the project's contract (spec A1), as a pure function.
//!
//! `P` is `payment_transaction_response.result`, `T` is `customer_token_response.result`;
//! `None` means that part is absent from the reply.
//!
//! | P \ T            | absent  | APPROVED                         | STEP_UP_REQUIRED | DECLINED                   |
//! |------------------|---------|----------------------------------|------------------|----------------------------|
//! | absent           | invalid | success                          | step-up          | decline                    |
//! | APPROVED         | success | success                          | step-up          | success, TOKEN_NOT_CREATED |
//! | STEP_UP_REQUIRED | step-up | step-up                          | step-up          | step-up, TOKEN_NOT_CREATED |
//! | DECLINED         | decline | decline, PURCHASE_FAILED_TOKEN_CREATED | decline    | decline                    |
//!
//! Whatever was approved is kept by the backend before it answers: the
//! `payment_transaction_id` whenever P is APPROVED, the customer token whenever T is.

use crate::authorize::{AuthorizationResult, AuthorizeResponse};

/// What the checkout does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeKind {
    /// The shopper goes through Klarna's purchase journey.
    StepUp,
    /// Done: the shopper goes to the success page.
    Success,
    /// Refused: the shopper picks another way to pay.
    Decline,
}

impl OutcomeKind {
    /// The name the browser package reports (`STEP_UP`, `SUCCESS`, `DECLINE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StepUp => "STEP_UP",
            Self::Success => "SUCCESS",
            Self::Decline => "DECLINE",
        }
    }
}

/// Something the shopper should be told beside the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notice {
    /// The purchase went (or goes) ahead, but no customer token was created.
    TokenNotCreated,
    /// The purchase failed, but a customer token was created.
    PurchaseFailedTokenCreated,
}

impl Notice {
    /// The name the browser package reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenNotCreated => "TOKEN_NOT_CREATED",
            Self::PurchaseFailedTokenCreated => "PURCHASE_FAILED_TOKEN_CREATED",
        }
    }
}

/// One cell of the outcome table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// What happens next.
    pub kind: OutcomeKind,
    /// What the shopper should be told, if anything.
    pub notice: Option<Notice>,
}

/// Why a reply cannot be acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvalidReply {
    /// Neither a payment nor a token result.
    NoResult,
    /// A result other than APPROVED, STEP_UP_REQUIRED or DECLINED.
    UnknownResult,
}

/// Decides the outcome of an Authorize reply from its two results (spec A1).
pub fn decide(
    payment: Option<AuthorizationResult>,
    token: Option<AuthorizationResult>,
) -> Result<Outcome, InvalidReply> {
    use AuthorizationResult::{Approved, Declined, StepUpRequired, Unknown};
    use Notice::{PurchaseFailedTokenCreated, TokenNotCreated};
    use OutcomeKind::{Decline, StepUp, Success};

    let (kind, notice) = match (payment, token) {
        (Some(Unknown), _) | (_, Some(Unknown)) => return Err(InvalidReply::UnknownResult),
        (None, None) => return Err(InvalidReply::NoResult),
        (Some(Approved), None | Some(Approved)) | (None, Some(Approved)) => (Success, None),
        (Some(Approved), Some(StepUpRequired)) => (StepUp, None),
        (Some(Approved), Some(Declined)) => (Success, Some(TokenNotCreated)),
        (Some(StepUpRequired), Some(Declined)) => (StepUp, Some(TokenNotCreated)),
        (Some(StepUpRequired), _) | (None, Some(StepUpRequired)) => (StepUp, None),
        (Some(Declined), Some(Approved)) => (Decline, Some(PurchaseFailedTokenCreated)),
        (Some(Declined), _) | (None, Some(Declined)) => (Decline, None),
    };
    Ok(Outcome { kind, notice })
}

impl AuthorizeResponse {
    /// The outcome of this reply (spec A1).
    pub fn outcome(&self) -> Result<Outcome, InvalidReply> {
        decide(self.payment_result(), self.token_result())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AuthorizationResult::{Approved as A, Declined as D, StepUpRequired as S, Unknown as U};

    fn ok(kind: OutcomeKind, notice: Option<Notice>) -> Result<Outcome, InvalidReply> {
        Ok(Outcome { kind, notice })
    }

    /// Every cell of spec A1, written out from the spec's table.
    #[test]
    fn every_cell_of_the_table() {
        use Notice::*;
        use OutcomeKind::*;
        let cells = [
            (None, None, Err(InvalidReply::NoResult)),
            (None, Some(A), ok(Success, None)),
            (None, Some(S), ok(StepUp, None)),
            (None, Some(D), ok(Decline, None)),
            (Some(A), None, ok(Success, None)),
            (Some(A), Some(A), ok(Success, None)),
            (Some(A), Some(S), ok(StepUp, None)),
            (Some(A), Some(D), ok(Success, Some(TokenNotCreated))),
            (Some(S), None, ok(StepUp, None)),
            (Some(S), Some(A), ok(StepUp, None)),
            (Some(S), Some(S), ok(StepUp, None)),
            (Some(S), Some(D), ok(StepUp, Some(TokenNotCreated))),
            (Some(D), None, ok(Decline, None)),
            (Some(D), Some(A), ok(Decline, Some(PurchaseFailedTokenCreated))),
            (Some(D), Some(S), ok(Decline, None)),
            (Some(D), Some(D), ok(Decline, None)),
        ];
        for (payment, token, expected) in cells {
            assert_eq!(decide(payment, token), expected, "P={payment:?} T={token:?}");
        }
    }

    #[test]
    fn any_unknown_result_is_invalid() {
        for other in [None, Some(A), Some(S), Some(D), Some(U)] {
            assert_eq!(decide(Some(U), other), Err(InvalidReply::UnknownResult));
            assert_eq!(decide(other, Some(U)), Err(InvalidReply::UnknownResult));
        }
    }

    #[test]
    fn names_are_the_ones_the_package_reports() {
        assert_eq!(OutcomeKind::StepUp.as_str(), "STEP_UP");
        assert_eq!(Notice::PurchaseFailedTokenCreated.as_str(), "PURCHASE_FAILED_TOKEN_CREATED");
    }
}
