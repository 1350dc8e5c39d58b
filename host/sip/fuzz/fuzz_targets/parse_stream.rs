//! `parse_stream` the way a TCP/TLS transport calls it: the input (after
//! two control bytes) arrives in pseudo-random chunks whose sizes derive
//! from those bytes; after each chunk the receive buffer is parsed until it
//! needs more bytes. Checks: no panic, a message never claims more bytes
//! than the buffer holds (nor zero), and chunking makes no difference: the
//! messages and the final outcome equal those of parsing the whole input at
//! once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pbx_sip::message::{SipMessage, parse_stream};

/// Messages framed out of the stream, and whether it ended in an error.
#[derive(Debug, PartialEq)]
struct Outcome {
    messages: Vec<(SipMessage, usize)>,
    failed: bool,
}

/// Parse as many messages as `buf` holds, draining them; true on error.
fn drain(buf: &mut Vec<u8>, out: &mut Vec<(SipMessage, usize)>) -> bool {
    loop {
        match parse_stream(buf) {
            Ok(Some((msg, used))) => {
                assert!(used > 0, "message framed from zero bytes");
                assert!(
                    used <= buf.len(),
                    "framing over-consumed: used {used} of {} bytes",
                    buf.len()
                );
                buf.drain(..used);
                out.push((msg, used));
            }
            Ok(None) => return false,
            Err(e) => {
                let _ = (e.kind(), e.status(), e.message(), e.request_headers());
                return true;
            }
        }
    }
}

fn run(stream: &[u8], mut next_chunk: impl FnMut() -> usize) -> Outcome {
    let mut buf = Vec::new();
    let mut messages = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let n = next_chunk().clamp(1, rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        if drain(&mut buf, &mut messages) {
            return Outcome { messages, failed: true };
        }
    }
    Outcome { messages, failed: false }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (ctrl, stream) = data.split_at(2);
    // xorshift32 seeded from the control bytes; chunk sizes 1..=max where
    // max is small (byte-at-a-time) to large (whole messages).
    let mut state = u32::from(ctrl[0]) << 8 | u32::from(ctrl[1]) | 0x1_0000;
    let max = 1usize << (ctrl[0] % 12);
    // parse_stream rescans the buffer from the start on every call, so
    // byte-at-a-time feeding is quadratic; keep to ~128 chunks per input
    // (small messages still get byte-at-a-time) to keep the fuzzer fast.
    let min = stream.len() / 128 + 1;
    let chunked = run(stream, || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        min + state as usize % max
    });
    let whole = run(stream, || usize::MAX);
    assert_eq!(chunked, whole, "chunking changed the parse");
});
