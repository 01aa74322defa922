//! ApacheBench (ab 2.3, apache2-utils 2.4.x) text output.
//!
//! Read: `Concurrency Level`, `Time taken for tests`, `Complete requests`, `Failed requests`
//! and its `(Connect: a, Receive: b, Length: c, Exceptions: d)` breakdown, `Write errors`,
//! `Non-2xx responses`, `Total transferred`, `Requests per second`, the `Total:` row of the
//! `Connection Times (ms)` table (`min mean[+/-sd] median max`, or `min avg max` with `-S`) and
//! the `Percentage of the requests served` table (100 % = the longest request).
//!
//! Counting follows ab: `requests` = `Complete requests`, `failures` = `Failed requests`.
//! Beware that ab counts a response whose length differs from the first one as failed
//! (`Length`), which variable pages trigger, and that non-2xx responses are *not* failures for
//! ab; the breakdown goes to `errors` so that the report can show why requests "failed".
//! `bytes_total` is `Total transferred` (headers included, as received).
//!
//! A run ab aborted (`apr_pollset_poll: The timeout specified has expired (70007)`,
//! `apr_socket_recv: Connection refused (111)`, `Test aborted after 10 failures`) prints no
//! results at all: that is an error naming the line that says why.

use std::io::BufRead;
use std::path::Path;

use crate::error::IngestError;
use crate::ingest::head_text;
use crate::ingest::oha_text::column_of;
use crate::ingest::text::{parse_optional_f64, Lines};
use crate::model::{FileIngest, ReportedLoad, SampleSink, ToolInfo, Warning};

/// The `status_codes` key for ab's `Non-2xx responses:` count.
pub const NON_2XX: &str = "non-2xx";

pub fn sniff(head: &[u8], _path: &Path) -> bool {
    let text = head_text(head);
    text.contains("This is ApacheBench, Version")
        || text.contains("\nConcurrency Level:") && text.contains("\nTime taken for tests:")
}

pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    let lines = Lines::new(reader, path).collect_all()?;
    let mut parser = Parser::new(path);
    for (number, text) in &lines {
        parser.line(*number, text)?;
    }
    parser.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    None,
    ConnectionTimes,
    Percentages,
}

/// What a run that printed no results contributes: zero completed requests, the reason as its
/// one error, and a warning naming the line.
pub(crate) fn no_results(
    path: &Path,
    line: u64,
    reason: &str,
    warning: String,
    tool: &str,
) -> FileIngest {
    let mut load = ReportedLoad {
        requests: Some(0),
        ..ReportedLoad::default()
    };
    load.errors.insert(reason.to_string(), 1);
    FileIngest {
        tool: ToolInfo::new(tool, None),
        reported: Some(load),
        warnings: vec![Warning {
            path: path.to_path_buf(),
            line: Some(line),
            message: warning,
        }],
        ..FileIngest::default()
    }
}

struct Parser<'p> {
    path: &'p Path,
    load: ReportedLoad,
    table: Table,
    version: Option<String>,
    saw_complete: bool,
    /// The first line that says why ab gave up, for the error about an aborted run.
    abort: Option<(u64, String)>,
    /// The `Total:` row's median, used as the 50th percentile when `-d` hid the table.
    median: Option<f64>,
}

impl<'p> Parser<'p> {
    fn new(path: &'p Path) -> Self {
        Parser {
            path,
            load: ReportedLoad::default(),
            table: Table::None,
            version: None,
            saw_complete: false,
            abort: None,
            median: None,
        }
    }

    fn line(&mut self, number: u64, text: &str) -> Result<(), IngestError> {
        let t = text.trim();
        if t.is_empty() {
            self.table = Table::None;
            return Ok(());
        }
        self.note_abort(number, t);
        if let Some(rest) = t.strip_prefix("This is ApacheBench, Version ") {
            self.version = rest.split_whitespace().next().map(str::to_string);
            return Ok(());
        }
        if t.starts_with("Connection Times (ms)") {
            self.table = Table::ConnectionTimes;
            return Ok(());
        }
        if t.starts_with("Percentage of the requests served") {
            self.table = Table::Percentages;
            return Ok(());
        }
        match self.table {
            Table::ConnectionTimes => self.connection_times_row(number, text),
            Table::Percentages => self.percentage_row(number, text),
            Table::None => self.field(number, text),
        }
    }

    /// Lines ab prints when it gives up without results (they may follow
    /// `(be patient)...` on the same line).
    fn note_abort(&mut self, number: u64, t: &str) {
        if self.abort.is_some() {
            return;
        }
        let reason = t
            .find("apr_")
            .map(|i| &t[i..])
            .or_else(|| t.starts_with("Test aborted").then_some(t));
        if let Some(reason) = reason {
            self.abort = Some((number, reason.to_string()));
        }
    }

    /// `Name:   value` lines of the main block.
    fn field(&mut self, number: u64, text: &str) -> Result<(), IngestError> {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix("(Connect:") {
            return self.failure_breakdown(number, text, rest);
        }
        let Some((key, value)) = t.split_once(':') else {
            return Ok(());
        };
        let value = value.trim();
        match key {
            "Concurrency Level" => self.load.concurrency = Some(self.integer(number, text, value)?),
            "Time taken for tests" => {
                let seconds = value.strip_suffix("seconds").unwrap_or(value);
                self.load.duration_s = self.number(number, text, seconds.trim())?;
            }
            "Complete requests" => {
                self.load.requests = Some(self.integer(number, text, value)?);
                self.saw_complete = true;
            }
            "Failed requests" => self.load.failures = Some(self.integer(number, text, value)?),
            "Write errors" => self.add_error("write", self.integer(number, text, value)?),
            "Non-2xx responses" => {
                let n = self.integer(number, text, value)?;
                self.load.status_codes.insert(NON_2XX.to_string(), n);
            }
            "Total transferred" => {
                let bytes = value.strip_suffix("bytes").unwrap_or(value);
                self.load.bytes_total = Some(self.integer(number, text, bytes.trim())?);
            }
            "Requests per second" => {
                let rps = value.split_whitespace().next().unwrap_or(value);
                self.load.rps = self.number(number, text, rps)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// `Connect: 0, Receive: 0, Length: 70, Exceptions: 0)` (after `(Connect:`).
    fn failure_breakdown(
        &mut self,
        number: u64,
        text: &str,
        rest: &str,
    ) -> Result<(), IngestError> {
        let rest = format!("Connect:{}", rest.trim_end_matches(')'));
        for part in rest.split(',') {
            let Some((kind, count)) = part.split_once(':') else {
                return Err(self.error(
                    number,
                    text,
                    text,
                    "expected '(Connect: a, Receive: b, Length: c, Exceptions: d)'",
                ));
            };
            let count = self.integer(number, text, count.trim())?;
            let key = match kind.trim() {
                "Connect" => "connect",
                "Receive" => "receive",
                "Length" => "length differs from the first response",
                "Exceptions" => "exception",
                other => other,
            };
            self.add_error(key, count);
        }
        Ok(())
    }

    fn add_error(&mut self, key: &str, count: u64) {
        if count > 0 {
            *self.load.errors.entry(key.to_string()).or_insert(0) += count;
        }
    }

    /// `Total:      0   12  75.0      2    1232` (min mean sd median max) or, with `-S`,
    /// `Total:      0     3    5` (min avg max). Other rows are phases of the request.
    fn connection_times_row(&mut self, number: u64, text: &str) -> Result<(), IngestError> {
        let Some(rest) = text.trim().strip_prefix("Total:") else {
            return Ok(());
        };
        let values = rest
            .split_whitespace()
            .map(|v| self.number(number, text, v))
            .collect::<Result<Vec<_>, _>>()?;
        let latency = &mut self.load.latency_ms;
        match values[..] {
            [min, mean, sd, median, max] => {
                (latency.min, latency.mean, latency.stddev, latency.max) = (min, mean, sd, max);
                self.median = median;
            }
            [min, mean, max] => (latency.min, latency.mean, latency.max) = (min, mean, max),
            // `-S` prints avg and max as `%5d%5d`: from 10 s on they run together.
            [min, _] => latency.min = min,
            _ => {
                return Err(self.error(
                    number,
                    text,
                    rest,
                    "expected 'Total: min mean[+/-sd] median max' (5 numbers, or 3 with -S)",
                ))
            }
        }
        Ok(())
    }

    /// `  50%      2` or ` 100%   1232 (longest request)`; ` 0%  <0> (never)` is skipped.
    fn percentage_row(&mut self, number: u64, text: &str) -> Result<(), IngestError> {
        let t = text.trim();
        let Some((percent, rest)) = t.split_once('%') else {
            return Err(self.error(number, text, t, "expected a row like '  50%      2'"));
        };
        let percent = self.number(number, text, percent)?;
        let value = rest.split_whitespace().next().unwrap_or("");
        if value.starts_with('<') {
            return Ok(());
        }
        if let (Some(p), Some(ms)) = (percent, self.number(number, text, value)?) {
            self.load.latency_ms.percentiles.push((p, ms));
        }
        Ok(())
    }

    fn integer(&self, number: u64, text: &str, value: &str) -> Result<u64, IngestError> {
        value
            .parse()
            .map_err(|_| self.error(number, text, value, "expected a whole number"))
    }

    fn number(&self, number: u64, text: &str, value: &str) -> Result<Option<f64>, IngestError> {
        parse_optional_f64(value).map_err(|_| self.error(number, text, value, "expected a number"))
    }

    fn error(&self, number: u64, line: &str, part: &str, expected: &str) -> IngestError {
        IngestError::at_line(
            self.path,
            number,
            format!("{expected}, found {:?}", part.trim()),
        )
        .with_column(column_of(line, part))
    }

    fn finish(mut self) -> Result<FileIngest, IngestError> {
        if !self.saw_complete {
            return match self.abort {
                // An aborted run is a real outcome, not bad input: a run with no completed
                // requests, the reason as its error, and a warning.
                Some((line, reason)) => Ok(no_results(
                    self.path,
                    line,
                    &reason,
                    format!("the ab run was aborted ({reason}) and printed no results"),
                    "ab",
                )),
                None => Err(IngestError::new(
                    self.path,
                    "expected ab results ('Complete requests:' ...), found none (run killed or output cut short?)",
                )),
            };
        }
        if self.load.latency_ms.percentiles.is_empty() {
            if let Some(median) = self.median {
                self.load.latency_ms.percentiles.push((50.0, median));
            }
        }
        self.load
            .latency_ms
            .percentiles
            .sort_by(|a, b| a.0.total_cmp(&b.0));
        let version = self.version.unwrap_or_else(|| "2.x".to_string());
        Ok(FileIngest {
            tool: ToolInfo::new("ab", Some(&version)),
            reported: Some(self.load),
            ..FileIngest::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ab");

    fn parse_bytes_at(path: &Path, bytes: &[u8]) -> Result<FileIngest, IngestError> {
        let mut reader = bytes;
        parse(path, &mut reader, &mut 0u64)
    }

    fn path(name: &str) -> std::path::PathBuf {
        Path::new(FIXTURES).join(name)
    }

    fn fixture(name: &str) -> ReportedLoad {
        let p = path(name);
        let f = parse_bytes_at(&p, &std::fs::read(&p).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.tool, ToolInfo::new("ab", Some("2.3")));
        f.reported.unwrap()
    }

    #[test]
    fn default_run() {
        let r = fixture("ab-2.3_n1000_c10.txt");
        assert_eq!(r.concurrency, Some(10));
        assert_eq!(r.duration_s, Some(1.240));
        assert_eq!(r.requests, Some(1000));
        assert_eq!(r.failures, Some(0));
        assert_eq!(r.rps, Some(806.55));
        assert_eq!(r.bytes_total, Some(226000));
        let l = &r.latency_ms;
        assert_eq!(
            (l.min, l.mean, l.stddev, l.max),
            (Some(0.0), Some(12.0), Some(75.0), Some(1232.0))
        );
        let ps: Vec<f64> = l.percentiles.iter().map(|p| p.0).collect();
        assert_eq!(ps, [50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 100.0]);
        assert_eq!(l.percentile(99.0), Some(35.0));
        assert_eq!(l.percentile(100.0), l.max);
        // ab's own arithmetic: Complete requests / Time taken (printed to the millisecond).
        assert!((r.rps.unwrap() * 1.240 - 1000.0).abs() <= r.rps.unwrap() * 0.0005);
        assert!(r.errors.is_empty() && r.status_codes.is_empty());
    }

    #[test]
    fn failed_requests_breakdown_and_non_2xx() {
        let r = fixture("ab-2.3_flaky_r_failed-length-non2xx.txt");
        assert_eq!(r.requests, Some(200));
        assert_eq!(r.failures, Some(58));
        assert_eq!(
            r.errors.get("length differs from the first response"),
            Some(&58)
        );
        assert_eq!(r.errors.values().sum::<u64>(), 58);
        assert_eq!(r.status_codes.get(NON_2XX), Some(&26));
        assert_eq!(r.latency_ms.max, Some(1504.0));
        assert_eq!(r.latency_ms.percentile(98.0), Some(1503.0));
    }

    #[test]
    fn keep_alive_run() {
        let r = fixture("ab-2.3_k_n500_c10.txt");
        assert_eq!(r.requests, Some(500));
        assert_eq!(r.latency_ms.percentiles.len(), 9);
    }

    #[test]
    fn short_table_without_percentages() {
        let r = fixture("ab-2.3_S_d_404_n300.txt");
        let l = &r.latency_ms;
        assert_eq!(
            (l.min, l.mean, l.max, l.stddev),
            (Some(0.0), Some(3.0), Some(5.0), None)
        );
        assert!(l.percentiles.is_empty());
        assert_eq!(r.status_codes.get(NON_2XX), Some(&300));
    }

    #[test]
    fn aborted_runs_have_no_requests_and_say_why() {
        let p = path("ab-2.3_aborted_apr-timeout_s1.txt");
        let bytes = std::fs::read(&p).unwrap();
        assert!(sniff(&bytes, &p));
        let ingest = parse_bytes_at(&p, &bytes).unwrap();
        let load = ingest.reported.unwrap();
        assert_eq!(load.requests, Some(0));
        assert_eq!(load.errors.values().sum::<u64>(), 1);
        let err = &ingest.warnings[0];
        assert_eq!(err.line, Some(6));
        assert!(err.message.contains("aborted"), "{}", err.message);
        assert!(err.message.contains("apr_pollset_poll"), "{}", err.message);
        let p = path("ab-2.3_conn-refused.txt");
        let ingest = parse_bytes_at(&p, &std::fs::read(&p).unwrap()).unwrap();
        let err = &ingest.warnings[0];
        assert_eq!(err.line, Some(5));
        assert!(
            err.message
                .contains("apr_socket_recv: Connection refused (111)"),
            "{}",
            err.message
        );
    }

    #[test]
    fn bad_values_name_line_and_column() {
        let text = std::fs::read_to_string(path("ab-2.3_n1000_c10.txt")).unwrap();
        let err = parse_bytes_at(
            Path::new("a"),
            text.replace("Failed requests:        0", "Failed requests:        none")
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (Some(29), Some(25)));
        let cut = &text[..text.find("Complete requests").unwrap()];
        let err = parse_bytes_at(Path::new("a"), cut.as_bytes()).unwrap_err();
        assert!(err.message.contains("found none"), "{}", err.message);
    }

    #[test]
    fn sniff_is_specific() {
        assert!(sniff(
            &std::fs::read(path("ab-2.3_n1000_c10.txt")).unwrap(),
            Path::new("x")
        ));
        assert!(!sniff(b"Running 5s test @ http://x/\n", Path::new("x")));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(cut in 0usize..1600, pos in 0usize..1600, byte in proptest::num::u8::ANY) {
            let mut bytes = std::fs::read(path("ab-2.3_flaky_r_failed-length-non2xx.txt")).unwrap();
            bytes.truncate(cut);
            if pos < bytes.len() {
                bytes[pos] = byte;
            }
            let _ = parse_bytes_at(Path::new("t"), &bytes);
            let _ = sniff(&bytes, Path::new("t"));
        }
    }
}
