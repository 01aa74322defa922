//! `build --history FILE --run-id ID`: one JSON line per build, read back by `history::read`.

mod common;
use common::*;
use predicates::prelude::*;

#[test]
fn builds_append_to_the_history_file() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("perf/history.jsonl");
    std::fs::create_dir_all(history.parent().unwrap()).unwrap();
    let runs = repo().join("sample-data/recipeyak");
    for (i, id) in ["abc123", "def456"].iter().enumerate() {
        benchreport()
            .args(["build", "-q", "--force", "-o"])
            .arg(dir.path().join("site"))
            .arg("--history")
            .arg(&history)
            .args(["--run-id", id])
            .arg(&runs)
            .env_remove("GITHUB_SHA")
            .assert()
            .code(0);
        assert_eq!(benchreport::history::read(&history).unwrap().len(), i + 1);
    }
    // From GitHub Actions the commit is the id.
    benchreport()
        .args(["build", "-q", "--force", "-o"])
        .arg(dir.path().join("site"))
        .arg("--history")
        .arg(&history)
        .arg(&runs)
        .env("GITHUB_SHA", "0123abcd")
        .assert()
        .code(0);
    let entries = benchreport::history::read(&history).unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["abc123", "def456", "0123abcd"]);
    let summary = summary_json(&[&runs]);
    let first = &entries[0].runs;
    assert_eq!(first.len(), 3);
    for (run, json) in first.iter().zip(summary["runs"].as_array().unwrap()) {
        assert_eq!(run.name, json["name"].as_str().unwrap());
        assert_eq!(run.rps, json["load"]["rps"].as_f64());
        assert_eq!(
            run.latency_ms.p99,
            json["load"]["latency_ms"]["p99"].as_f64()
        );
        assert_eq!(run.mem_peak_mb, json["resources"]["mem_peak_mb"].as_f64());
    }
    assert!(entries[0].recorded_unix_s.unwrap() > 1_700_000_000);
}

#[test]
fn history_without_an_id_is_a_usage_error_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    benchreport()
        .args(["build", "-q", "-o"])
        .arg(dir.path().join("site"))
        .arg("--history")
        .arg(&history)
        .arg(repo().join("sample-data/recipeyak"))
        .env_remove("GITHUB_SHA")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--history needs an id"));
    assert!(!history.exists());
    assert!(!dir.path().join("site").exists());
}
