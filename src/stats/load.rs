//! Load statistics: an accumulator that raw samples stream into, and the summary of a run's load,
//! computed either from samples (exact) or from the figures a tool reported.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::histogram::LatencyHistogram;
use crate::model::{MergeableSink, ReportedLoad, Sample, SampleKind, SampleSink};

/// Distinct error messages kept per run; the rest are counted under [`OTHER_ERRORS`].
pub const MAX_DISTINCT_ERRORS: usize = 1000;
pub const OTHER_ERRORS: &str = "(other errors)";
/// The percentiles every latency summary carries.
pub const PERCENTILES: [f64; 6] = [50.0, 75.0, 90.0, 95.0, 99.0, 99.9];
const NS_PER_MS: f64 = 1e6;

/// Per-second figures while samples stream in.
#[derive(Debug, Clone, Default)]
struct Bucket {
    requests: u64,
    failures: u64,
    sum_ns: u128,
    max_ns: u64,
    threads_max: Option<u32>,
}

impl Bucket {
    fn add(&mut self, other: &Bucket) {
        self.requests += other.requests;
        self.failures += other.failures;
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
        self.threads_max = max_option(self.threads_max, other.threads_max);
    }
}

#[derive(Debug, Clone, Default)]
struct LabelAcc {
    failures: u64,
    hist: LatencyHistogram,
    first_start_us: Option<i64>,
    last_end_us: Option<i64>,
}

impl LabelAcc {
    fn merge(&mut self, other: &LabelAcc) {
        self.failures += other.failures;
        self.hist.merge(&other.hist);
        self.first_start_us = min_option(self.first_start_us, other.first_start_us);
        self.last_end_us = max_option(self.last_end_us, other.last_end_us);
    }
}

fn min_option<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_option<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// FxHash (rustc's hasher): labels and seconds are looked up once per sample, and SipHash's
/// resistance to crafted collisions buys nothing for a local log file.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Index of a sample kind in per-kind tables.
fn kind_index(kind: SampleKind) -> usize {
    match kind {
        SampleKind::Request => 0,
        SampleKind::Transaction => 1,
        SampleKind::SubResult => 2,
    }
}

const KINDS: [SampleKind; 3] = [
    SampleKind::Request,
    SampleKind::Transaction,
    SampleKind::SubResult,
];

/// Error messages and their counts, at most [`MAX_DISTINCT_ERRORS`] of them: the messages seen
/// first are kept, later new ones are counted under [`OTHER_ERRORS`]. Each message remembers when
/// it was first seen, so that accumulators of consecutive parts of the input merge into exactly
/// what one accumulator would have kept.
#[derive(Debug, Clone, Default)]
struct ErrorCounts {
    /// message -> (count, order of first appearance)
    counts: BTreeMap<String, (u64, u64)>,
    next_order: u64,
    /// Whether a message was lumped under [`OTHER_ERRORS`] because the table was full.
    lumped: bool,
}

impl ErrorCounts {
    fn add(&mut self, key: &str, n: u64) {
        if let Some((count, _)) = self.counts.get_mut(key) {
            *count += n;
        } else if self.counts.len() < MAX_DISTINCT_ERRORS {
            self.insert(key, n);
        } else {
            self.lumped = true;
            match self.counts.get_mut(OTHER_ERRORS) {
                Some((count, _)) => *count += n,
                None => self.insert(OTHER_ERRORS, n),
            }
        }
    }

    fn insert(&mut self, key: &str, n: u64) {
        self.counts.insert(key.to_string(), (n, self.next_order));
        self.next_order += 1;
    }

    /// Adds the counts of a later part, message by message in the order it first saw them: the
    /// same decisions (kept or lumped) as if its samples had come here one by one. Exact only
    /// when `later` lumped nothing (see [`MergeableSink::merges_exactly`]).
    fn merge(&mut self, later: ErrorCounts) {
        let mut entries: Vec<(String, (u64, u64))> = later.counts.into_iter().collect();
        entries.sort_by_key(|(_, (_, order))| *order);
        for (key, (n, _)) in entries {
            self.add(&key, n);
        }
        self.lumped |= later.lumped;
    }

    fn to_map(&self) -> BTreeMap<String, u64> {
        self.counts
            .iter()
            .map(|(k, (n, _))| (k.clone(), *n))
            .collect()
    }
}

/// Streams raw samples into exact statistics with memory bounded by the number of distinct
/// latency values, labels, status codes and seconds, never by the number of samples.
///
/// Accumulators of consecutive parts of the input merge ([`MergeableSink`]) into exactly the
/// accumulator of the whole, so parts can be read in parallel.
#[derive(Debug, Clone, Default)]
pub struct LoadAccumulator {
    requests: u64,
    failures: u64,
    hist: LatencyHistogram,
    first_start_us: Option<i64>,
    last_end_us: Option<i64>,
    untimed: u64,
    /// Second since 1970 (or since the start, for relative clocks) -> figures.
    buckets: FastMap<i64, Bucket>,
    /// Per label, for each kind (indexed by [`kind_index`]).
    labels: [FastMap<Box<str>, LabelAcc>; 3],
    status_codes: BTreeMap<String, u64>,
    errors: ErrorCounts,
    transactions: u64,
    sub_results: u64,
    bytes: u64,
    max_threads: Option<u32>,
}

impl SampleSink for LoadAccumulator {
    fn push(&mut self, s: &Sample<'_>) {
        if let Some(label) = s.label {
            self.push_label(label, s);
        }
        match s.kind {
            SampleKind::Transaction => {
                self.transactions += 1;
                return;
            }
            SampleKind::SubResult => {
                self.sub_results += 1;
                return;
            }
            SampleKind::Request => {}
        }
        self.requests += 1;
        self.hist.record(s.elapsed_ns);
        if !s.success {
            self.failures += 1;
            let key = s
                .error
                .filter(|e| !e.is_empty())
                .or(s.status)
                .unwrap_or("failure");
            self.errors.add(key, 1);
        }
        if let Some(code) = s.status {
            // Look up by the borrowed code first so the common case allocates nothing.
            match self.status_codes.get_mut(code) {
                Some(n) => *n += 1,
                None => {
                    self.status_codes.insert(code.to_string(), 1);
                }
            }
        }
        self.bytes += s.bytes.unwrap_or(0);
        self.max_threads = max_option(self.max_threads, s.threads);
        match s.start_us {
            Some(start) => self.push_timed(start, s),
            None => self.untimed += 1,
        }
    }
}

impl MergeableSink for LoadAccumulator {
    fn empty(&self) -> Self {
        Self::default()
    }

    fn merges_exactly(&self) -> bool {
        !self.errors.lumped
    }

    fn merge(&mut self, later: Self) {
        self.requests += later.requests;
        self.failures += later.failures;
        self.hist.merge(&later.hist);
        self.first_start_us = min_option(self.first_start_us, later.first_start_us);
        self.last_end_us = max_option(self.last_end_us, later.last_end_us);
        self.untimed += later.untimed;
        for (second, bucket) in &later.buckets {
            self.buckets.entry(*second).or_default().add(bucket);
        }
        for (mine, theirs) in self.labels.iter_mut().zip(&later.labels) {
            for (label, acc) in theirs {
                match mine.get_mut(label) {
                    Some(m) => m.merge(acc),
                    None => {
                        mine.insert(label.clone(), acc.clone());
                    }
                }
            }
        }
        for (code, n) in later.status_codes {
            *self.status_codes.entry(code).or_insert(0) += n;
        }
        self.errors.merge(later.errors);
        self.transactions += later.transactions;
        self.sub_results += later.sub_results;
        self.bytes += later.bytes;
        self.max_threads = max_option(self.max_threads, later.max_threads);
    }
}

impl LoadAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests counted so far (transactions and sub-results excluded).
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Sorts in the latencies recorded out of order (nanosecond values), so that summarising reads
    /// the histograms without copying them.
    pub fn compact(&mut self) {
        self.hist.compact();
        for by_label in &mut self.labels {
            for acc in by_label.values_mut() {
                acc.hist.compact();
            }
        }
    }

    /// Whether nothing was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.requests + self.transactions + self.sub_results == 0
    }

    fn push_label(&mut self, label: &str, s: &Sample<'_>) {
        let by_label = &mut self.labels[kind_index(s.kind)];
        // Look up by the borrowed label first so the common case allocates nothing.
        let acc = match by_label.get_mut(label) {
            Some(acc) => acc,
            None => by_label.entry(label.into()).or_default(),
        };
        if !s.success {
            acc.failures += 1;
        }
        acc.hist.record(s.elapsed_ns);
        if let Some(start) = s.start_us {
            let end = start + (s.elapsed_ns / 1000) as i64;
            acc.first_start_us = min_option(acc.first_start_us, Some(start));
            acc.last_end_us = max_option(acc.last_end_us, Some(end));
        }
    }

    fn push_timed(&mut self, start: i64, s: &Sample<'_>) {
        let end = start + (s.elapsed_ns / 1000) as i64;
        self.first_start_us = min_option(self.first_start_us, Some(start));
        self.last_end_us = max_option(self.last_end_us, Some(end));
        let b = self.buckets.entry(start.div_euclid(1_000_000)).or_default();
        b.requests += 1;
        if !s.success {
            b.failures += 1;
        }
        b.sum_ns += s.elapsed_ns as u128;
        b.max_ns = b.max_ns.max(s.elapsed_ns);
        b.threads_max = max_option(b.threads_max, s.threads);
    }

    /// The exact latency histogram of all requests.
    pub fn histogram(&self) -> &LatencyHistogram {
        &self.hist
    }

    /// The exact latency histogram of a summary computed from samples (see
    /// [`LoadSummary::latency_histogram_ns`]).
    pub fn histogram_of(load: &LoadSummary) -> LatencyHistogram {
        let mut h = LatencyHistogram::new();
        for &[v, n] in &load.latency_histogram_ns {
            h.record_n(v, n);
        }
        h
    }

    /// The load summary of everything pushed so far. `tool_reported` is attached as the tool's own
    /// figures, shown beside the computed ones.
    pub fn summarize(&self, tool_reported: Option<ReportedLoad>) -> LoadSummary {
        let duration_s = match (self.first_start_us, self.last_end_us) {
            (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1e6),
            _ => None,
        };
        let rps = duration_s.map(|d| self.requests as f64 / d);
        let hist = self.hist.compacted();
        let mut labels: Vec<LabelSummary> = KINDS
            .iter()
            .zip(&self.labels)
            .flat_map(|(kind, by_label)| {
                by_label
                    .iter()
                    .map(|(label, acc)| LabelSummary::from_acc(label, *kind, acc))
            })
            .collect();
        labels.sort_by(|a, b| (&a.label, a.kind).cmp(&(&b.label, b.kind)));
        LoadSummary {
            origin: Origin::Samples,
            requests: Some(self.requests),
            successes: Some(self.requests - self.failures),
            failures: Some(self.failures),
            success_rate: ratio(self.requests - self.failures, self.requests),
            duration_s,
            rps,
            rps_method: match rps {
                Some(_) => "computed from samples: requests / (last end - first start)".into(),
                None => "not available: samples carry no timestamps".into(),
            },
            latency_ms: LatencyStats::from_histogram(&hist),
            percentile_curve: percentile_curve(&hist),
            histogram: histogram_buckets(&hist),
            latency_histogram_ns: hist.iter().map(|(v, n)| [v, n]).collect(),
            latency_method: "exact, from every sample (nearest-rank percentiles)".into(),
            status_codes: self.status_codes.clone(),
            errors: self.errors.to_map(),
            transactions: self.transactions,
            sub_results: self.sub_results,
            bytes_total: Some(self.bytes),
            max_threads: self.max_threads,
            labels,
            series: self.series(),
            untimed_samples: self.untimed,
            first_start_us: self.first_start_us,
            last_end_us: self.last_end_us,
            tool_reported,
        }
    }

    fn series(&self) -> Option<Series> {
        let first = *self.buckets.keys().min()?;
        let last = *self.buckets.keys().max()?;
        let points = (first..=last)
            .map(|sec| {
                let b = self.buckets.get(&sec).cloned().unwrap_or_default();
                SeriesPoint {
                    t_s: (sec - first) as f64,
                    requests: b.requests,
                    failures: b.failures,
                    latency_mean_ms: (b.requests > 0)
                        .then(|| b.sum_ns as f64 / b.requests as f64 / NS_PER_MS),
                    latency_max_ms: (b.requests > 0).then(|| b.max_ns as f64 / NS_PER_MS),
                    threads: b.threads_max,
                    latency_sum_ns: (b.requests > 0)
                        .then(|| u64::try_from(b.sum_ns).unwrap_or(u64::MAX)),
                    latency_max_ns: (b.requests > 0).then_some(b.max_ns),
                }
            })
            .collect();
        Some(Series {
            interval_s: 1.0,
            start_unix_ms: Some(first * 1000),
            points,
        })
    }
}

/// What [`LoadAccumulator::from_summary`] reads of a `load` object of `summary --json`.
#[derive(Debug, Deserialize)]
struct LoadParts {
    origin: String,
    requests: Option<u64>,
    failures: Option<u64>,
    #[serde(default)]
    latency_histogram_ns: Vec<[u64; 2]>,
    #[serde(default)]
    status_codes: BTreeMap<String, u64>,
    #[serde(default)]
    errors: BTreeMap<String, u64>,
    #[serde(default)]
    transactions: u64,
    #[serde(default)]
    sub_results: u64,
    bytes_total: Option<u64>,
    max_threads: Option<u32>,
    #[serde(default)]
    labels: Vec<LabelParts>,
    series: Option<SeriesParts>,
    #[serde(default)]
    untimed_samples: u64,
    first_start_us: Option<i64>,
    last_end_us: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct LabelParts {
    label: String,
    kind: SampleKind,
    failures: u64,
    latency_histogram_ns: Option<Vec<[u64; 2]>>,
    first_start_us: Option<i64>,
    last_end_us: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct SeriesParts {
    start_unix_ms: Option<i64>,
    points: Vec<PointParts>,
}

#[derive(Debug, Deserialize)]
struct PointParts {
    t_s: f64,
    requests: u64,
    failures: u64,
    threads: Option<u32>,
    latency_sum_ns: Option<u64>,
    latency_max_ns: Option<u64>,
}

const OLDER_SUMMARY: &str = "it was written by an older benchreport; run `benchreport summary \
                             --json` on its inputs again";

fn histogram_from(pairs: &[[u64; 2]]) -> LatencyHistogram {
    let mut h = LatencyHistogram::new();
    for &[v, n] in pairs {
        h.record_n(v, n);
    }
    h
}

impl LoadAccumulator {
    /// Rebuilds, exactly, the accumulator a `load` object of `summary --json` was computed from
    /// (one computed from samples): merging such accumulators in order gives the figures of one
    /// pass over all their samples. The error table is exact as long as no part lumped messages
    /// under [`OTHER_ERRORS`] (see [`MergeableSink::merges_exactly`]).
    pub fn from_summary(load: &serde_json::Value) -> Result<Self, String> {
        let parts = LoadParts::deserialize(load).map_err(|e| e.to_string())?;
        if parts.origin != "samples" {
            return Err(
                "its load figures were reported by a tool, not computed from samples, \
                        so they cannot be merged exactly"
                    .into(),
            );
        }
        let hist = histogram_from(&parts.latency_histogram_ns);
        let requests = parts.requests.unwrap_or(0);
        if hist.count() != requests {
            return Err(format!(
                "its latency histogram holds {} samples but it counts {requests} requests",
                hist.count()
            ));
        }
        let timed = requests > parts.untimed_samples;
        if timed && (parts.first_start_us.is_none() || parts.last_end_us.is_none()) {
            return Err(format!(
                "it lacks first_start_us and last_end_us: {OLDER_SUMMARY}"
            ));
        }
        let mut acc = LoadAccumulator {
            requests,
            failures: parts.failures.unwrap_or(0),
            hist,
            first_start_us: parts.first_start_us,
            last_end_us: parts.last_end_us,
            untimed: parts.untimed_samples,
            status_codes: parts.status_codes,
            transactions: parts.transactions,
            sub_results: parts.sub_results,
            bytes: parts.bytes_total.unwrap_or(0),
            max_threads: parts.max_threads,
            ..LoadAccumulator::default()
        };
        for (message, n) in &parts.errors {
            acc.errors.insert(message, *n);
        }
        acc.errors.lumped = parts.errors.contains_key(OTHER_ERRORS);
        for label in parts.labels {
            let Some(pairs) = &label.latency_histogram_ns else {
                return Err(format!(
                    "label '{}' has no latency_histogram_ns: {OLDER_SUMMARY}",
                    label.label
                ));
            };
            let entry = LabelAcc {
                failures: label.failures,
                hist: histogram_from(pairs),
                first_start_us: label.first_start_us,
                last_end_us: label.last_end_us,
            };
            acc.labels[kind_index(label.kind)].insert(label.label.into(), entry);
        }
        if let Some(series) = parts.series {
            acc.buckets = buckets_from(&series)?;
        }
        Ok(acc)
    }
}

/// The per-second buckets a series was computed from.
fn buckets_from(series: &SeriesParts) -> Result<FastMap<i64, Bucket>, String> {
    let first = series.start_unix_ms.unwrap_or(0).div_euclid(1000);
    let mut buckets = FastMap::default();
    for p in series.points.iter().filter(|p| p.requests > 0) {
        let (Some(sum_ns), Some(max_ns)) = (p.latency_sum_ns, p.latency_max_ns) else {
            return Err(format!(
                "its series lacks latency_sum_ns and latency_max_ns: {OLDER_SUMMARY}"
            ));
        };
        let bucket = Bucket {
            requests: p.requests,
            failures: p.failures,
            sum_ns: u128::from(sum_ns),
            max_ns,
            threads_max: p.threads,
        };
        buckets.insert(first + p.t_s.round() as i64, bucket);
    }
    Ok(buckets)
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Where a run's load figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Computed by benchreport from every raw sample.
    Samples,
    /// Printed by the load tool; benchreport only converted units.
    Reported,
}

/// Percentiles drawn on the percentile curve (HdrHistogram style: dense towards the tail).
pub const CURVE_PERCENTILES: [f64; 20] = [
    0.0, 10.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0, 90.0, 95.0, 99.0, 99.5, 99.9,
    99.95, 99.99, 99.999, 100.0,
];
/// Buckets of the latency histogram computed from samples.
pub const HISTOGRAM_BUCKETS: usize = 30;

/// One point of a latency percentile curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PercentilePoint {
    pub p: f64,
    pub ms: f64,
}

/// One bucket of a latency histogram: samples with `lower_ms < latency <= upper_ms` (the first
/// bucket also holds `latency == lower_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HistogramBucket {
    pub lower_ms: f64,
    pub upper_ms: f64,
    pub count: u64,
}

/// The percentile curve of an exact histogram at [`CURVE_PERCENTILES`].
pub fn percentile_curve(h: &LatencyHistogram) -> Vec<PercentilePoint> {
    h.percentiles_ns(&CURVE_PERCENTILES)
        .into_iter()
        .zip(CURVE_PERCENTILES)
        .filter_map(|(v, p)| {
            Some(PercentilePoint {
                p,
                ms: v? as f64 / NS_PER_MS,
            })
        })
        .collect()
}

/// Buckets an exact histogram for display: log-spaced edges when latencies span more than 20x
/// (latency tails are long), equal widths otherwise. Counts are exact.
pub fn histogram_buckets(h: &LatencyHistogram) -> Vec<HistogramBucket> {
    let (Some(min), Some(max)) = (h.min_ns(), h.max_ns()) else {
        return Vec::new();
    };
    let (lo, hi) = (min as f64, max as f64);
    if hi <= lo {
        return vec![HistogramBucket {
            lower_ms: lo / NS_PER_MS,
            upper_ms: hi / NS_PER_MS,
            count: h.count(),
        }];
    }
    let n = HISTOGRAM_BUCKETS;
    let log_scale = lo > 0.0 && hi / lo > 20.0;
    let edge = |i: usize| -> f64 {
        let f = i as f64 / n as f64;
        if log_scale {
            lo * (hi / lo).powf(f)
        } else {
            lo + (hi - lo) * f
        }
    };
    let mut buckets: Vec<HistogramBucket> = (0..n)
        .map(|i| HistogramBucket {
            lower_ms: edge(i) / NS_PER_MS,
            upper_ms: edge(i + 1) / NS_PER_MS,
            count: 0,
        })
        .collect();
    let mut i = 0;
    for (v, count) in h.iter() {
        let v = v as f64;
        while i + 1 < n && v > edge(i + 1) {
            i += 1;
        }
        buckets[i].count += count;
    }
    buckets
}

/// Latency figures in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatencyStats {
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
    pub stddev: Option<f64>,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub p99_9: Option<f64>,
}

impl LatencyStats {
    pub fn from_histogram(h: &LatencyHistogram) -> Self {
        let ms = |ns: u64| ns as f64 / NS_PER_MS;
        let p = h.percentiles_ns(&PERCENTILES);
        LatencyStats {
            min: h.min_ns().map(ms),
            mean: h.mean_ns().map(|v| v / NS_PER_MS),
            max: h.max_ns().map(ms),
            stddev: h.stddev_ns().map(|v| v / NS_PER_MS),
            p50: p[0].map(ms),
            p75: p[1].map(ms),
            p90: p[2].map(ms),
            p95: p[3].map(ms),
            p99: p[4].map(ms),
            p99_9: p[5].map(ms),
        }
    }

    pub fn from_reported(r: &crate::model::ReportedLatency) -> Self {
        LatencyStats {
            min: r.min,
            mean: r.mean,
            max: r.max,
            stddev: r.stddev,
            p50: r.percentile(50.0),
            p75: r.percentile(75.0),
            p90: r.percentile(90.0),
            p95: r.percentile(95.0),
            p99: r.percentile(99.0),
            p99_9: r.percentile(99.9),
        }
    }
}

/// Figures per request name (JMeter label), for requests, transactions and sub-results alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelSummary {
    pub label: String,
    pub kind: SampleKind,
    pub requests: u64,
    pub failures: u64,
    pub success_rate: Option<f64>,
    pub rps: Option<f64>,
    pub latency_ms: LatencyStats,
    /// The label's exact latency histogram, when computed from samples (comparisons test
    /// significance per label with it), written as `latency_histogram_ns`: `[nanoseconds,
    /// count]` ascending, like the run's, so that summaries merge exactly per label too.
    #[serde(
        rename = "latency_histogram_ns",
        serialize_with = "serialize_histogram",
        skip_serializing_if = "Option::is_none"
    )]
    pub latency_histogram: Option<LatencyHistogram>,
    /// Start of the label's first sample and end of its last, in microseconds on the samples'
    /// clock (what its `rps` is computed over), when computed from timed samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_start_us: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_end_us: Option<i64>,
}

fn serialize_histogram<S: serde::Serializer>(
    histogram: &Option<LatencyHistogram>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let Some(h) = histogram else {
        return serializer.serialize_none();
    };
    let mut seq = serializer.serialize_seq(None)?;
    for (v, n) in h.iter() {
        seq.serialize_element(&[v, n])?;
    }
    seq.end()
}

impl LabelSummary {
    fn from_acc(label: &str, kind: SampleKind, acc: &LabelAcc) -> Self {
        let hist = acc.hist.compacted();
        let n = hist.count();
        let rps = match (acc.first_start_us, acc.last_end_us) {
            (Some(a), Some(b)) if b > a => Some(n as f64 / ((b - a) as f64 / 1e6)),
            _ => None,
        };
        LabelSummary {
            label: label.to_string(),
            kind,
            requests: n,
            failures: acc.failures,
            success_rate: ratio(n - acc.failures, n),
            rps,
            latency_ms: LatencyStats::from_histogram(&hist),
            latency_histogram: Some(hist.into_owned()),
            first_start_us: acc.first_start_us,
            last_end_us: acc.last_end_us,
        }
    }
}

/// Throughput and latency over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub interval_s: f64,
    /// Wall-clock start of the first interval, for epoch-timed samples (JTL timestamps without a
    /// zone are taken as written).
    pub start_unix_ms: Option<i64>,
    pub points: Vec<SeriesPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// Seconds since the first interval.
    pub t_s: f64,
    /// Requests that started in this interval.
    pub requests: u64,
    pub failures: u64,
    pub latency_mean_ms: Option<f64>,
    pub latency_max_ms: Option<f64>,
    /// Most active threads seen in this interval (JMeter `allThreads`).
    pub threads: Option<u32>,
    /// The exact sum and maximum of the interval's latencies in nanoseconds (from samples), so
    /// that series of several summaries merge exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_sum_ns: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_max_ns: Option<u64>,
}

/// The load side of a run summary. Field names are a contract (`summary --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadSummary {
    pub origin: Origin,
    pub requests: Option<u64>,
    pub successes: Option<u64>,
    pub failures: Option<u64>,
    /// Fraction 0..=1.
    pub success_rate: Option<f64>,
    pub duration_s: Option<f64>,
    pub rps: Option<f64>,
    /// How `rps` was obtained.
    pub rps_method: String,
    pub latency_ms: LatencyStats,
    /// How `latency_ms` was obtained.
    pub latency_method: String,
    /// Latency at many percentiles, for the percentile chart.
    pub percentile_curve: Vec<PercentilePoint>,
    /// Latency distribution, for the histogram chart.
    pub histogram: Vec<HistogramBucket>,
    /// Every distinct latency of the requests, in nanoseconds, with its count: the exact
    /// distribution, so summaries of several files merge into exactly the numbers one pass over
    /// all of them would give, and comparisons can test significance. Empty for reported loads.
    pub latency_histogram_ns: Vec<[u64; 2]>,
    pub status_codes: BTreeMap<String, u64>,
    pub errors: BTreeMap<String, u64>,
    /// Transaction-controller results (not counted as requests).
    pub transactions: u64,
    /// Sub-results (part of their parent sample, not counted as requests).
    pub sub_results: u64,
    pub bytes_total: Option<u64>,
    pub max_threads: Option<u32>,
    pub labels: Vec<LabelSummary>,
    pub series: Option<Series>,
    /// Samples without a timestamp (counted, but not in `series` or `duration_s`).
    pub untimed_samples: u64,
    /// Start of the first request and end of the last, in microseconds on the samples' clock
    /// (since 1970 for JTL files), when computed from timed samples: `duration_s` spans them,
    /// and summaries merge exactly with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_start_us: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_end_us: Option<i64>,
    /// The load tool's own figures, when the summary was computed from samples and the tool also
    /// printed a summary (e.g. oha JSON beside oha CSV), or when `origin` is `reported`.
    pub tool_reported: Option<ReportedLoad>,
}

impl LoadSummary {
    /// A summary of figures a tool reported, filling in only what follows arithmetically from
    /// them (e.g. requests = successes + failures), and saying so.
    pub fn from_reported(r: &ReportedLoad, tool: &str) -> Self {
        let status_total: u64 = r.status_codes.values().sum();
        let error_total: u64 = r.errors.values().sum();
        let requests = r
            .requests
            .or_else(|| Some(r.successes? + r.failures?))
            .or_else(|| (status_total + error_total > 0).then_some(status_total + error_total));
        // Error counts are failures only when the total itself was derived from them: some tools
        // (wrk) count socket errors as events, not requests.
        let requests_derived = r.requests.is_none() && r.successes.is_none();
        let failures = r
            .failures
            .or_else(|| Some(requests?.saturating_sub(r.successes?)))
            .or_else(|| (requests.is_some() && requests_derived).then_some(error_total));
        let successes = r
            .successes
            .or_else(|| Some(requests?.saturating_sub(failures?)));
        let success_rate = r.success_rate.or_else(|| ratio(successes?, requests?));
        let (rps, rps_method) = match (r.rps, requests, r.duration_s) {
            (Some(v), _, _) => (Some(v), format!("reported by {tool}")),
            (None, Some(n), Some(d)) if d > 0.0 => (
                Some(n as f64 / d),
                format!("computed from {tool}'s reported requests / duration"),
            ),
            _ => (None, format!("not reported by {tool}")),
        };
        let labels = r
            .labels
            .iter()
            .map(|l| LabelSummary {
                label: l.label.clone(),
                kind: SampleKind::Request,
                requests: l.requests.unwrap_or(0),
                failures: l.failures.unwrap_or(0),
                success_rate: match (l.requests, l.failures) {
                    (Some(n), Some(f)) if n > 0 => Some((n - f.min(n)) as f64 / n as f64),
                    _ => None,
                },
                rps: l.rps,
                latency_ms: LatencyStats::from_reported(&l.latency_ms),
                latency_histogram: None,
                first_start_us: None,
                last_end_us: None,
            })
            .collect();
        let summary = LoadSummary {
            origin: Origin::Reported,
            requests,
            successes,
            failures,
            success_rate,
            duration_s: r.duration_s,
            rps,
            rps_method,
            latency_ms: LatencyStats::from_reported(&r.latency_ms),
            percentile_curve: r
                .latency_ms
                .percentiles
                .iter()
                .map(|&(p, ms)| PercentilePoint { p, ms })
                .collect(),
            histogram: reported_histogram(r),
            latency_histogram_ns: Vec::new(),
            latency_method: format!("reported by {tool}"),
            status_codes: r.status_codes.clone(),
            errors: r.errors.clone(),
            transactions: 0,
            sub_results: 0,
            bytes_total: r.bytes_total,
            max_threads: None,
            labels,
            series: None,
            untimed_samples: 0,
            first_start_us: None,
            last_end_us: None,
            tool_reported: Some(r.clone()),
        };
        summary.with_exact_latency(&r.latency_histogram_ns)
    }
}

impl LoadSummary {
    /// Replaces reported latency figures with exact ones when the report carries the exact
    /// distribution (a benchreport summary of samples read back); other figures stay as reported.
    fn with_exact_latency(mut self, histogram_ns: &[[u64; 2]]) -> Self {
        if histogram_ns.is_empty() {
            return self;
        }
        let mut h = LatencyHistogram::new();
        for &[v, n] in histogram_ns {
            h.record_n(v, n);
        }
        self.latency_ms = LatencyStats::from_histogram(&h);
        self.percentile_curve = percentile_curve(&h);
        self.histogram = histogram_buckets(&h);
        self.latency_histogram_ns = h.iter().map(|(v, n)| [v, n]).collect();
        self.latency_method =
            "exact, from the latency histogram in a benchreport summary (nearest-rank percentiles)"
                .into();
        self
    }
}

/// A reported histogram (upper edges and counts, as oha prints it) as buckets: each bucket starts
/// where the previous ends; the first starts at the reported minimum (oha's first label is the
/// minimum itself).
fn reported_histogram(r: &ReportedLoad) -> Vec<HistogramBucket> {
    let mut lower = r
        .latency_ms
        .min
        .or_else(|| r.histogram.first().map(|b| b.0))
        .unwrap_or(0.0);
    r.histogram
        .iter()
        .map(|&(upper, count)| {
            let b = HistogramBucket {
                lower_ms: lower.min(upper),
                upper_ms: upper,
                count,
            };
            lower = upper;
            b
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(start_ms: i64, elapsed_ms: u64, success: bool, label: &str) -> Sample<'_> {
        Sample {
            start_us: Some(start_ms * 1000),
            elapsed_ns: elapsed_ms * 1_000_000,
            success,
            status: Some(if success { "200" } else { "500" }),
            label: Some(label),
            ..Sample::default()
        }
    }

    #[test]
    fn counts_requests_but_not_transactions_or_sub_results() {
        let mut acc = LoadAccumulator::new();
        acc.push(&sample(1_000, 10, true, "a"));
        acc.push(&sample(1_500, 30, false, "b"));
        acc.push(&Sample {
            kind: SampleKind::Transaction,
            ..sample(1_000, 40, true, "tc")
        });
        acc.push(&Sample {
            kind: SampleKind::SubResult,
            ..sample(1_000, 5, true, "a-0")
        });
        let s = acc.summarize(None);
        assert_eq!(s.requests, Some(2));
        assert_eq!(s.failures, Some(1));
        assert_eq!(s.transactions, 1);
        assert_eq!(s.sub_results, 1);
        // First start 1.000 s, last end 1.530 s.
        assert_eq!(s.duration_s, Some(0.53));
        assert_eq!(s.errors.get("500"), Some(&1));
        assert_eq!(s.labels.len(), 4);
        assert_eq!(s.latency_ms.max, Some(30.0));
    }

    #[test]
    fn histogram_buckets_hold_every_sample_exactly_once() {
        let mut h = LatencyHistogram::new();
        let values: Vec<u64> = (1..=500).map(|i| i * i * 7_919).collect();
        for &v in &values {
            h.record(v);
        }
        let buckets = histogram_buckets(&h);
        assert_eq!(buckets.len(), HISTOGRAM_BUCKETS);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 500);
        for (k, b) in buckets.iter().enumerate() {
            let expected = values
                .iter()
                .filter(|&&v| {
                    let ms = v as f64 / NS_PER_MS;
                    let above_lower = ms > b.lower_ms || (k == 0 && ms >= b.lower_ms);
                    above_lower && ms <= b.upper_ms
                })
                .count() as u64;
            assert_eq!(b.count, expected, "{b:?}");
        }
        let curve = percentile_curve(&h);
        assert_eq!(curve.first().unwrap().ms, 7_919.0 / NS_PER_MS);
        assert_eq!(
            curve.last().unwrap().ms,
            (500 * 500 * 7_919) as f64 / NS_PER_MS
        );
    }

    #[test]
    fn series_fills_empty_seconds() {
        let mut acc = LoadAccumulator::new();
        acc.push(&sample(10_000, 1, true, "a"));
        acc.push(&sample(12_999, 3, true, "a"));
        let series = acc.summarize(None).series.unwrap();
        let counts: Vec<u64> = series.points.iter().map(|p| p.requests).collect();
        assert_eq!(counts, vec![1, 0, 1]);
        assert_eq!(series.start_unix_ms, Some(10_000));
    }

    /// A sample from generated numbers: labels, kinds, errors and times vary.
    fn generated(i: usize, v: (u16, u8, u16, bool), messages: &[String]) -> Sample<'_> {
        const LABELS: [&str; 4] = ["a", "b", "c-0", "d"];
        let (ms, pick, err, timed) = v;
        let kind = match pick % 7 {
            5 => SampleKind::Transaction,
            6 => SampleKind::SubResult,
            _ => SampleKind::Request,
        };
        let failed = pick % 3 == 0;
        Sample {
            start_us: timed.then_some(1_000_000_000 + i as i64 * 37_000),
            elapsed_ns: u64::from(ms) * 1_000_000 + u64::from(pick % 2) * 1_500,
            success: !failed,
            status: Some(if failed { "500" } else { "200" }),
            label: Some(LABELS[usize::from(pick) % 4]),
            error: failed.then(|| messages[usize::from(err) % messages.len()].as_str()),
            threads: Some(u32::from(pick)),
            bytes: Some(u64::from(ms)),
            ttfb_ns: None,
            kind,
        }
    }

    proptest::proptest! {
        /// Accumulating two consecutive parts and merging them gives exactly the accumulator of
        /// the whole, including which error messages are kept when there are too many, unless the
        /// later part says it cannot merge exactly.
        #[test]
        fn merging_parts_equals_one_pass(
            values in proptest::collection::vec((0u16..3000, 0u8..255, 0u16..2000, proptest::bool::ANY), 0..3000),
            cut in 0usize..3000,
            distinct in 1usize..2000,
        ) {
            let messages: Vec<String> = (0..distinct).map(|i| format!("error {i}")).collect();
            let cut = cut.min(values.len());
            let mut whole = LoadAccumulator::new();
            let mut first = LoadAccumulator::new();
            let mut second = first.empty();
            for (i, v) in values.iter().enumerate() {
                let s = generated(i, *v, &messages);
                whole.push(&s);
                if i < cut { first.push(&s) } else { second.push(&s) }
            }
            if second.merges_exactly() {
                first.merge(second);
                proptest::prop_assert_eq!(first.summarize(None), whole.summarize(None));
            }
        }
    }

    #[test]
    fn a_later_part_that_lumped_errors_does_not_merge_exactly() {
        let messages: Vec<String> = (0..=MAX_DISTINCT_ERRORS).map(|i| format!("e{i}")).collect();
        let mut acc = LoadAccumulator::new();
        for (i, m) in messages.iter().enumerate() {
            acc.push(&Sample {
                error: Some(m),
                ..sample(i as i64, 1, false, "a")
            });
        }
        assert!(!acc.merges_exactly());
        assert_eq!(acc.summarize(None).errors.get(OTHER_ERRORS), Some(&1));
        // The earlier part may have lumped: merging after it stays exact.
        let mut later = acc.empty();
        later.push(&Sample {
            error: Some("e0"),
            ..sample(5_000, 1, false, "a")
        });
        assert!(later.merges_exactly());
        acc.merge(later);
        assert_eq!(acc.summarize(None).errors.get("e0"), Some(&2));
    }

    #[test]
    fn reported_totals_are_derived_from_status_and_errors() {
        let mut r = ReportedLoad::default();
        r.status_codes.insert("200".into(), 90);
        r.errors.insert("timeout".into(), 10);
        r.duration_s = Some(10.0);
        let s = LoadSummary::from_reported(&r, "oha");
        assert_eq!(s.requests, Some(100));
        assert_eq!(s.failures, Some(10));
        assert_eq!(s.successes, Some(90));
        assert_eq!(s.success_rate, Some(0.9));
        assert_eq!(s.rps, Some(10.0));
    }
}
