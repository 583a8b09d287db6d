//! What every HTTP listener of this project needs, in one place:
//!
//! - [`serve`]: HTTP/1.1 with a header read timeout (which also bounds an idle keep-alive
//!   connection), a request-body read timeout, a whole-request timeout, a maximum number of
//!   concurrent connections and graceful shutdown;
//! - [`AllowedHosts`]: refuses requests whose `Host` is not one of ours (DNS rebinding);
//! - [`security_headers`]: a Content-Security-Policy, `nosniff` and a referrer policy on every
//!   response that does not set its own;
//! - [`is_json_content_type`]: whether a request says it carries JSON.

mod headers;
mod hosts;
mod serve;

pub use headers::{is_json_content_type, security_headers};
pub use hosts::{AllowedHosts, InvalidHost};
pub use serve::{serve, Limits};
