//! Sustained versus peak throughput: the steady-state window of a per-second series.
//!
//! Rule (also in the README): the *plateau level* starts as the median of the active intervals
//! (those with at least 10% of the busiest interval's requests). An interval *qualifies* when its
//! own count and the running median of the 5 intervals centred on it both exceed 90% of the
//! level. The steady window runs from the first qualifying interval to the last; the level is then
//! recomputed once, as the median of that window, and the window found again.
//! Warm-up, cool-down and the partial first and last seconds fall outside; dips inside the window
//! stay in (they are part of what the system sustained). The running median ignores a lone busy
//! second in the warm-up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::stats::load::{LoadSummary, Series};

/// Intervals count as active when they hold at least this fraction of the busiest one.
pub const ACTIVE_FRACTION: f64 = 0.10;
/// An interval qualifies for the steady window above this fraction of the plateau level.
pub const PLATEAU_FRACTION: f64 = 0.90;
/// Width of the running median that keeps lone spikes from opening the window early.
pub const MEDIAN_WIDTH: usize = 5;
/// Coefficient of variation up to which a window is called steady, and up to which variable.
pub const STEADY_CV: f64 = 0.10;
pub const VARIABLE_CV: f64 = 0.25;

/// A window given by the user: `START..END` in seconds from the start of the series, either end
/// may be left out (`10..`, `..55`). Intervals whose start `t` has `START <= t < END` are in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct WindowSpec {
    pub start_s: Option<f64>,
    pub end_s: Option<f64>,
}

impl FromStr for WindowSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!("expected START..END in seconds (e.g. 10..55, 10.. or ..55), found {text:?}")
        };
        let (start, end) = text.trim().split_once("..").ok_or_else(bad)?;
        let bound = |s: &str| -> Result<Option<f64>, String> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                _ => Err(bad()),
            }
        };
        let spec = WindowSpec {
            start_s: bound(start)?,
            end_s: bound(end)?,
        };
        if let (Some(a), Some(b)) = (spec.start_s, spec.end_s) {
            if b <= a {
                return Err(format!("window {text:?}: END must be after START"));
            }
        }
        Ok(spec)
    }
}

impl TryFrom<String> for WindowSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// Serialised as written: `"10..55"`.
impl Serialize for WindowSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for WindowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = self.start_s {
            write!(f, "{a}")?;
        }
        f.write_str("..")?;
        if let Some(b) = self.end_s {
            write!(f, "{b}")?;
        }
        Ok(())
    }
}

/// How the window was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowSource {
    /// Found by the steady-state rule.
    Detected,
    /// Given by the user (`--window` or `window` in benchreport.toml).
    Given,
}

/// A verdict on the coefficient of variation of the window's per-interval counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Steadiness {
    /// CV <= 0.10.
    Steady,
    /// 0.10 < CV <= 0.25.
    Variable,
    /// CV > 0.25.
    Unsteady,
}

impl Steadiness {
    pub fn of_cv(cv: f64) -> Self {
        if cv <= STEADY_CV {
            Steadiness::Steady
        } else if cv <= VARIABLE_CV {
            Steadiness::Variable
        } else {
            Steadiness::Unsteady
        }
    }
}

/// The steady window of a series: `[start_s, end_s)` in seconds from the series start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SteadyWindow {
    pub start_s: f64,
    pub end_s: f64,
    pub duration_s: f64,
    /// Intervals in the window.
    pub intervals: usize,
    pub source: WindowSource,
    /// Requests that started in the window.
    pub requests: u64,
    pub failures: u64,
    /// Mean latency of the requests that started in the window, ms.
    pub latency_mean_ms: Option<f64>,
    /// Fewest and most active threads seen in the window's intervals (JMeter), when known.
    pub threads_min: Option<u32>,
    pub threads_max: Option<u32>,
}

/// Peak and sustained throughput of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Throughput {
    /// The summary's whole-run RPS (requests / duration, or the tool's own figure).
    pub mean_rps: Option<f64>,
    /// How `mean_rps` was obtained (the summary's `rps_method`).
    pub mean_rps_method: String,
    /// The busiest interval's requests per second.
    pub peak_rps: Option<f64>,
    /// Start of the busiest interval, seconds from the series start.
    pub peak_at_s: Option<f64>,
    /// Requests per second over the steady window.
    pub sustained_rps: Option<f64>,
    pub window: Option<SteadyWindow>,
    /// Coefficient of variation (population standard deviation / mean) of the window's counts.
    pub cv: Option<f64>,
    pub steadiness: Option<Steadiness>,
    /// Relative change from the first third of the window to the last:
    /// `(mean of last third − mean of first third) / window mean`; `None` under 6 intervals.
    pub drift: Option<f64>,
    /// How the figures were obtained, in words.
    pub method: String,
}

/// The window `(first, last)` (inclusive indices) of steady throughput in per-interval counts,
/// by the rule in the module documentation. `None` when nothing was ever sent.
pub fn detect_window(counts: &[f64]) -> Option<(usize, usize)> {
    let peak = counts
        .iter()
        .copied()
        .filter(|c| c.is_finite())
        .fold(0.0, f64::max);
    if peak <= 0.0 {
        return None;
    }
    let active: Vec<f64> = counts
        .iter()
        .copied()
        .filter(|&c| c >= ACTIVE_FRACTION * peak)
        .collect();
    // Too short to smooth: a running median would mix the edges into every value.
    let smoothed = if counts.len() < MEDIAN_WIDTH {
        counts.to_vec()
    } else {
        running_median(counts, MEDIAN_WIDTH)
    };
    let window_at = |level: f64| {
        let threshold = PLATEAU_FRACTION * level;
        let qualifies = |i: &usize| counts[*i] > threshold && smoothed[*i] > threshold;
        let first = (0..counts.len()).find(qualifies)?;
        let last = (0..counts.len()).rev().find(qualifies)?;
        Some((first, last))
    };
    // A long warm-up drags the first level down; one more pass from the window's own median
    // corrects that. More passes would not: on a series that never levels off each pass would
    // trim the window further towards its top.
    let (first, last) = window_at(median(&active)?)?;
    let level = median(&counts[first..=last])?;
    window_at(level).or(Some((first, last)))
}

/// The intervals `(first, last)` of a series that a user-given window selects.
pub fn select_window(series: &Series, spec: &WindowSpec) -> Result<(usize, usize), String> {
    let inside =
        |t: f64| spec.start_s.map_or(true, |a| t >= a) && spec.end_s.map_or(true, |b| t < b);
    let first = series.points.iter().position(|p| inside(p.t_s));
    let last = series.points.iter().rposition(|p| inside(p.t_s));
    match (first, last) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => {
            let end = series
                .points
                .last()
                .map_or(0.0, |p| p.t_s + series.interval_s);
            Err(format!(
                "window {spec} selects no interval: the series runs from 0 to {end} s"
            ))
        }
    }
}

/// Peak and sustained throughput of a run's load. With `given`, that window replaces the
/// detected one; it is an error when it selects nothing. Without a series (figures a tool only
/// reported), peak and sustained are `None` and `method` says that no detection was possible.
pub fn throughput(load: &LoadSummary, given: Option<&WindowSpec>) -> Result<Throughput, String> {
    let mut t = Throughput {
        mean_rps: load.rps,
        mean_rps_method: load.rps_method.clone(),
        peak_rps: None,
        peak_at_s: None,
        sustained_rps: None,
        window: None,
        cv: None,
        steadiness: None,
        drift: None,
        method: String::new(),
    };
    let Some(series) = load.series.as_ref().filter(|s| !s.points.is_empty()) else {
        t.method = "no per-second series (the tool reported only totals): no steady-state \
                    detection was possible"
            .into();
        return Ok(t);
    };
    let interval = series.interval_s;
    let counts: Vec<f64> = series.points.iter().map(|p| p.requests as f64).collect();
    if let Some((i, c)) = counts
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
    {
        t.peak_rps = Some(c / interval);
        t.peak_at_s = Some(series.points[i].t_s);
    }
    let (bounds, source) = match given {
        Some(spec) => (Some(select_window(series, spec)?), WindowSource::Given),
        None => (detect_window(&counts), WindowSource::Detected),
    };
    let Some((first, last)) = bounds else {
        t.method = "the series holds no requests: no steady window".into();
        return Ok(t);
    };
    let window_counts = &counts[first..=last];
    let (mean, sd) = mean_and_sd(window_counts);
    t.sustained_rps = Some(mean / interval);
    t.cv = (mean > 0.0).then(|| sd / mean);
    t.steadiness = t.cv.map(Steadiness::of_cv);
    t.drift = drift(window_counts);
    t.window = Some(window_of(series, first, last, source));
    t.method = match source {
        WindowSource::Detected => format!(
            "steady window detected: intervals above {:.0}% of the plateau level (own count \
             and {MEDIAN_WIDTH}-interval running median), warm-up and cool-down trimmed",
            PLATEAU_FRACTION * 100.0
        ),
        WindowSource::Given => format!(
            "window {} s given by the user",
            given.copied().unwrap_or_default()
        ),
    };
    Ok(t)
}

fn window_of(series: &Series, first: usize, last: usize, source: WindowSource) -> SteadyWindow {
    let points = &series.points[first..=last];
    let start_s = points[0].t_s;
    let end_s = points[points.len() - 1].t_s + series.interval_s;
    let requests: u64 = points.iter().map(|p| p.requests).sum();
    let latency_sum: f64 = points
        .iter()
        .filter_map(|p| Some(p.latency_mean_ms? * p.requests as f64))
        .sum();
    let timed: u64 = points
        .iter()
        .filter(|p| p.latency_mean_ms.is_some())
        .map(|p| p.requests)
        .sum();
    let threads = points.iter().filter_map(|p| p.threads);
    SteadyWindow {
        start_s,
        end_s,
        duration_s: end_s - start_s,
        intervals: points.len(),
        source,
        requests,
        failures: points.iter().map(|p| p.failures).sum(),
        latency_mean_ms: (timed > 0).then(|| latency_sum / timed as f64),
        threads_min: threads.clone().min(),
        threads_max: threads.max(),
    }
}

/// `(mean of the last third − mean of the first third) / mean`, for 6 or more values.
fn drift(values: &[f64]) -> Option<f64> {
    if values.len() < 6 {
        return None;
    }
    let third = values.len() / 3;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let all = mean(values);
    (all > 0.0).then(|| (mean(&values[values.len() - third..]) - mean(&values[..third])) / all)
}

/// Mean and population standard deviation.
fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The median (mean of the two middle values for an even count).
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// Median of the `width` values centred on each position (fewer at the ends).
fn running_median(values: &[f64], width: usize) -> Vec<f64> {
    let half = width / 2;
    (0..values.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half).min(values.len() - 1);
            median(&values[lo..=hi]).unwrap_or(values[i])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::load::SeriesPoint;

    fn series(counts: &[u64]) -> Series {
        Series {
            interval_s: 1.0,
            start_unix_ms: None,
            points: counts
                .iter()
                .enumerate()
                .map(|(i, &n)| SeriesPoint {
                    t_s: i as f64,
                    requests: n,
                    failures: 0,
                    latency_mean_ms: (n > 0).then_some(10.0),
                    latency_max_ms: None,
                    threads: None,
                    latency_sum_ns: None,
                    latency_max_ns: None,
                })
                .collect(),
        }
    }

    fn f(counts: &[u64]) -> Vec<f64> {
        counts.iter().map(|&c| c as f64).collect()
    }

    /// 10 s ramp 0, 30, ..., 270 then flat at 300 for 45 s, then a 5 s cool-down.
    fn ramp_flat_cooldown() -> Vec<u64> {
        let mut c: Vec<u64> = (0..10).map(|i| 30 * i).collect();
        c.extend(std::iter::repeat(300).take(45));
        c.extend([200, 120, 60, 20, 0]);
        c
    }

    #[test]
    fn flat_series_with_ramp_and_cooldown() {
        let counts = ramp_flat_cooldown();
        assert_eq!(counts.len(), 60);
        // The ramp's last second (270) is 90% of 300, not above it; the cool-down is below.
        assert_eq!(detect_window(&f(&counts)), Some((10, 54)));
        let load = load_of(series(&counts));
        let t = throughput(&load, None).unwrap();
        let w = t.window.as_ref().unwrap();
        assert_eq!((w.start_s, w.end_s), (10.0, 55.0)); // [10, end (60) - 5]
        assert_eq!(w.requests, 45 * 300);
        assert_eq!(t.sustained_rps, Some(300.0));
        assert_eq!(t.cv, Some(0.0));
        assert_eq!(t.drift, Some(0.0));
        assert_eq!(t.peak_rps, Some(300.0));
        assert_eq!(t.peak_at_s, Some(10.0));
        assert_eq!(t.steadiness, Some(Steadiness::Steady));
    }

    #[test]
    fn step_edges_and_partial_last_second_are_trimmed() {
        let mut counts = vec![0, 0, 0];
        counts.extend(std::iter::repeat(500).take(20));
        counts.push(37); // the run ended 0.07 s into this second
        let (a, b) = detect_window(&f(&counts)).unwrap();
        assert_eq!((a, b), (3, 22));
    }

    #[test]
    fn lone_spike_in_warm_up_does_not_open_the_window() {
        let mut counts = vec![10, 10, 400, 10, 10, 10, 10];
        counts.extend(std::iter::repeat(300).take(30));
        let (a, _) = detect_window(&f(&counts)).unwrap();
        assert_eq!(a, 7);
    }

    #[test]
    fn dips_inside_the_window_stay_in() {
        let mut counts = vec![100; 20];
        counts[10] = 5;
        let t = throughput(&load_of(series(&counts)), None).unwrap();
        let w = t.window.unwrap();
        assert_eq!((w.start_s, w.end_s, w.intervals), (0.0, 20.0, 20));
        assert_eq!(t.sustained_rps, Some((19.0 * 100.0 + 5.0) / 20.0));
    }

    #[test]
    fn coefficient_of_variation_by_hand() {
        // Alternating 92 and 108: mean 100, population sd 8, CV 0.08.
        let counts: Vec<u64> = (0..20).map(|i| if i % 2 == 0 { 92 } else { 108 }).collect();
        let t = throughput(&load_of(series(&counts)), None).unwrap();
        assert_eq!(t.window.as_ref().unwrap().intervals, 20);
        assert!((t.cv.unwrap() - 0.08).abs() < 1e-12);
        assert_eq!(t.steadiness, Some(Steadiness::Steady));
    }

    #[test]
    fn drift_by_hand() {
        // 12 intervals rising 100, 110, ..., 210, no plateau. Pass 1: level 155 (median), above
        // 139.5 are 140..210 (indices 4-11). Pass 2: level 175 (their median), above 157.5 are
        // 160..210 (indices 6-11). First third of those 6: 160, 170 (mean 165); last third:
        // 200, 210 (mean 205); window mean 185.
        let counts: Vec<u64> = (0..12).map(|i| 100 + 10 * i).collect();
        let t = throughput(&load_of(series(&counts)), None).unwrap();
        let w = t.window.as_ref().unwrap();
        assert_eq!((w.start_s, w.end_s), (6.0, 12.0));
        assert!((t.drift.unwrap() - (205.0 - 165.0) / 185.0).abs() < 1e-12);
    }

    #[test]
    fn long_warm_up_is_corrected_by_the_second_pass() {
        // 60 s ramp 5, 10, ..., 300 then 30 s at 300: the median of the active seconds is a ramp
        // value (the first level is low), the second pass finds the plateau.
        let mut counts: Vec<u64> = (1..=60).map(|i| 5 * i).collect();
        counts.extend(std::iter::repeat(300).take(30));
        let (a, b) = detect_window(&f(&counts)).unwrap();
        // Above 270 are 275 (index 54) and up.
        assert_eq!((a, b), (54, 89));
    }

    #[test]
    fn given_window_overrides_detection() {
        let counts = ramp_flat_cooldown();
        let spec: WindowSpec = "0..20".parse().unwrap();
        let t = throughput(&load_of(series(&counts)), Some(&spec)).unwrap();
        let w = t.window.unwrap();
        assert_eq!(w.source, WindowSource::Given);
        assert_eq!((w.start_s, w.end_s, w.intervals), (0.0, 20.0, 20));
        // 0 + 30 + ... + 270 = 1350, plus 10 x 300.
        assert_eq!(t.sustained_rps, Some((1350.0 + 3000.0) / 20.0));
        let open: WindowSpec = "50..".parse().unwrap();
        let t = throughput(&load_of(series(&counts)), Some(&open)).unwrap();
        assert_eq!(t.window.unwrap().intervals, 10);
        let outside: WindowSpec = "100..200".parse().unwrap();
        let err = throughput(&load_of(series(&counts)), Some(&outside)).unwrap_err();
        assert!(err.contains("selects no interval"), "{err}");
    }

    #[test]
    fn window_spec_syntax() {
        let w: WindowSpec = "10..55".parse().unwrap();
        assert_eq!((w.start_s, w.end_s), (Some(10.0), Some(55.0)));
        assert_eq!(w.to_string(), "10..55");
        let w: WindowSpec = "..7.5".parse().unwrap();
        assert_eq!((w.start_s, w.end_s), (None, Some(7.5)));
        for bad in ["10", "a..b", "5..5", "9..3", "-1..4", "NaN..3"] {
            assert!(bad.parse::<WindowSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn degenerate_series_do_not_panic() {
        assert_eq!(detect_window(&[]), None);
        assert_eq!(detect_window(&[0.0, 0.0]), None);
        assert_eq!(detect_window(&[5.0]), Some((0, 0)));
        assert_eq!(detect_window(&[5.0, 1.0]), Some((0, 0)));
        let t = throughput(&load_of(series(&[0, 0, 0])), None).unwrap();
        assert_eq!(t.sustained_rps, None);
        assert_eq!(t.peak_rps, Some(0.0));
    }

    #[test]
    fn median_by_hand() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(
            running_median(&[1.0, 9.0, 2.0, 8.0, 3.0], 3),
            vec![5.0, 2.0, 8.0, 3.0, 5.5]
        );
    }

    pub(crate) fn load_of(series: Series) -> LoadSummary {
        let requests: u64 = series.points.iter().map(|p| p.requests).sum();
        let mut load = LoadSummary::from_reported(&Default::default(), "test");
        load.requests = Some(requests);
        load.series = Some(series);
        load
    }
}
