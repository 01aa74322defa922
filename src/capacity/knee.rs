//! Saturation within one run that ramps its load: throughput and latency per concurrency level,
//! and the knee where throughput stops growing while latency climbs.
//!
//! Levels come from the per-second series' active threads (JMeter `allThreads`); the first and
//! last intervals of the series are left out because the run starts and ends inside them.
//!
//! Knee rule (also in the README): the knee is the lowest concurrency whose throughput reaches
//! [`KNEE_FRACTION`] of the highest throughput of any level, provided a higher concurrency was
//! measured and mean latency from the knee to the highest concurrency grew by at least
//! [`LATENCY_GROWTH`] of the concurrency's relative growth (past saturation a closed system's
//! latency grows in proportion to its clients). Otherwise there is no knee in the measured range.

use std::collections::BTreeMap;

use serde::Serialize;

use super::usl::{self, UslPoint, UslReport};
use crate::stats::load::Series;

/// Throughput within this fraction of the best level counts as saturated.
pub const KNEE_FRACTION: f64 = 0.90;
/// Beyond the knee, latency must grow by at least this share of the concurrency's growth.
pub const LATENCY_GROWTH: f64 = 0.5;
/// Distinct concurrency levels needed to look for a knee.
pub const MIN_LEVELS: usize = 3;

/// Throughput and latency at one concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ConcurrencyLevel {
    pub concurrency: u32,
    /// Intervals measured at this concurrency.
    pub intervals: usize,
    pub rps: f64,
    /// Mean latency of the requests that started at this concurrency, ms.
    pub latency_mean_ms: Option<f64>,
}

/// The knee of a throughput/latency curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Knee {
    pub concurrency: u32,
    pub rps: f64,
    pub latency_mean_ms: f64,
}

/// Saturation analysis of a ramped run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saturation {
    pub levels: Vec<ConcurrencyLevel>,
    pub knee: Option<Knee>,
    /// Why there is no knee, or how it was found.
    pub explanation: String,
    /// The Universal Scalability Law fitted to the levels.
    pub usl: UslReport,
    pub rule: &'static str,
}

pub const RULE: &str = "knee = lowest concurrency reaching 90% of the best throughput, when a \
higher concurrency was measured and mean latency grew by at least half the concurrency's relative \
growth beyond it";

/// Saturation analysis of a series whose intervals carry active threads, or `None` when the
/// series has fewer than [`MIN_LEVELS`] distinct thread counts (the load was not ramped).
pub fn saturation(series: &Series) -> Option<Saturation> {
    let levels = levels(series);
    if levels.len() < MIN_LEVELS {
        return None;
    }
    let (knee, explanation) = match find_knee(&levels) {
        Ok(k) => (
            Some(k),
            format!(
                "throughput reaches {:.0}% of its best at {} threads while latency climbs beyond",
                KNEE_FRACTION * 100.0,
                k.concurrency
            ),
        ),
        Err(why) => (None, why),
    };
    let points = levels
        .iter()
        .map(|l| UslPoint {
            concurrency: l.concurrency as f64,
            throughput: l.rps,
        })
        .collect();
    Some(Saturation {
        levels,
        knee,
        explanation,
        usl: usl::analyze(points),
        rule: RULE,
    })
}

/// Throughput and latency per distinct thread count, ascending.
pub fn levels(series: &Series) -> Vec<ConcurrencyLevel> {
    #[derive(Default)]
    struct Acc {
        intervals: usize,
        requests: u64,
        latency_sum: f64,
        timed: u64,
    }
    let n = series.points.len();
    let inner = if n > 2 {
        &series.points[1..n - 1]
    } else {
        &[][..]
    };
    let mut by_threads: BTreeMap<u32, Acc> = BTreeMap::new();
    for p in inner {
        let Some(threads) = p.threads.filter(|&t| t > 0) else {
            continue;
        };
        let acc = by_threads.entry(threads).or_default();
        acc.intervals += 1;
        acc.requests += p.requests;
        if let Some(ms) = p.latency_mean_ms {
            acc.latency_sum += ms * p.requests as f64;
            acc.timed += p.requests;
        }
    }
    by_threads
        .into_iter()
        .map(|(concurrency, a)| ConcurrencyLevel {
            concurrency,
            intervals: a.intervals,
            rps: a.requests as f64 / (a.intervals as f64 * series.interval_s),
            latency_mean_ms: (a.timed > 0).then(|| a.latency_sum / a.timed as f64),
        })
        .collect()
}

/// The knee of levels sorted by concurrency, by the rule in the module documentation.
pub fn find_knee(levels: &[ConcurrencyLevel]) -> Result<Knee, String> {
    let best = levels.iter().map(|l| l.rps).fold(0.0, f64::max);
    if best <= 0.0 {
        return Err("no throughput at any concurrency".into());
    }
    let knee = levels
        .iter()
        .find(|l| l.rps >= KNEE_FRACTION * best)
        .ok_or("no level reaches the best throughput")?;
    let top = levels.last().ok_or("no levels")?;
    if top.concurrency <= knee.concurrency {
        return Err(format!(
            "throughput still grows at the highest concurrency measured ({} threads): no knee in \
             the measured range",
            top.concurrency
        ));
    }
    let (Some(w_knee), Some(w_top)) = (knee.latency_mean_ms, top.latency_mean_ms) else {
        return Err("latency unknown at the candidate knee or at the highest concurrency".into());
    };
    let concurrency_growth = top.concurrency as f64 / knee.concurrency as f64 - 1.0;
    let latency_growth = w_top / w_knee - 1.0;
    if latency_growth < LATENCY_GROWTH * concurrency_growth {
        return Err(format!(
            "throughput levels off from {} threads but latency grows only {:.0}% while \
             concurrency grows {:.0}%: no knee (the limit may be the load generator)",
            knee.concurrency,
            latency_growth * 100.0,
            concurrency_growth * 100.0
        ));
    }
    Ok(Knee {
        concurrency: knee.concurrency,
        rps: knee.rps,
        latency_mean_ms: w_knee,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::load::SeriesPoint;

    fn level(n: u32, rps: f64, latency_ms: f64) -> ConcurrencyLevel {
        ConcurrencyLevel {
            concurrency: n,
            intervals: 1,
            rps,
            latency_mean_ms: Some(latency_ms),
        }
    }

    /// A closed system with a hard limit: X = min(100 N, 1000) req/s, W = N / X (Little).
    fn hard_limit(ns: impl Iterator<Item = u32>) -> Vec<ConcurrencyLevel> {
        ns.map(|n| {
            let x = (100.0 * n as f64).min(1000.0);
            level(n, x, 1000.0 * n as f64 / x)
        })
        .collect()
    }

    #[test]
    fn knee_of_a_hard_limit() {
        // Levels 2, 4, ..., 30: 800 < 900 at N = 8, 1000 at N = 10.
        let k = find_knee(&hard_limit((2..=30).step_by(2))).unwrap();
        assert_eq!(k.concurrency, 10);
        assert_eq!(k.rps, 1000.0);
        assert_eq!(k.latency_mean_ms, 10.0);
        // Levels 1..=20: N = 9 gives 900 = 90% of 1000, the rule's threshold.
        assert_eq!(find_knee(&hard_limit(1..=20)).unwrap().concurrency, 9);
    }

    #[test]
    fn no_knee_while_throughput_still_grows() {
        let err = find_knee(&hard_limit(1..=8)).unwrap_err();
        assert!(err.contains("still grows"), "{err}");
    }

    #[test]
    fn flat_throughput_with_flat_latency_is_not_a_knee() {
        // Throughput capped by the load generator: latency does not climb.
        let levels: Vec<_> = (1..=10).map(|n| level(n, 500.0, 4.0)).collect();
        let err = find_knee(&levels).unwrap_err();
        assert!(err.contains("latency grows only"), "{err}");
    }

    #[test]
    fn knee_of_a_usl_curve() {
        // λ = 100, σ = 0.02, κ = 0.0005: X(26) = 2600 / (1 + 0.5 + 0.325) = 1424.7 and
        // X(25) = 2500 / (1 + 0.48 + 0.3) = 1404.5, against 90% of the best, X(44) = 1568.0
        // (0.9 × 1568.0 = 1411.2), so the knee is at 26.
        let levels: Vec<_> = (1..=100)
            .map(|n| {
                let nf = n as f64;
                let x = 100.0 * nf / (1.0 + 0.02 * (nf - 1.0) + 0.0005 * nf * (nf - 1.0));
                level(n, x, 1000.0 * nf / x)
            })
            .collect();
        assert_eq!(find_knee(&levels).unwrap().concurrency, 26);
    }

    #[test]
    fn levels_from_a_ramped_series() {
        // Threads 1, 1, 2, 2, 3, 3 with 10, 12, 20, 22, 25, 27 requests; the first and last
        // intervals are partial and left out.
        let data = [(1, 10), (1, 12), (2, 20), (2, 22), (3, 25), (3, 27), (3, 5)];
        let series = Series {
            interval_s: 1.0,
            start_unix_ms: None,
            points: data
                .iter()
                .enumerate()
                .map(|(i, &(t, n))| SeriesPoint {
                    t_s: i as f64,
                    requests: n,
                    failures: 0,
                    latency_mean_ms: Some(t as f64 * 10.0),
                    latency_max_ms: None,
                    threads: Some(t),
                    latency_sum_ns: None,
                    latency_max_ns: None,
                })
                .collect(),
        };
        let levels = levels(&series);
        let summary: Vec<(u32, usize, f64)> = levels
            .iter()
            .map(|l| (l.concurrency, l.intervals, l.rps))
            .collect();
        assert_eq!(summary, vec![(1, 1, 12.0), (2, 2, 21.0), (3, 2, 26.0)]);
        assert_eq!(levels[1].latency_mean_ms, Some(20.0));
        let s = saturation(&series).unwrap();
        assert_eq!(s.levels.len(), 3);
    }
}
