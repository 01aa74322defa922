//! Terminal text of `benchreport capacity`: projections, target, cost, and per-run analyses.

use super::format::count;
use crate::capacity::knee::Saturation;
use crate::capacity::usl::UslReport;
use crate::capacity::{CapacityAnalysis, CapacityEstimate, CapacityReport, LittleVerdict};

/// A quantity for reading: whole numbers with thousands separators from 100 up, else three
/// significant digits (`29.1`, `0.0797`).
pub fn quantity(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v.abs() >= 100.0 {
        let rounded = v.abs().round() as u64;
        let sign = if v < 0.0 { "-" } else { "" };
        return format!("{sign}{}", count(Some(rounded)));
    }
    significant(v, 3)
}

fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    format!("{v:.decimals$}")
}

/// Money: two decimals from 1 up, else four significant digits (`0.02181`).
pub fn money(v: f64, currency: &str) -> String {
    if v.abs() >= 1000.0 {
        let cents = (v.abs() * 100.0).round() as u64;
        let sign = if v < 0.0 { "-" } else { "" };
        format!(
            "{sign}{}.{:02} {currency}",
            count(Some(cents / 100)),
            cents % 100
        )
    } else if v.abs() >= 1.0 {
        format!("{v:.2} {currency}")
    } else {
        format!("{} {currency}", significant(v, 4))
    }
}

/// The quick estimate of `benchreport capacity --rps N`.
pub fn estimate_text(e: &CapacityEstimate) -> String {
    let mut out = format!("throughput: {} req/s ({})\n", quantity(e.rps), e.rps_basis);
    let rows = [
        ("per second", e.per_second, ""),
        ("per minute", e.per_minute, ""),
        ("per hour", e.per_hour, ""),
        ("per day", e.per_day, ""),
        ("per month", e.per_month, "  (30 days)"),
        ("per year", e.per_year, "  (365 days)"),
    ];
    let cells: Vec<String> = rows.iter().map(|r| quantity(r.1)).collect();
    let width = cells.iter().map(String::len).max().unwrap_or(0);
    for ((label, _, note), cell) in rows.iter().zip(&cells) {
        out.push_str(&format!("  {label:<11}{cell:>width$}{note}\n"));
    }
    if let (Some(p), Some(day), Some(year)) =
        (e.population, e.per_capita_per_day, e.per_capita_per_year)
    {
        out.push_str(&format!(
            "  per person: {} a day, {} a year (population {})\n",
            quantity(day),
            quantity(year),
            quantity(p)
        ));
    }
    out.push_str(&plan_lines(e, ""));
    out.push_str("assumptions:\n");
    for a in &e.assumptions {
        out.push_str(&format!("  - {a}\n"));
    }
    out
}

fn plan_lines(e: &CapacityEstimate, indent: &str) -> String {
    let mut out = String::new();
    if let Some(t) = &e.target {
        out.push_str(&format!(
            "{indent}target {} req/s at {:.0}% of measured capacity: {} instance{} ({} req/s \
             planned per instance, {:.1}% of capacity in use)\n",
            quantity(t.target_rps),
            t.headroom * 100.0,
            t.instances_needed,
            if t.instances_needed == 1 { "" } else { "s" },
            quantity(t.planned_rps_per_instance),
            t.utilisation_at_target * 100.0
        ));
    }
    if let Some(c) = &e.cost {
        out.push_str(&format!(
            "{indent}cost: {} per month ({} instance{}), {} per million requests",
            money(c.monthly_cost, &c.currency),
            c.instances,
            if c.instances == 1 { "" } else { "s" },
            money(c.cost_per_million_requests, &c.currency)
        ));
        if let (Some(m), Some(per)) = (c.monthly_cost_at_target, c.cost_per_million_at_target) {
            out.push_str(&format!(
                "; at the target {} per month, {} per million",
                money(m, &c.currency),
                money(per, &c.currency)
            ));
        }
        out.push('\n');
    }
    out
}

/// Every run's capacity figures and every system's scaling fit.
pub fn analysis_text(a: &CapacityAnalysis) -> String {
    let mut out = String::new();
    for (i, r) in a.runs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&run_text(r));
    }
    for s in &a.systems {
        out.push_str(&format!(
            "\nsystem {}{}: runs {}\n",
            s.name,
            s.label
                .as_deref()
                .map_or(String::new(), |l| format!(" ({l})")),
            s.runs.join(", ")
        ));
        match &s.scaling {
            Some(usl) => out.push_str(&usl_text(usl, "  ")),
            None => out.push_str("  no run states its concurrency: no scaling fit\n"),
        }
    }
    out
}

fn run_text(r: &CapacityReport) -> String {
    let mut out = format!(
        "{}{}\n",
        r.run,
        r.label
            .as_deref()
            .map_or(String::new(), |l| format!(": {l}"))
    );
    if let Some(t) = &r.throughput {
        let mut parts = Vec::new();
        if let (Some(p), Some(at)) = (t.peak_rps, t.peak_at_s) {
            parts.push(format!("peak {} req/s at {at} s", quantity(p)));
        }
        if let (Some(s), Some(w)) = (t.sustained_rps, &t.window) {
            let cv = t.cv.map_or(String::new(), |cv| {
                format!(
                    ", CV {cv:.3}{}",
                    t.steadiness
                        .map_or(String::new(), |s| format!(" {s:?}").to_lowercase())
                )
            });
            parts.push(format!(
                "sustained {} req/s over {}–{} s{cv}",
                quantity(s),
                w.start_s,
                w.end_s
            ));
        }
        if let Some(m) = t.mean_rps {
            parts.push(format!("whole run {} req/s", quantity(m)));
        }
        out.push_str(&format!("  throughput: {}\n", parts.join("; ")));
    }
    if let Some(e) = &r.estimate {
        out.push_str(&format!(
            "  projection: {} a day, {} a month, {} a year\n",
            quantity(e.per_day),
            quantity(e.per_month),
            quantity(e.per_year)
        ));
        if let (Some(p), Some(year)) = (e.population, e.per_capita_per_year) {
            out.push_str(&format!(
                "  per person: {} a year (population {})\n",
                quantity(year),
                quantity(p)
            ));
        }
        out.push_str(&plan_lines(e, "  "));
    }
    if let Some(eff) = &r.efficiency {
        let mut parts = Vec::new();
        if let Some(c) = eff.requests_per_cpu_second {
            parts.push(format!("{} requests per CPU-second", quantity(c)));
        }
        if let Some(m) = eff.rps_per_gib_peak_memory {
            parts.push(format!("{} req/s per GiB of peak memory", quantity(m)));
        }
        if !parts.is_empty() {
            out.push_str(&format!("  efficiency: {}\n", parts.join(", ")));
        }
    }
    if let Some(l) = &r.littles_law {
        let verdict = match l.verdict {
            LittleVerdict::Consistent => "consistent",
            LittleVerdict::ClientsIdle => "clients idle",
            LittleVerdict::Inconsistent => "INCONSISTENT",
        };
        out.push_str(&format!(
            "  Little's law: {verdict}: {} (concurrency {})\n",
            l.explanation, l.concurrency_source
        ));
    }
    if let Some(s) = &r.saturation {
        out.push_str(&saturation_text(s));
    }
    if let Some(e) = &r.estimate {
        out.push_str("  assumptions:\n");
        for a in &e.assumptions {
            out.push_str(&format!("    - {a}\n"));
        }
    }
    if !r.notes.is_empty() {
        out.push_str("  notes:\n");
        for n in &r.notes {
            out.push_str(&format!("    - {n}\n"));
        }
    }
    out
}

fn saturation_text(s: &Saturation) -> String {
    let levels: Vec<String> = s
        .levels
        .iter()
        .map(|l| {
            format!(
                "{}: {} req/s, {} ms",
                l.concurrency,
                quantity(l.rps),
                l.latency_mean_ms.map_or("-".into(), quantity)
            )
        })
        .collect();
    let mut out = format!(
        "  saturation (threads: throughput, mean latency): {}\n",
        levels.join("; ")
    );
    out.push_str(&format!("    knee: {}\n", s.explanation));
    out.push_str(&usl_text(&s.usl, "    "));
    out
}

fn usl_text(u: &UslReport, indent: &str) -> String {
    let mut out = String::new();
    if let Some(f) = &u.fit {
        out.push_str(&format!(
            "{indent}USL fit over {} points: lambda {}, sigma {:.4}, kappa {:.3e}, R^2 {}\n",
            f.points,
            quantity(f.lambda),
            f.sigma,
            f.kappa,
            f.r_squared.map_or("-".into(), |r| format!("{r:.3}"))
        ));
    }
    if let Some(p) = &u.prediction {
        match (p.peak_concurrency, p.peak_throughput) {
            (Some(n), Some(x)) => out.push_str(&format!(
                "{indent}predicted peak: {} req/s at concurrency {:.1}{}\n",
                quantity(x),
                n,
                if p.beyond_tested_range {
                    " (beyond the measured range)"
                } else {
                    ""
                }
            )),
            _ => {
                out.push_str(&format!("{indent}{}", p.explanation));
                if let Some(c) = p.ceiling_throughput {
                    out.push_str(&format!(" ({} req/s)", quantity(c)));
                }
                out.push('\n');
            }
        }
    }
    if let Some(why) = &u.refused {
        out.push_str(&format!("{indent}no prediction: {why}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(quantity(25_920_000.0), "25,920,000");
        assert_eq!(quantity(29.100_3), "29.1");
        assert_eq!(quantity(0.079_726), "0.0797");
        assert_eq!(quantity(346.71), "347");
        assert_eq!(quantity(0.0), "0");
        assert_eq!(money(28.0, "USD"), "28.00 USD");
        assert_eq!(money(1372.0, "USD"), "1,372.00 USD");
        assert_eq!(money(1234567.891, "EUR"), "1,234,567.89 EUR");
        assert_eq!(money(0.021_810_3, "USD"), "0.02181 USD");
    }
}
