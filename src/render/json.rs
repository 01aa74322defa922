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

use std::io::Write as _;

/// [`summary_json`] written straight to `out`, without holding the text in memory (a summary of
/// nanosecond-resolution samples carries one histogram entry per distinct latency).
pub fn write_summary_json(summary: &Summary, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, out);
    serde_json::to_writer_pretty(&mut out, summary).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}
