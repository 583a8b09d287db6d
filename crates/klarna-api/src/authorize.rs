//! `POST /v2/accounts/{partner_account_id}/payment/authorize`: request and reply bodies.
//!
//! Shapes follow Klarna's documentation (spec B2.1 and B2.2). Optional parts are `Option`
//! and are left out when serialized, so a value built here is exactly what goes on the wire.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Headers of the Authorize call (spec B2).
pub mod headers {
    /// A stored customer token, for token charges.
    pub const CUSTOMER_TOKEN: &str = "Klarna-Customer-Token";
    /// The network session token, for the final authorization after a step-up.
    pub const NETWORK_SESSION_TOKEN: &str = "Klarna-Network-Session-Token";
    /// The interoperability token a Partner handed to its Acquiring Partner.
    pub const INTEROPERABILITY_TOKEN: &str = "Klarna-Interoperability-Token";
    /// Idempotency key of a POST; a replay within 24 hours gets the first reply.
    pub const IDEMPOTENCY_KEY: &str = "Klarna-Idempotency-Key";
    /// The caller's correlation id, echoed back.
    pub const PARTNER_CORRELATION_ID: &str = "Partner-Correlation-Id";
    /// Integrator and originator description, a JSON string.
    pub const INTEGRATION_METADATA: &str = "Klarna-Integration-Metadata";
    /// Klarna's correlation id on every reply.
    pub const CORRELATION_ID: &str = "Klarna-Correlation-Id";
}

/// The result of one part of an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorizationResult {
    /// Authorized (transaction) or created (customer token).
    Approved,
    /// The shopper must go through Klarna's purchase journey first.
    StepUpRequired,
    /// Refused; final for this attempt.
    Declined,
    /// Any other value: an invalid reply for this contract.
    #[serde(other)]
    Unknown,
}

impl AuthorizationResult {
    /// Reads the wire spelling; anything but the three known results is `Unknown`.
    /// (Agrees with the serde form; for readers that do not use serde.)
    pub fn from_wire(value: &str) -> Self {
        match value {
            "APPROVED" => Self::Approved,
            "STEP_UP_REQUIRED" => Self::StepUpRequired,
            "DECLINED" => Self::Declined,
            _ => Self::Unknown,
        }
    }

    /// The wire spelling, as Klarna sends it (`"UNKNOWN"` for an unrecognised value).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "APPROVED",
            Self::StepUpRequired => "STEP_UP_REQUIRED",
            Self::Declined => "DECLINED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// The scope of a customer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenScope {
    /// On-demand charges while the shopper is present; they may step up.
    #[serde(rename = "payment:customer_present")]
    CustomerPresent,
    /// Recurring charges without the shopper; approved or declined, never stepped up.
    #[serde(rename = "payment:customer_not_present")]
    CustomerNotPresent,
    /// Signing the shopper in.
    #[serde(rename = "customer:login")]
    CustomerLogin,
    /// A scope this model does not know.
    #[serde(other)]
    Unknown,
}

/// The Authorize request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    /// ISO 4217 currency code.
    pub currency: String,
    /// Asks for a payment transaction; absent for token creation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_payment_transaction: Option<RequestPaymentTransaction>,
    /// Asks for a customer token with the given scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_customer_token: Option<RequestCustomerToken>,
    /// Allows a step-up; absent for customer-not-present charges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_up_config: Option<StepUpConfig>,
    /// Purchase details: references, line items, on-demand and subscription terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplementary_purchase_data: Option<SupplementaryPurchaseData>,
}

/// `request_payment_transaction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestPaymentTransaction {
    /// Amount in minor units.
    pub amount: u64,
    /// The Acquiring Partner's own reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_transaction_reference: Option<String>,
    /// `"NOW"` to capture at authorization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<Capture>,
    /// The payment option the shopper picked, from the SDK's `initiate` parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_option_id: Option<String>,
}

/// When to capture a payment transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Capture {
    /// Capture at authorization.
    Now,
}

/// `request_customer_token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestCustomerToken {
    /// The scopes the token is asked for.
    pub scopes: Vec<TokenScope>,
    /// The Acquiring Partner's own reference for the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_token_reference: Option<String>,
}

/// `step_up_config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepUpConfig {
    /// The partner's session reference, echoed in webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_reference: Option<String>,
    /// `REQUIRED` forces the step-up (announced by Klarna for a future release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<StepUpMode>,
    /// How the shopper is brought to the journey and back.
    pub customer_interaction_config: CustomerInteractionConfig,
}

/// `step_up_config.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepUpMode {
    /// Always step up, even when Klarna could approve at once.
    Required,
}

/// `step_up_config.customer_interaction_config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerInteractionConfig {
    /// `HANDOVER` (redirect to `payment_request_url`) or `SDK` (the Web SDK opens the journey).
    pub method: InteractionMethod,
    /// Where the journey returns the shopper; may hold `{klarna.payment_request.*}` placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Where a mobile app is returned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_return_url: Option<String>,
}

/// How the purchase journey is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InteractionMethod {
    /// Redirect the shopper to `payment_request_url`.
    Handover,
    /// Klarna's Web SDK opens the journey from the payment request id.
    Sdk,
    /// A method this model does not know.
    #[serde(other)]
    Unknown,
}

/// `supplementary_purchase_data`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SupplementaryPurchaseData {
    /// Reference shown to the shopper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_reference: Option<String>,
    /// Line items; their totals must add up to the amount.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_items: Vec<LineItem>,
    /// The shopper, as the partner knows them (schema not published; passed through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Value>,
    /// Shipping details (schema not published; passed through). Read from an array or from a
    /// single object, as clients send either; written as an array.
    #[serde(default, deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub shipping: Vec<Value>,
    /// A flat billing address, as some clients send it (schema not published; passed through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Value>,
    /// Terms of on-demand charges; required for `payment:customer_present` tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ondemand_service: Option<OndemandService>,
    /// Subscriptions; required for `payment:customer_not_present` tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscriptions: Vec<Subscription>,
}

/// An array, or one value standing for an array of one (`null`: none).
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Value>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(values) => values,
        Value::Null => Vec::new(),
        one => alloc::vec![one],
    })
}

/// One line of the purchase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineItem {
    /// Name shown to the shopper.
    pub name: String,
    /// Quantity.
    pub quantity: u64,
    /// Price of one unit, minor units.
    pub unit_price: u64,
    /// `quantity * unit_price`, minor units.
    pub total_amount: u64,
    /// The partner's own reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_item_reference: Option<String>,
    /// The subscription this line belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_reference: Option<String>,
}

/// How often something recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Interval {
    /// Daily.
    Day,
    /// Weekly.
    Week,
    /// Monthly.
    Month,
    /// Yearly.
    Year,
}

/// `ondemand_service`: expected on-demand charges.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OndemandService {
    /// Typical charge, minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_amount: Option<u64>,
    /// Smallest charge, minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_amount: Option<u64>,
    /// Largest charge, minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_amount: Option<u64>,
    /// How often charges come.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_interval: Option<Interval>,
    /// Every how many intervals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_interval_frequency: Option<u32>,
}

/// One subscription of a customer-not-present token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// The partner's reference.
    pub subscription_reference: String,
    /// Name shown to the shopper.
    pub name: String,
    /// Whether it starts with a free trial.
    #[serde(default)]
    pub free_trial: bool,
    /// What is billed, when.
    pub billing_plans: Vec<BillingPlan>,
}

/// One billing plan of a subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingPlan {
    /// Amount billed each time, minor units.
    pub billing_amount: u64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// First billing date (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Billing interval.
    pub interval: Interval,
    /// Every how many intervals.
    pub interval_frequency: u32,
}

/// The Authorize reply body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuthorizeResponse {
    /// Present when a payment transaction was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_transaction_response: Option<PaymentTransactionResponse>,
    /// Present when a customer token was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_token_response: Option<CustomerTokenResponse>,
    /// Present on a step-up: the request the shopper completes in Klarna's journey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request: Option<PaymentRequest>,
}

impl AuthorizeResponse {
    /// The payment part's result, if a payment was requested.
    pub fn payment_result(&self) -> Option<AuthorizationResult> {
        self.payment_transaction_response.as_ref().map(|p| p.result)
    }

    /// The token part's result, if a token was requested.
    pub fn token_result(&self) -> Option<AuthorizationResult> {
        self.customer_token_response.as_ref().map(|t| t.result)
    }

    /// The id of the approved payment transaction, if any.
    pub fn payment_transaction_id(&self) -> Option<&str> {
        let response = self.payment_transaction_response.as_ref()?;
        Some(response.payment_transaction.as_ref()?.payment_transaction_id.as_str())
    }

    /// Removes the secrets of the reply before it leaves the backend: the customer token,
    /// and any token a payment request's state context carries.
    pub fn without_customer_token(mut self) -> Self {
        if let Some(token) = self.customer_token_response.as_mut() {
            token.customer_token = None;
        }
        if let Some(request) = self.payment_request.as_mut() {
            request.klarna_network_session_token = None;
            request.klarna_customer = None;
            if let Some(context) = request.state_context.as_mut() {
                context.customer_token = None;
                context.klarna_network_session_token = None;
                context.klarna_customer = None;
            }
        }
        self
    }
}

/// `payment_transaction_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentTransactionResponse {
    /// What happened to the payment.
    pub result: AuthorizationResult,
    /// Why, on a decline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_reason: Option<String>,
    /// The transaction, when approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_transaction: Option<PaymentTransaction>,
}

/// An authorized payment transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentTransaction {
    /// Klarna's id; the backend keeps it for capture and refund.
    pub payment_transaction_id: String,
    /// The Acquiring Partner's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_transaction_reference: Option<String>,
    /// Authorized amount, minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    /// ISO 4217 currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// When the authorization lapses (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// `customer_token_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerTokenResponse {
    /// What happened to the token request.
    pub result: AuthorizationResult,
    /// The token, when created. A secret: it never reaches a browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_token: Option<CustomerToken>,
}

/// A Klarna customer token. Read from an object (current docs) or a bare string (the seed,
/// and `klarnaCustomer.customerToken` in the SDK typedoc); written as an object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerToken {
    /// The token itself, `krn:customer-token:…`; sent later in `Klarna-Customer-Token`.
    pub customer_token: String,
    /// The Acquiring Partner's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_token_reference: Option<String>,
    /// What the token may be used for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<TokenScope>,
}

/// The two wire forms of a customer token.
#[derive(Deserialize)]
#[serde(untagged)]
enum CustomerTokenWire {
    Bare(String),
    Object {
        customer_token: String,
        #[serde(default)]
        customer_token_reference: Option<String>,
        #[serde(default)]
        scopes: Vec<TokenScope>,
    },
}

impl<'de> Deserialize<'de> for CustomerToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match CustomerTokenWire::deserialize(deserializer)? {
            CustomerTokenWire::Bare(customer_token) => {
                Self { customer_token, customer_token_reference: None, scopes: Vec::new() }
            }
            CustomerTokenWire::Object { customer_token, customer_token_reference, scopes } => {
                Self { customer_token, customer_token_reference, scopes }
            }
        })
    }
}

/// `klarna_customer`: where some pages put the customer token after COMPLETED.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KlarnaCustomer {
    /// The token (a bare string in the SDK typedoc, an object elsewhere). A secret.
    pub customer_token: CustomerToken,
}

/// The state of a payment request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentRequestState {
    /// Created; the SDK can start the journey.
    Submitted,
    /// The shopper is in the journey.
    InProgress,
    /// The shopper finished; run the final authorization.
    Completed,
    /// Lapsed (final).
    Expired,
    /// Canceled by the partner or the shopper (final).
    Canceled,
    /// Refused (final).
    Declined,
    /// A state this model does not know.
    #[serde(other)]
    Unknown,
}

impl PaymentRequestState {
    /// Whether the documented state machine allows moving from `self` to `next`:
    /// SUBMITTED→{IN_PROGRESS, EXPIRED, CANCELED}; IN_PROGRESS→{SUBMITTED, COMPLETED,
    /// EXPIRED, CANCELED, DECLINED}; COMPLETED→CANCELED until the authorization is final.
    pub fn can_move_to(self, next: Self) -> bool {
        use PaymentRequestState::*;
        matches!(
            (self, next),
            (Submitted, InProgress | Expired | Canceled)
                | (InProgress, Submitted | Completed | Expired | Canceled | Declined)
                | (Completed, Canceled)
        )
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Expired => "EXPIRED",
            Self::Canceled => "CANCELED",
            Self::Declined => "DECLINED",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// The webhook event announcing this state, such as `payment.request.state-change.in-progress`.
    pub fn event_type(self) -> String {
        let name = self.as_str().to_ascii_lowercase().replace('_', "-");
        alloc::format!("payment.request.state-change.{name}")
    }
}

/// A payment request, returned on a step-up.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PaymentRequest {
    /// Klarna's id, `krn:payment:…:request:…` (some replies carry it only in `state_context`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_id: Option<String>,
    /// The partner's reference from `step_up_config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_reference: Option<String>,
    /// Amount, minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    /// ISO 4217 currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<PaymentRequestState>,
    /// The state before the last change (in webhooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_state: Option<PaymentRequestState>,
    /// Why it was canceled: `PARTNER_CANCELED`, `PURCHASE_FLOW_ABORTED`, `TECHNICAL_ERROR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// When it was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When it last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// When the request lapses (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// How the shopper reaches the journey, and after COMPLETED the tokens (in most forms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_context: Option<StateContext>,
    /// After COMPLETED, in the form a plugin maintained for Klarna reads: the network session
    /// token at the top level. A secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub klarna_network_session_token: Option<String>,
    /// After COMPLETED, in that same form: the customer token at the top level. A secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub klarna_customer: Option<KlarnaCustomer>,
}

impl PaymentRequest {
    /// The request id, read where real replies put it: the top level, else the interaction.
    pub fn id(&self) -> Option<&str> {
        self.payment_request_id.as_deref().or_else(|| self.interaction()?.payment_request_id.as_deref())
    }

    /// The journey URL, as Klarna sent it.
    pub fn url(&self) -> Option<&str> {
        self.interaction()?.payment_request_url.as_deref()
    }

    fn interaction(&self) -> Option<&CustomerInteraction> {
        self.state_context.as_ref()?.customer_interaction.as_ref()
    }
}

/// `payment_request.state_context`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StateContext {
    /// How the shopper is brought to the journey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_interaction: Option<CustomerInteraction>,
    /// After COMPLETED: the token for the final authorization (valid 60 minutes, once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub klarna_network_session_token: Option<String>,
    /// After COMPLETED, when a token was requested: the customer token. A secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_token: Option<CustomerToken>,
    /// After COMPLETED, in the older hosted-checkout form: `klarna_customer.customer_token`.
    /// A secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub klarna_customer: Option<KlarnaCustomer>,
}

/// `payment_request.state_context.customer_interaction`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CustomerInteraction {
    /// The method from `step_up_config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<InteractionMethod>,
    /// The request id again (some clients read it here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_id: Option<String>,
    /// The journey URL; Klarna's SDK reads region and access token from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The docs' token-creation-with-purchase step-up sample, as the seed shows it.
    const STEP_UP_SAMPLE: &str = r#"{
        "payment_transaction_response": {"result": "STEP_UP_REQUIRED"},
        "customer_token_response": {"result": "STEP_UP_REQUIRED"},
        "payment_request": {
            "payment_request_id": "krn:payment:eu1:request:552603c0-fe8b-4ab1-aacb-41d55fafbdb4",
            "payment_request_reference": "acquiring-partner-request-reference-1234",
            "amount": 11800, "currency": "USD", "state": "SUBMITTED",
            "expires_at": "2026-11-28T12:00:00Z",
            "state_context": {"customer_interaction": {"method": "HANDOVER",
                "payment_request_url": "https://pay.test.klarna.com/eu/requests/552603c0/start"}}
        }
    }"#;

    #[test]
    fn reads_the_documented_step_up_reply() {
        let reply: AuthorizeResponse = serde_json::from_str(STEP_UP_SAMPLE).unwrap();
        assert_eq!(reply.payment_result(), Some(AuthorizationResult::StepUpRequired));
        assert_eq!(reply.token_result(), Some(AuthorizationResult::StepUpRequired));
        let request = reply.payment_request.unwrap();
        assert_eq!(request.id(), Some("krn:payment:eu1:request:552603c0-fe8b-4ab1-aacb-41d55fafbdb4"));
        assert_eq!(request.url(), Some("https://pay.test.klarna.com/eu/requests/552603c0/start"));
        assert_eq!(request.state, Some(PaymentRequestState::Submitted));
    }

    #[test]
    fn finds_the_request_id_inside_the_interaction_too() {
        let reply: AuthorizeResponse = serde_json::from_str(
            r#"{"customer_token_response":{"result":"STEP_UP_REQUIRED"},
                "payment_request":{"state_context":{"customer_interaction":
                    {"method":"SDK","payment_request_id":"krn:payment:eu1:request:abc"}}}}"#,
        )
        .unwrap();
        assert_eq!(reply.payment_request.unwrap().id(), Some("krn:payment:eu1:request:abc"));
    }

    #[test]
    fn from_wire_agrees_with_serde() {
        for wire in ["APPROVED", "STEP_UP_REQUIRED", "DECLINED", "PENDING", "approved", ""] {
            let by_serde: AuthorizationResult = serde_json::from_value(serde_json::Value::from(wire)).unwrap();
            assert_eq!(AuthorizationResult::from_wire(wire), by_serde, "{wire}");
            if by_serde != AuthorizationResult::Unknown {
                assert_eq!(by_serde.as_str(), wire);
            }
        }
    }

    #[test]
    fn unknown_enum_values_are_kept_as_unknown() {
        let reply: AuthorizeResponse = serde_json::from_str(
            r#"{"payment_transaction_response":{"result":"PENDING"},
                "customer_token_response":{"result":"APPROVED","customer_token":
                    {"customer_token":"krn:customer-token:eu1:x","scopes":["payment:teleport"]}}}"#,
        )
        .unwrap();
        assert_eq!(reply.payment_result(), Some(AuthorizationResult::Unknown));
        let token = reply.customer_token_response.unwrap().customer_token.unwrap();
        assert_eq!(token.scopes, [TokenScope::Unknown]);
    }

    #[test]
    fn approved_reply_gives_the_transaction_id_and_strips_the_token() {
        let reply: AuthorizeResponse = serde_json::from_str(
            r#"{"payment_transaction_response":{"result":"APPROVED","payment_transaction":
                    {"payment_transaction_id":"krn:payment:eu1:transaction:6debe89e","amount":11800,
                     "currency":"USD","payment_funding":{"type":"X"},"payment_pricing":{}}},
                "customer_token_response":{"result":"APPROVED","customer_token":
                    {"customer_token":"krn:customer-token:eu1:secret","scopes":["payment:customer_present"]}}}"#,
        )
        .unwrap();
        assert_eq!(reply.payment_transaction_id(), Some("krn:payment:eu1:transaction:6debe89e"));
        let public = serde_json::to_string(&reply.without_customer_token()).unwrap();
        assert!(!public.contains("secret"), "{public}");
        let with_context: AuthorizeResponse = serde_json::from_str(
            r#"{"customer_token_response":{"result":"STEP_UP_REQUIRED"},"payment_request":{"payment_request_id":"krn:r",
                "state_context":{"klarna_network_session_token":"krn:secret-session","customer_token":{"customer_token":"krn:secret-token"}}}}"#,
        )
        .unwrap();
        let stripped = serde_json::to_string(&with_context.without_customer_token()).unwrap();
        assert!(!stripped.contains("secret") && stripped.contains("krn:r"), "{stripped}");
        assert!(public.contains(r#""customer_token_response":{"result":"APPROVED"}"#), "{public}");
    }

    #[test]
    fn a_customer_token_reads_as_an_object_or_a_bare_string() {
        let object: AuthorizeResponse = serde_json::from_str(
            r#"{"customer_token_response":{"result":"APPROVED","customer_token":
                {"customer_token":"krn:customer-token:eu1:a","customer_token_reference":"r","scopes":["payment:customer_present"]}}}"#,
        )
        .unwrap();
        let bare: AuthorizeResponse = serde_json::from_str(
            r#"{"customer_token_response":{"result":"APPROVED","customer_token":"krn:customer-token:eu1:a"}}"#,
        )
        .unwrap();
        let token = |reply: AuthorizeResponse| reply.customer_token_response.unwrap().customer_token.unwrap();
        let (object, bare) = (token(object), token(bare));
        assert_eq!(
            (object.customer_token.as_str(), object.scopes.as_slice()),
            ("krn:customer-token:eu1:a", &[TokenScope::CustomerPresent][..])
        );
        assert_eq!(
            bare,
            CustomerToken {
                customer_token: "krn:customer-token:eu1:a".into(),
                customer_token_reference: None,
                scopes: Vec::new()
            }
        );
        assert_eq!(
            serde_json::to_value(&bare).unwrap(),
            serde_json::json!({"customer_token": "krn:customer-token:eu1:a"})
        );
        for bad in [r#"7"#, r#"{"scopes":[]}"#, r#"["krn:x"]"#] {
            assert!(serde_json::from_str::<CustomerToken>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shipping_reads_as_an_object_or_an_array() {
        let read = |shipping: &str| {
            let json = alloc::format!(r#"{{"purchase_reference":"p","shipping":{shipping}}}"#);
            serde_json::from_str::<SupplementaryPurchaseData>(&json).unwrap().shipping
        };
        let one = serde_json::json!({"recipient": {"given_name": "A"}, "address": {"country": "SE"}});
        assert_eq!(read(&alloc::format!("{one}")), core::slice::from_ref(&one));
        assert_eq!(read(&alloc::format!("[{one},{one}]")).len(), 2);
        assert!(read("null").is_empty());
        assert!(serde_json::from_str::<SupplementaryPurchaseData>("{}").unwrap().shipping.is_empty());
        let written = serde_json::to_value(SupplementaryPurchaseData {
            shipping: alloc::vec![one.clone()],
            ..Default::default()
        });
        assert_eq!(written.unwrap(), serde_json::json!({"shipping": [one]}));
    }

    #[test]
    fn stripping_removes_the_tokens_from_every_place() {
        let reply: AuthorizeResponse = serde_json::from_str(
            r#"{"customer_token_response":{"result":"APPROVED","customer_token":"krn:secret-a"},
                "payment_request":{"payment_request_id":"krn:r","klarna_network_session_token":"krn:secret-b",
                  "klarna_customer":{"customer_token":"krn:secret-c"},
                  "state_context":{"klarna_network_session_token":"krn:secret-d","customer_token":"krn:secret-e",
                    "klarna_customer":{"customer_token":{"customer_token":"krn:secret-f"}},
                    "customer_interaction":{"payment_request_url":"https://pay.example/eu/requests/r/start"}}}}"#,
        )
        .unwrap();
        assert_eq!(
            reply.payment_request.as_ref().unwrap().tokens().network_session_token.as_deref(),
            Some("krn:secret-d")
        );
        let stripped = serde_json::to_string(&reply.without_customer_token()).unwrap();
        assert!(!stripped.contains("secret"), "{stripped}");
        assert!(stripped.contains("krn:r") && stripped.contains("/requests/r/start"), "{stripped}");
    }

    #[test]
    fn request_serializes_without_absent_parts() {
        let request = AuthorizeRequest {
            currency: "EUR".into(),
            request_payment_transaction: Some(RequestPaymentTransaction {
                amount: 11800,
                payment_transaction_reference: Some("order-1".into()),
                capture: None,
                payment_option_id: None,
            }),
            request_customer_token: Some(RequestCustomerToken {
                scopes: alloc::vec![TokenScope::CustomerNotPresent],
                customer_token_reference: None,
            }),
            step_up_config: Some(StepUpConfig {
                payment_request_reference: None,
                mode: Some(StepUpMode::Required),
                customer_interaction_config: CustomerInteractionConfig {
                    method: InteractionMethod::Sdk,
                    return_url: Some("https://shop.example/return".into()),
                    app_return_url: None,
                },
            }),
            supplementary_purchase_data: None,
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "currency": "EUR",
                "request_payment_transaction": {"amount": 11800, "payment_transaction_reference": "order-1"},
                "request_customer_token": {"scopes": ["payment:customer_not_present"]},
                "step_up_config": {"mode": "REQUIRED", "customer_interaction_config":
                    {"method": "SDK", "return_url": "https://shop.example/return"}}
            })
        );
        let back: AuthorizeRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back, request);
    }
}
