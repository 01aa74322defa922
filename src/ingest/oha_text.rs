//! oha's text summary (`oha --no-tui`, and what is printed after the TUI), every version 0.1–1.16.
//!
//! The forms differ in small ways (see FORMATS.md §1.1–1.2):
//! - before 0.5.9: `Success rate:\t1.0000` (a fraction), heading `Latency distribution:`,
//!   `10% in`;
//! - from 0.5.9: `Success rate:\t100.00%`, heading `Response time distribution:`;
//! - from 0.6.4: `10.00% in`, two more rows (99.90 %, 99.99 %), optional per-class breakdown
//!   blocks;
//! - from 1.9: the time unit is chosen by oha (`ns`, `us`, `ms`, `sec`, `10 sec`, `min`, `10 min`,
//!   `hr`) and written after every time, histogram labels included (before: always `secs`, and
//!   histogram labels without a unit).
//!
//! All-error runs print `inf`, `-inf` and `NaN`: those become "no value". Captured terminals leave
//! ANSI colour codes and CRLF line ends, which [`Lines`] removes.
//!
//! Counting rule (oha's own semantics): any HTTP response is a success, whatever its status;
//! only transport errors are failures. `successes` = sum of the status code distribution,
//! `failures` = sum of the error distribution except `aborted due to deadline` (requests still in
//! flight when a `-z` run ended: they have no outcome, and oha leaves them out of its success
//! rate), `requests` = successes + every error, which is what oha's `Requests/sec` counts.
//! Deadline aborts stay in `errors` so that users see them.
//!
//! The summary is small, so it is read whole. The helpers at the bottom are shared with the hey
//! parser, whose text summary descends from the same layout.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use crate::error::IngestError;
use crate::ingest::head_text;
use crate::ingest::text::{parse_optional_f64, strip_ansi, Lines};
use crate::model::{FileIngest, ReportedLoad, SampleSink, ToolInfo, Warning};

/// The error oha records for requests still in flight when a `-z` run ends.
pub(crate) const DEADLINE_ABORT: &str = "aborted due to deadline";

/// How many lines after `Summary:` the `Success rate:` line may come.
const SUCCESS_RATE_WITHIN: usize = 3;

/// True for an oha text summary: a `Summary:` line soon followed by `Success rate:` (hey's
/// summary, which also starts with `Summary:`, has no success rate).
pub fn sniff(head: &[u8], _path: &Path) -> bool {
    Dialect::Oha.find_start(&head_lines(head)).is_some()
}

/// The lines of a file head, ANSI codes removed, for the summary sniffers.
pub(crate) fn head_lines(head: &[u8]) -> Vec<String> {
    head_text(head)
        .lines()
        .map(|l| strip_ansi(l).trim_end().to_string())
        .collect()
}

pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    parse_summary(path, reader, Dialect::Oha)
}

/// The tools whose text summary this parser reads: oha's printer started as a copy of hey's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Oha,
    Hey,
}

impl Dialect {
    /// Index of the `Summary:` line that starts the summary: oha follows it with
    /// `Success rate:`, hey with `Total:`.
    pub(crate) fn find_start<S: AsRef<str>>(self, lines: &[S]) -> Option<usize> {
        lines.iter().enumerate().position(|(i, l)| {
            l.as_ref().trim() == "Summary:" && self.follows_summary(&lines[i + 1..])
        })
    }

    fn follows_summary<S: AsRef<str>>(self, rest: &[S]) -> bool {
        let mut next = rest.iter().map(|l| l.as_ref().trim());
        match self {
            Dialect::Oha => next
                .take(SUCCESS_RATE_WITHIN)
                .any(|l| l.starts_with("Success rate:")),
            Dialect::Hey => next
                .find(|l| !l.is_empty())
                .is_some_and(|l| l.starts_with("Total:") && l.ends_with("secs")),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Dialect::Oha => {
                "expected an oha summary ('Summary:' followed by 'Success rate:'), found none"
            }
            Dialect::Hey => "expected a hey summary ('Summary:' followed by 'Total:'), found none",
        }
    }
}

/// Reads a whole text summary of oha or hey.
pub(crate) fn parse_summary(
    path: &Path,
    reader: &mut dyn BufRead,
    dialect: Dialect,
) -> Result<FileIngest, IngestError> {
    let lines = Lines::new(reader, path).collect_all()?;
    let texts: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
    let start = dialect
        .find_start(&texts)
        .ok_or_else(|| IngestError::new(path, dialect.expected()))?;
    let mut parser = Parser::new(path, dialect);
    for (number, text) in &lines[start + 1..] {
        if !parser.line(*number, text)? {
            break;
        }
    }
    Ok(parser.finish())
}

/// The part of the summary a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Summary,
    Histogram,
    Distribution,
    /// `--stats-success-breakdown` blocks (2xx only, 4xx + 5xx only): kept out of the overall
    /// figures.
    Breakdown,
    Details,
    StatusCodes,
    Errors,
    /// A heading this parser does not know (a newer oha): its lines are skipped.
    Unknown,
}

/// The section a heading line opens, `None` if the line is not a heading. Headings start at
/// column 0 and end with a colon; entries are indented.
fn heading(line: &str) -> Option<Section> {
    if line.starts_with(char::is_whitespace) || !line.trim_end().ends_with(':') {
        return None;
    }
    let title = line.trim_end();
    Some(match title {
        "Response time histogram:" => Section::Histogram,
        "Response time distribution:" | "Latency distribution:" => Section::Distribution,
        "Details (average, fastest, slowest):" => Section::Details,
        "Status code distribution:" => Section::StatusCodes,
        "Error distribution:" => Section::Errors,
        t if t.starts_with("Response time histogram (")
            || t.starts_with("Response time distribution (")
            || t.starts_with("Latency distribution (") =>
        {
            Section::Breakdown
        }
        _ => Section::Unknown,
    })
}

/// Features of the text that date the oha version that wrote it.
#[derive(Debug, Default)]
struct Form {
    fraction_success_rate: bool,
    percent_success_rate: bool,
    latency_heading: bool,
    two_decimal_percentiles: bool,
    chosen_time_unit: bool,
}

impl Form {
    fn version(&self) -> &'static str {
        if self.chosen_time_unit {
            ">=1.9"
        } else if self.two_decimal_percentiles {
            ">=0.6.4"
        } else if self.fraction_success_rate || self.latency_heading {
            "<0.5.9"
        } else {
            ">=0.5.9"
        }
    }
}

struct Parser<'p> {
    path: &'p Path,
    dialect: Dialect,
    load: ReportedLoad,
    section: Section,
    form: Form,
    saw_status_heading: bool,
    /// The unit of the summary times, for histogram labels printed without one (oha < 1.9).
    summary_unit: Option<String>,
    /// The message of the last error line, so that a message broken over lines stays whole.
    last_error: Option<String>,
    warnings: Vec<Warning>,
}

impl<'p> Parser<'p> {
    fn new(path: &'p Path, dialect: Dialect) -> Self {
        Parser {
            path,
            dialect,
            load: ReportedLoad::default(),
            section: Section::Summary,
            form: Form::default(),
            saw_status_heading: false,
            summary_unit: None,
            last_error: None,
            warnings: Vec::new(),
        }
    }

    /// Reads one line; returns false when the summary is over (a second summary starts).
    fn line(&mut self, number: u64, text: &str) -> Result<bool, IngestError> {
        if text.trim() == "Summary:" {
            self.warnings.push(Warning {
                path: self.path.to_path_buf(),
                line: Some(number),
                message: "a second oha summary starts here; only the first one was read".into(),
            });
            return Ok(false);
        }
        if let Some(section) = heading(text) {
            self.open(section, text);
            return Ok(true);
        }
        if text.trim().is_empty() {
            // A blank line ends every block but the summary (which has one in its middle); what
            // follows the last block (a shell prompt, `time` output) is not oha's.
            if self.section != Section::Summary {
                self.section = Section::Unknown;
            }
            self.last_error = None;
            return Ok(true);
        }
        match self.section {
            Section::Summary => self.summary_line(number, text)?,
            Section::Histogram => self.histogram_line(number, text)?,
            Section::Distribution => self.distribution_line(number, text)?,
            Section::StatusCodes => self.status_line(number, text)?,
            Section::Errors => self.error_line(number, text)?,
            Section::Breakdown | Section::Details | Section::Unknown => {}
        }
        Ok(true)
    }

    fn open(&mut self, section: Section, text: &str) {
        if text.trim_end() == "Latency distribution:" {
            self.form.latency_heading = true;
        }
        if section == Section::StatusCodes {
            self.saw_status_heading = true;
        }
        self.section = section;
        self.last_error = None;
    }

    fn summary_line(&mut self, number: u64, text: &str) -> Result<(), IngestError> {
        let Some((key, value)) = split_key_value(text) else {
            return Err(self.error(number, text, text, "expected 'Name:<TAB>value'"));
        };
        match key {
            "Success rate" => self.success_rate(number, text, value)?,
            "Total" => self.load.duration_s = self.time_ms(number, text, value)?.map(|ms| ms / 1e3),
            "Slowest" => self.load.latency_ms.max = self.time_ms(number, text, value)?,
            "Fastest" => self.load.latency_ms.min = self.time_ms(number, text, value)?,
            "Average" => self.load.latency_ms.mean = self.time_ms(number, text, value)?,
            "Requests/sec" => {
                self.load.rps = parse_optional_f64(value)
                    .map_err(|_| self.error(number, text, value, "expected requests per second"))?
            }
            "Total data" => {
                self.load.bytes_total = parse_bytes(value).map_err(|_| {
                    self.error(number, text, value, "expected a size like '89.85 KiB'")
                })?
            }
            // Size/request is truncated to two characters by oha 1.1–1.4.1; Size/sec adds nothing.
            _ => {}
        }
        Ok(())
    }

    fn success_rate(&mut self, number: u64, text: &str, value: &str) -> Result<(), IngestError> {
        let (number_text, percent) = match value.strip_suffix('%') {
            Some(v) => (v, true),
            None => (value, false),
        };
        let rate = parse_optional_f64(number_text).map_err(|_| {
            self.error(
                number,
                text,
                value,
                "expected a success rate like '100.00%' or '1.0000'",
            )
        })?;
        if percent {
            self.form.percent_success_rate = true;
        } else {
            self.form.fraction_success_rate = true;
        }
        self.load.success_rate = rate.map(|r| if percent { r / 100.0 } else { r });
        Ok(())
    }

    fn time_ms(
        &mut self,
        number: u64,
        text: &str,
        value: &str,
    ) -> Result<Option<f64>, IngestError> {
        let (amount, unit) = split_amount_unit(value);
        self.note_unit(unit);
        if self.summary_unit.is_none() && !unit.is_empty() {
            self.summary_unit = Some(unit.to_string());
        }
        parse_time_ms(amount, unit).map_err(|_| {
            self.error(
                number,
                text,
                value,
                "expected a time like '5.0023 sec' or '0.0210 secs'",
            )
        })
    }

    fn note_unit(&mut self, unit: &str) {
        if is_chosen_unit(unit) {
            self.form.chosen_time_unit = true;
        }
    }

    fn histogram_line(&mut self, number: u64, text: &str) -> Result<(), IngestError> {
        let bucket = parse_histogram_line(text).ok_or_else(|| {
            self.error(
                number,
                text,
                text,
                "expected a histogram line like '  0.147 [2227] |■■'",
            )
        })?;
        self.note_unit(bucket.unit);
        // Labels without a unit (oha < 1.9) are in the summary's unit, which was always seconds.
        let unit = match bucket.unit {
            "" => self.summary_unit.as_deref().unwrap_or("secs"),
            unit => unit,
        };
        let label_ms = parse_time_ms(bucket.label, unit).map_err(|_| {
            self.error(
                number,
                text,
                bucket.label,
                "expected a histogram label (a time)",
            )
        })?;
        // An all-error run labels its empty buckets `NaN`: nothing to keep.
        if let Some(ms) = label_ms {
            self.load.histogram.push((ms, bucket.count));
        }
        Ok(())
    }

    fn distribution_line(&mut self, number: u64, text: &str) -> Result<(), IngestError> {
        let row = parse_percentile_line(text).ok_or_else(|| {
            self.error(
                number,
                text,
                text,
                "expected a distribution line like '  10.00% in 0.0012 sec'",
            )
        })?;
        // hey prints `0% in 0.0000 secs` for percentiles it could not fill (too few requests).
        if row.percent == 0.0 {
            return Ok(());
        }
        if row.percent_text.contains('.') {
            self.form.two_decimal_percentiles = true;
        }
        let (amount, unit) = split_amount_unit(row.value);
        self.note_unit(unit);
        let ms = parse_time_ms(amount, unit).map_err(|_| {
            self.error(number, text, row.value, "expected a time like '0.0012 sec'")
        })?;
        if let Some(ms) = ms {
            self.load.latency_ms.percentiles.push((row.percent, ms));
        }
        Ok(())
    }

    fn status_line(&mut self, number: u64, text: &str) -> Result<(), IngestError> {
        let (code, count) = parse_status_line(text).ok_or_else(|| {
            self.error(
                number,
                text,
                text,
                "expected a status line like '  [200] 29720 responses'",
            )
        })?;
        add_count(&mut self.load.status_codes, code, count);
        Ok(())
    }

    fn error_line(&mut self, number: u64, text: &str) -> Result<(), IngestError> {
        if let Some((count, message)) = parse_error_line(text) {
            add_count(&mut self.load.errors, message, count);
            self.last_error = Some(message.to_string());
            return Ok(());
        }
        // Messages are free text: a line that is not `[n] message` continues the previous one.
        let Some(previous) = self.last_error.take() else {
            return Err(self.error(
                number,
                text,
                text,
                "expected an error line like '  [8] timeout'",
            ));
        };
        let count = self.load.errors.remove(&previous).unwrap_or(0);
        let joined = format!("{previous}\n{text}");
        add_count(&mut self.load.errors, &joined, count);
        self.last_error = Some(joined);
        Ok(())
    }

    fn error(&self, number: u64, line: &str, part: &str, expected: &str) -> IngestError {
        IngestError::at_line(self.path, number, format!("{expected}, found {part:?}"))
            .with_column(column_of(line, part))
    }

    fn finish(mut self) -> FileIngest {
        let tool = match self.dialect {
            Dialect::Oha => ToolInfo::new("oha", Some(self.form.version())),
            // Every hey release (0.1.0–0.1.4 and later commits) prints the same template.
            Dialect::Hey => ToolInfo::new("hey", Some("0.1.x")),
        };
        if self.saw_status_heading {
            fill_oha_counts(&mut self.load);
        } else {
            self.warnings.push(Warning {
                path: self.path.to_path_buf(),
                line: None,
                message: format!(
                    "the {} summary has no status code distribution (truncated?): request counts unknown",
                    tool.name
                ),
            });
        }
        if self.load.successes == Some(0) {
            // Nothing succeeded, so nothing was timed: oha prints `inf`/`NaN` (0.5.x an average
            // of 0.0000), hey prints 0.0000 for Fastest and Slowest. None of it is a latency.
            self.load.latency_ms = Default::default();
        } else if self.load.latency_ms.max.is_none() && self.load.latency_ms.min.is_none() {
            self.load.latency_ms.mean = None;
        }
        self.load
            .latency_ms
            .percentiles
            .sort_by(|a, b| a.0.total_cmp(&b.0));
        self.load.histogram.sort_by(|a, b| a.0.total_cmp(&b.0));
        FileIngest {
            tool,
            reported: Some(self.load),
            warnings: self.warnings,
            ..FileIngest::default()
        }
    }
}

/// Fills requests/successes/failures from the status and error distributions, with oha's
/// semantics (see the module documentation). Shared with the oha JSON parser.
pub(crate) fn fill_oha_counts(load: &mut ReportedLoad) {
    let successes: u64 = load.status_codes.values().sum();
    let all_errors: u64 = load.errors.values().sum();
    let deadline = load.errors.get(DEADLINE_ABORT).copied().unwrap_or(0);
    load.successes = Some(successes);
    load.failures = Some(all_errors - deadline);
    load.requests = Some(successes + all_errors);
}

// ---- helpers shared with the hey text parser ----------------------------------------------

/// Splits `  Name:<TAB>value` into trimmed name and value.
pub(crate) fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.trim_start().split_once(':')?;
    Some((key.trim(), value.trim()))
}

/// Splits `5.0023 sec` into `("5.0023", "sec")`, `1.5 10 sec` into `("1.5", "10 sec")`.
pub(crate) fn split_amount_unit(value: &str) -> (&str, &str) {
    let value = value.trim();
    match value.split_once(char::is_whitespace) {
        Some((amount, unit)) => (amount, unit.trim()),
        None => (value, ""),
    }
}

/// Units introduced by oha 1.9 (`secs` was the only unit before).
fn is_chosen_unit(unit: &str) -> bool {
    matches!(
        unit,
        "ns" | "us" | "ms" | "sec" | "10 sec" | "min" | "10 min" | "hr"
    )
}

/// A time amount in a unit oha or hey prints, in milliseconds; `NaN`/`inf` give `None`.
/// Small units divide by an exact power of ten so that `1500 ns` gives exactly `0.0015`.
pub(crate) fn parse_time_ms(amount: &str, unit: &str) -> Result<Option<f64>, ()> {
    let Some(v) = parse_optional_f64(amount)? else {
        return Ok(None);
    };
    let ms = match unit {
        "ns" => v / 1e6,
        "us" | "µs" => v / 1e3,
        "ms" => v,
        "s" | "sec" | "secs" => v * 1e3,
        "10 sec" => v * 1e4,
        "min" => v * 6e4,
        "10 min" => v * 6e5,
        "hr" => v * 3.6e6,
        _ => return Err(()),
    };
    Ok(Some(ms))
}

/// A size oha printed (`89.85 KiB`, `41 B`, `0 B`), in bytes rounded to the nearest byte.
fn parse_bytes(value: &str) -> Result<Option<u64>, ()> {
    let value = value.trim();
    let split = value
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(value.len());
    let (amount, unit) = value.split_at(split);
    let Some(amount) = parse_optional_f64(amount)? else {
        return Ok(None);
    };
    let factor: f64 = match unit.trim() {
        "" | "B" | "bytes" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024f64.powi(2),
        "GiB" => 1024f64.powi(3),
        "TiB" => 1024f64.powi(4),
        "PiB" => 1024f64.powi(5),
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => return Err(()),
    };
    let bytes = (amount * factor).round();
    if bytes.is_finite() && bytes >= 0.0 {
        Ok(Some(bytes as u64))
    } else {
        Err(())
    }
}

/// One histogram line: `  0.147 [2227] |■■`, `  1.228 sec [1]    |`, `    NaN ns [0] |`.
pub(crate) struct HistogramLine<'a> {
    pub label: &'a str,
    pub unit: &'a str,
    pub count: u64,
}

pub(crate) fn parse_histogram_line(line: &str) -> Option<HistogramLine<'_>> {
    let (before, inside, _after) = bracketed(line)?;
    let (label, unit) = split_amount_unit(before);
    let count = inside.trim().parse().ok()?;
    Some(HistogramLine { label, unit, count })
}

/// One distribution row: `  10% in 0.0016 secs`, `  99.90% in 1.2 ms`.
pub(crate) struct PercentileLine<'a> {
    pub percent: f64,
    pub percent_text: &'a str,
    pub value: &'a str,
}

pub(crate) fn parse_percentile_line(line: &str) -> Option<PercentileLine<'_>> {
    let (percent_text, value) = line.trim().split_once("% in ")?;
    let percent: f64 = percent_text.trim().parse().ok()?;
    (percent.is_finite() && (0.0..=100.0).contains(&percent)).then_some(PercentileLine {
        percent,
        percent_text: percent_text.trim(),
        value: value.trim(),
    })
}

/// `  [200] 29720 responses` (oha) or `  [200]\t1815 responses` (hey) -> ("200", 29720).
pub(crate) fn parse_status_line(line: &str) -> Option<(&str, u64)> {
    let (before, code, after) = bracketed(line)?;
    if !before.is_empty() {
        return None;
    }
    let count = after
        .trim()
        .strip_suffix("responses")?
        .trim()
        .parse()
        .ok()?;
    Some((code.trim(), count))
}

/// `  [8] aborted due to deadline` (oha) or `  [8]\tmessage` (hey) -> (8, message). The
/// message is free text and may itself contain brackets.
pub(crate) fn parse_error_line(line: &str) -> Option<(u64, &str)> {
    let rest = line.trim_start().strip_prefix('[')?;
    let close = rest.find(']')?;
    let count = rest[..close].trim().parse().ok()?;
    let message = &rest[close + 1..];
    let message = message
        .strip_prefix(' ')
        .or_else(|| message.strip_prefix('\t'))
        .unwrap_or(message);
    Some((count, message.trim_end()))
}

/// Splits `before [inside] after` at the first bracket pair.
fn bracketed(line: &str) -> Option<(&str, &str, &str)> {
    let open = line.find('[')?;
    let close = open + line[open..].find(']')?;
    Some((
        line[..open].trim(),
        &line[open + 1..close],
        &line[close + 1..],
    ))
}

/// 1-based character column of `part` inside `line` (1 when it is not a sub-slice).
pub(crate) fn column_of(line: &str, part: &str) -> u64 {
    let offset = (part.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
    let offset = if offset <= line.len() && line.is_char_boundary(offset) {
        offset
    } else {
        line.find(part).unwrap_or(0)
    };
    line[..offset].chars().count() as u64 + 1
}

/// Adds `count` to a distribution entry (status codes, errors).
pub(crate) fn add_count(map: &mut BTreeMap<String, u64>, key: &str, count: u64) {
    *map.entry(key.to_string()).or_insert(0) += count;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::test_support::shared_dir;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oha");

    fn parse_file(path: &Path) -> Result<FileIngest, IngestError> {
        let bytes = std::fs::read(path).unwrap();
        parse_bytes_at(path, &bytes)
    }

    fn parse_bytes_at(path: &Path, bytes: &[u8]) -> Result<FileIngest, IngestError> {
        let mut reader = bytes;
        parse(path, &mut reader, &mut 0u64)
    }

    fn parse_str(text: &str) -> Result<FileIngest, IngestError> {
        parse_bytes_at(Path::new("inline.txt"), text.as_bytes())
    }

    fn fixture(name: &str) -> FileIngest {
        let path = Path::new(FIXTURES).join(name);
        parse_file(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    fn assert_close(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        assert!(close(a, b), "{a} != {b}");
    }

    /// Counts in a distribution section, read with naive code independent of the parser.
    fn naive_section_sum(text: &str, heading: &str) -> u64 {
        text.lines()
            .skip_while(|l| !l.starts_with(heading))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .map(|l| {
                let inside = l.split('[').nth(1).unwrap().split(']').next().unwrap();
                let after = l.split(']').nth(1).unwrap().trim();
                match heading {
                    "Status code" => after.split(' ').next().unwrap().parse::<u64>().unwrap(),
                    _ => inside.parse::<u64>().unwrap(),
                }
            })
            .sum()
    }

    #[test]
    fn current_version_default_run() {
        let f = fixture("oha-1.16.0_text_z5s_c10.txt");
        assert_eq!(f.tool, ToolInfo::new("oha", Some(">=1.9")));
        let r = f.reported.unwrap();
        assert_eq!(r.success_rate, Some(1.0));
        assert_close(r.duration_s, 5.0023);
        assert_close(r.latency_ms.max, 1435.4);
        assert_close(r.latency_ms.min, 0.3);
        assert_close(r.latency_ms.mean, 4.2);
        assert_close(r.rps, 2249.5580);
        assert_eq!(r.bytes_total, Some((450.16f64 * 1024.0).round() as u64));
        let ps: Vec<f64> = r.latency_ms.percentiles.iter().map(|p| p.0).collect();
        assert_eq!(ps, [10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99]);
        assert_close(r.latency_ms.percentile(50.0), 1.8);
        assert_close(r.latency_ms.percentile(99.99), 1435.1);
        assert_eq!(r.status_codes.get("200"), Some(&11243));
        assert_eq!(r.errors.get(DEADLINE_ABORT), Some(&10));
        assert_eq!(r.successes, Some(11243));
        assert_eq!(r.failures, Some(0));
        assert_eq!(r.requests, Some(11253));
        // oha's Requests/sec counts every result: requests / Total.
        assert!((r.rps.unwrap() * r.duration_s.unwrap() - 11253.0).abs() < 0.5);
        assert_eq!(r.histogram.len(), 11);
        assert_close(Some(r.histogram[1].0), 144.0);
        let hist_total: u64 = r.histogram.iter().map(|h| h.1).sum();
        assert_eq!(hist_total, 11243);
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn breakdown_blocks_do_not_overwrite_overall_figures() {
        let name = "oha-1.16.0_text_mixed-status_success-breakdown.txt";
        let text = std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap();
        let r = fixture(name).reported.unwrap();
        assert_eq!(r.histogram.len(), 11);
        let hist_total: u64 = r.histogram.iter().map(|h| h.1).sum();
        assert_eq!(
            hist_total,
            naive_section_sum(&text, "Response time histogram:")
        );
        assert_eq!(
            r.status_codes.values().sum::<u64>(),
            naive_section_sum(&text, "Status code")
        );
        assert_eq!(hist_total, 5903 + 2952);
        // Overall 95 % is 0.0082 sec; the 2xx-only block says 0.0083 sec.
        assert_close(r.latency_ms.percentile(95.0), 8.2);
        assert_close(r.latency_ms.percentile(99.99), 1228.4);
        assert_close(Some(r.histogram[10].0), 1228.0);
        assert_eq!(r.status_codes.get("404"), Some(&2952));
        assert_eq!(r.successes, Some(8855));
        assert_eq!(r.failures, Some(0));
        assert_eq!(r.requests, Some(8863));
        assert!((r.rps.unwrap() * r.duration_s.unwrap() - 8863.0).abs() < 0.5);
        assert_eq!(
            r.bytes_total,
            Some((38.85f64 * 1024.0 * 1024.0).round() as u64)
        );
    }

    #[test]
    fn all_error_run_has_no_latencies() {
        let f = fixture("oha-1.16.0_text_all-errors_conn-refused.txt");
        assert_eq!(f.tool.version.as_deref(), Some(">=1.9"));
        let r = f.reported.unwrap();
        assert_eq!(r.success_rate, Some(0.0));
        assert_close(r.duration_s, 2439387.0e-9);
        assert_eq!(r.latency_ms.min, None);
        assert_eq!(r.latency_ms.max, None);
        assert_eq!(r.latency_ms.mean, None);
        assert!(r.latency_ms.percentiles.is_empty());
        assert!(r.histogram.is_empty());
        assert!(r.status_codes.is_empty());
        assert_eq!(r.errors.get("Connection refused (os error 111)"), Some(&50));
        assert_eq!(
            (r.requests, r.successes, r.failures),
            (Some(50), Some(0), Some(50))
        );
        assert!((r.rps.unwrap() * r.duration_s.unwrap() - 50.0).abs() < 0.01);
        assert_eq!(r.bytes_total, Some(0));
    }

    #[test]
    fn old_version_fraction_and_unitless_histogram() {
        let f = fixture("oha-0.5.8_text_z5s_c10.txt");
        assert_eq!(f.tool.version.as_deref(), Some("<0.5.9"));
        let r = f.reported.unwrap();
        assert_eq!(r.success_rate, Some(1.0));
        assert_close(r.latency_ms.max, 1471.7);
        assert_eq!(r.latency_ms.percentiles.len(), 7);
        assert_close(r.latency_ms.percentile(99.0), 56.5);
        assert_close(Some(r.histogram[1].0), 147.0);
        assert_eq!(r.histogram.iter().map(|h| h.1).sum::<u64>(), 2244);
        assert_eq!(r.requests, Some(2244));
        assert!((r.rps.unwrap() * r.duration_s.unwrap() - 2244.0).abs() < 0.5);
        assert_eq!(r.bytes_total, Some((89.85f64 * 1024.0).round() as u64));
    }

    #[test]
    fn public_blocks_from_two_versions() {
        let Some(shared) = shared_dir() else {
            eprintln!("skipping: shared dir not found");
            return;
        };
        let cases = [
            ("sbdchd_blog___posts_2022-10-15-async-for-a-speed-boost__block05_oha-0.5.2-text.txt", "<0.5.9", 58.3474, 3501),
            ("sbdchd_blog___posts_2022-10-15-async-for-a-speed-boost__block08_oha-0.5.2-text.txt", "<0.5.9", 495.3030, 29720),
            ("sbdchd_blog___posts_2022-10-15-async-for-a-speed-boost__block11_oha-0.5.2-text.txt", "<0.5.9", 267.0533, 16024),
            ("retrokiller543_tosic-http__benchmarks_axum-bench_README__block00_oha-text.txt", ">=0.6.4", 3364.7592, 20000),
        ];
        for (name, version, rps, ok) in cases {
            let path = shared.join("corpus/public/oha").join(name);
            if !path.exists() {
                eprintln!("skipping: {} not found", path.display());
                continue;
            }
            let f = parse_file(&path).unwrap();
            assert_eq!(f.tool.version.as_deref(), Some(version), "{name}");
            let r = f.reported.unwrap();
            assert_close(r.rps, rps);
            assert_eq!(r.successes, Some(ok));
            assert_eq!(r.histogram.iter().map(|h| h.1).sum::<u64>(), ok, "{name}");
            assert!(
                (rps * r.duration_s.unwrap() - ok as f64).abs() < 1.0,
                "{name}"
            );
        }
    }

    #[test]
    fn recipeyak_seed_logs() {
        let Some(shared) = shared_dir() else {
            eprintln!("skipping: shared dir not found");
            return;
        };
        for (run, rps) in [
            ("sync-python", 58.3474),
            ("async-python", 495.3030),
            ("async-rust", 267.0533),
        ] {
            let path = shared.join("seed-data/recipeyak").join(run).join("oha.txt");
            if !path.exists() {
                eprintln!("skipping: {} not found", path.display());
                continue;
            }
            let r = parse_file(&path).unwrap().reported.unwrap();
            assert_eq!(r.rps, Some(rps), "{run}");
        }
    }

    /// Builds a >= 1.9 summary in the given unit, line shapes as in FORMATS.md §1.1.
    fn summary_in(unit: &str, slowest: &str, label: &str, p50: &str) -> String {
        format!(
            "Summary:\n  Success rate:\t99.50%\n  Total:\t3.0000 {unit}\n  Slowest:\t{slowest} {unit}\n  \
             Fastest:\t0.5000 {unit}\n  Average:\t1.0000 {unit}\n  Requests/sec:\t10.0000\n\n  \
             Total data:\t41 B\n  Size/request:\t41 B\n  Size/sec:\t13 B\n\nResponse time histogram:\n  \
             {label} {unit} [3] |■■■■\n\nResponse time distribution:\n  50.00% in {p50} {unit}\n\n\n\
             Status code distribution:\n  [200] 3 responses\n"
        )
    }

    #[test]
    fn every_time_unit_becomes_milliseconds() {
        let cases = [
            ("ns", 1500.0 / 1e6),
            ("us", 1.5),
            ("ms", 1500.0),
            ("sec", 1.5e6),
            ("10 sec", 1.5e7),
            ("min", 1500.0 * 60e3),
            ("10 min", 1500.0 * 600e3),
            ("hr", 1500.0 * 3600e3),
        ];
        for (unit, slowest_ms) in cases {
            let f = parse_str(&summary_in(unit, "1500.0000", "1500.000", "1.0000")).unwrap();
            assert_eq!(f.tool.version.as_deref(), Some(">=1.9"), "{unit}");
            let r = f.reported.unwrap();
            assert_close(r.latency_ms.max, slowest_ms);
            assert_close(Some(r.histogram[0].0), slowest_ms);
            assert_close(r.latency_ms.percentile(50.0), slowest_ms / 1500.0);
            assert_close(r.duration_s, slowest_ms / 500.0 / 1e3);
            assert_eq!(r.success_rate, Some(0.995));
        }
    }

    #[test]
    fn ansi_colours_and_crlf_are_ignored() {
        let text = summary_in("ms", "2.0000", "2.000", "1.0000")
            .replace("Summary:", "\x1b[1m\x1b[4mSummary:\x1b[0m")
            .replace(
                "  Slowest:\t2.0000 ms",
                "\x1b[33m  Slowest:\t2.0000 ms\x1b[39m",
            )
            .replace('\n', "\r\n");
        let r = parse_str(&text).unwrap().reported.unwrap();
        assert_close(r.latency_ms.max, 2.0);
        assert_eq!(r.status_codes.get("200"), Some(&3));
    }

    #[test]
    fn error_messages_are_free_text() {
        let text = summary_in("ms", "2.0000", "2.000", "1.0000")
            + "\nError distribution:\n  [7] error [os] 111: refused]\n  [2] aborted due to deadline\n  [1] line one\nline two\n\nreal\t0m5.012s\n";
        let r = parse_str(&text).unwrap().reported.unwrap();
        assert_eq!(r.errors.get("error [os] 111: refused]"), Some(&7));
        assert_eq!(r.errors.get("line one\nline two"), Some(&1));
        assert_eq!(r.failures, Some(8));
        assert_eq!(r.requests, Some(3 + 10));
    }

    #[test]
    fn bad_value_names_line_and_column() {
        let text = summary_in("ms", "fast", "2.000", "1.0000");
        let err = parse_str(&text).unwrap_err();
        assert_eq!(err.line, Some(4));
        assert_eq!(err.column, Some(12));
        assert!(err.message.contains("\"fast ms\""), "{}", err.message);
        let text = summary_in("parsecs", "2.0000", "2.000", "1.0000");
        assert_eq!(parse_str(&text).unwrap_err().line, Some(3));
        let text = summary_in("ms", "2.0000", "2.000", "1.0000").replace("[200] 3", "[200] x");
        assert_eq!(parse_str(&text).unwrap_err().line, Some(21));
    }

    #[test]
    fn not_an_oha_summary_is_an_error() {
        let err = parse_str("hello\nSummary:\n  Total:\t1 secs\n").unwrap_err();
        assert!(err.message.contains("Summary:"), "{}", err.message);
    }

    #[test]
    fn truncated_summary_warns_and_keeps_figures() {
        let text = summary_in("ms", "2.0000", "2.000", "1.0000");
        let cut = &text[..text.find("Status code").unwrap()];
        let f = parse_str(cut).unwrap();
        assert_eq!(f.warnings.len(), 1);
        let r = f.reported.unwrap();
        assert_eq!(r.requests, None);
        assert_close(r.latency_ms.max, 2.0);
    }

    #[test]
    fn second_summary_is_not_merged() {
        let one = summary_in("ms", "2.0000", "2.000", "1.0000");
        let f = parse_str(&format!("{one}\n{one}")).unwrap();
        assert_eq!(f.warnings.len(), 1);
        assert_eq!(f.reported.unwrap().status_codes.get("200"), Some(&3));
    }

    #[test]
    fn sniff_tells_oha_from_hey() {
        let oha = std::fs::read(Path::new(FIXTURES).join("oha-0.5.8_text_z5s_c10.txt")).unwrap();
        assert!(sniff(&oha, Path::new("x")));
        let hey = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/hey/hey-0.1.4_z5s_c10.txt"
        ))
        .unwrap();
        assert!(!sniff(&hey, Path::new("x")));
        assert!(sniff(
            b"\x1b[1m\x1b[4mSummary:\x1b[0m\r\n  Success rate:\t100.00%\r\n",
            Path::new("x")
        ));
    }

    /// Every fixture of the oha/wrk/ab/hey families is detected as its own format (the other
    /// formats' sniffers must not claim them either).
    #[test]
    fn detection_assigns_every_fixture_to_its_format() {
        use crate::ingest::{detect, read_head, Format};
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let expected = |name: &str| -> Option<Format> {
            Some(match name {
                n if n.starts_with("oha") && n.ends_with(".txt") => Format::OhaText,
                n if n.starts_with("oha") && n.ends_with(".json") => Format::OhaJson,
                n if n.starts_with("oha") && n.ends_with(".csv") => Format::OhaCsv,
                n if n.starts_with("hey") && n.ends_with(".txt") => Format::HeyText,
                n if n.starts_with("hey") && n.ends_with(".csv") => Format::HeyCsv,
                n if n.starts_with("wrk") => Format::Wrk,
                n if n.starts_with("ab") => Format::Ab,
                _ => return None,
            })
        };
        let mut checked = 0;
        for tool in ["oha", "hey", "wrk", "ab"] {
            for entry in std::fs::read_dir(root.join(tool)).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                let Some(want) = expected(&name) else {
                    continue;
                };
                let head = read_head(&path).unwrap();
                assert_eq!(detect(&path, &head), Some(want), "{name}");
                checked += 1;
            }
        }
        assert!(checked >= 25, "only {checked} fixtures checked");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_garbage(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse_bytes_at(Path::new("g"), &bytes);
            let _ = sniff(&bytes, Path::new("g"));
        }

        #[test]
        fn never_panics_on_truncated_or_mutated_summary(cut in 0usize..1100, pos in 0usize..1100, byte in proptest::num::u8::ANY) {
            let mut text = std::fs::read(Path::new(FIXTURES).join("oha-1.16.0_text_z5s_c10.txt")).unwrap();
            text.truncate(cut);
            if pos < text.len() {
                text[pos] = byte;
            }
            let _ = parse_bytes_at(Path::new("t"), &text);
        }
    }
}
