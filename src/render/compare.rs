//! `benchreport compare` output: terminal text, Markdown (PR comments, `$GITHUB_STEP_SUMMARY`),
//! JSON and JUnit XML, all from one computed [`Comparison`]. Nothing is computed here.

use quick_xml::escape::escape;

use super::format;
use super::markdown::cell;
use crate::compare::{
    Comparison, LatencyTest, MetricRow, RunThresholdResult, Test, TestMethod, ThresholdResult,
    ThresholdStatus, Unit, Verdict,
};

/// A value in its unit: `495.30 req/s`, `99.1 ms`, `99.90%`, `163.4%`, `143.1 MB`.
pub fn value(unit: Unit, v: Option<f64>) -> String {
    match (unit, v) {
        (_, None) => "-".to_string(),
        (Unit::PerSecond, v) => format!("{} req/s", format::rate(v)),
        (Unit::Fraction, v) => format::fraction_percent(v),
        (Unit::Milliseconds, v) => format!("{} ms", format::ms(v)),
        (Unit::CpuPercent, v) => format::cpu_percent(v),
        (Unit::Mebibytes, v) => format::mem_mb(v),
    }
}

/// A signed relative change: `+12.3%`, `-88.2%`.
fn relative(fraction: f64) -> String {
    format!("{:+.1}%", fraction * 100.0)
}

/// A signed difference of fractions in percentage points: `-0.50 pp`.
fn points(fraction: f64) -> String {
    format!("{:+.2} pp", fraction * 100.0)
}

/// A signed absolute change in the metric's unit.
fn absolute_change(unit: Unit, d: f64) -> String {
    let sign = if d >= 0.0 { "+" } else { "-" };
    match unit {
        Unit::Fraction => points(d),
        // CPU figures are percentages, so their difference is in percentage points too.
        Unit::CpuPercent => format!("{d:+.1} pp"),
        _ => format!("{sign}{}", value(unit, Some(d.abs()))),
    }
}

/// `▲` when the value went up, `▼` when it went down.
fn marker(d: f64) -> &'static str {
    if d > 0.0 {
        "▲"
    } else if d < 0.0 {
        "▼"
    } else {
        "="
    }
}

/// The change cell: `▼ -436.95 req/s (-88.2%)`.
fn change_cell(row: &MetricRow) -> String {
    let Some(change) = &row.change else {
        return "-".to_string();
    };
    let mut text = format!(
        "{} {}",
        marker(change.absolute),
        absolute_change(row.unit, change.absolute)
    );
    if let Some(r) = change.relative {
        text.push_str(&format!(" ({})", relative(r)));
    }
    text
}

/// A side's cell: the value, and the runs' range when several runs were pooled.
fn side_cell(unit: Unit, v: Option<f64>, runs: &[f64]) -> String {
    let mut text = value(unit, v);
    let min = runs.iter().copied().reduce(f64::min);
    let max = runs.iter().copied().reduce(f64::max);
    if let (Some(min), Some(max)) = (min, max) {
        text.push_str(&format!(
            " ({} runs: {}–{})",
            runs.len(),
            value(unit, Some(min)),
            value(unit, Some(max))
        ));
    }
    text
}

fn change_of(row: &MetricRow, x: f64) -> String {
    if row.metric.changes_in_points() {
        points(x)
    } else {
        relative(x)
    }
}

fn test_text(row: &MetricRow, t: &Test) -> String {
    let verdict = if t.significant { "" } else { ", n.s." };
    match (t.method, t.ci, t.p_value) {
        (TestMethod::Bootstrap, Some(ci), _) => format!(
            "CI {}…{}{verdict}",
            change_of(row, ci.low),
            change_of(row, ci.high)
        ),
        (TestMethod::TwoProportionZ, _, Some(p)) => format!("z-test {}{verdict}", p_value(p)),
        (TestMethod::WelchT, _, Some(p)) => format!("t-test over runs {}{verdict}", p_value(p)),
        _ => "?".to_string(),
    }
}

/// `p=0.021`, `p<0.001`.
fn p_value(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".to_string()
    } else {
        format!("p={p:.3}")
    }
}

fn significance_cell(row: &MetricRow) -> String {
    if row.change.is_none() {
        return "-".to_string();
    }
    if row.tests.is_empty() {
        return "no test".to_string();
    }
    let tests: Vec<String> = row.tests.iter().map(|t| test_text(row, t)).collect();
    tests.join("; ")
}

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Better => "better",
        Verdict::Worse => "worse",
        Verdict::WithinNoise => "within noise",
        Verdict::Unavailable => "n/a",
    }
}

fn verdict_md(v: Verdict) -> &'static str {
    match v {
        Verdict::Better => "✅ better",
        Verdict::Worse => "❌ **worse**",
        Verdict::WithinNoise => "≈ within noise",
        Verdict::Unavailable => "n/a",
    }
}

fn status_text(s: ThresholdStatus) -> &'static str {
    match s {
        ThresholdStatus::Pass => "pass",
        ThresholdStatus::Breach => "BREACH",
        ThresholdStatus::WithinNoise => "pass (within noise)",
        ThresholdStatus::Unavailable => "ERROR",
    }
}

fn status_md(s: ThresholdStatus) -> &'static str {
    match s {
        ThresholdStatus::Pass => "✅ pass",
        ThresholdStatus::Breach => "❌ **breached**",
        ThresholdStatus::WithinNoise => "✅ pass (beyond, but within noise)",
        ThresholdStatus::Unavailable => "⚠️ cannot evaluate",
    }
}

/// What was held against a threshold: the change, or the value.
fn observed(r: &ThresholdResult) -> String {
    match (r.observed, r.relative) {
        (None, _) => "-".to_string(),
        (Some(x), true) if r.metric.changes_in_points() => points(x),
        (Some(x), true) => relative(x),
        (Some(x), false) => value(r.metric.unit(), Some(x)),
    }
}

/// One sentence on a threshold's result.
pub fn threshold_message(r: &ThresholdResult) -> String {
    let what = if r.relative {
        format!("{} changed by {}", r.metric.key(), observed(r))
    } else {
        format!("{} is {}", r.metric.key(), observed(r))
    };
    match r.status {
        ThresholdStatus::Pass => format!("{what}: within {}", r.threshold),
        ThresholdStatus::Breach => format!("{what}: breaches {}", r.threshold),
        ThresholdStatus::WithinNoise => format!(
            "{what}: beyond {}, but within noise, so not a breach (--strict breaches it)",
            r.threshold
        ),
        ThresholdStatus::Unavailable => format!(
            "cannot evaluate {}: {}",
            r.threshold,
            r.reason.as_deref().unwrap_or("no data")
        ),
    }
}

fn latency_test_text(t: &LatencyTest) -> String {
    let r = &t.result;
    format!(
        "Mann–Whitney U = {:.0} (z = {:.2}, {}): a candidate request is slower than a baseline \
         request with probability {:.1}% (50% = no shift): {}",
        r.u_candidate,
        r.z,
        p_value(r.p_value),
        r.prob_candidate_slower * 100.0,
        verdict_text(t.verdict)
    )
}

fn side_line(c: &Comparison, candidate: bool) -> String {
    let side = if candidate { &c.candidate } else { &c.baseline };
    let inputs: Vec<String> = side
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let origin = if side.exact_latency {
        "raw samples"
    } else {
        "summary figures"
    };
    format!(
        "{} (run{} {}; {origin})",
        inputs.join(", "),
        if side.runs.len() == 1 { "" } else { "s" },
        side.runs.join(", ")
    )
}

fn gate_line(c: &Comparison) -> String {
    let breached = c
        .thresholds
        .iter()
        .filter(|r| r.status == ThresholdStatus::Breach)
        .count();
    let unevaluable = c
        .thresholds
        .iter()
        .filter(|r| r.status == ThresholdStatus::Unavailable)
        .count();
    match (c.thresholds.len(), breached, unevaluable) {
        (0, _, _) => "no thresholds given".to_string(),
        (n, 0, 0) => format!("all {n} thresholds hold"),
        (n, b, 0) => format!("{b} of {n} thresholds breached"),
        (n, _, u) => format!("{u} of {n} thresholds cannot be evaluated"),
    }
}

const HEADERS: [&str; 6] = [
    "metric",
    "baseline",
    "candidate",
    "change",
    "significance",
    "verdict",
];

fn row_cells(row: &MetricRow) -> [String; 6] {
    [
        row.title.to_string(),
        side_cell(row.unit, row.baseline, &row.baseline_runs),
        side_cell(row.unit, row.candidate, &row.candidate_runs),
        change_cell(row),
        significance_cell(row),
        verdict_text(row.verdict).to_string(),
    ]
}

/// An aligned table: first column left-aligned, the value columns right-aligned.
fn aligned(rows: &[[String; 6]]) -> String {
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let fill = " ".repeat(widths[i] - cell.chars().count());
                if (1..4).contains(&i) {
                    format!("{fill}{cell}")
                } else {
                    format!("{cell}{fill}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn text_table(metrics: &[MetricRow]) -> String {
    let mut rows = vec![HEADERS.map(str::to_string)];
    rows.extend(metrics.iter().map(row_cells));
    aligned(&rows)
}

/// The terminal report.
pub fn text(c: &Comparison) -> String {
    let mut out = format!(
        "baseline:  {}\ncandidate: {}\n\n",
        side_line(c, false),
        side_line(c, true)
    );
    out.push_str(&text_table(&c.metrics));
    if let Some(t) = &c.latency_test {
        out.push_str(&format!(
            "\nlatency distribution: {}\n",
            latency_test_text(t)
        ));
    }
    for label in &c.labels {
        out.push_str(&format!("\nlabel '{}' ({:?}):\n", label.label, label.kind).to_lowercase());
        out.push_str(&text_table(&label.metrics));
        if let Some(t) = &label.latency_test {
            out.push_str(&format!("latency distribution: {}\n", latency_test_text(t)));
        }
    }
    if !c.thresholds.is_empty() {
        out.push_str("\nthresholds:\n");
        for r in &c.thresholds {
            out.push_str(&format!(
                "  {:<20} {:<20} {}\n",
                status_text(r.status),
                r.threshold.expression(),
                threshold_message(r)
            ));
        }
    }
    out.push_str(&format!(
        "\nresult: {} (exit {})\n",
        gate_line(c),
        c.exit_code
    ));
    if !c.notes.is_empty() {
        out.push_str("\nnotes:\n");
        for note in &c.notes {
            out.push_str(&format!("  - {note}\n"));
        }
    }
    out
}

fn md_table(metrics: &[MetricRow]) -> String {
    let mut out = String::from(
        "| Metric | Baseline | Candidate | Change | Significance | Verdict |\n\
         |:---|---:|---:|---:|:---|:---|\n",
    );
    for row in metrics {
        let cells = row_cells(row);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            cell(&cells[0]),
            cell(&cells[1]),
            cell(&cells[2]),
            cell(&cells[3]),
            cell(&cells[4]),
            verdict_md(row.verdict)
        ));
    }
    out
}

fn names(runs: &[String]) -> String {
    let list: Vec<String> = runs
        .iter()
        .map(|r| format!("`{}`", r.replace('`', "'")))
        .collect();
    list.join(", ")
}

/// The Markdown report, for a PR comment or `$GITHUB_STEP_SUMMARY`.
pub fn markdown(c: &Comparison) -> String {
    let icon = match c.exit_code {
        0 => "✅",
        1 => "❌",
        _ => "⚠️",
    };
    let mut out = format!(
        "### {icon} Performance comparison: {}\n\n**Baseline:** {} · **Candidate:** {}\n\n",
        gate_line(c),
        names(&c.baseline.runs),
        names(&c.candidate.runs)
    );
    out.push_str(&md_table(&c.metrics));
    if let Some(t) = &c.latency_test {
        out.push_str(&format!(
            "\nLatency distribution: {}\n",
            cell(&latency_test_text(t))
        ));
    }
    if !c.thresholds.is_empty() {
        out.push_str("\n| Threshold | Observed | Result |\n|:---|---:|:---|\n");
        for r in &c.thresholds {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                r.threshold.expression(),
                cell(&observed(r)),
                status_md(r.status)
            ));
        }
    }
    if !c.labels.is_empty() {
        out.push_str("\n<details><summary>Per label</summary>\n\n");
        for label in &c.labels {
            out.push_str(&format!("**{}**\n\n", cell(&label.label)));
            out.push_str(&md_table(&label.metrics));
            out.push('\n');
        }
        out.push_str("</details>\n");
    }
    out.push_str("\n<details><summary>How to read this</summary>\n\n");
    out.push_str(&format!(
        "▲/▼: the value went up/down. *Within noise*: the change is below the {} noise floor or \
         not statistically significant (95% bootstrap CI of the change includes zero, or p ≥ {}).\n",
        relative(c.settings.noise_floor).trim_start_matches('+'),
        c.settings.alpha
    ));
    for note in &c.notes {
        out.push_str(&format!("- {}\n", cell(note)));
    }
    out.push_str(&format!(
        "\n</details>\n\n<sub>Generated by {} {}.</sub>\n",
        c.generator.name, c.generator.version
    ));
    out
}

/// The comparison as pretty JSON (schema in `docs/compare-format.md`).
pub fn json(c: &Comparison) -> String {
    let mut s = serde_json::to_string_pretty(c).expect("a comparison serialises");
    s.push('\n');
    s
}

/// JUnit XML: one test case per threshold, failed when breached, in error when it cannot be
/// evaluated, so CI systems show each gate natively.
pub fn junit(c: &Comparison) -> String {
    let count = |s: ThresholdStatus| c.thresholds.iter().filter(|r| r.status == s).count();
    let (tests, failures, errors) = (
        c.thresholds.len(),
        count(ThresholdStatus::Breach),
        count(ThresholdStatus::Unavailable),
    );
    let suite = format!(
        "{} vs {}",
        c.baseline.runs.join(", "),
        c.candidate.runs.join(", ")
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"benchreport compare\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n"
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">\n",
        escape(suite.as_str())
    ));
    for r in &c.thresholds {
        out.push_str(&junit_case(r));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn junit_case(r: &ThresholdResult) -> String {
    let message = threshold_message(r);
    let open = format!(
        "    <testcase classname=\"benchreport.thresholds\" name=\"{}\"",
        escape(r.threshold.expression())
    );
    let (tag, kind) = match r.status {
        ThresholdStatus::Breach => ("failure", "threshold"),
        ThresholdStatus::Unavailable => ("error", "unevaluable"),
        ThresholdStatus::Pass | ThresholdStatus::WithinNoise => {
            return format!(
                "{open}>\n      <system-out>{}</system-out>\n    </testcase>\n",
                escape(message.as_str())
            );
        }
    };
    format!(
        "{open}>\n      <{tag} type=\"{kind}\" message=\"{}\">{}</{tag}>\n    </testcase>\n",
        escape(message.as_str()),
        escape(message.as_str())
    )
}

/// Threshold results of `summary` and `build`, one line each, for stderr.
pub fn run_thresholds(results: &[RunThresholdResult]) -> String {
    results
        .iter()
        .map(|r| {
            format!(
                "threshold {}: run '{}': {}\n",
                status_text(r.result.status).to_lowercase(),
                r.run,
                threshold_message(&r.result)
            )
        })
        .collect()
}
