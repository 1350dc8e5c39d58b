//! Serialising messages (being written).
