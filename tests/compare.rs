//! `benchreport compare` and the `--threshold` gates of `summary` and `build`, end to end on real
//! runs: exit codes, formats, significance from raw samples and from a summary.json.

mod common;
use common::*;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn recipeyak(run: &str) -> PathBuf {
    repo().join("sample-data/recipeyak").join(run)
}

fn local(run: &str) -> PathBuf {
    repo().join("sample-data/local").join(run)
}

/// `compare BASELINE CANDIDATE ARGS... --format json -q`: (exit code, parsed JSON).
fn compare_json(baseline: &Path, candidate: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = benchreport()
        .arg("compare")
        .arg(baseline)
        .arg(candidate)
        .args(args)
        .args(["--format", "json", "-q"])
        .output()
        .expect("runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), json)
}

fn metric<'a>(c: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == key)
        .unwrap_or_else(|| panic!("no metric {key}"))
}

/// `Requests/sec:` of an oha text summary, read with plain string handling.
fn oha_rps(run: &str) -> f64 {
    let text = std::fs::read_to_string(recipeyak(run).join("oha.txt")).unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn an_eight_times_slower_candidate_breaches_the_rps_gate() {
    benchreport()
        .args(["compare", "--threshold", "rps>=-10%"])
        .arg(recipeyak("async-python"))
        .arg(recipeyak("sync-python"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("BREACH"))
        .stdout(predicate::str::contains("rps changed by -88.2%"));
    let (code, c) = compare_json(
        &recipeyak("async-python"),
        &recipeyak("sync-python"),
        &["--threshold", "rps>=-10%"],
    );
    assert_eq!(code, 1);
    let rps = metric(&c, "rps");
    let (before, after) = (oha_rps("async-python"), oha_rps("sync-python"));
    assert_close(f64_at(rps, "/baseline"), before, "baseline rps");
    assert_close(f64_at(rps, "/candidate"), after, "candidate rps");
    assert_close(
        f64_at(rps, "/change/relative"),
        after / before - 1.0,
        "relative change",
    );
    assert_eq!(rps["verdict"], "worse");
    assert_eq!(rps["tests"].as_array().unwrap().len(), 0, "summaries only");
    assert_eq!(c["thresholds"][0]["status"], "breach");
    assert!(c["notes"][0]
        .as_str()
        .unwrap()
        .contains("latency significance cannot be computed"));
}

#[test]
fn the_reverse_comparison_passes() {
    benchreport()
        .args(["compare", "-q", "--threshold", "rps>=-10%"])
        .arg(recipeyak("sync-python"))
        .arg(recipeyak("async-python"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "result: all 1 thresholds hold (exit 0)",
        ));
}

#[test]
fn a_missing_input_is_exit_2_and_names_the_side_and_path() {
    benchreport()
        .args(["compare", "sample-data/recipeyak/no-such-run"])
        .arg(recipeyak("async-python"))
        .current_dir(repo())
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "error: baseline: sample-data/recipeyak/no-such-run: cannot read input",
        ));
    benchreport()
        .arg("compare")
        .arg(recipeyak("async-python"))
        .arg("missing/candidate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("candidate: missing/candidate"));
}

#[test]
fn usage_errors_are_exit_2() {
    // One side only.
    benchreport()
        .arg("compare")
        .arg(recipeyak("async-python"))
        .assert()
        .code(2);
    // A threshold that does not parse says what was expected.
    benchreport()
        .args(["compare", "--threshold", "p95<fast"])
        .arg(recipeyak("async-python"))
        .arg(recipeyak("sync-python"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected a number, found 'fast'"));
    benchreport()
        .args(["compare", "--format", "yaml"])
        .arg(recipeyak("async-python"))
        .arg(recipeyak("sync-python"))
        .assert()
        .code(2);
}

#[test]
fn markdown_prints_a_table_row_for_rps() {
    let out = benchreport()
        .args(["compare", "-q", "--format", "markdown"])
        .arg(recipeyak("async-python"))
        .arg(recipeyak("sync-python"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "no thresholds: exit 0");
    let md = String::from_utf8(out.stdout).unwrap();
    let header = md.lines().find(|l| l.starts_with("| Metric |")).unwrap();
    assert_eq!(
        header,
        "| Metric | Baseline | Candidate | Change | Significance | Verdict |"
    );
    let rps = md.lines().find(|l| l.starts_with("| RPS |")).unwrap();
    assert!(
        rps.contains("▼") && rps.contains("(-88.2%)") && rps.contains("worse"),
        "{rps}"
    );
    let cpu = md.lines().find(|l| l.starts_with("| peak CPU |")).unwrap();
    assert!(cpu.contains("163.4%") && cpu.contains("better"), "{cpu}");
}

#[test]
fn absolute_and_relative_gates_on_raw_samples() {
    // asyncio-python answers ~10x faster than threaded-python (oha CSV, raw samples).
    let (code, c) = compare_json(
        &local("threaded-python"),
        &local("asyncio-python"),
        &["--threshold", "p99<=+15%", "--threshold", "p95<50ms"],
    );
    assert_eq!(code, 0);
    assert_eq!(c["baseline"]["exact_latency"], true);
    for key in ["p50", "p90", "p95", "p99"] {
        let m = metric(&c, key);
        assert_eq!(m["tests"][0]["method"], "bootstrap", "{key}");
        assert!(f64_at(m, "/tests/0/ci/high") < 0.0, "{key}: {m}");
        assert_eq!(m["verdict"], "better", "{key}");
    }
    assert_eq!(c["latency_test"]["verdict"], "better");
    assert!(f64_at(&c, "/latency_test/p_value") < 1e-6);
    // The other way round the p99 gate is breached, beyond noise.
    let (code, c) = compare_json(
        &local("asyncio-python"),
        &local("threaded-python"),
        &["--threshold", "p99<=+15%"],
    );
    assert_eq!(code, 1);
    assert_eq!(c["thresholds"][0]["status"], "breach");
    assert_eq!(metric(&c, "p99")["verdict"], "worse");
}

#[test]
fn a_run_against_itself_is_within_noise_and_output_is_deterministic() {
    let args = ["--threshold", "p99<=+1%", "--threshold", "rps>=-1%"];
    let (code, c) = compare_json(&local("threaded-python"), &local("threaded-python"), &args);
    assert_eq!(code, 0);
    for m in c["metrics"].as_array().unwrap() {
        assert_eq!(m["verdict"], "within_noise", "{m}");
    }
    assert_eq!(c["latency_test"]["p_value"], 1.0);
    let (_, again) = compare_json(&local("threaded-python"), &local("threaded-python"), &args);
    assert_eq!(c, again);
}

#[test]
fn a_summary_json_keeps_its_exact_latency_for_significance() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("summary.json");
    let out = benchreport()
        .args(["summary", "--json", "-q"])
        .arg(local("threaded-python"))
        .output()
        .unwrap();
    std::fs::write(&saved, &out.stdout).unwrap();
    let (code, c) = compare_json(&saved, &local("threaded-python"), &[]);
    assert_eq!(code, 0);
    assert_eq!(c["baseline"]["exact_latency"], true, "{}", c["notes"]);
    let p99 = metric(&c, "p99");
    assert_eq!(p99["baseline"], p99["candidate"]);
    assert_eq!(p99["tests"][0]["method"], "bootstrap");
    assert_eq!(p99["verdict"], "within_noise");
    assert_eq!(c["latency_test"]["p_value"], 1.0);
    // RPS and counts stay as the summary reported them.
    assert_close(
        f64_at(metric(&c, "rps"), "/baseline"),
        f64_at(metric(&c, "rps"), "/candidate"),
        "rps read back",
    );
}

#[test]
fn repeated_runs_are_pooled() {
    let (code, c) = {
        let out = benchreport()
            .args(["compare", "--format", "json", "-q"])
            .arg("--baseline")
            .arg(recipeyak("async-python"))
            .arg("--baseline")
            .arg(recipeyak("async-rust"))
            .arg("--candidate")
            .arg(recipeyak("sync-python"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        )
    };
    assert_eq!(code, 0);
    assert_eq!(c["baseline"]["runs"].as_array().unwrap().len(), 2);
    let rps = metric(&c, "rps");
    let mean = (oha_rps("async-python") + oha_rps("async-rust")) / 2.0;
    assert_close(f64_at(rps, "/baseline"), mean, "mean of the runs");
    assert_eq!(rps["baseline_runs"].as_array().unwrap().len(), 2);
    assert!(c["notes"][0].as_str().unwrap().contains("pools 2 runs"));
    // A folder of runs on one side is pooled the same way.
    let (_, folder) = compare_json(
        &repo().join("sample-data/recipeyak"),
        &recipeyak("sync-python"),
        &[],
    );
    assert_eq!(folder["baseline"]["runs"].as_array().unwrap().len(), 3);
}

#[test]
fn jtl_runs_compare_per_label_and_junit_parses() {
    let base = fixture("jmeter/jmeter-2.13_default_noheader.csv");
    let cand = fixture("jmeter/jmeter-2.13_header_5x-like-columns.csv");
    let (code, c) = compare_json(&base, &cand, &["--threshold", "p95<=+10%"]);
    assert_eq!(code, 0, "{}", c["thresholds"]);
    let labels: Vec<&str> = c["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"Home Page") && labels.contains(&"Get \"data\", big"),
        "{labels:?}"
    );
    let home = &c["labels"][labels.iter().position(|l| *l == "Home Page").unwrap()];
    assert_eq!(home["metrics"][0]["metric"], "rps");
    assert!(home["latency_test"]["p_value"].is_number());

    let out = benchreport()
        .args(["compare", "-q", "--format", "junit"])
        .args(["--threshold", "p95<=+10%", "--threshold", "error_rate<1%"])
        .arg(&base)
        .arg(&cand)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "half the JMeter samples fail");
    let xml = String::from_utf8(out.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (Vec::new(), 0);
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => {
                        let name = e.try_get_attribute("name").unwrap().unwrap();
                        cases.push(name.unescape_value().unwrap().into_owned());
                    }
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(cases, ["p95<=+10%", "error_rate<1%"]);
    assert_eq!(failures, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("error_rate is 50.00%"));
}

#[test]
fn summary_takes_absolute_thresholds() {
    let dir = repo().join("sample-data/recipeyak");
    // sync-python's p99 is 1410 ms.
    benchreport()
        .args(["summary", "--threshold", "p99<500ms"])
        .arg(&dir)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "threshold breach: run 'sync-python': p99 is 1410 ms: breaches p99<500ms",
        ))
        .stderr(predicate::str::contains(
            "threshold pass: run 'async-python'",
        ));
    benchreport()
        .args([
            "summary",
            "-q",
            "--threshold",
            "p99<2s",
            "--threshold",
            "cpu_peak<=200%",
        ])
        .arg(&dir)
        .assert()
        .code(0)
        .stderr("");
    // stdout stays valid JSON whatever the gate says.
    let out = benchreport()
        .args(["summary", "--json", "--threshold", "success_rate>=99.9%"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON");
    // Relative thresholds need a baseline.
    benchreport()
        .args(["summary", "--threshold", "rps>=-10%"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "use it with `benchreport compare`",
        ));
}

#[test]
fn build_takes_absolute_thresholds_and_still_writes_the_site() {
    let out_dir = tempfile::tempdir().unwrap();
    let site = out_dir.path().join("site");
    benchreport()
        .args(["build", "-q", "--threshold", "mem_peak<200MB", "-o"])
        .arg(&site)
        .arg(repo().join("sample-data/recipeyak"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "run 'sync-python': mem_peak is 275.7 MB",
        ));
    assert!(site.join("index.html").is_file());
    benchreport()
        .args(["build", "-q", "--force", "--threshold", "p95<800ms", "-o"])
        .arg(&site)
        .arg(recipeyak("async-python"))
        .assert()
        .code(0);
}
