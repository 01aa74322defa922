//! oha's JSON summary (`-j` in 0.5.4–1.8, `--output-format json` since 1.9), up to 1.16.
//!
//! All times are seconds (converted here to milliseconds), `NaN`/`inf` are written as `null`,
//! histogram and percentile maps have string keys that sort as strings (re-sorted numerically
//! here), and a histogram whose labels all coincide collapses to one key (`{"NaN": 0}` in an
//! all-error run). The per-class breakdown maps (`...Successful`, `...NotSuccessful`) and the
//! first-byte maps are not the overall latency and are left out of the main figures.
//!
//! Request counts follow oha's semantics, as for the text summary (see
//! [`super::oha_text::fill_oha_counts`]).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use crate::error::IngestError;
use crate::ingest::head_text;
use crate::ingest::oha_text::fill_oha_counts;
use crate::model::{FileIngest, ReportedLoad, RpsDistribution, SampleSink, ToolInfo};

/// How far into the file the sniffer looks for the summary keys.
const SNIFF_WINDOW: usize = 512;

/// True for a JSON object whose first keys are oha's `"summary"` with `"successRate"`, or that
/// holds `"responseTimeHistogram"`.
pub fn sniff(head: &[u8], _path: &Path) -> bool {
    let text = head_text(head);
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        return false;
    }
    let start: String = trimmed.chars().take(SNIFF_WINDOW).collect();
    start.contains("\"summary\"")
        && (start.contains("\"successRate\"") || text.contains("\"responseTimeHistogram\""))
}

pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| IngestError::io(path, &e))?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let doc: OhaJson = serde_json::from_slice(body).map_err(|e| json_error(path, &e))?;
    let Some(summary) = doc.summary.as_ref() else {
        return Err(IngestError::new(
            path,
            "expected an oha JSON summary (an object with a \"summary\" key), found no \"summary\"",
        ));
    };
    let version = doc.version();
    let load = doc.to_load(summary);
    Ok(FileIngest {
        tool: ToolInfo::new("oha", Some(version)),
        reported: Some(load),
        ..FileIngest::default()
    })
}

fn json_error(path: &Path, e: &serde_json::Error) -> IngestError {
    let message = format!("expected oha JSON output: {e}");
    if e.line() == 0 {
        return IngestError::new(path, message);
    }
    IngestError::at_line(path, e.line() as u64, message).with_column(e.column() as u64)
}

/// A number map keyed by strings (`"p99.9"`, `"0.1460619198"`); values may be `null`.
type NumberMap = BTreeMap<String, Option<f64>>;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OhaJson {
    summary: Option<Summary>,
    /// >= 1.15: a second, rounded copy of a few figures.
    metrics: Option<Metrics>,
    #[serde(rename = "responseTimeHistogram")]
    response_time_histogram: Option<NumberMap>,
    #[serde(rename = "latencyPercentiles")]
    latency_percentiles: Option<NumberMap>,
    /// >= 1.13 only; used to date the file.
    #[serde(rename = "firstByteHistogram")]
    first_byte_histogram: Option<serde::de::IgnoredAny>,
    rps: Option<Rps>,
    #[serde(rename = "statusCodeDistribution")]
    status_code_distribution: Option<BTreeMap<String, u64>>,
    #[serde(rename = "errorDistribution")]
    error_distribution: Option<BTreeMap<String, u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Summary {
    #[serde(rename = "successRate")]
    success_rate: Option<f64>,
    total: Option<f64>,
    slowest: Option<f64>,
    fastest: Option<f64>,
    average: Option<f64>,
    #[serde(rename = "requestsPerSec")]
    requests_per_sec: Option<f64>,
    /// An integer in every known version; read as a number to accept `73595.0` too.
    #[serde(rename = "totalData")]
    total_data: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Metrics {
    success_rate: Option<f64>,
    requests_per_sec: Option<f64>,
    latency_ms: Option<MetricsLatency>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MetricsLatency {
    min: Option<f64>,
    mean: Option<f64>,
    p50: Option<f64>,
    p95: Option<f64>,
    p99: Option<f64>,
    max: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Rps {
    mean: Option<f64>,
    stddev: Option<f64>,
    max: Option<f64>,
    /// >= 1.4.5.
    min: Option<f64>,
    percentiles: Option<NumberMap>,
}

impl OhaJson {
    /// A version range dated by the keys present.
    fn version(&self) -> &'static str {
        let rps_min = self.rps.as_ref().is_some_and(|r| r.min.is_some());
        let decimal_percentiles = self
            .latency_percentiles
            .as_ref()
            .is_some_and(|m| m.keys().any(|k| k.contains('.')));
        if self.metrics.is_some() {
            ">=1.15"
        } else if self.first_byte_histogram.is_some() {
            ">=1.13"
        } else if rps_min {
            ">=1.4.5"
        } else if decimal_percentiles {
            ">=0.6.4"
        } else {
            "<0.6.4"
        }
    }

    fn to_load(&self, s: &Summary) -> ReportedLoad {
        let metrics = self.metrics.as_ref();
        let metrics_latency = metrics.and_then(|m| m.latency_ms.as_ref());
        let mut load = ReportedLoad {
            success_rate: s.success_rate.or(metrics.and_then(|m| m.success_rate)),
            duration_s: s.total,
            rps: s
                .requests_per_sec
                .or(metrics.and_then(|m| m.requests_per_sec)),
            bytes_total: s
                .total_data
                .filter(|b| b.is_finite() && *b >= 0.0)
                .map(|b| b.round() as u64),
            ..ReportedLoad::default()
        };
        load.latency_ms.min = seconds_to_ms(s.fastest).or(metrics_latency.and_then(|l| l.min));
        load.latency_ms.max = seconds_to_ms(s.slowest).or(metrics_latency.and_then(|l| l.max));
        load.latency_ms.mean = seconds_to_ms(s.average).or(metrics_latency.and_then(|l| l.mean));
        load.latency_ms.percentiles = match &self.latency_percentiles {
            Some(map) => percentiles(map, 1e3),
            None => metrics_latency.map(metric_percentiles).unwrap_or_default(),
        };
        load.histogram = self
            .response_time_histogram
            .as_ref()
            .map(histogram)
            .unwrap_or_default();
        load.rps_distribution = self.rps.as_ref().map(rps_distribution);
        load.status_codes = self.status_code_distribution.clone().unwrap_or_default();
        load.errors = self.error_distribution.clone().unwrap_or_default();
        if self.status_code_distribution.is_some() || self.error_distribution.is_some() {
            fill_oha_counts(&mut load);
        }
        // 0.5.x writes `average` 0.0 when nothing succeeded: not a measured average.
        if load.latency_ms.min.is_none() && load.latency_ms.max.is_none() {
            load.latency_ms.mean = None;
        }
        load
    }
}

fn seconds_to_ms(seconds: Option<f64>) -> Option<f64> {
    seconds.filter(|v| v.is_finite()).map(|v| v * 1e3)
}

/// `{"p10": 0.0014, "p99.9": …}` -> ascending `(percentile, value * scale)`, nulls dropped.
fn percentiles(map: &NumberMap, scale: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = map
        .iter()
        .filter_map(|(key, value)| {
            let p: f64 = key.strip_prefix('p')?.parse().ok()?;
            let v = (*value)?;
            (p.is_finite() && v.is_finite()).then_some((p, v * scale))
        })
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// The rounded millisecond percentiles of `metrics.latency_ms`, when no full map exists.
fn metric_percentiles(l: &MetricsLatency) -> Vec<(f64, f64)> {
    [(50.0, l.p50), (95.0, l.p95), (99.0, l.p99)]
        .into_iter()
        .filter_map(|(p, v)| Some((p, v?)))
        .collect()
}

/// `{"0.000366276": 1, "0.146…": 1781, …}` (seconds, string keys) -> ascending (ms, count).
/// A `NaN` key (no data) is dropped.
fn histogram(map: &NumberMap) -> Vec<(f64, u64)> {
    let mut out: Vec<(f64, u64)> = map
        .iter()
        .filter_map(|(key, count)| {
            let edge: f64 = key.parse().ok()?;
            let count = (*count)?;
            let count_ok = count.is_finite() && count >= 0.0;
            (edge.is_finite() && count_ok).then_some((edge * 1e3, count.round() as u64))
        })
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

fn rps_distribution(r: &Rps) -> RpsDistribution {
    RpsDistribution {
        mean: r.mean,
        stddev: r.stddev,
        min: r.min,
        max: r.max,
        percentiles: r
            .percentiles
            .as_ref()
            .map(|m| percentiles(m, 1.0))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oha");

    fn parse_bytes_at(path: &Path, bytes: &[u8]) -> Result<FileIngest, IngestError> {
        let mut reader = bytes;
        parse(path, &mut reader, &mut 0u64)
    }

    fn fixture(name: &str) -> (FileIngest, serde_json::Value) {
        let path = Path::new(FIXTURES).join(name);
        let bytes = std::fs::read(&path).unwrap();
        let parsed = parse_bytes_at(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        (parsed, serde_json::from_slice(&bytes).unwrap())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn current_version_with_breakdown() {
        let (f, raw) = fixture("oha-1.16.0_json_mixed-status_success-breakdown.json");
        assert_eq!(f.tool, ToolInfo::new("oha", Some(">=1.15")));
        let r = f.reported.unwrap();
        assert_eq!(r.success_rate, Some(1.0));
        assert_eq!(r.duration_s, Some(4.004369872));
        assert!(close(r.latency_ms.max.unwrap(), 1237.714691));
        assert!(close(r.latency_ms.min.unwrap(), 0.269662));
        // The rounded copy in `metrics` agrees with the precise summary.
        let m = &raw["metrics"]["latency_ms"];
        assert!((r.latency_ms.mean.unwrap() - m["mean"].as_f64().unwrap()).abs() < 5e-4);
        assert!((r.latency_ms.percentile(95.0).unwrap() - m["p95"].as_f64().unwrap()).abs() < 5e-4);
        assert_eq!(r.latency_ms.percentiles.len(), 9);
        assert!(close(r.latency_ms.percentile(99.9).unwrap(), 18.177027));
        // Overall histogram, not the successful-only one.
        let hist_sum: u64 = r.histogram.iter().map(|h| h.1).sum();
        let raw_sum: u64 = raw["responseTimeHistogram"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(hist_sum, raw_sum);
        assert_eq!(hist_sum, 5006 + 2541);
        assert!(r.histogram.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(close(r.histogram[10].0, 1237.714691));
        assert_eq!(r.status_codes.get("404"), Some(&2541));
        assert_eq!(r.successes, Some(7547));
        assert_eq!(r.failures, Some(0));
        assert_eq!(r.requests, Some(7555));
        assert!((r.rps.unwrap() * r.duration_s.unwrap() - 7555.0).abs() < 1e-6);
        assert_eq!(r.bytes_total, Some(36150961));
        let rps = r.rps_distribution.unwrap();
        assert_eq!(rps.min, Some(170.2338894477293));
        assert_eq!(rps.percentiles.len(), 9);
        assert_eq!(rps.percentiles[0], (10.0, 627.212164236336));
    }

    #[test]
    fn default_run_current_version() {
        let (f, raw) = fixture("oha-1.16.0_json_z5s_c10.json");
        let r = f.reported.unwrap();
        let statuses: u64 = raw["statusCodeDistribution"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(r.successes, Some(statuses));
        let aborted = raw["errorDistribution"]["aborted due to deadline"]
            .as_u64()
            .unwrap();
        assert_eq!(r.requests, Some(statuses + aborted));
        assert_eq!(r.histogram.len(), 11);
    }

    #[test]
    fn old_version_keys() {
        let (f, _) = fixture("oha-0.5.8_json_z4s_c10.json");
        assert_eq!(f.tool.version.as_deref(), Some("<0.6.4"));
        let r = f.reported.unwrap();
        assert_eq!(r.latency_ms.percentiles.len(), 7);
        assert!(close(r.latency_ms.percentile(99.0).unwrap(), 48.135727));
        assert_eq!(r.histogram.iter().map(|h| h.1).sum::<u64>(), 1795);
        assert!(close(r.histogram[1].0, 146.0619198));
        assert_eq!(r.requests, Some(1795));
        assert_eq!(r.bytes_total, Some(73595));
        let rps = r.rps_distribution.unwrap();
        assert_eq!(rps.min, None);
        assert_eq!(rps.max, Some(10016.226286571247));
    }

    #[test]
    fn all_error_nulls_and_collapsed_histogram() {
        // Shape of oha 1.16.0 with no successful request (FORMATS.md §1.3).
        let text = r#"{
  "summary": {"successRate": 0.0, "total": 0.0024, "slowest": null, "fastest": null,
    "average": null, "requestsPerSec": 20496.9, "totalData": 0, "sizePerRequest": null, "sizePerSec": 0.0},
  "responseTimeHistogram": {"NaN": 0},
  "latencyPercentiles": {"p10": null, "p50": null, "p99.99": null},
  "rps": {"mean": null, "stddev": null, "max": null, "min": null, "percentiles": {"p10": null}},
  "statusCodeDistribution": {},
  "errorDistribution": {"Connection refused (os error 111)": 50}
}"#;
        let r = parse_bytes_at(Path::new("x.json"), text.as_bytes())
            .unwrap()
            .reported
            .unwrap();
        assert!(r.histogram.is_empty());
        assert!(r.latency_ms.percentiles.is_empty());
        assert_eq!(r.latency_ms.mean, None);
        assert_eq!(
            (r.requests, r.successes, r.failures),
            (Some(50), Some(0), Some(50))
        );
        assert_eq!(r.success_rate, Some(0.0));
    }

    #[test]
    fn histogram_keys_sort_numerically() {
        let text = r#"{"summary": {"successRate": 1.0},
          "responseTimeHistogram": {"10.5": 1, "2.3": 4, "4.445223955431753e-6": 2}}"#;
        let r = parse_bytes_at(Path::new("x.json"), text.as_bytes())
            .unwrap()
            .reported
            .unwrap();
        let edges: Vec<f64> = r.histogram.iter().map(|h| h.0).collect();
        assert_eq!(edges, [4.445223955431753e-3, 2300.0, 10500.0]);
        assert_eq!(r.requests, None);
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let text = "{\n  \"summary\": {\n    \"total\": 1.0,,\n  }\n}";
        let err = parse_bytes_at(Path::new("x.json"), text.as_bytes()).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.column.is_some());
        let err = parse_bytes_at(Path::new("x.json"), b"{\"other\": 1}").unwrap_err();
        assert!(err.message.contains("summary"), "{}", err.message);
        let bytes =
            std::fs::read(Path::new(FIXTURES).join("oha-1.16.0_json_z5s_c10.json")).unwrap();
        let err = parse_bytes_at(Path::new("x.json"), &bytes[..bytes.len() / 2]).unwrap_err();
        assert!(err.line.is_some());
    }

    #[test]
    fn sniff_needs_summary_keys() {
        let bytes = std::fs::read(Path::new(FIXTURES).join("oha-0.5.8_json_z4s_c10.json")).unwrap();
        assert!(sniff(&bytes, Path::new("x")));
        assert!(!sniff(b"{\"root_group\": {}}", Path::new("x")));
        assert!(!sniff(b"Summary:\n  Success rate:\t1.0\n", Path::new("x")));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(cut in 0usize..4000, pos in 0usize..4000, byte in proptest::num::u8::ANY) {
            let path = Path::new(FIXTURES).join("oha-1.16.0_json_mixed-status_success-breakdown.json");
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
