//! Dialog identifiers (RFC 3261 section 12: Call-ID plus both tags).

use std::fmt;

/// Identifies a dialog from this UA's point of view: the Call-ID, our tag
/// and the peer's tag. The same dialog has its tags swapped at the peer,
/// which is why the fields say local/remote rather than from/to: for a
/// request we receive, the local tag is in To and the remote one in From.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag (From tag of our requests, To tag of theirs).
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// A dialog id from its three parts.
    pub fn new(
        call_id: impl Into<String>,
        local_tag: impl Into<String>,
        remote_tag: impl Into<String>,
    ) -> Self {
        DialogId {
            call_id: call_id.into(),
            local_tag: local_tag.into(),
            remote_tag: remote_tag.into(),
        }
    }
}

impl fmt::Display for DialogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{};l={};r={}",
            self.call_id, self.local_tag, self.remote_tag
        )
    }
}

/// A fresh tag: 64 random bits in hex, enough for the global uniqueness
/// RFC 3261 section 19.3 asks of tags (the UAS adds one to To for every
/// dialog it creates, the UAC one to From for every request out of
/// dialog).
pub fn new_tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}
