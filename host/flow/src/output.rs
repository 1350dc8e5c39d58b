//! A flow's stdout and stderr, captured line by line into the call's trace.
//!
//! Language runtimes print (Rust's `println!`, a Python `print`, a panic
//! message); that output belongs to the call, not to the PBX's own log.
//! Capture is bounded: past [`MAX_OUTPUT_BYTES`] bytes are counted and
//! dropped, and writes keep succeeding so a chatty flow is not broken by
//! it. A flow that does nothing but print is stopped by the CPU deadline,
//! since writing output does not count as progress.

use crate::trace::{MAX_OUTPUT_BYTES, Trace, TraceEvent};
use bytes::Bytes;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// One captured stream. Cloning shares the buffer: WASI may open the stream
/// several times, all writes go to the same lines.
#[derive(Clone)]
pub struct CapturedOutput {
    inner: Arc<Mutex<Pending>>,
    trace: Arc<Mutex<Trace>>,
    clock: Arc<AtomicU64>,
    stream: &'static str,
}

struct Pending {
    line: Vec<u8>,
}

impl CapturedOutput {
    /// Capture `stream` ("stdout" or "stderr") into `trace`; `clock` holds the
    /// call's elapsed milliseconds as of the last host call.
    pub fn new(stream: &'static str, trace: Arc<Mutex<Trace>>, clock: Arc<AtomicU64>) -> Self {
        CapturedOutput {
            inner: Arc::new(Mutex::new(Pending { line: Vec::new() })),
            trace,
            clock,
            stream,
        }
    }

    fn append(&self, bytes: &[u8]) {
        let mut pending = self.inner.lock().expect("output lock");
        // The budget is per call: both streams count against the trace's.
        let take = {
            let mut trace = self.trace.lock().expect("trace lock");
            let room = MAX_OUTPUT_BYTES.saturating_sub(trace.output_kept);
            let take = bytes.len().min(room);
            trace.output_kept += take;
            trace.dropped_output_bytes += (bytes.len() - take) as u64;
            take
        };
        for &b in &bytes[..take] {
            if b == b'\n' {
                let line = std::mem::take(&mut pending.line);
                self.emit(line);
            } else {
                pending.line.push(b);
            }
        }
    }

    fn emit(&self, line: Vec<u8>) {
        let line = String::from_utf8_lossy(&line).into_owned();
        self.trace
            .lock()
            .expect("trace lock")
            .push(TraceEvent::Output {
                at_ms: self.clock.load(Ordering::Relaxed),
                stream: self.stream,
                line,
            });
    }

    /// Emit a last line without its newline, when the flow ends.
    pub fn finish(&self) {
        let line = std::mem::take(&mut self.inner.lock().expect("output lock").line);
        if !line.is_empty() {
            self.emit(line);
        }
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

#[async_trait::async_trait]
impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
