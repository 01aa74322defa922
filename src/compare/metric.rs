//! The figures that can be compared and gated on: their names, units, which way is better, and
//! where to find them in a run summary.

use serde::Serialize;

use crate::stats::load::{LabelSummary, LatencyStats, LoadSummary};
use crate::stats::resources::ResourceSummary;
use crate::stats::RunSummary;

/// A comparable figure. Values are in the metric's [`Unit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Metric {
    #[serde(rename = "rps")]
    Rps,
    #[serde(rename = "success_rate")]
    SuccessRate,
    #[serde(rename = "error_rate")]
    ErrorRate,
    #[serde(rename = "mean")]
    Mean,
    #[serde(rename = "p50")]
    P50,
    #[serde(rename = "p75")]
    P75,
    #[serde(rename = "p90")]
    P90,
    #[serde(rename = "p95")]
    P95,
    #[serde(rename = "p99")]
    P99,
    #[serde(rename = "p99.9")]
    P99_9,
    #[serde(rename = "max")]
    Max,
    #[serde(rename = "cpu_peak")]
    CpuPeak,
    #[serde(rename = "cpu_mean")]
    CpuMean,
    #[serde(rename = "mem_peak")]
    MemPeak,
    #[serde(rename = "mem_mean")]
    MemMean,
}

/// The unit of a metric's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Requests per second.
    PerSecond,
    /// A fraction 0..=1, shown as a percentage; changes are in percentage points.
    Fraction,
    Milliseconds,
    /// CPU percent, 100 = one core.
    CpuPercent,
    /// MiB (what psrecord calls MB).
    Mebibytes,
}

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

/// The rows of a comparison, in order (metrics named only in thresholds are added after them).
pub const DEFAULT_METRICS: [Metric; 9] = [
    Metric::Rps,
    Metric::SuccessRate,
    Metric::P50,
    Metric::P90,
    Metric::P95,
    Metric::P99,
    Metric::Max,
    Metric::CpuPeak,
    Metric::MemPeak,
];

/// The rows compared per label (JMeter labels).
pub const LABEL_METRICS: [Metric; 7] = [
    Metric::Rps,
    Metric::SuccessRate,
    Metric::P50,
    Metric::P90,
    Metric::P95,
    Metric::P99,
    Metric::Max,
];

pub const ALL_METRICS: [Metric; 15] = [
    Metric::Rps,
    Metric::SuccessRate,
    Metric::ErrorRate,
    Metric::Mean,
    Metric::P50,
    Metric::P75,
    Metric::P90,
    Metric::P95,
    Metric::P99,
    Metric::P99_9,
    Metric::Max,
    Metric::CpuPeak,
    Metric::CpuMean,
    Metric::MemPeak,
    Metric::MemMean,
];

impl Metric {
    /// The name used in thresholds and JSON (`p99.9`, `cpu_peak`).
    pub fn key(self) -> &'static str {
        match self {
            Metric::Rps => "rps",
            Metric::SuccessRate => "success_rate",
            Metric::ErrorRate => "error_rate",
            Metric::Mean => "mean",
            Metric::P50 => "p50",
            Metric::P75 => "p75",
            Metric::P90 => "p90",
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::P99_9 => "p99.9",
            Metric::Max => "max",
            Metric::CpuPeak => "cpu_peak",
            Metric::CpuMean => "cpu_mean",
            Metric::MemPeak => "mem_peak",
            Metric::MemMean => "mem_mean",
        }
    }

    /// The metric named `key` (also `p99_9` and `p999` for p99.9).
    pub fn from_key(key: &str) -> Option<Metric> {
        match key {
            "p99_9" | "p999" => Some(Metric::P99_9),
            _ => ALL_METRICS.into_iter().find(|m| m.key() == key),
        }
    }

    /// A label for tables: `RPS`, `p99 latency`, `peak memory`.
    pub fn title(self) -> &'static str {
        match self {
            Metric::Rps => "RPS",
            Metric::SuccessRate => "success rate",
            Metric::ErrorRate => "error rate",
            Metric::Mean => "mean latency",
            Metric::P50 => "p50 latency",
            Metric::P75 => "p75 latency",
            Metric::P90 => "p90 latency",
            Metric::P95 => "p95 latency",
            Metric::P99 => "p99 latency",
            Metric::P99_9 => "p99.9 latency",
            Metric::Max => "max latency",
            Metric::CpuPeak => "peak CPU",
            Metric::CpuMean => "mean CPU",
            Metric::MemPeak => "peak memory",
            Metric::MemMean => "mean memory",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::Rps => Unit::PerSecond,
            Metric::SuccessRate | Metric::ErrorRate => Unit::Fraction,
            Metric::CpuPeak | Metric::CpuMean => Unit::CpuPercent,
            Metric::MemPeak | Metric::MemMean => Unit::Mebibytes,
            _ => Unit::Milliseconds,
        }
    }

    pub fn better(self) -> Better {
        match self {
            Metric::Rps | Metric::SuccessRate => Better::Higher,
            _ => Better::Lower,
        }
    }

    /// The latency percentile this metric is, if it is one.
    pub fn percentile(self) -> Option<f64> {
        match self {
            Metric::P50 => Some(50.0),
            Metric::P75 => Some(75.0),
            Metric::P90 => Some(90.0),
            Metric::P95 => Some(95.0),
            Metric::P99 => Some(99.0),
            Metric::P99_9 => Some(99.9),
            _ => None,
        }
    }

    /// A latency figure (percentile, mean or max).
    pub fn is_latency(self) -> bool {
        self.unit() == Unit::Milliseconds
    }

    /// Whether a change is measured in points (fractions) rather than relative to the baseline.
    pub fn changes_in_points(self) -> bool {
        self.unit() == Unit::Fraction
    }

    /// Whether the metric comes from the resource log rather than the load.
    pub fn is_resource(self) -> bool {
        matches!(self.unit(), Unit::CpuPercent | Unit::Mebibytes)
    }

    /// This metric's value in a run summary.
    pub fn of_run(self, run: &RunSummary) -> Option<f64> {
        if self.is_resource() {
            run.resources.as_ref().and_then(|r| self.of_resources(r))
        } else {
            run.load.as_ref().and_then(|l| self.of_load(l))
        }
    }

    pub fn of_load(self, load: &LoadSummary) -> Option<f64> {
        match self {
            Metric::Rps => load.rps,
            Metric::SuccessRate => load.success_rate,
            Metric::ErrorRate => load.success_rate.map(|s| 1.0 - s),
            _ => self.of_latency(&load.latency_ms),
        }
    }

    pub fn of_label(self, label: &LabelSummary) -> Option<f64> {
        match self {
            Metric::Rps => label.rps,
            Metric::SuccessRate => label.success_rate,
            Metric::ErrorRate => label.success_rate.map(|s| 1.0 - s),
            _ => self.of_latency(&label.latency_ms),
        }
    }

    pub fn of_latency(self, latency: &LatencyStats) -> Option<f64> {
        match self {
            Metric::Mean => latency.mean,
            Metric::P50 => latency.p50,
            Metric::P75 => latency.p75,
            Metric::P90 => latency.p90,
            Metric::P95 => latency.p95,
            Metric::P99 => latency.p99,
            Metric::P99_9 => latency.p99_9,
            Metric::Max => latency.max,
            _ => None,
        }
    }

    pub fn of_resources(self, res: &ResourceSummary) -> Option<f64> {
        match self {
            Metric::CpuPeak => res.cpu_peak_percent,
            Metric::CpuMean => res.cpu_mean_percent,
            Metric::MemPeak => res.mem_peak_mb,
            Metric::MemMean => res.mem_mean_mb,
            _ => None,
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}
