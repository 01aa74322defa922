//! Locust result files, FORMATS.md §4: the CSV files written by `--csv PREFIX` and the `--json`
//! stats file.
//!
//! A locust run is several files, and each one yields only what it knows; the run assembler
//! merges their [`ReportedLoad`]s field by field:
//! - `_stats.csv` (every version: ≤0.13.2 `"Method","Name","# requests"`, 0.13.3–0.14
//!   `"Type","Name","# requests"`, 1.0–1.1 with a `99.999%` column, ≥1.2) -> per-label figures and
//!   the `Aggregated` (≤0.12: `Total`) row's totals, percentiles mapped by header;
//! - `_distribution.csv` (≤0.13.2) -> per-label request counts and percentiles;
//! - `_stats_history.csv` -> throughput over time (the `Aggregated` rows) and the duration;
//! - `_failures.csv` -> failures by error text;
//! - `_exceptions.csv` -> a warning: these are exceptions raised by the test's own task code,
//!   not failed requests. Counting them as request errors would inflate the failure figures
//!   (the stats layer derives failures from the error counts when no total is given), so they
//!   are shown to the user as a warning instead;
//! - `--json` stats (a list of StatsEntry dicts) -> per-label and total counts, latency
//!   min/mean/max and the response-time histogram.
//!
//! Files are read as bytes and decoded per field (text written on Windows is cp1252 or GBK;
//! such bytes are kept losslessly as Latin-1). Locust writes CRLF; the CSV reader accepts any
//! line ending, and quoted fields may span lines (tracebacks).

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, Read};
use std::path::Path;

use csv::ByteRecord;

use crate::error::IngestError;
use crate::ingest::head_text;
use crate::ingest::text::{decode, parse_optional_f64};
use crate::model::{
    FileIngest, ReportedLabel, ReportedLatency, ReportedLoad, SampleSink, ToolInfo, Warning,
};

/// The kinds of locust file, told apart by their header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stats,
    Distribution,
    History,
    Failures,
    Exceptions,
}

pub fn sniff(head: &[u8], _path: &Path) -> bool {
    let text = head_text(head);
    if text.trim_start().starts_with('[') {
        return looks_like_stats_json(&text);
    }
    let first = text.lines().next().unwrap_or("");
    let names: Vec<String> = first
        .split(',')
        .map(|n| n.trim().trim_matches('"').to_string())
        .collect();
    kind_of(&names).is_some()
}

pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    let start = reader.fill_buf().map_err(|e| IngestError::io(path, &e))?;
    let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
    if start.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return json::parse(path, reader);
    }
    parse_csv(path, reader)
}

fn looks_like_stats_json(text: &str) -> bool {
    [
        "\"num_reqs_per_sec\"",
        "\"response_times\"",
        "\"num_requests\"",
    ]
    .iter()
    .all(|key| text.contains(key))
}

fn kind_of(names: &[String]) -> Option<Kind> {
    let n: Vec<&str> = names.iter().map(String::as_str).collect();
    let has = |name: &str| n.contains(&name);
    match n.as_slice() {
        ["Count", "Message", "Traceback", "Nodes", ..] => Some(Kind::Exceptions),
        ["Method", "Name", "Error", "Occurrences", ..] => Some(Kind::Failures),
        ["Timestamp", "User Count", "Type", "Name", ..] => Some(Kind::History),
        ["Type", "Name", "Timestamp", "# requests", ..] => Some(Kind::History),
        ["Type" | "Method", "Name", "Request Count" | "# requests", ..] => Some(Kind::Stats),
        ["Name", "# requests", ..] if has("100%") => Some(Kind::Distribution),
        _ => None,
    }
}

/// Whether a row is the run's total: `,Aggregated` (≥1.0), `"None","Aggregated"` (0.13–0.14),
/// `"None","Total"` (≤0.12). A user's own request named "Aggregated" has a method.
fn is_total_row(method: Option<&str>, name: &str) -> bool {
    matches!(name, "Aggregated" | "Total") && matches!(method, None | Some("") | Some("None"))
}

/// The header of a CSV file: names in order, looked up by any of their historical spellings.
struct Header {
    names: Vec<String>,
}

impl Header {
    fn index(&self, spellings: &[&str]) -> Option<usize> {
        self.names
            .iter()
            .position(|n| spellings.contains(&n.as_str()))
    }

    fn required(&self, spellings: &[&str], path: &Path) -> Result<usize, IngestError> {
        self.index(spellings).ok_or_else(|| {
            IngestError::at_line(
                path,
                1,
                format!(
                    "expected a '{}' column in the locust header, found none",
                    spellings[0]
                ),
            )
        })
    }

    /// `50%`, `99.9%`, and 0.14's `99.999` (written without `%`): (percentile, column).
    fn percentiles(&self) -> Vec<(f64, usize)> {
        let mut out: Vec<(f64, usize)> = self
            .names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let p: f64 = n.strip_suffix('%').unwrap_or(n).parse().ok()?;
                (p > 0.0 && p <= 100.0).then_some((p, i))
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }

    fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

/// One CSV record with what error messages need to point at it.
struct Row<'a> {
    record: &'a ByteRecord,
    header: &'a Header,
}

impl Row<'_> {
    fn text(&self, column: usize) -> std::borrow::Cow<'_, str> {
        decode(self.record.get(column).unwrap_or(b""))
    }

    fn optional_text(&self, column: Option<usize>) -> Option<String> {
        column.map(|c| self.text(c).into_owned())
    }

    fn error(&self, column: usize, expected: &str) -> String {
        let name = self.header.names.get(column).map_or("?", String::as_str);
        format!(
            "expected {expected} in column '{name}', found {:?}",
            self.text(column)
        )
    }

    /// A number the tool printed; `N/A`, `NaN` and an empty field are "no value".
    fn number(&self, column: Option<usize>) -> Result<Option<f64>, (usize, String)> {
        let Some(c) = column else { return Ok(None) };
        let text = self.text(c);
        if text.trim().is_empty() {
            return Ok(None);
        }
        parse_optional_f64(&text).map_err(|()| (c, self.error(c, "a number")))
    }

    fn count(&self, column: Option<usize>) -> Result<Option<u64>, (usize, String)> {
        let Some(c) = column else { return Ok(None) };
        let text = self.text(c);
        match text.trim().parse::<u64>() {
            Ok(v) => Ok(Some(v)),
            Err(_) => Err((c, self.error(c, "a whole number"))),
        }
    }
}

/// What a row handler reports back: an error message and the 0-based column it is about.
type RowResult = Result<(), (usize, String)>;

/// A handler for the rows of one kind of file.
trait RowHandler {
    fn row(&mut self, row: &Row<'_>) -> RowResult;
    fn finish(self: Box<Self>, ingest: &mut FileIngest);
}

/// Counts the newlines that pass through, so that a record's line can be told from its byte
/// offset (the csv crate's own line numbers are one short after a CRLF, which locust always
/// writes). Only the newlines not yet behind the last record asked about are kept.
struct LineCounter<R> {
    inner: R,
    offset: u64,
    newlines: VecDeque<u64>,
    lines_before: u64,
}

impl<R: Read> LineCounter<R> {
    fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            newlines: VecDeque::new(),
            lines_before: 0,
        }
    }

    /// The 1-based line of a record starting at `byte`. Call with increasing offsets. A record's
    /// start offset can point at the `\n` ending the previous line (after a CR, or a blank
    /// line), which therefore counts as before it.
    fn line_at(&mut self, byte: u64) -> u64 {
        while self.newlines.front().is_some_and(|&nl| nl <= byte) {
            self.newlines.pop_front();
            self.lines_before += 1;
        }
        self.lines_before + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        let offset = self.offset;
        self.newlines
            .extend(memchr::memchr_iter(b'\n', chunk).map(|i| offset + i as u64));
        self.offset += n as u64;
        Ok(n)
    }
}

type CsvReader<'r> = csv::Reader<LineCounter<&'r mut dyn BufRead>>;

fn record_line(csv: &mut CsvReader<'_>, record: &ByteRecord) -> u64 {
    let byte = record.position().map_or(0, |p| p.byte());
    csv.get_mut().line_at(byte)
}

fn parse_csv(path: &Path, reader: &mut dyn BufRead) -> Result<FileIngest, IngestError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(LineCounter::new(reader));
    let mut record = ByteRecord::new();
    let mut next = ByteRecord::new();
    if !read_record(&mut csv, &mut record, path)? {
        return Err(IngestError::new(
            path,
            "expected a locust CSV header, found an empty file",
        ));
    }
    let header = Header {
        names: record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let f = if i == 0 {
                    f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
                } else {
                    f
                };
                decode(f).trim().to_string()
            })
            .collect(),
    };
    let kind = kind_of(&header.names).ok_or_else(|| {
        IngestError::at_line(
            path,
            1,
            format!(
                "expected a locust CSV header (stats, stats history, failures or exceptions), found {:?}",
                header.names.join(",")
            ),
        )
    })?;
    let mut ingest = FileIngest {
        tool: ToolInfo::new("locust", Some(version_hint(kind, &header))),
        ..FileIngest::default()
    };
    let mut handler = handler_for(kind, &header, path)?;
    let mut has_current = read_record(&mut csv, &mut record, path)?;
    while has_current {
        let has_next = read_record(&mut csv, &mut next, path)?;
        let line = record_line(&mut csv, &record);
        let row = Row {
            record: &record,
            header: &header,
        };
        if let Err((column, message)) = check_width(&row).and_then(|()| handler.row(&row)) {
            if has_next {
                return Err(
                    IngestError::at_line(path, line, message).with_column(column as u64 + 1)
                );
            }
            // The file is rewritten in place every second: a reader can catch it half-written.
            ingest.warnings.push(Warning {
                path: path.to_path_buf(),
                line: Some(line),
                message: format!("last row ignored (truncated or half-written?): {message}"),
            });
        }
        std::mem::swap(&mut record, &mut next);
        has_current = has_next;
    }
    handler.finish(&mut ingest);
    for w in &mut ingest.warnings {
        w.path = path.to_path_buf();
    }
    Ok(ingest)
}

/// Reads the next non-blank record (Windows files written through a text-mode layer can end
/// lines with CR CR LF, which reads as a blank record in between).
fn read_record(
    csv: &mut CsvReader<'_>,
    record: &mut ByteRecord,
    path: &Path,
) -> Result<bool, IngestError> {
    loop {
        let more = match csv.read_byte_record(record) {
            Ok(more) => more,
            Err(e) => return Err(csv_error(csv, path, &e)),
        };
        if !more {
            return Ok(false);
        }
        if !(record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty())) {
            return Ok(true);
        }
    }
}

fn csv_error(csv: &mut CsvReader<'_>, path: &Path, err: &csv::Error) -> IngestError {
    let message = format!("unreadable CSV: {err}");
    match err.position() {
        Some(p) => IngestError::at_line(path, csv.get_mut().line_at(p.byte()), message),
        None => IngestError::new(path, message),
    }
}

fn check_width(row: &Row<'_>) -> RowResult {
    let expected = row.header.names.len();
    let found = row.record.len();
    if found == expected {
        return Ok(());
    }
    let column = found.min(expected);
    Err((
        column,
        format!(
            "expected {expected} fields ({}), found {found}",
            abbreviate(&row.header.names.join(", "), 80)
        ),
    ))
}

fn abbreviate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{cut}...")
}

fn version_hint(kind: Kind, header: &Header) -> &'static str {
    let old_names = header.has("# requests");
    match kind {
        Kind::Stats if header.has("Method") => "<=0.13.2",
        Kind::Stats | Kind::History if old_names => "0.13.3-0.14",
        Kind::Stats | Kind::History if header.has("99.999%") => "1.0-1.1",
        Kind::Stats | Kind::History => ">=1.2",
        Kind::Distribution => "<=0.13.2",
        Kind::Failures if header.has("First Seen") => ">=2.44.0",
        Kind::Failures => "<2.44.0",
        Kind::Exceptions => ">=1.4.2",
    }
}

fn handler_for(
    kind: Kind,
    header: &Header,
    path: &Path,
) -> Result<Box<dyn RowHandler>, IngestError> {
    Ok(match kind {
        Kind::Stats | Kind::Distribution => Box::new(StatsHandler::new(header, path)?),
        Kind::History => Box::new(HistoryHandler::new(header, path)?),
        Kind::Failures => Box::new(FailuresHandler {
            error: header.required(&["Error"], path)?,
            occurrences: header.required(&["Occurrences"], path)?,
            errors: BTreeMap::new(),
        }),
        Kind::Exceptions => Box::new(ExceptionsHandler {
            count: header.required(&["Count"], path)?,
            message: header.required(&["Message"], path)?,
            exceptions: Vec::new(),
        }),
    })
}

/// Columns of `_stats.csv` (all versions) and `_distribution.csv`.
struct StatsHandler {
    method: Option<usize>,
    name: usize,
    requests: usize,
    failures: Option<usize>,
    median: Option<usize>,
    mean: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
    rps: Option<usize>,
    percentiles: Vec<(f64, usize)>,
    load: ReportedLoad,
    saw_total: bool,
}

impl StatsHandler {
    fn new(header: &Header, path: &Path) -> Result<Self, IngestError> {
        Ok(StatsHandler {
            method: header.index(&["Type", "Method"]),
            name: header.required(&["Name"], path)?,
            requests: header.required(&["Request Count", "# requests"], path)?,
            failures: header.index(&["Failure Count", "# failures"]),
            median: header.index(&["Median Response Time", "Median response time"]),
            mean: header.index(&["Average Response Time", "Average response time"]),
            min: header.index(&["Min Response Time", "Min response time"]),
            max: header.index(&["Max Response Time", "Max response time"]),
            rps: header.index(&["Requests/s"]),
            percentiles: header.percentiles(),
            load: ReportedLoad::default(),
            saw_total: false,
        })
    }

    fn latency(&self, row: &Row<'_>, requests: u64) -> Result<ReportedLatency, (usize, String)> {
        let mut latency = ReportedLatency::default();
        let mut percentiles = Vec::with_capacity(self.percentiles.len() + 1);
        for &(p, column) in &self.percentiles {
            if let Some(ms) = row.number(Some(column))? {
                percentiles.push((p, ms));
            }
        }
        let median = row.number(self.median)?;
        if requests == 0 {
            // Locust prints 0 for min/median/max of an entry without requests: placeholders.
            return Ok(latency);
        }
        if !self.percentiles.iter().any(|&(p, _)| p == 50.0) {
            if let Some(ms) = median {
                percentiles.insert(0, (50.0, ms));
                percentiles.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
        latency.min = row.number(self.min)?;
        latency.mean = row.number(self.mean)?;
        latency.max = row.number(self.max)?;
        latency.percentiles = percentiles;
        Ok(latency)
    }
}

impl RowHandler for StatsHandler {
    fn row(&mut self, row: &Row<'_>) -> RowResult {
        let method = row.optional_text(self.method);
        let name = row.text(self.name).into_owned();
        let requests = row.count(Some(self.requests))?.unwrap_or(0);
        let label = ReportedLabel {
            method: method.clone().filter(|m| !m.is_empty()),
            requests: Some(requests),
            failures: row.count(self.failures)?,
            rps: row.number(self.rps)?,
            latency_ms: self.latency(row, requests)?,
            label: name,
        };
        if is_total_row(method.as_deref(), &label.label) {
            self.saw_total = true;
            self.load.requests = label.requests;
            self.load.failures = label.failures;
            self.load.rps = label.rps;
            self.load.latency_ms = label.latency_ms;
        } else {
            self.load.labels.push(label);
        }
        Ok(())
    }

    fn finish(self: Box<Self>, ingest: &mut FileIngest) {
        if !self.saw_total {
            ingest.warnings.push(Warning {
                path: Default::default(),
                line: None,
                message: "no Aggregated row: totals are not known from this file (half-written?)"
                    .to_string(),
            });
        }
        ingest.reported = Some(self.load);
    }
}

/// `_stats_history.csv`: the Aggregated rows' current throughput, one row per second.
struct HistoryHandler {
    timestamp: usize,
    method: Option<usize>,
    name: usize,
    rps: usize,
    first: Option<f64>,
    last: Option<f64>,
    series: Vec<(f64, f64)>,
}

impl HistoryHandler {
    fn new(header: &Header, path: &Path) -> Result<Self, IngestError> {
        Ok(HistoryHandler {
            timestamp: header.required(&["Timestamp"], path)?,
            method: header.index(&["Type", "Method"]),
            name: header.required(&["Name"], path)?,
            rps: header.required(&["Requests/s"], path)?,
            first: None,
            last: None,
            series: Vec::new(),
        })
    }
}

impl RowHandler for HistoryHandler {
    fn row(&mut self, row: &Row<'_>) -> RowResult {
        let method = row.optional_text(self.method);
        if !is_total_row(method.as_deref(), &row.text(self.name)) {
            return Ok(()); // per-entry rows of --csv-full-history
        }
        let Some(t) = row.number(Some(self.timestamp))? else {
            return Err((self.timestamp, row.error(self.timestamp, "an epoch second")));
        };
        let first = *self.first.get_or_insert(t);
        self.last = Some(t);
        if let Some(rps) = row.number(Some(self.rps))? {
            self.series.push((t - first, rps));
        }
        Ok(())
    }

    fn finish(self: Box<Self>, ingest: &mut FileIngest) {
        ingest.reported = Some(ReportedLoad {
            duration_s: self.first.zip(self.last).map(|(a, b)| b - a),
            rps_series: self.series,
            ..ReportedLoad::default()
        });
    }
}

/// `_failures.csv`: error text -> occurrences (summed over request names).
struct FailuresHandler {
    error: usize,
    occurrences: usize,
    errors: BTreeMap<String, u64>,
}

impl RowHandler for FailuresHandler {
    fn row(&mut self, row: &Row<'_>) -> RowResult {
        let n = row.count(Some(self.occurrences))?.unwrap_or(0);
        *self
            .errors
            .entry(row.text(self.error).into_owned())
            .or_default() += n;
        Ok(())
    }

    fn finish(self: Box<Self>, ingest: &mut FileIngest) {
        ingest.reported = Some(ReportedLoad {
            errors: self.errors,
            ..ReportedLoad::default()
        });
    }
}

/// `_exceptions.csv`: exceptions raised by task code, reported as one warning (see module docs).
struct ExceptionsHandler {
    count: usize,
    message: usize,
    exceptions: Vec<(u64, String)>,
}

impl RowHandler for ExceptionsHandler {
    fn row(&mut self, row: &Row<'_>) -> RowResult {
        let n = row.count(Some(self.count))?.unwrap_or(0);
        self.exceptions
            .push((n, row.text(self.message).into_owned()));
        Ok(())
    }

    fn finish(self: Box<Self>, ingest: &mut FileIngest) {
        if self.exceptions.is_empty() {
            return;
        }
        let total: u64 = self.exceptions.iter().map(|(n, _)| n).sum();
        let listed: Vec<String> = self
            .exceptions
            .iter()
            .take(3)
            .map(|(n, m)| format!("{n} x {:?}", abbreviate(m, 100)))
            .collect();
        let more = match self.exceptions.len() {
            n if n > 3 => format!(", and {} more kinds", n - 3),
            _ => String::new(),
        };
        ingest.warnings.push(Warning {
            path: Default::default(),
            line: None,
            message: format!(
                "the locust test code raised {total} exception(s), not counted as failed \
                 requests: {}{more}",
                listed.join(", ")
            ),
        });
    }
}

/// The `--json` / `--json-file` stats: a list of StatsEntry dicts (locust 2.x). Small: read whole.
mod json {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Entry {
        name: String,
        method: Option<String>,
        num_requests: u64,
        #[serde(default)]
        num_none_requests: u64,
        num_failures: u64,
        #[serde(default)]
        total_response_time: f64,
        min_response_time: Option<f64>,
        max_response_time: Option<f64>,
        /// Response time rounded the locust way (ms, 2 significant digits above 100) -> count.
        #[serde(default)]
        response_times: BTreeMap<String, u64>,
        /// Epoch second -> requests.
        #[serde(default)]
        num_reqs_per_sec: BTreeMap<String, u64>,
    }

    pub(super) fn parse(path: &Path, reader: &mut dyn BufRead) -> Result<FileIngest, IngestError> {
        let entries: Vec<Entry> = serde_json::from_reader(reader).map_err(|e| {
            IngestError::at_line(
                path,
                e.line() as u64,
                format!("expected locust --json stats: {e}"),
            )
            .with_column(e.column() as u64)
        })?;
        let mut totals = Totals::default();
        let mut labels = Vec::with_capacity(entries.len());
        for entry in &entries {
            labels.push(totals.add(entry, path)?);
        }
        let mut load = totals.into_load();
        load.labels = labels;
        Ok(FileIngest {
            tool: ToolInfo::new("locust", Some("2.x --json")),
            reported: Some(load),
            ..FileIngest::default()
        })
    }

    /// Locust's own Aggregated entry is logged with every request, so its figures are the sums,
    /// minimum and maximum over the entries; that is all this does.
    #[derive(Default)]
    struct Totals {
        requests: u64,
        failures: u64,
        timed: u64,
        total_ms: f64,
        min: Option<f64>,
        max: Option<f64>,
        histogram: BTreeMap<u64, (f64, u64)>,
        per_second: BTreeMap<i64, u64>,
    }

    impl Totals {
        fn add(&mut self, e: &Entry, path: &Path) -> Result<ReportedLabel, IngestError> {
            let timed = e.num_requests.saturating_sub(e.num_none_requests);
            self.requests += e.num_requests;
            self.failures += e.num_failures;
            self.timed += timed;
            self.total_ms += e.total_response_time;
            self.min = min_opt(self.min, e.min_response_time.filter(|_| timed > 0));
            self.max = max_opt(self.max, e.max_response_time.filter(|_| timed > 0));
            for (key, &n) in &e.response_times {
                let ms = number_key(key, path, "response_times")?;
                let slot = self.histogram.entry(ms.to_bits()).or_insert((ms, 0));
                slot.1 += n;
            }
            for (key, &n) in &e.num_reqs_per_sec {
                let second = number_key(key, path, "num_reqs_per_sec")?;
                *self.per_second.entry(second as i64).or_default() += n;
            }
            Ok(ReportedLabel {
                label: e.name.clone(),
                method: e.method.clone().filter(|m| !m.is_empty()),
                requests: Some(e.num_requests),
                failures: Some(e.num_failures),
                rps: None,
                latency_ms: ReportedLatency {
                    min: e.min_response_time.filter(|_| timed > 0),
                    mean: (timed > 0).then(|| e.total_response_time / timed as f64),
                    max: e.max_response_time.filter(|_| timed > 0),
                    ..ReportedLatency::default()
                },
            })
        }

        fn into_load(self) -> ReportedLoad {
            let mut histogram: Vec<(f64, u64)> = self.histogram.into_values().collect();
            histogram.sort_by(|a, b| a.0.total_cmp(&b.0));
            ReportedLoad {
                requests: Some(self.requests),
                failures: Some(self.failures),
                latency_ms: ReportedLatency {
                    min: self.min,
                    mean: (self.timed > 0).then(|| self.total_ms / self.timed as f64),
                    max: self.max,
                    ..ReportedLatency::default()
                },
                histogram,
                rps_series: per_second_series(&self.per_second),
                ..ReportedLoad::default()
            }
        }
    }

    /// Requests per second from locust's per-second counts. Locust only records seconds that had
    /// requests, so the seconds in between are zeros (filled in unless the span is absurd).
    fn per_second_series(per_second: &BTreeMap<i64, u64>) -> Vec<(f64, f64)> {
        const MAX_SPAN_S: i64 = 7 * 24 * 3600;
        let (Some(&first), Some(&last)) = (per_second.keys().next(), per_second.keys().next_back())
        else {
            return Vec::new();
        };
        let point = |t: i64| {
            (
                (t - first) as f64,
                per_second.get(&t).copied().unwrap_or(0) as f64,
            )
        };
        if last - first > MAX_SPAN_S {
            return per_second.keys().map(|&t| point(t)).collect();
        }
        (first..=last).map(point).collect()
    }

    fn number_key(key: &str, path: &Path, field: &str) -> Result<f64, IngestError> {
        key.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                IngestError::new(
                    path,
                    format!("expected numeric keys in \"{field}\", found {key:?}"),
                )
            })
    }

    fn min_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::test_support::shared_dir;
    use std::io::BufReader;
    use std::path::PathBuf;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/locust");

    fn fixture(name: &str) -> PathBuf {
        Path::new(FIXTURES).join(name)
    }

    fn public(name: &str) -> Option<PathBuf> {
        let relative = format!("corpus/public/locust/{name}");
        match shared_dir().map(|d| d.join(&relative)) {
            Some(p) if p.is_file() => Some(p),
            _ => {
                eprintln!("skipping: {relative} not found");
                None
            }
        }
    }

    fn parse_path(path: &Path) -> FileIngest {
        let head = std::fs::read(path).unwrap();
        assert!(sniff(&head, path), "sniff {}", path.display());
        let file = std::fs::File::open(path).unwrap();
        let mut sink = 0u64;
        let ingest =
            parse(path, &mut BufReader::new(file), &mut sink).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sink, 0, "locust files carry no raw samples");
        assert_eq!(ingest.tool.name, "locust");
        ingest
    }

    fn reported(ingest: &FileIngest) -> &ReportedLoad {
        ingest.reported.as_ref().expect("reported figures")
    }

    fn parse_bytes(bytes: &[u8]) -> Result<FileIngest, IngestError> {
        parse(Path::new("x.csv"), &mut &bytes[..], &mut 0u64)
    }

    /// The test's own reading: data lines of a file without multi-line fields.
    fn data_lines(path: &Path) -> Vec<String> {
        let bytes = std::fs::read(path).unwrap();
        String::from_utf8_lossy(&bytes)
            .lines()
            .skip(1)
            .map(|l| l.trim_end_matches('\r').to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    #[test]
    fn stats_2_47_per_label_and_aggregated() {
        let path = fixture("locust-2.47.0_default_stats.csv");
        let ingest = parse_path(&path);
        assert_eq!(ingest.tool.version.as_deref(), Some(">=1.2"));
        let load = reported(&ingest);
        // Last line: ,Aggregated,85,22,5,8.179342193146082,1.1679650873870602,46.150044519177314,
        // 3509.423529411765,21.423590525581155,5.544929312503357,5,8,9,11,18,28,41,46,46,46,46
        assert_eq!(load.requests, Some(85));
        assert_eq!(load.failures, Some(22));
        assert_eq!(load.rps, Some(21.423590525581155));
        assert_eq!(load.latency_ms.min, Some(1.1679650873870602));
        assert_eq!(load.latency_ms.mean, Some(8.179342193146082));
        assert_eq!(load.latency_ms.max, Some(46.150044519177314));
        let ps: Vec<f64> = load.latency_ms.percentiles.iter().map(|p| p.0).collect();
        assert_eq!(
            ps,
            [50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.9, 99.99, 100.0]
        );
        assert_eq!(load.latency_ms.percentile(90.0), Some(18.0));
        assert_eq!(load.latency_ms.percentile(99.9), Some(46.0));

        let lines = data_lines(&path);
        assert_eq!(
            load.labels.len(),
            lines.len() - 1,
            "one label per row but Aggregated"
        );
        let sum: u64 = load.labels.iter().filter_map(|l| l.requests).sum();
        assert_eq!(sum, 85, "per-label counts add up to the Aggregated row");
        let quoted = load
            .labels
            .iter()
            .find(|l| l.label == "Get \"data\", big")
            .unwrap();
        assert_eq!(quoted.method.as_deref(), Some("GET"));
        assert_eq!(quoted.requests, Some(21));
        assert!(load.labels.iter().any(|l| l.label == "Überprüfung ページ"));
        let custom = load
            .labels
            .iter()
            .find(|l| l.label == "custom float rt")
            .unwrap();
        assert_eq!(custom.method.as_deref(), Some("CUSTOM"));
        // A float median (clamped to min/max with one sample): `refused port 1` has 1 request.
        let refused = load
            .labels
            .iter()
            .find(|l| l.label == "refused port 1")
            .unwrap();
        assert_eq!(refused.latency_ms.min, Some(4.304656999920553));
        assert!(ingest.warnings.is_empty());
    }

    #[test]
    fn zero_request_run_has_no_latency_figures() {
        let ingest = parse_path(&fixture("locust-2.47.0_zero-requests_stats.csv"));
        let load = reported(&ingest);
        assert_eq!(load.requests, Some(0));
        assert_eq!(load.failures, Some(0));
        assert_eq!(
            load.latency_ms,
            ReportedLatency::default(),
            "0 and N/A are placeholders"
        );
        assert!(load.labels.is_empty());
        let history = parse_path(&fixture("locust-2.47.0_zero-requests_stats_history.csv"));
        assert_eq!(
            reported(&history).rps_series,
            vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]
        );
        for name in [
            "locust-2.47.0_zero-requests_failures.csv",
            "locust-2.47.0_zero-requests_exceptions.csv",
        ] {
            let ingest = parse_path(&fixture(name));
            assert!(ingest.warnings.is_empty());
            assert!(ingest.reported.as_ref().is_none_or(|r| r.errors.is_empty()));
        }
    }

    #[test]
    fn history_aggregated_rows_become_the_rps_series() {
        let path = fixture("locust-2.47.0_default_stats_history.csv");
        let load = reported(&parse_path(&path)).clone();
        assert_eq!(
            load.rps_series,
            vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 6.0), (4.0, 13.5)]
        );
        assert_eq!(load.duration_s, Some(4.0));
        assert_eq!(load.requests, None, "totals come from _stats.csv");

        let path = fixture("locust-2.47.0_full-history_stats_history.csv");
        let ingest = parse_path(&path);
        let aggregated: Vec<String> = data_lines(&path)
            .into_iter()
            .filter(|l| l.contains(",,Aggregated,"))
            .collect();
        let load = reported(&ingest);
        assert_eq!(load.rps_series.len(), aggregated.len());
        assert!(
            data_lines(&path).len() > aggregated.len(),
            "per-entry rows skipped"
        );
        let last_rps: f64 = aggregated
            .last()
            .unwrap()
            .split(',')
            .nth(4)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(load.rps_series.last().unwrap().1, last_rps);
    }

    #[test]
    fn failures_add_up_to_the_aggregated_failure_count() {
        for run in ["default", "full-history"] {
            let stats = parse_path(&fixture(&format!("locust-2.47.0_{run}_stats.csv")));
            let failures = parse_path(&fixture(&format!("locust-2.47.0_{run}_failures.csv")));
            let errors = &reported(&failures).errors;
            assert_eq!(
                Some(errors.values().sum::<u64>()),
                reported(&stats).failures
            );
            assert_eq!(failures.tool.version.as_deref(), Some(">=2.44.0"));
        }
        let failures = parse_path(&fixture("locust-2.47.0_default_failures.csv"));
        let errors = &reported(&failures).errors;
        assert_eq!(
            errors.get("CatchResponseError(\"body check failed, expected 'X'\\nsecond line\")"),
            Some(&3)
        );
        assert_eq!(
            errors.get("ConnectionRefusedError(111, 'Connection refused')"),
            Some(&1)
        );
    }

    #[test]
    fn exceptions_are_a_warning_not_request_errors() {
        let ingest = parse_path(&fixture("locust-2.47.0_default_exceptions.csv"));
        assert!(ingest.reported.is_none());
        assert_eq!(ingest.warnings.len(), 1);
        let message = &ingest.warnings[0].message;
        assert!(message.contains("raised 7 exception(s)"), "{message}");
        assert!(
            message.contains("boom, with comma and \\\"quotes\\\""),
            "{message}"
        );
        assert_eq!(
            ingest.warnings[0].path,
            fixture("locust-2.47.0_default_exceptions.csv")
        );
    }

    #[test]
    fn json_stats_per_label_and_totals() {
        let path = fixture("locust-2.47.0_default_stats.json");
        let ingest = parse_path(&path);
        assert_eq!(ingest.tool.version.as_deref(), Some("2.x --json"));
        let load = reported(&ingest);
        // Independent reading of the same file with serde_json::Value.
        let raw: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let entries = raw.as_array().unwrap();
        let sum = |key: &str| {
            entries
                .iter()
                .map(|e| e[key].as_u64().unwrap())
                .sum::<u64>()
        };
        assert_eq!(load.labels.len(), entries.len());
        assert_eq!(load.requests, Some(sum("num_requests")));
        assert_eq!(load.failures, Some(sum("num_failures")));
        assert_eq!(load.requests, Some(97));
        let histogram_total: u64 = load.histogram.iter().map(|b| b.1).sum();
        assert_eq!(histogram_total, 97);
        assert!(load.histogram.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(load.latency_ms.max, Some(46.150044519177314));
        let custom = load
            .labels
            .iter()
            .find(|l| l.label == "custom float rt")
            .unwrap();
        assert_eq!(custom.latency_ms.mean, Some(217.69389060542912 / 9.0));
        let per_second: f64 = load.rps_series.iter().map(|p| p.1).sum();
        assert_eq!(per_second, 97.0);
    }

    #[test]
    fn public_1_x_gbk_file_with_cr_cr_lf() {
        let Some(path) = public("zhajiangmian2342_20200823__locust_stats.csv") else {
            return;
        };
        let ingest = parse_path(&path);
        assert_eq!(ingest.tool.version.as_deref(), Some("1.0-1.1"));
        let load = reported(&ingest);
        assert_eq!(load.requests, Some(15));
        assert_eq!(load.labels.len(), 1);
        // GBK bytes 0xBD 0xD3 0xBF 0xDA kept losslessly (as Latin-1 characters).
        assert_eq!(load.labels[0].label, "get\u{bd}\u{d3}\u{bf}\u{da}");
        assert_eq!(load.latency_ms.percentile(99.999), Some(88.0));
        assert_eq!(load.latency_ms.percentiles.len(), 12);

        let Some(path) = public("zhajiangmian2342_20200823__locust_stats_history.csv") else {
            return;
        };
        let load = reported(&parse_path(&path)).clone();
        assert_eq!(
            load.rps_series.len(),
            3,
            "all-quoted 1.x history, shared timestamps"
        );
        assert_eq!(load.duration_s, Some(2.0));
        let Some(path) = public("zhajiangmian2342_20200823__locust_failures.csv") else {
            return;
        };
        assert!(reported(&parse_path(&path)).errors.is_empty());
    }

    #[test]
    fn public_files_parse_and_agree() {
        let Some(path) = public("esmy1990_locust-experiments__example_stats.csv") else {
            return;
        };
        let load = reported(&parse_path(&path)).clone();
        assert_eq!(load.requests, Some(39444));
        assert_eq!(load.latency_ms.percentile(99.999), Some(1800.0));

        for prefix in [
            "kei-gnu_locust-scenario__example",
            "AbhishekkumarReddy_odoo-locust__results",
        ] {
            let Some(stats) = public(&format!("{prefix}_stats.csv")) else {
                return;
            };
            let stats = parse_path(&stats);
            let Some(history) = public(&format!("{prefix}_stats_history.csv")) else {
                return;
            };
            let history_path = history.clone();
            let history = parse_path(&history);
            let aggregated = data_lines(&history_path)
                .iter()
                .filter(|l| l.contains(",,Aggregated,"))
                .count();
            assert_eq!(reported(&history).rps_series.len(), aggregated, "{prefix}");
            assert!(history.warnings.is_empty(), "{:?}", history.warnings);
            let Some(failures) = public(&format!("{prefix}_failures.csv")) else {
                return;
            };
            let errors: u64 = reported(&parse_path(&failures)).errors.values().sum();
            assert_eq!(Some(errors), reported(&stats).failures, "{prefix}");
            let Some(exceptions) = public(&format!("{prefix}_exceptions.csv")) else {
                return;
            };
            parse_path(&exceptions);
        }
    }

    #[test]
    fn old_quoted_formats_map_by_header_name() {
        // Grammar corners of 0.13/0.14 (FORMATS.md §4.5): hand-quoted, "None","Total" row,
        // `99.999` without `%`, Method instead of Type.
        let v014 = b"\"Type\",\"Name\",\"# requests\",\"# failures\",\"Median response time\",\"Average response time\",\"Min response time\",\"Max response time\",\"Average Content Size\",\"Requests/s\",\"Requests Failed/s\",\"50%\",\"99.999\",\"100%\"\n\
\"GET\",\"/\",10,1,12,13,5,40,41,2.50,0.25,12,40,40\n\
\"None\",\"Aggregated\",10,1,12,13,5,40,41,2.50,0.25,12,40,40";
        let ingest = parse_bytes(v014).unwrap();
        assert_eq!(ingest.tool.version.as_deref(), Some("0.13.3-0.14"));
        let load = reported(&ingest);
        assert_eq!(load.requests, Some(10));
        assert_eq!(load.latency_ms.percentile(99.999), Some(40.0));
        assert_eq!(load.labels.len(), 1);

        let v013 = b"\"Method\",\"Name\",\"# requests\",\"# failures\",\"Median response time\",\"Average response time\",\"Min response time\",\"Max response time\",\"Average Content Size\",\"Requests/s\"\n\
\"GET\",\"/\",3,0,20,21,19,24,41,0.50\n\
\"None\",\"Total\",3,0,20,21,19,24,41,0.50\n";
        let ingest = parse_bytes(v013).unwrap();
        assert_eq!(ingest.tool.version.as_deref(), Some("<=0.13.2"));
        let load = reported(&ingest);
        assert_eq!(load.requests, Some(3));
        assert_eq!(
            load.latency_ms.percentiles,
            vec![(50.0, 20.0)],
            "median column"
        );

        let distribution = b"\"Name\",\"# requests\",\"50%\",\"66%\",\"75%\",\"80%\",\"90%\",\"95%\",\"98%\",\"99%\",\"99.9%\",\"99.99%\",\"100%\"\n\
\"/\",3,20,20,24,24,24,24,24,24,24,24,24\n\
\"Total\",0,\"N/A\",\"N/A\",\"N/A\",\"N/A\",\"N/A\",\"N/A\",\"N/A\",\"N/A\",\"N/A\",\"N/A\",\"N/A\"\n";
        let ingest = parse_bytes(distribution).unwrap();
        let load = reported(&ingest);
        assert_eq!(load.labels[0].latency_ms.percentile(75.0), Some(24.0));
        assert_eq!(load.requests, Some(0));
    }

    #[test]
    fn bad_value_mid_file_is_an_error_and_a_cut_last_row_a_warning() {
        let text = std::fs::read(fixture("locust-2.47.0_default_stats.csv")).unwrap();
        let text = String::from_utf8(text).unwrap();
        let broken = text.replacen("GET,/missing.html,11,", "GET,/missing.html,eleven,", 1);
        let err = parse_bytes(broken.as_bytes()).unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(3)));
        assert_eq!(
            err.message,
            "expected a whole number in column 'Request Count', found \"eleven\""
        );

        // Line numbers count the lines inside multi-line quoted fields (tracebacks).
        let exceptions = std::fs::read(fixture("locust-2.47.0_default_exceptions.csv")).unwrap();
        let mut exceptions = String::from_utf8(exceptions).unwrap();
        assert_eq!(exceptions.lines().count(), 10);
        exceptions.push_str("x,\"bad count\",\"tb\",local\r\n1,ok,tb,local\r\n");
        let err = parse_bytes(exceptions.as_bytes()).unwrap_err();
        assert_eq!((err.line, err.column), (Some(11), Some(1)));

        let cut = &text[..text.len() - 40];
        let ingest = parse_bytes(cut.as_bytes()).unwrap();
        assert_eq!(ingest.warnings.len(), 2, "{:?}", ingest.warnings);
        assert_eq!(ingest.warnings[0].line, Some(10));
        assert!(ingest.warnings[0].message.contains("expected 22 fields"));
        assert!(ingest.warnings[1].message.contains("no Aggregated row"));
        assert_eq!(reported(&ingest).requests, None);
        assert_eq!(reported(&ingest).labels.len(), 8);
    }

    #[test]
    fn latin1_bytes_are_kept() {
        let bytes = b"Method,Name,Error,Occurrences\r\nGET,/\xFCber,HTTPError('f\xFCr'),2\r\n";
        let ingest = parse_bytes(bytes).unwrap();
        assert_eq!(reported(&ingest).errors.get("HTTPError('für')"), Some(&2));
    }

    #[test]
    fn sniff_is_specific() {
        assert!(!sniff(b"Type,Name,Something\n", Path::new("x")));
        assert!(!sniff(b"[1, 2, 3]", Path::new("x")));
        assert!(!sniff(b"elapsed_time,cpu,mem_real\n", Path::new("x")));
        let Some(corpus) = shared_dir().map(|d| d.join("corpus/generated")) else {
            eprintln!("skipping: corpus/generated not found");
            return;
        };
        for tool in ["oha", "psrecord", "jmeter", "wrk", "ab", "hey"] {
            let Ok(entries) = std::fs::read_dir(corpus.join(tool)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                assert!(
                    !sniff(&std::fs::read(&path).unwrap(), &path),
                    "{}",
                    path.display()
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..400), header in 0usize..5) {
            let headers = [
                "Type,Name,Request Count,Failure Count,Median Response Time,Requests/s,50%,100%\n",
                "Timestamp,User Count,Type,Name,Requests/s,Failures/s\n",
                "Method,Name,Error,Occurrences\n",
                "Count,Message,Traceback,Nodes\n",
                "[",
            ];
            let mut bytes = headers[header].as_bytes().to_vec();
            bytes.extend_from_slice(&body);
            let _ = parse_bytes(&bytes);
            let _ = sniff(&bytes, Path::new("x"));
        }
    }
}
