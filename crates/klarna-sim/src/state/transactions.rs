//! Payment transactions: created by an approval, then captured and refunded within their
//! amounts (checked arithmetic throughout).

use klarna_api::transaction::{PaymentCapture, PaymentRefund, TransactionDetails};

use super::{State, TransactionRecord};
use crate::clock;
use crate::dialect::Dialect;
use crate::ids::IdGen;

/// Refunds allowed per transaction.
const MAX_REFUNDS: usize = 200;
/// Captures and refunds allowed per transaction.
const MAX_ACTIONS: usize = 500;

/// Why a capture or refund was refused.
pub enum Refusal {
    /// No such transaction for this account.
    NotFound,
    /// Over Klarna's limits of 500 actions or 200 refunds.
    Limit(&'static str),
    /// The amount is outside what is left: `(left, what)`.
    Amount(u64, &'static str),
}

impl State {
    /// Creates an authorized transaction.
    pub fn create_transaction(
        &mut self,
        ids: &IdGen,
        account: &str,
        reference: Option<String>,
        amount: u64,
        currency: &str,
    ) -> TransactionDetails {
        let details = TransactionDetails {
            payment_transaction_id: ids.krn("krn:payment:eu1:transaction:"),
            payment_transaction_reference: reference,
            amount,
            currency: currency.to_owned(),
            captured_amount: 0,
            refunded_amount: 0,
            payment_captures: Vec::new(),
            payment_refunds: Vec::new(),
        };
        let record = TransactionRecord { account: account.to_owned(), details: details.clone() };
        self.transactions.insert(details.payment_transaction_id.clone(), record);
        details
    }

    fn transaction(&mut self, account: &str, id: &str) -> Result<&mut TransactionDetails, Refusal> {
        let record = self.transactions.get_mut(id).filter(|t| t.account == account).ok_or(Refusal::NotFound)?;
        let details = &mut record.details;
        if details.payment_captures.len().saturating_add(details.payment_refunds.len()) >= MAX_ACTIONS {
            return Err(Refusal::Limit("This transaction reached 500 captures and refunds"));
        }
        Ok(details)
    }

    /// Captures `amount` of transaction `id` and announces it in `dialect`.
    pub fn capture(
        &mut self,
        ids: &IdGen,
        account: &str,
        id: &str,
        amount: u64,
        dialect: Dialect,
    ) -> Result<PaymentCapture, Refusal> {
        let created_at = clock::rfc3339(self.now());
        let details = self.transaction(account, id)?;
        let left = details.amount.saturating_sub(details.captured_amount);
        if amount == 0 || amount > left {
            return Err(Refusal::Amount(left, "the amount left to capture"));
        }
        let capture = PaymentCapture { payment_capture_id: ids.krn("krn:payment:eu1:capture:"), amount, created_at };
        details.captured_amount = details.captured_amount.saturating_add(amount);
        details.payment_captures.push(capture.clone());
        let payload = serde_json::to_value(&*details).unwrap_or_default();
        self.record_event(ids, account, "payment.transaction.captured".to_owned(), payload, dialect);
        Ok(capture)
    }

    /// Refunds `amount` of what transaction `id` captured and announces it in `dialect`.
    pub fn refund(
        &mut self,
        ids: &IdGen,
        account: &str,
        id: &str,
        amount: u64,
        dialect: Dialect,
    ) -> Result<PaymentRefund, Refusal> {
        let created_at = clock::rfc3339(self.now());
        let details = self.transaction(account, id)?;
        if details.payment_refunds.len() >= MAX_REFUNDS {
            return Err(Refusal::Limit("This transaction reached 200 refunds"));
        }
        let left = details.captured_amount.saturating_sub(details.refunded_amount);
        if amount == 0 || amount > left {
            return Err(Refusal::Amount(left, "the captured amount not yet refunded"));
        }
        let refund = PaymentRefund { payment_refund_id: ids.krn("krn:payment:eu1:refund:"), amount, created_at };
        details.refunded_amount = details.refunded_amount.saturating_add(amount);
        details.payment_refunds.push(refund.clone());
        let payload = serde_json::to_value(&*details).unwrap_or_default();
        self.record_event(ids, account, "payment.transaction.refunded".to_owned(), payload, dialect);
        Ok(refund)
    }
}
