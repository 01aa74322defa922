//! The machine-readable summary (`summary --json`, `summary.json`).

use crate::stats::Summary;

/// Pretty-printed JSON with a trailing newline. Field order is fixed by the structs, maps are
/// sorted, and floats print in their shortest round-trip form, so output is byte-for-byte
/// deterministic.
pub fn summary_json(summary: &Summary) -> String {
    let mut s = serde_json::to_string_pretty(summary)
        .expect("summary serialises: no map has non-string keys");
    s.push('\n');
    s
}
