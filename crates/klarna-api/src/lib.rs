//! The one model of Klarna's Payment Authorize API.
//!
//! Serde types for the Authorize request and reply, Klarna's error body, webhooks (with their
//! signature) and transactions, and the outcome
//! table of the project's contract (spec A1) as a pure function. The browser package, the
//! partner backend and the simulator all use these types; none of them defines its own.
//!
//! Field names are Klarna's wire names (snake_case). Every enum read from the wire has an
//! `Unknown` variant, so a value Klarna adds later is recognised as unknown instead of
//! failing the whole reply.
#![no_std]
extern crate alloc;

pub mod authorize;
pub mod error;
pub mod outcome;
pub mod tokens;
pub mod transaction;
pub mod webhook;

pub use authorize::{
    AuthorizationResult, AuthorizeRequest, AuthorizeResponse, CustomerToken, CustomerTokenResponse, KlarnaCustomer,
    PaymentRequest, PaymentRequestState, PaymentTransaction, PaymentTransactionResponse, TokenScope,
};
pub use error::{ErrorBody, ErrorType, FieldError, ValidationError};
pub use outcome::{decide, InvalidReply, Notice, Outcome, OutcomeKind};
pub use tokens::{tokens_in, Tokens};
pub use webhook::{SignatureEncoding, WebhookEvent, WebhookMetadata};
