//! The command line contract: exit codes, error messages, JSON field names, determinism.

mod common;
use common::*;
use predicates::prelude::*;

#[test]
fn missing_input_is_exit_2_and_names_the_path() {
    benchreport()
        .args(["summary", "does/not/exist"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does/not/exist"));
}

#[test]
fn no_arguments_is_a_usage_error() {
    benchreport().arg("summary").assert().code(2);
}

#[test]
fn folder_with_nothing_recognisable_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello\n").unwrap();
    benchreport()
        .arg("summary")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no recognised input"))
        .stderr(predicate::str::contains("notes.txt"));
}

#[test]
fn empty_folder_says_so() {
    let dir = tempfile::tempdir().unwrap();
    benchreport()
        .arg("summary")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no recognised input"));
}

#[test]
fn unrecognised_files_are_listed_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run-a");
    std::fs::create_dir(&run).unwrap();
    std::fs::copy(
        repo().join("sample-data/recipeyak/async-rust/psrecord.log"),
        run.join("psrecord.log"),
    )
    .unwrap();
    std::fs::write(run.join("notes.md"), "# my notes\n").unwrap();
    let out = benchreport()
        .arg("summary")
        .arg(dir.path())
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped") && stderr.contains("notes.md"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["skipped"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("notes.md"));
    // A run with only a resource log has `load: null`.
    assert!(json["runs"][0]["load"].is_null());
    assert!(json["runs"][0]["resources"]["cpu_peak_percent"].is_number());
}

#[test]
fn json_has_the_contract_fields() {
    let summary = summary_json(&[&repo().join("sample-data/recipeyak")]);
    assert_eq!(summary["schema_version"], "1.0");
    for run in summary["runs"].as_array().unwrap() {
        assert!(run["name"].is_string());
        let load = &run["load"];
        for key in [
            "requests",
            "successes",
            "failures",
            "success_rate",
            "duration_s",
            "rps",
            "status_codes",
        ] {
            assert!(!load[key].is_null(), "load.{key} in {load}");
        }
        for key in ["min", "mean", "max", "p50", "p90", "p95", "p99"] {
            assert!(load["latency_ms"][key].is_number(), "latency_ms.{key}");
        }
        for key in [
            "cpu_peak_percent",
            "cpu_mean_percent",
            "mem_peak_mb",
            "mem_mean_mb",
        ] {
            assert!(run["resources"][key].is_number(), "resources.{key}");
        }
    }
}

#[test]
fn output_is_deterministic() {
    let run = || {
        benchreport()
            .args(["summary", "--json"])
            .arg(repo().join("sample-data"))
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn table_lists_every_run() {
    benchreport()
        .arg("summary")
        .arg(repo().join("sample-data/recipeyak"))
        .assert()
        .success()
        .stdout(predicate::str::contains("sync-python"))
        .stdout(predicate::str::contains("58.35"))
        .stdout(predicate::str::contains("495.30"))
        .stdout(predicate::str::contains("267.05"));
}

#[test]
fn malformed_psrecord_row_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("psrecord.log");
    // A real log with the CPU value of its third line corrupted.
    let real =
        std::fs::read_to_string(repo().join("sample-data/recipeyak/async-rust/psrecord.log"))
            .unwrap();
    let mut lines: Vec<String> = real.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen("0.000", "abc", 1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    benchreport()
        .arg("summary")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("psrecord.log:3"));
}

/// A copy of one recipeyak run in a fresh folder, with a project file.
fn run_with_config(run: &str, toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["oha.txt", "psrecord.log"] {
        let from = repo().join("sample-data/recipeyak").join(run).join(file);
        std::fs::copy(from, dir.path().join(file)).unwrap();
    }
    std::fs::write(dir.path().join("benchreport.toml"), toml).unwrap();
    dir
}

#[test]
fn thresholds_from_the_project_file_gate_summary_and_compare() {
    // sync-python's p99 is 1410 ms.
    let slow = run_with_config(
        "sync-python",
        "thresholds = [\"p99<500ms\", \"rps>=-10%\"]\n",
    );
    benchreport()
        .args(["summary", "--quiet"])
        .arg(slow.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("p99<500ms"));
    // The relative one applies to compare: 8x slower than async-python.
    benchreport()
        .args(["compare", "--quiet"])
        .arg(repo().join("sample-data/recipeyak/async-python"))
        .arg(slow.path())
        .assert()
        .code(1);
    let fine = run_with_config("async-python", "thresholds = [\"p99<500ms\"]\n");
    benchreport()
        .args(["summary", "--quiet"])
        .arg(fine.path())
        .assert()
        .success();
    let bad = run_with_config("async-python", "thresholds = [\"p99 is fast\"]\n");
    benchreport()
        .args(["summary", "--quiet"])
        .arg(bad.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("benchreport.toml"))
        .stderr(predicate::str::contains("thresholds"));
}
