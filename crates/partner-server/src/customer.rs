//! Who the shopper is: a customer id per browser, kept in an HttpOnly, SameSite=Lax cookie
//! that the server signs (Secure when the shop is served over https). Tokens belong to a
//! customer and only that customer may charge them or read its orders.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, Key, SameSite, SignedCookieJar};
use sha2::{Digest, Sha512};

/// The cookie's name.
pub const COOKIE: &str = "kpb_customer";

/// The shopper behind a request (set by [`identify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer(pub String);

/// Signs and checks the customer cookie.
#[derive(Clone)]
pub struct Identity {
    key: Key,
    secure: bool,
}

impl Identity {
    /// An identity keyed by `secret` (at least 32 characters, the same on every instance);
    /// `secure` marks the cookie for https only.
    pub fn new(secret: &str, secure: bool) -> Self {
        let digest = Sha512::digest(secret.as_bytes());
        let key = Key::try_from(digest.as_slice()).unwrap_or_else(|_| Key::generate());
        Self { key, secure }
    }
}

fn valid_id(id: &str) -> bool {
    id.len() == 36 && uuid::Uuid::parse_str(id).is_ok()
}

/// Middleware: finds the customer in the signed cookie, or makes a new one and sets the
/// cookie on the response. A forged or altered cookie is ignored: its bearer is a new customer.
pub async fn identify(State(identity): State<Arc<Identity>>, mut request: Request, next: Next) -> Response {
    let jar = SignedCookieJar::from_headers(request.headers(), identity.key.clone());
    let known = jar.get(COOKIE).map(|cookie| cookie.value().to_owned()).filter(|id| valid_id(id));
    let fresh = known.is_none();
    let id = known.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    request.extensions_mut().insert(Customer(id.clone()));
    let response = next.run(request).await;
    if !fresh {
        return response;
    }
    let cookie = Cookie::build((COOKIE, id))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(identity.secure)
        .path("/")
        .max_age(time::Duration::days(365))
        .build();
    (jar.add(cookie), response).into_response()
}
