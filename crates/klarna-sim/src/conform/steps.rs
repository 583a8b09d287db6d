//! What the kit does, step by step, and the checks on what it saw. Every Authorize call the
//! backend makes while a step runs is filed under that step's checkout (its "attempt group");
//! the checks on idempotency keys, session tokens and amounts read those groups at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use klarna_api::AuthorizationResult::{self, Approved, Declined, StepUpRequired};
use klarna_api::{AuthorizeResponse, OutcomeKind};
use serde_json::{json, Value};

use super::browser::{Browser, Checkout, Reply};
use super::report::Report;
use super::sim::{Delivered, SimClient};
use super::Options;

/// How long the kit watches for calls a webhook might set off.
const SETTLE: Duration = Duration::from_millis(1000);
/// How often it looks at the simulator's state while it waits.
const POLL: Duration = Duration::from_millis(100);

/// Each cell of the outcome table (spec A1): the flow, the scenario word, P and T.
const ROWS: [(&str, &str, Option<AuthorizationResult>, Option<AuthorizationResult>); 15] = [
    ("one_time", "approve", Some(Approved), None),
    ("one_time", "step_up", Some(StepUpRequired), None),
    ("one_time", "decline", Some(Declined), None),
    ("token_only", "approve", None, Some(Approved)),
    ("token_only", "step_up", None, Some(StepUpRequired)),
    ("token_only", "decline", None, Some(Declined)),
    ("token_with_purchase", "pay_approved_token_approved", Some(Approved), Some(Approved)),
    ("token_with_purchase", "pay_approved_token_step_up", Some(Approved), Some(StepUpRequired)),
    ("token_with_purchase", "pay_approved_token_declined", Some(Approved), Some(Declined)),
    ("token_with_purchase", "pay_step_up_token_approved", Some(StepUpRequired), Some(Approved)),
    ("token_with_purchase", "pay_step_up_token_step_up", Some(StepUpRequired), Some(StepUpRequired)),
    ("token_with_purchase", "pay_step_up_token_declined", Some(StepUpRequired), Some(Declined)),
    ("token_with_purchase", "pay_declined_token_approved", Some(Declined), Some(Approved)),
    ("token_with_purchase", "pay_declined_token_step_up", Some(Declined), Some(StepUpRequired)),
    ("token_with_purchase", "pay_declined_token_declined", Some(Declined), Some(Declined)),
];

const FIX_OUTCOME: &str = "answer a click 2xx with Klarna's Authorize reply as Klarna sent it (snake_case, both results unchanged, the payment_request of a step-up kept), minus its secrets";
const FIX_KEY_PRESENT: &str = "send a Klarna-Idempotency-Key on every Authorize call";
const FIX_KEY_DISTINCT: &str =
    "derive the Klarna-Idempotency-Key from the attempt (checkout and attempt number, or the payment request for a final authorization), never reuse one across checkouts";
const FIX_TOKEN: &str =
    "send the click's klarna_network_session_token to Klarna as the Klarna-Network-Session-Token header";
const FIX_AMOUNT: &str =
    "take the amount and currency from your server's record of the checkout and ignore any amount the browser sends";
const FIX_CUSTOMER_TOKEN: &str =
    "remove customer_token_response.customer_token (and the tokens in payment_request.state_context) before answering the browser";
const FIX_SESSION_TOKEN: &str =
    "never show the browser the network session token of a completed payment request (webhook, payment request read, return URL)";

fn name_of(result: Option<AuthorizationResult>) -> &'static str {
    result.map_or("absent", AuthorizationResult::as_str)
}

/// The Authorize calls made for one attempt (a checkout's clicks, or one final authorization).
struct Group {
    label: String,
    amount: u64,
    currency: String,
    /// The SDK token the clicks sent; `None` for a final authorization.
    session_token: Option<String>,
    calls: Vec<Value>,
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

fn processed(calls: &[Value]) -> usize {
    calls.iter().filter(|c| text(c, &["handling"]) == Some("processed")).count()
}

fn key_of(call: &Value) -> Option<&str> {
    text(call, &["idempotency_key"]).filter(|k| !k.is_empty())
}

/// The reply as an Authorize reply, if it is one.
fn authorize_reply(reply: &Reply) -> Option<AuthorizeResponse> {
    reply.json.clone().and_then(|json| serde_json::from_value(json).ok())
}

/// The kit: the browser, the simulator, and the calls seen so far.
pub struct Kit {
    browser: Browser,
    sim: SimClient,
    options: Options,
    groups: Vec<Group>,
    /// Webhook events that existed before the run.
    old_events: BTreeSet<String>,
    /// A payment request left SUBMITTED by the outcome rows: the forged webhook names it.
    submitted: Option<String>,
}

impl Kit {
    /// Reaches the simulator; fails when it cannot.
    pub async fn new(options: &Options) -> Result<Self, String> {
        let sim = SimClient::new(&options.sim_api, &options.sim)?;
        let state = sim.state().await?;
        let old_events = state
            .get("events")
            .and_then(Value::as_array)
            .map(|events| events.iter().filter_map(|e| text(e, &["event_id"]).map(str::to_owned)).collect())
            .unwrap_or_default();
        sim.session_token().await?;
        let browser = Browser::new(&options.start, &options.authorize, &options.headers)?;
        Ok(Self { browser, sim, options: options.clone(), groups: Vec::new(), old_events, submitted: None })
    }

    /// Every step, then the checks on what was sent.
    pub async fn run(mut self, report: &mut Report, wait: Duration) {
        self.outcome_rows(report).await;
        self.retry(report).await;
        self.double_click(report).await;
        self.decline_replay(report).await;
        self.browser_amount(report).await;
        self.step_up(report, wait).await;
        self.klarna_checks(report);
        self.browser_checks(report).await;
        let _ = self.sim.queue(&[]).await;
    }

    async fn counter(&self) -> Result<u64, String> {
        let state = self.sim.state().await?;
        Ok(state.get("authorize_calls").and_then(Value::as_u64).unwrap_or(0))
    }

    /// The Authorize calls made since the counter stood at `before`.
    async fn calls_since(&self, before: u64) -> Result<Vec<Value>, String> {
        let state = self.sim.state().await?;
        let now = state.get("authorize_calls").and_then(Value::as_u64).unwrap_or(0);
        let calls = state.get("calls").and_then(Value::as_array).cloned().unwrap_or_default();
        let new = usize::try_from(now.saturating_sub(before)).unwrap_or(usize::MAX).min(calls.len());
        let skip = calls.len().saturating_sub(new);
        Ok(calls.into_iter().skip(skip).collect())
    }

    fn group(&mut self, label: String, checkout: &Checkout, session_token: Option<String>) -> usize {
        self.groups.push(Group {
            label,
            amount: checkout.amount,
            currency: checkout.currency.clone(),
            session_token,
            calls: Vec::new(),
        });
        self.groups.len().saturating_sub(1)
    }

    fn file(&mut self, group: usize, calls: &[Value]) {
        if let Some(group) = self.groups.get_mut(group) {
            group.calls.extend_from_slice(calls);
        }
    }

    /// Starts a checkout of `flow` with `scenarios` queued, and gets the SDK's token.
    async fn prepare(&self, flow: &'static str, scenarios: &[&str]) -> Result<Option<(Checkout, String)>, String> {
        let Ok(checkout) = self.browser.start(flow).await? else { return Ok(None) };
        self.sim.queue(scenarios).await?;
        let token = self.sim.session_token().await?;
        Ok(Some((checkout, token)))
    }

    /// One click, its calls filed under `group`; the reply and those calls.
    async fn click(
        &mut self,
        group: usize,
        checkout: &Checkout,
        token: &str,
        key: &str,
        extra: Option<&Value>,
    ) -> Result<(Reply, Vec<Value>), String> {
        let before = self.counter().await?;
        let reply = self.browser.click(checkout, token, key, extra).await;
        let calls = self.calls_since(before).await?;
        self.file(group, &calls);
        Ok((reply, calls))
    }

    async fn outcome_rows(&mut self, report: &mut Report) {
        for (flow, word, payment, token) in ROWS {
            let name = format!("outcome P={} T={} ({flow}, sim:{word})", name_of(payment), name_of(token));
            let result = self.outcome_row(flow, word, payment, token).await;
            match result {
                Ok(None) => report.skip(&name, &format!("the --start adapter does not offer the flow {flow}")),
                Ok(Some(Ok(()))) => report.pass(&name),
                Ok(Some(Err(seen))) | Err(seen) => report.fail(&name, FIX_OUTCOME, &seen),
            }
        }
    }

    async fn outcome_row(
        &mut self,
        flow: &'static str,
        word: &str,
        payment: Option<AuthorizationResult>,
        token: Option<AuthorizationResult>,
    ) -> Result<Option<Result<(), String>>, String> {
        let Some((checkout, sdk_token)) = self.prepare(flow, &[word]).await? else { return Ok(None) };
        let group = self.group(format!("{flow} sim:{word}"), &checkout, Some(sdk_token.clone()));
        let key = uuid::Uuid::new_v4().to_string();
        let (reply, calls) = self.click(group, &checkout, &sdk_token, &key, None).await?;
        if calls.is_empty() {
            return Ok(Some(Err(format!("no Authorize call reached Klarna; the click got {}", reply.summary()))));
        }
        if !reply.ok() {
            return Ok(Some(Err(reply.summary())));
        }
        let Some(answer) = authorize_reply(&reply) else {
            return Ok(Some(Err("the 2xx reply is not an Authorize reply".to_owned())));
        };
        let (p, t) = (answer.payment_result(), answer.token_result());
        if (p, t) != (payment, token) {
            return Ok(Some(Err(format!("the reply says P={} T={}", name_of(p), name_of(t)))));
        }
        let kind = answer.outcome().map_err(|e| format!("invalid reply: {e:?}"))?;
        if kind.kind == OutcomeKind::StepUp {
            let id = answer.payment_request.as_ref().and_then(|r| r.id()).map(str::to_owned);
            match id {
                Some(id) if id.starts_with("krn:") => {
                    if flow == "one_time" {
                        self.submitted = Some(id);
                    }
                }
                _ => return Ok(Some(Err("a step-up reply without payment_request.payment_request_id".to_owned()))),
            }
        }
        Ok(Some(Ok(())))
    }

    async fn retry(&mut self, report: &mut Report) {
        let name = "retry under the same Idempotency-Key gets the same answer, no new Klarna attempt";
        let fix = "keep each reply under the browser's Idempotency-Key and answer a repeat with it; if you call Klarna again, use the attempt's Klarna-Idempotency-Key";
        let result = async {
            let Some((checkout, token)) = self.prepare("one_time", &["approve"]).await? else {
                return Err("the --start adapter does not offer one_time".to_owned());
            };
            let group = self.group("retry".to_owned(), &checkout, Some(token.clone()));
            let key = uuid::Uuid::new_v4().to_string();
            let (first, calls) = self.click(group, &checkout, &token, &key, None).await?;
            let (again, repeated) = self.click(group, &checkout, &token, &key, None).await?;
            let first_key = calls.first().ok_or("the first click made no Authorize call")?.get("idempotency_key");
            if let Some(other) = repeated.iter().map(|c| c.get("idempotency_key")).find(|k| *k != first_key) {
                let shown = |key: Option<&Value>| key.map_or("none".to_owned(), Value::to_string);
                return Err(format!(
                    "the retry called Klarna under the key {} (first: {})",
                    shown(other),
                    shown(first_key)
                ));
            }
            let results = |r: &Reply| {
                authorize_reply(r)
                    .map(|a| (a.payment_result(), a.token_result(), a.payment_transaction_id().map(str::to_owned)))
            };
            if !first.ok() || first.status != again.status || results(&first) != results(&again) {
                return Err(format!("first {}, retry {}", first.summary(), again.summary()));
            }
            Ok(())
        }
        .await;
        report.check(name, fix, result);
    }

    async fn double_click(&mut self, report: &mut Report) {
        let name = "double click makes one Klarna attempt";
        let fix = "serialize clicks per checkout: while an attempt is open, a second click waits for its answer or gets a 503, and never sends Klarna a new attempt";
        let result = async {
            let Some((checkout, token)) = self.prepare("one_time", &["approve+slow:1000"]).await? else {
                return Err("the --start adapter does not offer one_time".to_owned());
            };
            let group = self.group("double click".to_owned(), &checkout, Some(token.clone()));
            let before = self.counter().await?;
            let (one, two) = (uuid::Uuid::new_v4().to_string(), uuid::Uuid::new_v4().to_string());
            let (a, b) = tokio::join!(
                self.browser.click(&checkout, &token, &one, None),
                self.browser.click(&checkout, &token, &two, None)
            );
            let calls = self.calls_since(before).await?;
            self.file(group, &calls);
            match processed(&calls) {
                1 => Ok(()),
                n => Err(format!(
                    "Klarna processed {n} Authorize calls; the clicks got {} and {}",
                    a.summary(),
                    b.summary()
                )),
            }
        }
        .await;
        report.check(name, fix, result);
    }

    async fn decline_replay(&mut self, report: &mut Report) {
        let name = "declined checkout refuses a new click without calling Klarna";
        let fix = "record a declined attempt and answer a new click on the unchanged checkout with a 4xx, without a new Authorize call";
        let result = async {
            let Some((checkout, token)) = self.prepare("one_time", &["decline"]).await? else {
                return Err("the --start adapter does not offer one_time".to_owned());
            };
            let group = self.group("decline".to_owned(), &checkout, Some(token.clone()));
            let (first, _) = self.click(group, &checkout, &token, &uuid::Uuid::new_v4().to_string(), None).await?;
            if authorize_reply(&first).and_then(|a| a.payment_result()) != Some(Declined) {
                return Err(format!("the first click was not declined: {}", first.summary()));
            }
            self.sim.queue(&[]).await?;
            let (again, calls) = self.click(group, &checkout, &token, &uuid::Uuid::new_v4().to_string(), None).await?;
            let n = processed(&calls);
            let went_on =
                authorize_reply(&again).and_then(|a| a.outcome().ok()).is_some_and(|o| o.kind != OutcomeKind::Decline);
            if n > 0 || (again.ok() && went_on) {
                return Err(format!(
                    "Klarna processed {n} new Authorize call(s); the new click got {}",
                    again.summary()
                ));
            }
            Ok(())
        }
        .await;
        report.check(name, fix, result);
    }

    /// A click whose body and context carry an amount of 1; the amount check reads its calls.
    async fn browser_amount(&mut self, report: &mut Report) {
        let result = async {
            let Some((mut checkout, token)) = self.prepare("one_time", &["approve"]).await? else {
                return Err("the --start adapter does not offer one_time".to_owned());
            };
            let group = self.group("browser amount".to_owned(), &checkout, Some(token.clone()));
            if let Some(context) = checkout.context.as_object_mut() {
                context.insert("amount".to_owned(), json!(1));
            }
            let extra = json!({ "amount": 1 });
            let (reply, calls) =
                self.click(group, &checkout, &token, &uuid::Uuid::new_v4().to_string(), Some(&extra)).await?;
            let has_amount = calls.iter().any(|c| c.pointer("/body/request_payment_transaction/amount").is_some());
            if !has_amount {
                return Err(format!(
                    "the click with a browser amount made no purchase call; it got {}",
                    reply.summary()
                ));
            }
            Ok(())
        }
        .await;
        if let Err(seen) = result {
            report.fail("amount from the server, not the browser", FIX_AMOUNT, &seen);
        }
    }

    async fn step_up(&mut self, report: &mut Report, wait: Duration) {
        const RETURN: &str = "step-up return URL on the backend's origin";
        const FINAL: &str = "one final authorization after the step-up, with the completed request's token";
        const ACKED: &str = "signed webhooks acknowledged";
        const REPLAY: &str = "replayed webhook acknowledged and acted on once";
        const FORGED: &str = "forged webhook refused and not acted on";
        let journey = match self.journey(report, RETURN, wait).await {
            Ok(journey) => journey,
            Err(seen) => {
                let missing: Vec<&str> =
                    [RETURN, FINAL, ACKED, REPLAY, FORGED].into_iter().filter(|name| !report.has(name)).collect();
                for name in missing {
                    report.fail(
                        name,
                        "let a one_time checkout step up and finish its journey (see the seen text)",
                        &seen,
                    );
                }
                return;
            }
        };
        report.check(
            FINAL,
            "after COMPLETED (webhook or returning shopper) read the request, then authorize once with its network session token in Klarna-Network-Session-Token, the same amount and currency, no step_up_config, under a Klarna-Idempotency-Key of its own",
            journey.final_check,
        );
        report.check(
            ACKED,
            "verify Klarna-Signature with the signing key named by Klarna-Signing-Key-Id and answer 200 at once",
            self.acknowledged(wait).await,
        );
        let replay = match &journey.completed {
            Some(delivered) => self.replay(delivered).await,
            None => {
                Err("no COMPLETED webhook was owed: start the simulator with --webhook-url <your webhook endpoint>"
                    .to_owned())
            }
        };
        report.check(REPLAY, "answer a repeated event_id 2xx and do nothing more for it", replay);
        let forged = match &journey.completed {
            Some(delivered) => self.forge(delivered).await,
            None => {
                Err("no COMPLETED webhook was owed: start the simulator with --webhook-url <your webhook endpoint>"
                    .to_owned())
            }
        };
        report.check(
            FORGED,
            "verify Klarna-Signature (HMAC-SHA256 of the raw body with the key named by Klarna-Signing-Key-Id) and answer 400 on a mismatch before reading the event",
            forged,
        );
    }

    /// A one_time checkout that steps up, its journey approved, the shopper back; checks
    /// the return URL on the way.
    async fn journey(&mut self, report: &mut Report, return_check: &str, wait: Duration) -> Result<Journey, String> {
        let Some((checkout, token)) = self.prepare("one_time", &["step_up"]).await? else {
            return Err("the --start adapter does not offer one_time".to_owned());
        };
        let group = self.group("step-up".to_owned(), &checkout, Some(token.clone()));
        self.sim.hold(true).await?;
        let journey = self.approve(group, &checkout, &token, report, return_check).await;
        let completed = self.sim.pending().await;
        self.sim.hold(false).await?;
        let (request_id, location, first_key, before) = journey?;
        let completed = completed?.into_iter().find(|d| {
            let body: Value = serde_json::from_str(&d.body).unwrap_or(Value::Null);
            text(&body, &["payload", "payment_request_id"]) == Some(request_id.as_str())
                && text(&body, &["metadata", "event_type"]).is_some_and(|t| t.ends_with(".completed"))
        });
        // The shopper comes back only to an origin of the backend's (checked above).
        if self.return_url_ok(Some(&location)).is_ok() {
            self.browser.come_back(&location).await?;
        }
        let completion = self.completion_token(&request_id).await?;
        let deadline = tokio::time::Instant::now() + wait;
        while tokio::time::Instant::now() < deadline {
            let calls = self.calls_since(before).await?;
            if calls.iter().any(|c| text(c, &["network_session_token"]) == Some(completion.as_str())) {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        tokio::time::sleep(SETTLE).await;
        let calls = self.calls_since(before).await?;
        let (finals, firsts): (Vec<Value>, Vec<Value>) =
            calls.into_iter().partition(|c| text(c, &["network_session_token"]) == Some(completion.as_str()));
        self.file(group, &firsts);
        let final_group = self.group(format!("final authorization of {request_id}"), &checkout, None);
        self.file(final_group, &finals);
        let final_check = final_authorization(&finals, &checkout, &first_key, wait);
        Ok(Journey { completed, final_check })
    }

    /// The click that steps up, the return URL check, the journey approved: the request's
    /// id, where Klarna sent the shopper, the first call's key, and the call counter after
    /// the click.
    async fn approve(
        &mut self,
        group: usize,
        checkout: &Checkout,
        token: &str,
        report: &mut Report,
        return_check: &str,
    ) -> Result<(String, String, String, u64), String> {
        let (reply, calls) = self.click(group, checkout, token, &uuid::Uuid::new_v4().to_string(), None).await?;
        let after_click = self.counter().await?;
        let request_id = authorize_reply(&reply)
            .and_then(|a| a.payment_request.and_then(|r| r.id().map(str::to_owned)))
            .ok_or_else(|| format!("the click did not step up: {}", reply.summary()))?;
        let first = calls.first().ok_or("the click made no Authorize call")?;
        let first_key = key_of(first).unwrap_or_default().to_owned();
        let return_url = text(first, &["body", "step_up_config", "customer_interaction_config", "return_url"]);
        report.check(
            return_check,
            "put a return_url on your backend's own origin in step_up_config.customer_interaction_config, without {klarna.payment_token}",
            self.return_url_ok(return_url),
        );
        let state = self.sim.state().await?;
        let url = state
            .get("requests")
            .and_then(|r| r.get(&request_id))
            .and_then(|r| text(r, &["request", "state_context", "customer_interaction", "payment_request_url"]))
            .ok_or_else(|| format!("the simulator has no journey for {request_id}"))?
            .to_owned();
        let location = self.sim.approve(&url).await?;
        Ok((request_id, location, first_key, after_click))
    }

    fn return_url_ok(&self, return_url: Option<&str>) -> Result<(), String> {
        let url =
            return_url.ok_or("the Authorize call had no step_up_config.customer_interaction_config.return_url")?;
        if url.contains("{klarna.payment_token}") {
            return Err(format!("{url} asks Klarna to put the payment token in the URL"));
        }
        let origin = |text: &str| url::Url::parse(text).ok().map(|u| u.origin().ascii_serialization());
        let allowed: Vec<String> = std::iter::once(&self.options.authorize)
            .chain(&self.options.return_origins)
            .filter_map(|u| origin(u))
            .collect();
        match origin(url) {
            Some(seen) if allowed.contains(&seen) => Ok(()),
            _ => Err(format!("{url} is not on {}", allowed.join(" or "))),
        }
    }

    /// The network session token the simulator issued when `request_id` completed.
    async fn completion_token(&self, request_id: &str) -> Result<String, String> {
        let state = self.sim.state().await?;
        let tokens = state.get("session_tokens").and_then(Value::as_object).cloned().unwrap_or_default();
        tokens
            .iter()
            .find(|(_, t)| text(t, &["payment_request_id"]) == Some(request_id))
            .map(|(token, _)| token.clone())
            .ok_or_else(|| format!("{request_id} did not complete in the simulator"))
    }

    /// Waits for the deliveries of the run's events; each must have been acknowledged.
    async fn acknowledged(&self, wait: Duration) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let deliveries = self.sim.deliveries().await?;
            let new = |list: &str| -> Vec<Value> {
                let items = deliveries.get(list).and_then(Value::as_array).cloned().unwrap_or_default();
                items
                    .into_iter()
                    .filter(|d| text(d, &["event_id"]).is_some_and(|id| !self.old_events.contains(id)))
                    .collect()
            };
            let (attempts, pending) = (new("deliveries"), new("pending"));
            if pending.is_empty() || tokio::time::Instant::now() >= deadline {
                if attempts.is_empty() && pending.is_empty() {
                    return Err(
                        "the simulator delivered no webhook: start it with --webhook-url <your webhook endpoint>"
                            .to_owned(),
                    );
                }
                let unacknowledged: BTreeMap<&str, String> = pending
                    .iter()
                    .filter_map(|p| text(p, &["event_id"]))
                    .map(|id| {
                        let last = attempts.iter().rev().find(|a| text(a, &["event_id"]) == Some(id));
                        let kind = last.and_then(|a| text(a, &["event_type"])).unwrap_or("event");
                        let status =
                            last.and_then(|a| a.get("status")).map_or("no answer".to_owned(), Value::to_string);
                        (id, format!("{kind} answered {status}"))
                    })
                    .collect();
                return match unacknowledged.is_empty() {
                    true => Ok(()),
                    false => Err(unacknowledged.into_values().collect::<Vec<_>>().join(", ")),
                };
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends `body` to the webhook target signed with `key`; its status and the Authorize
    /// calls made within [`SETTLE`].
    async fn send_webhook(&self, delivered: &Delivered, key: &str, body: &str) -> Result<(u16, Vec<Value>), String> {
        let before = self.counter().await?;
        let signature = klarna_api::webhook::sign_with(key.as_bytes(), body.as_bytes(), delivered.encoding);
        let status = self.sim.send_webhook(&delivered.url, &delivered.signing_key_id, &signature, body).await?;
        tokio::time::sleep(SETTLE).await;
        Ok((status, self.calls_since(before).await?))
    }

    async fn replay(&self, delivered: &Delivered) -> Result<(), String> {
        let (status, calls) = self.send_webhook(delivered, &self.options.signing_key, &delivered.body).await?;
        if !matches!(status, 200 | 201 | 202 | 204) {
            return Err(format!(
                "the repeated COMPLETED event got HTTP {status} (Klarna retries that for 12 hours; is --signing-key the simulator's?)"
            ));
        }
        match calls.len() {
            0 => Ok(()),
            n => Err(format!("the repeated COMPLETED event set off {n} Authorize call(s)")),
        }
    }

    /// A COMPLETED event for a request still SUBMITTED, with a made-up token, signed with a
    /// wrong key under the right key id.
    async fn forge(&self, delivered: &Delivered) -> Result<(), String> {
        let mut event: Value = serde_json::from_str(&delivered.body).map_err(|e| e.to_string())?;
        let target =
            self.submitted.clone().ok_or("no step-up of the outcome rows is left to forge a completion for")?;
        if let Some(metadata) = event.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.insert("event_id".to_owned(), json!(uuid::Uuid::new_v4().to_string()));
        }
        if let Some(payload) = event.get_mut("payload").and_then(Value::as_object_mut) {
            payload.insert("payment_request_id".to_owned(), json!(target));
            payload.insert(
                "state_context".to_owned(),
                json!({ "klarna_network_session_token": "krn:network:eu1:test:session-token:forged" }),
            );
        }
        let body = event.to_string();
        let key = format!("{}-not-the-key", self.options.signing_key);
        let (status, calls) = self.send_webhook(delivered, &key, &body).await?;
        if !(400..500).contains(&status) {
            return Err(format!("a COMPLETED event with a wrong signature got HTTP {status}"));
        }
        match calls.len() {
            0 => Ok(()),
            n => Err(format!("the forged event set off {n} Authorize call(s)")),
        }
    }

    /// What the backend sent Klarna, over every attempt of the run.
    fn klarna_checks(&self, report: &mut Report) {
        let all = || self.groups.iter().flat_map(|g| g.calls.iter().map(move |c| (g, c)));
        let missing = all().filter(|(_, c)| key_of(c).is_none()).count();
        let total = all().count();
        report.check(
            "Klarna-Idempotency-Key on every Authorize call",
            FIX_KEY_PRESENT,
            match (total, missing) {
                (0, _) => Err("no Authorize call was made".to_owned()),
                (_, 0) => Ok(()),
                (_, n) => Err(format!("{n} of {total} calls had none")),
            },
        );

        let mut users: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (group, call) in all() {
            if let Some(key) = key_of(call) {
                users.entry(key).or_default().insert(group.label.as_str());
            }
        }
        let shared: Vec<String> = users
            .iter()
            .filter(|(_, groups)| groups.len() > 1)
            .map(|(key, groups)| format!("{key} served {} attempts", groups.len()))
            .collect();
        report.check(
            "distinct Klarna-Idempotency-Key per attempt",
            FIX_KEY_DISTINCT,
            match (users.len(), shared.is_empty()) {
                (0, _) => Err("no call carried a key".to_owned()),
                (_, true) => Ok(()),
                (_, false) => Err(shared.join(", ")),
            },
        );

        let unforwarded = all()
            .filter(|(g, c)| g.session_token.as_deref().is_some_and(|t| text(c, &["network_session_token"]) != Some(t)))
            .count();
        report.check(
            "click's network session token forwarded to Klarna",
            FIX_TOKEN,
            match unforwarded {
                0 if total > 0 => Ok(()),
                0 => Err("no Authorize call was made".to_owned()),
                n => Err(format!("{n} call(s) did not carry the click's token")),
            },
        );

        let wrong: Vec<String> = all()
            .filter_map(|(g, c)| {
                let amount = c.pointer("/body/request_payment_transaction/amount")?.as_u64();
                let currency = text(c, &["body", "currency"]);
                (amount != Some(g.amount) || currency != Some(g.currency.as_str())).then(|| {
                    let amount = amount.map_or("no amount".to_owned(), |a| a.to_string());
                    let currency = currency.unwrap_or("no currency");
                    format!("{}: {amount} {currency} for a checkout of {} {}", g.label, g.amount, g.currency)
                })
            })
            .collect();
        let tampered = self.groups.iter().any(|g| g.label == "browser amount" && !g.calls.is_empty());
        report.check(
            "amount from the server, not the browser",
            FIX_AMOUNT,
            match (wrong.is_empty(), tampered) {
                (true, true) => Ok(()),
                (true, false) => Err("the click with a browser amount reached no Authorize call".to_owned()),
                (false, _) => Err(wrong.join("; ")),
            },
        );
    }

    /// What the backend showed the browser: no token the simulator issued as a secret.
    async fn browser_checks(&self, report: &mut Report) {
        let state = match self.sim.state().await {
            Ok(state) => state,
            Err(seen) => {
                report.fail("secrets kept from the browser", "keep the simulator running until the kit ends", &seen);
                return;
            }
        };
        let seen = self.browser.seen();
        let keys = |table: &str, completion_only: bool| -> Vec<String> {
            let entries = state.get(table).and_then(Value::as_object).cloned().unwrap_or_default();
            entries
                .into_iter()
                .filter(|(_, v)| !completion_only || text(v, &["payment_request_id"]).is_some())
                .map(|(k, _)| k)
                .collect()
        };
        for (name, fix, secrets, what) in [
            (
                "no customer token sent to the browser",
                FIX_CUSTOMER_TOKEN,
                keys("customer_tokens", false),
                "customer token",
            ),
            (
                "no network session token sent to the browser",
                FIX_SESSION_TOKEN,
                keys("session_tokens", true),
                "completion token",
            ),
        ] {
            if secrets.is_empty() {
                report.skip(name, &format!("no {what} was issued in this run"));
                continue;
            }
            let leaked = secrets.iter().filter(|s| seen.iter().any(|text| text.contains(s.as_str()))).count();
            report.check(
                name,
                fix,
                match leaked {
                    0 => Ok(()),
                    n => Err(format!("{n} of the {} {what}s issued reached the browser", secrets.len())),
                },
            );
        }
    }
}

/// What the step-up left for the later checks.
struct Journey {
    /// The COMPLETED webhook the simulator owed the backend, if it had a target.
    completed: Option<Delivered>,
    /// The final authorization check's result.
    final_check: Result<(), String>,
}

/// Exactly one processed final authorization, with the checkout's amount, no step-up, under
/// a key of its own.
fn final_authorization(finals: &[Value], checkout: &Checkout, first_key: &str, wait: Duration) -> Result<(), String> {
    let done: Vec<&Value> = finals.iter().filter(|c| text(c, &["handling"]) == Some("processed")).collect();
    let call = match done.as_slice() {
        [] => return Err(format!("no final authorization within {} ms", wait.as_millis())),
        [call] => *call,
        more => return Err(format!("{} final authorizations were processed", more.len())),
    };
    if call.get("status").and_then(Value::as_u64) != Some(200) {
        return Err(format!("Klarna answered the final authorization {}", call.get("status").unwrap_or(&Value::Null)));
    }
    let amount = call.pointer("/body/request_payment_transaction/amount").and_then(Value::as_u64);
    if amount != Some(checkout.amount) || text(call, &["body", "currency"]) != Some(checkout.currency.as_str()) {
        return Err(format!("amount {amount:?} where the checkout is {} {}", checkout.amount, checkout.currency));
    }
    if call.pointer("/body/step_up_config").is_some() {
        return Err("the final authorization carried step_up_config".to_owned());
    }
    if key_of(call).is_some_and(|k| k == first_key) {
        return Err("the final authorization reused the first call's Klarna-Idempotency-Key".to_owned());
    }
    Ok(())
}
