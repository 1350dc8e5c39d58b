//! A `pbx serve` process for benchmarks, and its admin API (owned by the
//! provisioning helper; placeholder).
