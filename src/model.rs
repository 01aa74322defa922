//! The run model: what parsers produce and what the `stats` layer consumes.
//!
//! Two kinds of load data exist and are never mixed up:
//! - **raw samples** (JTL rows, oha CSV rows, samples in a benchreport file) are streamed, one
//!   [`Sample`] at a time, into a [`SampleSink`]; statistics computed from them are exact;
//! - **reported summaries** ([`ReportedLoad`]: oha text/JSON, wrk, ab, hey, locust, pre-computed
//!   benchreport summaries) are figures the tool printed; they are shown as "reported by <tool>".
//!
//! Resource logs (psrecord) become a [`ResourceSeries`]. Parsers fill these types and never compute
//! statistics; `crate::stats` does.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// One request (or transaction) as recorded by a load tool.
///
/// Borrowed strings point into the parser's reused record buffer, so pushing a sample allocates
/// nothing; the sink copies what it keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample<'a> {
    /// Request start in microseconds. Epoch-based for JTL files; relative to the start of the test
    /// for tools that only record offsets (oha CSV, hey CSV). See [`FileIngest::clock`].
    pub start_us: Option<i64>,
    /// Response time (JMeter `elapsed`, oha `request-duration`) in nanoseconds.
    pub elapsed_ns: u64,
    /// Whether the tool counted this sample as a success.
    pub success: bool,
    /// Response code as written by the tool (`200`, `Non HTTP response code: ...`).
    pub status: Option<&'a str>,
    /// Sampler / request name (JMeter `label`).
    pub label: Option<&'a str>,
    /// Failure text for unsuccessful samples (JMeter `failureMessage`, else `responseMessage`).
    pub error: Option<&'a str>,
    /// Active threads in all thread groups when the sample ended (JMeter `allThreads`).
    pub threads: Option<u32>,
    /// Bytes received.
    pub bytes: Option<u64>,
    /// Time to first byte in nanoseconds (JMeter `Latency`, oha `Response-delay`).
    pub ttfb_ns: Option<u64>,
    /// How this sample must be counted (see [`SampleKind`]).
    pub kind: SampleKind,
}

impl Default for Sample<'_> {
    fn default() -> Self {
        Sample {
            start_us: None,
            elapsed_ns: 0,
            success: true,
            status: None,
            label: None,
            error: None,
            threads: None,
            bytes: None,
            ttfb_ns: None,
            kind: SampleKind::Request,
        }
    }
}

/// How a sample counts, so that nothing is counted twice.
///
/// Rule (documented in the README): totals, percentiles and RPS count [`SampleKind::Request`]
/// samples only. Transaction-controller results are reported as transactions per label; the
/// sub-results of a sample (embedded resources, children of a "generate parent sample" transaction
/// in XML, JMeter >= 5 sub-result rows in CSV) are part of their parent and are listed per label only.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SampleKind {
    /// A top-level request: counted in totals.
    Request,
    /// A JMeter Transaction Controller result: the sum of its children, not a request of its own.
    Transaction,
    /// A sub-result of a parent sample (already included in the parent's time).
    SubResult,
}

/// Receives raw samples from a parser, one at a time.
pub trait SampleSink {
    fn push(&mut self, sample: &Sample<'_>);
}

/// A sink that keeps nothing; useful to validate a file or count its rows.
impl SampleSink for u64 {
    fn push(&mut self, _sample: &Sample<'_>) {
        *self += 1;
    }
}

/// A sink whose contents combine: a parallel reader pushes each part of a file into an empty sink
/// of its own and merges the parts in file order, and the result must be exactly what pushing
/// every sample into one sink would have given.
pub trait MergeableSink: SampleSink + Send + Sized {
    /// An empty sink of the same kind.
    fn empty(&self) -> Self;
    /// Whether merging this sink after another gives exactly the result of pushing its samples
    /// there. A sink that had to give up detail to bound its memory (e.g. it lumped rare error
    /// messages together) says no; its part is then read again into the combined sink.
    fn merges_exactly(&self) -> bool;
    /// Adds everything of `later`, whose samples come after this sink's.
    fn merge(&mut self, later: Self);
}

impl MergeableSink for u64 {
    fn empty(&self) -> Self {
        0
    }

    fn merges_exactly(&self) -> bool {
        true
    }

    fn merge(&mut self, later: Self) {
        *self += later;
    }
}

/// Whether sample start times are wall-clock (epoch) or offsets from the start of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    #[default]
    Epoch,
    Relative,
}

/// The figures a load tool printed about a run, kept as the tool reported them.
///
/// Every field is optional because every tool prints a different subset. Latencies are in
/// milliseconds whatever unit the tool used.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ReportedLoad {
    pub requests: Option<u64>,
    pub successes: Option<u64>,
    pub failures: Option<u64>,
    /// Fraction 0..=1, as reported (oha prints a fraction before 0.5.9 and a percentage after;
    /// parsers convert to a fraction).
    pub success_rate: Option<f64>,
    pub duration_s: Option<f64>,
    pub rps: Option<f64>,
    pub latency_ms: ReportedLatency,
    /// Latency histogram as reported: (bucket upper edge in ms, count), ascending.
    pub histogram: Vec<(f64, u64)>,
    /// Status code -> count. Keys are the tool's own strings.
    pub status_codes: BTreeMap<String, u64>,
    /// Error message -> count.
    pub errors: BTreeMap<String, u64>,
    pub bytes_total: Option<u64>,
    /// Per-request-name figures when the tool reports them (locust).
    pub labels: Vec<ReportedLabel>,
    /// Throughput statistics over short windows when the tool reports them (oha JSON `rps`).
    pub rps_distribution: Option<RpsDistribution>,
    /// Throughput over time when the tool reports it (locust history): (seconds since start, rps).
    pub rps_series: Vec<(f64, f64)>,
    /// Concurrency the tool ran with, when it says (wrk connections, ab concurrency level).
    pub concurrency: Option<u64>,
    /// The exact latency distribution, `[nanoseconds, count]` ascending, when the figures come
    /// from a benchreport summary computed from samples (`load.latency_histogram_ns`). Latency
    /// statistics are then exact and comparisons can test significance. Not serialised: the
    /// summary already carries it.
    #[serde(skip)]
    pub latency_histogram_ns: Vec<[u64; 2]>,
}

/// Latency figures as reported by a tool, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ReportedLatency {
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
    pub stddev: Option<f64>,
    /// (percentile 0..=100, value ms), ascending by percentile.
    pub percentiles: Vec<(f64, f64)>,
}

impl ReportedLatency {
    /// The reported value at percentile `p` (exact match only: reported figures are never
    /// interpolated).
    pub fn percentile(&self, p: f64) -> Option<f64> {
        self.percentiles
            .iter()
            .find(|(q, _)| (q - p).abs() < 1e-9)
            .map(|&(_, v)| v)
    }
}

/// Per-label figures reported by a tool (locust `_stats.csv` rows).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ReportedLabel {
    pub label: String,
    pub method: Option<String>,
    pub requests: Option<u64>,
    pub failures: Option<u64>,
    pub rps: Option<f64>,
    pub latency_ms: ReportedLatency,
}

/// oha's `rps` block: throughput measured over 10 ms windows.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RpsDistribution {
    pub mean: Option<f64>,
    pub stddev: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub percentiles: Vec<(f64, f64)>,
}

/// A process resource log (psrecord).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ResourceSeries {
    pub samples: Vec<ResourceSample>,
}

/// One row of a resource log.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct ResourceSample {
    /// Seconds since monitoring started.
    pub elapsed_s: f64,
    /// CPU % summed over cores (and children): 250 means two and a half cores busy.
    pub cpu_percent: f64,
    /// Resident memory in MiB ("MB" in psrecord's header).
    pub rss_mb: f64,
    /// Virtual memory in MiB, when logged.
    pub vms_mb: Option<f64>,
}

/// Resource figures that arrive already summarised (a benchreport file written by another tool
/// or by an earlier `benchreport summary --json`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ReportedResources {
    pub cpu_peak_percent: Option<f64>,
    pub cpu_mean_percent: Option<f64>,
    pub mem_peak_mb: Option<f64>,
    pub mem_mean_mb: Option<f64>,
}

/// The tool that wrote a file, as far as its content tells.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ToolInfo {
    /// `oha`, `jmeter`, `psrecord`, `benchreport`, ...
    pub name: String,
    /// A version or version range inferred from the format (`>=0.5.9`, `2.x default columns`).
    pub version: Option<String>,
}

impl ToolInfo {
    pub fn new(name: &str, version: Option<&str>) -> Self {
        ToolInfo {
            name: name.to_string(),
            version: version.map(str::to_string),
        }
    }
}

/// A problem that did not stop ingestion but that the user must see (e.g. a truncated last line).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Warning {
    pub path: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What one input file contributed, besides the samples it streamed into the sink.
#[derive(Debug, Clone, Default)]
pub struct FileIngest {
    pub tool: ToolInfo,
    /// Figures the tool printed, for summary formats.
    pub reported: Option<ReportedLoad>,
    /// Resource log rows, for resource formats.
    pub resources: Option<ResourceSeries>,
    /// Resource figures that arrived already summarised.
    pub reported_resources: Option<ReportedResources>,
    /// How many samples were pushed into the sink.
    pub samples: u64,
    /// The clock of the pushed samples' `start_us`.
    pub clock: Clock,
    pub warnings: Vec<Warning>,
    /// Runs carried whole by a benchreport file that holds several runs (name, content).
    pub embedded_runs: Vec<EmbeddedRun>,
    /// A run name the file itself declares (benchreport files).
    pub declared_name: Option<String>,
}

/// A complete run carried inside a benchreport file holding several runs.
#[derive(Debug, Clone, Default)]
pub struct EmbeddedRun {
    pub name: String,
    pub reported: Option<ReportedLoad>,
    pub resources: Option<ResourceSeries>,
    pub reported_resources: Option<ReportedResources>,
    /// Raw samples, owned (only for small files written by scripts).
    pub samples: Vec<OwnedSample>,
}

/// An owned [`Sample`], for the rare places that must keep samples (benchreport files with
/// several runs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OwnedSample {
    pub start_us: Option<i64>,
    pub elapsed_ns: u64,
    pub success: bool,
    pub status: Option<String>,
    pub label: Option<String>,
    pub error: Option<String>,
    pub threads: Option<u32>,
    pub bytes: Option<u64>,
    pub ttfb_ns: Option<u64>,
}

impl From<&Sample<'_>> for OwnedSample {
    /// A copy of a streamed sample that outlives the parser's record buffer (its kind is dropped).
    fn from(s: &Sample<'_>) -> Self {
        OwnedSample {
            start_us: s.start_us,
            elapsed_ns: s.elapsed_ns,
            success: s.success,
            status: s.status.map(str::to_string),
            label: s.label.map(str::to_string),
            error: s.error.map(str::to_string),
            threads: s.threads,
            bytes: s.bytes,
            ttfb_ns: s.ttfb_ns,
        }
    }
}

impl OwnedSample {
    pub fn as_sample(&self) -> Sample<'_> {
        Sample {
            start_us: self.start_us,
            elapsed_ns: self.elapsed_ns,
            success: self.success,
            status: self.status.as_deref(),
            label: self.label.as_deref(),
            error: self.error.as_deref(),
            threads: self.threads,
            bytes: self.bytes,
            ttfb_ns: self.ttfb_ns,
            kind: SampleKind::Request,
        }
    }
}
