//! Transactions (RFC 3261 section 17), being written.
