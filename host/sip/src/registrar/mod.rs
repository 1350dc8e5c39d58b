//! The registrar, being written.
