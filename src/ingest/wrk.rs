//! wrk 4.x text output (and wrk2's extra blocks):
//!
//! ```text
//! Running 5s test @ http://127.0.0.1:8000/
//!   2 threads and 10 connections
//!   Thread Stats   Avg      Stdev     Max   +/- Stdev
//!     Latency    17.23ms   65.12ms 859.12ms   96.99%
//!     Req/Sec   487.90    313.86     1.49k    68.89%
//!   Latency Distribution                      (only with --latency)
//!      50%    3.19ms
//!   4469 requests in 5.09s, 0.96MB read
//!   Socket errors: connect 0, read 6, write 0, timeout 10
//!   Non-2xx or 3xx responses: 40
//! Requests/sec:    877.38
//! Transfer/sec:    193.64KB
//! ```
//!
//! Times carry their unit (`us`, `ms`, `s`, `m`, `h`), sizes a binary prefix (`K`, `M`, `G`…
//! = powers of 1024). Output of a Lua `done()` function after `Transfer/sec:` is ignored, as
//! are wrk2's calibration lines and its detailed percentile spectrum; wrk2's percentile rows
//! (`99.900%`) are read from the recorded (corrected) latency block only.
//!
//! wrk's counts are not per-request outcomes: `requests` is the number of responses received
//! (non-2xx/3xx included, timed-out responses included); socket errors are counted per event
//! (a connect or read error is not a request). So `requests` is filled, the socket errors go to
//! `errors` (`connect`, `read`, `write`, `timeout`) and the non-2xx/3xx count to `status_codes`,
//! and successes/failures are left unset: wrk does not print them.

use std::io::BufRead;
use std::path::Path;

use crate::error::IngestError;
use crate::ingest::head_text;
use crate::ingest::text::{parse_optional_f64, Lines};
use crate::model::{FileIngest, ReportedLoad, SampleSink, ToolInfo, Warning};

/// The `status_codes` key for wrk's `Non-2xx or 3xx responses:` count.
pub const NON_2XX_3XX: &str = "non-2xx/3xx";

/// The message wrk prints (alone, on stderr) when it cannot connect at all.
const UNABLE_TO_CONNECT: &str = "unable to connect to ";

pub fn sniff(head: &[u8], _path: &Path) -> bool {
    let text = head_text(head);
    let mut lines = text.lines().map(str::trim);
    let running = lines
        .clone()
        .any(|l| l.starts_with("Running ") && l.contains(" test @ "));
    let threads = lines
        .clone()
        .any(|l| l.contains(" threads and ") && l.ends_with(" connections"));
    let connect_failure = lines
        .next()
        .is_some_and(|l| l.starts_with(UNABLE_TO_CONNECT));
    (running && threads) || connect_failure
}

pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    let lines = Lines::new(reader, path).collect_all()?;
    let mut parser = Parser::new(path);
    for (number, text) in &lines {
        if !parser.line(*number, text)? {
            break;
        }
    }
    parser.finish()
}

/// Where a line may be, for the blocks that span several lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Main,
    /// Rows of the (corrected) latency distribution.
    Distribution,
    /// wrk2's uncorrected distribution or percentile spectrum: skipped.
    Skipped,
}

struct Parser<'p> {
    path: &'p Path,
    load: ReportedLoad,
    block: Block,
    wrk2: bool,
    saw_summary: bool,
    saw_requests_per_sec: bool,
    connect_failure: Option<(u64, String)>,
}

impl<'p> Parser<'p> {
    fn new(path: &'p Path) -> Self {
        Parser {
            path,
            load: ReportedLoad::default(),
            block: Block::Main,
            wrk2: false,
            saw_summary: false,
            saw_requests_per_sec: false,
            connect_failure: None,
        }
    }

    /// Reads one line; false once the summary is over (what follows is Lua output).
    fn line(&mut self, number: u64, text: &str) -> Result<bool, IngestError> {
        let t = text.trim();
        let still_in_block = match self.block {
            Block::Main => false,
            Block::Distribution => self.distribution_row(number, text, t)?,
            Block::Skipped => {
                !t.contains(" requests in ") && !t.starts_with("Latency Distribution")
            }
        };
        if still_in_block {
            return Ok(true);
        }
        self.block = Block::Main;
        if t.starts_with("Detailed Percentile spectrum") {
            self.block = Block::Skipped;
            return Ok(true);
        }
        if let Some(rest) = t.strip_prefix("Latency Distribution") {
            self.open_distribution(rest);
        } else if t.starts_with(UNABLE_TO_CONNECT) {
            self.connect_failure.get_or_insert((number, t.to_string()));
        } else if t.starts_with("Thread calibration:") {
            self.wrk2 = true;
        } else if let Some(rest) = t.strip_prefix("Latency ") {
            self.latency_stats(number, text, rest)?;
        } else if let Some(rest) = text.trim_start().strip_prefix("Socket errors:") {
            self.socket_errors(number, text, rest)?;
        } else if let Some(rest) = t.strip_prefix("Non-2xx or 3xx responses:") {
            let n = self.integer(number, text, rest.trim(), "a count of responses")?;
            self.load.status_codes.insert(NON_2XX_3XX.to_string(), n);
        } else if let Some(rest) = t.strip_prefix("Requests/sec:") {
            self.load.rps = self.number(number, text, rest.trim(), "requests per second")?;
            self.saw_requests_per_sec = true;
        } else if t.starts_with("Transfer/sec:") {
            return Ok(false);
        } else if t.contains(" threads and ") && t.ends_with(" connections") {
            self.threads_and_connections(number, text, t)?;
        } else if t.contains(" requests in ") && t.ends_with(" read") {
            self.requests_line(number, text, t)?;
        }
        Ok(true)
    }

    fn open_distribution(&mut self, rest: &str) {
        if rest.contains("HdrHistogram") {
            self.wrk2 = true;
        }
        // wrk2 -U prints the uncorrected latency in a second block: not the latency we report.
        let uncorrected = rest.contains("Uncorrected");
        let already_read = !self.load.latency_ms.percentiles.is_empty();
        self.block = if uncorrected || already_read {
            Block::Skipped
        } else {
            Block::Distribution
        };
    }

    /// `     50%    3.19ms` or wrk2's ` 99.900%   12.30ms`; false when the line is not a row.
    fn distribution_row(&mut self, number: u64, text: &str, t: &str) -> Result<bool, IngestError> {
        let Some((percent, value)) = t.split_once('%') else {
            return Ok(false);
        };
        let Ok(percent) = percent.trim().parse::<f64>() else {
            return Ok(false);
        };
        if let Some(ms) = self.time(number, text, value.trim())? {
            self.load.latency_ms.percentiles.push((percent, ms));
        }
        Ok(true)
    }

    /// `Latency    17.23ms   65.12ms 859.12ms   96.99%`: mean, standard deviation, max.
    fn latency_stats(&mut self, number: u64, text: &str, rest: &str) -> Result<(), IngestError> {
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let [avg, stdev, max, ..] = fields[..] else {
            return Err(self.error(
                number,
                text,
                rest,
                "expected 'Latency <avg> <stdev> <max> <+/- stdev>'",
            ));
        };
        self.load.latency_ms.mean = self.time(number, text, avg)?;
        self.load.latency_ms.stddev = self.time(number, text, stdev)?;
        self.load.latency_ms.max = self.time(number, text, max)?;
        Ok(())
    }

    /// `connect 0, read 6, write 0, timeout 10`: the non-zero ones become error entries.
    fn socket_errors(&mut self, number: u64, text: &str, rest: &str) -> Result<(), IngestError> {
        for part in rest.split(',') {
            let (kind, count) = part.trim().split_once(' ').ok_or_else(|| {
                self.error(
                    number,
                    text,
                    part,
                    "expected 'connect N, read N, write N, timeout N'",
                )
            })?;
            let count = self.integer(number, text, count.trim(), "an error count")?;
            if count > 0 {
                self.load.errors.insert(kind.to_string(), count);
            }
        }
        Ok(())
    }

    /// `2 threads and 10 connections`.
    fn threads_and_connections(
        &mut self,
        number: u64,
        text: &str,
        t: &str,
    ) -> Result<(), IngestError> {
        let connections = t
            .split_once(" threads and ")
            .and_then(|(_, c)| c.strip_suffix(" connections"))
            .unwrap_or("");
        self.load.concurrency =
            Some(self.integer(number, text, connections.trim(), "a number of connections")?);
        Ok(())
    }

    /// `4469 requests in 5.09s, 0.96MB read`.
    fn requests_line(&mut self, number: u64, text: &str, t: &str) -> Result<(), IngestError> {
        let (count, rest) = t.split_once(" requests in ").unwrap_or((t, ""));
        let (runtime, read) = rest.split_once(", ").unwrap_or((rest, ""));
        let read = read.strip_suffix(" read").unwrap_or(read);
        self.load.requests =
            Some(self.integer(number, text, count.trim(), "a number of requests")?);
        self.load.duration_s = self.time(number, text, runtime.trim())?.map(|ms| ms / 1e3);
        self.load.bytes_total = Some(
            parse_size(read.trim())
                .ok_or_else(|| self.error(number, text, read, "expected a size like '0.96MB'"))?,
        );
        self.saw_summary = true;
        Ok(())
    }

    fn time(&self, number: u64, text: &str, value: &str) -> Result<Option<f64>, IngestError> {
        parse_time_ms(value).map_err(|_| {
            self.error(
                number,
                text,
                value,
                "expected a time like '17.23ms' (us, ms, s, m, h)",
            )
        })
    }

    fn integer(
        &self,
        number: u64,
        text: &str,
        value: &str,
        what: &str,
    ) -> Result<u64, IngestError> {
        value
            .parse()
            .map_err(|_| self.error(number, text, value, &format!("expected {what}")))
    }

    fn number(
        &self,
        number: u64,
        text: &str,
        value: &str,
        what: &str,
    ) -> Result<Option<f64>, IngestError> {
        parse_optional_f64(value)
            .map_err(|_| self.error(number, text, value, &format!("expected {what}")))
    }

    fn error(&self, number: u64, line: &str, part: &str, expected: &str) -> IngestError {
        IngestError::at_line(
            self.path,
            number,
            format!("{expected}, found {:?}", part.trim()),
        )
        .with_column(crate::ingest::oha_text::column_of(line, part))
    }

    fn finish(mut self) -> Result<FileIngest, IngestError> {
        let mut warnings = Vec::new();
        if !self.saw_summary && !self.saw_requests_per_sec {
            return match self.connect_failure {
                Some((line, message)) => Ok(crate::ingest::ab::no_results(
                    self.path,
                    line,
                    &message,
                    format!("wrk could not connect and printed no results: {message}"),
                    "wrk",
                )),
                None => Err(IngestError::new(
                    self.path,
                    "expected wrk's summary ('N requests in T, S read' and 'Requests/sec:'), found none (run killed?)",
                )),
            };
        }
        if !self.saw_requests_per_sec {
            warnings.push(self.warning("no 'Requests/sec:' line (output cut short?)"));
        }
        if self.load.requests == Some(0) {
            // wrk prints zeros, not missing values, when nothing completed.
            self.load.latency_ms = Default::default();
        }
        self.load
            .latency_ms
            .percentiles
            .sort_by(|a, b| a.0.total_cmp(&b.0));
        let version = if self.wrk2 {
            "wrk2 (HdrHistogram)"
        } else {
            "4.x"
        };
        Ok(FileIngest {
            tool: ToolInfo::new("wrk", Some(version)),
            reported: Some(self.load),
            warnings,
            ..FileIngest::default()
        })
    }

    fn warning(&self, message: &str) -> Warning {
        Warning {
            path: self.path.to_path_buf(),
            line: None,
            message: message.to_string(),
        }
    }
}

/// `17.23ms`, `859.12us`, `1.00s`, `2.50m`, `1.00h` -> milliseconds; `nan`/`-nan` -> `None`.
fn parse_time_ms(value: &str) -> Result<Option<f64>, ()> {
    let lower = value.trim().to_ascii_lowercase();
    if lower.contains("nan") || lower.contains("inf") {
        return Ok(None);
    }
    let split = lower
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(lower.len());
    let amount: f64 = lower[..split].parse().map_err(|_| ())?;
    let ms = match &lower[split..] {
        "us" => amount / 1e3,
        "ms" => amount,
        "s" => amount * 1e3,
        "m" => amount * 6e4,
        "h" => amount * 3.6e6,
        _ => return Err(()),
    };
    Ok(Some(ms))
}

/// `0.96MB`, `193.64KB`, `512.00B` (binary prefixes) -> bytes, rounded. wrk prints two
/// decimals, so large sizes are approximate to the printed precision.
fn parse_size(value: &str) -> Option<u64> {
    let number = value.strip_suffix('B')?;
    let split = number
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(number.len());
    let amount: f64 = number[..split].parse().ok()?;
    let power = match &number[split..] {
        "" => 0,
        "K" => 1,
        "M" => 2,
        "G" => 3,
        "T" => 4,
        "P" => 5,
        _ => return None,
    };
    let bytes = (amount * 1024f64.powi(power)).round();
    (bytes.is_finite() && bytes >= 0.0).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wrk");

    fn parse_bytes_at(path: &Path, bytes: &[u8]) -> Result<FileIngest, IngestError> {
        let mut reader = bytes;
        parse(path, &mut reader, &mut 0u64)
    }

    fn fixture(name: &str) -> ReportedLoad {
        let path = Path::new(FIXTURES).join(name);
        let f =
            parse_bytes_at(&path, &std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.tool, ToolInfo::new("wrk", Some("4.x")));
        assert!(f.warnings.is_empty());
        f.reported.unwrap()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
    }

    #[test]
    fn basic_run() {
        let r = fixture("wrk-4.1.0_basic_t2c10d5s.txt");
        assert_eq!(r.concurrency, Some(10));
        assert!(close(r.latency_ms.mean, 17.23));
        assert!(close(r.latency_ms.stddev, 65.12));
        assert!(close(r.latency_ms.max, 859.12));
        assert_eq!(r.requests, Some(4469));
        assert!(close(r.duration_s, 5.09));
        assert_eq!(
            r.bytes_total,
            Some((0.96f64 * 1024.0 * 1024.0).round() as u64)
        );
        assert!(close(r.rps, 877.38));
        // wrk's own arithmetic: requests / runtime, to the printed precision.
        assert!((r.requests.unwrap() as f64 / r.duration_s.unwrap() - r.rps.unwrap()).abs() < 1.0);
        assert!(r.latency_ms.percentiles.is_empty());
        assert!(r.errors.is_empty() && r.status_codes.is_empty());
        assert_eq!((r.successes, r.failures), (None, None));
    }

    #[test]
    fn latency_distribution() {
        let r = fixture("wrk-4.1.0_latency_t2c10d5s.txt");
        let expected = [(50.0, 3.19), (75.0, 13.75), (90.0, 25.33), (99.0, 372.12)];
        assert_eq!(r.latency_ms.percentiles.len(), 4);
        for (p, ms) in expected {
            assert!(close(r.latency_ms.percentile(p), ms), "{p}");
        }
        assert_eq!(
            r.bytes_total,
            Some((56.40f64 * 1024.0 * 1024.0).round() as u64)
        );
    }

    #[test]
    fn non_2xx_responses() {
        let r = fixture("wrk-4.1.0_latency_404_t2c10d3s.txt");
        assert_eq!(r.status_codes.get(NON_2XX_3XX), Some(&5837));
        assert_eq!(r.requests, Some(5837));
    }

    #[test]
    fn socket_errors_microseconds_and_lua_output() {
        let r = fixture("wrk-4.1.0_flaky_timeout1s_lua-done_t2c10d3s.txt");
        assert!(close(r.latency_ms.mean, 0.39503));
        assert!(close(r.latency_ms.percentile(50.0), 0.151));
        assert!(close(r.latency_ms.percentile(99.0), 5.0));
        assert_eq!(r.errors.get("read"), Some(&6));
        assert_eq!(r.errors.get("timeout"), Some(&10));
        assert_eq!(r.errors.get("connect"), None);
        assert_eq!(r.status_codes.get(NON_2XX_3XX), Some(&40));
        assert_eq!(r.requests, Some(222));
        assert!(close(r.rps, 73.72));
        // The Lua done() lines ("50%,151") are not percentiles.
        assert_eq!(r.latency_ms.percentiles.len(), 4);
    }

    #[test]
    fn connect_failure_is_a_run_without_requests() {
        let path = Path::new(FIXTURES).join("wrk-4.1.0_conn-refused.txt");
        let bytes = std::fs::read(&path).unwrap();
        assert!(sniff(&bytes, &path));
        let ingest = parse_bytes_at(&path, &bytes).unwrap();
        assert_eq!(ingest.reported.unwrap().requests, Some(0));
        let err = &ingest.warnings[0];
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("could not connect"), "{}", err.message);
    }

    #[test]
    fn wrk2_blocks_and_long_units() {
        // Line shapes from wrk2's src/wrk.c (print_hdr_latency) and hdr_percentiles_print.
        let text = "Running 1m test @ http://127.0.0.1:80/\n  2 threads and 100 connections\n  \
            Thread calibration: mean lat.: 9747 usec, rate sampling interval: 21 msec\n  \
            Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.50s   200.00ms   2.00m   67.66%\n    \
            Req/Sec     1.05k     1.12k    2.50k    64.84%\n  \
            Latency Distribution (HdrHistogram - Recorded Latency)\n 50.000%    6.67ms\n 99.900%   12.30ms\n100.000%    1.00h\n\n  \
            Detailed Percentile spectrum:\n       Value   Percentile   TotalCount 1/(1-Percentile)\n\n       \
            0.921     0.000000            1         1.00\n#[Mean    =        6.602, StdDeviation   =        1.919]\n\
            ----------------------------------------------------------\n\n  \
            Latency Distribution (HdrHistogram - Uncorrected Latency (measured without taking delayed starts into account))\n \
            50.000%    1.00ms\n\n  Detailed Percentile spectrum:\n       1.000     0.500000            1         2.00\n\
            ----------------------------------------------------------\n  \
            60017 requests in 1.00m, 19.81GB read\nRequests/sec:   2000.15\nTransfer/sec:    676.14KB\n";
        let f = parse_bytes_at(Path::new("wrk2.txt"), text.as_bytes()).unwrap();
        assert_eq!(f.tool.version.as_deref(), Some("wrk2 (HdrHistogram)"));
        let r = f.reported.unwrap();
        assert!(close(r.latency_ms.mean, 1500.0));
        assert!(close(r.latency_ms.stddev, 200.0));
        assert!(close(r.latency_ms.max, 120_000.0));
        let ps: Vec<f64> = r.latency_ms.percentiles.iter().map(|p| p.0).collect();
        assert_eq!(ps, [50.0, 99.9, 100.0]);
        assert!(close(r.latency_ms.percentile(50.0), 6.67));
        assert!(close(r.latency_ms.percentile(100.0), 3_600_000.0));
        assert!(close(r.duration_s, 60.0));
        assert_eq!(
            r.bytes_total,
            Some((19.81f64 * 1024f64.powi(3)).round() as u64)
        );
        assert_eq!(r.requests, Some(60017));
    }

    #[test]
    fn zero_requests_have_no_latency() {
        let text = "Running 1s test @ http://x/\n  1 threads and 1 connections\n    Latency     0.00us    0.00us   0.00us    -nan%\n  \
            0 requests in 1.00s, 0.00B read\n  Socket errors: connect 0, read 0, write 0, timeout 1\nRequests/sec:      0.00\nTransfer/sec:       0.00B\n";
        let r = parse_bytes_at(Path::new("w"), text.as_bytes())
            .unwrap()
            .reported
            .unwrap();
        assert_eq!(r.latency_ms.mean, None);
        assert_eq!(r.requests, Some(0));
        assert_eq!(r.bytes_total, Some(0));
        assert_eq!(r.errors.get("timeout"), Some(&1));
    }

    #[test]
    fn bad_values_name_the_line() {
        let path = Path::new(FIXTURES).join("wrk-4.1.0_basic_t2c10d5s.txt");
        let text = std::fs::read_to_string(path).unwrap();
        let err = parse_bytes_at(
            Path::new("w"),
            text.replace("859.12ms", "859.12xs").as_bytes(),
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (Some(4), Some(34)));
        assert!(err.message.contains("859.12xs"));
        let err = parse_bytes_at(
            Path::new("w"),
            text.replace("4469 requests", "many requests").as_bytes(),
        )
        .unwrap_err();
        assert_eq!(err.line, Some(6));
        let err = parse_bytes_at(
            Path::new("w"),
            b"Running 5s test @ http://x/\n  2 threads and 10 connections\n",
        )
        .unwrap_err();
        assert!(err.message.contains("found none"));
    }

    #[test]
    fn sniff_is_specific() {
        let bytes =
            std::fs::read(Path::new(FIXTURES).join("wrk-4.1.0_basic_t2c10d5s.txt")).unwrap();
        assert!(sniff(&bytes, Path::new("x")));
        assert!(!sniff(
            b"Summary:\n  Success rate:\t1.0\n  Requests/sec:\t3\n",
            Path::new("x")
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(cut in 0usize..500, pos in 0usize..500, byte in proptest::num::u8::ANY) {
            let path = Path::new(FIXTURES).join("wrk-4.1.0_flaky_timeout1s_lua-done_t2c10d3s.txt");
            let mut bytes = std::fs::read(path).unwrap();
            bytes.truncate(cut);
            if pos < bytes.len() {
                bytes[pos] = byte;
            }
            let _ = parse_bytes_at(Path::new("t"), &bytes);
            let _ = sniff(&bytes, Path::new("t"));
        }
    }
}
