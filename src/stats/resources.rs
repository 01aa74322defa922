//! Resource statistics from a process log (psrecord): peaks, means and the active window.
//!
//! psrecord's CPU % on a row is the usage *since the previous row*, so a row at time `t[i]` covers
//! the interval `(t[i-1], t[i]]`. Means are time-weighted over those intervals, which keeps them
//! right when the sampling interval varies (psrecord without `--interval` logs in a tight loop).

use serde::Serialize;

use crate::model::{ReportedResources, ResourceSample, ResourceSeries};

/// A row is "busy" when its CPU % is at least this fraction of the run's peak CPU %.
pub const ACTIVE_FRACTION_OF_PEAK: f64 = 0.10;

/// The span of the log where the process was busy: from the row before the first busy row to the
/// last busy row (busy = CPU >= 10% of the peak).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ActiveWindow {
    pub start_s: f64,
    pub end_s: f64,
    pub duration_s: f64,
}

/// The resources side of a run summary. Field names are a contract (`summary --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceSummary {
    /// Highest CPU % of any row (100 = one core).
    pub cpu_peak_percent: Option<f64>,
    /// Time-weighted mean CPU % over the active window (over the whole log when it has none).
    pub cpu_mean_percent: Option<f64>,
    /// Highest resident memory, MiB.
    pub mem_peak_mb: Option<f64>,
    /// Mean resident memory over the rows of the active window (the whole log when it has none), MiB.
    pub mem_mean_mb: Option<f64>,
    /// CPU time used over the whole log, in core-seconds.
    pub cpu_seconds: Option<f64>,
    /// Time-weighted mean CPU % over the whole log.
    pub cpu_mean_all_percent: Option<f64>,
    pub active_window: Option<ActiveWindow>,
    /// Rows in the log.
    pub samples: usize,
    /// Seconds from the first row to the last.
    pub duration_s: Option<f64>,
    /// Median seconds between rows.
    pub interval_s: Option<f64>,
    /// How the figures were obtained.
    pub method: String,
    /// Every row, for charts (not written to the JSON summary, which stays small).
    #[serde(skip)]
    pub series: Option<Vec<ResourcePoint>>,
}

/// One row of the resource log, for charts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResourcePoint {
    pub t_s: f64,
    pub cpu_percent: f64,
    pub rss_mb: f64,
}

impl ResourceSummary {
    pub fn from_series(series: &ResourceSeries) -> Self {
        let rows = &series.samples;
        let window = active_window(rows);
        let window_rows = match window {
            Some((first, last)) => &rows[first..=last],
            None => &rows[..],
        };
        ResourceSummary {
            cpu_peak_percent: max_of(rows.iter().map(|r| r.cpu_percent)),
            cpu_mean_percent: time_weighted_cpu_mean(rows, window),
            mem_peak_mb: max_of(rows.iter().map(|r| r.rss_mb)),
            mem_mean_mb: mean_of(window_rows.iter().map(|r| r.rss_mb)),
            cpu_seconds: (rows.len() > 1).then(|| cpu_seconds(rows, 1, rows.len() - 1)),
            cpu_mean_all_percent: time_weighted_cpu_mean(rows, None),
            active_window: window.map(|(first, last)| {
                let start_s = rows[first.saturating_sub(1)].elapsed_s;
                let end_s = rows[last].elapsed_s;
                ActiveWindow {
                    start_s,
                    end_s,
                    duration_s: end_s - start_s,
                }
            }),
            samples: rows.len(),
            duration_s: match (rows.first(), rows.last()) {
                (Some(a), Some(b)) => Some(b.elapsed_s - a.elapsed_s),
                _ => None,
            },
            interval_s: median_interval(rows),
            method: "computed from every row of the resource log; means over the active window \
                     (CPU >= 10% of peak)"
                .into(),
            series: Some(
                rows.iter()
                    .map(|r| ResourcePoint {
                        t_s: r.elapsed_s,
                        cpu_percent: r.cpu_percent,
                        rss_mb: r.rss_mb,
                    })
                    .collect(),
            ),
        }
    }

    pub fn from_reported(r: &ReportedResources) -> Self {
        ResourceSummary {
            cpu_peak_percent: r.cpu_peak_percent,
            cpu_mean_percent: r.cpu_mean_percent,
            mem_peak_mb: r.mem_peak_mb,
            mem_mean_mb: r.mem_mean_mb,
            cpu_seconds: None,
            cpu_mean_all_percent: None,
            active_window: None,
            samples: 0,
            duration_s: None,
            interval_s: None,
            method: "reported (pre-computed summary)".into(),
            series: None,
        }
    }
}

/// Indices of the first and last busy rows, or `None` when the process never used CPU.
fn active_window(rows: &[ResourceSample]) -> Option<(usize, usize)> {
    let peak = max_of(rows.iter().map(|r| r.cpu_percent))?;
    if peak <= 0.0 {
        return None;
    }
    let threshold = peak * ACTIVE_FRACTION_OF_PEAK;
    let first = rows.iter().position(|r| r.cpu_percent >= threshold)?;
    let last = rows.iter().rposition(|r| r.cpu_percent >= threshold)?;
    Some((first, last))
}

/// Core-seconds used by rows `first..=last` (each row covering the interval since the previous).
fn cpu_seconds(rows: &[ResourceSample], first: usize, last: usize) -> f64 {
    (first.max(1)..=last)
        .map(|i| rows[i].cpu_percent / 100.0 * (rows[i].elapsed_s - rows[i - 1].elapsed_s))
        .sum()
}

fn time_weighted_cpu_mean(rows: &[ResourceSample], window: Option<(usize, usize)>) -> Option<f64> {
    let (first, last) = window.unwrap_or((1, rows.len().checked_sub(1)?));
    let start = rows[first.max(1) - 1].elapsed_s;
    let span = rows[last].elapsed_s - start;
    if span > 0.0 {
        Some(cpu_seconds(rows, first, last) * 100.0 / span)
    } else {
        // No time passed (a single row, or duplicate timestamps): plain mean of the rows.
        mean_of(rows[first.min(last)..=last].iter().map(|r| r.cpu_percent))
    }
}

fn median_interval(rows: &[ResourceSample]) -> Option<f64> {
    let mut deltas: Vec<f64> = rows
        .windows(2)
        .map(|w| w[1].elapsed_s - w[0].elapsed_s)
        .collect();
    if deltas.is_empty() {
        return None;
    }
    deltas.sort_by(f64::total_cmp);
    Some(deltas[deltas.len() / 2])
}

fn max_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    values.filter(|v| v.is_finite()).max_by(f64::total_cmp)
}

fn mean_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(rows: &[(f64, f64, f64)]) -> ResourceSeries {
        ResourceSeries {
            samples: rows
                .iter()
                .map(|&(elapsed_s, cpu_percent, rss_mb)| ResourceSample {
                    elapsed_s,
                    cpu_percent,
                    rss_mb,
                    vms_mb: None,
                })
                .collect(),
        }
    }

    #[test]
    fn idle_edges_are_outside_the_active_window() {
        let s = ResourceSummary::from_series(&series(&[
            (0.0, 0.0, 10.0),
            (1.0, 0.0, 10.0),
            (2.0, 100.0, 20.0),
            (3.0, 200.0, 30.0),
            (4.0, 1.0, 30.0),
        ]));
        assert_eq!(s.cpu_peak_percent, Some(200.0));
        assert_eq!(s.mem_peak_mb, Some(30.0));
        let w = s.active_window.unwrap();
        assert_eq!((w.start_s, w.end_s), (1.0, 3.0));
        // (100% * 1 s + 200% * 1 s) / 2 s
        assert_eq!(s.cpu_mean_percent, Some(150.0));
        assert_eq!(s.mem_mean_mb, Some(25.0));
        assert_eq!(s.cpu_seconds, Some(3.01));
        assert_eq!(s.interval_s, Some(1.0));
    }

    #[test]
    fn idle_process_has_no_window() {
        let s = ResourceSummary::from_series(&series(&[(0.0, 0.0, 5.0), (1.0, 0.0, 7.0)]));
        assert_eq!(s.active_window, None);
        assert_eq!(s.cpu_mean_percent, Some(0.0));
        assert_eq!(s.mem_mean_mb, Some(6.0));
    }

    #[test]
    fn empty_and_single_row_logs_do_not_panic() {
        let s = ResourceSummary::from_series(&series(&[]));
        assert_eq!(s.cpu_peak_percent, None);
        let s = ResourceSummary::from_series(&series(&[(0.0, 50.0, 5.0)]));
        assert_eq!(s.cpu_peak_percent, Some(50.0));
        assert_eq!(s.cpu_mean_percent, Some(50.0));
    }
}
