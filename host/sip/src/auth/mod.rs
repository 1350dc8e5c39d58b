//! Digest authentication, being written.
