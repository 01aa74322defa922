//! The Universal Scalability Law: X(N) = λN / (1 + σ(N−1) + κN(N−1)).
//!
//! λ is the throughput of one client (N = 1) without contention, σ the contention (serial
//! fraction) and κ the coherency delay (crosstalk). The fit minimises the squared error of
//! throughput (not of a linearised form) subject to σ, κ >= 0: for each choice of which of σ, κ
//! are held at zero it starts from the best point of a coarse grid and refines by
//! Levenberg–Marquardt, then keeps the best fit whose parameters are all allowed.
//!
//! Rule (also in the README): a fit needs at least [`MIN_LEVELS_TO_FIT`] distinct concurrencies;
//! predicting the peak needs at least [`MIN_LEVELS_TO_PREDICT`] and R² >= [`MIN_R_SQUARED`],
//! otherwise benchreport refuses to extrapolate and says why.

use serde::Serialize;

pub const MIN_LEVELS_TO_FIT: usize = 3;
pub const MIN_LEVELS_TO_PREDICT: usize = 4;
pub const MIN_R_SQUARED: f64 = 0.9;
pub const RULE: &str =
    "least squares on throughput with sigma, kappa >= 0; fitted with at least 3 \
distinct concurrencies; the peak is predicted only with at least 4 and R^2 >= 0.90";

/// One measured point: throughput at a concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UslPoint {
    pub concurrency: f64,
    pub throughput: f64,
}

/// Fitted parameters and the quality of the fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UslFit {
    pub lambda: f64,
    pub sigma: f64,
    pub kappa: f64,
    /// 1 − SSE/SST; `None` when every point has the same throughput.
    pub r_squared: Option<f64>,
    /// Root mean squared error of throughput.
    pub rmse: f64,
    pub points: usize,
    pub distinct_concurrencies: usize,
}

impl UslFit {
    pub fn throughput_at(&self, n: f64) -> f64 {
        model([self.lambda, self.sigma, self.kappa], n)
    }
}

/// What the fit predicts beyond the measurements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UslPrediction {
    /// N* = sqrt((1 − σ)/κ), where throughput peaks; `None` when it never does (κ = 0).
    pub peak_concurrency: Option<f64>,
    pub peak_throughput: Option<f64>,
    /// λ/σ, the ceiling throughput approaches when κ = 0 and σ > 0.
    pub ceiling_throughput: Option<f64>,
    /// True when the peak lies beyond the highest measured concurrency (or there is no peak).
    pub beyond_tested_range: bool,
    pub explanation: String,
}

/// A fit with its prediction, or the reason there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UslReport {
    pub points: Vec<UslPoint>,
    pub fit: Option<UslFit>,
    pub prediction: Option<UslPrediction>,
    /// Why no fit or no prediction was made.
    pub refused: Option<String>,
    pub rule: &'static str,
}

/// Fits the law and predicts the peak, following the rule in the module documentation.
pub fn analyze(points: Vec<UslPoint>) -> UslReport {
    let mut report = UslReport {
        points,
        fit: None,
        prediction: None,
        refused: None,
        rule: RULE,
    };
    let usable = usable_points(&report.points);
    let levels = distinct_concurrencies(&usable);
    if levels < MIN_LEVELS_TO_FIT {
        report.refused = Some(format!(
            "{levels} distinct concurrencies: a fit needs at least {MIN_LEVELS_TO_FIT}"
        ));
        return report;
    }
    let Some(fit) = fit(&usable) else {
        report.refused = Some("the fit did not converge to allowed parameters".into());
        return report;
    };
    report.fit = Some(fit);
    report.refused = if levels < MIN_LEVELS_TO_PREDICT {
        Some(format!(
            "{levels} distinct concurrencies: predicting the peak needs at least {MIN_LEVELS_TO_PREDICT}"
        ))
    } else {
        match fit.r_squared {
            Some(r2) if r2 >= MIN_R_SQUARED => None,
            Some(r2) => Some(format!(
                "R^2 = {r2:.3} is below {MIN_R_SQUARED}: the law does not describe these points well enough to extrapolate"
            )),
            None => Some("every point has the same throughput: R^2 is undefined".into()),
        }
    };
    if report.refused.is_none() {
        let max_n = usable.iter().map(|p| p.concurrency).fold(0.0, f64::max);
        report.prediction = Some(predict(&fit, max_n));
    }
    report
}

fn usable_points(points: &[UslPoint]) -> Vec<UslPoint> {
    points
        .iter()
        .copied()
        .filter(|p| p.concurrency >= 1.0 && p.concurrency.is_finite() && p.throughput.is_finite())
        .filter(|p| p.throughput >= 0.0)
        .collect()
}

fn distinct_concurrencies(points: &[UslPoint]) -> usize {
    let mut n: Vec<f64> = points.iter().map(|p| p.concurrency).collect();
    n.sort_by(f64::total_cmp);
    n.dedup();
    n.len()
}

/// The peak of a fitted curve.
pub fn predict(fit: &UslFit, max_tested: f64) -> UslPrediction {
    let (sigma, kappa) = (fit.sigma, fit.kappa);
    if kappa > 0.0 {
        let n_star = if sigma < 1.0 {
            ((1.0 - sigma) / kappa).sqrt().max(1.0)
        } else {
            1.0
        };
        return UslPrediction {
            peak_concurrency: Some(n_star),
            peak_throughput: Some(fit.throughput_at(n_star)),
            ceiling_throughput: None,
            beyond_tested_range: n_star > max_tested,
            explanation: "throughput peaks at N* = sqrt((1 - sigma)/kappa) and falls beyond it"
                .into(),
        };
    }
    let (ceiling, explanation) = if sigma > 0.0 {
        (
            Some(fit.lambda / sigma),
            "kappa = 0: no peak; throughput approaches lambda/sigma as concurrency grows",
        )
    } else {
        (
            None,
            "sigma = kappa = 0: throughput grows linearly over the measured range",
        )
    };
    UslPrediction {
        peak_concurrency: None,
        peak_throughput: None,
        ceiling_throughput: ceiling,
        beyond_tested_range: true,
        explanation: explanation.into(),
    }
}

/// Least-squares fit with σ, κ >= 0 and λ > 0, or `None` when no allowed fit was found.
pub fn fit(points: &[UslPoint]) -> Option<UslFit> {
    if points.is_empty() {
        return None;
    }
    // Which of (λ, σ, κ) are free; the others are held at zero. Together these cover the
    // constrained optimum, which lies either inside or on the σ = 0 or κ = 0 boundary. Fewest
    // free parameters first.
    const ACTIVE_SETS: [[bool; 3]; 4] = [
        [true, false, false],
        [true, true, false],
        [true, false, true],
        [true, true, true],
    ];
    let candidates: Vec<(usize, f64, [f64; 3])> = ACTIVE_SETS
        .iter()
        .filter_map(|free| {
            let start = grid_start(points, *free)?;
            let p = levenberg_marquardt(points, start, *free);
            let allowed = p[0] > 0.0 && p[1] >= 0.0 && p[2] >= 0.0;
            let free_count = free.iter().filter(|f| **f).count();
            allowed.then(|| (free_count, sse(points, p), p))
        })
        .collect();
    let mean = points.iter().map(|q| q.throughput).sum::<f64>() / points.len() as f64;
    let sst: f64 = points.iter().map(|q| (q.throughput - mean).powi(2)).sum();
    let least = candidates.iter().map(|c| c.1).fold(f64::INFINITY, f64::min);
    // A parameter that improves the fit only by rounding noise is not evidence: among fits
    // within that noise of the best, keep the one with the fewest free parameters (so exact
    // Amdahl data gives κ = 0, not 1e-15).
    let noise = 1e-9 * sst.max(f64::MIN_POSITIVE) + 1e-12 * least;
    let best = candidates
        .iter()
        .filter(|c| c.1 <= least + noise)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map(|c| (c.1, c.2))?;
    let (sse, p) = best;
    Some(UslFit {
        lambda: p[0],
        sigma: p[1],
        kappa: p[2],
        r_squared: (sst > 0.0).then(|| 1.0 - sse / sst),
        rmse: (sse / points.len() as f64).sqrt(),
        points: points.len(),
        distinct_concurrencies: distinct_concurrencies(points),
    })
}

fn model(p: [f64; 3], n: f64) -> f64 {
    p[0] * n / (1.0 + p[1] * (n - 1.0) + p[2] * n * (n - 1.0))
}

fn sse(points: &[UslPoint], p: [f64; 3]) -> f64 {
    points
        .iter()
        .map(|q| (q.throughput - model(p, q.concurrency)).powi(2))
        .sum()
}

/// The λ that minimises the squared error for given σ, κ (the model is linear in λ).
fn best_lambda(points: &[UslPoint], sigma: f64, kappa: f64) -> Option<f64> {
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), q| {
        let f = model([1.0, sigma, kappa], q.concurrency);
        (num + q.throughput * f, den + f * f)
    });
    (den > 0.0 && num > 0.0).then(|| num / den)
}

/// The best starting point on a coarse grid of σ and κ (free ones only; λ solved exactly).
fn grid_start(points: &[UslPoint], free: [bool; 3]) -> Option<[f64; 3]> {
    const SIGMAS: [f64; 11] = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
    const KAPPAS: [f64; 8] = [0.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1];
    let sigmas: &[f64] = if free[1] { &SIGMAS[1..] } else { &[0.0] };
    let kappas: &[f64] = if free[2] { &KAPPAS[1..] } else { &[0.0] };
    sigmas
        .iter()
        .flat_map(|&s| kappas.iter().map(move |&k| (s, k)))
        .filter_map(|(s, k)| Some([best_lambda(points, s, k)?, s, k]))
        .min_by(|a, b| sse(points, *a).total_cmp(&sse(points, *b)))
}

/// Levenberg–Marquardt (Marquardt's diagonal scaling) over the free parameters.
fn levenberg_marquardt(points: &[UslPoint], start: [f64; 3], free: [bool; 3]) -> [f64; 3] {
    let mut p = start;
    let mut s = sse(points, p);
    let mut damping = 1e-3;
    for _ in 0..500 {
        if s == 0.0 {
            break;
        }
        let (jtj, jtr) = normal_equations(points, p, free);
        let mut improved = false;
        while damping < 1e12 {
            let mut m = jtj;
            for i in 0..3 {
                m[i][i] += damping * jtj[i][i].max(f64::MIN_POSITIVE);
            }
            let Some(step) = solve3(m, jtr) else {
                damping *= 4.0;
                continue;
            };
            let candidate = [p[0] + step[0], p[1] + step[1], p[2] + step[2]];
            let s_new = sse(points, candidate);
            if s_new.is_finite() && s_new < s {
                let gain = s - s_new;
                p = candidate;
                s = s_new;
                damping = (damping / 3.0).max(1e-12);
                improved = gain > 1e-15 * s.max(f64::MIN_POSITIVE);
                break;
            }
            damping *= 4.0;
        }
        if !improved {
            break;
        }
    }
    p
}

/// JᵀJ and Jᵀr of the model at `p`; fixed parameters get an identity row so their step is zero.
fn normal_equations(
    points: &[UslPoint],
    p: [f64; 3],
    free: [bool; 3],
) -> ([[f64; 3]; 3], [f64; 3]) {
    let mut jtj = [[0.0; 3]; 3];
    let mut jtr = [0.0; 3];
    for q in points {
        let n = q.concurrency;
        let d = 1.0 + p[1] * (n - 1.0) + p[2] * n * (n - 1.0);
        let x = p[0] * n / d;
        let mut j = [n / d, -x * (n - 1.0) / d, -x * n * (n - 1.0) / d];
        for (ji, f) in j.iter_mut().zip(free) {
            if !f {
                *ji = 0.0;
            }
        }
        let r = q.throughput - x;
        for a in 0..3 {
            jtr[a] += j[a] * r;
            for b in 0..3 {
                jtj[a][b] += j[a] * j[b];
            }
        }
    }
    for (i, f) in free.iter().enumerate() {
        if !f {
            jtj[i] = [0.0; 3];
            jtj[i][i] = 1.0;
        }
    }
    (jtj, jtr)
}

/// Solves a 3×3 linear system by Gaussian elimination with partial pivoting.
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..3 {
            let factor = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (x, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *x -= factor * p;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let tail: f64 = (row + 1..3).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points generated from known parameters, each throughput scaled by `noise[i]`.
    fn generated(lambda: f64, sigma: f64, kappa: f64, ns: &[f64], noise: &[f64]) -> Vec<UslPoint> {
        ns.iter()
            .zip(noise.iter().chain(std::iter::repeat(&1.0)))
            .map(|(&n, &e)| UslPoint {
                concurrency: n,
                // Written out here rather than calling `model`, so the test checks the fit
                // against an independent statement of the law.
                throughput: e * lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0)),
            })
            .collect()
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    const NS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 48.0, 64.0, 96.0, 128.0];

    #[test]
    fn recovers_exact_parameters() {
        let report = analyze(generated(850.0, 0.04, 0.0003, &NS, &[]));
        let fit = report.fit.unwrap();
        assert!(rel(fit.lambda, 850.0) < 1e-6, "{fit:?}");
        assert!(rel(fit.sigma, 0.04) < 1e-5, "{fit:?}");
        assert!(rel(fit.kappa, 0.0003) < 1e-5, "{fit:?}");
        assert!(fit.r_squared.unwrap() > 0.999_999);
        let p = report.prediction.unwrap();
        // N* = sqrt(0.96 / 0.0003) = sqrt(3200) = 56.5685...
        assert!((p.peak_concurrency.unwrap() - 56.568_542).abs() < 1e-3);
        // X(N*) = 850 * 56.5685 / (1 + 0.04 * 55.5685 + 0.0003 * 56.5685 * 55.5685)
        //       = 48083.26 / (1 + 2.22274 + 0.94302) = 48083.26 / 4.16576 = 11542.5
        assert!(rel(p.peak_throughput.unwrap(), 11_542.5) < 1e-4);
        assert!(!p.beyond_tested_range);
    }

    #[test]
    fn recovers_parameters_from_noisy_points() {
        // A fixed ±2% pattern of measurement noise.
        let noise = [1.02, 0.98, 1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0];
        let report = analyze(generated(1200.0, 0.02, 0.0001, &NS, &noise));
        let fit = report.fit.unwrap();
        assert!(rel(fit.lambda, 1200.0) < 0.05, "{fit:?}");
        assert!((fit.sigma - 0.02).abs() < 0.01, "{fit:?}");
        assert!(rel(fit.kappa, 0.0001) < 0.3, "{fit:?}");
        assert!(fit.r_squared.unwrap() > 0.99);
        // N* = sqrt(0.98 / 0.0001) = 98.99
        let n_star = report.prediction.unwrap().peak_concurrency.unwrap();
        assert!(rel(n_star, 98.99) < 0.2, "{n_star}");
    }

    #[test]
    fn amdahl_data_gives_kappa_zero_and_a_ceiling() {
        let report = analyze(generated(100.0, 0.1, 0.0, &NS, &[]));
        let fit = report.fit.unwrap();
        assert!(fit.kappa < 1e-9, "{fit:?}");
        assert!(rel(fit.sigma, 0.1) < 1e-5);
        let p = report.prediction.unwrap();
        assert_eq!(p.peak_concurrency, None);
        // λ/σ = 100 / 0.1 = 1000
        assert!(rel(p.ceiling_throughput.unwrap(), 1000.0) < 1e-4);
    }

    #[test]
    fn negative_contention_is_not_allowed() {
        // Superlinear growth would need σ < 0; the constrained fit holds σ at 0.
        let points: Vec<UslPoint> = [1.0, 2.0, 3.0, 4.0, 5.0]
            .iter()
            .map(|&n: &f64| UslPoint {
                concurrency: n,
                throughput: 10.0 * n.powf(1.2),
            })
            .collect();
        let fit = fit(&points).unwrap();
        assert!(fit.sigma >= 0.0 && fit.kappa >= 0.0, "{fit:?}");
    }

    #[test]
    fn refuses_to_extrapolate_from_few_or_poorly_fitting_points() {
        let three = analyze(generated(850.0, 0.04, 0.0003, &[1.0, 8.0, 64.0], &[]));
        assert!(three.fit.is_some());
        assert!(three.prediction.is_none());
        assert!(three.refused.unwrap().contains("at least 4"));
        let two = analyze(generated(850.0, 0.04, 0.0003, &[1.0, 8.0], &[]));
        assert!(two.fit.is_none());
        assert!(two.refused.unwrap().contains("at least 3"));
        // Throughput that jumps around with concurrency: no law fits it.
        let zigzag: Vec<UslPoint> = [
            (1.0, 100.0),
            (2.0, 900.0),
            (3.0, 150.0),
            (4.0, 950.0),
            (5.0, 120.0),
            (6.0, 880.0),
        ]
        .iter()
        .map(|&(concurrency, throughput)| UslPoint {
            concurrency,
            throughput,
        })
        .collect();
        let poor = analyze(zigzag);
        assert!(poor.fit.unwrap().r_squared.unwrap() < MIN_R_SQUARED);
        assert!(poor.prediction.is_none());
        assert!(poor.refused.unwrap().contains("R^2"));
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert!(fit(&[]).is_none());
        let flat: Vec<UslPoint> = (1..=5)
            .map(|n| UslPoint {
                concurrency: n as f64,
                throughput: 0.0,
            })
            .collect();
        assert!(analyze(flat).prediction.is_none());
        let odd = vec![
            UslPoint {
                concurrency: f64::NAN,
                throughput: 1.0,
            },
            UslPoint {
                concurrency: 0.0,
                throughput: 1.0,
            },
        ];
        assert!(analyze(odd).fit.is_none());
    }

    #[test]
    fn solve3_by_hand() {
        // x + y + z = 6, 2y + 5z = -4, 2x + 5y - z = 27  =>  (5, 3, -2)
        let x = solve3(
            [[1.0, 1.0, 1.0], [0.0, 2.0, 5.0], [2.0, 5.0, -1.0]],
            [6.0, -4.0, 27.0],
        )
        .unwrap();
        assert!(
            (x[0] - 5.0).abs() < 1e-12 && (x[1] - 3.0).abs() < 1e-12 && (x[2] + 2.0).abs() < 1e-12
        );
    }
}
