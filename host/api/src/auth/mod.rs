//! Authentication: sessions, bearer tokens and the request's principal.

pub mod principal;
pub mod session;

pub use principal::{AuthMethod, Principal};
pub use session::{CSRF_HEADER, SESSION_COOKIE, Session, Sessions};
