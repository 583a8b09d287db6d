//! The HTTP routes, one file per concern.

pub mod authorize;
pub mod operator;
pub mod orders;
pub mod pages;
pub mod sessions;
pub mod webhooks;
