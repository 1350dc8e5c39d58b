//! Request extractors whose rejections are [`ApiError`]s.
//!
//! axum's own `Json`, `Path` and `Query` answer bad input with plain-text
//! bodies; these wrappers answer with the API's JSON error shape, name the
//! field at fault and say what to send instead.

use crate::error::{ApiError, ErrorCode};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON body, parsed with the field path of the first error.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

/// The largest JSON body accepted. Component uploads have their own,
/// larger limit (the router's default body limit).
pub const JSON_LIMIT: usize = 1024 * 1024;

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the JSON body is over {JSON_LIMIT} bytes: send less data per request"),
    )
}

/// Whether the request declares a JSON body (`application/json` or `+json`).
pub(crate) fn is_json(req: &Request) -> bool {
    let Some(ct) = req.headers().get(CONTENT_TYPE) else {
        return false;
    };
    let Ok(ct) = ct.to_str() else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Map a failure to read the body: over the limit or cut short.
pub(crate) fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is over this endpoint's size limit: send less data (see docs/api.md for the limits)",
        )
    } else {
        ApiError::new(
            ErrorCode::MalformedJson,
            format!(
                "the request body could not be read: {}",
                rejection.body_text()
            ),
        )
    }
}

/// Parse `bytes` as JSON into `T`, naming the field of the first error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed = |e: &serde_json::Error| {
        ApiError::new(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON ({e}): send one JSON value"),
        )
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => {
            de.end().map_err(|e| malformed(&e))?;
            Ok(v)
        }
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            // serde_json reports some type mismatches (a number where an
            // enum is expected) as syntax errors: only a body that is not
            // JSON at all is malformed.
            let well_formed = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
            if !well_formed {
                return Err(malformed(&inner));
            }
            let field = if path == "." { None } else { Some(path) };
            let message = match &field {
                Some(f) => format!("field `{f}`: {inner}"),
                None => format!("the body does not have the expected shape: {inner}"),
            };
            let err = ApiError::new(ErrorCode::InvalidField, message);
            Err(match field {
                Some(f) => err.with_field(f),
                None => err,
            })
        }
    }
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&req) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with the header `Content-Type: application/json`",
            ));
        }
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > JSON_LIMIT as u64) {
            return Err(too_large());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        if bytes.len() > JSON_LIMIT {
            return Err(too_large());
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// Path parameters.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(ApiError::invalid(
                "path",
                format!(
                    "a path parameter is not valid: {}; ids are positive integers",
                    e.body_text()
                ),
            )),
            Err(e) => Err(ApiError::internal(e.body_text())),
        }
    }
}

/// Query-string parameters.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(ApiQuery(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let err = ApiError::new(
                    ErrorCode::InvalidField,
                    format!("query parameter `{path}`: {inner}"),
                );
                Err(if path == "." {
                    err
                } else {
                    err.with_field(path)
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Thing {
        name: String,
        inner: Inner,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = parse_json::<Thing>(br#"{"name":"a","inner":{"count":"x"}}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidField);
        assert_eq!(e.field.as_deref(), Some("inner.count"));
    }

    #[test]
    fn syntax_error_is_malformed_json() {
        let e = parse_json::<Thing>(br#"{"name":"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);
        let e = parse_json::<Thing>(br#"{"name":"a","inner":{"count":1}} x"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);
    }

    #[test]
    fn missing_field_is_invalid_field() {
        let e = parse_json::<Thing>(br#"{"name":"a"}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidField);
        assert!(e.message.contains("inner"), "{}", e.message);
    }
}
