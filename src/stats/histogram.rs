//! An exact, mergeable latency histogram.
//!
//! Every recorded value is kept as an exact count: whole milliseconds (what JMeter writes) go to a
//! dense array indexed by milliseconds, anything else (sub-millisecond tools) to a sorted vector
//! of (nanoseconds, count), into which values recorded out of order are sorted in batches. Memory is bounded by the number of *distinct* values, not the number of
//! samples, so a 10 GB JTL file with latencies up to a minute needs at most ~0.5 MB per histogram.
//!
//! # Percentile definition
//! Percentiles use the **nearest-rank** method: the p-th percentile of n samples is the smallest
//! recorded value `x` such that at least `p`% of the samples are `<= x`, i.e. the value of rank
//! `ceil(p/100 * n)` (rank 1 for p = 0) in ascending order. It is always a value that was
//! actually observed, needs no interpolation, and merging two histograms gives exactly the
//! percentiles of the combined samples. The rank is computed in integer arithmetic on p in
//! thousandths, so p99.9 of 1000 samples is rank 999, not 1000 through a rounding error.

use std::borrow::Cow;

const NS_PER_MS: u64 = 1_000_000;
/// Whole-millisecond values below this go to the dense array (10 minutes).
const DENSE_LIMIT_MS: u64 = 600_000;

#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    /// `dense[ms]` = count of samples of exactly `ms` milliseconds. Grows to the largest value seen.
    dense: Vec<u64>,
    /// Values (ns) that are not whole milliseconds below [`DENSE_LIMIT_MS`]: distinct, ascending.
    sparse: Vec<(u64, u64)>,
    /// Such values recorded out of order since `sparse` was last sorted (unsorted, may repeat).
    recent: Vec<(u64, u64)>,
    count: u64,
    sum_ns: u128,
    min_ns: u64,
    max_ns: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            dense: Vec::new(),
            sparse: Vec::new(),
            recent: Vec::new(),
            count: 0,
            sum_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
        }
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn record(&mut self, ns: u64) {
        self.record_n(ns, 1);
    }

    pub fn record_n(&mut self, ns: u64, n: u64) {
        if n == 0 {
            return;
        }
        if ns % NS_PER_MS == 0 && ns / NS_PER_MS < DENSE_LIMIT_MS {
            let ms = (ns / NS_PER_MS) as usize;
            if ms >= self.dense.len() {
                self.dense.resize(ms + 1, 0);
            }
            self.dense[ms] += n;
        } else {
            self.record_sparse(ns, n);
        }
        self.count += n;
        self.sum_ns += ns as u128 * n as u128;
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Adds every sample of `other` (exact: the result is the histogram of both sample sets).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if other.count == 0 {
            return;
        }
        if self.dense.len() < other.dense.len() {
            self.dense.resize(other.dense.len(), 0);
        }
        for (mine, theirs) in self.dense.iter_mut().zip(&other.dense) {
            *mine += theirs;
        }
        self.recent.extend_from_slice(&other.sparse);
        self.recent.extend_from_slice(&other.recent);
        self.compact();
        self.count += other.count;
        self.sum_ns += other.sum_ns;
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    /// Values arriving in ascending order are appended; others wait in `recent` and are sorted
    /// in once `recent` holds a quarter as many entries as `sparse` (so sorting costs O(log n) per
    /// value, and memory stays about 20 bytes per distinct value).
    fn record_sparse(&mut self, ns: u64, n: u64) {
        match self.sparse.last_mut() {
            Some(last) if self.recent.is_empty() && last.0 == ns => last.1 += n,
            Some(last) if self.recent.is_empty() && last.0 < ns => self.sparse.push((ns, n)),
            None if self.recent.is_empty() => self.sparse.push((ns, n)),
            _ => {
                self.recent.push((ns, n));
                if self.recent.len() >= (self.sparse.len() / 4).max(4096) {
                    self.compact();
                }
            }
        }
    }

    /// Sorts the values recorded out of order into `sparse`.
    pub fn compact(&mut self) {
        if self.recent.is_empty() {
            return;
        }
        self.sparse.append(&mut self.recent);
        self.recent = Vec::new();
        self.sparse.sort_unstable_by_key(|&(v, _)| v);
        self.sparse.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
    }

    /// The histogram with every value sorted in, for reading many times (see [`Self::iter`]):
    /// itself when it is, else a sorted copy.
    pub fn compacted(&self) -> Cow<'_, LatencyHistogram> {
        if self.recent.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut copy = self.clone();
        copy.compact();
        Cow::Owned(copy)
    }

    /// The sparse values, distinct and ascending.
    fn sorted_sparse(&self) -> Cow<'_, [(u64, u64)]> {
        if self.recent.is_empty() {
            return Cow::Borrowed(&self.sparse);
        }
        let mut copy = self.clone();
        copy.compact();
        Cow::Owned(copy.sparse)
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn min_ns(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min_ns)
    }

    pub fn max_ns(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max_ns)
    }

    pub fn mean_ns(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_ns as f64 / self.count as f64)
    }

    /// Population standard deviation, computed from the exact counts.
    pub fn stddev_ns(&self) -> Option<f64> {
        let mean = self.mean_ns()?;
        let sq: f64 = self
            .iter()
            .map(|(v, n)| {
                let d = v as f64 - mean;
                d * d * n as f64
            })
            .sum();
        Some((sq / self.count as f64).sqrt())
    }

    /// Distinct values in ascending order with their counts. Values recorded out of order and
    /// not sorted in yet are sorted into a copy first: call [`Self::compact`] (or read a
    /// [`Self::compacted`] copy) before reading a histogram many times.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(ms, &n)| (ms as u64 * NS_PER_MS, n));
        let sparse = self.sorted_sparse();
        let sparse = (0..sparse.len()).filter_map(move |i| sparse.get(i).copied());
        MergeAscending {
            a: dense.peekable(),
            b: sparse.peekable(),
        }
    }

    /// The nearest-rank percentile (see the module documentation), `p` in 0..=100.
    pub fn percentile_ns(&self, p: f64) -> Option<u64> {
        self.percentiles_ns(&[p]).pop().flatten()
    }

    /// Several percentiles in one pass; `ps` must be ascending.
    pub fn percentiles_ns(&self, ps: &[f64]) -> Vec<Option<u64>> {
        if self.count == 0 {
            return vec![None; ps.len()];
        }
        let ranks: Vec<u64> = ps.iter().map(|&p| nearest_rank(p, self.count)).collect();
        let mut out = Vec::with_capacity(ps.len());
        let mut seen = 0u64;
        let mut values = self.iter();
        let mut current = None;
        for rank in ranks {
            while seen < rank {
                match values.next() {
                    Some((v, n)) => {
                        seen += n;
                        current = Some(v);
                    }
                    None => break,
                }
            }
            out.push(current);
        }
        out
    }
}

/// Equal when they hold the same samples (however the values are arranged inside).
impl PartialEq for LatencyHistogram {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count
            && self.sum_ns == other.sum_ns
            && self.min_ns == other.min_ns
            && self.max_ns == other.max_ns
            && self.iter().eq(other.iter())
    }
}

/// The 1-based rank of the p-th percentile among `n` samples: `ceil(p/100 * n)`, at least 1.
pub fn nearest_rank(p: f64, n: u64) -> u64 {
    let p_milli = (p.clamp(0.0, 100.0) * 1000.0).round() as u128;
    let rank = (p_milli * n as u128).div_ceil(100_000);
    (rank as u64).clamp(1, n.max(1))
}

/// Merges two ascending `(value, count)` streams (values never repeat across the two streams
/// because a value is either whole milliseconds below the dense limit or not).
struct MergeAscending<A: Iterator<Item = (u64, u64)>, B: Iterator<Item = (u64, u64)>> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<A, B> Iterator for MergeAscending<A, B>
where
    A: Iterator<Item = (u64, u64)>,
    B: Iterator<Item = (u64, u64)>,
{
    type Item = (u64, u64);
    fn next(&mut self) -> Option<(u64, u64)> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) if x.0 <= y.0 => self.a.next(),
            (Some(_), Some(_)) => self.b.next(),
            (Some(_), None) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, written the slow obvious way: sort, then index by rank.
    fn sorted_nearest_rank(values: &[u64], p: f64) -> u64 {
        let mut v = values.to_vec();
        v.sort_unstable();
        let n = v.len() as f64;
        let rank = ((p / 100.0 * n).ceil() as usize).max(1);
        v[rank - 1]
    }

    #[test]
    fn percentiles_of_one_to_hundred() {
        let mut h = LatencyHistogram::new();
        for ms in 1..=100u64 {
            h.record(ms * NS_PER_MS);
        }
        assert_eq!(h.percentile_ns(50.0), Some(50 * NS_PER_MS));
        assert_eq!(h.percentile_ns(99.0), Some(99 * NS_PER_MS));
        assert_eq!(h.percentile_ns(99.9), Some(100 * NS_PER_MS));
        assert_eq!(h.percentile_ns(0.0), Some(NS_PER_MS));
        assert_eq!(h.min_ns(), Some(NS_PER_MS));
        assert_eq!(h.max_ns(), Some(100 * NS_PER_MS));
        assert_eq!(h.mean_ns(), Some(50.5 * NS_PER_MS as f64));
    }

    #[test]
    fn rank_is_exact_for_decimal_percentiles() {
        assert_eq!(nearest_rank(99.9, 1000), 999);
        assert_eq!(nearest_rank(99.9, 1001), 1000);
        assert_eq!(nearest_rank(50.0, 1), 1);
        assert_eq!(nearest_rank(0.0, 10), 1);
        assert_eq!(nearest_rank(100.0, 10), 10);
    }

    #[test]
    fn empty_histogram_has_no_values() {
        let h = LatencyHistogram::new();
        assert_eq!(h.percentile_ns(50.0), None);
        assert_eq!(h.mean_ns(), None);
        assert_eq!(h.stddev_ns(), None);
    }

    #[test]
    fn stddev_matches_textbook_formula() {
        let mut h = LatencyHistogram::new();
        for v in [2u64, 4, 4, 4, 5, 5, 7, 9] {
            h.record(v * NS_PER_MS);
        }
        assert!((h.stddev_ns().unwrap() - 2.0 * NS_PER_MS as f64).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn percentiles_equal_sorting(
            ms in proptest::collection::vec(0u64..2_000, 1..300),
            sub in proptest::collection::vec(0u64..3_000_000_000, 0..100),
            p in 0.0f64..=100.0,
        ) {
            let mut values: Vec<u64> = ms.iter().map(|m| m * NS_PER_MS).collect();
            values.extend(sub);
            let mut h = LatencyHistogram::new();
            for &v in &values { h.record(v); }
            let p = (p * 1000.0).round() / 1000.0;
            prop_assert_eq!(h.percentile_ns(p), Some(sorted_nearest_rank(&values, p)));
            prop_assert_eq!(h.count(), values.len() as u64);
        }

        #[test]
        fn merge_equals_single_pass(
            a in proptest::collection::vec(0u64..5_000_000_000, 0..200),
            b in proptest::collection::vec(0u64..5_000_000_000, 0..200),
        ) {
            let mut ha = LatencyHistogram::new();
            let mut hb = LatencyHistogram::new();
            let mut all = LatencyHistogram::new();
            for &v in &a { ha.record(v); all.record(v); }
            for &v in &b { hb.record(v); all.record(v); }
            ha.merge(&hb);
            prop_assert_eq!(ha.iter().collect::<Vec<_>>(), all.iter().collect::<Vec<_>>());
            prop_assert_eq!(ha.percentiles_ns(&[50.0, 99.0]), all.percentiles_ns(&[50.0, 99.0]));
        }
    }
}
