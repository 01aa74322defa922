//! Resource statistics.
