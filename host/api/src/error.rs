//! The one error type of the API and its JSON shape.
//!
//! Every failure, including the ones axum's extractors produce, leaves the
//! server as `{"error": {"code": "...", "message": "...", "field": "..."}}`
//! with a stable `code` that clients can branch on and a `message` that
//! says what to fix. Nothing here panics on input, and no input yields a
//! 500: a 500 means a bug or an unreachable database, and its message says
//! so without leaking internals.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Stable, machine-readable error codes. Their spelling is part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No such resource in the caller's tenant (also for other tenants' ids).
    NotFound,
    /// A field is missing, of the wrong type or out of range.
    InvalidField,
    /// The body is not well-formed JSON.
    MalformedJson,
    /// The body is not of a content type the endpoint accepts.
    UnsupportedMediaType,
    /// The body is over the endpoint's size limit.
    PayloadTooLarge,
    /// The change clashes with existing data (duplicate number, resource in use).
    Conflict,
    /// A tenant limit (extensions, DIDs) would be exceeded.
    LimitReached,
    /// No valid credentials were presented.
    Unauthorized,
    /// The credentials are valid but the role does not allow this.
    Forbidden,
    /// A cookie-authenticated change without the CSRF header.
    CsrfRequired,
    /// An uploaded flow component was refused by validation.
    FlowRejected,
    /// A simulator scenario could not be read or run.
    ScenarioInvalid,
    /// No route matches the path.
    UnknownEndpoint,
    /// The path exists but not with this HTTP method.
    MethodNotAllowed,
    /// A server-side failure (database down, bug); the request may be retried.
    Internal,
}

impl ErrorCode {
    /// The HTTP status this code is sent with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::NotFound | ErrorCode::UnknownEndpoint => StatusCode::NOT_FOUND,
            ErrorCode::InvalidField | ErrorCode::MalformedJson => StatusCode::BAD_REQUEST,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::CsrfRequired => StatusCode::FORBIDDEN,
            ErrorCode::FlowRejected | ErrorCode::ScenarioInvalid | ErrorCode::LimitReached => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An API failure: a code, a message saying what to fix, and the field at
/// fault when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable explanation with the fix.
    pub message: String,
    /// The request field at fault (JSON field, query or path parameter).
    pub field: Option<String>,
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// The same error, blaming `field`.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// `field` is invalid: `message` says what a valid value is.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidField, message).with_field(field)
    }

    /// No `what` with this id in the caller's tenant.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            ErrorCode::NotFound,
            format!("no {what} with this id in your tenant: list them to find the right id"),
        )
    }

    /// The caller is not signed in.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Unauthorized, message)
    }

    /// The caller's role does not allow the action.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Forbidden, message)
    }

    /// A conflict with existing data.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Conflict, message)
    }

    /// A server-side failure. The detail goes to the log, not the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error in the admin API");
        ApiError::new(
            ErrorCode::Internal,
            "the server failed to complete the request; it was logged, retry later or tell the operator",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error inside [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code to branch on.
    pub code: ErrorCode,
    /// What went wrong and what to fix.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<pbx_store::StoreError> for ApiError {
    fn from(e: pbx_store::StoreError) -> Self {
        use pbx_store::StoreError as S;
        match e {
            // The store does not tell another tenant's row from a missing
            // one; neither does the API.
            S::NotFound { .. } => ApiError::new(ErrorCode::NotFound, e.to_string()),
            S::Conflict { .. } => ApiError::conflict(e.to_string()),
            S::Invalid { ref field, .. } => {
                let field = field.clone();
                ApiError::invalid(field, e.to_string())
            }
            S::LimitReached { .. } => ApiError::new(ErrorCode::LimitReached, e.to_string()),
            S::Database(detail) => ApiError::internal(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_in_snake_case() {
        let v = serde_json::to_value(ErrorCode::PayloadTooLarge).unwrap();
        assert_eq!(v, "payload_too_large");
        let v = serde_json::to_value(ErrorCode::FlowRejected).unwrap();
        assert_eq!(v, "flow_rejected");
    }

    #[test]
    fn only_internal_maps_to_500() {
        for code in [
            ErrorCode::NotFound,
            ErrorCode::InvalidField,
            ErrorCode::MalformedJson,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::PayloadTooLarge,
            ErrorCode::Conflict,
            ErrorCode::LimitReached,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::CsrfRequired,
            ErrorCode::FlowRejected,
            ErrorCode::ScenarioInvalid,
            ErrorCode::UnknownEndpoint,
            ErrorCode::MethodNotAllowed,
        ] {
            assert!(code.status().is_client_error(), "{code:?}");
        }
        assert!(ErrorCode::Internal.status().is_server_error());
    }
}
