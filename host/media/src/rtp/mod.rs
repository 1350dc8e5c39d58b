//! RTP and RTCP: packet layout, per-stream send state, receive statistics,
//! RTCP reports, port allocation and batched socket I/O.

pub mod batch;
pub mod connect;
pub mod packet;
pub mod ports;
pub mod rtcp;
pub mod stats;
pub mod stream;
