//! Scenarios (spec A3): a `sim:<scenario>` word in a reference of the request, or a queue set
//! through `/_sim/outcomes`, picks the outcome; without either the simulator behaves as
//! Klarna's documentation describes.

use std::fmt;
use std::str::FromStr;

use klarna_api::AuthorizationResult::{self, Approved, Declined, StepUpRequired};
use klarna_api::AuthorizeRequest;
use serde::{Serialize, Serializer};

/// What the next authorization does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Every requested part with these results (`approve`, `step_up`, `decline`, and the
    /// mixed rows such as `pay_approved_token_step_up`).
    Results {
        /// The payment part's result.
        payment: AuthorizationResult,
        /// The token part's result.
        token: AuthorizationResult,
    },
    /// 500 `INTERNAL_ERROR`.
    Http500,
    /// 500 `TIMEOUT`.
    Timeout,
    /// 429 `RATE_LIMITED`.
    RateLimited,
    /// Wait this many milliseconds, then behave as the documentation describes.
    Slow(u64),
    /// A 200 reply whose body is not JSON.
    Malformed,
}

const RESULT_WORDS: [(&str, AuthorizationResult); 3] =
    [("approved", Approved), ("step_up", StepUpRequired), ("declined", Declined)];

fn result_word(result: AuthorizationResult) -> &'static str {
    RESULT_WORDS.iter().find(|(_, r)| *r == result).map_or("unknown", |(word, _)| word)
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(word: &str) -> Result<Self, String> {
        let both = |result| Self::Results { payment: result, token: result };
        Ok(match word {
            "approve" => both(Approved),
            "step_up" => both(StepUpRequired),
            "decline" => both(Declined),
            "http_500" => Self::Http500,
            "timeout" => Self::Timeout,
            "rate_limited" => Self::RateLimited,
            "malformed" => Self::Malformed,
            _ => {
                if let Some(ms) = word.strip_prefix("slow:") {
                    let ms = ms
                        .parse()
                        .map_err(|_| format!("slow:<ms> needs a whole number of milliseconds, not {ms:?}"))?;
                    return Ok(Self::Slow(ms));
                }
                let mixed = word.strip_prefix("pay_").and_then(|rest| {
                    RESULT_WORDS.iter().find_map(|(p_word, payment)| {
                        let token_word = rest.strip_prefix(p_word)?.strip_prefix("_token_")?;
                        let (_, token) = RESULT_WORDS.iter().find(|(t_word, _)| *t_word == token_word)?;
                        Some(Self::Results { payment: *payment, token: *token })
                    })
                });
                return mixed.ok_or_else(|| format!("unknown simulator scenario {word:?}"));
            }
        })
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Results { payment, token } if payment == token => f.write_str(match payment {
                Approved => "approve",
                StepUpRequired => "step_up",
                _ => "decline",
            }),
            Self::Results { payment, token } => write!(f, "pay_{}_token_{}", result_word(payment), result_word(token)),
            Self::Http500 => f.write_str("http_500"),
            Self::Timeout => f.write_str("timeout"),
            Self::RateLimited => f.write_str("rate_limited"),
            Self::Slow(ms) => write!(f, "slow:{ms}"),
            Self::Malformed => f.write_str("malformed"),
        }
    }
}

impl Serialize for Scenario {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The `sim:<scenario>` word of a request, looked for in the references of spec A3.
pub fn named_in(request: &AuthorizeRequest) -> Option<Result<Scenario, String>> {
    let references = [
        request.supplementary_purchase_data.as_ref().and_then(|d| d.purchase_reference.as_deref()),
        request.request_payment_transaction.as_ref().and_then(|p| p.payment_transaction_reference.as_deref()),
        request.request_customer_token.as_ref().and_then(|t| t.customer_token_reference.as_deref()),
        request.step_up_config.as_ref().and_then(|s| s.payment_request_reference.as_deref()),
    ];
    references.into_iter().flatten().find_map(|reference| {
        let start = reference.find("sim:")? + "sim:".len();
        let word = reference.get(start..)?.split(|c: char| c.is_whitespace() || c == ',' || c == ';').next()?;
        Some(word.parse())
    })
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
        ] {
            let scenario: Scenario = word.parse().unwrap();
            assert_eq!(scenario.to_string(), word);
        }
        assert_eq!(
            "pay_declined_token_step_up".parse::<Scenario>(),
            Ok(Scenario::Results { payment: Declined, token: StepUpRequired })
        );
    }

    #[test]
    fn unknown_words_are_refused() {
        for word in ["approved", "pay_approved", "pay_maybe_token_approved", "slow:", "slow:x", ""] {
            assert!(word.parse::<Scenario>().is_err(), "{word}");
        }
    }
}
