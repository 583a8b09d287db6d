//! Payment Transactions: capture and refund of an authorized transaction (spec B6).
//!
//! Klarna documents the operations but not every field; the shapes here are this project's
//! reading, used by the backend and the simulator alike.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// `POST …/payment/transactions/{id}/captures`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureRequest {
    /// Amount to capture, minor units (full or partial).
    pub amount: u64,
    /// The partner's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_capture_reference: Option<String>,
}

/// `POST …/payment/transactions/{id}/refunds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// Amount to refund, minor units.
    pub amount: u64,
    /// The partner's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_refund_reference: Option<String>,
}

/// One capture of a transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentCapture {
    /// Klarna's id of the capture.
    pub payment_capture_id: String,
    /// Captured amount, minor units.
    pub amount: u64,
    /// When (RFC 3339).
    pub created_at: String,
}

/// One refund of a transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentRefund {
    /// Klarna's id of the refund.
    pub payment_refund_id: String,
    /// Refunded amount, minor units.
    pub amount: u64,
    /// When (RFC 3339).
    pub created_at: String,
}

/// A transaction and what happened to it since authorization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionDetails {
    /// Klarna's id.
    pub payment_transaction_id: String,
    /// The partner's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_transaction_reference: Option<String>,
    /// Authorized amount, minor units.
    pub amount: u64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Captured so far.
    pub captured_amount: u64,
    /// Refunded so far.
    pub refunded_amount: u64,
    /// Every capture.
    #[serde(default)]
    pub payment_captures: Vec<PaymentCapture>,
    /// Every refund.
    #[serde(default)]
    pub payment_refunds: Vec<PaymentRefund>,
}
