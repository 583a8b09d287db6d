//! Server-side checkout sessions: the flows, the cart (never from the browser), and the
//! Authorize request each flow sends to Klarna.

use klarna_api::authorize::BillingPlan;
use klarna_api::authorize::{
    CustomerInteractionConfig, InteractionMethod, Interval, LineItem, OndemandService, RequestCustomerToken,
    RequestPaymentTransaction, StepUpConfig, StepUpMode, Subscription, SupplementaryPurchaseData,
};
use klarna_api::{AuthorizeRequest, TokenScope};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What the shopper is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Pay once.
    OneTime,
    /// Save Klarna for later, no purchase now.
    TokenOnly,
    /// Pay now and save Klarna for later.
    TokenWithPurchase,
    /// Pay with Klarna saved earlier (customer present).
    TokenCharge,
}

crate::db_enum!(Flow {
    OneTime = "one_time",
    TokenOnly = "token_only",
    TokenWithPurchase = "token_with_purchase",
    TokenCharge = "token_charge",
});

impl Flow {
    /// The name used in URLs and the database.
    pub fn as_str(self) -> &'static str {
        crate::store::DbEnum::as_db(self)
    }

    /// Reads a flow name.
    pub fn parse(name: &str) -> Option<Self> {
        crate::store::DbEnum::from_db(name)
    }

    /// Whether the flow buys something now.
    pub fn has_purchase(self) -> bool {
        self != Self::TokenOnly
    }
}

/// The scope of the token a flow creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// On-demand charges with the shopper present.
    CustomerPresent,
    /// Subscription charges without the shopper.
    CustomerNotPresent,
}

crate::db_enum!(Scope {
    CustomerPresent = "customer_present",
    CustomerNotPresent = "customer_not_present",
});

impl Scope {
    /// Klarna's scope.
    pub fn klarna(self) -> TokenScope {
        match self {
            Self::CustomerPresent => TokenScope::CustomerPresent,
            Self::CustomerNotPresent => TokenScope::CustomerNotPresent,
        }
    }
}

/// The currency of the demo shop.
pub const CURRENCY: &str = "USD";

/// A checkout session as the server keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    /// Its id, also the order id.
    pub id: String,
    /// What the shopper is doing.
    pub flow: Flow,
    /// The token scope, for flows that save Klarna.
    pub scope: Scope,
    /// A simulator scenario, when talking to the simulator.
    pub scenario: Option<String>,
    /// Whether to force the step-up (`step_up_config.mode = REQUIRED`).
    pub force_step_up: bool,
    /// The cart.
    pub lines: Vec<LineItem>,
    /// Total, minor units.
    pub amount: u64,
    /// ISO 4217.
    pub currency: String,
    /// Who is buying.
    pub customer_id: String,
    /// An interoperability token the Partner handed over, forwarded as-is.
    pub interoperability_token: Option<String>,
}

/// The demo shop's cart for a flow.
pub fn cart(flow: Flow) -> Vec<LineItem> {
    if !flow.has_purchase() {
        return Vec::new();
    }
    let line = |name: &str, reference: &str, quantity: u64, unit_price: u64| LineItem {
        name: name.to_owned(),
        quantity,
        unit_price,
        total_amount: quantity * unit_price,
        line_item_reference: Some(reference.to_owned()),
        subscription_reference: None,
    };
    vec![line("Trail running shoes", "sku-shoes-42", 1, 8900), line("Merino socks", "sku-socks-3", 2, 1450)]
}

/// What the Authorize call needs beyond the session.
pub struct Call<'a> {
    /// Where the journey returns the shopper.
    pub return_url: &'a str,
    /// The payment option the shopper picked in Klarna's SDK.
    pub payment_option_id: Option<String>,
    /// Whether Klarna is the simulator (scenario words are only sent to it).
    pub simulator: bool,
}

/// The Authorize request of a session's flow.
pub fn authorize_request(session: &Session, call: &Call<'_>) -> AuthorizeRequest {
    let scenario = session.scenario.as_deref().filter(|_| call.simulator);
    let mut purchase_reference = format!("order {}", session.id);
    if let Some(word) = scenario {
        purchase_reference.push_str(" sim:");
        purchase_reference.push_str(word);
    }
    let payment = session.flow.has_purchase().then(|| RequestPaymentTransaction {
        amount: session.amount,
        payment_transaction_reference: Some(session.id.clone()),
        capture: None,
        payment_option_id: call.payment_option_id.clone(),
    });
    let saves_token = matches!(session.flow, Flow::TokenOnly | Flow::TokenWithPurchase);
    let token = saves_token.then(|| RequestCustomerToken {
        scopes: vec![session.scope.klarna()],
        customer_token_reference: Some(session.customer_id.clone()),
    });
    let mut data = SupplementaryPurchaseData {
        purchase_reference: Some(purchase_reference),
        line_items: session.lines.clone(),
        ..SupplementaryPurchaseData::default()
    };
    if saves_token {
        match session.scope {
            Scope::CustomerPresent => {
                data.ondemand_service = Some(OndemandService {
                    average_amount: Some(2500),
                    minimum_amount: Some(500),
                    maximum_amount: Some(20_000),
                    purchase_interval: Some(Interval::Month),
                    purchase_interval_frequency: Some(1),
                })
            }
            Scope::CustomerNotPresent => {
                data.subscriptions = vec![Subscription {
                    subscription_reference: format!("sub-{}", session.customer_id),
                    name: "Coffee club".to_owned(),
                    free_trial: false,
                    billing_plans: vec![BillingPlan {
                        billing_amount: 1500,
                        currency: session.currency.clone(),
                        from: None,
                        interval: Interval::Month,
                        interval_frequency: 1,
                    }],
                }]
            }
        }
    }
    AuthorizeRequest {
        currency: session.currency.clone(),
        request_payment_transaction: payment,
        request_customer_token: token,
        step_up_config: Some(StepUpConfig {
            payment_request_reference: Some(session.id.clone()),
            mode: session.force_step_up.then_some(StepUpMode::Required),
            customer_interaction_config: CustomerInteractionConfig {
                method: InteractionMethod::Sdk,
                return_url: Some(call.return_url.to_owned()),
                app_return_url: None,
            },
        }),
        supplementary_purchase_data: Some(data),
    }
}

/// What makes two attempts "the same": a declined one is not replayed unless this changes.
pub fn attempt_fingerprint(session: &Session, payment_option_id: Option<&str>) -> String {
    let mut hash = Sha256::new();
    hash.update(session.flow.as_str());
    hash.update([0]);
    hash.update(session.amount.to_le_bytes());
    hash.update(session.currency.as_bytes());
    for line in &session.lines {
        hash.update(line.name.as_bytes());
        hash.update(line.quantity.to_le_bytes());
        hash.update(line.unit_price.to_le_bytes());
    }
    hash.update([0]);
    hash.update(payment_option_id.unwrap_or("").as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(flow: Flow, scope: Scope) -> Session {
        let lines = cart(flow);
        Session {
            id: "s-1".into(),
            flow,
            scope,
            scenario: Some("decline".into()),
            force_step_up: false,
            amount: lines.iter().map(|l| l.total_amount).sum(),
            lines,
            currency: CURRENCY.into(),
            customer_id: "shopper-1".into(),
            interoperability_token: None,
        }
    }

    fn call(simulator: bool) -> Call<'static> {
        Call { return_url: "http://127.0.0.1:1/order/s-1/return", payment_option_id: Some("opt".into()), simulator }
    }

    #[test]
    fn each_flow_asks_for_what_it_needs() {
        let one = authorize_request(&session(Flow::OneTime, Scope::CustomerPresent), &call(true));
        assert_eq!(one.request_payment_transaction.as_ref().unwrap().amount, 11800);
        assert!(one.request_customer_token.is_none());
        let data = one.supplementary_purchase_data.unwrap();
        assert_eq!(data.purchase_reference.as_deref(), Some("order s-1 sim:decline"));
        assert_eq!(data.line_items.iter().map(|l| l.total_amount).sum::<u64>(), 11800);

        let token = authorize_request(&session(Flow::TokenOnly, Scope::CustomerPresent), &call(true));
        assert!(token.request_payment_transaction.is_none());
        assert_eq!(token.request_customer_token.unwrap().scopes, [TokenScope::CustomerPresent]);
        assert!(token.supplementary_purchase_data.unwrap().ondemand_service.is_some());

        let subscription = authorize_request(&session(Flow::TokenOnly, Scope::CustomerNotPresent), &call(true));
        assert_eq!(subscription.supplementary_purchase_data.unwrap().subscriptions.len(), 1);

        let both = authorize_request(&session(Flow::TokenWithPurchase, Scope::CustomerPresent), &call(true));
        assert!(both.request_payment_transaction.is_some() && both.request_customer_token.is_some());

        let charge = authorize_request(&session(Flow::TokenCharge, Scope::CustomerPresent), &call(true));
        assert!(charge.request_customer_token.is_none() && charge.step_up_config.is_some());
    }

    #[test]
    fn scenario_words_go_only_to_the_simulator() {
        let request = authorize_request(&session(Flow::OneTime, Scope::CustomerPresent), &call(false));
        assert_eq!(request.supplementary_purchase_data.unwrap().purchase_reference.as_deref(), Some("order s-1"));
    }

    #[test]
    fn forcing_the_step_up_sets_mode_required() {
        let mut forced = session(Flow::TokenCharge, Scope::CustomerPresent);
        forced.force_step_up = true;
        assert_eq!(authorize_request(&forced, &call(true)).step_up_config.unwrap().mode, Some(StepUpMode::Required));
    }

    #[test]
    fn the_fingerprint_changes_with_the_cart_or_the_option() {
        let s = session(Flow::OneTime, Scope::CustomerPresent);
        let mut other = s.clone();
        other.amount += 1;
        assert_eq!(attempt_fingerprint(&s, Some("a")), attempt_fingerprint(&s, Some("a")));
        assert_ne!(attempt_fingerprint(&s, Some("a")), attempt_fingerprint(&s, Some("b")));
        assert_ne!(attempt_fingerprint(&s, Some("a")), attempt_fingerprint(&other, Some("a")));
    }
}
