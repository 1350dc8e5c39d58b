//! `pbx-load`: a SIP load generator for the PBX.
//!
//! - [`register`]: a REGISTER storm with digest authentication (401, then
//!   REGISTER with `Authorization`, then 200) over several UDP sockets,
//!   paced or as fast as a concurrency cap allows.
//! - [`calls`]: basic calls through the PBX's B2BUA (INVITE, 407,
//!   INVITE with `Proxy-Authorization`, 180/200, ACK, BYE) to callees this
//!   tool registers and answers itself.
//! - [`serve`]: the `pbx-sip` service alone, with generated accounts, so a
//!   benchmark can run server and client as two processes and attribute
//!   CPU time to the server.
//! - [`proc_stats`]: CPU time and RSS of a process from `/proc`.
//! - [`report`]: percentiles and the text report.

pub mod bench;
pub mod calls;
pub mod media;
pub mod pbx;
pub mod proc_stats;
pub mod register;
pub mod report;
pub mod serve;

/// The name of generated user `index` (0-based): `first + index`, so
/// accounts look like extensions (`100000`, `100001`, ...).
pub fn user_name(first: u32, index: usize) -> String {
    (u64::from(first) + index as u64).to_string()
}
