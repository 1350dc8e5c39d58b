//! The control socket's client side, used by `pbx status`.

use super::protocol::{Request, Response, StatusReport};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

/// How long to wait for the PBX to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Why the status could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No PBX listens on the socket (the file is missing, or left over
    /// from a PBX that stopped).
    #[error("no PBX is running here ({0} does not answer)")]
    NotRunning(PathBuf),
    /// The socket exists but may not be opened by this user.
    #[error("no permission to open {0}: run pbx status as the user running pbx serve")]
    PermissionDenied(PathBuf),
    /// The PBX did not answer in time.
    #[error("the PBX on {0} did not answer within {TIMEOUT:?}")]
    Timeout(PathBuf),
    /// Reading or writing the socket failed.
    #[error("control socket {path}: {source}")]
    Io {
        /// The socket path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The PBX answered something this version does not understand.
    #[error("unexpected answer from the PBX (is it the same version as this pbx?): {0}")]
    Protocol(String),
}

/// Ask the PBX listening on `path` for its status.
pub async fn query_status(path: &Path) -> Result<StatusReport, ClientError> {
    match tokio::time::timeout(TIMEOUT, exchange(path)).await {
        Ok(result) => result,
        Err(_) => Err(ClientError::Timeout(path.to_path_buf())),
    }
}

async fn exchange(path: &Path) -> Result<StatusReport, ClientError> {
    let io = |source: std::io::Error| ClientError::Io {
        path: path.to_path_buf(),
        source,
    };
    let stream = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e) => {
            return Err(match e.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                    ClientError::NotRunning(path.to_path_buf())
                }
                std::io::ErrorKind::PermissionDenied => {
                    ClientError::PermissionDenied(path.to_path_buf())
                }
                _ => io(e),
            });
        }
    };
    let (read, mut write) = stream.into_split();
    let mut request = serde_json::to_string(&Request::Status).expect("a request serialises");
    request.push('\n');
    write.write_all(request.as_bytes()).await.map_err(io)?;
    let mut line = String::new();
    BufReader::new(read)
        .read_line(&mut line)
        .await
        .map_err(io)?;
    if line.is_empty() {
        return Err(ClientError::Protocol(
            "the connection closed without an answer".into(),
        ));
    }
    match serde_json::from_str::<Response>(&line) {
        Ok(Response::Status(report)) => Ok(report),
        Ok(Response::Error { message }) => Err(ClientError::Protocol(message)),
        Err(e) => Err(ClientError::Protocol(format!("{e}: {}", line.trim()))),
    }
}
