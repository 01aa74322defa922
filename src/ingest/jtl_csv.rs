//! JMeter JTL results in CSV form (`jmeter -n -t plan.jmx -l results.jtl`, the default output format).
//!
//! # Columns
//! JMeter writes a fixed column order and leaves out the columns whose save flag is off
//! (`CSVSaveService.resultToDelimitedString`): `timeStamp, elapsed, label, responseCode,
//! responseMessage, threadName, dataType, success, failureMessage, bytes, sentBytes, grpThreads,
//! allThreads, URL, Filename, Latency, Encoding, SampleCount, ErrorCount, Hostname, IdleTime,
//! Connect`, then one column per `sample_variables` entry (with a quoted header such as `"myVar"`).
//! A header line is written by default since 3.0; 2.x wrote none. With a header, columns are
//! mapped by name (unknown ones are ignored). Without one, the version defaults are tried by field
//! count and checked against the shape of the values: 12 fields = 2.x, 14 = 3.0, 16 = 3.1-4.0,
//! 17 = 5.x (more fields = a default followed by sample variables).
//!
//! The delimiter (`,` `;` TAB `|`) is taken from the first line. Fields are quoted iff they hold the
//! delimiter, a quote, CR or LF, so a record can span several physical lines; line numbers in
//! messages are those of the line where the record starts.
//!
//! # Values
//! `timeStamp` is the sample start, in milliseconds since 1970 by default, or formatted with the
//! `timestamp_format` pattern in the JVM's time zone and locale (`2026/11/22 12:30:33.992`,
//! `22 nov. 2026 12:30:42,719`): see [`parse_date_time`]. A formatted date carries no zone, so it
//! is taken as written and read as UTC: times keep their spacing and order, which is what a report
//! needs, but may be shifted by the zone offset of the machine that ran JMeter.
//! `elapsed` and `Latency` are integer milliseconds. A literal `null` in a text column means "no
//! value". Text that is not UTF-8 is read as Latin-1 (JMeter writes `_file_encoding`, which need
//! not be UTF-8).
//!
//! # How rows are counted (see [`SampleKind`])
//! * A row whose `responseMessage` is `Number of samples in transaction : N, number of failing
//!   samples : M` is a Transaction Controller result: [`SampleKind::Transaction`].
//! * JMeter >= 5.0 also writes each sub-result of a sample (embedded resources, children of a
//!   "generate parent sample" transaction) as a row of its own, right after its parent and depth
//!   first, labelled `<parent label>-<index>` (index from 0, in order; `SampleResult.storeSubResult`).
//!   Such a row is recognised only when it follows its parent (or its previous sibling and that
//!   sibling's own sub-rows) immediately, in the same thread, with the next index: a label that
//!   merely ends in `-2`, or follows a row of another thread, is an ordinary request. A sub-row
//!   of a transaction is a [`SampleKind::Request`] (the transaction is not a request, its children
//!   are); a sub-row of a request is a [`SampleKind::SubResult`]. With
//!   `subresults.disable_renaming=true` sub-rows keep their own labels and cannot be told apart.
//!
//! # Damaged and concatenated files
//! * A header repeated mid-file (several writers, appended runs) is skipped, and a new header
//!   replaces the column mapping. Rows appended without a header continue with the same mapping;
//!   if their field count changes, the defaults are tried again (with a warning).
//! * A killed JMeter leaves a last record cut anywhere (its buffer is flushed in 8 KiB blocks): a
//!   last record without a line end, with too few fields or with a value that does not parse is
//!   skipped with a warning. The same faults in the middle of the file are errors.

use std::borrow::Cow;
use std::io::{self, BufRead, Cursor, Read};
use std::path::Path;

use chrono::NaiveDate;
use csv::ByteRecord;

use crate::error::IngestError;
use crate::ingest::text::decode;
use crate::model::{Clock, FileIngest, Sample, SampleKind, SampleSink, ToolInfo, Warning};

pub mod parallel;
mod split;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The delimiters JMeter users configure (`jmeter.save.saveservice.default_delimiter`).
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

// ---------------------------------------------------------------------------------------------
// Records

/// The fields of one CSV record: a `csv::ByteRecord`, or a record of the parallel reader's own
/// splitter ([`split::Record`]), which follows the csv crate's grammar byte for byte.
pub(crate) trait Fields {
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> Option<&[u8]>;

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl Fields for ByteRecord {
    fn len(&self) -> usize {
        ByteRecord::len(self)
    }

    fn get(&self, i: usize) -> Option<&[u8]> {
        ByteRecord::get(self, i)
    }
}

// ---------------------------------------------------------------------------------------------
// Columns and column sets

/// A column JMeter can write, named as in its CSV header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    TimeStamp,
    Elapsed,
    Label,
    ResponseCode,
    ResponseMessage,
    ThreadName,
    DataType,
    Success,
    FailureMessage,
    Bytes,
    SentBytes,
    GrpThreads,
    AllThreads,
    Url,
    Filename,
    Latency,
    Encoding,
    SampleCount,
    ErrorCount,
    Hostname,
    IdleTime,
    Connect,
}

impl Col {
    const ALL: [Col; 22] = [
        Col::TimeStamp,
        Col::Elapsed,
        Col::Label,
        Col::ResponseCode,
        Col::ResponseMessage,
        Col::ThreadName,
        Col::DataType,
        Col::Success,
        Col::FailureMessage,
        Col::Bytes,
        Col::SentBytes,
        Col::GrpThreads,
        Col::AllThreads,
        Col::Url,
        Col::Filename,
        Col::Latency,
        Col::Encoding,
        Col::SampleCount,
        Col::ErrorCount,
        Col::Hostname,
        Col::IdleTime,
        Col::Connect,
    ];

    fn name(self) -> &'static str {
        match self {
            Col::TimeStamp => "timeStamp",
            Col::Elapsed => "elapsed",
            Col::Label => "label",
            Col::ResponseCode => "responseCode",
            Col::ResponseMessage => "responseMessage",
            Col::ThreadName => "threadName",
            Col::DataType => "dataType",
            Col::Success => "success",
            Col::FailureMessage => "failureMessage",
            Col::Bytes => "bytes",
            Col::SentBytes => "sentBytes",
            Col::GrpThreads => "grpThreads",
            Col::AllThreads => "allThreads",
            Col::Url => "URL",
            Col::Filename => "Filename",
            Col::Latency => "Latency",
            Col::Encoding => "Encoding",
            Col::SampleCount => "SampleCount",
            Col::ErrorCount => "ErrorCount",
            Col::Hostname => "Hostname",
            Col::IdleTime => "IdleTime",
            Col::Connect => "Connect",
        }
    }

    /// The column a header field names (JMeter's names are case-sensitive: locust's `Timestamp`
    /// is not JMeter's `timeStamp`).
    fn from_name(name: &[u8]) -> Option<Col> {
        let name = name.trim_ascii();
        if !name.first().is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        Col::ALL.into_iter().find(|c| c.name().as_bytes() == name)
    }

    /// Whether a value has the shape this column always has (used to recognise a default column
    /// set in a file without header).
    fn fits(self, value: &[u8]) -> bool {
        match self {
            Col::TimeStamp => parse_timestamp_us(value).is_some(),
            Col::Elapsed | Col::Latency | Col::IdleTime | Col::Connect => {
                parse_ms_as_ns(value).is_some()
            }
            Col::Bytes
            | Col::SentBytes
            | Col::GrpThreads
            | Col::AllThreads
            | Col::SampleCount
            | Col::ErrorCount => parse_uint(value).is_some(),
            Col::Success => parse_bool(value).is_some(),
            Col::DataType => matches!(value, b"" | b"text" | b"bin"),
            _ => true,
        }
    }
}

/// JMeter 2.x default columns (no header by default).
const DEFAULT_2X: &[Col] = &[
    Col::TimeStamp,
    Col::Elapsed,
    Col::Label,
    Col::ResponseCode,
    Col::ResponseMessage,
    Col::ThreadName,
    Col::DataType,
    Col::Success,
    Col::Bytes,
    Col::GrpThreads,
    Col::AllThreads,
    Col::Latency,
];

/// JMeter 3.0: + failureMessage, + IdleTime.
const DEFAULT_3_0: &[Col] = &[
    Col::TimeStamp,
    Col::Elapsed,
    Col::Label,
    Col::ResponseCode,
    Col::ResponseMessage,
    Col::ThreadName,
    Col::DataType,
    Col::Success,
    Col::FailureMessage,
    Col::Bytes,
    Col::GrpThreads,
    Col::AllThreads,
    Col::Latency,
    Col::IdleTime,
];

/// JMeter 3.1 - 4.0: + sentBytes, + Connect.
const DEFAULT_3_1: &[Col] = &[
    Col::TimeStamp,
    Col::Elapsed,
    Col::Label,
    Col::ResponseCode,
    Col::ResponseMessage,
    Col::ThreadName,
    Col::DataType,
    Col::Success,
    Col::FailureMessage,
    Col::Bytes,
    Col::SentBytes,
    Col::GrpThreads,
    Col::AllThreads,
    Col::Latency,
    Col::IdleTime,
    Col::Connect,
];

/// JMeter 5.0 and later: + URL.
const DEFAULT_5X: &[Col] = &[
    Col::TimeStamp,
    Col::Elapsed,
    Col::Label,
    Col::ResponseCode,
    Col::ResponseMessage,
    Col::ThreadName,
    Col::DataType,
    Col::Success,
    Col::FailureMessage,
    Col::Bytes,
    Col::SentBytes,
    Col::GrpThreads,
    Col::AllThreads,
    Col::Url,
    Col::Latency,
    Col::IdleTime,
    Col::Connect,
];

/// A version's default column set and how to name it.
struct DefaultColumns {
    columns: &'static [Col],
    version: &'static str,
}

/// Longest first, so that "default + sample variables" prefers the most recent version.
const DEFAULT_COLUMN_SETS: [DefaultColumns; 4] = [
    DefaultColumns {
        columns: DEFAULT_5X,
        version: ">=5.0 default columns",
    },
    DefaultColumns {
        columns: DEFAULT_3_1,
        version: "3.1-4.0 default columns",
    },
    DefaultColumns {
        columns: DEFAULT_3_0,
        version: "3.0 default columns",
    },
    DefaultColumns {
        columns: DEFAULT_2X,
        version: "2.x default columns",
    },
];

/// Where the columns benchreport reads sit in a record, resolved once per header.
#[derive(Debug, Clone, Copy, Default)]
struct Positions {
    time_stamp: Option<usize>,
    elapsed: Option<usize>,
    label: Option<usize>,
    code: Option<usize>,
    message: Option<usize>,
    thread: Option<usize>,
    success: Option<usize>,
    failure: Option<usize>,
    bytes: Option<usize>,
    threads: Option<usize>,
    latency: Option<usize>,
}

/// The column mapping in force: from a header, or a version default for a file without one.
#[derive(Debug, Clone)]
struct Layout {
    /// The column of each field; `None` for sample variables and columns nobody knows.
    fields: Vec<Option<Col>>,
    at: Positions,
    /// What the column set says about the JMeter version, for [`ToolInfo`].
    version: Option<String>,
    /// The line of the header this layout comes from (`None`: inferred).
    header_line: Option<u64>,
}

impl Layout {
    fn new(fields: Vec<Option<Col>>, version: Option<String>, header_line: Option<u64>) -> Self {
        let find = |col| fields.iter().position(|f| *f == Some(col));
        let at = Positions {
            time_stamp: find(Col::TimeStamp),
            elapsed: find(Col::Elapsed),
            label: find(Col::Label),
            code: find(Col::ResponseCode),
            message: find(Col::ResponseMessage),
            thread: find(Col::ThreadName),
            success: find(Col::Success),
            failure: find(Col::FailureMessage),
            bytes: find(Col::Bytes),
            threads: find(Col::AllThreads),
            latency: find(Col::Latency),
        };
        Layout {
            fields,
            at,
            version,
            header_line,
        }
    }

    fn from_header(header: &impl Fields, line: u64) -> Self {
        let fields: Vec<Option<Col>> = header.iter().map(Col::from_name).collect();
        let version = DEFAULT_COLUMN_SETS
            .iter()
            .find(|d| {
                d.columns
                    .iter()
                    .copied()
                    .map(Some)
                    .eq(fields.iter().copied())
            })
            .map(|d| d.version.to_string());
        Layout::new(fields, version, Some(line))
    }

    /// The version default that fits a record of a file without header.
    fn infer(record: &impl Fields) -> Result<Self, String> {
        let n = record.len();
        let exact = DEFAULT_COLUMN_SETS.iter().filter(|d| d.columns.len() == n);
        let with_variables = DEFAULT_COLUMN_SETS.iter().filter(|d| d.columns.len() < n);
        for default in exact.chain(with_variables) {
            if misfit(default.columns, record).is_none() {
                let mut fields: Vec<Option<Col>> =
                    default.columns.iter().copied().map(Some).collect();
                fields.resize(n, None);
                let version = format!("{} (no header)", default.version);
                return Ok(Layout::new(fields, Some(version), None));
            }
        }
        Err(no_layout_message(record))
    }

    fn name_of(&self, field: usize) -> Cow<'static, str> {
        match self.fields.get(field).copied().flatten() {
            Some(col) => Cow::Borrowed(col.name()),
            None => Cow::Owned(format!("field {}", field + 1)),
        }
    }
}

/// The first field of `record` that does not have the shape of its column in `columns`.
fn misfit(columns: &[Col], record: &impl Fields) -> Option<(usize, Col)> {
    columns
        .iter()
        .zip(record.iter())
        .enumerate()
        .find(|(_, (col, value))| !col.fits(value))
        .map(|(i, (col, _))| (i, *col))
}

fn no_layout_message(record: &impl Fields) -> String {
    let n = record.len();
    let advice = "expected one of JMeter's default column sets (12 columns for 2.x, 14 for 3.0, \
                  16 for 3.1-4.0, 17 for 5.x) starting with a time stamp; set \
                  jmeter.save.saveservice.print_field_names=true so that JMeter writes a header \
                  naming the columns";
    let same_count = DEFAULT_COLUMN_SETS.iter().find(|d| d.columns.len() == n);
    match same_count.and_then(|d| misfit(d.columns, record).map(|m| (d, m))) {
        Some((default, (i, col))) => format!(
            "the file has no header and {n} columns like the JMeter {}, but field {} ('{}') holds {}; {advice}",
            default.version,
            i + 1,
            col.name(),
            shown(record.get(i).unwrap_or_default()),
        ),
        None => format!("the file has no header and {n} columns; {advice}"),
    }
}

/// Whether a record is a header line: its first field and several others name JMeter columns.
fn looks_like_header(record: &impl Fields, min_known: usize) -> bool {
    let Some(first) = record.get(0) else {
        return false;
    };
    if Col::from_name(first).is_none() {
        return false;
    }
    let known = record
        .iter()
        .filter(|f| Col::from_name(f).is_some())
        .count();
    known >= min_known || known == record.len()
}

/// How many known column names a header line holds with a given delimiter (0 when its first
/// field is not one).
fn header_names(line: &[u8], delimiter: u8) -> usize {
    match first_record(line, delimiter) {
        Some(rec) if rec.get(0).and_then(Col::from_name).is_some() => {
            rec.iter().filter(|f| Col::from_name(f).is_some()).count()
        }
        _ => 0,
    }
}

/// Whether a data line starts with a time stamp and an integer `elapsed` with this delimiter.
fn starts_like_data(line: &[u8], delimiter: u8, strict: bool) -> bool {
    let Some(rec) = first_record(line, delimiter) else {
        return false;
    };
    let (Some(first), Some(second)) = (rec.get(0), rec.get(1)) else {
        return false;
    };
    let stamp_ok = if strict {
        is_epoch_ms(first) || (parse_uint(first).is_none() && parse_timestamp_us(first).is_some())
    } else {
        parse_timestamp_us(first).is_some()
    };
    stamp_ok && parse_uint(second).is_some()
}

/// A 13-digit integer: milliseconds since 1970 between 2001 and 2286.
fn is_epoch_ms(field: &[u8]) -> bool {
    field.len() == 13 && field.iter().all(u8::is_ascii_digit)
}

/// The delimiter of a JTL, judged from its first line: the one that splits a header into the most
/// known column names, else the one after which a data line has a time stamp and an integer.
fn detect_delimiter(first_line: &[u8]) -> u8 {
    let mut best = (0, b',');
    for d in DELIMITERS {
        let known = header_names(first_line, d);
        if known > best.0 {
            best = (known, d);
        }
    }
    if best.0 > 0 {
        return best.1;
    }
    DELIMITERS
        .into_iter()
        .find(|&d| starts_like_data(first_line, d, false))
        .unwrap_or(b',')
}

/// The first CSV record of some bytes (quotes and line breaks inside quotes honoured).
fn first_record(bytes: &[u8], delimiter: u8) -> Option<ByteRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut record = ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => Some(record),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Detection

/// Whether the file is a JMeter CSV JTL: a header naming JMeter columns (first field included),
/// or a headerless first row `<13-digit ms or date><delim><integer>...` with `true`/`false` in a
/// later field. A `.jtl`/`.csv` name loosens the test a little, never replaces it.
pub fn sniff(head: &[u8], path: &Path) -> bool {
    let head = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    let by_name = has_extension(path, &["jtl", "csv"]);
    let text = head.trim_ascii_start();
    if text.is_empty() {
        // An empty results file: nothing says what it is but its name.
        return has_extension(path, &["jtl"]);
    }
    if matches!(text.first(), Some(b'<' | b'{' | b'[')) {
        return false;
    }
    DELIMITERS.into_iter().any(|d| match first_record(head, d) {
        Some(record) => record_is_jtl(&record, by_name),
        None => false,
    })
}

fn record_is_jtl(record: &ByteRecord, by_name: bool) -> bool {
    if looks_like_header(record, if by_name { 2 } else { 3 }) && record.len() >= 2 {
        return true;
    }
    let (Some(first), Some(second)) = (record.get(0), record.get(1)) else {
        return false;
    };
    let stamp = if by_name {
        parse_timestamp_us(first).is_some()
    } else {
        is_epoch_ms(first) || (parse_uint(first).is_none() && parse_timestamp_us(first).is_some())
    };
    let has_success = record.iter().skip(2).any(|f| parse_bool(f).is_some());
    stamp && parse_uint(second).is_some() && (has_success || (by_name && record.len() >= 5))
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Reads a CSV JTL, streaming one [`Sample`] per row into `sink`.
pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    // The first line decides the delimiter; it is then fed to the CSV reader again.
    let mut first_line = Vec::new();
    reader
        .read_until(b'\n', &mut first_line)
        .map_err(|e| IngestError::io(path, &e))?;
    if first_line.starts_with(UTF8_BOM) {
        first_line.drain(..UTF8_BOM.len());
    }
    let delimiter = detect_delimiter(&first_line);
    let input = TrackLastByte::new(Cursor::new(first_line).chain(reader));
    let mut csv_reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(64 * 1024)
        .from_reader(input);

    let mut rows = Rows::new(path);
    // One record of look-ahead tells whether a record is the last one (a killed run's last record
    // may be incomplete). Two buffers are swapped, so nothing is allocated per row.
    let mut current = ByteRecord::new();
    let mut next = ByteRecord::new();
    let mut have_current = read_record(path, &mut csv_reader, &mut current)?;
    while have_current {
        let have_next = read_record(path, &mut csv_reader, &mut next)?;
        let complete = have_next || csv_reader.get_ref().ended_with_line_break();
        let line = current.position().map_or(0, |p| p.line());
        rows.handle(&current, line, !have_next, complete, sink)?;
        std::mem::swap(&mut current, &mut next);
        have_current = have_next;
    }
    Ok(rows.finish())
}

fn read_record<R: Read>(
    path: &Path,
    reader: &mut csv::Reader<R>,
    record: &mut ByteRecord,
) -> Result<bool, IngestError> {
    reader
        .read_byte_record(record)
        .map_err(|e| IngestError::new(path, format!("cannot read: {e}")))
}

/// Remembers the last byte read, to tell whether the file ends with a line break.
struct TrackLastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: Read> TrackLastByte<R> {
    fn new(inner: R) -> Self {
        TrackLastByte { inner, last: None }
    }

    fn ended_with_line_break(&self) -> bool {
        matches!(self.last, Some(b'\n' | b'\r'))
    }
}

impl<R: Read> Read for TrackLastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(&b) = buf.get(..n).and_then(<[u8]>::last) {
            self.last = Some(b);
        }
        Ok(n)
    }
}

fn is_blank(record: &impl Fields) -> bool {
    record.len() == 1 && record.get(0).is_some_and(|f| f.trim_ascii().is_empty())
}

/// A value that does not fit its column.
struct FieldError {
    field: usize,
    message: String,
}

/// The state of the row-by-row reading.
struct Rows<'p> {
    path: &'p Path,
    layout: Option<Layout>,
    /// Bumped whenever `layout` is replaced, so the parallel reader can tell whether the layout a
    /// worker assumed is still the one in force.
    layout_generation: u64,
    family: SubResultRows,
    samples: u64,
    warnings: Vec<Warning>,
}

impl<'p> Rows<'p> {
    fn new(path: &'p Path) -> Self {
        Rows {
            path,
            layout: None,
            layout_generation: 0,
            family: SubResultRows::default(),
            samples: 0,
            warnings: Vec::new(),
        }
    }

    fn warn(&mut self, line: Option<u64>, message: impl Into<String>) {
        self.warnings.push(Warning {
            path: self.path.to_path_buf(),
            line,
            message: message.into(),
        });
    }

    fn warn_incomplete(&mut self, line: u64) {
        self.warn(
            Some(line),
            "incomplete last record (JMeter was probably stopped): skipped",
        );
    }

    /// One record: a header, a data row, or the damaged end of a killed run.
    fn handle(
        &mut self,
        record: &impl Fields,
        line: u64,
        is_last: bool,
        complete: bool,
        sink: &mut dyn SampleSink,
    ) -> Result<(), IngestError> {
        if !complete {
            self.warn_incomplete(line);
            return Ok(());
        }
        if is_blank(record) {
            // A line of blanks: nothing JMeter wrote, nothing to read.
            return Ok(());
        }
        if looks_like_header(record, 2) {
            self.set_layout(Layout::from_header(record, line));
            self.family.reset();
            return Ok(());
        }
        if let Err(message) = self.fit_layout(record, line) {
            if is_last {
                self.warn_incomplete(line);
                return Ok(());
            }
            return Err(IngestError::at_line(self.path, line, message));
        }
        match self.push_row(record, sink) {
            Ok(()) => Ok(()),
            Err(_) if is_last => {
                self.warn_incomplete(line);
                Ok(())
            }
            Err(e) => {
                Err(IngestError::at_line(self.path, line, e.message)
                    .with_column(e.field as u64 + 1))
            }
        }
    }

    fn set_layout(&mut self, layout: Layout) {
        self.layout = Some(layout);
        self.layout_generation += 1;
    }

    /// A data row in the common case, for a parallel worker that may not change the layout or
    /// warn: `Err` for anything else (a header, another field count, a value that does not
    /// parse), which the worker leaves to the sequential reader.
    fn handle_strict(&mut self, record: &impl Fields, sink: &mut dyn SampleSink) -> Result<(), ()> {
        if is_blank(record) {
            return Ok(());
        }
        let fits = self
            .layout
            .as_ref()
            .is_some_and(|l| l.fields.len() == record.len());
        if !fits || looks_like_header(record, 2) {
            return Err(());
        }
        self.push_row(record, sink).map_err(|_| ())
    }

    /// Whether a record's kind does not depend on the rows before it: a data row whose label
    /// cannot be a sub-result's `<parent>-<index>`. From such a row on, a worker that starts
    /// mid-file classifies rows exactly as a reader from the start would.
    fn starts_a_family(&self, record: &impl Fields) -> bool {
        let Some(layout) = &self.layout else {
            return false;
        };
        if is_blank(record) || layout.fields.len() != record.len() || looks_like_header(record, 2) {
            return false;
        }
        let label = raw_at(record, layout.at.label).unwrap_or_default();
        match label.iter().rposition(|&b| b == b'-') {
            Some(dash) => parse_uint(&label[dash + 1..]).is_none(),
            None => true,
        }
    }

    /// Makes sure the layout in force has as many fields as the record; a file without header,
    /// or rows appended by a run with other settings, get a version default.
    fn fit_layout(&mut self, record: &impl Fields, line: u64) -> Result<(), String> {
        let before = match &self.layout {
            Some(layout) if layout.fields.len() == record.len() => return Ok(()),
            Some(layout) => Some((layout.fields.len(), layout.header_line)),
            None => None,
        };
        let inferred = Layout::infer(record);
        match (before, inferred) {
            (None, Ok(layout)) => {
                self.set_layout(layout);
                Ok(())
            }
            (None, Err(message)) => Err(message),
            (Some((expected, _)), Ok(layout)) => {
                self.warn(
                    Some(line),
                    format!(
                        "rows from here on have {} fields instead of {expected} (results of another \
                         run appended?): read as JMeter {}",
                        record.len(),
                        layout.version.as_deref().unwrap_or("default columns"),
                    ),
                );
                self.set_layout(layout);
                self.family.reset();
                Ok(())
            }
            (Some((expected, header_line)), Err(_)) => Err(match header_line {
                Some(h) => format!(
                    "expected {expected} fields like the header on line {h}, found {}",
                    record.len()
                ),
                None => format!(
                    "expected {expected} fields like the rows before, found {}",
                    record.len()
                ),
            }),
        }
    }

    /// Converts one data row and pushes it. Strings borrow from the record (decoded from
    /// Latin-1 only when they are not UTF-8).
    fn push_row(
        &mut self,
        record: &impl Fields,
        sink: &mut dyn SampleSink,
    ) -> Result<(), FieldError> {
        let Some(layout) = &self.layout else {
            return Err(FieldError {
                field: 0,
                message: "no column layout".into(),
            });
        };
        let at = layout.at;
        let start_us = at
            .time_stamp
            .map(|i| required(record, layout, i, parse_timestamp_us, TIMESTAMP_EXPECTED))
            .transpose()?;
        let elapsed_ns = match at.elapsed {
            Some(i) => required(record, layout, i, parse_ms_as_ns, MS_EXPECTED)?,
            None => 0,
        };
        let ttfb_ns = optional(record, layout, at.latency, parse_ms_as_ns, MS_EXPECTED)?;
        let bytes = optional(record, layout, at.bytes, parse_uint, INTEGER_EXPECTED)?;
        let threads = optional(record, layout, at.threads, parse_uint, INTEGER_EXPECTED)?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let status = text_at(record, at.code);
        let success = match at.success {
            Some(i) => required(record, layout, i, parse_bool, BOOL_EXPECTED)?,
            None => status_means_success(status.as_deref()),
        };
        let message = raw_at(record, at.message);
        let label = raw_at(record, at.label).unwrap_or_default();
        let thread = raw_at(record, at.thread).unwrap_or_default();
        let kind = self
            .family
            .classify(label, thread, message.is_some_and(is_transaction_message));
        let error = if success {
            None
        } else {
            text_at(record, at.failure).or_else(|| text(message))
        };
        let label = text(Some(label));
        sink.push(&Sample {
            start_us,
            elapsed_ns,
            success,
            status: status.as_deref(),
            label: label.as_deref(),
            error: error.as_deref(),
            threads,
            bytes,
            ttfb_ns,
            kind,
        });
        self.samples += 1;
        Ok(())
    }

    fn finish(mut self) -> FileIngest {
        if self.samples == 0 {
            self.warn(None, "the file holds no samples");
        }
        let version = self.layout.as_ref().and_then(|l| l.version.clone());
        FileIngest {
            tool: ToolInfo {
                name: "jmeter".to_string(),
                version,
            },
            samples: self.samples,
            clock: Clock::Epoch,
            warnings: self.warnings,
            ..FileIngest::default()
        }
    }
}

const TIMESTAMP_EXPECTED: &str =
    "a time stamp (milliseconds since 1970, or a date such as 2026/11/22 12:30:33.992)";
const MS_EXPECTED: &str = "an integer number of milliseconds";
const INTEGER_EXPECTED: &str = "an integer";
const BOOL_EXPECTED: &str = "true or false";

/// A value that must be there and parse.
fn required<T>(
    record: &impl Fields,
    layout: &Layout,
    field: usize,
    parse: impl Fn(&[u8]) -> Option<T>,
    expected: &str,
) -> Result<T, FieldError> {
    let value = record.get(field).unwrap_or_default();
    parse(value).ok_or_else(|| FieldError {
        field,
        message: format!(
            "expected {expected} in column '{}', found {}",
            layout.name_of(field),
            shown(value)
        ),
    })
}

/// A value that may be empty or `null`, but must parse when it is there.
fn optional<T>(
    record: &impl Fields,
    layout: &Layout,
    field: Option<usize>,
    parse: impl Fn(&[u8]) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, FieldError> {
    match field {
        Some(i) if !is_absent(record.get(i).unwrap_or_default()) => {
            required(record, layout, i, parse, expected).map(Some)
        }
        _ => Ok(None),
    }
}

fn raw_at(record: &impl Fields, field: Option<usize>) -> Option<&[u8]> {
    field.and_then(|i| record.get(i))
}

/// Text of a field, `None` when empty or the literal `null` JMeter writes for "no value".
fn text(raw: Option<&[u8]>) -> Option<Cow<'_, str>> {
    raw.filter(|v| !is_absent(v)).map(decode)
}

fn text_at(record: &impl Fields, field: Option<usize>) -> Option<Cow<'_, str>> {
    text(raw_at(record, field))
}

fn is_absent(value: &[u8]) -> bool {
    value.is_empty() || value == b"null"
}

/// A value for an error message: quoted, and cut when long.
fn shown(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() {
        format!("{cut:?}...")
    } else {
        format!("{cut:?}")
    }
}

// ---------------------------------------------------------------------------------------------
// Sub-result rows (JMeter >= 5.0)

/// Recognises the rows JMeter >= 5.0 writes for the sub-results of the row before (see the
/// module documentation). Keeps the chain of open parents; buffers are reused.
#[derive(Default)]
struct SubResultRows {
    frames: Vec<ParentRow>,
    depth: usize,
}

#[derive(Default)]
struct ParentRow {
    label: Vec<u8>,
    thread: Vec<u8>,
    next_index: u32,
    kind: Option<SampleKind>,
}

impl ParentRow {
    /// Whether a row is this row's next sub-result: same thread, label `<label>-<next index>`.
    fn adopts(&self, label: &[u8], thread: &[u8]) -> bool {
        thread == self.thread
            && label
                .strip_prefix(self.label.as_slice())
                .and_then(|rest| rest.strip_prefix(b"-"))
                .and_then(parse_uint)
                .is_some_and(|index| index == u64::from(self.next_index))
    }
}

/// JMeter stops writing sub-results below this depth (`saveSubResults` recursion limit 10).
const MAX_SUB_RESULT_DEPTH: usize = 12;

impl SubResultRows {
    fn reset(&mut self) {
        self.depth = 0;
    }

    fn classify(&mut self, label: &[u8], thread: &[u8], is_transaction: bool) -> SampleKind {
        let open = self.frames.get_mut(..self.depth).unwrap_or_default();
        let parent = open
            .iter_mut()
            .enumerate()
            .rev()
            .find(|(_, frame)| frame.adopts(label, thread));
        let (kind, depth) = match parent {
            Some((d, frame)) => {
                frame.next_index += 1;
                (kind_under(frame.kind, is_transaction), d + 1)
            }
            None => (kind_under(None, is_transaction), 0),
        };
        self.depth = depth;
        self.open_frame(label, thread, kind);
        kind
    }

    fn open_frame(&mut self, label: &[u8], thread: &[u8], kind: SampleKind) {
        if self.depth >= MAX_SUB_RESULT_DEPTH {
            return;
        }
        if self.frames.len() <= self.depth {
            self.frames.push(ParentRow::default());
        }
        if let Some(frame) = self.frames.get_mut(self.depth) {
            frame.label.clear();
            frame.label.extend_from_slice(label);
            frame.thread.clear();
            frame.thread.extend_from_slice(thread);
            frame.next_index = 0;
            frame.kind = Some(kind);
            self.depth += 1;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Values shared with the XML reader

/// How a sample counts, given its parent's kind (`None`: top level) and whether its message is
/// a Transaction Controller's. The children of a transaction are requests (the transaction is
/// not a request itself); the children of a request are sub-results; a nested transaction (a
/// transaction or parallel controller inside a transaction) stays a transaction.
pub(crate) fn kind_under(parent: Option<SampleKind>, is_transaction: bool) -> SampleKind {
    match parent {
        None | Some(SampleKind::Transaction) if is_transaction => SampleKind::Transaction,
        None | Some(SampleKind::Transaction) => SampleKind::Request,
        Some(_) => SampleKind::SubResult,
    }
}

/// `Number of samples in transaction : N, number of failing samples : M`, the message of a
/// Transaction Controller result (`TransactionController`, all versions).
pub(crate) fn is_transaction_message(message: &[u8]) -> bool {
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let Some(rest) = message.strip_prefix(b"Number of samples in transaction : ") else {
        return false;
    };
    let Some(comma) = rest.iter().position(|&b| b == b',') else {
        return false;
    };
    let (count, rest) = rest.split_at(comma);
    all_digits(count)
        && rest
            .strip_prefix(b", number of failing samples : ")
            .is_some_and(all_digits)
}

/// Success when the tool did not say: a 2xx or 3xx response code (or no code at all).
pub(crate) fn status_means_success(code: Option<&str>) -> bool {
    match code {
        None => true,
        Some(code) => code
            .trim()
            .parse::<u16>()
            .is_ok_and(|c| (200..400).contains(&c)),
    }
}

/// Digits only, at most 19 of them (the common case of every number in a JTL, read first).
fn plain_uint(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &b in value {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + u64::from(d);
    }
    Some(n)
}

/// A non-negative integer written in ASCII digits (surrounding blanks allowed), read without
/// going through `str`.
pub(crate) fn parse_uint(value: &[u8]) -> Option<u64> {
    let digits = value.trim_ascii();
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let d = b.wrapping_sub(b'0');
        (d <= 9).then(|| acc * 10 + u64::from(d))
    })
}

/// Milliseconds (JMeter writes integers; converters sometimes write `12.5`) as nanoseconds.
pub(crate) fn parse_ms_as_ns(value: &[u8]) -> Option<u64> {
    if let Some(ms) = plain_uint(value) {
        return ms.checked_mul(1_000_000);
    }
    let value = value.trim_ascii();
    let (int, frac) = match value.iter().position(|&b| b == b'.') {
        Some(dot) => (&value[..dot], &value[dot + 1..]),
        None => (value, &b""[..]),
    };
    let ms = parse_uint(int)?;
    let frac_ns = fraction_scaled(frac, 1_000_000)?;
    ms.checked_mul(1_000_000)?.checked_add(frac_ns)
}

/// `0.<digits>` times `unit`, truncated (digits beyond the unit's resolution are dropped).
fn fraction_scaled(digits: &[u8], unit: u64) -> Option<u64> {
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value = 0u64;
    let mut scale = unit;
    for &d in digits {
        scale /= 10;
        value += u64::from(d - b'0') * scale;
    }
    Some(value)
}

pub(crate) fn parse_bool(value: &[u8]) -> Option<bool> {
    let value = value.trim_ascii();
    if value.eq_ignore_ascii_case(b"true") {
        Some(true)
    } else if value.eq_ignore_ascii_case(b"false") {
        Some(false)
    } else {
        None
    }
}

/// A sample time stamp as microseconds since 1970: epoch milliseconds (JMeter's default), epoch
/// seconds or micro/nanoseconds from converters (told apart by magnitude), or a formatted date.
pub(crate) fn parse_timestamp_us(value: &[u8]) -> Option<i64> {
    if let Some(n) = plain_uint(value) {
        return epoch_number_to_us(n, b"");
    }
    let value = value.trim_ascii();
    let (int, frac) = match value.iter().position(|&b| b == b'.') {
        Some(dot) => (&value[..dot], &value[dot + 1..]),
        None => (value, &b""[..]),
    };
    if let Some(n) = parse_uint(int).filter(|_| frac.iter().all(u8::is_ascii_digit)) {
        return epoch_number_to_us(n, frac);
    }
    parse_date_time(&decode(value))
}

/// An epoch number in the unit its magnitude suggests: below 1e11 seconds (up to year 5138),
/// below 1e14 milliseconds, below 1e17 microseconds, above that nanoseconds.
fn epoch_number_to_us(n: u64, frac: &[u8]) -> Option<i64> {
    let us = if n < 100_000_000_000 {
        n.checked_mul(1_000_000)?
            .checked_add(fraction_scaled(frac, 1_000_000)?)?
    } else if n < 100_000_000_000_000 {
        n.checked_mul(1_000)?
            .checked_add(fraction_scaled(frac, 1_000)?)?
    } else if n < 100_000_000_000_000_000 {
        n
    } else {
        n / 1_000
    };
    i64::try_from(us).ok()
}

// ---------------------------------------------------------------------------------------------
// Formatted dates

/// Month names and abbreviations (lower case, without the abbreviation dot) in the locales JMeter
/// users run it in: English, French, German, Spanish, Italian, Portuguese, Dutch.
const MONTH_NAMES: &[(&str, u32)] = &[
    ("jan", 1),
    ("january", 1),
    ("janv", 1),
    ("janvier", 1),
    ("januar", 1),
    ("jänner", 1),
    ("ene", 1),
    ("enero", 1),
    ("gen", 1),
    ("gennaio", 1),
    ("janeiro", 1),
    ("januari", 1),
    ("feb", 2),
    ("february", 2),
    ("févr", 2),
    ("fevr", 2),
    ("février", 2),
    ("fevrier", 2),
    ("februar", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("fev", 2),
    ("fevereiro", 2),
    ("februari", 2),
    ("mar", 3),
    ("march", 3),
    ("mars", 3),
    ("märz", 3),
    ("marz", 3),
    ("mrz", 3),
    ("marzo", 3),
    ("março", 3),
    ("mrt", 3),
    ("maart", 3),
    ("apr", 4),
    ("april", 4),
    ("avr", 4),
    ("avril", 4),
    ("abr", 4),
    ("abril", 4),
    ("aprile", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("mag", 5),
    ("maggio", 5),
    ("maio", 5),
    ("mei", 5),
    ("jun", 6),
    ("june", 6),
    ("juin", 6),
    ("juni", 6),
    ("junio", 6),
    ("giu", 6),
    ("giugno", 6),
    ("junho", 6),
    ("jul", 7),
    ("july", 7),
    ("juil", 7),
    ("juillet", 7),
    ("juli", 7),
    ("julio", 7),
    ("lug", 7),
    ("luglio", 7),
    ("julho", 7),
    ("aug", 8),
    ("august", 8),
    ("août", 8),
    ("aout", 8),
    ("ago", 8),
    ("agosto", 8),
    ("augustus", 8),
    ("sep", 9),
    ("sept", 9),
    ("september", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("set", 9),
    ("settembre", 9),
    ("setembro", 9),
    ("oct", 10),
    ("october", 10),
    ("octobre", 10),
    ("okt", 10),
    ("oktober", 10),
    ("octubre", 10),
    ("ott", 10),
    ("ottobre", 10),
    ("out", 10),
    ("outubro", 10),
    ("nov", 11),
    ("november", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("novembro", 11),
    ("dec", 12),
    ("december", 12),
    ("déc", 12),
    ("décembre", 12),
    ("dez", 12),
    ("decembre", 12),
    ("dezember", 12),
    ("dic", 12),
    ("diciembre", 12),
    ("dicembre", 12),
    ("dezembro", 12),
];

fn month_from_word(word: &str) -> Option<u32> {
    let same = |name: &str| word.chars().flat_map(char::to_lowercase).eq(name.chars());
    MONTH_NAMES
        .iter()
        .find(|(name, _)| same(name))
        .map(|&(_, month)| month)
}

/// A piece of a formatted date: a run of digits or a run of letters, with the punctuation that
/// came before it (`b' '` for blanks only, `0` for none).
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: TokenKind<'a>,
    sep: u8,
}

#[derive(Debug, Clone, Copy)]
enum TokenKind<'a> {
    Number { value: u32, digits: usize },
    Word(&'a str),
}

const MAX_DATE_TOKENS: usize = 16;

/// Splits a formatted date into at most [`MAX_DATE_TOKENS`] tokens, without allocating.
fn date_tokens(text: &str) -> Option<([Option<Token<'_>>; MAX_DATE_TOKENS], usize)> {
    let mut tokens = [None; MAX_DATE_TOKENS];
    let mut count = 0;
    let mut sep = 0u8;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let run_len = if c.is_ascii_digit() {
            rest.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len())
        } else if c.is_alphabetic() {
            rest.find(|c: char| !c.is_alphabetic())
                .unwrap_or(rest.len())
        } else {
            if !c.is_whitespace() {
                sep = if c.is_ascii() { c as u8 } else { b'?' };
            } else if sep == 0 {
                sep = b' ';
            }
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let (run, after) = rest.split_at(run_len);
        let kind = if c.is_ascii_digit() {
            if run.len() > 9 {
                return None;
            }
            TokenKind::Number {
                value: run.parse().ok()?,
                digits: run.len(),
            }
        } else {
            TokenKind::Word(run)
        };
        *tokens.get_mut(count)? = Some(Token { kind, sep });
        count += 1;
        sep = 0;
        rest = after;
    }
    Some((tokens, count))
}

/// A clock time found in the tokens.
struct ClockTime {
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
    offset_seconds: i64,
}

/// Parses a formatted time stamp, as JMeter writes it with `timestamp_format` (a
/// `SimpleDateFormat`/`DateTimeFormatter` pattern in the JVM's locale), into microseconds since
/// 1970. Accepts JMeter's own reader formats (`yyyy/MM/dd HH:mm:ss.SSS`, `yyyy/MM/dd HH:mm:ss`,
/// `yyyy-MM-dd HH:mm:ss.SSS`, `yyyy-MM-dd HH:mm:ss`, `MM/dd/yy HH:mm:ss`), ISO-8601 with `T` and
/// an optional offset, `dd.MM.yyyy`, and dates with a month name in several languages (`22 nov.
/// 2026 12:30:42,719`, `Nov 22, 2026 12:30:42 PM`), with `.` or `,` before the fraction.
///
/// A date without offset is taken as written, as UTC (the file does not say the zone). Words
/// that are not month names (weekdays, zone names, the ISO `T`) are ignored; numbers are not:
/// every number must belong to the date, the time or the offset. A slash date with a first
/// number up to 12 is read month first, as JMeter's `MM/dd/yy`.
pub(crate) fn parse_date_time(text: &str) -> Option<i64> {
    let (tokens, count) = date_tokens(text.trim())?;
    let tokens = tokens.get(..count)?;
    let mut used = [false; MAX_DATE_TOKENS];
    let time = clock_time(tokens, &mut used)?;
    let (year, month, day) = calendar_date(tokens, &used)?;
    let micros = NaiveDate::from_ymd_opt(year, month, day)?
        .and_hms_micro_opt(time.hour, time.minute, time.second, time.micros)?
        .and_utc()
        .timestamp_micros();
    micros.checked_sub(time.offset_seconds.checked_mul(1_000_000)?)
}

fn number(token: Option<&Option<Token<'_>>>) -> Option<(u32, usize, u8)> {
    match token {
        Some(Some(Token {
            kind: TokenKind::Number { value, digits },
            sep,
        })) => Some((*value, *digits, *sep)),
        _ => None,
    }
}

fn word<'a>(token: Option<&Option<Token<'a>>>) -> Option<&'a str> {
    match token {
        Some(Some(Token {
            kind: TokenKind::Word(w),
            ..
        })) => Some(w),
        _ => None,
    }
}

/// Finds `H:mm[:ss[.fraction]] [AM|PM] [Z|UTC|GMT][±hh[:mm]]` and marks its tokens used.
fn clock_time(
    tokens: &[Option<Token<'_>>],
    used: &mut [bool; MAX_DATE_TOKENS],
) -> Option<ClockTime> {
    let start = (0..tokens.len()).find(|&i| {
        matches!(number(tokens.get(i)), Some((_, 1..=2, _)))
            && matches!(number(tokens.get(i + 1)), Some((_, 2, b':')))
    })?;
    let (hour, _, _) = number(tokens.get(start))?;
    let (minute, _, _) = number(tokens.get(start + 1))?;
    let mut next = start + 2;
    let mut second = 0;
    let mut micros = 0;
    if let Some((s, 2, b':')) = number(tokens.get(next)) {
        second = s;
        next += 1;
        if let Some((fraction, digits, b'.' | b',')) = number(tokens.get(next)) {
            micros = scale_fraction(fraction, digits);
            next += 1;
        }
    }
    let mut hour = hour;
    if let Some(w) = word(tokens.get(next)) {
        if w.eq_ignore_ascii_case("pm") && hour < 12 {
            hour += 12;
            next += 1;
        } else if w.eq_ignore_ascii_case("am") {
            if hour == 12 {
                hour = 0;
            }
            next += 1;
        }
    }
    let (offset_seconds, after_offset) = utc_offset(tokens, next);
    for flag in used.iter_mut().take(after_offset).skip(start) {
        *flag = true;
    }
    Some(ClockTime {
        hour,
        minute,
        second,
        micros,
        offset_seconds,
    })
}

/// Digits of a fraction of a second as microseconds (`719` -> 719000).
fn scale_fraction(value: u32, digits: usize) -> u32 {
    match digits {
        0..=6 => value * 10u32.pow(6 - digits as u32),
        _ => value / 10u32.pow(digits as u32 - 6),
    }
}

/// An offset after the time (`Z`, `+01:00`, `-0530`, `UTC`, `GMT+2`), as seconds east of UTC,
/// and the index of the first token after it.
fn utc_offset(tokens: &[Option<Token<'_>>], mut next: usize) -> (i64, usize) {
    if let Some(w) = word(tokens.get(next)) {
        if ["z", "utc", "gmt"]
            .iter()
            .any(|z| w.eq_ignore_ascii_case(z))
        {
            next += 1;
        }
    }
    let Some((hours, digits, sign @ (b'+' | b'-'))) = number(tokens.get(next)) else {
        return (0, next);
    };
    let (hours, mut minutes) = match digits {
        1 | 2 => (hours, 0),
        4 => (hours / 100, hours % 100),
        _ => return (0, next),
    };
    next += 1;
    if digits <= 2 {
        if let Some((m, 2, b':')) = number(tokens.get(next)) {
            minutes = m;
            next += 1;
        }
    }
    let seconds = i64::from(hours * 3600 + minutes * 60);
    (if sign == b'-' { -seconds } else { seconds }, next)
}

/// The year, month and day from the tokens the time did not use.
fn calendar_date(
    tokens: &[Option<Token<'_>>],
    used: &[bool; MAX_DATE_TOKENS],
) -> Option<(i32, u32, u32)> {
    let mut numbers = [(0u32, 0usize, 0u8); 3];
    let mut count = 0;
    let mut month_word = None;
    for (i, token) in tokens.iter().enumerate() {
        if used.get(i).copied().unwrap_or(true) {
            continue;
        }
        match token {
            Some(Token {
                kind: TokenKind::Number { value, digits },
                sep,
            }) => {
                *numbers.get_mut(count)? = (*value, *digits, *sep);
                count += 1;
            }
            Some(Token {
                kind: TokenKind::Word(w),
                ..
            }) => {
                if let Some(m) = month_from_word(w) {
                    if month_word.replace(m).is_some() {
                        return None;
                    }
                }
            }
            None => {}
        }
    }
    let [a, b, c] = numbers;
    let (year, month, day) = match (month_word, count) {
        // `22 nov. 2026`, `Nov 22, 2026`
        (Some(month), 2) if b.1 == 4 => (b.0, month, a.0),
        (Some(month), 2) if a.1 == 4 => (a.0, month, b.0),
        (Some(month), 2) => (full_year(b.0, b.1)?, month, a.0),
        // `2026/11/22`, `2026-11-22`
        (None, 3) if a.1 == 4 => (a.0, b.0, c.0),
        // `22.11.2026`, `22-11-2026`, `22/11/2026` (first number above 12)
        (None, 3) if b.2 == b'.' || b.2 == b'-' || a.0 > 12 => (full_year(c.0, c.1)?, b.0, a.0),
        // `11/22/26`: JMeter's historical default `MM/dd/yy`
        (None, 3) => (full_year(c.0, c.1)?, a.0, b.0),
        _ => return None,
    };
    Some((i32::try_from(year).ok()?, month, day))
}

/// A 4-digit year, or a 2-digit one (`yy`: 00-69 -> 2000s, 70-99 -> 1900s).
fn full_year(value: u32, digits: usize) -> Option<u32> {
    match digits {
        4 => Some(value),
        2 if value < 70 => Some(2000 + value),
        2 => Some(1900 + value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::test_support::shared_dir;
    use std::path::PathBuf;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jmeter");

    fn fixture(name: &str) -> PathBuf {
        Path::new(FIXTURES).join(name)
    }

    /// Everything a test wants to know about the samples of a file.
    #[derive(Default, Debug)]
    struct Collected {
        samples: Vec<crate::model::OwnedSample>,
        kinds: Vec<SampleKind>,
    }

    impl SampleSink for Collected {
        fn push(&mut self, s: &Sample<'_>) {
            self.samples.push(crate::model::OwnedSample::from(s));
            self.kinds.push(s.kind);
        }
    }

    impl Collected {
        fn count_kind(&self, kind: SampleKind) -> usize {
            self.kinds.iter().filter(|k| **k == kind).count()
        }
        fn with_label(&self, label: &str) -> Vec<&crate::model::OwnedSample> {
            self.samples
                .iter()
                .filter(|s| s.label.as_deref() == Some(label))
                .collect()
        }
        fn failures(&self) -> usize {
            self.samples.iter().filter(|s| !s.success).count()
        }
    }

    fn parse_bytes(name: &str, bytes: &[u8]) -> (Result<FileIngest, IngestError>, Collected) {
        let mut sink = Collected::default();
        let mut reader = bytes;
        let result = parse(Path::new(name), &mut reader, &mut sink);
        (result, sink)
    }

    fn parse_fixture(name: &str) -> (FileIngest, Collected, String) {
        let path = fixture(name);
        let bytes = std::fs::read(&path).unwrap();
        let mut sink = Collected::default();
        let ingest = parse(&path, &mut bytes.as_slice(), &mut sink).unwrap();
        assert_eq!(ingest.samples as usize, sink.samples.len());
        (ingest, sink, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Data lines of a JMeter CSV whose records never span lines: lines that start with a
    /// 13-digit time stamp and a comma.
    fn data_lines(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|l| {
                l.len() > 14
                    && l.as_bytes()[..13].iter().all(u8::is_ascii_digit)
                    && &l[13..14] == ","
            })
            .collect()
    }

    /// Failed rows, found without a CSV parser: `success` follows `dataType` (text, bin or empty).
    fn failed_lines(lines: &[&str]) -> usize {
        lines
            .iter()
            .filter(|l| {
                [",text,false,", ",bin,false,", ",,false,"]
                    .iter()
                    .any(|p| l.contains(p))
            })
            .count()
    }

    #[test]
    fn headerless_2_13_default_columns() {
        let (ingest, got, text) = parse_fixture("jmeter-2.13_default_noheader.csv");
        let lines = data_lines(&text);
        assert_eq!(
            lines.len(),
            text.lines().count(),
            "every line is one record"
        );
        assert_eq!(got.samples.len(), lines.len());
        assert_eq!(ingest.tool.name, "jmeter");
        assert_eq!(
            ingest.tool.version.as_deref(),
            Some("2.x default columns (no header)")
        );
        assert!(ingest.warnings.is_empty(), "{:?}", ingest.warnings);
        assert_eq!(ingest.clock, Clock::Epoch);

        // First line: 1795350627295,105,Home Page,200,OK,"Users, group A 1-1",text,true,226,3,3,105
        let first = &got.samples[0];
        assert_eq!(first.start_us, Some(1_795_350_627_295_000));
        assert_eq!(first.elapsed_ns, 105_000_000);
        assert_eq!(first.label.as_deref(), Some("Home Page"));
        assert_eq!(first.status.as_deref(), Some("200"));
        assert!(first.success);
        assert_eq!(first.error, None);
        assert_eq!((first.bytes, first.threads), (Some(226), Some(3)));
        assert_eq!(first.ttfb_ns, Some(105_000_000));

        let transactions = lines
            .iter()
            .filter(|l| l.contains("\"Number of samples in transaction : "))
            .count();
        assert!(transactions > 0);
        assert_eq!(got.count_kind(SampleKind::Transaction), transactions);
        assert_eq!(got.count_kind(SampleKind::SubResult), 0);
        assert_eq!(got.failures(), failed_lines(&lines));

        let quoted = got.with_label("Get \"data\", big");
        let quoted_lines = lines
            .iter()
            .filter(|l| l.contains(",\"Get \"\"data\"\", big\","))
            .count();
        assert!(quoted_lines > 0);
        assert_eq!(quoted.len(), quoted_lines);
        let unicode = got.with_label("Überprüfung ページ assert-fail");
        assert_eq!(
            unicode.len(),
            lines
                .iter()
                .filter(|l| l.contains(",Überprüfung ページ assert-fail,"))
                .count()
        );
        assert!(unicode
            .iter()
            .all(|s| !s.success && s.error.as_deref() == Some("OK")));

        let refused = got.with_label("Refused port 1");
        assert!(!refused.is_empty());
        for s in refused {
            assert!(!s.success);
            assert_eq!(
                s.status.as_deref(),
                Some("Non HTTP response code: java.net.ConnectException")
            );
            assert_eq!(
                s.error.as_deref(),
                Some("Non HTTP response message: Connection refused")
            );
        }
    }

    #[test]
    fn header_with_failure_message_and_url() {
        let (ingest, got, text) = parse_fixture("jmeter-2.13_header_5x-like-columns.csv");
        let lines = data_lines(&text);
        assert_eq!(
            lines.len() + 1,
            text.lines().count(),
            "a header, then one record per line"
        );
        assert_eq!(got.samples.len(), lines.len());
        assert!(ingest.warnings.is_empty(), "{:?}", ingest.warnings);
        // Not a default column set (2.13 has no sentBytes), so no version is claimed.
        assert_eq!(ingest.tool.version, None);

        let transactions = lines
            .iter()
            .filter(|l| l.contains(",\"Number of samples in transaction : "))
            .count();
        assert_eq!(got.count_kind(SampleKind::Transaction), transactions);
        assert_eq!(got.failures(), failed_lines(&lines));

        // failureMessage wins over responseMessage for failed samples.
        let asserted = got.with_label("Überprüfung ページ assert-fail");
        assert!(!asserted.is_empty());
        for s in asserted {
            assert_eq!(
                s.error.as_deref(),
                Some("Test failed: text expected to contain /NOT_IN_PAGE/")
            );
        }
        // TC row: 1795350630184,12,TC checkout,200,"Number of ... : 0","Users, group A 1-1",,true,,14251,2,2,null,12,31,1
        let tc = got
            .samples
            .iter()
            .zip(&got.kinds)
            .find(|(s, _)| s.start_us == Some(1_795_350_630_184_000))
            .unwrap();
        assert_eq!(tc.0.label.as_deref(), Some("TC checkout"));
        assert_eq!(*tc.1, SampleKind::Transaction);
        assert_eq!(tc.0.elapsed_ns, 12_000_000);
        assert_eq!(tc.0.ttfb_ns, Some(12_000_000));
        assert_eq!(tc.0.bytes, Some(14251));
    }

    #[test]
    fn truncated_copy_keeps_complete_rows_and_warns() {
        let (ingest, got, text) = parse_fixture("jmeter-2.13_header_5x-like-columns_truncated.csv");
        assert!(!text.ends_with('\n'));
        let complete_lines = text.matches('\n').count();
        assert_eq!(got.samples.len(), complete_lines - 1);
        assert_eq!(ingest.warnings.len(), 1);
        let w = &ingest.warnings[0];
        assert_eq!(w.line, Some(complete_lines as u64 + 1));
        assert!(
            w.message.contains("incomplete last record"),
            "{}",
            w.message
        );
        assert!(w
            .to_string()
            .contains(&format!(":{}: ", complete_lines + 1)));
    }

    #[test]
    fn latin1_copy_decodes_labels() {
        let (_, got, _) = parse_fixture("jmeter-2.13_default_noheader_latin1.csv");
        let (_, utf8, _) = parse_fixture("jmeter-2.13_default_noheader.csv");
        assert_eq!(got.samples.len(), utf8.samples.len());
        // iconv //TRANSLIT turned each katakana into "?"; the Latin-1 letters must survive.
        let latin = got.with_label("Überprüfung ??? assert-fail");
        assert_eq!(
            latin.len(),
            utf8.with_label("Überprüfung ページ assert-fail").len()
        );
        assert!(!latin.is_empty());
    }

    /// Cutting the real file at any byte gives the complete rows before the cut, and a warning
    /// exactly when the cut is not at a line end.
    #[test]
    fn every_cut_of_a_real_file_is_a_killed_run() {
        let bytes = std::fs::read(fixture("jmeter-2.13_default_noheader.csv")).unwrap();
        let mut cut = 0;
        while cut <= bytes.len() {
            let prefix = &bytes[..cut];
            let (result, got) = parse_bytes("cut.csv", prefix);
            let ingest = result.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            let complete = prefix.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(got.samples.len(), complete, "cut at {cut}");
            let at_line_end = prefix.last().map_or(true, |&b| b == b'\n');
            let incomplete = ingest
                .warnings
                .iter()
                .filter(|w| w.message.contains("incomplete last record"))
                .count();
            assert_eq!(incomplete, usize::from(!at_line_end), "cut at {cut}");
            cut += if cut < 400 { 1 } else { 37 };
        }
    }

    #[test]
    fn malformed_elapsed_in_the_middle_is_an_error_with_its_line() {
        let text = std::fs::read_to_string(fixture("jmeter-2.13_default_noheader.csv")).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // Line 5: 1795350627422,9,"Get ""data"", big",...
        lines[4] = lines[4].replacen(",9,", ",12.5ms,", 1);
        let damaged = lines.join("\n") + "\n";
        let (result, got) = parse_bytes("run.jtl", damaged.as_bytes());
        let err = result.unwrap_err();
        assert_eq!(
            err.to_string(),
            "run.jtl:5:2: expected an integer number of milliseconds in column 'elapsed', found \"12.5ms\""
        );
        assert_eq!(got.samples.len(), 4);
    }

    #[test]
    fn error_line_is_where_a_multi_line_record_starts() {
        let data = "timeStamp,elapsed,label,success\n\
                    1795350627295,5,\"two\nlines\",true\n\
                    1795350627296,x,\"three\nphysical\nlines\",true\n\
                    1795350627297,5,last,true\n";
        let (result, got) = parse_bytes("m.jtl", data.as_bytes());
        let err = result.unwrap_err();
        assert_eq!((err.line, err.column), (Some(4), Some(2)), "{err}");
        assert_eq!(got.samples[0].label.as_deref(), Some("two\nlines"));
    }

    #[test]
    fn sub_result_rows_of_jmeter_5() {
        // Rows as JMeter >= 5.0 writes them (parent, then its sub-results depth first).
        let data = "\
timeStamp,elapsed,label,responseCode,responseMessage,threadName,success
1795350627000,50,Home,200,OK,T 1-1,true
1795350627001,10,Home-0,200,OK,T 1-1,true
1795350627002,10,Home-0-0,200,OK,T 1-1,true
1795350627003,10,Home-1,200,OK,T 1-1,true
1795350627004,10,Home-2,200,OK,T 1-2,true
1795350627005,10,Other,200,OK,T 1-1,true
1795350627006,10,Home-2,200,OK,T 1-1,true
1795350627007,10,Page,200,OK,T 1-1,true
1795350627008,10,Page-1,200,OK,T 1-1,true
1795350627009,30,Buy,200,\"Number of samples in transaction : 2, number of failing samples : 0\",T 1-1,true
1795350627010,10,Buy-0,200,OK,T 1-1,true
1795350627011,10,Buy-0-0,200,OK,T 1-1,true
1795350627012,20,Buy-1,200,OK,T 1-1,true
";
        let (result, got) = parse_bytes("sub.jtl", data.as_bytes());
        result.unwrap();
        use SampleKind::*;
        assert_eq!(
            got.kinds,
            vec![
                Request,   // Home
                SubResult, // Home-0
                SubResult, // Home-0-0 (recursive, >= 5.5)
                SubResult, // Home-1
                Request,   // Home-2 of another thread
                Request,   // Other
                Request,   // Home-2 after an unrelated row
                Request,   // Page
                Request,   // Page-1: index 0 never came
                Transaction,
                Request,   // Buy-0: child of a transaction
                SubResult, // Buy-0-0: child of a request
                Request,   // Buy-1
            ]
        );
    }

    #[test]
    fn headerless_later_versions_are_inferred_by_count_and_shape() {
        let v5 = "1795350627295,105,Home,200,OK,T 1-1,text,true,,226,120,3,3,http://127.0.0.1/,100,0,20\n";
        let (result, got) = parse_bytes("v5.jtl", v5.as_bytes());
        let ingest = result.unwrap();
        assert_eq!(
            ingest.tool.version.as_deref(),
            Some(">=5.0 default columns (no header)")
        );
        assert_eq!(got.samples[0].ttfb_ns, Some(100_000_000));
        assert_eq!(got.samples[0].bytes, Some(226));

        // 2.x default plus two sample variables.
        let vars = "1795350627295,105,Home,200,OK,T 1-1,text,true,226,3,3,100,a,b\n";
        let (result, got) = parse_bytes("v.jtl", vars.as_bytes());
        assert_eq!(
            result.unwrap().tool.version.as_deref(),
            Some("2.x default columns (no header)")
        );
        assert_eq!(got.samples[0].ttfb_ns, Some(100_000_000));

        let odd = "1795350627295,105,Home,200,true\n1795350627296,105,Home,200,true\n";
        let err = parse_bytes("odd.jtl", odd.as_bytes()).0.unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("no header and 5 columns"), "{err}");
        assert!(err.message.contains("print_field_names"), "{err}");

        let wrong_shape = "1795350627295,105,Home,200,OK,T 1-1,text,maybe,226,3,3,100\nx\n";
        let err = parse_bytes("w.jtl", wrong_shape.as_bytes()).0.unwrap_err();
        assert!(
            err.message.contains("field 8 ('success') holds \"maybe\""),
            "{err}"
        );
    }

    #[test]
    fn repeated_header_is_skipped_and_appended_rows_continue() {
        let data = "\
timeStamp,elapsed,label,responseCode,success
1795350627000,5,a,200,true
timeStamp,elapsed,label,responseCode,success
1795350627001,6,b,500,false
1795350627002,7,c,200,true
";
        let (result, got) = parse_bytes("a.jtl", data.as_bytes());
        assert!(result.unwrap().warnings.is_empty());
        assert_eq!(got.samples.len(), 3);
        assert_eq!(got.samples[1].error, None, "no message column");
        assert!(!got.samples[1].success);
    }

    #[test]
    fn appended_run_with_other_columns_switches_with_a_warning() {
        let data = "\
1795350627295,105,Home,200,OK,T 1-1,text,true,226,3,3,105
1795350627296,105,Home,200,OK,T 1-1,text,true,,226,120,3,3,http://x/,100,0,20
";
        let (result, got) = parse_bytes("a.jtl", data.as_bytes());
        let ingest = result.unwrap();
        assert_eq!(got.samples.len(), 2);
        assert_eq!(ingest.warnings.len(), 1);
        assert_eq!(ingest.warnings[0].line, Some(2));
        assert_eq!(got.samples[1].ttfb_ns, Some(100_000_000));
    }

    #[test]
    fn delimiters_bom_crlf_and_null() {
        let data = "\u{feff}timeStamp;elapsed;label;responseCode;responseMessage;success;failureMessage;URL;\"myVar\"\r\n\
                    1795350627295;7;\"a;b\";503;Service Unavailable;false;null;null;null\r\n";
        let (result, got) = parse_bytes("s.csv", data.as_bytes());
        result.unwrap();
        let s = &got.samples[0];
        assert_eq!(s.label.as_deref(), Some("a;b"));
        assert_eq!(s.error.as_deref(), Some("Service Unavailable"));
        assert_eq!(s.elapsed_ns, 7_000_000);

        let tabs = "timeStamp\telapsed\tlabel\tresponseCode\nx\n";
        let err = parse_bytes("t.csv", tabs.as_bytes()).0;
        // "x" is the last record and incomplete: a warning, no error.
        assert!(err.unwrap().warnings[0].message.contains("incomplete"));
        let pipes = "1795350627295|7|a|200|OK|T|text|true|1|1|1|7\n";
        let (result, got) = parse_bytes("p.jtl", pipes.as_bytes());
        result.unwrap();
        assert_eq!(got.samples.len(), 1);
    }

    #[test]
    fn success_from_response_code_when_the_column_is_off() {
        let data = "timeStamp,elapsed,label,responseCode\n1795350627295,1,a,302\n1795350627296,1,b,404\n1795350627297,1,c,Non HTTP response code: x\n";
        let (result, got) = parse_bytes("c.jtl", data.as_bytes());
        result.unwrap();
        let success: Vec<bool> = got.samples.iter().map(|s| s.success).collect();
        assert_eq!(success, vec![true, false, false]);
    }

    #[test]
    fn empty_and_header_only_files_hold_no_samples() {
        for data in ["", "timeStamp,elapsed,label,success\n"] {
            let (result, got) = parse_bytes("e.jtl", data.as_bytes());
            let ingest = result.unwrap();
            assert!(got.samples.is_empty());
            assert_eq!(ingest.warnings.len(), 1);
            assert!(ingest.warnings[0].message.contains("no samples"));
        }
    }

    #[test]
    fn formatted_dates_from_formats_md() {
        let utc = |y, mo, d, h, mi, s, ms| {
            NaiveDate::from_ymd_opt(y, mo, d)
                .unwrap()
                .and_hms_milli_opt(h, mi, s, ms)
                .unwrap()
                .and_utc()
                .timestamp_micros()
        };
        let cases = [
            (
                "2026/11/22 12:30:33.992",
                utc(2026, 11, 22, 12, 30, 33, 992),
            ),
            (
                "22 nov. 2026 12:30:42,719",
                utc(2026, 11, 22, 12, 30, 42, 719),
            ),
            ("2026/11/22 12:30:33", utc(2026, 11, 22, 12, 30, 33, 0)),
            (
                "2026-11-22 12:30:33.992",
                utc(2026, 11, 22, 12, 30, 33, 992),
            ),
            ("2026-11-22 12:30:33", utc(2026, 11, 22, 12, 30, 33, 0)),
            ("11/22/26 12:30:33", utc(2026, 11, 22, 12, 30, 33, 0)),
            (
                "2026-11-22T12:30:33.992",
                utc(2026, 11, 22, 12, 30, 33, 992),
            ),
            (
                "2026-11-22T12:30:33.992Z",
                utc(2026, 11, 22, 12, 30, 33, 992),
            ),
            (
                "2026-11-22T13:30:33+01:00",
                utc(2026, 11, 22, 12, 30, 33, 0),
            ),
            ("2026-11-22T07:00:33-0530", utc(2026, 11, 22, 12, 30, 33, 0)),
            (
                "22 nov 2026 12:30:42,719",
                utc(2026, 11, 22, 12, 30, 42, 719),
            ),
            (
                "22 févr. 2026 12:30:42,719",
                utc(2026, 2, 22, 12, 30, 42, 719),
            ),
            ("22. März 2026 12:30:42", utc(2026, 3, 22, 12, 30, 42, 0)),
            ("22.11.2026 12:30:42,5", utc(2026, 11, 22, 12, 30, 42, 500)),
            (
                "22 dic. 2026 12:30:42,719",
                utc(2026, 12, 22, 12, 30, 42, 719),
            ),
            ("22 ene 2026 12:30:42", utc(2026, 1, 22, 12, 30, 42, 0)),
            ("Nov 22, 2026 12:30:42 PM", utc(2026, 11, 22, 12, 30, 42, 0)),
            ("Nov 22, 2026, 12:30:42 AM", utc(2026, 11, 22, 0, 30, 42, 0)),
            (
                "Sun Nov 22 12:30:42 CET 2026",
                utc(2026, 11, 22, 12, 30, 42, 0),
            ),
            ("25/11/2026 12:30", utc(2026, 11, 25, 12, 30, 0, 0)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_date_time(text), Some(expected), "{text}");
            assert_eq!(
                parse_timestamp_us(text.as_bytes()),
                Some(expected),
                "{text}"
            );
        }
        for bad in [
            "",
            "12:30:42",
            "2026/13/22 12:30:33",
            "2026/11/22",
            "Home Page",
            "22 foo 2026 12:30:42",
            "2026/11/22 12:30:33 77",
            "31 nov. 2026 12:30:42",
        ] {
            assert_eq!(parse_date_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn epoch_numbers_by_magnitude() {
        let ms = 1_795_350_627_295_000;
        assert_eq!(parse_timestamp_us(b"1795350627295"), Some(ms));
        assert_eq!(
            parse_timestamp_us(b"1795350627"),
            Some(1_795_350_627_000_000)
        );
        assert_eq!(parse_timestamp_us(b"1795350627.295"), Some(ms));
        assert_eq!(parse_timestamp_us(b"1795350627295000"), Some(ms));
        assert_eq!(parse_timestamp_us(b"1795350627295000000"), Some(ms));
        assert_eq!(parse_timestamp_us(b"-5"), None);
        assert_eq!(parse_ms_as_ns(b"12.5"), Some(12_500_000));
        assert_eq!(parse_ms_as_ns(b"12.5ms"), None);
        assert_eq!(parse_uint(b"99999999999999999999"), None);
    }

    #[test]
    fn transaction_message_pattern() {
        assert!(is_transaction_message(
            b"Number of samples in transaction : 2, number of failing samples : 0"
        ));
        assert!(!is_transaction_message(
            b"Number of samples in transaction : 2, number of failing samples : "
        ));
        assert!(!is_transaction_message(b"OK"));
    }

    #[test]
    fn sniff_claims_jtl_and_nothing_else() {
        let p = Path::new("results.txt");
        for yes in [
            &b"timeStamp,elapsed,label,responseCode,responseMessage,threadName,success\n1,2"[..],
            b"\xEF\xBB\xBFtimeStamp;elapsed;label;responseCode\n",
            b"timeStamp\telapsed\tlabel\tresponseCode\n",
            b"label,responseCode,responseMessage,dataType,success,failureMessage\n",
            b"1795350627295,105,Home Page,200,OK,\"Users, group A 1-1\",text,true,226,3,3,105\n",
            b"\"22 nov. 2026 12:30:42,719\",105,Home,200,OK,T 1-1,text,true,226,3,3,105\n",
            b"22 nov. 2026 12:30:42,719;105;Home;200;OK;T 1-1;text;true;226;3;3;105\n",
        ] {
            assert!(sniff(yes, p), "{}", String::from_utf8_lossy(yes));
        }
        for no in [
            &b"request-start,DNS,DNS+dialup,Response-delay,request-duration,bytes,status\n0.1,0,0,0.2,0.3,41,200\n"[..],
            b"response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n",
            b"elapsed_time,cpu,mem_real,mem_virtual\n0.0,1.0,2.0,3.0\n",
            b"Type,Name,Request Count,Failure Count\n",
            b"Timestamp,User Count,Type,Name,Requests/s\n1795350627,5,GET,/,1.0\n",
            b"Method,Name,Error,Occurrences\n",
            b"starttime\tseconds\tctime\tdtime\tttime\twait\n",
            b"<?xml version=\"1.0\"?>\n<testResults version=\"1.2\">\n",
            b"1795350627,105,Home\n",
            b"",
        ] {
            assert!(!sniff(no, p), "{}", String::from_utf8_lossy(no));
        }
        // The extension loosens, never replaces, the content test.
        assert!(sniff(b"1795350627,105,Home,200,OK\n", Path::new("r.jtl")));
        assert!(!sniff(b"Summary:\n  Total: 1\n", Path::new("r.jtl")));
        assert!(sniff(b"", Path::new("empty.jtl")));
    }

    #[test]
    fn sniff_on_real_files() {
        for name in [
            "jmeter-2.13_default_noheader.csv",
            "jmeter-2.13_header_5x-like-columns.csv",
        ] {
            let head = std::fs::read(fixture(name)).unwrap();
            assert!(sniff(&head, Path::new(name)), "{name}");
        }
        let head = std::fs::read(fixture("jmeter-2.13_default.xml")).unwrap();
        assert!(!sniff(&head, Path::new("jmeter-2.13_default.xml")));
        // The test plan and other tools' real files must not be claimed.
        let Some(shared) = shared_dir() else {
            eprintln!("skipping: shared/ not found");
            return;
        };
        let plan = shared.join("corpus/generated/jmeter/_plan_used.jmx");
        match std::fs::read(&plan) {
            Ok(head) => assert!(!sniff(&head, &plan)),
            Err(_) => eprintln!("skipping: {} not found", plan.display()),
        }
        for tool in ["oha", "hey", "psrecord", "locust", "ab", "wrk"] {
            let dir = shared.join("corpus/generated").join(tool);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                eprintln!("skipping: {} not found", dir.display());
                continue;
            };
            for entry in entries.flatten() {
                let bytes = std::fs::read(entry.path()).unwrap();
                let head = &bytes[..bytes.len().min(crate::ingest::HEAD_LEN)];
                assert!(!sniff(head, &entry.path()), "{}", entry.path().display());
            }
        }
    }

    /// Every public CSV JTL parses; row counts agree with a count of lines.
    #[test]
    fn public_csv_files_parse() {
        let Some(shared) = shared_dir() else {
            eprintln!("skipping: shared/ not found");
            return;
        };
        let dir = shared.join("corpus/public/jmeter");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipping: {} not found", dir.display());
            return;
        };
        let mut seen = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let bytes = std::fs::read(&path).unwrap();
            if bytes.starts_with(b"<?xml") {
                continue;
            }
            assert!(sniff(&bytes, &path), "{}", path.display());
            let mut sink = Collected::default();
            let ingest =
                parse(&path, &mut bytes.as_slice(), &mut sink).unwrap_or_else(|e| panic!("{e}"));
            // None of these files has a line break inside a quoted field: one row per line,
            // after one header line.
            let lines = bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
            assert_eq!(ingest.samples as usize, lines - 1, "{}", path.display());
            assert!(ingest.warnings.is_empty(), "{:?}", ingest.warnings);
            seen += 1;
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with("tranctl.jtl") {
                assert_eq!(sink.count_kind(SampleKind::Transaction), 2);
            }
            if name.ends_with("HTMLReportTestFile.csv") {
                assert_eq!(
                    ingest.tool.version.as_deref(),
                    Some(">=5.0 default columns")
                );
            }
            if name.ends_with("BatchTestLocal.csv") {
                // No timeStamp and no elapsed column.
                assert!(sink.samples.iter().all(|s| s.start_us.is_none()));
            }
            if name.ends_with("quote-guessing-crash.jtl") {
                assert!(sink
                    .samples
                    .iter()
                    .all(|s| s.label.as_deref() == Some("http://blazedemo.com/")));
            }
            if name.ends_with("_unicode.jtl") {
                assert!(sink
                    .samples
                    .iter()
                    .any(|s| s.label.as_deref().is_some_and(|l| l.contains('С'))));
            }
            if name.ends_with("doublequoting.jtl") {
                let msg = sink.samples[0].error.as_deref().unwrap_or_default();
                assert!(msg.ends_with("<S>, \"(\", , "), "{msg}");
            }
        }
        assert!(seen >= 8, "only {seen} public CSV files");
    }

    proptest::proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = sniff(&bytes, Path::new("x.jtl"));
            let _ = parse_bytes("x.jtl", &bytes);
        }

        #[test]
        fn jtl_like_garbage_never_panics(lines in proptest::collection::vec("[0-9a-z,;\"\n:/. -]{0,40}", 0..8)) {
            let text = format!("timeStamp,elapsed,label,success\n{}", lines.join("\n"));
            let _ = parse_bytes("x.jtl", text.as_bytes());
            let _ = parse_date_time(&lines.join(" "));
        }
    }
}
