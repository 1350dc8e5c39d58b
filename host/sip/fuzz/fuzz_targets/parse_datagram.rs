//! `parse_datagram` on arbitrary bytes: must never panic. On success the
//! message is checked for the invariants the parser promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pbx_sip::message::{MAX_MESSAGE_BYTES, SipMessage, parse_datagram};

fuzz_target!(|data: &[u8]| {
    match parse_datagram(data) {
        Ok(msg) => {
            let body_len = match &msg {
                SipMessage::Request(r) => r.body.len(),
                SipMessage::Response(r) => {
                    assert!((100..=699).contains(&r.status), "status {}", r.status);
                    r.body.len()
                }
            };
            assert!(body_len <= data.len() && body_len <= MAX_MESSAGE_BYTES);
            // Exercise the accessors the layers above use on parsed input.
            let _ = msg.headers().top_via();
        }
        Err(e) => {
            let _ = (e.kind(), e.status(), e.message(), e.request_headers());
        }
    }
});
