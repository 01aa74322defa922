//! psrecord resource logs (astrofrog/psrecord and the psrecord-io fork), FORMATS.md §2.
//!
//! Three shapes reach us:
//! - the plain log (`--log file`): a `# Elapsed time   CPU (%) ...` header whose column names
//!   contain spaces, then whitespace-separated rows. The columns are found by looking for the
//!   known names in the header (never by splitting it), which covers 3 columns (authors deleting
//!   the Virtual column), 4, 8 (`--include-io`), psrecord-io's `Swap (MB)` and its optional
//!   columns, and forks that prepend a `Timestamp` column;
//! - the same log captured from stdout (psrecord >= 1.3 without `--log`), interleaved with
//!   `Attaching to process ...` / `Process finished (...)` lines and possibly with the monitored
//!   command's own output;
//! - CSV (`--log-format csv`), whose columns are mapped by header name; psrecord 1.3 glued the
//!   virtual memory and the read count together (one comma missing), which is recognised and
//!   reported.
//!
//! psrecord logs carry no requests: nothing is pushed into the sample sink.

use std::io::BufRead;
use std::path::Path;

use crate::error::IngestError;
use crate::ingest::head_text;
use crate::ingest::text::Lines;
use crate::model::{FileIngest, ResourceSample, ResourceSeries, SampleSink, ToolInfo, Warning};

/// Messages psrecord itself prints to stdout around the log in stdout mode.
const STATUS_PREFIXES: [&str; 4] = [
    "Attaching to process",
    "Starting up command",
    "Process finished",
    "Warning: No data points were recorded",
];

pub fn sniff(head: &[u8], _path: &Path) -> bool {
    let text = head_text(head);
    let first = text
        .lines()
        .map(|l| l.trim())
        .find(|l| !l.is_empty() && !is_status_line(l));
    first.is_some_and(|l| is_plain_header(l) || is_csv_header(l))
}

pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    let mut lines = Lines::new(reader, path);
    let mut log = LogReader::new(path);
    while let Some((number, text)) = lines.next_line()? {
        log.line(&RawLine {
            number,
            text,
            complete: lines.last_line_complete(),
        })?;
    }
    log.finish()
}

fn is_status_line(line: &str) -> bool {
    STATUS_PREFIXES.iter().any(|p| line.starts_with(p))
}

fn is_plain_header(line: &str) -> bool {
    line.starts_with('#') && line.contains("Elapsed time") && line.contains("CPU")
}

fn is_csv_header(line: &str) -> bool {
    let mut names = line.split(',').map(str::trim);
    line.starts_with("elapsed_time,")
        || (names.any(|n| n == "elapsed_time") && line.split(',').any(|n| n.trim() == "cpu"))
}

/// A column psrecord writes, as far as we need to tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Timestamp,
    Elapsed,
    Cpu,
    Real,
    Virtual,
    Swap,
    Nproc,
    /// I/O counters, directory size, cache: logged but not part of the resource model.
    Other,
}

/// Plain-log header names (psrecord 1.x and psrecord-io 1.5.0), found by substring search because
/// they contain spaces and are not always separated by more than one space.
const PLAIN_NAMES: [(&str, Column); 15] = [
    ("Timestamp", Column::Timestamp),
    ("Elapsed time", Column::Elapsed),
    ("CPU (%)", Column::Cpu),
    ("Real (MB)", Column::Real),
    ("Virtual (MB)", Column::Virtual),
    ("Swap (MB)", Column::Swap),
    ("Read count", Column::Other),
    ("Write count", Column::Other),
    ("Read bytes", Column::Other),
    ("Write bytes", Column::Other),
    ("Read (MB)", Column::Other),
    ("Write (MB)", Column::Other),
    ("Dir size (MB)", Column::Other),
    ("MMap_RSS (MB)", Column::Other),
    ("Sys_Cache (GB)", Column::Other),
];

fn csv_column(name: &str) -> Column {
    match name {
        "timestamp" => Column::Timestamp,
        "elapsed_time" => Column::Elapsed,
        "nproc" => Column::Nproc,
        "cpu" => Column::Cpu,
        "mem_real" => Column::Real,
        "mem_virtual" => Column::Virtual,
        "mem_swap" => Column::Swap,
        _ => Column::Other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Separator {
    Whitespace,
    Comma,
}

/// Where the values we keep sit in a row, worked out from the header.
#[derive(Debug, Clone)]
struct Layout {
    separator: Separator,
    columns: Vec<Column>,
    /// Number of fields in a complete row; `None` until the first row when the header holds
    /// names we do not know (their count cannot be told from the header text).
    fields: Option<usize>,
    elapsed: usize,
    cpu: usize,
    real: usize,
    virtual_mb: Option<usize>,
    /// psrecord 1.3 CSV with `--include-io`: virtual MB and read count are glued into one field.
    glued_virtual: bool,
}

impl Layout {
    fn from_plain_header(line: &str, path: &Path, line_no: u64) -> Result<Layout, IngestError> {
        let mut found: Vec<(usize, &str, Column)> = Vec::new();
        for (name, column) in PLAIN_NAMES {
            found.extend(line.match_indices(name).map(|(at, n)| (at, n, column)));
        }
        found.sort_by_key(|&(at, _, _)| at);
        let mut rest = line.trim_start_matches('#').to_string();
        for (_, name, _) in &found {
            rest = rest.replacen(name, "", 1);
        }
        let columns: Vec<Column> = found.iter().map(|&(_, _, c)| c).collect();
        let fields = rest.trim().is_empty().then_some(columns.len());
        Layout::new(Separator::Whitespace, columns, fields, path, line_no)
    }

    fn from_csv_header(line: &str, path: &Path, line_no: u64) -> Result<Layout, IngestError> {
        let columns: Vec<Column> = line.split(',').map(|n| csv_column(n.trim())).collect();
        let fields = Some(columns.len());
        Layout::new(Separator::Comma, columns, fields, path, line_no)
    }

    fn new(
        separator: Separator,
        columns: Vec<Column>,
        fields: Option<usize>,
        path: &Path,
        line_no: u64,
    ) -> Result<Layout, IngestError> {
        let position = |wanted: Column| columns.iter().position(|&c| c == wanted);
        let required = |wanted: Column, name: &str| {
            position(wanted).ok_or_else(|| {
                IngestError::at_line(
                    path,
                    line_no,
                    format!("expected a '{name}' column in the psrecord header, found none"),
                )
            })
        };
        let (elapsed_name, cpu_name, real_name) = match separator {
            Separator::Whitespace => ("Elapsed time", "CPU (%)", "Real (MB)"),
            Separator::Comma => ("elapsed_time", "cpu", "mem_real"),
        };
        Ok(Layout {
            elapsed: required(Column::Elapsed, elapsed_name)?,
            cpu: required(Column::Cpu, cpu_name)?,
            real: required(Column::Real, real_name)?,
            virtual_mb: position(Column::Virtual),
            separator,
            fields,
            glued_virtual: false,
            columns,
        })
    }

    fn has(&self, column: Column) -> bool {
        self.columns.contains(&column)
    }

    /// Whether a CSV row one field short is psrecord 1.3's missing-comma bug: `mem_virtual`
    /// directly followed by `read_count`, and everything we keep before them.
    fn is_glued_row(&self, found: usize) -> bool {
        let Some(v) = self.virtual_mb else {
            return false;
        };
        self.separator == Separator::Comma
            && Some(found + 1) == self.fields
            && self.columns.get(v + 1) == Some(&Column::Other)
            && self.elapsed.max(self.cpu).max(self.real) < v
    }

    /// The columns as a reader would name them, for error messages.
    fn describe(&self) -> String {
        let names: Vec<&str> = self
            .columns
            .iter()
            .map(|c| match c {
                Column::Timestamp => "timestamp",
                Column::Elapsed => "elapsed s",
                Column::Cpu => "CPU %",
                Column::Real => "real MB",
                Column::Virtual => "virtual MB",
                Column::Swap => "swap MB",
                Column::Nproc => "process count",
                Column::Other => "...",
            })
            .collect();
        let mut names = names;
        names.dedup_by(|a, b| *a == "..." && *b == "...");
        names.join(", ")
    }

    fn version(&self, stdout_capture: bool) -> &'static str {
        match (self.separator, self.has(Column::Swap)) {
            (Separator::Whitespace, true) => "psrecord-io plain",
            (Separator::Whitespace, false) if self.has(Column::Timestamp) => {
                "plain with a Timestamp column (fork)"
            }
            (Separator::Whitespace, false) if stdout_capture => "plain, stdout capture (>=1.3)",
            (Separator::Whitespace, false) => "plain",
            (Separator::Comma, true) => "psrecord-io csv",
            (Separator::Comma, false) if self.has(Column::Nproc) => "1.4 csv",
            (Separator::Comma, false) => "1.3 csv",
        }
    }
}

/// A data row that could not be read, kept until we know whether it was the last line (a
/// truncated last line is only a warning).
struct BadRow {
    line: u64,
    message: String,
}

/// Reads a psrecord log line by line.
struct LogReader<'p> {
    path: &'p Path,
    layout: Option<Layout>,
    samples: Vec<ResourceSample>,
    warnings: Vec<Warning>,
    /// Lines psrecord printed itself (stdout mode) were seen.
    stdout_capture: bool,
    /// Lines of the monitored command's own output, in stdout mode.
    foreign_lines: u64,
    pending: Option<BadRow>,
    /// Decimal places of the last field of the previous plain row (rows are `{:12.3f}`), to spot a
    /// last line cut inside its last number.
    last_field_decimals: Option<usize>,
}

impl<'p> LogReader<'p> {
    fn new(path: &'p Path) -> Self {
        LogReader {
            path,
            layout: None,
            samples: Vec::new(),
            warnings: Vec::new(),
            stdout_capture: false,
            foreign_lines: 0,
            pending: None,
            last_field_decimals: None,
        }
    }

    fn line(&mut self, line: &RawLine) -> Result<(), IngestError> {
        let text = line.text.trim();
        if text.is_empty() {
            return Ok(());
        }
        if is_status_line(text) {
            self.stdout_capture = true;
            return Ok(());
        }
        if self.layout.is_none() {
            return self.header(text, line.number);
        }
        if text.starts_with('#') {
            return Ok(()); // a comment (or a header repeated by hand)
        }
        if let Some(bad) = self.pending.take() {
            return Err(IngestError::at_line(self.path, bad.line, bad.message));
        }
        if self.stdout_capture && !starts_like_number(text) {
            // The monitored command writes to the same terminal in stdout mode.
            self.foreign_lines += 1;
            return Ok(());
        }
        match self.row(text, line) {
            Ok(sample) => self.samples.push(sample),
            Err(message) => {
                self.pending = Some(BadRow {
                    line: line.number,
                    message,
                })
            }
        }
        Ok(())
    }

    fn header(&mut self, text: &str, line_no: u64) -> Result<(), IngestError> {
        let layout = if is_plain_header(text) {
            Layout::from_plain_header(text, self.path, line_no)?
        } else if is_csv_header(text) {
            Layout::from_csv_header(text, self.path, line_no)?
        } else {
            return Err(IngestError::at_line(
                self.path,
                line_no,
                format!(
                    "expected the psrecord header '# Elapsed time   CPU (%)   Real (MB) ...' or \
                     'elapsed_time,...', found {text:?}"
                ),
            ));
        };
        self.layout = Some(layout);
        Ok(())
    }

    /// Parses one data row; the error text says what was expected and what was found.
    fn row(&mut self, text: &str, line: &RawLine) -> Result<ResourceSample, String> {
        let Some(layout) = self.layout.as_mut() else {
            return Err("a data row before the header".to_string());
        };
        let fields: Vec<&str> = match layout.separator {
            Separator::Whitespace => text.split_whitespace().collect(),
            Separator::Comma => text.split(',').map(str::trim).collect(),
        };
        let expected = *layout.fields.get_or_insert(fields.len());
        if fields.len() != expected {
            if !layout.glued_virtual && layout.is_glued_row(fields.len()) {
                layout.glued_virtual = true;
                self.warnings.push(Warning {
                    path: self.path.to_path_buf(),
                    line: Some(line.number),
                    message: "psrecord 1.3 CSV bug: the virtual memory and read count values are \
                              written without a comma between them; virtual memory is not used"
                        .to_string(),
                });
            }
            if !(layout.glued_virtual && fields.len() + 1 == expected) {
                return Err(format!(
                    "expected {expected} numeric columns ({}), found {} fields: {text:?}",
                    layout.describe(),
                    fields.len()
                ));
            }
        }
        let layout = &*layout;
        let number = |index: usize| -> Result<f64, String> {
            let field = fields.get(index).copied().unwrap_or("");
            match field.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(format!(
                    "expected {expected} numeric columns ({}), found {field:?} in column {}",
                    layout.describe(),
                    index + 1
                )),
            }
        };
        let sample = ResourceSample {
            elapsed_s: number(layout.elapsed)?,
            cpu_percent: number(layout.cpu)?,
            rss_mb: number(layout.real)?,
            vms_mb: match layout.virtual_mb {
                Some(v) if !layout.glued_virtual => Some(number(v)?),
                _ => None,
            },
        };
        if layout.separator == Separator::Whitespace {
            self.check_last_field(&fields, line)?;
        }
        Ok(sample)
    }

    /// Plain rows print every float with 3 decimals; a final line without a newline whose last
    /// number has a different number of decimals than the row before was cut by a killed writer.
    fn check_last_field(&mut self, fields: &[&str], line: &RawLine) -> Result<(), String> {
        let decimals = fields
            .last()
            .map(|f| f.split_once('.').map_or(0, |(_, d)| d.len()));
        let previous = std::mem::replace(&mut self.last_field_decimals, decimals);
        match (previous, decimals) {
            (Some(p), Some(d)) if !line.complete && p != d => Err(format!(
                "expected a number with {p} decimals in the last column, found {:?} \
                 (the line ends without a newline)",
                fields.last().copied().unwrap_or("")
            )),
            _ => Ok(()),
        }
    }

    fn finish(mut self) -> Result<FileIngest, IngestError> {
        let Some(layout) = self.layout.take() else {
            return Err(IngestError::new(
                self.path,
                "expected a psrecord header ('# Elapsed time   CPU (%) ...' or 'elapsed_time,...'), \
                 found none",
            ));
        };
        if let Some(bad) = self.pending.take() {
            self.warn(
                Some(bad.line),
                format!("last line ignored (truncated?): {}", bad.message),
            );
        }
        if self.foreign_lines > 0 {
            let n = self.foreign_lines;
            self.warn(
                None,
                format!("skipped {n} line(s) that are not psrecord rows (output of the monitored command?)"),
            );
        }
        if self.samples.is_empty() {
            self.warn(
                None,
                "the psrecord log has a header but no rows".to_string(),
            );
        }
        Ok(FileIngest {
            tool: ToolInfo::new("psrecord", Some(layout.version(self.stdout_capture))),
            resources: Some(ResourceSeries {
                samples: self.samples,
            }),
            warnings: self.warnings,
            ..FileIngest::default()
        })
    }

    fn warn(&mut self, line: Option<u64>, message: String) {
        self.warnings.push(Warning {
            path: self.path.to_path_buf(),
            line,
            message,
        });
    }
}

fn starts_like_number(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
}

/// One line of input: decoded text (no line ending, BOM or colour codes), its 1-based number, and
/// whether it ended with a newline.
struct RawLine {
    number: u64,
    text: String,
    complete: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::test_support::shared_dir;
    use std::io::BufReader;
    use std::path::PathBuf;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/psrecord");

    fn fixture(name: &str) -> PathBuf {
        Path::new(FIXTURES).join(name)
    }

    fn shared_file(relative: &str) -> Option<PathBuf> {
        let path = shared_dir().map(|d| d.join(relative));
        match path {
            Some(p) if p.is_file() => Some(p),
            _ => {
                eprintln!("skipping: {relative} not found");
                None
            }
        }
    }

    fn parse_path(path: &Path) -> Result<FileIngest, IngestError> {
        let file = std::fs::File::open(path).unwrap();
        let mut sink = 0u64;
        let result = parse(path, &mut BufReader::new(file), &mut sink);
        assert_eq!(sink, 0, "psrecord logs carry no request samples");
        result
    }

    fn parse_text(text: &str) -> Result<FileIngest, IngestError> {
        parse(Path::new("t.log"), &mut text.as_bytes(), &mut 0u64)
    }

    fn samples(ingest: &FileIngest) -> &[ResourceSample] {
        &ingest
            .resources
            .as_ref()
            .expect("a resource series")
            .samples
    }

    fn max_of(values: impl Iterator<Item = f64>) -> f64 {
        values.fold(f64::NEG_INFINITY, f64::max)
    }

    /// The test's own reading of a file: rows = lines starting with a number; column `i` of each.
    struct Naive {
        rows: usize,
        max: Vec<f64>,
    }

    fn naive(path: &Path, separator: char, columns: &[usize]) -> Naive {
        let text = std::fs::read_to_string(path).unwrap();
        let rows: Vec<Vec<&str>> = text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .map(|l| {
                if separator == ' ' {
                    l.split_whitespace().collect()
                } else {
                    l.split(separator).collect()
                }
            })
            .collect();
        let max = columns
            .iter()
            .map(|&i| max_of(rows.iter().map(|r| r[i].parse::<f64>().unwrap())))
            .collect();
        Naive {
            rows: rows.len(),
            max,
        }
    }

    /// Parses a fixture and checks row count, peak CPU and peak RSS against the naive reading.
    fn check_against_naive(name: &str, separator: char, cpu: usize, real: usize) -> FileIngest {
        let path = fixture(name);
        let ingest = parse_path(&path).unwrap();
        let expected = naive(&path, separator, &[cpu, real]);
        let rows = samples(&ingest);
        assert_eq!(rows.len(), expected.rows, "{name}: rows");
        assert_eq!(max_of(rows.iter().map(|s| s.cpu_percent)), expected.max[0]);
        assert_eq!(max_of(rows.iter().map(|s| s.rss_mb)), expected.max[1]);
        assert!(
            sniff(&std::fs::read(&path).unwrap(), &path),
            "{name}: sniff"
        );
        ingest
    }

    fn version(ingest: &FileIngest) -> &str {
        assert_eq!(ingest.tool.name, "psrecord");
        ingest.tool.version.as_deref().unwrap_or("")
    }

    #[test]
    fn plain_log_with_children() {
        let ingest = check_against_naive("psrecord-1.4_plain_children.log", ' ', 1, 2);
        assert_eq!(version(&ingest), "plain");
        let rows = samples(&ingest);
        assert_eq!(
            rows[1],
            ResourceSample {
                elapsed_s: 0.202,
                cpu_percent: 62.7,
                rss_mb: 86.52,
                vms_mb: Some(90.293)
            }
        );
        assert!(ingest.warnings.is_empty(), "{:?}", ingest.warnings);
    }

    #[test]
    fn plain_log_with_io_columns() {
        let ingest = check_against_naive("psrecord-1.4_plain_include-io.log", ' ', 1, 2);
        let rows = samples(&ingest);
        assert_eq!(rows[0].vms_mb, Some(5.062));
        assert!(ingest.warnings.is_empty());
    }

    #[test]
    fn plain_log_without_interval_has_duplicate_times() {
        let ingest = check_against_naive("psrecord-1.4_plain_nointerval.log", ' ', 1, 2);
        let rows = samples(&ingest);
        let duplicates = rows
            .windows(2)
            .filter(|w| w[0].elapsed_s == w[1].elapsed_s)
            .count();
        assert!(duplicates > 0, "this real log repeats elapsed values");
    }

    #[test]
    fn psrecord_io_swap_and_optional_columns() {
        let basic = check_against_naive("psrecord-io-1.5.0_plain_basic.log", ' ', 1, 2);
        assert_eq!(version(&basic), "psrecord-io plain");
        assert_eq!(samples(&basic)[0].vms_mb, Some(2.531));
        let full = check_against_naive("psrecord-io-1.5.0_plain_io-dir-cache.log", ' ', 1, 2);
        assert_eq!(samples(&full)[1].vms_mb, Some(78.609));
        assert!(full.warnings.is_empty(), "{:?}", full.warnings);
    }

    #[test]
    fn stdout_capture_skips_psrecord_messages() {
        for name in [
            "psrecord-1.4_stdout_mode.txt",
            "psrecord-1.4_stdout_mode_attach-pid.txt",
        ] {
            let ingest = check_against_naive(name, ' ', 1, 2);
            assert_eq!(version(&ingest), "plain, stdout capture (>=1.3)");
            assert!(ingest.warnings.is_empty(), "{:?}", ingest.warnings);
        }
        let ingest = parse_path(&fixture("psrecord-1.4_stdout_mode.txt")).unwrap();
        assert!(
            max_of(samples(&ingest).iter().map(|s| s.cpu_percent)) > 100.0,
            "CPU above 100 % (two busy processes) is kept as is"
        );
    }

    #[test]
    fn csv_1_4_maps_columns_by_name() {
        let ingest = check_against_naive("psrecord-1.4_csv_include-io.csv", ',', 2, 3);
        assert_eq!(version(&ingest), "1.4 csv");
        let first = samples(&ingest)[0];
        assert_eq!(first.elapsed_s, 0.00020551681518554688);
        assert_eq!(first.vms_mb, Some(6.7890625));
    }

    #[test]
    fn csv_1_3_and_psrecord_io_csv() {
        let plain13 = check_against_naive("psrecord-1.3_csv.csv", ',', 1, 2);
        assert_eq!(version(&plain13), "1.3 csv");
        assert!(samples(&plain13).iter().all(|s| s.vms_mb.is_some()));
        let io = check_against_naive("psrecord-io-1.5.0_csv_include-io.csv", ',', 2, 3);
        assert_eq!(version(&io), "psrecord-io csv");
        assert_eq!(samples(&io)[1].vms_mb, Some(77.60546875));
    }

    #[test]
    fn csv_1_3_missing_comma_drops_virtual_with_one_warning() {
        let name = "psrecord-1.3_csv_include-io_missing-comma-bug.csv";
        let ingest = check_against_naive(name, ',', 1, 2);
        let rows = samples(&ingest);
        assert!(rows.iter().all(|s| s.vms_mb.is_none()));
        assert_eq!(rows[0].rss_mb, 5.11328125);
        assert_eq!(ingest.warnings.len(), 1, "{:?}", ingest.warnings);
        assert_eq!(ingest.warnings[0].line, Some(2));
        assert!(ingest.warnings[0].message.contains("without a comma"));
    }

    #[test]
    fn truncated_last_line_is_a_warning() {
        let complete = parse_path(&fixture("psrecord-1.4_plain_children.log")).unwrap();
        let cases = [
            // (file, complete rows kept, line number of the cut row)
            (
                "psrecord-1.4_plain_children_truncated-at-1000-bytes.log",
                18,
                20,
            ),
            (
                "psrecord-1.4_plain_children_truncated-at-364-bytes.log",
                5,
                7,
            ),
        ];
        for (name, rows, line) in cases {
            let ingest = parse_path(&fixture(name)).unwrap();
            assert_eq!(samples(&ingest), &samples(&complete)[..rows], "{name}");
            assert_eq!(ingest.warnings.len(), 1, "{name}");
            assert_eq!(ingest.warnings[0].line, Some(line), "{name}");
        }
    }

    #[test]
    fn recipeyak_logs_peak_cpu_and_memory() {
        // (file, peak CPU %, peak real MB), read off the files with awk.
        let cases = [
            (
                "seed-data/recipeyak/sync-python/psrecord.log",
                48.0,
                275.672,
            ),
            (
                "seed-data/recipeyak/async-python/psrecord.log",
                163.4,
                143.098,
            ),
            ("seed-data/recipeyak/async-rust/psrecord.log", 52.8, 14.633),
        ];
        for (relative, cpu, real) in cases {
            let Some(path) = shared_file(relative) else {
                continue;
            };
            let ingest = parse_path(&path).unwrap();
            let expected = naive(&path, ' ', &[1, 2]);
            let rows = samples(&ingest);
            assert_eq!(rows.len(), expected.rows);
            assert_eq!(expected.max, vec![cpu, real]);
            assert_eq!(max_of(rows.iter().map(|s| s.cpu_percent)), cpu);
            assert_eq!(max_of(rows.iter().map(|s| s.rss_mb)), real);
            assert!(rows.iter().all(|s| s.vms_mb.is_none()), "3-column log");
        }
    }

    #[test]
    fn public_three_column_logs() {
        let Some(dir) = shared_dir().map(|d| d.join("corpus/public/psrecord")) else {
            eprintln!("skipping: corpus/public/psrecord not found");
            return;
        };
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipping: {} not found", dir.display());
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            assert!(sniff(&std::fs::read(&path).unwrap(), &path));
            let ingest = parse_path(&path).unwrap();
            let expected = naive(&path, ' ', &[1, 2]);
            assert_eq!(samples(&ingest).len(), expected.rows);
            assert_eq!(
                max_of(samples(&ingest).iter().map(|s| s.cpu_percent)),
                expected.max[0]
            );
        }
    }

    #[test]
    fn bad_row_in_the_middle_is_an_error_with_its_line() {
        let text = "# Elapsed time   CPU (%)     Real (MB)   Virtual (MB)\n\
                    \x20      0.000        0.000        2.594        4.887\n\
                    \x20      0.202       62.700       86.520\n\
                    \x20      0.409       79.200       91.496       95.270\n";
        let err = parse_text(text).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.starts_with(
                "expected 4 numeric columns (elapsed s, CPU %, real MB, virtual MB), found 3 fields"
            ),
            "{}",
            err.message
        );
        let text = text
            .replace("86.520\n", "86.520 90.293\n")
            .replace("62.700", "62,7");
        let err = parse_text(&text).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.contains("found \"62,7\" in column 2"),
            "{}",
            err.message
        );
    }

    #[test]
    fn timestamp_column_shifts_the_others() {
        let text = "# Timestamp   Elapsed time   CPU (%)     Real (MB)   Virtual (MB)\n\
                    1700000000.123        0.000        5.000        2.594        4.887\n\
                    1700000000.323        0.200      162.700       86.520       90.293\n";
        let ingest = parse_text(text).unwrap();
        assert_eq!(version(&ingest), "plain with a Timestamp column (fork)");
        assert_eq!(
            samples(&ingest)[1],
            ResourceSample {
                elapsed_s: 0.2,
                cpu_percent: 162.7,
                rss_mb: 86.52,
                vms_mb: Some(90.293)
            }
        );
    }

    #[test]
    fn header_problems_are_errors() {
        let err = parse_text("       0.000        0.000        2.594\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.message.starts_with("expected the psrecord header"));
        let err = parse_text("# Elapsed time   CPU (%)\n  0.0  0.0\n").unwrap_err();
        assert!(err.message.contains("'Real (MB)'"), "{}", err.message);
        let err = parse_text("").unwrap_err();
        assert_eq!(err.line, None);
    }

    #[test]
    fn monitored_command_output_in_stdout_mode_is_skipped_with_a_warning() {
        let text = "Starting up command 'server' and attaching to process\n\
                    # Elapsed time   CPU (%)     Real (MB)   Virtual (MB)\n\
                    \x20      0.000        0.000        2.594        4.887\n\
                    Listening on 127.0.0.1:8000\n\
                    \x20      0.202       62.700       86.520       90.293\n\
                    Process finished (0.40 seconds)\n";
        let ingest = parse_text(text).unwrap();
        assert_eq!(samples(&ingest).len(), 2);
        assert_eq!(ingest.warnings.len(), 1);
        assert!(ingest.warnings[0].message.contains("skipped 1 line"));
    }

    #[test]
    fn sniff_rejects_other_formats() {
        let Some(corpus) = shared_dir().map(|d| d.join("corpus/generated")) else {
            eprintln!("skipping: corpus/generated not found");
            return;
        };
        for tool in ["oha", "locust", "jmeter", "wrk", "ab", "hey"] {
            let Ok(entries) = std::fs::read_dir(corpus.join(tool)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let head = std::fs::read(&path).unwrap();
                assert!(!sniff(&head, &path), "{}", path.display());
            }
        }
        assert!(!sniff(b"# Elapsed: 3s\n", Path::new("x")));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_rows(rows in proptest::collection::vec("[ 0-9.,a-z#eE+-]{0,60}", 0..8), csv in proptest::bool::ANY) {
            let header = if csv {
                "elapsed_time,cpu,mem_real,mem_virtual,read_count,write_count,read_bytes,write_bytes\n"
            } else {
                "# Elapsed time   CPU (%)     Real (MB)   Virtual (MB)\n"
            };
            let text = format!("{header}{}", rows.join("\n"));
            let _ = parse_text(&text);
            let _ = sniff(text.as_bytes(), Path::new("x"));
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse(Path::new("x"), &mut bytes.as_slice(), &mut 0u64);
            let _ = sniff(&bytes, Path::new("x"));
        }
    }
}
