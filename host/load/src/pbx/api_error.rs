//! An answer of the admin API with a status the caller did not expect.

use std::fmt;

/// A request the admin API answered with an unexpected status (or did not
/// answer): which request, what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: String,
    /// The path under `/api/v1`, e.g. `/tenants/…/extensions`.
    pub path: String,
    /// The HTTP status, `None` when no answer came (connection refused,
    /// timeout).
    pub status: Option<u16>,
    /// The body of the answer (the API's JSON error), or the transport
    /// error when there was no answer.
    pub body: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(
                f,
                "{} {}: HTTP {status}: {}",
                self.method, self.path, self.body
            ),
            None => write!(f, "{} {}: no answer: {}", self.method, self.path, self.body),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_method_path_status_and_body() {
        let e = ApiError {
            method: "POST".into(),
            path: "/tenants".into(),
            status: Some(409),
            body: r#"{"error":{"code":"conflict"}}"#.into(),
        };
        assert_eq!(
            e.to_string(),
            r#"POST /tenants: HTTP 409: {"error":{"code":"conflict"}}"#
        );
        let e = ApiError {
            status: None,
            body: "connection refused".into(),
            ..e
        };
        assert_eq!(
            e.to_string(),
            "POST /tenants: no answer: connection refused"
        );
    }
}
