//! The comparison table's column model, shared by the terminal, Markdown and HTML renderers so
//! they can never disagree about what a run table holds.

use super::format;
use crate::stats::RunSummary;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Which way is better for a column, to mark the best run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    Neither,
}

pub struct Column {
    pub header: &'static str,
    pub align: Align,
    pub better: Better,
    /// The formatted cell.
    pub cell: fn(&RunSummary) -> String,
    /// The raw value, for sorting and for marking the best run.
    pub value: fn(&RunSummary) -> Option<f64>,
}

fn load_f64(r: &RunSummary, f: fn(&crate::stats::load::LoadSummary) -> Option<f64>) -> Option<f64> {
    r.load.as_ref().and_then(f)
}

fn res_f64(
    r: &RunSummary,
    f: fn(&crate::stats::resources::ResourceSummary) -> Option<f64>,
) -> Option<f64> {
    r.resources.as_ref().and_then(f)
}

/// The post's table: name, requests, success, RPS, p50/p90/p99, peak CPU, peak memory.
pub fn run_columns() -> Vec<Column> {
    vec![
        Column {
            header: "run",
            align: Align::Left,
            better: Better::Neither,
            cell: |r| r.name.clone(),
            value: |_| None,
        },
        Column {
            header: "requests",
            align: Align::Right,
            better: Better::Neither,
            cell: |r| format::count(r.load.as_ref().and_then(|l| l.requests)),
            value: |r| load_f64(r, |l| l.requests.map(|v| v as f64)),
        },
        Column {
            header: "success",
            align: Align::Right,
            better: Better::Higher,
            cell: |r| format::fraction_percent(load_f64(r, |l| l.success_rate)),
            value: |r| load_f64(r, |l| l.success_rate),
        },
        Column {
            header: "RPS",
            align: Align::Right,
            better: Better::Higher,
            cell: |r| format::rate(load_f64(r, |l| l.rps)),
            value: |r| load_f64(r, |l| l.rps),
        },
        Column {
            header: "p50 ms",
            align: Align::Right,
            better: Better::Lower,
            cell: |r| format::ms(load_f64(r, |l| l.latency_ms.p50)),
            value: |r| load_f64(r, |l| l.latency_ms.p50),
        },
        Column {
            header: "p90 ms",
            align: Align::Right,
            better: Better::Lower,
            cell: |r| format::ms(load_f64(r, |l| l.latency_ms.p90)),
            value: |r| load_f64(r, |l| l.latency_ms.p90),
        },
        Column {
            header: "p99 ms",
            align: Align::Right,
            better: Better::Lower,
            cell: |r| format::ms(load_f64(r, |l| l.latency_ms.p99)),
            value: |r| load_f64(r, |l| l.latency_ms.p99),
        },
        Column {
            header: "peak CPU",
            align: Align::Right,
            better: Better::Lower,
            cell: |r| format::cpu_percent(res_f64(r, |s| s.cpu_peak_percent)),
            value: |r| res_f64(r, |s| s.cpu_peak_percent),
        },
        Column {
            header: "peak mem",
            align: Align::Right,
            better: Better::Lower,
            cell: |r| format::mem_mb(res_f64(r, |s| s.mem_peak_mb)),
            value: |r| res_f64(r, |s| s.mem_peak_mb),
        },
    ]
}

/// For each column, the indices of the runs holding its best value (empty when the column has no
/// "better" direction or fewer than two runs have a value).
pub fn best_rows(columns: &[Column], runs: &[RunSummary]) -> Vec<Vec<usize>> {
    columns
        .iter()
        .map(|c| {
            let values: Vec<(usize, f64)> = runs
                .iter()
                .enumerate()
                .filter_map(|(i, r)| (c.value)(r).filter(|v| v.is_finite()).map(|v| (i, v)))
                .collect();
            if values.len() < 2 {
                return Vec::new();
            }
            let pick = match c.better {
                Better::Neither => return Vec::new(),
                Better::Higher => values.iter().map(|v| v.1).fold(f64::MIN, f64::max),
                Better::Lower => values.iter().map(|v| v.1).fold(f64::MAX, f64::min),
            };
            if values.iter().all(|v| v.1 == pick) {
                // A tie between every run marks nothing.
                return Vec::new();
            }
            values.iter().filter(|v| v.1 == pick).map(|v| v.0).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs_with_rps(values: &[Option<f64>]) -> Vec<RunSummary> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut load = crate::stats::load::LoadSummary::from_reported(
                    &crate::model::ReportedLoad {
                        rps: *v,
                        ..Default::default()
                    },
                    "t",
                );
                load.rps = *v;
                RunSummary {
                    name: format!("r{i}"),
                    sources: Vec::new(),
                    load: Some(load),
                    resources: None,
                    efficiency: None,
                    warnings: Vec::new(),
                }
            })
            .collect()
    }

    fn rps_best(values: &[Option<f64>]) -> Vec<usize> {
        let columns = run_columns();
        let rps = columns.iter().position(|c| c.header == "RPS").unwrap();
        best_rows(&columns, &runs_with_rps(values))[rps].clone()
    }

    #[test]
    fn best_is_the_highest_rps_and_ties_mark_nothing() {
        assert_eq!(rps_best(&[Some(1.0), Some(3.0), None, Some(2.0)]), vec![1]);
        assert_eq!(rps_best(&[Some(3.0), Some(3.0), Some(1.0)]), vec![0, 1]);
        assert!(rps_best(&[Some(2.0), Some(2.0)]).is_empty());
        assert!(rps_best(&[Some(2.0)]).is_empty());
    }
}
