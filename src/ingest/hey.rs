//! hey (rakyll/hey 0.1.x): the text summary and the `-o csv` per-request file.
//!
//! The text summary has the layout oha's printer was copied from (`Summary:`, histogram,
//! `Latency distribution:`, status and error distributions), so it is read by the oha text
//! parser in its hey dialect (see [`super::oha_text`]); the differences are handled there:
//! no `Success rate:` line, `Total data:\t74415 bytes`, `  0% in 0.0000 secs` placeholder rows
//! for percentiles hey could not fill, and `Fastest`/`Slowest` printed as 0.0000 when nothing
//! succeeded. As in oha, every HTTP response counts as a success and only transport errors are
//! failures.
//!
//! The CSV (`-o csv`) holds one row per successful request:
//! `response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset`,
//! seconds with 4 decimals, `offset` = request start since the start of the run.

use std::io::BufRead;
use std::path::Path;

use csv::ByteRecord;

use crate::error::IngestError;
use crate::ingest::oha_csv::{
    column, first_line, ns_to_us, seconds_field, stream, text_field, RowError, RowFormat,
};
use crate::ingest::oha_text::{head_lines, parse_summary, Dialect};
use crate::model::{Clock, FileIngest, Sample, SampleKind, SampleSink, ToolInfo};

const CSV_HEADER: &str =
    "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset";

/// True for hey's text summary: `Summary:` followed by `Total:\t… secs` (oha puts
/// `Success rate:` there).
pub fn sniff_text(head: &[u8], _path: &Path) -> bool {
    Dialect::Hey.find_start(&head_lines(head)).is_some()
}

pub fn sniff_csv(head: &[u8], _path: &Path) -> bool {
    first_line(head).starts_with("response-time,DNS+dialup,DNS,Request-write,Response-delay")
}

pub fn parse_text(
    path: &Path,
    reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    parse_summary(path, reader, Dialect::Hey)
}

pub fn parse_csv(
    path: &Path,
    reader: &mut dyn BufRead,
    sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    let (samples, warnings) = stream::<HeyColumns>(path, reader, sink)?;
    Ok(FileIngest {
        tool: ToolInfo::new("hey", Some("0.1.x")),
        samples,
        clock: Clock::Relative,
        warnings,
        ..FileIngest::default()
    })
}

struct HeyColumns {
    response_time: usize,
    response_read: Option<usize>,
    status: Option<usize>,
    offset: Option<usize>,
}

impl RowFormat for HeyColumns {
    const EXPECTED: &'static str = CSV_HEADER;

    fn from_header(header: &ByteRecord) -> Option<Self> {
        Some(HeyColumns {
            response_time: column(header, "response-time")?,
            response_read: column(header, "Response-read"),
            status: column(header, "status-code"),
            offset: column(header, "offset"),
        })
    }

    fn sample<'r>(&self, row: &'r ByteRecord) -> Result<Sample<'r>, RowError> {
        let elapsed_ns = seconds_field(row, self.response_time, "response-time")?;
        // hey times the read from the first response byte to the end, so the time to first
        // byte is the total minus the read (its Response-delay column starts after the write).
        let ttfb_ns = match self.response_read {
            Some(i) => Some(elapsed_ns.saturating_sub(seconds_field(row, i, "Response-read")?)),
            None => None,
        };
        let status = match self.status {
            Some(i) => Some(text_field(row, i, "status-code")?),
            None => None,
        };
        let start_us = match self.offset {
            Some(i) => Some(ns_to_us(seconds_field(row, i, "offset")?)),
            None => None,
        };
        Ok(Sample {
            start_us,
            elapsed_ns,
            success: true,
            status,
            ttfb_ns,
            kind: SampleKind::Request,
            ..Sample::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::test_support::shared_dir;
    use crate::model::OwnedSample;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hey");

    fn text_at(path: &Path) -> Result<FileIngest, IngestError> {
        let bytes = std::fs::read(path).unwrap();
        let mut reader = &bytes[..];
        parse_text(path, &mut reader, &mut 0u64)
    }

    fn text(name: &str) -> FileIngest {
        text_at(&Path::new(FIXTURES).join(name)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[derive(Default)]
    struct Keep(Vec<OwnedSample>);

    impl SampleSink for Keep {
        fn push(&mut self, s: &Sample<'_>) {
            self.0.push(OwnedSample::from(s));
        }
    }

    fn csv(bytes: &[u8]) -> Result<(FileIngest, Vec<OwnedSample>), IngestError> {
        let mut reader = bytes;
        let mut keep = Keep::default();
        let f = parse_csv(Path::new("x.csv"), &mut reader, &mut keep)?;
        Ok((f, keep.0))
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
    }

    #[test]
    fn default_run() {
        let f = text("hey-0.1.4_z5s_c10.txt");
        assert_eq!(f.tool, ToolInfo::new("hey", Some("0.1.x")));
        let r = f.reported.unwrap();
        assert!(close(r.duration_s, 5.6404));
        assert!(close(r.latency_ms.max, 1440.8));
        assert!(close(r.latency_ms.min, 0.4));
        assert!(close(r.latency_ms.mean, 28.4));
        assert!(close(r.rps, 321.7869));
        assert_eq!(r.bytes_total, Some(74415));
        assert_eq!(r.latency_ms.percentiles.len(), 7);
        assert!(close(r.latency_ms.percentile(99.0), 1016.3));
        assert_eq!(r.status_codes.get("200"), Some(&1815));
        assert_eq!(
            (r.requests, r.successes, r.failures),
            (Some(1815), Some(1815), Some(0))
        );
        assert_eq!(r.histogram.iter().map(|h| h.1).sum::<u64>(), 1815);
        assert!((r.rps.unwrap() * r.duration_s.unwrap() - 1815.0).abs() < 0.5);
        assert_eq!(r.success_rate, None);
    }

    #[test]
    fn placeholder_percentiles_are_skipped() {
        let r = text("hey-0.1.4_n3_few-requests.txt").reported.unwrap();
        let ps: Vec<f64> = r.latency_ms.percentiles.iter().map(|p| p.0).collect();
        assert_eq!(ps, [10.0, 25.0]);
        assert_eq!(r.requests, Some(3));
    }

    #[test]
    fn connection_refused_has_errors_and_no_latency() {
        let r = text("hey-0.1.4_n20_conn-refused.txt").reported.unwrap();
        let msg = "Get \"http://127.0.0.1:1/\": dial tcp 127.0.0.1:1: connect: connection refused";
        assert_eq!(r.errors.get(msg), Some(&20));
        assert_eq!(
            (r.requests, r.successes, r.failures),
            (Some(20), Some(0), Some(20))
        );
        assert_eq!(r.latency_ms.min, None);
        assert_eq!(r.latency_ms.max, None);
        assert_eq!(r.latency_ms.mean, None);
        assert!(r.histogram.is_empty());
    }

    #[test]
    fn errors_and_non_2xx_statuses() {
        let r = text("hey-0.1.4_flaky_n300_errors.txt").reported.unwrap();
        assert_eq!(r.status_codes.get("503"), Some(&42));
        assert_eq!(r.failures, Some(30));
        assert_eq!(r.requests, Some(300));
        let r = text("hey-0.1.4_n300_404.txt").reported.unwrap();
        assert_eq!(r.status_codes.get("404"), Some(&300));
        assert_eq!(r.successes, Some(300));
    }

    #[test]
    fn public_blocks() {
        let Some(shared) = shared_dir() else {
            eprintln!("skipping: shared dir not found");
            return;
        };
        for (n, statuses) in [
            (0, 230218),
            (1, 281179),
            (2, 413464),
            (3, 404795),
            (4, 224368),
        ] {
            let name = format!("bitlet_benchmark__stats__block0{n}_hey-text.txt");
            let path = shared.join("corpus/public/hey").join(&name);
            if !path.exists() {
                eprintln!("skipping: {} not found", path.display());
                continue;
            }
            let r = text_at(&path).unwrap().reported.unwrap();
            assert_eq!(r.successes, Some(statuses), "{name}");
            assert_eq!(
                r.histogram.iter().map(|h| h.1).sum::<u64>(),
                statuses,
                "{name}"
            );
            // Total is printed to 0.1 ms, so rps × Total is only as good as rps × 0.05 ms.
            let rps = r.rps.unwrap();
            let slack = rps * 0.00005 + 0.01;
            assert!(
                (rps * r.duration_s.unwrap() - statuses as f64).abs() < slack,
                "{name}"
            );
        }
    }

    #[test]
    fn sniffers_keep_to_their_format() {
        let hey = std::fs::read(Path::new(FIXTURES).join("hey-0.1.4_z5s_c10.txt")).unwrap();
        assert!(sniff_text(&hey, Path::new("x")));
        assert!(!sniff_csv(&hey, Path::new("x")));
        let oha = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/oha/oha-0.5.8_text_z5s_c10.txt"
        ))
        .unwrap();
        assert!(!sniff_text(&oha, Path::new("x")));
        let hey_csv = std::fs::read(Path::new(FIXTURES).join("hey-0.1.4_n500_csv.csv")).unwrap();
        assert!(sniff_csv(&hey_csv, Path::new("x")));
        assert!(!sniff_text(&hey_csv, Path::new("x")));
    }

    #[test]
    fn csv_rows_match_a_naive_reading() {
        let raw =
            std::fs::read_to_string(Path::new(FIXTURES).join("hey-0.1.4_n500_csv.csv")).unwrap();
        let (f, samples) = csv(raw.as_bytes()).unwrap();
        let rows: Vec<Vec<&str>> = raw
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(rows.len(), 500);
        assert_eq!(f.samples, 500);
        assert_eq!(f.clock, Clock::Relative);
        for (row, s) in rows.iter().zip(&samples) {
            let secs = |i: usize| row[i].parse::<f64>().unwrap();
            assert!((s.elapsed_ns as f64 - secs(0) * 1e9).abs() < 1.0);
            assert!((s.start_us.unwrap() as f64 - secs(7) * 1e6).abs() < 1.0);
            assert!((s.ttfb_ns.unwrap() as f64 - (secs(0) - secs(5)).max(0.0) * 1e9).abs() < 1.0);
            assert_eq!(s.status.as_deref(), Some(row[6]));
        }
    }

    #[test]
    fn csv_errors_and_truncation() {
        let raw = std::fs::read(Path::new(FIXTURES).join("hey-0.1.4_n500_csv.csv")).unwrap();
        // Cutting "200,1.1614\n" leaves the last row without status and offset.
        assert!(raw.ends_with(b",200,1.1614\n"));
        let (f, samples) = csv(&raw[..raw.len() - 11]).unwrap();
        assert_eq!(samples.len(), 499);
        assert_eq!(f.warnings.len(), 1);
        let bad = format!(
            "{CSV_HEADER}\n0.1,0,0,0,0,0,200,0.0\nslow,0,0,0,0,0,200,0.1\n0.1,0,0,0,0,0,200,0.2\n"
        );
        let err = csv(bad.as_bytes()).unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(1)));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(cut in 0usize..1200, pos in 0usize..1200, byte in proptest::num::u8::ANY) {
            let mut bytes = std::fs::read(Path::new(FIXTURES).join("hey-0.1.4_flaky_n300_errors.txt")).unwrap();
            bytes.truncate(cut);
            if pos < bytes.len() {
                bytes[pos] = byte;
            }
            let mut reader = &bytes[..];
            let _ = parse_text(Path::new("t"), &mut reader, &mut 0u64);
            let _ = csv(&bytes);
            let _ = sniff_text(&bytes, Path::new("t"));
        }
    }
}
