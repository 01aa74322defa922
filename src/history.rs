//! Build history for trend charts: `build --history FILE.jsonl` appends one JSON line per build,
//! holding an id (`--run-id`, or `GITHUB_SHA`), when it was recorded and each run's headline
//! figures. The file only grows; readers keep every entry in file order (a re-run of a CI job
//! appends a second entry with the same id: the later one is the newer).
//!
//! Line format (`schema_version` 1.x; minor versions only add fields):
//! `{"schema_version":"1.0","id":"<sha>","recorded_unix_s":1763900000,"runs":[{"name":...,
//! "requests":...,"success_rate":...,"rps":...,"latency_ms":{"mean":...,"p50":...,"p90":...,
//! "p95":...,"p99":...,"max":...},"cpu_peak_percent":...,"cpu_mean_percent":...,
//! "mem_peak_mb":...,"mem_mean_mb":...}]}` (units as in `summary --json`).

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, IngestError};
use crate::stats::{RunSummary, Summary};

pub const HISTORY_SCHEMA_VERSION: &str = "1.0";
const HISTORY_MAJOR: &str = "1";

/// A change between two consecutive builds worse than [`REGRESSION_THRESHOLD`].
pub const REGRESSION_THRESHOLD: f64 = 0.10;

/// A key metric of a run that got worse from one build to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regression {
    /// Index of the build in the history (0 = oldest).
    pub build: usize,
    pub id: String,
    pub previous_id: String,
    pub run: String,
    pub metric: &'static str,
    pub before: f64,
    pub after: f64,
    /// `after / before - 1`.
    pub change: f64,
}

/// A metric followed across builds: (name, value, true when higher is better).
pub type TrendMetric = (&'static str, fn(&HistoryRun) -> Option<f64>, bool);

/// The metrics followed across builds.
pub const TREND_METRICS: [TrendMetric; 3] = [
    ("rps", |r| r.rps, true),
    ("p99", |r| r.latency_ms.p99, false),
    ("mem_peak", |r| r.mem_peak_mb, false),
];

/// Every change of a followed metric, between a build and the previous build that has the same
/// run, that is worse by more than [`REGRESSION_THRESHOLD`] (relative).
pub fn regressions(entries: &[HistoryEntry]) -> Vec<Regression> {
    let mut found = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        for run in &entry.runs {
            let previous = entries[..i]
                .iter()
                .rev()
                .find_map(|e| e.runs.iter().find(|r| r.name == run.name).map(|r| (e, r)));
            let Some((prev_entry, prev)) = previous else {
                continue;
            };
            for (metric, value, higher_is_better) in TREND_METRICS {
                let (Some(before), Some(after)) = (value(prev), value(run)) else {
                    continue;
                };
                if before <= 0.0 {
                    continue;
                }
                let change = after / before - 1.0;
                let worse = if higher_is_better { -change } else { change };
                if worse > REGRESSION_THRESHOLD {
                    found.push(Regression {
                        build: i,
                        id: entry.id.clone(),
                        previous_id: prev_entry.id.clone(),
                        run: run.name.clone(),
                        metric,
                        before,
                        after,
                        change,
                    });
                }
            }
        }
    }
    found
}

/// One build in the history file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub schema_version: String,
    /// What identifies the build: a commit, a CI run number, a tag.
    pub id: String,
    /// When the entry was appended, seconds since the Unix epoch.
    pub recorded_unix_s: Option<u64>,
    pub runs: Vec<HistoryRun>,
}

/// The headline figures of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRun {
    pub name: String,
    pub requests: Option<u64>,
    pub success_rate: Option<f64>,
    pub rps: Option<f64>,
    pub latency_ms: HistoryLatency,
    pub cpu_peak_percent: Option<f64>,
    pub cpu_mean_percent: Option<f64>,
    pub mem_peak_mb: Option<f64>,
    pub mem_mean_mb: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryLatency {
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl HistoryRun {
    pub fn of(run: &RunSummary) -> Self {
        let load = run.load.as_ref();
        let res = run.resources.as_ref();
        let latency = load.map(|l| &l.latency_ms);
        HistoryRun {
            name: run.name.clone(),
            requests: load.and_then(|l| l.requests),
            success_rate: load.and_then(|l| l.success_rate),
            rps: load.and_then(|l| l.rps),
            latency_ms: latency
                .map(|l| HistoryLatency {
                    mean: l.mean,
                    p50: l.p50,
                    p90: l.p90,
                    p95: l.p95,
                    p99: l.p99,
                    max: l.max,
                })
                .unwrap_or_default(),
            cpu_peak_percent: res.and_then(|r| r.cpu_peak_percent),
            cpu_mean_percent: res.and_then(|r| r.cpu_mean_percent),
            mem_peak_mb: res.and_then(|r| r.mem_peak_mb),
            mem_mean_mb: res.and_then(|r| r.mem_mean_mb),
        }
    }
}

impl HistoryEntry {
    /// The entry for a build's summary.
    pub fn of(summary: &Summary, id: &str, recorded_unix_s: Option<u64>) -> Self {
        HistoryEntry {
            schema_version: HISTORY_SCHEMA_VERSION.to_string(),
            id: id.to_string(),
            recorded_unix_s,
            runs: summary.runs.iter().map(HistoryRun::of).collect(),
        }
    }
}

/// The id of this build: `--run-id`, else `$GITHUB_SHA`.
pub fn build_id(run_id: Option<&str>) -> Option<String> {
    run_id
        .map(str::to_string)
        .or_else(|| std::env::var("GITHUB_SHA").ok())
        .filter(|id| !id.trim().is_empty())
}

/// Appends one entry as a line, creating the file if needed. A file whose last line lacks its
/// newline (a write cut short) gets one first, so the new entry stays on a line of its own.
pub fn append(path: &Path, entry: &HistoryEntry) -> Result<(), Error> {
    let context = || format!("appending to history file {}", path.display());
    let output = |source| Error::Output {
        context: context(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(output)?;
    let mut line = serde_json::to_string(entry).expect("a history entry serialises");
    line.push('\n');
    let len = file.metadata().map_err(output)?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1)).map_err(output)?;
        file.read_exact(&mut last).map_err(output)?;
        if last[0] != b'\n' {
            line.insert(0, '\n');
        }
    }
    file.write_all(line.as_bytes()).map_err(output)?;
    file.flush().map_err(output)
}

/// Reads every entry, in file order. Blank lines are skipped; a line that is not an entry is an
/// error naming it, except a cut-short last line, which is left out.
pub fn read(path: &Path) -> Result<Vec<HistoryEntry>, IngestError> {
    let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, &e))?;
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|e| IngestError::io(path, &e))?;
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let mut entries = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<HistoryEntry>(line) {
            Ok(entry) => {
                check_version(&entry.schema_version)
                    .map_err(|m| IngestError::at_line(path, i as u64 + 1, m))?;
                entries.push(entry);
            }
            Err(e) if e.is_eof() && Some(i) == last => break,
            Err(e) => {
                return Err(IngestError::at_line(
                    path,
                    i as u64 + 1,
                    format!("expected a benchreport history entry, found invalid JSON: {e}"),
                )
                .with_column(e.column() as u64))
            }
        }
    }
    Ok(entries)
}

fn check_version(version: &str) -> Result<(), String> {
    match version.split_once('.') {
        Some((HISTORY_MAJOR, _)) => Ok(()),
        _ => Err(format!(
            "expected a history entry of schema 1.x, found \"{version}\": written by a newer \
             benchreport?"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> HistoryEntry {
        HistoryEntry {
            schema_version: HISTORY_SCHEMA_VERSION.into(),
            id: id.into(),
            recorded_unix_s: Some(1_763_900_000),
            runs: vec![HistoryRun {
                name: "async".into(),
                requests: Some(29_720),
                success_rate: Some(1.0),
                rps: Some(495.3),
                latency_ms: HistoryLatency {
                    p99: Some(186.6),
                    ..HistoryLatency::default()
                },
                cpu_peak_percent: Some(163.4),
                cpu_mean_percent: None,
                mem_peak_mb: Some(143.1),
                mem_mean_mb: None,
            }],
        }
    }

    #[test]
    fn appended_entries_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        append(&path, &entry("a1")).unwrap();
        append(&path, &entry("b2")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.starts_with("{\"schema_version\":\"1.0\",\"id\":\"a1\""));
        assert_eq!(read(&path).unwrap(), vec![entry("a1"), entry("b2")]);
    }

    #[test]
    fn a_cut_short_last_line_is_left_out_and_the_next_append_starts_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        append(&path, &entry("a1")).unwrap();
        let whole = serde_json::to_string(&entry("cut")).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(&whole.as_bytes()[..40]).unwrap();
        assert_eq!(read(&path).unwrap(), vec![entry("a1")]);
        append(&path, &entry("c3")).unwrap();
        // Now the cut line is in the middle: an error naming line 2.
        let err = read(&path).unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("expected a benchreport history entry"));
    }

    #[test]
    fn a_newer_major_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let line = serde_json::to_string(&HistoryEntry {
            schema_version: "2.0".into(),
            ..entry("x")
        })
        .unwrap();
        std::fs::write(&path, format!("\n{line}\n")).unwrap();
        let err = read(&path).unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("schema 1.x, found \"2.0\""), "{err}");
    }

    #[test]
    fn the_id_comes_from_the_flag_first() {
        assert_eq!(build_id(Some("v1.2")), Some("v1.2".into()));
        assert_eq!(build_id(Some("  ")), None);
    }
}

#[cfg(test)]
mod regression_tests {
    use super::*;

    fn entry(id: &str, rps: f64, p99: f64) -> HistoryEntry {
        HistoryEntry {
            schema_version: HISTORY_SCHEMA_VERSION.into(),
            id: id.into(),
            recorded_unix_s: None,
            runs: vec![HistoryRun {
                name: "api".into(),
                requests: None,
                success_rate: None,
                rps: Some(rps),
                latency_ms: HistoryLatency {
                    p99: Some(p99),
                    ..HistoryLatency::default()
                },
                cpu_peak_percent: None,
                cpu_mean_percent: None,
                mem_peak_mb: None,
                mem_mean_mb: None,
            }],
        }
    }

    #[test]
    fn only_changes_worse_than_ten_percent_are_regressions() {
        let entries = [
            entry("a", 100.0, 10.0),
            entry("b", 95.0, 10.5), // -5% rps, +5% p99: noise
            entry("c", 80.0, 12.0), // -15.8% rps, +14.3% p99: both regress
            entry("d", 100.0, 9.0), // better
        ];
        let found = regressions(&entries);
        let got: Vec<(&str, &str)> = found.iter().map(|r| (r.id.as_str(), r.metric)).collect();
        assert_eq!(got, [("c", "rps"), ("c", "p99")]);
        assert_eq!(found[0].previous_id, "b");
        assert!((found[0].change - (80.0 / 95.0 - 1.0)).abs() < 1e-12);
    }
}
