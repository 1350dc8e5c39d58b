//! Who is calling: the [`Principal`] extractor (bearer token or session
//! cookie), CSRF protection for cookie requests, and the checks handlers
//! make before touching data.

use super::session::{CSRF_HEADER, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::permissions::{Access, Resource, allowed};
use crate::roles::Role;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use pbx_store::{TenantId, UserId};

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `Authorization: Bearer <api token>`.
    Bearer,
    /// The session cookie set by `POST /auth/login`.
    Session,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user_id: UserId,
    /// Their tenant; `None` for a superadmin.
    pub tenant_id: Option<TenantId>,
    /// Their role.
    pub role: Role,
    /// How they authenticated.
    pub method: AuthMethod,
}

impl Principal {
    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user_id)
    }

    /// Refuse unless the role may `access` `resource`.
    pub fn require(&self, resource: Resource, access: Access) -> ApiResult<()> {
        if allowed(self.role, resource, access) {
            Ok(())
        } else {
            let verb = match access {
                Access::Read => "read",
                Access::Write => "change",
            };
            Err(ApiError::forbidden(format!(
                "your role ({:?}) may not {verb} {resource:?}; ask a tenant admin for a role that can",
                self.role
            )))
        }
    }

    /// The tenant a request may act on: its own, or any for a superadmin.
    /// Another tenant's id answers 404, exactly like an id that does not
    /// exist, so tenant ids cannot be probed.
    pub fn scope(&self, tenant: TenantId) -> ApiResult<TenantId> {
        match (self.role, self.tenant_id) {
            (Role::Superadmin, _) => Ok(tenant),
            (_, Some(own)) if own == tenant => Ok(tenant),
            _ => Err(ApiError::not_found("tenant")),
        }
    }

    /// [`scope`](Self::scope) and [`require`](Self::require) together, in
    /// that order (a foreign tenant is a 404 whatever the role).
    pub fn authorize(
        &self,
        tenant: TenantId,
        resource: Resource,
        access: Access,
    ) -> ApiResult<TenantId> {
        let t = self.scope(tenant)?;
        self.require(resource, access)?;
        Ok(t)
    }
}

/// The value of cookie `name` in the request, if any.
pub(crate) fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_value(&parts.headers, name)
}

/// The value of cookie `name` in `headers`, if any.
pub(crate) fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(parts: &Parts) -> Option<Result<&str, ApiError>> {
    let value = parts.headers.get(AUTHORIZATION)?;
    let Ok(value) = value.to_str() else {
        return Some(Err(ApiError::unauthorized(
            "the Authorization header is not valid text: send `Authorization: Bearer <token>`",
        )));
    };
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Some(Ok(token.trim()))
        }
        _ => Some(Err(ApiError::unauthorized(
            "only bearer tokens are accepted: send `Authorization: Bearer <token>`",
        ))),
    }
}

fn is_safe(parts: &Parts) -> bool {
    use axum::http::Method;
    matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = bearer(parts) {
            let token = token?;
            let user = state.user_for_token(token).await?.ok_or_else(|| {
                ApiError::unauthorized(
                    "the bearer token is unknown, revoked or expired: create a new one or sign in",
                )
            })?;
            return Ok(Principal {
                user_id: user.id,
                tenant_id: user.spec.tenant_id,
                role: user.spec.role,
                method: AuthMethod::Bearer,
            });
        }
        let Some(id) = cookie(parts, SESSION_COOKIE) else {
            return Err(ApiError::unauthorized(
                "sign in first: POST /api/v1/auth/login, or send `Authorization: Bearer <token>`",
            ));
        };
        let session = state.sessions.get(id).ok_or_else(|| {
            ApiError::unauthorized(
                "your session has ended: sign in again with POST /api/v1/auth/login",
            )
        })?;
        if !is_safe(parts) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(ApiError::new(
                    ErrorCode::CsrfRequired,
                    "changes made with a session cookie need the `X-CSRF-Token` header set to the csrf_token returned by login",
                ));
            }
        }
        Ok(Principal {
            user_id: session.user_id,
            tenant_id: session.tenant_id,
            role: session.role,
            method: AuthMethod::Session,
        })
    }
}

/// Compare secrets without an early exit that would leak their prefix.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn foreign_tenant_is_not_found_even_for_a_role_that_may_not_read() {
        let a = TenantId::new();
        let b = TenantId::new();
        let p = Principal {
            user_id: UserId::new(),
            tenant_id: Some(a),
            role: Role::Accounting,
            method: AuthMethod::Bearer,
        };
        assert_eq!(p.scope(a).unwrap(), a);
        let e = p
            .authorize(b, Resource::Extensions, Access::Read)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let e = p
            .authorize(a, Resource::Extensions, Access::Read)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
    }
}
