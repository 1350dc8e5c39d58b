//! The raw `application/wasm` body of a component upload.

use crate::error::{ApiError, ErrorCode};
use crate::extract::body_error;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;

/// The bytes of an uploaded component, sent as the whole request body with
/// `Content-Type: application/wasm` (or `application/octet-stream`).
#[derive(Debug)]
pub struct WasmBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for WasmBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let ct = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        match ct.as_deref() {
            Some("application/wasm") | Some("application/octet-stream") => {}
            _ => {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "send the component as the raw request body with `Content-Type: application/wasm` (e.g. curl --data-binary @flow.wasm)",
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        if bytes.is_empty() {
            return Err(ApiError::new(
                ErrorCode::FlowRejected,
                "the body is empty: send the .wasm component your build produced",
            ));
        }
        Ok(WasmBody(bytes))
    }
}
