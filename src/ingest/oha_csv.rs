//! oha's per-request CSV (`--output-format csv`, since 1.9):
//!
//! ```text
//! request-start,DNS,DNS+dialup,Response-delay,request-duration,bytes,status
//! 0.000503971,0.000025088,0.000234149,0.002002055,0.002002235,41,200
//! ```
//!
//! One row per *successful* request (oha leaves errors out of the CSV), times in seconds since
//! the start of the run, written as full-precision `f64`. Seconds are converted to integer
//! nanoseconds from the decimal digits themselves, so no binary rounding creeps in.
//!
//! The file is streamed with one reused record; the generic driver [`stream`] is shared with
//! the hey CSV parser.

use std::io::BufRead;
use std::path::Path;

use csv::ByteRecord;

use crate::error::IngestError;
use crate::ingest::head_text;
use crate::model::{Clock, FileIngest, Sample, SampleKind, SampleSink, ToolInfo, Warning};

const HEADER: &str = "request-start,DNS,DNS+dialup,Response-delay,request-duration,bytes,status";

pub fn sniff(head: &[u8], _path: &Path) -> bool {
    first_line(head).starts_with("request-start,DNS,DNS+dialup,Response-delay,request-duration")
}

/// The first line of the head, BOM and line end removed.
pub(crate) fn first_line(head: &[u8]) -> String {
    let text = head_text(head);
    text.lines().next().unwrap_or("").trim_end().to_string()
}

pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    let (samples, warnings) = stream::<OhaColumns>(path, reader, sink)?;
    Ok(FileIngest {
        tool: ToolInfo::new("oha", Some(">=1.9")),
        samples,
        clock: Clock::Relative,
        warnings,
        ..FileIngest::default()
    })
}

/// Where oha's columns are (found by name, so that a column added later does not break us).
struct OhaColumns {
    start: usize,
    first_byte: Option<usize>,
    duration: usize,
    bytes: Option<usize>,
    status: Option<usize>,
}

impl RowFormat for OhaColumns {
    const EXPECTED: &'static str = HEADER;

    fn from_header(header: &ByteRecord) -> Option<Self> {
        Some(OhaColumns {
            start: column(header, "request-start")?,
            first_byte: column(header, "Response-delay"),
            duration: column(header, "request-duration")?,
            bytes: column(header, "bytes"),
            status: column(header, "status"),
        })
    }

    fn sample<'r>(&self, row: &'r ByteRecord) -> Result<Sample<'r>, RowError> {
        let start_ns = seconds_field(row, self.start, "request-start")?;
        let elapsed_ns = seconds_field(row, self.duration, "request-duration")?;
        let ttfb_ns = match self.first_byte {
            // oha writes 0 when it did not see the first byte.
            Some(i) => Some(seconds_field(row, i, "Response-delay")?).filter(|&ns| ns > 0),
            None => None,
        };
        let bytes = match self.bytes {
            Some(i) => Some(integer_field(row, i, "bytes")?),
            None => None,
        };
        let status = match self.status {
            Some(i) => Some(text_field(row, i, "status")?),
            None => None,
        };
        Ok(Sample {
            start_us: Some(ns_to_us(start_ns)),
            elapsed_ns,
            success: true,
            status,
            bytes,
            ttfb_ns,
            kind: SampleKind::Request,
            ..Sample::default()
        })
    }
}

// ---- the CSV driver shared with hey --------------------------------------------------------

/// A per-request CSV whose columns are located from its header.
pub(crate) trait RowFormat: Sized {
    /// The header the tool writes, for error messages.
    const EXPECTED: &'static str;
    /// Column positions, or `None` when a required column is missing.
    fn from_header(header: &ByteRecord) -> Option<Self>;
    /// The sample a row describes, borrowing its strings from the row.
    fn sample<'r>(&self, row: &'r ByteRecord) -> Result<Sample<'r>, RowError>;
}

/// A bad field: 1-based column and what was expected.
#[derive(Debug)]
pub(crate) struct RowError {
    pub column: u64,
    pub message: String,
}

/// Streams every row into `sink`. A bad last row (a file cut short) becomes a warning; a bad row
/// anywhere else is an error naming its line and column. Returns (samples pushed, warnings).
pub(crate) fn stream<F: RowFormat>(
    path: &Path,
    reader: &mut dyn BufRead,
    sink: &mut dyn SampleSink,
) -> Result<(u64, Vec<Warning>), IngestError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = ByteRecord::new();
    if !read(&mut csv, &mut record, path)? {
        return Err(IngestError::new(
            path,
            format!("expected the header {:?}, found an empty file", F::EXPECTED),
        ));
    }
    let columns = F::from_header(&record).ok_or_else(|| {
        IngestError::at_line(
            path,
            line_of(&record),
            format!(
                "expected the header {:?}, found {:?}",
                F::EXPECTED,
                String::from_utf8_lossy(record.as_slice())
            ),
        )
    })?;
    let mut pushed = 0;
    let mut warnings = Vec::new();
    while read(&mut csv, &mut record, path)? {
        match columns.sample(&record) {
            Ok(sample) => {
                sink.push(&sample);
                pushed += 1;
            }
            Err(bad) => {
                let line = line_of(&record);
                // Only the last row may be cut short (a copy of a file still being written).
                let mut next = ByteRecord::new();
                if read(&mut csv, &mut next, path)? {
                    return Err(
                        IngestError::at_line(path, line, bad.message).with_column(bad.column)
                    );
                }
                warnings.push(Warning {
                    path: path.to_path_buf(),
                    line: Some(line),
                    message: format!("last row skipped (truncated?): {}", bad.message),
                });
            }
        }
    }
    Ok((pushed, warnings))
}

fn read<R: std::io::Read>(
    csv: &mut csv::Reader<R>,
    record: &mut ByteRecord,
    path: &Path,
) -> Result<bool, IngestError> {
    csv.read_byte_record(record).map_err(|e| {
        let message = format!("cannot read CSV: {e}");
        match e.position() {
            Some(p) => IngestError::at_line(path, p.line(), message),
            None => IngestError::new(path, message),
        }
    })
}

fn line_of(record: &ByteRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

/// Index of the header field `name` (a UTF-8 BOM before the first name is ignored).
pub(crate) fn column(header: &ByteRecord, name: &str) -> Option<usize> {
    header.iter().position(|field| {
        let field = field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field);
        field.trim_ascii() == name.as_bytes()
    })
}

fn field<'r>(row: &'r ByteRecord, index: usize, name: &str) -> Result<&'r [u8], RowError> {
    row.get(index).ok_or_else(|| RowError {
        column: index as u64 + 1,
        message: format!(
            "expected a value in column '{name}', found only {} fields",
            row.len()
        ),
    })
}

/// A field holding seconds, as integer nanoseconds.
pub(crate) fn seconds_field(row: &ByteRecord, index: usize, name: &str) -> Result<u64, RowError> {
    let raw = field(row, index, name)?;
    parse_seconds_ns(raw).ok_or_else(|| RowError {
        column: index as u64 + 1,
        message: format!(
            "expected a non-negative number of seconds in column '{name}', found {:?}",
            String::from_utf8_lossy(raw)
        ),
    })
}

pub(crate) fn integer_field(row: &ByteRecord, index: usize, name: &str) -> Result<u64, RowError> {
    let raw = field(row, index, name)?;
    std::str::from_utf8(raw)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| RowError {
            column: index as u64 + 1,
            message: format!(
                "expected an integer in column '{name}', found {:?}",
                String::from_utf8_lossy(raw)
            ),
        })
}

pub(crate) fn text_field<'r>(
    row: &'r ByteRecord,
    index: usize,
    name: &str,
) -> Result<&'r str, RowError> {
    let raw = field(row, index, name)?;
    std::str::from_utf8(raw)
        .map(str::trim)
        .map_err(|_| RowError {
            column: index as u64 + 1,
            message: format!("expected text in column '{name}', found bytes that are not UTF-8"),
        })
}

/// Nanoseconds to microseconds, rounded to the nearest.
pub(crate) fn ns_to_us(ns: u64) -> i64 {
    i64::try_from(ns.saturating_add(500) / 1000).unwrap_or(i64::MAX)
}

/// Parses a non-negative decimal number of seconds (`0.000503971`, `12`, `1.5e-7`) into
/// nanoseconds. Plain decimals are converted digit by digit, rounding at the tenth fractional
/// digit (oha's `f64` output can end in `…0000000002` or `…9999999998`); exponent forms go
/// through `f64`.
pub fn parse_seconds_ns(raw: &[u8]) -> Option<u64> {
    let text = raw.trim_ascii();
    let text = text.strip_prefix(b"+").unwrap_or(text);
    if text.iter().any(|b| matches!(b, b'e' | b'E')) {
        return parse_exponent_seconds(text);
    }
    let (whole, fraction) = match memchr::memchr(b'.', text) {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let mut ns: u64 = 0;
    for &d in whole {
        ns = ns.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    ns = ns.checked_mul(1_000_000_000)?;
    let mut scale = 100_000_000;
    for &d in fraction.iter().take(9) {
        ns = ns.checked_add(u64::from(d - b'0') * scale)?;
        scale /= 10;
    }
    if fraction.get(9).is_some_and(|&d| d >= b'5') {
        ns = ns.checked_add(1)?;
    }
    Some(ns)
}

fn parse_exponent_seconds(text: &[u8]) -> Option<u64> {
    let seconds: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    let ns = (seconds * 1e9).round();
    (ns.is_finite() && ns >= 0.0 && ns < u64::MAX as f64).then_some(ns as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OwnedSample;

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/oha/oha-1.16.0_csv_n200.csv"
    );

    /// Keeps every sample, owned.
    #[derive(Default)]
    struct Keep(Vec<OwnedSample>);

    impl SampleSink for Keep {
        fn push(&mut self, s: &Sample<'_>) {
            self.0.push(OwnedSample::from(s));
        }
    }

    fn parse_bytes_at(bytes: &[u8]) -> Result<(FileIngest, Vec<OwnedSample>), IngestError> {
        let mut reader = bytes;
        let mut keep = Keep::default();
        let f = parse(Path::new("x.csv"), &mut reader, &mut keep)?;
        Ok((f, keep.0))
    }

    #[test]
    fn real_file_rows_match_a_naive_reading() {
        let text = std::fs::read_to_string(FIXTURE).unwrap();
        let (f, samples) = parse_bytes_at(text.as_bytes()).unwrap();
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(rows.len(), 200);
        assert_eq!(f.samples, 200);
        assert_eq!(samples.len(), 200);
        assert_eq!(f.clock, Clock::Relative);
        assert_eq!(f.tool, ToolInfo::new("oha", Some(">=1.9")));
        assert!(f.warnings.is_empty());
        let mut naive_total = 0.0;
        for (row, s) in rows.iter().zip(&samples) {
            let naive_ns = row[4].parse::<f64>().unwrap() * 1e9;
            assert!((s.elapsed_ns as f64 - naive_ns).abs() <= 1.0, "{row:?}");
            let naive_start_us = row[0].parse::<f64>().unwrap() * 1e6;
            assert!((s.start_us.unwrap() as f64 - naive_start_us).abs() <= 1.0);
            assert_eq!(s.status.as_deref(), Some(row[6]));
            assert_eq!(s.bytes, Some(row[5].parse().unwrap()));
            assert!(s.success);
            naive_total += naive_ns;
        }
        let total: u64 = samples.iter().map(|s| s.elapsed_ns).sum();
        assert!((total as f64 - naive_total).abs() <= 200.0);
        // First row, read by eye: 0.000503971,…,0.002002055,0.002002235,41,200
        assert_eq!(samples[0].start_us, Some(504));
        assert_eq!(samples[0].elapsed_ns, 2_002_235);
        assert_eq!(samples[0].ttfb_ns, Some(2_002_055));
    }

    #[test]
    fn decimal_seconds_convert_exactly() {
        let cases: [(&str, Option<u64>); 12] = [
            ("0.000503971", Some(503_971)),
            ("0.0020022350000000002", Some(2_002_235)),
            ("0.0020022349999999998", Some(2_002_235)),
            ("12", Some(12_000_000_000)),
            ("1.5", Some(1_500_000_000)),
            (".25", Some(250_000_000)),
            ("1.5e-7", Some(150)),
            ("4.445223955431753e-6", Some(4_445)),
            ("-1", None),
            ("", None),
            ("1.2.3", None),
            ("99999999999999999999", None),
        ];
        for (text, ns) in cases {
            assert_eq!(parse_seconds_ns(text.as_bytes()), ns, "{text}");
        }
    }

    #[test]
    fn zero_first_byte_means_unknown() {
        let text = format!("{HEADER}\n1.0,0,0,0,0.5,10,200\n");
        let (_, samples) = parse_bytes_at(text.as_bytes()).unwrap();
        assert_eq!(samples[0].ttfb_ns, None);
        assert_eq!(samples[0].start_us, Some(1_000_000));
    }

    #[test]
    fn bad_row_names_line_and_column() {
        let text = format!(
            "{HEADER}\n1.0,0,0,0,0.5,10,200\n1.0,0,0,0,12ms,10,200\n2.0,0,0,0,0.5,10,200\n"
        );
        let err = parse_bytes_at(text.as_bytes()).unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(5)));
        assert!(err.message.contains("request-duration"), "{}", err.message);
        assert!(err.message.contains("\"12ms\""), "{}", err.message);
    }

    #[test]
    fn truncated_last_row_is_a_warning() {
        let bytes = std::fs::read(FIXTURE).unwrap();
        let cut = &bytes[..bytes.len() - 10];
        let (f, samples) = parse_bytes_at(cut).unwrap();
        assert_eq!(samples.len(), 199);
        assert_eq!(f.warnings.len(), 1);
        assert_eq!(f.warnings[0].line, Some(201));
    }

    #[test]
    fn wrong_header_and_empty_file_are_errors() {
        let err = parse_bytes_at(b"a,b,c\n1,2,3\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("request-start"));
        assert!(parse_bytes_at(b"").is_err());
    }

    #[test]
    fn sniff_matches_header_only() {
        assert!(sniff(&std::fs::read(FIXTURE).unwrap(), Path::new("x")));
        assert!(!sniff(
            b"response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n",
            Path::new("x")
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(cut in 0usize..14000, pos in 0usize..14000, byte in proptest::num::u8::ANY) {
            let mut bytes = std::fs::read(FIXTURE).unwrap();
            bytes.truncate(cut);
            if pos < bytes.len() {
                bytes[pos] = byte;
            }
            let _ = parse_bytes_at(&bytes);
        }

        #[test]
        fn seconds_parser_agrees_with_f64(ns in 0u64..10_000_000_000_000) {
            let text = format!("{}", ns as f64 / 1e9);
            let parsed = parse_seconds_ns(text.as_bytes()).unwrap();
            proptest::prop_assert!(parsed.abs_diff(ns) <= 1, "{text} -> {parsed}, want {ns}");
        }
    }
}
