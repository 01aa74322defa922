//! `benchreport compare`: a candidate against a baseline, metric by metric, with noise-aware
//! verdicts and threshold gates. Everything is computed here; `crate::render::compare` only
//! formats a [`Comparison`].
//!
//! # Sides and repeated runs
//! Each side is every run found in its inputs (files, run folders, `summary.json` files). Several
//! runs on one side are taken as repetitions of the same system and pooled:
//! - latency percentiles, mean and max come from the merged exact histograms when every run has
//!   one (the percentile of all requests together), else they are the mean of the runs' figures
//!   (max: the largest);
//! - success and error rates are total successes / total requests;
//! - RPS, CPU and memory figures are the mean of the runs' figures.
//!
//! Each run's own value is kept (`baseline_runs`, `candidate_runs`) so the spread is visible.
//!
//! # Verdicts
//! A metric's change is *relative* (`candidate / baseline - 1`), except for success and error
//! rates, whose change is the difference in percentage points. The verdict is:
//! - `unavailable` when a side lacks the figure;
//! - `within_noise` when the change is smaller than the noise floor (default 5%; for rates 0.1
//!   point when no test applies), or when a significance test applies and is not significant;
//! - else `better` or `worse`, by the metric's direction.
//!
//! Significance tests (at `alpha`, default 0.05 / 95% confidence), each used where its data
//! exists; when several apply, all must be significant:
//! - latency percentiles with exact histograms on both sides: bootstrap confidence interval of the
//!   relative change (must exclude zero);
//! - RPS with per-second request counts on both sides (raw samples with timestamps, at least
//!   [`MIN_SECONDS`] full seconds): bootstrap confidence interval of the change of the mean
//!   requests per second, expressed around the observed RPS change;
//! - success and error rates with request counts on both sides: two-proportion z-test;
//! - any metric when both sides have at least [`MIN_RUNS_FOR_T_TEST`] runs: Welch's t-test over
//!   the runs' values.
//!
//! With summaries only (no raw samples, one run per side) no test applies: the report says so,
//! and the noise floor and thresholds decide. The latency distributions as a whole are compared
//! with the Mann–Whitney U test ([`LatencyTest`]).

pub mod metric;
pub mod threshold;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::model::SampleKind;
use crate::stats::histogram::LatencyHistogram;
use crate::stats::load::{LabelSummary, LoadAccumulator, LoadSummary};
use crate::stats::significance::{self, BootstrapSettings, Interval, MannWhitney};
use crate::stats::{Generator, RunSummary};
pub use metric::{Better, Metric, Unit, ALL_METRICS, DEFAULT_METRICS, LABEL_METRICS};
pub use threshold::{parse_threshold, Bound, Op, Threshold};

/// Version of the comparison JSON (`compare --format json`), `MAJOR.MINOR` like the summary's.
pub const COMPARISON_SCHEMA_VERSION: &str = "1.0";
/// Fewest full seconds of per-second counts on each side for an RPS bootstrap.
pub const MIN_SECONDS: usize = 5;
/// Fewest runs on each side for Welch's t-test over runs: with two runs a side, the variance
/// estimates leave about one degree of freedom and even a large change is rarely significant,
/// which would let more runs hide a regression that one run would have shown.
pub const MIN_RUNS_FOR_T_TEST: usize = 3;
/// The change in success or error rate (a fraction: 0.001 = 0.1 point) below which it is noise
/// when no test applies (no request counts).
pub const RATE_NOISE_FLOOR: f64 = 0.001;
/// Mann–Whitney: a probability of superiority this close to 0.5 is a negligible shift, however
/// small the p-value (Vargha and Delaney's "negligible" band, A within 0.44..0.56).
pub const NEGLIGIBLE_SHIFT: f64 = 0.06;

/// How a comparison decides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// The smallest relative change that can be called better or worse (0.05 = 5%).
    pub noise_floor: f64,
    /// Significance level of the tests; bootstrap intervals are at `1 - alpha` confidence.
    pub alpha: f64,
    pub bootstrap: BootstrapSettings,
    /// Breach relative thresholds even when the change is within noise.
    pub strict: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            noise_floor: 0.05,
            alpha: 0.05,
            bootstrap: BootstrapSettings::default(),
            strict: false,
        }
    }
}

/// One side of a comparison: its inputs and the runs found in them.
#[derive(Debug, Clone)]
pub struct Side {
    pub inputs: Vec<PathBuf>,
    pub runs: Vec<RunSummary>,
}

/// Everything `compare` prints, in every format. Field names are a contract
/// (`docs/compare-format.md`).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub schema_version: &'static str,
    pub kind: &'static str,
    pub generator: Generator,
    pub baseline: SideInfo,
    pub candidate: SideInfo,
    pub settings: Settings,
    pub metrics: Vec<MetricRow>,
    /// Mann–Whitney U test of all requests' latencies; `null` without exact histograms.
    pub latency_test: Option<LatencyTest>,
    /// Per request label (JMeter), for labels with several values on either side.
    pub labels: Vec<LabelComparison>,
    pub thresholds: Vec<ThresholdResult>,
    pub status: Status,
    pub exit_code: u8,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SideInfo {
    pub inputs: Vec<PathBuf>,
    /// The pooled runs, by name.
    pub runs: Vec<String>,
    /// Whether every run has its exact latency distribution (raw samples).
    pub exact_latency: bool,
    /// Total requests, when every run counted them.
    pub requests: Option<u64>,
}

/// One metric of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    pub metric: Metric,
    pub title: &'static str,
    pub unit: Unit,
    pub better: Better,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    /// Each pooled run's value, when the side has several runs (empty otherwise).
    pub baseline_runs: Vec<f64>,
    pub candidate_runs: Vec<f64>,
    pub change: Option<Change>,
    /// The significance tests that applied; empty when none could (summaries only).
    pub tests: Vec<Test>,
    pub verdict: Verdict,
}

impl MetricRow {
    /// The change that verdicts and relative thresholds use: relative, or points for rates.
    pub fn decisive_change(&self) -> Option<f64> {
        let change = self.change.as_ref()?;
        if self.metric.changes_in_points() {
            Some(change.absolute)
        } else {
            change.relative
        }
    }
}

/// Candidate minus baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// In the metric's unit (rates: a difference of fractions, 0.01 = 1 percentage point).
    pub absolute: f64,
    /// `candidate / baseline - 1`; `null` when the baseline is zero.
    pub relative: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestMethod {
    /// Bootstrap confidence interval of the change (must exclude zero).
    Bootstrap,
    /// Two-proportion z-test of success rates from request counts.
    TwoProportionZ,
    /// Welch's t-test over the per-run values of repeated runs.
    WelchT,
}

/// A significance test of one metric's change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Test {
    pub method: TestMethod,
    /// For z- and t-tests.
    pub p_value: Option<f64>,
    /// For the bootstrap: the interval of the change (relative; points for rates).
    pub ci: Option<Interval>,
    pub significant: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Better,
    Worse,
    WithinNoise,
    Unavailable,
}

/// The Mann–Whitney U test of two latency distributions, with its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencyTest {
    #[serde(flatten)]
    pub result: MannWhitney,
    /// `worse` when the candidate is significantly and non-negligibly slower.
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelComparison {
    pub label: String,
    pub kind: SampleKind,
    pub metrics: Vec<MetricRow>,
    pub latency_test: Option<LatencyTest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdStatus {
    /// Within the bound.
    Pass,
    /// Beyond the bound (for a relative one: and not within noise, or `--strict`).
    Breach,
    /// A relative bound was exceeded, but the change is within noise: not a breach.
    WithinNoise,
    /// The figure is missing, so the threshold cannot be judged.
    Unavailable,
}

/// A threshold and how the data measured up to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdResult {
    /// The expression, e.g. `p99<=+15%`.
    pub threshold: Threshold,
    pub metric: Metric,
    pub relative: bool,
    /// The bound: in the metric's unit, or a change (fraction; points for rates).
    pub bound: f64,
    /// The value (absolute) or change (relative) that was held against the bound.
    pub observed: Option<f64>,
    pub status: ThresholdStatus,
    /// Why a threshold is unavailable.
    pub reason: Option<String>,
}

/// The result of a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every threshold holds (or there are none).
    Pass,
    /// At least one threshold is breached.
    Breach,
    /// A threshold could not be evaluated (a figure is missing).
    Unevaluable,
}

impl Status {
    /// The exit status: 0 pass, 1 breach, 2 a threshold could not be evaluated (bad input).
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Pass => 0,
            Status::Breach => 1,
            Status::Unevaluable => 2,
        }
    }

    /// A missing figure makes the gate unevaluable even when another threshold is breached:
    /// the configuration or input needs fixing first.
    pub fn of<'r>(results: impl IntoIterator<Item = &'r ThresholdResult>) -> Status {
        let mut status = Status::Pass;
        for r in results {
            match r.status {
                ThresholdStatus::Unavailable => return Status::Unevaluable,
                ThresholdStatus::Breach => status = Status::Breach,
                _ => {}
            }
        }
        status
    }
}

/// Compares `candidate` against `baseline`.
pub fn compare(
    baseline: &Side,
    candidate: &Side,
    thresholds: &[Threshold],
    settings: &Settings,
) -> Comparison {
    let pool_b = Pool::of_runs(&baseline.runs);
    let pool_c = Pool::of_runs(&candidate.runs);
    let mut wanted: Vec<Metric> = DEFAULT_METRICS.to_vec();
    for t in thresholds {
        if !wanted.contains(&t.metric) {
            wanted.push(t.metric);
        }
    }
    wanted.sort_by_key(|m| ALL_METRICS.iter().position(|a| a == m));
    let metrics: Vec<MetricRow> = wanted
        .into_iter()
        .map(|m| metric_row(m, &pool_b, &pool_c, settings))
        .filter(|row| {
            row.baseline.is_some()
                || row.candidate.is_some()
                || thresholds.iter().any(|t| t.metric == row.metric)
        })
        .collect();
    let thresholds: Vec<ThresholdResult> = thresholds
        .iter()
        .map(|t| evaluate_in_comparison(t, &metrics, settings.strict))
        .collect();
    let status = Status::of(&thresholds);
    Comparison {
        schema_version: COMPARISON_SCHEMA_VERSION,
        kind: "benchreport-comparison",
        generator: Generator::this(),
        baseline: side_info(baseline, &pool_b),
        candidate: side_info(candidate, &pool_c),
        settings: settings.clone(),
        latency_test: latency_test(&pool_b, &pool_c, settings),
        labels: compare_labels(baseline, candidate, settings),
        notes: notes(&pool_b, &pool_c, &metrics, settings),
        metrics,
        thresholds,
        status,
        exit_code: status.exit_code(),
    }
}

fn side_info(side: &Side, pool: &Pool) -> SideInfo {
    SideInfo {
        inputs: side.inputs.clone(),
        runs: side.runs.iter().map(|r| r.name.clone()).collect(),
        exact_latency: pool.hist.is_some(),
        requests: pool.counts.map(|(requests, _)| requests),
    }
}

/// One run's view of a scope (the whole run, or one label).
#[derive(Clone, Copy)]
enum View<'a> {
    Run(&'a RunSummary),
    Label(&'a LabelSummary),
}

impl View<'_> {
    fn value(self, metric: Metric) -> Option<f64> {
        match self {
            View::Run(run) => metric.of_run(run),
            View::Label(label) => metric.of_label(label),
        }
    }

    fn histogram(self) -> Option<LatencyHistogram> {
        match self {
            View::Run(run) => run
                .load
                .as_ref()
                .filter(|l| !l.latency_histogram_ns.is_empty())
                .map(LoadAccumulator::histogram_of),
            View::Label(label) => label.latency_histogram.clone(),
        }
    }

    /// (requests, successes), when counted.
    fn counts(self) -> Option<(u64, u64)> {
        match self {
            View::Run(run) => {
                let load = run.load.as_ref()?;
                Some((load.requests?, load.successes?))
            }
            View::Label(label) => Some((
                label.requests,
                label.requests.saturating_sub(label.failures),
            )),
        }
    }

    /// Requests in each full second (the first and last, partial, seconds left out).
    fn per_second(self) -> Vec<f64> {
        let series = match self {
            View::Run(run) => run
                .load
                .as_ref()
                .and_then(|l: &LoadSummary| l.series.as_ref()),
            View::Label(_) => None,
        };
        match series.map(|s| s.points.as_slice()) {
            Some([_, inner @ .., _]) => inner.iter().map(|p| p.requests as f64).collect(),
            _ => Vec::new(),
        }
    }
}

/// One side's observations of one scope: per run, and pooled.
struct Pool<'a> {
    views: Vec<View<'a>>,
    /// The merged exact histogram, when every run has one.
    hist: Option<LatencyHistogram>,
    /// Total (requests, successes), when every run counted them.
    counts: Option<(u64, u64)>,
    /// Full-second request counts of every run, when every run has them.
    per_second: Vec<f64>,
}

impl<'a> Pool<'a> {
    fn of_runs(runs: &'a [RunSummary]) -> Self {
        Pool::new(runs.iter().map(View::Run).collect())
    }

    fn new(views: Vec<View<'a>>) -> Self {
        let hist = merged(views.iter().map(|v| v.histogram()));
        let counts = views
            .iter()
            .map(|v| v.counts())
            .try_fold((0, 0), |(n, s), c| c.map(|(cn, cs)| (n + cn, s + cs)))
            .filter(|&(n, _)| n > 0);
        let per_second: Vec<Vec<f64>> = views.iter().map(|v| v.per_second()).collect();
        let per_second = if per_second.iter().all(|s| !s.is_empty()) {
            per_second.concat()
        } else {
            Vec::new()
        };
        Pool {
            views,
            hist,
            counts,
            per_second,
        }
    }

    fn run_values(&self, metric: Metric) -> Vec<f64> {
        self.views.iter().filter_map(|v| v.value(metric)).collect()
    }

    /// The side's value (see the module documentation for the pooling rules).
    fn value(&self, metric: Metric) -> Option<f64> {
        let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let from_counts = self.counts.map(|(n, s)| s as f64 / n as f64);
        match metric {
            Metric::SuccessRate => from_counts.or_else(|| mean(self.run_values(metric))),
            Metric::ErrorRate => self
                .counts
                .map(|(n, s)| (n - s) as f64 / n as f64)
                .or_else(|| mean(self.run_values(metric))),
            Metric::Max => match &self.hist {
                Some(h) => h.max_ns().map(ns_to_ms),
                None => self.run_values(metric).into_iter().reduce(f64::max),
            },
            Metric::Mean => match &self.hist {
                Some(h) => h.mean_ns().map(|v| v / 1e6),
                None => mean(self.run_values(metric)),
            },
            m => match (m.percentile(), &self.hist) {
                (Some(p), Some(h)) => h.percentile_ns(p).map(ns_to_ms),
                _ => mean(self.run_values(metric)),
            },
        }
    }
}

fn ns_to_ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

fn merged(hists: impl Iterator<Item = Option<LatencyHistogram>>) -> Option<LatencyHistogram> {
    let mut out: Option<LatencyHistogram> = None;
    for h in hists {
        let h = h?;
        match &mut out {
            None => out = Some(h),
            Some(acc) => acc.merge(&h),
        }
    }
    out.filter(|h| !h.is_empty())
}

fn metric_row(metric: Metric, base: &Pool, cand: &Pool, settings: &Settings) -> MetricRow {
    let (b, c) = (base.value(metric), cand.value(metric));
    let change = match (b, c) {
        (Some(b), Some(c)) => Some(Change {
            absolute: c - b,
            relative: (b != 0.0).then(|| c / b - 1.0),
        }),
        _ => None,
    };
    let several = |pool: &Pool| {
        let values = pool.run_values(metric);
        if values.len() > 1 {
            values
        } else {
            Vec::new()
        }
    };
    let mut row = MetricRow {
        metric,
        title: metric.title(),
        unit: metric.unit(),
        better: metric.better(),
        baseline: b,
        candidate: c,
        baseline_runs: several(base),
        candidate_runs: several(cand),
        change,
        tests: if change.is_some() {
            tests(metric, base, cand, change, settings)
        } else {
            Vec::new()
        },
        verdict: Verdict::Unavailable,
    };
    row.verdict = verdict(&row, settings);
    row
}

/// The significance tests that apply to a metric (see the module documentation).
fn tests(
    metric: Metric,
    base: &Pool,
    cand: &Pool,
    change: Option<Change>,
    settings: &Settings,
) -> Vec<Test> {
    let mut out = Vec::new();
    let boot = BootstrapSettings {
        confidence: 1.0 - settings.alpha,
        ..settings.bootstrap
    };
    let interval_test = |ci: Interval| Test {
        method: TestMethod::Bootstrap,
        p_value: None,
        ci: Some(ci),
        significant: ci.excludes_zero(),
    };
    let p_test = |method, p: f64| Test {
        method,
        p_value: Some(p),
        ci: None,
        significant: p < settings.alpha,
    };
    if let (Some(p), Some(hb), Some(hc)) = (metric.percentile(), &base.hist, &cand.hist) {
        if let Some(ci) = significance::percentile_change_cis(hb, hc, &[p], &boot)[0] {
            out.push(interval_test(ci));
        }
    }
    if metric == Metric::Rps
        && base.per_second.len() >= MIN_SECONDS
        && cand.per_second.len() >= MIN_SECONDS
    {
        let observed = change.and_then(|c| c.relative);
        if let (Some(ci), Some(observed)) = (
            significance::mean_ratio_ci(&base.per_second, &cand.per_second, &boot),
            observed,
        ) {
            out.push(interval_test(recentre(
                ci,
                &base.per_second,
                &cand.per_second,
                observed,
            )));
        }
    }
    if metric.changes_in_points() {
        if let (Some((nb, sb)), Some((nc, sc))) = (base.counts, cand.counts) {
            if let Some(r) = significance::two_proportion_test(sb, nb, sc, nc) {
                out.push(p_test(TestMethod::TwoProportionZ, r.p_value));
            }
        }
    }
    let (runs_b, runs_c) = (base.run_values(metric), cand.run_values(metric));
    if runs_b.len() >= MIN_RUNS_FOR_T_TEST && runs_c.len() >= MIN_RUNS_FOR_T_TEST {
        if let Some(r) = significance::welch_t_test(&runs_b, &runs_c) {
            out.push(p_test(TestMethod::WelchT, r.p_value));
        }
    }
    out
}

/// Moves a bootstrap interval of the change of mean per-second counts onto the observed RPS
/// change, keeping its relative width: `(1 + observed) * (1 + ci) / (1 + mean change) - 1`.
fn recentre(ci: Interval, base: &[f64], cand: &[f64], observed: f64) -> Interval {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let ratio = mean(cand) / mean(base);
    let shift = |x: f64| (1.0 + observed) * (1.0 + x) / ratio - 1.0;
    Interval {
        low: shift(ci.low),
        high: shift(ci.high),
    }
}

fn verdict(row: &MetricRow, settings: &Settings) -> Verdict {
    let (Some(b), Some(c)) = (row.baseline, row.candidate) else {
        return Verdict::Unavailable;
    };
    if b == c {
        return Verdict::WithinNoise;
    }
    let floor = match (row.metric.changes_in_points(), row.tests.is_empty()) {
        (true, true) => RATE_NOISE_FLOOR,
        (true, false) => 0.0,
        (false, _) => settings.noise_floor,
    };
    // A zero baseline has no relative change: any change is beyond the floor.
    let beyond_floor = row.decisive_change().map_or(true, |d| d.abs() >= floor);
    if !beyond_floor || row.tests.iter().any(|t| !t.significant) {
        return Verdict::WithinNoise;
    }
    direction(row.better, c > b)
}

fn direction(better: Better, increased: bool) -> Verdict {
    match (better, increased) {
        (Better::Higher, true) | (Better::Lower, false) => Verdict::Better,
        _ => Verdict::Worse,
    }
}

fn latency_test(base: &Pool, cand: &Pool, settings: &Settings) -> Option<LatencyTest> {
    let result = significance::mann_whitney(base.hist.as_ref()?, cand.hist.as_ref()?)?;
    let shift = result.prob_candidate_slower - 0.5;
    let verdict = if result.p_value < settings.alpha && shift.abs() >= NEGLIGIBLE_SHIFT {
        direction(Better::Lower, shift > 0.0)
    } else {
        Verdict::WithinNoise
    };
    Some(LatencyTest { result, verdict })
}

/// Per-label comparisons, for labels found on both sides, when a side has more than one label
/// (a single label is the whole run again).
fn compare_labels(baseline: &Side, candidate: &Side, settings: &Settings) -> Vec<LabelComparison> {
    let (lb, lc) = (labels_of(baseline), labels_of(candidate));
    if lb.len() <= 1 && lc.len() <= 1 {
        return Vec::new();
    }
    lb.iter()
        .filter_map(|(key, labels_b)| {
            let labels_c = lc.get(key)?;
            let pool_b = Pool::new(labels_b.iter().map(|l| View::Label(l)).collect());
            let pool_c = Pool::new(labels_c.iter().map(|l| View::Label(l)).collect());
            Some(LabelComparison {
                label: key.0.clone(),
                kind: key.1,
                metrics: LABEL_METRICS
                    .iter()
                    .map(|&m| metric_row(m, &pool_b, &pool_c, settings))
                    .filter(|r| r.baseline.is_some() || r.candidate.is_some())
                    .collect(),
                latency_test: latency_test(&pool_b, &pool_c, settings),
            })
        })
        .collect()
}

type LabelKey = (String, SampleKind);

fn labels_of(side: &Side) -> BTreeMap<LabelKey, Vec<&LabelSummary>> {
    let mut map: BTreeMap<LabelKey, Vec<&LabelSummary>> = BTreeMap::new();
    for run in &side.runs {
        for label in run.load.iter().flat_map(|l| &l.labels) {
            map.entry((label.label.clone(), label.kind))
                .or_default()
                .push(label);
        }
    }
    map
}

/// What a reader must know to trust the verdicts.
fn notes(base: &Pool, cand: &Pool, metrics: &[MetricRow], settings: &Settings) -> Vec<String> {
    let mut notes = Vec::new();
    for (name, pool) in [("baseline", base), ("candidate", cand)] {
        if pool.views.len() > 1 {
            notes.push(format!(
                "the {name} pools {} runs as repetitions of one system",
                pool.views.len()
            ));
        }
    }
    let without_distribution = match (base.hist.is_none(), cand.hist.is_none()) {
        (true, true) => Some("neither side has an"),
        (true, false) => Some("the baseline has no"),
        (false, true) => Some("the candidate has no"),
        (false, false) => None,
    };
    if let Some(who) = without_distribution {
        notes.push(format!(
            "{who} exact latency distribution (figures reported by the load tool, or not every \
             run has raw samples): latency significance cannot be computed"
        ));
    }
    let untested: Vec<&str> = metrics
        .iter()
        .filter(|r| r.change.is_some() && r.tests.is_empty())
        .map(|r| r.metric.key())
        .collect();
    if !untested.is_empty() {
        notes.push(format!(
            "no significance test applies to {}: changes smaller than {} are within noise, and \
             relative thresholds decide the rest",
            untested.join(", "),
            percent(settings.noise_floor)
        ));
    }
    notes
}

fn percent(fraction: f64) -> String {
    format!("{}%", (fraction * 1000.0).round() / 10.0)
}

/// Evaluates a threshold against a comparison's metric rows.
fn evaluate_in_comparison(t: &Threshold, rows: &[MetricRow], strict: bool) -> ThresholdResult {
    let row = rows.iter().find(|r| r.metric == t.metric);
    if !t.is_relative() {
        return evaluate_absolute(t, row.and_then(|r| r.candidate), "the candidate");
    }
    let missing = match row {
        None => Some("neither side has this figure".to_string()),
        Some(r) if r.baseline.is_none() => Some("the baseline has no such figure".to_string()),
        Some(r) if r.candidate.is_none() => Some("the candidate has no such figure".to_string()),
        Some(r) if r.decisive_change().is_none() => {
            Some("the baseline is zero, so there is no relative change".to_string())
        }
        _ => None,
    };
    let (Some(row), None) = (row, &missing) else {
        return unavailable(t, missing.unwrap_or_default());
    };
    let change = row.decisive_change().unwrap_or_default();
    let status = if t.holds(change) {
        ThresholdStatus::Pass
    } else if row.verdict == Verdict::WithinNoise && !strict {
        ThresholdStatus::WithinNoise
    } else {
        ThresholdStatus::Breach
    };
    result(t, Some(change), status, None)
}

/// Evaluates an absolute threshold against a value (`who` names its owner in the reason).
pub fn evaluate_absolute(t: &Threshold, value: Option<f64>, who: &str) -> ThresholdResult {
    if t.is_relative() {
        return unavailable(
            t,
            "a relative threshold needs a baseline (benchreport compare)".into(),
        );
    }
    match value {
        None => unavailable(t, format!("{who} has no {} figure", t.metric.title())),
        Some(v) if t.holds(v) => result(t, Some(v), ThresholdStatus::Pass, None),
        Some(v) => result(t, Some(v), ThresholdStatus::Breach, None),
    }
}

fn unavailable(t: &Threshold, reason: String) -> ThresholdResult {
    result(t, None, ThresholdStatus::Unavailable, Some(reason))
}

fn result(
    t: &Threshold,
    observed: Option<f64>,
    status: ThresholdStatus,
    reason: Option<String>,
) -> ThresholdResult {
    ThresholdResult {
        threshold: t.clone(),
        metric: t.metric,
        relative: t.is_relative(),
        bound: t.bound_value(),
        observed,
        status,
        reason,
    }
}

/// A threshold checked against one run (`summary` and `build`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunThresholdResult {
    pub run: String,
    #[serde(flatten)]
    pub result: ThresholdResult,
}

/// Checks absolute thresholds against every run.
pub fn check_runs(thresholds: &[Threshold], runs: &[RunSummary]) -> Vec<RunThresholdResult> {
    thresholds
        .iter()
        .flat_map(|t| {
            runs.iter().map(move |run| RunThresholdResult {
                run: run.name.clone(),
                result: evaluate_absolute(t, t.metric.of_run(run), &format!("run '{}'", run.name)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReportedLatency, ReportedLoad, ReportedResources, Sample, SampleSink};
    use crate::stats::resources::ResourceSummary;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn run(name: &str, load: Option<LoadSummary>) -> RunSummary {
        RunSummary {
            name: name.to_string(),
            sources: Vec::new(),
            load,
            resources: None,
            efficiency: None,
            warnings: Vec::new(),
        }
    }

    /// A run as a tool reports it: RPS, request counts, p50/p95 and max.
    fn reported(name: &str, rps: f64, requests: u64, failures: u64, p95_ms: f64) -> RunSummary {
        let r = ReportedLoad {
            rps: Some(rps),
            requests: Some(requests),
            failures: Some(failures),
            latency_ms: ReportedLatency {
                max: Some(p95_ms * 2.0),
                percentiles: vec![(50.0, p95_ms / 2.0), (95.0, p95_ms)],
                ..ReportedLatency::default()
            },
            ..ReportedLoad::default()
        };
        run(name, Some(LoadSummary::from_reported(&r, "oha")))
    }

    fn with_cpu(mut run: RunSummary, cpu_peak: f64) -> RunSummary {
        run.resources = Some(ResourceSummary::from_reported(&ReportedResources {
            cpu_peak_percent: Some(cpu_peak),
            ..ReportedResources::default()
        }));
        run
    }

    /// A run of `n` raw samples, log-normal latencies around `median_ms`, one request every
    /// 3.333 ms (300 per second), from a fixed seed.
    fn sampled(name: &str, n: usize, median_ms: f64, seed: u64) -> RunSummary {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut acc = LoadAccumulator::new();
        for i in 0..n {
            let (u1, u2): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let us = (median_ms * 1000.0 * (0.5 * z).exp()).round() as u64;
            acc.push(&Sample {
                start_us: Some(1_000_000_000 + i as i64 * 3_333),
                elapsed_ns: us * 1000,
                ..Sample::default()
            });
        }
        run(name, Some(acc.summarize(None)))
    }

    fn side(runs: Vec<RunSummary>) -> Side {
        Side {
            inputs: vec![PathBuf::from("x")],
            runs,
        }
    }

    fn settings() -> Settings {
        Settings {
            bootstrap: BootstrapSettings {
                resamples: 400,
                ..BootstrapSettings::default()
            },
            ..Settings::default()
        }
    }

    fn thresholds(exprs: &[&str]) -> Vec<Threshold> {
        exprs.iter().map(|e| parse_threshold(e).unwrap()).collect()
    }

    fn row(c: &Comparison, m: Metric) -> &MetricRow {
        c.metrics.iter().find(|r| r.metric == m).unwrap()
    }

    fn status(c: &Comparison, expr: &str) -> ThresholdStatus {
        c.thresholds
            .iter()
            .find(|r| r.threshold.expression() == expr)
            .unwrap()
            .status
    }

    #[test]
    fn summaries_only_use_the_noise_floor_and_relative_thresholds() {
        let base = side(vec![reported("a", 100.0, 1000, 0, 200.0)]);
        let slower = side(vec![reported("b", 80.0, 1000, 0, 260.0)]);
        let ts = thresholds(&["rps>=-10%", "rps>=-25%", "p95<=+50%", "p95<=+10%"]);
        let c = compare(&base, &slower, &ts, &settings());
        let rps = row(&c, Metric::Rps);
        assert!(rps.tests.is_empty());
        assert_eq!(rps.change.unwrap().relative, Some(80.0 / 100.0 - 1.0));
        assert_eq!(rps.verdict, Verdict::Worse);
        assert_eq!(row(&c, Metric::P95).verdict, Verdict::Worse);
        assert_eq!(status(&c, "rps>=-10%"), ThresholdStatus::Breach);
        assert_eq!(status(&c, "rps>=-25%"), ThresholdStatus::Pass);
        assert_eq!(status(&c, "p95<=+50%"), ThresholdStatus::Pass);
        assert_eq!(status(&c, "p95<=+10%"), ThresholdStatus::Breach);
        assert_eq!((c.status, c.exit_code), (Status::Breach, 1));
        assert!(c.latency_test.is_none());
        assert!(c
            .notes
            .iter()
            .any(|n| n.contains("neither side has an exact latency")));
        // The reverse is an improvement: every threshold holds.
        let c = compare(&slower, &base, &thresholds(&["rps>=-10%"]), &settings());
        assert_eq!(row(&c, Metric::Rps).verdict, Verdict::Better);
        assert_eq!((c.status, c.exit_code), (Status::Pass, 0));
    }

    #[test]
    fn a_change_within_noise_breaches_only_when_strict() {
        let base = side(vec![reported("a", 100.0, 1000, 0, 200.0)]);
        let cand = side(vec![reported("b", 97.0, 1000, 0, 200.0)]);
        let ts = thresholds(&["rps>=-2%"]);
        let c = compare(&base, &cand, &ts, &settings());
        assert_eq!(row(&c, Metric::Rps).verdict, Verdict::WithinNoise);
        assert_eq!(status(&c, "rps>=-2%"), ThresholdStatus::WithinNoise);
        assert_eq!(c.exit_code, 0);
        let strict = Settings {
            strict: true,
            ..settings()
        };
        let c = compare(&base, &cand, &ts, &strict);
        assert_eq!(status(&c, "rps>=-2%"), ThresholdStatus::Breach);
        assert_eq!(c.exit_code, 1);
        let lower_floor = Settings {
            noise_floor: 0.01,
            ..settings()
        };
        let c = compare(&base, &cand, &ts, &lower_floor);
        assert_eq!(row(&c, Metric::Rps).verdict, Verdict::Worse);
        assert_eq!(c.exit_code, 1);
    }

    #[test]
    fn absolute_thresholds_judge_the_candidate_and_missing_figures_are_errors() {
        let base = side(vec![with_cpu(reported("a", 100.0, 1000, 0, 200.0), 50.0)]);
        let cand = side(vec![with_cpu(reported("b", 100.0, 1000, 20, 450.0), 90.0)]);
        let ts = thresholds(&[
            "p95<500ms",
            "p95<400ms",
            "error_rate<1%",
            "success_rate>=95%",
            "cpu_peak<=80%",
        ]);
        let c = compare(&base, &cand, &ts, &settings());
        assert_eq!(status(&c, "p95<500ms"), ThresholdStatus::Pass);
        assert_eq!(status(&c, "p95<400ms"), ThresholdStatus::Breach);
        assert_eq!(status(&c, "error_rate<1%"), ThresholdStatus::Breach);
        assert_eq!(status(&c, "success_rate>=95%"), ThresholdStatus::Pass);
        assert_eq!(status(&c, "cpu_peak<=80%"), ThresholdStatus::Breach);
        let error_rate = c.thresholds.iter().find(|r| r.metric == Metric::ErrorRate);
        assert_eq!(
            error_rate.unwrap().observed,
            Some(0.02),
            "20 of 1000, exactly"
        );
        assert_eq!(c.exit_code, 1);
        // Without a resource log the CPU gate cannot be judged: exit 2, even with a breach.
        let cand = side(vec![reported("b", 100.0, 1000, 20, 450.0)]);
        let c = compare(&base, &cand, &ts, &settings());
        let cpu = c
            .thresholds
            .iter()
            .find(|r| r.metric == Metric::CpuPeak)
            .unwrap();
        assert_eq!(cpu.status, ThresholdStatus::Unavailable);
        assert!(cpu
            .reason
            .as_deref()
            .unwrap()
            .contains("the candidate has no peak CPU"));
        assert_eq!((c.status, c.exit_code), (Status::Unevaluable, 2));
    }

    #[test]
    fn success_rates_are_judged_by_a_two_proportion_test_in_points() {
        let base = side(vec![reported("a", 100.0, 1000, 10, 200.0)]);
        let worse = side(vec![reported("b", 100.0, 1000, 30, 200.0)]);
        let same = side(vec![reported("c", 100.0, 1000, 12, 200.0)]);
        let ts = thresholds(&["success_rate>=-1%", "error_rate<=+0.5pp"]);
        let c = compare(&base, &worse, &ts, &settings());
        let r = row(&c, Metric::SuccessRate);
        assert!((r.decisive_change().unwrap() - -0.02).abs() < 1e-12);
        assert_eq!(r.tests[0].method, TestMethod::TwoProportionZ);
        assert!((r.tests[0].p_value.unwrap() - 0.001_401_3).abs() < 1e-6);
        assert_eq!(r.verdict, Verdict::Worse);
        assert_eq!(status(&c, "success_rate>=-1%"), ThresholdStatus::Breach);
        assert_eq!(status(&c, "error_rate<=+0.5pp"), ThresholdStatus::Breach);
        let c = compare(&base, &same, &ts, &settings());
        assert_eq!(row(&c, Metric::SuccessRate).verdict, Verdict::WithinNoise);
        assert_eq!(row(&c, Metric::ErrorRate).verdict, Verdict::WithinNoise);
        assert_eq!(c.exit_code, 0);
    }

    #[test]
    fn raw_samples_get_significance() {
        // Large samples of one distribution: their percentiles differ by a percent or two,
        // below the noise floor, whether or not an interval happens to exclude zero.
        let base = side(vec![sampled("a", 20_000, 50.0, 1)]);
        let same = side(vec![sampled("b", 20_000, 50.0, 2)]);
        let slower = side(vec![sampled("c", 3_000, 65.0, 3)]);
        let ts = thresholds(&["p95<=+10%"]);
        let c = compare(&base, &same, &ts, &settings());
        for m in [Metric::P50, Metric::P90, Metric::P95, Metric::P99] {
            let r = row(&c, m);
            assert_eq!(r.tests.len(), 1, "{m}");
            assert_eq!(r.tests[0].method, TestMethod::Bootstrap);
            assert_eq!(r.verdict, Verdict::WithinNoise, "{r:?}");
        }
        assert_eq!(c.latency_test.unwrap().verdict, Verdict::WithinNoise);
        assert_eq!(c.exit_code, 0);
        // RPS from per-second counts: both runs ran at 300 requests per second.
        let rps = row(&c, Metric::Rps);
        assert_eq!(rps.tests[0].method, TestMethod::Bootstrap);
        assert_eq!(rps.verdict, Verdict::WithinNoise);

        let c = compare(&base, &slower, &ts, &settings());
        for m in [Metric::P50, Metric::P90, Metric::P95] {
            let r = row(&c, m);
            let ci = r.tests[0].ci.unwrap();
            // The true change is +30% at every percentile.
            assert!(
                ci.low > 0.1 && ci.low < 0.3 && ci.high > 0.25,
                "{m}: {ci:?}"
            );
            assert_eq!(r.verdict, Verdict::Worse, "{m}");
        }
        let mw = c.latency_test.unwrap();
        assert_eq!(mw.verdict, Verdict::Worse);
        assert!(mw.result.p_value < 1e-6);
        assert_eq!(status(&c, "p95<=+10%"), ThresholdStatus::Breach);
        assert!(c.baseline.exact_latency && c.candidate.exact_latency);
        assert_eq!(c.baseline.requests, Some(20_000));
        // A run against itself: every interval is centred on zero.
        let c = compare(&base, &base, &[], &settings());
        for r in &c.metrics {
            assert_eq!(r.verdict, Verdict::WithinNoise, "{r:?}");
            assert!(r.tests.iter().all(|t| !t.significant), "{r:?}");
        }
    }

    #[test]
    fn a_significant_but_tiny_change_is_within_noise() {
        let base = side(vec![sampled("a", 100_000, 50.0, 1)]);
        let cand = side(vec![sampled("b", 100_000, 51.5, 2)]); // +3%
        let c = compare(&base, &cand, &[], &settings());
        let r = row(&c, Metric::P50);
        assert!(r.tests[0].significant, "{r:?}");
        assert_eq!(r.verdict, Verdict::WithinNoise);
        let one_percent = Settings {
            noise_floor: 0.01,
            ..settings()
        };
        let c = compare(&base, &cand, &[], &one_percent);
        assert_eq!(row(&c, Metric::P50).verdict, Verdict::Worse);
    }

    #[test]
    fn repeated_runs_are_pooled_with_their_spread() {
        let base = side(vec![
            reported("a1", 100.0, 1000, 0, 200.0),
            reported("a2", 110.0, 1100, 0, 210.0),
        ]);
        let cand = side(vec![
            reported("b1", 60.0, 600, 0, 300.0),
            reported("b2", 62.0, 620, 0, 310.0),
        ]);
        let c = compare(&base, &cand, &thresholds(&["rps>=-10%"]), &settings());
        let rps = row(&c, Metric::Rps);
        assert_eq!((rps.baseline, rps.candidate), (Some(105.0), Some(61.0)));
        assert_eq!(rps.baseline_runs, [100.0, 110.0]);
        assert_eq!(rps.candidate_runs, [60.0, 62.0]);
        assert!(
            rps.tests.is_empty(),
            "two runs a side are too few for a t-test"
        );
        assert_eq!(rps.verdict, Verdict::Worse);
        assert_eq!(c.exit_code, 1);
        assert_eq!(
            row(&c, Metric::P95).baseline,
            Some(205.0),
            "mean of the runs"
        );
        assert_eq!(
            row(&c, Metric::Max).baseline,
            Some(420.0),
            "largest of the runs"
        );
        assert_eq!(c.baseline.requests, Some(2100));
        assert!(c.notes.iter().any(|n| n.contains("pools 2 runs")));
    }

    #[test]
    fn three_runs_a_side_get_a_t_test_over_runs() {
        let runs = |name: &str, rps: &[f64]| {
            side(
                rps.iter()
                    .enumerate()
                    .map(|(i, &r)| reported(&format!("{name}{i}"), r, 1000, 0, 200.0))
                    .collect(),
            )
        };
        let ts = thresholds(&["rps>=-10%"]);
        let c = compare(
            &runs("a", &[100.0, 105.0, 110.0]),
            &runs("b", &[60.0, 61.0, 62.0]),
            &ts,
            &settings(),
        );
        let rps = row(&c, Metric::Rps);
        assert_eq!(rps.tests[0].method, TestMethod::WelchT);
        assert!(rps.tests[0].p_value.unwrap() < 0.01, "{rps:?}");
        assert_eq!(rps.verdict, Verdict::Worse);
        assert_eq!(c.exit_code, 1);
        // Runs that disagree among themselves: a 15% drop is not beyond their noise.
        let c = compare(
            &runs("a", &[80.0, 120.0, 160.0]),
            &runs("b", &[70.0, 100.0, 136.0]),
            &ts,
            &settings(),
        );
        let rps = row(&c, Metric::Rps);
        assert!(!rps.tests[0].significant, "{rps:?}");
        assert_eq!(rps.verdict, Verdict::WithinNoise);
        assert_eq!(status(&c, "rps>=-10%"), ThresholdStatus::WithinNoise);
        assert_eq!(c.exit_code, 0);
    }

    #[test]
    fn pooled_samples_merge_their_histograms() {
        let a = sampled("a", 2_000, 40.0, 1);
        let b = sampled("b", 2_000, 60.0, 2);
        let pool = Pool::of_runs(std::slice::from_ref(&a));
        let runs = [a.clone(), b.clone()];
        let both = Pool::of_runs(&runs);
        let mut merged = LoadAccumulator::histogram_of(a.load.as_ref().unwrap());
        merged.merge(&LoadAccumulator::histogram_of(b.load.as_ref().unwrap()));
        assert_eq!(
            both.value(Metric::P90),
            merged.percentile_ns(90.0).map(ns_to_ms)
        );
        assert_eq!(
            pool.value(Metric::P90),
            a.load.as_ref().unwrap().latency_ms.p90
        );
        assert_eq!(both.counts, Some((4_000, 4_000)));
    }

    #[test]
    fn rows_hold_default_metrics_with_data_and_every_thresholded_one() {
        let base = side(vec![reported("a", 100.0, 1000, 0, 200.0)]);
        let c = compare(
            &base,
            &base,
            &thresholds(&["p99.9<1s", "mem_peak<1GB"]),
            &settings(),
        );
        let keys: Vec<&str> = c.metrics.iter().map(|r| r.metric.key()).collect();
        assert_eq!(
            keys,
            [
                "rps",
                "success_rate",
                "p50",
                "p95",
                "p99.9",
                "max",
                "mem_peak"
            ]
        );
        assert_eq!(row(&c, Metric::P99_9).verdict, Verdict::Unavailable);
        assert_eq!(c.exit_code, 2);
    }

    #[test]
    fn run_thresholds_check_every_run() {
        let runs = [
            reported("fast", 100.0, 1000, 0, 200.0),
            reported("slow", 100.0, 1000, 0, 900.0),
        ];
        let results = check_runs(&thresholds(&["p95<500ms"]), &runs);
        let statuses: Vec<(&str, ThresholdStatus)> = results
            .iter()
            .map(|r| (r.run.as_str(), r.result.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("fast", ThresholdStatus::Pass),
                ("slow", ThresholdStatus::Breach)
            ]
        );
        assert_eq!(
            Status::of(results.iter().map(|r| &r.result)),
            Status::Breach
        );
        let results = check_runs(&thresholds(&["cpu_peak<80%"]), &runs);
        assert_eq!(results[0].result.status, ThresholdStatus::Unavailable);
        assert!(results[0]
            .result
            .reason
            .as_deref()
            .unwrap()
            .contains("run 'fast'"));
    }
}
