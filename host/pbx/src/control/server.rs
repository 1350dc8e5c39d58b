//! The control socket's server side: bind `<data_dir>/pbx.sock` owner-only,
//! answer requests from a [`StatusSource`], remove the file on shutdown.

use super::StatusSource;
use super::protocol::{MAX_REQUEST_BYTES, Request, Response, StatusReport};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

/// How long a connection may stay silent before the server closes it, so
/// a stuck client does not hold a task forever.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the control socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// Another PBX answers on the socket.
    #[error(
        "another pbx serve is already running on this data directory ({0} answers): stop it first, or use another --data-dir"
    )]
    AlreadyRunning(PathBuf),
    /// Something that is not a socket is in the way.
    #[error("{0} exists and is not a socket: move it away and start again")]
    NotASocket(PathBuf),
    /// The file system refused.
    #[error("cannot open the control socket {path}: {source}")]
    Io {
        /// The socket path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The listening control socket. Dropping it stops accepting, ends the
/// open connections and removes the socket file.
#[derive(Debug)]
pub struct ControlSocket {
    path: PathBuf,
    task: JoinHandle<()>,
}

impl ControlSocket {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Make room for the socket: a leftover socket file from a PBX that died
/// is removed; one a live PBX answers on is an error.
async fn clear_stale(path: &Path) -> Result<(), ControlError> {
    let io = |source| ControlError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    if !meta.file_type().is_socket() {
        return Err(ControlError::NotASocket(path.to_path_buf()));
    }
    if UnixStream::connect(path).await.is_ok() {
        return Err(ControlError::AlreadyRunning(path.to_path_buf()));
    }
    tracing::info!(path = %path.display(), "removing a stale control socket");
    std::fs::remove_file(path).map_err(io)
}

/// Listen on `path` and answer requests from `source` until the returned
/// handle is dropped. A stale socket file is removed first.
///
/// The socket is bound under a temporary name, restricted to mode 0600,
/// then renamed into place, so it is never reachable at `path` with wider
/// permissions. Must be called within a tokio runtime.
pub async fn serve(
    path: impl AsRef<Path>,
    source: Arc<dyn StatusSource>,
) -> Result<ControlSocket, ControlError> {
    let path = path.as_ref().to_path_buf();
    let io = |source| ControlError::Io {
        path: path.clone(),
        source,
    };
    clear_stale(&path).await?;
    let mut temp = path.clone().into_os_string();
    temp.push(format!(".{}.tmp", std::process::id()));
    let temp = PathBuf::from(temp);
    let _ = std::fs::remove_file(&temp);
    let listener = UnixListener::bind(&temp).map_err(io)?;
    let placed = std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&temp, &path));
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&temp);
        return Err(io(e));
    }
    let started = Instant::now();
    let task = tokio::spawn(accept_loop(listener, source, started));
    Ok(ControlSocket { path, task })
}

async fn accept_loop(listener: UnixListener, source: Arc<dyn StatusSource>, started: Instant) {
    // Connection tasks are kept in a JoinSet owned by this task, so
    // aborting it (dropping the ControlSocket) ends them too.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, source.clone(), started));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "control socket accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serve one connection: a response line per request line.
async fn connection(stream: UnixStream, source: Arc<dyn StatusSource>, started: Instant) {
    let (read, mut write) = stream.into_split();
    // `take` bounds what one line may buffer; it is reset per line.
    let mut reader = BufReader::new(read).take(0);
    let mut line = Vec::new();
    loop {
        let Some((read, complete)) = next_line(&mut reader, &mut line).await else {
            return;
        };
        if read == 0 {
            return;
        }
        let response = if !complete && read > MAX_REQUEST_BYTES {
            // Skip the rest of the line and go on with the next one, so
            // the client still gets its answer (closing with unread data
            // would reset the connection before it could read it).
            loop {
                match next_line(&mut reader, &mut line).await {
                    None | Some((0, _)) => return,
                    Some((_, true)) => break,
                    Some((_, false)) => {}
                }
            }
            Response::Error {
                message: format!("request longer than {MAX_REQUEST_BYTES} bytes"),
            }
        } else {
            answer(
                String::from_utf8_lossy(&line).trim(),
                source.as_ref(),
                started,
            )
        };
        let mut text = serde_json::to_string(&response).unwrap_or_else(|e| {
            format!(r#"{{"error":{{"message":"cannot encode the response: {e}"}}}}"#)
        });
        text.push('\n');
        if write.write_all(text.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Read at most `MAX_REQUEST_BYTES + 1` bytes of the next line into
/// `line`: the count read and whether the line ended with a newline;
/// `None` on a read error or after [`IDLE_TIMEOUT`] of silence.
async fn next_line(
    reader: &mut tokio::io::Take<BufReader<tokio::net::unix::OwnedReadHalf>>,
    line: &mut Vec<u8>,
) -> Option<(usize, bool)> {
    line.clear();
    reader.set_limit(MAX_REQUEST_BYTES as u64 + 1);
    match tokio::time::timeout(IDLE_TIMEOUT, reader.read_until(b'\n', line)).await {
        Ok(Ok(n)) => Some((n, line.ends_with(b"\n"))),
        Ok(Err(_)) | Err(_) => None,
    }
}

/// The response to one request line.
fn answer(line: &str, source: &dyn StatusSource, started: Instant) -> Response {
    match serde_json::from_str::<Request>(line) {
        Ok(Request::Status) => Response::Status(StatusReport {
            registrations: source.registrations(),
            calls: source.calls(),
            uptime_s: started.elapsed().as_secs(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }),
        Err(e) => Response::Error {
            message: format!(
                "unknown request ({e}): send one JSON object per line, e.g. {{\"request\":\"status\"}}"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::RegistrationRow;
    use crate::live::CallSnapshot;

    struct Empty;
    impl StatusSource for Empty {
        fn registrations(&self) -> Vec<RegistrationRow> {
            Vec::new()
        }
        fn calls(&self) -> Vec<CallSnapshot> {
            Vec::new()
        }
    }

    async fn roundtrip(path: &Path, lines: &str) -> String {
        let mut s = UnixStream::connect(path).await.unwrap();
        s.write_all(lines.as_bytes()).await.unwrap();
        s.shutdown().await.unwrap();
        let mut out = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut s, &mut out)
            .await
            .unwrap();
        out
    }

    #[tokio::test]
    async fn answers_each_line_and_rejects_unknown_requests() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pbx.sock");
        let _socket = serve(&path, Arc::new(Empty)).await.unwrap();
        let out = roundtrip(
            &path,
            "{\"request\":\"status\"}\n{\"request\":\"reboot\"}\nnot json\n",
        )
        .await;
        let lines: Vec<Response> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(matches!(&lines[0], Response::Status(r) if r.calls.is_empty()));
        assert!(matches!(&lines[1], Response::Error { message } if message.contains("request")));
        assert!(matches!(&lines[2], Response::Error { .. }));
    }

    #[tokio::test]
    async fn an_overlong_request_is_refused_and_the_next_one_served() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pbx.sock");
        let _socket = serve(&path, Arc::new(Empty)).await.unwrap();
        let long = "x".repeat(MAX_REQUEST_BYTES * 3) + "\n{\"request\":\"status\"}\n";
        let out = roundtrip(&path, &long).await;
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[0].contains("longer than"), "{out}");
        assert!(lines[1].starts_with("{\"status\""), "{out}");
    }

    #[tokio::test]
    async fn the_socket_is_owner_only_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pbx.sock");
        let socket = serve(&path, Arc::new(Empty)).await.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["pbx.sock"]);
        drop(socket);
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn a_stale_socket_is_replaced_and_a_live_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pbx.sock");
        // A socket file nobody listens on: what a killed PBX leaves.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let first = serve(&path, Arc::new(Empty)).await.unwrap();
        assert!(
            roundtrip(&path, "{\"request\":\"status\"}\n")
                .await
                .contains("status")
        );
        let second = serve(&path, Arc::new(Empty)).await;
        assert!(
            matches!(second, Err(ControlError::AlreadyRunning(_))),
            "{second:?}"
        );
        drop(first);
    }

    #[tokio::test]
    async fn a_regular_file_in_the_way_is_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pbx.sock");
        std::fs::write(&path, "keep me").unwrap();
        let err = serve(&path, Arc::new(Empty)).await.unwrap_err();
        assert!(matches!(err, ControlError::NotASocket(_)), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    }
}
