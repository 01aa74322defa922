//! The acceptance story: the post's table, from the post's logs alone.

mod common;
use common::*;

/// `Requests/sec:` as printed in an oha text summary, read with plain string handling.
fn printed_rps(oha_txt: &str) -> f64 {
    oha_txt
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .expect("Requests/sec line")
        .trim()
        .parse()
        .expect("number")
}

/// Column `col` (0-based) of every data row of a psrecord log, read with plain splitting.
fn psrecord_column(log: &str, col: usize) -> Vec<f64> {
    log.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().nth(col).unwrap().parse().unwrap())
        .collect()
}

fn max(v: &[f64]) -> f64 {
    v.iter().cloned().fold(f64::MIN, f64::max)
}

#[test]
fn sample_data_gives_the_posts_table() {
    let dir = repo().join("sample-data/recipeyak");
    let summary = summary_json(&[&dir]);
    let names: Vec<&str> = summary["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["async-python", "async-rust", "sync-python"]);
    // The post's figures (RPS, peak CPU %, peak MB) ...
    let post = [
        ("sync-python", 58.35, 48.0, 275.7),
        ("async-python", 495.30, 163.4, 143.1),
        ("async-rust", 267.05, 52.8, 14.6),
    ];
    for (name, rps, cpu, mem) in post {
        let run = run_named(&summary, name);
        let oha = std::fs::read_to_string(dir.join(name).join("oha.txt")).unwrap();
        let log = std::fs::read_to_string(dir.join(name).join("psrecord.log")).unwrap();
        // ... equal the logs' own figures, computed here independently ...
        assert_close(f64_at(run, "/load/rps"), printed_rps(&oha), name);
        assert_close(
            f64_at(run, "/resources/cpu_peak_percent"),
            max(&psrecord_column(&log, 1)),
            name,
        );
        assert_close(
            f64_at(run, "/resources/mem_peak_mb"),
            max(&psrecord_column(&log, 2)),
            name,
        );
        // ... and round to what the issue and the post print.
        assert!((f64_at(run, "/load/rps") - rps).abs() < 0.005, "{name} rps");
        assert!((f64_at(run, "/resources/cpu_peak_percent") - cpu).abs() < 0.05);
        assert!((f64_at(run, "/resources/mem_peak_mb") - mem).abs() < 0.05);
    }
}

#[test]
fn shared_seed_data_matches_the_shipped_copy() {
    let Some(seed) = shared("seed-data/recipeyak") else {
        return;
    };
    let shipped = summary_json(&[&repo().join("sample-data/recipeyak")]);
    let from_seed = summary_json(&[&seed]);
    for name in ["sync-python", "async-python", "async-rust"] {
        let a = run_named(&shipped, name);
        let b = run_named(&from_seed, name);
        assert_eq!(a["load"], b["load"], "{name}");
        assert_eq!(a["resources"], b["resources"], "{name}");
    }
}

#[test]
fn oha_success_and_status_codes_come_from_the_log() {
    let dir = repo().join("sample-data/recipeyak");
    let summary = summary_json(&[&dir]);
    let run = run_named(&summary, "async-python");
    assert_eq!(run["load"]["status_codes"]["200"], 29720);
    assert_eq!(run["load"]["requests"], 29720);
    assert_eq!(run["load"]["failures"], 0);
    assert_eq!(run["load"]["success_rate"], 1.0);
    assert_eq!(run["load"]["origin"], "reported");
    // oha 0.5.x prints percentiles in seconds: 50% in 0.0991 secs.
    assert_close(f64_at(run, "/load/latency_ms/p50"), 99.1, "p50");
    assert_close(f64_at(run, "/load/latency_ms/p99"), 186.6, "p99");
    assert!(run["load"]["latency_ms"]["p99_9"].is_null());
}
