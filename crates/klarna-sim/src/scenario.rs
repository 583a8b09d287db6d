//! Scenarios (spec A3): a `sim:<scenario>` word in a reference of the request, the queue of
//! `/_sim/outcomes` (for every account or for one), or an account's standing scenario picks
//! what an Authorize call does; with none the simulator behaves as Klarna's documentation
//! describes. Words combine with `+`: `sim:approve+lost_500+repeat_429`.

use std::fmt;
use std::str::FromStr;

use klarna_api::AuthorizationResult::{self, Approved, Declined, StepUpRequired};
use klarna_api::AuthorizeRequest;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest `slow:<ms>` delay, so a word cannot hold a request for hours.
pub const MAX_SLOW_MS: u64 = 120_000;

/// What an Authorize call does: each part is optional, at most one of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scenario {
    /// The results of the requested parts (`approve`, `step_up`, `decline`, and the mixed
    /// rows such as `pay_approved_token_step_up`); `None`: the documented defaults.
    pub results: Option<(AuthorizationResult, AuthorizationResult)>,
    /// `slow:<ms>`: wait this long first.
    pub delay_ms: Option<u64>,
    /// A failure in front of Klarna: nothing happens, nothing is kept for the idempotency key.
    pub fault: Option<Fault>,
    /// Klarna acts and keeps its reply for the key, then the reply is lost.
    pub lost: Option<Lost>,
    /// `repeat_429`: Klarna acts; the first repeat under the same key is answered 429.
    pub repeat_429: bool,
}

/// Failures before Klarna acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `http_500`: 500 `INTERNAL_ERROR`.
    Http500,
    /// `timeout`: 500 `TIMEOUT`, Klarna's documented timeout reply.
    Timeout,
    /// `rate_limited`: 429 `RATE_LIMITED` with `Retry-After`.
    RateLimited,
    /// `malformed`: a 200 whose body is not JSON.
    Malformed,
}

/// How a reply is lost after Klarna acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// `lost_500`: answered 500 `INTERNAL_ERROR` instead.
    Http500,
    /// `lost_drop`: the connection drops before the reply is complete.
    Drop,
}

const RESULT_WORDS: [(&str, AuthorizationResult); 3] =
    [("approved", Approved), ("step_up", StepUpRequired), ("declined", Declined)];
const FAULT_WORDS: [(&str, Fault); 4] = [
    ("http_500", Fault::Http500),
    ("timeout", Fault::Timeout),
    ("rate_limited", Fault::RateLimited),
    ("malformed", Fault::Malformed),
];
const LOST_WORDS: [(&str, Lost); 2] = [("lost_500", Lost::Http500), ("lost_drop", Lost::Drop)];

fn result_word(result: AuthorizationResult) -> &'static str {
    RESULT_WORDS.iter().find(|(_, r)| *r == result).map_or("unknown", |(word, _)| word)
}

fn results(word: &str) -> Option<(AuthorizationResult, AuthorizationResult)> {
    match word {
        "approve" => return Some((Approved, Approved)),
        "step_up" => return Some((StepUpRequired, StepUpRequired)),
        "decline" => return Some((Declined, Declined)),
        _ => {}
    }
    let rest = word.strip_prefix("pay_")?;
    RESULT_WORDS.iter().find_map(|(p_word, payment)| {
        let token_word = rest.strip_prefix(p_word)?.strip_prefix("_token_")?;
        let (_, token) = RESULT_WORDS.iter().find(|(t_word, _)| *t_word == token_word)?;
        Some((*payment, *token))
    })
}

fn set<T>(slot: &mut Option<T>, value: T, word: &str) -> Result<(), String> {
    if slot.replace(value).is_some() {
        return Err(format!("{word:?} repeats a kind of scenario already named"));
    }
    Ok(())
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, String> {
        let mut scenario = Self::default();
        for word in words.split('+') {
            if let Some(pair) = results(word) {
                set(&mut scenario.results, pair, word)?;
            } else if let Some((_, fault)) = FAULT_WORDS.iter().find(|(w, _)| *w == word) {
                set(&mut scenario.fault, *fault, word)?;
            } else if let Some((_, lost)) = LOST_WORDS.iter().find(|(w, _)| *w == word) {
                set(&mut scenario.lost, *lost, word)?;
            } else if word == "repeat_429" {
                if scenario.repeat_429 {
                    return Err("repeat_429 is named twice".to_owned());
                }
                scenario.repeat_429 = true;
            } else if let Some(ms) = word.strip_prefix("slow:") {
                let ms = ms
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms <= MAX_SLOW_MS)
                    .ok_or_else(|| format!("slow:<ms> needs a whole number of milliseconds up to {MAX_SLOW_MS}"))?;
                set(&mut scenario.delay_ms, ms, word)?;
            } else {
                return Err(format!("unknown simulator scenario {word:?}"));
            }
        }
        if scenario.fault.is_some() && (scenario.results.is_some() || scenario.lost.is_some() || scenario.repeat_429) {
            return Err(format!("{words:?}: a failure before Klarna acts cannot have results or lose a reply"));
        }
        Ok(scenario)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words: Vec<String> = Vec::new();
        match self.results {
            Some((payment, token)) if payment == token => words.push(
                match payment {
                    Approved => "approve",
                    StepUpRequired => "step_up",
                    _ => "decline",
                }
                .to_owned(),
            ),
            Some((payment, token)) => words.push(format!("pay_{}_token_{}", result_word(payment), result_word(token))),
            None => {}
        }
        if let Some(ms) = self.delay_ms {
            words.push(format!("slow:{ms}"));
        }
        if let Some(fault) = self.fault {
            words.extend(FAULT_WORDS.iter().filter(|(_, f)| *f == fault).map(|(w, _)| (*w).to_owned()));
        }
        if let Some(lost) = self.lost {
            words.extend(LOST_WORDS.iter().filter(|(_, l)| *l == lost).map(|(w, _)| (*w).to_owned()));
        }
        if self.repeat_429 {
            words.push("repeat_429".to_owned());
        }
        f.write_str(&words.join("+"))
    }
}

impl Serialize for Scenario {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The references of spec A3, where `sim:` words may stand.
fn references(request: &AuthorizeRequest) -> [Option<&str>; 4] {
    [
        request.supplementary_purchase_data.as_ref().and_then(|d| d.purchase_reference.as_deref()),
        request.request_payment_transaction.as_ref().and_then(|p| p.payment_transaction_reference.as_deref()),
        request.request_customer_token.as_ref().and_then(|t| t.customer_token_reference.as_deref()),
        request.step_up_config.as_ref().and_then(|s| s.payment_request_reference.as_deref()),
    ]
}

/// The word after `prefix` (such as `sim:`) in the first reference that has one.
pub fn word_in<'a>(request: &'a AuthorizeRequest, prefix: &str) -> Option<&'a str> {
    references(request).into_iter().flatten().find_map(|reference| {
        let mut rest = reference;
        // `sim:` must start a word, so `sim-dialect:` is not read as `sim:`.
        loop {
            let start = rest.find(prefix)?;
            let before = rest.get(..start)?;
            rest = rest.get(start + prefix.len()..)?;
            if before.is_empty() || before.ends_with(|c: char| c.is_whitespace() || c == ',' || c == ';') {
                return rest.split(|c: char| c.is_whitespace() || c == ',' || c == ';').next();
            }
        }
    })
}

/// The `sim:<scenario>` word of a request, if it names one.
pub fn named_in(request: &AuthorizeRequest) -> Option<Result<Scenario, String>> {
    word_in(request, "sim:").map(str::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_word_parses_and_prints_back() {
        for word in [
            "approve",
            "step_up",
            "decline",
            "pay_approved_token_step_up",
            "pay_step_up_token_approved",
            "pay_approved_token_declined",
            "pay_declined_token_approved",
            "pay_step_up_token_declined",
            "pay_declined_token_step_up",
            "http_500",
            "timeout",
            "rate_limited",
            "slow:250",
            "malformed",
            "lost_500",
            "lost_drop",
            "repeat_429",
            "approve+lost_500+repeat_429",
            "pay_approved_token_declined+slow:10+lost_drop",
            "slow:5+rate_limited",
        ] {
            let scenario: Scenario = word.parse().unwrap();
            assert_eq!(scenario.to_string(), word);
        }
        assert_eq!("pay_declined_token_step_up".parse::<Scenario>().unwrap().results, Some((Declined, StepUpRequired)));
        assert_eq!("lost_500+approve".parse::<Scenario>().unwrap().to_string(), "approve+lost_500");
    }

    #[test]
    fn unknown_and_contradictory_words_are_refused() {
        for word in [
            "approved",
            "pay_approved",
            "pay_maybe_token_approved",
            "slow:",
            "slow:x",
            "slow:120001",
            "",
            "approve+decline",
            "lost_500+lost_drop",
            "http_500+approve",
            "timeout+repeat_429",
            "repeat_429+repeat_429",
            "approve+",
        ] {
            assert!(word.parse::<Scenario>().is_err(), "{word}");
        }
    }

    #[test]
    fn words_start_a_word_of_the_reference() {
        let request: AuthorizeRequest = serde_json::from_value(serde_json::json!({
            "currency": "USD",
            "request_payment_transaction": {"amount": 1, "payment_transaction_reference": "order sim-dialect:legacy, sim:decline"}
        }))
        .unwrap();
        assert_eq!(word_in(&request, "sim:"), Some("decline"));
        assert_eq!(word_in(&request, "sim-dialect:"), Some("legacy"));
        assert_eq!(word_in(&request, "dialect:"), None);
    }
}
