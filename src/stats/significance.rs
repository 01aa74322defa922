//! Is a difference between two runs more than noise? Pure functions over exact latency
//! histograms and plain numbers; `crate::compare` decides what to do with the answers.
//!
//! - [`mann_whitney`]: the Mann–Whitney U test of two latency distributions, computed from the
//!   two exact histograms (tied values get their average rank, with the tie-corrected variance),
//!   two-sided p-value from the normal approximation with continuity correction.
//! - [`percentile_change_cis`]: bootstrap confidence intervals of the relative change of latency
//!   percentiles, resampling the exact histograms.
//! - [`mean_ratio_ci`]: bootstrap confidence interval of the relative change of a mean (RPS from
//!   per-second request counts).
//! - [`welch_t_test`]: Welch's t-test over per-run values of repeated runs.
//! - [`two_proportion_test`]: the two-proportion z-test of success rates from request counts.
//!
//! # Bootstrap
//! Resampling is seeded ([`BootstrapSettings::seed`], a ChaCha8 generator created afresh for
//! every call), so the same inputs always give the same intervals. Intervals are percentile
//! intervals (nearest rank) of the resampled changes.
//!
//! Percentiles are bootstrapped from the exact histograms without drawing every value: in a
//! resample of n values drawn with replacement from n sorted samples, the k-th smallest drawn
//! position is `floor(n * U)` where `U` is the k-th smallest of n uniform numbers, which follows
//! `Beta(k, n - k + 1)`. Drawing that one Beta variate (two Gamma variates, Marsaglia–Tsang) and
//! looking its position up in the cumulative counts gives exactly the resample's percentile, so a
//! resample costs O(log distinct values) per percentile whatever the number of requests: 1000
//! resamples of a 10-million-request run take milliseconds.
//!
//! Means of plain values (per-second request counts, for RPS) are bootstrapped by drawing values;
//! at most [`BootstrapSettings::max_draws`] per side and resample. When a side has more values
//! than that (m out of n), each resampled mean's deviation from the observed one is scaled by
//! `sqrt(m / n)`, the usual m-out-of-n correction, so the interval reflects the real sample size.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::histogram::{nearest_rank, LatencyHistogram};

/// The fixed default seed of every bootstrap (small enough to survive JSON readers that hold
/// numbers as doubles).
pub const DEFAULT_SEED: u64 = 0x5EED;

/// How much bootstrap work to do, and how sure the intervals are.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapSettings {
    /// Number of resamples.
    pub resamples: u32,
    /// Most values drawn from one side in one resample of a mean (see the module documentation).
    pub max_draws: u64,
    pub seed: u64,
    /// Confidence level of the intervals, e.g. 0.95.
    pub confidence: f64,
}

impl Default for BootstrapSettings {
    fn default() -> Self {
        BootstrapSettings {
            resamples: 1000,
            max_draws: 10_000,
            seed: DEFAULT_SEED,
            confidence: 0.95,
        }
    }
}

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// True when the interval lies entirely on one side of zero.
    pub fn excludes_zero(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// The result of a Mann–Whitney U test of baseline against candidate latencies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MannWhitney {
    pub n_baseline: u64,
    pub n_candidate: u64,
    /// U of the baseline: (baseline, candidate) pairs where the baseline request is the slower,
    /// ties counting one half.
    pub u_baseline: f64,
    /// U of the candidate; `u_baseline + u_candidate = n_baseline * n_candidate`.
    pub u_candidate: f64,
    /// Standard score of `u_candidate` (continuity-corrected): positive when the candidate is slower.
    pub z: f64,
    /// Two-sided p-value (normal approximation).
    pub p_value: f64,
    /// `u_candidate / (n_baseline * n_candidate)`: the probability that a random candidate
    /// request is slower than a random baseline request, ties counting one half (the
    /// Vargha–Delaney A). 0.5 means neither side is slower.
    pub prob_candidate_slower: f64,
}

/// The Mann–Whitney U test, from the exact histograms. `None` when a side has no samples.
pub fn mann_whitney(
    baseline: &LatencyHistogram,
    candidate: &LatencyHistogram,
) -> Option<MannWhitney> {
    if baseline.is_empty() || candidate.is_empty() {
        return None;
    }
    let (baseline, candidate) = (&*baseline.compacted(), &*candidate.compacted());
    let (n1, n2) = (baseline.count() as f64, candidate.count() as f64);
    let mut ranks_before = 0.0;
    let mut rank_sum_candidate = 0.0;
    let mut tie_term = 0.0;
    for (count_b, count_c) in joined_counts(baseline, candidate) {
        let (count_b, count_c) = (count_b as f64, count_c as f64);
        let tied = count_b + count_c;
        // Every tied value gets the average of the ranks they occupy together.
        let average_rank = ranks_before + (tied + 1.0) / 2.0;
        rank_sum_candidate += count_c * average_rank;
        tie_term += tied * tied * tied - tied;
        ranks_before += tied;
    }
    let u_candidate = rank_sum_candidate - n2 * (n2 + 1.0) / 2.0;
    let u_baseline = n1 * n2 - u_candidate;
    let n = n1 + n2;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    let (z, p_value) = if variance > 0.0 {
        let deviation = u_candidate - mean;
        let corrected = (deviation.abs() - 0.5).max(0.0);
        let z = corrected.copysign(deviation) / variance.sqrt();
        (z, two_sided_normal_p(z))
    } else {
        // Every sample has the same value: nothing differs.
        (0.0, 1.0)
    };
    Some(MannWhitney {
        n_baseline: baseline.count(),
        n_candidate: candidate.count(),
        u_baseline,
        u_candidate,
        z,
        p_value,
        prob_candidate_slower: u_candidate / (n1 * n2),
    })
}

fn standard_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("the standard normal distribution is valid")
}

fn two_sided_normal_p(z: f64) -> f64 {
    (2.0 * standard_normal().sf(z.abs())).min(1.0)
}

/// For every distinct value of either histogram, ascending: (count in `a`, count in `b`).
fn joined_counts<'h>(
    a: &'h LatencyHistogram,
    b: &'h LatencyHistogram,
) -> impl Iterator<Item = (u64, u64)> + 'h {
    let mut a = a.iter().peekable();
    let mut b = b.iter().peekable();
    std::iter::from_fn(move || match (a.peek().copied(), b.peek().copied()) {
        (Some((va, na)), Some((vb, nb))) if va == vb => {
            a.next();
            b.next();
            Some((na, nb))
        }
        (Some((va, na)), Some((vb, _))) if va < vb => {
            a.next();
            Some((na, 0))
        }
        (Some((_, na)), None) => {
            a.next();
            Some((na, 0))
        }
        (_, Some((_, nb))) => {
            b.next();
            Some((0, nb))
        }
        (None, None) => None,
    })
}

/// Bootstraps a histogram's percentiles through the order statistics of the resample (see the
/// module documentation).
struct Resampler {
    /// `(cumulative count up to and including this value, value)`, ascending.
    cumulative: Vec<(u64, u64)>,
    n: u64,
}

impl Resampler {
    fn new(h: &LatencyHistogram) -> Self {
        let mut total = 0;
        let cumulative = h
            .iter()
            .map(|(v, n)| {
                total += n;
                (total, v)
            })
            .collect();
        Resampler {
            cumulative,
            n: h.count(),
        }
    }

    /// The value of the sample at 0-based position `pos` in ascending order.
    fn value_at(&self, pos: u64) -> u64 {
        let i = self.cumulative.partition_point(|&(end, _)| end <= pos);
        self.cumulative[i.min(self.cumulative.len() - 1)].1
    }

    /// The `p`-th percentile (nearest rank) of one bootstrap resample.
    fn resampled_percentile(&self, rng: &mut ChaCha8Rng, p: f64) -> f64 {
        let k = nearest_rank(p, self.n);
        let u = beta(rng, k as f64, (self.n - k + 1) as f64);
        let pos = ((u * self.n as f64) as u64).min(self.n - 1);
        self.value_at(pos) as f64
    }
}

/// A standard normal variate (Box–Muller).
fn standard_normal_variate(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]: ln is finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A Gamma(shape, 1) variate for `shape >= 1` (Marsaglia and Tsang, 2000).
fn gamma(rng: &mut ChaCha8Rng, shape: f64) -> f64 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal_variate(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.random::<f64>();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// A Beta(a, b) variate for `a, b >= 1`.
fn beta(rng: &mut ChaCha8Rng, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    x / (x + y)
}

/// Bootstrap confidence intervals of `candidate_p / baseline_p - 1` for each percentile in `ps`
/// (ascending, 0..=100). `None` for a percentile whose baseline is zero, and for all of them
/// when a side has no samples.
pub fn percentile_change_cis(
    baseline: &LatencyHistogram,
    candidate: &LatencyHistogram,
    ps: &[f64],
    settings: &BootstrapSettings,
) -> Vec<Option<Interval>> {
    if baseline.is_empty() || candidate.is_empty() || settings.resamples == 0 {
        return vec![None; ps.len()];
    }
    // Read many times below: sort in any latencies recorded out of order, once.
    let (baseline, candidate) = (&*baseline.compacted(), &*candidate.compacted());
    let side_b = Resampler::new(baseline);
    let side_c = Resampler::new(candidate);
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    ps.iter()
        .map(|&p| {
            if baseline.percentile_ns(p).map_or(true, |v| v == 0) {
                return None;
            }
            let changes: Vec<f64> = (0..settings.resamples)
                .filter_map(|_| {
                    let b = side_b.resampled_percentile(&mut rng, p);
                    let c = side_c.resampled_percentile(&mut rng, p);
                    (b > 0.0).then(|| c / b - 1.0)
                })
                .collect();
            percentile_interval(changes, settings.confidence)
        })
        .collect()
}

/// Bootstrap confidence interval of `mean(candidate) / mean(baseline) - 1`, resampling each
/// side's values with replacement (at most `max_draws` per side, scaled as for percentiles).
/// `None` when a side is empty or the baseline mean is not positive.
pub fn mean_ratio_ci(
    baseline: &[f64],
    candidate: &[f64],
    settings: &BootstrapSettings,
) -> Option<Interval> {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    if baseline.is_empty() || candidate.is_empty() || settings.resamples == 0 {
        return None;
    }
    let (obs_b, obs_c) = (mean(baseline), mean(candidate));
    if obs_b <= 0.0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let mut resampled_mean = |values: &[f64], observed: f64| -> f64 {
        let n = values.len() as u64;
        let draws = n.min(settings.max_draws.max(1));
        let sum: f64 = (0..draws)
            .map(|_| values[rng.random_range(0..n) as usize])
            .sum();
        observed + (draws as f64 / n as f64).sqrt() * (sum / draws as f64 - observed)
    };
    let mut changes = Vec::with_capacity(settings.resamples as usize);
    for _ in 0..settings.resamples {
        let b = resampled_mean(baseline, obs_b);
        let c = resampled_mean(candidate, obs_c);
        if b > 0.0 {
            changes.push(c / b - 1.0);
        }
    }
    percentile_interval(changes, settings.confidence)
}

/// The central `confidence` interval of bootstrap values (nearest-rank percentiles).
fn percentile_interval(mut values: Vec<f64>, confidence: f64) -> Option<Interval> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0 * 100.0;
    let at = |p: f64| values[(nearest_rank(p, values.len() as u64) - 1) as usize];
    Some(Interval {
        low: at(tail),
        high: at(100.0 - tail),
    })
}

/// A test statistic and its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TestResult {
    pub statistic: f64,
    pub p_value: f64,
}

/// Welch's t-test of the means of two small sets of values (per-run figures of repeated runs).
/// `statistic` is t (positive when `candidate` is larger). `None` unless each side has at least
/// two values.
pub fn welch_t_test(baseline: &[f64], candidate: &[f64]) -> Option<TestResult> {
    if baseline.len() < 2 || candidate.len() < 2 {
        return None;
    }
    let moments = |v: &[f64]| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let (n1, m1, v1) = moments(baseline);
    let (n2, m2, v2) = moments(candidate);
    let (a, b) = (v1 / n1, v2 / n2);
    if a + b <= 0.0 {
        // No spread on either side: the runs agree exactly, so any difference is real.
        let differ = m1 != m2;
        return Some(TestResult {
            statistic: if differ {
                f64::INFINITY.copysign(m2 - m1)
            } else {
                0.0
            },
            p_value: if differ { 0.0 } else { 1.0 },
        });
    }
    let t = (m2 - m1) / (a + b).sqrt();
    let df = (a + b).powi(2) / (a * a / (n1 - 1.0) + b * b / (n2 - 1.0));
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some(TestResult {
        statistic: t,
        p_value: (2.0 * dist.sf(t.abs())).min(1.0),
    })
}

/// The two-proportion z-test of success rates `s1/n1` (baseline) and `s2/n2` (candidate), with
/// the pooled proportion. `statistic` is z (positive when the candidate's rate is higher).
/// `None` when a side has no requests.
pub fn two_proportion_test(s1: u64, n1: u64, s2: u64, n2: u64) -> Option<TestResult> {
    if n1 == 0 || n2 == 0 || s1 > n1 || s2 > n2 {
        return None;
    }
    let (p1, p2) = (s1 as f64 / n1 as f64, s2 as f64 / n2 as f64);
    let pooled = (s1 + s2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se <= 0.0 {
        // Both sides all successes (or all failures): the rates are equal.
        return Some(TestResult {
            statistic: 0.0,
            p_value: 1.0,
        });
    }
    let z = (p2 - p1) / se;
    Some(TestResult {
        statistic: z,
        p_value: two_sided_normal_p(z),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{prop_assert, prop_assert_eq, proptest};
    use std::collections::BTreeMap;

    const MS: u64 = 1_000_000;

    fn hist_ms(values: &[u64]) -> LatencyHistogram {
        let mut h = LatencyHistogram::new();
        for &v in values {
            h.record(v * MS);
        }
        h
    }

    /// `n` log-normal latencies around `median_ms` (sigma 0.5), in microsecond steps, from a
    /// fixed seed: generated samples with a known distribution.
    fn lognormal(n: usize, median_ms: f64, seed: u64) -> LatencyHistogram {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut h = LatencyHistogram::new();
        for _ in 0..n {
            // Box–Muller: a standard normal from two uniforms.
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let us = (median_ms * 1000.0 * (0.5 * z).exp()).round() as u64;
            h.record(us * 1000);
        }
        h
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn mann_whitney_without_ties_matches_hand_computation() {
        // Candidate ranks 4, 5, 6: R = 15, U = 15 - 3*4/2 = 9; mean 4.5, variance 3*3*7/12 = 5.25;
        // z = (9 - 4.5 - 0.5) / sqrt(5.25) = 1.745743; p = erfc(z / sqrt 2) = 0.0808556.
        let mw = mann_whitney(&hist_ms(&[1, 2, 3]), &hist_ms(&[4, 5, 6])).unwrap();
        assert_eq!((mw.u_baseline, mw.u_candidate), (0.0, 9.0));
        assert!(close(mw.z, 1.745_743_121_9, 1e-9), "{mw:?}");
        assert!(close(mw.p_value, 0.080_855_598_37, 1e-9), "{mw:?}");
        assert_eq!(mw.prob_candidate_slower, 1.0);
    }

    #[test]
    fn mann_whitney_with_ties_matches_hand_computation() {
        // Pooled and sorted: 1(b) 2(b b c) 3(b c c) 4(c); the 2s share ranks 2-4 (average 3),
        // the 3s ranks 5-7 (average 6). Candidate rank sum 3 + 6 + 6 + 8 = 23, U = 23 - 10 = 13
        // (= pairs where the candidate is slower, ties counting half: 2 + 3.5 + 3.5 + 4).
        // Tie term (3^3-3) + (3^3-3) = 48; variance 16/12 * (9 - 48/56) = 10.857143;
        // z = (13 - 8 - 0.5) / sqrt(10.857143) = 1.365698; p = 0.1720337.
        let mw = mann_whitney(&hist_ms(&[1, 2, 2, 3]), &hist_ms(&[2, 3, 3, 4])).unwrap();
        assert_eq!((mw.u_baseline, mw.u_candidate), (3.0, 13.0));
        assert!(close(mw.z, 1.365_698_202, 1e-9), "{mw:?}");
        assert!(close(mw.p_value, 0.172_033_708_9, 1e-9), "{mw:?}");
        assert!(close(mw.prob_candidate_slower, 13.0 / 16.0, 1e-12));
    }

    #[test]
    fn mann_whitney_is_antisymmetric_and_handles_degenerate_inputs() {
        let a = hist_ms(&[1, 2, 2, 3]);
        let b = hist_ms(&[2, 3, 3, 4]);
        let ab = mann_whitney(&a, &b).unwrap();
        let ba = mann_whitney(&b, &a).unwrap();
        assert_eq!(ab.u_candidate, ba.u_baseline);
        assert_eq!(ab.z, -ba.z);
        assert_eq!(ab.p_value, ba.p_value);
        let same = mann_whitney(&hist_ms(&[5, 5]), &hist_ms(&[5])).unwrap();
        assert_eq!(
            (same.z, same.p_value, same.prob_candidate_slower),
            (0.0, 1.0, 0.5)
        );
        assert!(mann_whitney(&a, &LatencyHistogram::new()).is_none());
    }

    proptest! {
        #[test]
        fn u_counts_the_pairs_where_the_candidate_is_slower(
            a in proptest::collection::vec(0u64..20, 1..40),
            b in proptest::collection::vec(0u64..20, 1..40),
        ) {
            let mut pairs = 0.0;
            for x in &a {
                for y in &b {
                    pairs += if y > x { 1.0 } else if y == x { 0.5 } else { 0.0 };
                }
            }
            let mw = mann_whitney(&hist_ms(&a), &hist_ms(&b)).unwrap();
            prop_assert_eq!(mw.u_candidate, pairs);
            prop_assert!((0.0..=1.0).contains(&mw.p_value));
        }
    }

    #[test]
    fn same_distribution_is_rarely_significant_and_a_shift_always_is() {
        // 40 pairs of independent samples: with the same distribution about 5% of p-values fall
        // below 0.05 (p is uniform); with the candidate 10% slower, all of them do.
        let mut false_alarms = 0;
        for seed in 0..40u64 {
            let base = lognormal(2_000, 50.0, 1_000 + seed);
            let same = lognormal(2_000, 50.0, 2_000 + seed);
            let slower = lognormal(2_000, 55.0, 3_000 + seed);
            let mw_same = mann_whitney(&base, &same).unwrap();
            if mw_same.p_value < 0.05 {
                false_alarms += 1;
            }
            assert!(
                close(mw_same.prob_candidate_slower, 0.5, 0.05),
                "{mw_same:?}"
            );
            let mw_slower = mann_whitney(&base, &slower).unwrap();
            assert!(mw_slower.p_value < 1e-3, "{mw_slower:?}");
            assert!(mw_slower.z > 0.0 && mw_slower.prob_candidate_slower > 0.53);
            assert_eq!(mann_whitney(&base, &base).unwrap().p_value, 1.0);
        }
        assert!(
            false_alarms <= 6,
            "{false_alarms} of 40 identical pairs called significant"
        );
    }

    fn quick() -> BootstrapSettings {
        BootstrapSettings {
            resamples: 300,
            max_draws: 2_000,
            ..BootstrapSettings::default()
        }
    }

    #[test]
    fn percentile_intervals_have_their_coverage() {
        // 40 pairs of independent samples of 4,000. With the same distribution a 95% interval
        // excludes zero about 5% of the time; with the candidate 20% slower at every percentile
        // (log-normal: the percentiles scale with the median), the interval holds +20% about
        // 95% of the time and excludes zero at the median and p90 every time.
        let ps = [50.0, 90.0, 99.0];
        let (mut false_alarms, mut covered, mut detected) = (0, 0, 0);
        for seed in 0..40u64 {
            let base = lognormal(4_000, 50.0, 100 + seed);
            let same = lognormal(4_000, 50.0, 200 + seed);
            let slower = lognormal(4_000, 60.0, 300 + seed);
            for ci in percentile_change_cis(&base, &same, &ps, &quick()) {
                false_alarms += usize::from(ci.unwrap().excludes_zero());
            }
            let cis = percentile_change_cis(&base, &slower, &ps, &quick());
            for (i, ci) in cis.iter().enumerate() {
                let ci = ci.unwrap();
                covered += usize::from(ci.low <= 0.2 && 0.2 <= ci.high);
                if i < 2 {
                    detected += usize::from(ci.low > 0.0);
                }
            }
            // Deterministic: the same inputs give the same intervals.
            assert_eq!(cis, percentile_change_cis(&base, &slower, &ps, &quick()));
        }
        assert!(
            false_alarms <= 14,
            "{false_alarms} of 120 intervals exclude zero"
        );
        assert!(
            covered >= 102,
            "{covered} of 120 intervals hold the true change"
        );
        assert_eq!(detected, 80);
    }

    #[test]
    fn intervals_narrow_with_the_real_sample_size_not_the_draw_budget() {
        let width = |n: usize| {
            let a = lognormal(n, 50.0, 11);
            let b = lognormal(n, 50.0, 12);
            let ci = percentile_change_cis(&a, &b, &[50.0], &quick())[0].unwrap();
            ci.high - ci.low
        };
        // 100x the samples: about 10x narrower (sqrt(100)).
        let ratio = width(2_000) / width(200_000);
        assert!((5.0..20.0).contains(&ratio), "width ratio {ratio}");
    }

    #[test]
    fn order_statistic_shortcut_equals_resampling_and_sorting() {
        // A small sample with ties; the p90 of a bootstrap resample, drawn (a) the slow obvious
        // way, n draws with replacement then sort, and (b) through the Beta order statistic.
        let values: Vec<u64> = (0..40).map(|i| (i * i) % 23 + 1).collect();
        let h = hist_ms(&values);
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let resampler = Resampler::new(&h);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let reps = 20_000;
        let mut slow: BTreeMap<u64, f64> = BTreeMap::new();
        let mut fast: BTreeMap<u64, f64> = BTreeMap::new();
        for _ in 0..reps {
            let mut draw: Vec<u64> = (0..values.len())
                .map(|_| sorted[rng.random_range(0..values.len())])
                .collect();
            draw.sort_unstable();
            let k = nearest_rank(90.0, draw.len() as u64) as usize;
            *slow.entry(draw[k - 1] * MS).or_default() += 1.0 / reps as f64;
            let v = resampler.resampled_percentile(&mut rng, 90.0) as u64;
            *fast.entry(v).or_default() += 1.0 / reps as f64;
        }
        let keys: std::collections::BTreeSet<u64> =
            slow.keys().chain(fast.keys()).copied().collect();
        let total_variation: f64 = keys
            .iter()
            .map(|k| (slow.get(k).unwrap_or(&0.0) - fast.get(k).unwrap_or(&0.0)).abs())
            .sum::<f64>()
            / 2.0;
        assert!(total_variation < 0.03, "{slow:?}\n{fast:?}");
    }

    #[test]
    fn gamma_variates_have_the_right_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for shape in [1.0, 2.5, 40.0, 1e6] {
            let n = 20_000;
            let draws: Vec<f64> = (0..n).map(|_| gamma(&mut rng, shape)).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            // Gamma(k, 1): mean k, variance k.
            assert!(
                (mean - shape).abs() < 4.0 * (shape / n as f64).sqrt(),
                "{shape}: {mean}"
            );
            assert!((var / shape - 1.0).abs() < 0.1, "{shape}: {var}");
        }
    }

    #[test]
    fn mean_ratio_interval() {
        let base: Vec<f64> = (0..60).map(|i| 100.0 + (i % 7) as f64).collect();
        let faster: Vec<f64> = base.iter().map(|v| v * 1.5).collect();
        let ci = mean_ratio_ci(&base, &faster, &quick()).unwrap();
        assert!(
            ci.low > 0.45 && ci.low < 0.5 && ci.high > 0.5 && ci.high < 0.55,
            "{ci:?}"
        );
        let ci = mean_ratio_ci(&base, &base, &quick()).unwrap();
        assert!(
            !ci.excludes_zero() && ci.low < 0.0 && ci.high > 0.0,
            "{ci:?}"
        );
        assert!(mean_ratio_ci(&[], &base, &quick()).is_none());
        assert!(mean_ratio_ci(&[0.0], &base, &quick()).is_none());
    }

    #[test]
    fn welch_matches_hand_computation() {
        // Means 2 and 5, variances 1 and 1: t = 3 / sqrt(1/3 + 1/3) = 3.674235,
        // df = (2/3)^2 / ((1/3)^2/2 * 2) = 4; two-sided p (t, 4 df) = 0.0213116.
        let r = welch_t_test(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert!(close(r.statistic, 3.674_234_614, 1e-8), "{r:?}");
        assert!(close(r.p_value, 0.021_311_6, 1e-6), "{r:?}");
        assert!(welch_t_test(&[1.0], &[2.0, 3.0]).is_none());
        assert_eq!(welch_t_test(&[2.0, 2.0], &[2.0, 2.0]).unwrap().p_value, 1.0);
        assert_eq!(welch_t_test(&[2.0, 2.0], &[3.0, 3.0]).unwrap().p_value, 0.0);
    }

    #[test]
    fn two_proportions_match_hand_computation() {
        // 99.0% of 1000 vs 97.0% of 1000: pooled 0.98, se = sqrt(0.98*0.02*2/1000) = 0.0062610;
        // z = -0.02 / se = -3.194383, p = 0.0014013.
        let r = two_proportion_test(990, 1000, 970, 1000).unwrap();
        assert!(close(r.statistic, -3.194_382_825, 1e-8), "{r:?}");
        assert!(close(r.p_value, 0.001_401_301_6, 1e-9), "{r:?}");
        assert_eq!(two_proportion_test(10, 10, 20, 20).unwrap().p_value, 1.0);
        assert!(two_proportion_test(1, 0, 1, 1).is_none());
    }
}
