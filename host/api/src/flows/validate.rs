//! Validating an uploaded component with the flow runtime, and the
//! refusal as an API error.

use crate::error::{ApiError, ErrorCode};
use pbx_flow::{FlowEngine, PreparedFlow, UploadError};

/// Validate, compile and describe `bytes`; a refusal becomes a 422
/// `flow_rejected` with the runtime's reason.
pub async fn prepare(engine: &FlowEngine, bytes: &[u8]) -> Result<PreparedFlow, ApiError> {
    engine.prepare(bytes).await.map_err(rejected)
}

/// The API error for a refused upload.
pub fn rejected(e: UploadError) -> ApiError {
    let code = match e {
        UploadError::TooLarge { .. } => ErrorCode::PayloadTooLarge,
        _ => ErrorCode::FlowRejected,
    };
    ApiError::new(code, format!("the component was refused: {e}"))
}
