//! The capacity and cost figures as page tables: one row per run on the index, one table per run
//! page, each with the assumptions printed beside the numbers.

use super::format;
use super::html::{Cell, Table};
use crate::capacity::{CapacityAnalysis, CapacityReport, LittleVerdict};

fn currency(report: &CapacityReport) -> String {
    report
        .estimate
        .as_ref()
        .and_then(|e| e.cost.as_ref())
        .map(|c| c.currency.clone())
        .unwrap_or_else(|| crate::capacity::DEFAULT_CURRENCY.to_string())
}

/// The index's "capacity and cost" table; optional columns appear only when some run has them.
pub fn index_table(analysis: &CapacityAnalysis) -> Table {
    let runs = &analysis.runs;
    let has = |f: fn(&CapacityReport) -> bool| runs.iter().any(f);
    let with_capita = has(|r| r.estimate.as_ref().is_some_and(|e| e.population.is_some()));
    let with_target = has(|r| r.estimate.as_ref().is_some_and(|e| e.target.is_some()));
    let with_cost = has(|r| r.estimate.as_ref().is_some_and(|e| e.cost.is_some()));
    let with_cpu = has(|r| {
        r.efficiency
            .as_ref()
            .is_some_and(|e| e.requests_per_cpu_second.is_some())
    });
    let mut headers = vec![
        ("run", false),
        ("RPS used", true),
        ("basis", false),
        ("per day", true),
        ("per year", true),
    ];
    if with_capita {
        headers.push(("per person / year", true));
    }
    if with_target {
        headers.push(("instances for target", true));
    }
    if with_cost {
        headers.push(("cost / million req", true));
        headers.push(("monthly cost", true));
    }
    if with_cpu {
        headers.push(("req / CPU-second", true));
    }
    let mut table = Table::new("Capacity and cost", &headers);
    for r in runs {
        let e = r.estimate.as_ref();
        let cost = e.and_then(|e| e.cost.as_ref());
        let money = |v: Option<f64>| Cell::num(format::money(v, &currency(r)), v);
        let mut row = vec![
            Cell::text(r.label.clone().unwrap_or_else(|| r.run.clone())),
            Cell::num(format::rate(e.map(|e| e.rps)), e.map(|e| e.rps)),
            Cell::label(r.basis.to_string()),
            Cell::num(format::big(e.map(|e| e.per_day)), e.map(|e| e.per_day)),
            Cell::num(format::big(e.map(|e| e.per_year)), e.map(|e| e.per_year)),
        ];
        if with_capita {
            let v = e.and_then(|e| e.per_capita_per_year);
            row.push(Cell::num(format::big(v), v));
        }
        if with_target {
            let v = e
                .and_then(|e| e.target.as_ref())
                .map(|t| t.instances_needed as f64);
            row.push(Cell::num(format::big(v), v));
        }
        if with_cost {
            row.push(money(cost.map(|c| c.cost_per_million_requests)));
            row.push(money(
                cost.map(|c| c.monthly_cost_at_target.unwrap_or(c.monthly_cost)),
            ));
        }
        if with_cpu {
            let v = r
                .efficiency
                .as_ref()
                .and_then(|x| x.requests_per_cpu_second);
            row.push(Cell::num(format::rate(v), v));
        }
        table.rows.push(row);
    }
    table
}

/// Every distinct assumption and note of the analysis, in order, for printing under the table.
pub fn assumptions(analysis: &CapacityAnalysis) -> Vec<String> {
    let mut seen = Vec::new();
    for r in &analysis.runs {
        let lines = r
            .estimate
            .iter()
            .flat_map(|e| e.assumptions.iter())
            .chain(r.efficiency.iter().map(|e| &e.cpu_method));
        for line in lines {
            if !seen.contains(line) {
                seen.push(line.clone());
            }
        }
    }
    seen
}

/// A run page's capacity table (figure, value) and its notes.
pub fn run_table(r: &CapacityReport) -> (Table, Vec<String>) {
    let mut table = Table::new("Capacity and cost", &[("figure", false), ("value", true)]);
    let mut row = |name: &str, text: String, value: Option<f64>| {
        table
            .rows
            .push(vec![Cell::text(name), Cell::num(text, value)]);
    };
    if let Some(t) = &r.throughput {
        row(
            "peak RPS (busiest second)",
            format::rate(t.peak_rps),
            t.peak_rps,
        );
        row(
            "sustained RPS (steady window)",
            format::rate(t.sustained_rps),
            t.sustained_rps,
        );
        if let Some(w) = &t.window {
            row(
                "steady window",
                format!("{:.0} s – {:.0} s", w.start_s, w.end_s),
                None,
            );
        }
        row(
            "variation in the window (CV)",
            format::fraction_percent(t.cv),
            t.cv,
        );
    }
    if let Some(e) = &r.estimate {
        row(
            &format!("RPS used ({})", r.basis),
            format::rate(Some(e.rps)),
            Some(e.rps),
        );
        for (name, v) in [
            ("per minute", e.per_minute),
            ("per hour", e.per_hour),
            ("per day", e.per_day),
            ("per 30-day month", e.per_month),
            ("per 365-day year", e.per_year),
        ] {
            row(name, format::big(Some(v)), Some(v));
        }
        if let Some(v) = e.per_capita_per_year {
            row("per person per year", format::big(Some(v)), Some(v));
        }
        if let Some(t) = &e.target {
            row(
                "instances for the target",
                format!(
                    "{} for {} req/s at {:.0}% headroom",
                    t.instances_needed,
                    format::rate(Some(t.target_rps)),
                    t.headroom * 100.0
                ),
                Some(t.instances_needed as f64),
            );
        }
        if let Some(c) = &e.cost {
            row(
                "cost per million requests",
                format::money(Some(c.cost_per_million_requests), &c.currency),
                Some(c.cost_per_million_requests),
            );
            let monthly = c.monthly_cost_at_target.unwrap_or(c.monthly_cost);
            row(
                "monthly cost",
                format::money(Some(monthly), &c.currency),
                Some(monthly),
            );
        }
    }
    if let Some(x) = &r.efficiency {
        row(
            "requests per CPU-second",
            format::rate(x.requests_per_cpu_second),
            x.requests_per_cpu_second,
        );
        row(
            "RPS per GiB of peak memory",
            format::rate(x.rps_per_gib_peak_memory),
            x.rps_per_gib_peak_memory,
        );
    }
    if let Some(k) = r.saturation.as_ref().and_then(|s| s.knee.as_ref()) {
        row(
            "knee (throughput stops growing)",
            format!(
                "{} threads: {} req/s, {} ms mean",
                k.concurrency,
                format::rate(Some(k.rps)),
                format::ms(Some(k.latency_mean_ms))
            ),
            Some(k.concurrency as f64),
        );
    }
    if let Some(l) = &r.littles_law {
        let verdict = match l.verdict {
            LittleVerdict::Consistent => "consistent",
            LittleVerdict::ClientsIdle => "clients idle",
            LittleVerdict::Inconsistent => "INCONSISTENT",
        };
        row(
            "Little's law (in flight / concurrency)",
            format!("{:.2} ({verdict})", l.ratio),
            Some(l.ratio),
        );
    }
    let mut notes: Vec<String> = r
        .estimate
        .iter()
        .flat_map(|e| e.assumptions.iter().cloned())
        .collect();
    notes.extend(r.littles_law.iter().map(|l| l.explanation.clone()));
    notes.extend(r.notes.iter().cloned());
    if let Some(sat) = &r.saturation {
        notes.push(sat.explanation.clone());
        notes.push(usl_text(&sat.usl));
    }
    (table, notes)
}

/// One line per system saying how it scales: the fitted law and its prediction, or why none.
pub fn scaling_notes(analysis: &CapacityAnalysis) -> Vec<String> {
    analysis
        .systems
        .iter()
        .filter_map(|sys| {
            let usl = sys.scaling.as_ref()?;
            let name = sys.label.clone().unwrap_or_else(|| sys.name.clone());
            Some(format!("{name}: {}", usl_text(usl)))
        })
        .collect()
}

/// The Universal Scalability Law fit in words.
pub fn usl_text(usl: &crate::capacity::usl::UslReport) -> String {
    let mut parts = Vec::new();
    if let Some(f) = &usl.fit {
        parts.push(format!(
            "USL fit over {} points: λ = {:.3}, σ = {:.4}, κ = {:.5}, R² = {}",
            f.points,
            f.lambda,
            f.sigma,
            f.kappa,
            f.r_squared.map_or("-".to_string(), |r| format!("{r:.3}"))
        ));
    }
    if let Some(p) = &usl.prediction {
        parts.push(p.explanation.clone());
    }
    if let Some(why) = &usl.refused {
        parts.push(format!("no prediction: {why}"));
    }
    parts.join("; ")
}
