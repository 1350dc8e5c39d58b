//! RTP for load calls (owned by the media helper; placeholder).
