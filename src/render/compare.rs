//! `benchreport compare` output: terminal text, Markdown (PR comments, `$GITHUB_STEP_SUMMARY`),
//! JSON and JUnit XML, all from one computed [`Comparison`]. Nothing is computed here.

use quick_xml::escape::escape;

use super::format;
use super::markdown::cell;
use crate::compare::{
    Comparison, LatencyTest, MetricRow, RunThresholdResult, Test, TestMethod, ThresholdResult,
    ThresholdStatus, Unit, Verdict,
};
use crate::model::SampleKind;

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
        let kind = match label.kind {
            SampleKind::Request => "request",
            SampleKind::Transaction => "transaction",
            SampleKind::SubResult => "sub-result",
        };
        out.push_str(&format!("\nlabel '{}' ({kind}):\n", label.label));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{compare, parse_threshold, Settings, Side};
    use crate::model::{ReportedLatency, ReportedLoad};
    use crate::stats::load::LoadSummary;
    use crate::stats::RunSummary;
    use quick_xml::events::Event;
    use std::path::PathBuf;

    fn reported(name: &str, rps: f64, p95_ms: f64) -> Side {
        let r = ReportedLoad {
            rps: Some(rps),
            requests: Some(1000),
            failures: Some(0),
            latency_ms: ReportedLatency {
                percentiles: vec![(95.0, p95_ms)],
                ..ReportedLatency::default()
            },
            ..ReportedLoad::default()
        };
        Side {
            inputs: vec![PathBuf::from(format!("runs/{name}"))],
            runs: vec![RunSummary {
                name: name.to_string(),
                sources: Vec::new(),
                load: Some(LoadSummary::from_reported(&r, "oha")),
                resources: None,
                efficiency: None,
                warnings: Vec::new(),
            }],
        }
    }

    fn comparison(thresholds: &[&str]) -> Comparison {
        let ts: Vec<_> = thresholds
            .iter()
            .map(|t| parse_threshold(t).unwrap())
            .collect();
        compare(
            &reported("base <&\"'>", 495.3, 147.9),
            &reported("cand", 58.35, 1234.0),
            &ts,
            &Settings::default(),
        )
    }

    /// Each test case of a JUnit document: (name, Some(child tag) when failed or in error,
    /// the child's message), plus the root's tests/failures/errors attributes.
    type Case = (String, Option<String>, Option<String>);

    fn parse_junit(xml: &str) -> (Vec<Case>, [String; 3]) {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut cases: Vec<Case> = Vec::new();
        let mut totals = [String::new(), String::new(), String::new()];
        let attr = |e: &quick_xml::events::BytesStart, key: &str| -> Option<String> {
            e.try_get_attribute(key)
                .unwrap()
                .map(|a| a.unescape_value().unwrap().into_owned())
        };
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                    b"testsuites" => {
                        totals = ["tests", "failures", "errors"].map(|k| attr(&e, k).unwrap());
                    }
                    b"testcase" => cases.push((attr(&e, "name").unwrap(), None, None)),
                    tag @ (b"failure" | b"error") => {
                        let case = cases.last_mut().expect("inside a testcase");
                        case.1 = Some(String::from_utf8(tag.to_vec()).unwrap());
                        case.2 = attr(&e, "message");
                    }
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        (cases, totals)
    }

    #[test]
    fn junit_has_one_case_per_threshold_and_parses() {
        let c = comparison(&["rps>=-10%", "p95<2s", "p95<500ms", "cpu_peak<=80%"]);
        let xml = junit(&c);
        let (cases, totals) = parse_junit(&xml);
        let names: Vec<&str> = cases.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(names, ["rps>=-10%", "p95<2s", "p95<500ms", "cpu_peak<=80%"]);
        let outcomes: Vec<Option<&str>> = cases.iter().map(|c| c.1.as_deref()).collect();
        assert_eq!(
            outcomes,
            [Some("failure"), None, Some("failure"), Some("error")]
        );
        assert_eq!(totals, ["4", "2", "1"]);
        let message = cases[0].2.as_deref().unwrap();
        assert_eq!(message, "rps changed by -88.2%: breaches rps>=-10%");
        assert!(cases[3].2.as_deref().unwrap().contains("cannot evaluate"));
        // The run name with XML metacharacters is escaped in the suite name.
        assert!(
            xml.contains("name=\"base &lt;&amp;&quot;&apos;&gt; vs cand\""),
            "{xml}"
        );
    }

    #[test]
    fn junit_without_thresholds_is_an_empty_suite() {
        let (cases, totals) = parse_junit(&junit(&comparison(&[])));
        assert!(cases.is_empty());
        assert_eq!(totals, ["0", "0", "0"]);
    }

    #[test]
    fn markdown_is_a_table_with_markers_and_verdicts() {
        let md = markdown(&comparison(&["rps>=-10%"]));
        let rps_row = md
            .lines()
            .find(|l| l.starts_with("| RPS |"))
            .expect("an RPS row");
        assert_eq!(
            rps_row,
            "| RPS | 495.30 req/s | 58.35 req/s | ▼ -436.95 req/s (-88.2%) | no test | ❌ **worse** |"
        );
        let p95 = md
            .lines()
            .find(|l| l.starts_with("| p95 latency |"))
            .unwrap();
        // 1234 / 147.9 - 1 = 7.3435
        assert!(p95.contains("▲ +1086 ms (+734.3%)"), "{p95}");
        assert!(
            md.contains("| `rps>=-10%` | -88.2% | ❌ **breached** |"),
            "{md}"
        );
        assert!(md.starts_with("### ❌ Performance comparison: 1 of 1 thresholds breached"));
        // Every table row has the header's number of cells.
        for line in md
            .lines()
            .filter(|l| l.starts_with("| ") && l.contains("latency"))
        {
            assert_eq!(line.matches(" | ").count(), 5, "{line}");
        }
        assert!(md.contains("`base <&\"'>`"), "names are code spans");
    }

    #[test]
    fn text_lists_rows_thresholds_and_the_result() {
        let t = text(&comparison(&["rps>=-10%"]));
        let rps = t.lines().find(|l| l.starts_with("RPS")).unwrap();
        assert!(
            rps.contains("(-88.2%)  no test") && rps.ends_with(" worse"),
            "{rps}"
        );
        assert!(t.contains("BREACH"));
        assert!(t.contains("result: 1 of 1 thresholds breached (exit 1)"));
    }

    #[test]
    fn json_round_trips_the_documented_fields() {
        let c = comparison(&["rps>=-10%"]);
        let v: serde_json::Value = serde_json::from_str(&json(&c)).unwrap();
        assert_eq!(v["schema_version"], "1.0");
        assert_eq!(v["kind"], "benchreport-comparison");
        assert_eq!(v["status"], "breach");
        assert_eq!(v["exit_code"], 1);
        assert_eq!(v["metrics"][0]["metric"], "rps");
        assert_eq!(v["metrics"][0]["verdict"], "worse");
        assert_eq!(v["metrics"][0]["baseline"], 495.3);
        assert_eq!(v["thresholds"][0]["threshold"], "rps>=-10%");
        assert_eq!(v["thresholds"][0]["status"], "breach");
        assert_eq!(v["baseline"]["runs"][0], "base <&\"'>");
        assert!(v["latency_test"].is_null());
    }
}
