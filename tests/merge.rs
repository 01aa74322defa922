//! `benchreport merge`: summaries of parts of a test merge into exactly the figures of one pass
//! over all the parts' files.

mod common;

use std::path::{Path, PathBuf};

use common::{benchreport, fixture, generated_jtl};

/// Writes `parts` files into `dir`, each with the header and a consecutive slice of the rows.
fn split(header: &str, rows: &[String], parts: usize, dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let per = rows.len().div_ceil(parts);
    rows.chunks(per)
        .enumerate()
        .map(|(i, chunk)| {
            let path = dir.join(format!("part{i}.jtl"));
            let mut text = format!("{header}\n");
            for row in chunk {
                text.push_str(row);
                text.push('\n');
            }
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

fn load_of(summary: &benchreport::stats::Summary) -> serde_json::Value {
    let json: serde_json::Value =
        serde_json::from_str(&benchreport::render::json::summary_json(summary)).unwrap();
    json["runs"][0]["load"].clone()
}

/// Summarises each part on its own, merges the summaries, and compares with one pass over the
/// folder holding every part.
fn check_merge_equals_one_pass(dir: &Path, parts: &[PathBuf]) {
    let one_pass = benchreport::cli::load_summary(&[dir.to_path_buf()], true).unwrap();
    let summaries: Vec<PathBuf> = parts
        .iter()
        .map(|part| {
            let summary = benchreport::cli::load_summary(std::slice::from_ref(part), true).unwrap();
            let path = part.with_extension("summary.json");
            std::fs::write(&path, benchreport::render::json::summary_json(&summary)).unwrap();
            path
        })
        .collect();
    let run = benchreport::merge::merge_summaries(&summaries, Some("merged")).unwrap();
    let merged = benchreport::stats::summarize(&[run], &[]);
    let (expected, got) = (load_of(&one_pass), load_of(&merged));
    assert!(expected["requests"].as_u64().unwrap() > 0);
    assert_eq!(got, expected);
    assert_eq!(merged.runs[0].sources.len(), parts.len());
}

#[test]
fn merged_summaries_of_a_split_generated_jtl_equal_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let lines = generated_jtl(30_000);
    let run = dir.path().join("run");
    let parts = split(&lines[0], &lines[1..], 3, &run);
    check_merge_equals_one_pass(&run, &parts);
    // No sub-results in this file: the unsplit file gives the same figures too.
    let whole = dir.path().join("whole.jtl");
    std::fs::write(&whole, lines.join("\n") + "\n").unwrap();
    let one_file = benchreport::cli::load_summary(&[whole], true).unwrap();
    let merged = benchreport::stats::summarize(
        &[benchreport::merge::merge_summaries(
            &parts
                .iter()
                .map(|p| p.with_extension("summary.json"))
                .collect::<Vec<_>>(),
            None,
        )
        .unwrap()],
        &[],
    );
    assert_eq!(load_of(&merged), load_of(&one_file));
}

#[test]
fn merged_summaries_of_a_split_real_jtl_equal_one_pass() {
    let text =
        std::fs::read_to_string(fixture("jmeter/jmeter-2.13_header_5x-like-columns.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<String> = lines.map(str::to_string).collect();
    assert!(
        rows.iter().all(|r| r.starts_with("17")),
        "one record per line"
    );
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let parts = split(header, &rows, 2, &run);
    check_merge_equals_one_pass(&run, &parts);
}

#[test]
fn merge_command_writes_a_summary_that_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let lines = generated_jtl(2_000);
    let parts = split(&lines[0], &lines[1..], 2, &dir.path().join("nodes"));
    let mut summaries = Vec::new();
    for part in &parts {
        let out = benchreport()
            .args(["summary", "--json", "--quiet"])
            .arg(part)
            .output()
            .unwrap();
        assert!(out.status.success());
        let path = part.with_extension("json");
        std::fs::write(&path, out.stdout).unwrap();
        summaries.push(path);
    }
    let merged = dir.path().join("merged.json");
    benchreport()
        .arg("merge")
        .args(&summaries)
        .args(["--name", "all nodes", "-o"])
        .arg(&merged)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    assert_eq!(json["runs"][0]["name"], "all nodes");
    assert_eq!(json["runs"][0]["load"]["requests"], 2_000);
    // A merged summary is a summary: it reads back, and merges again.
    let again = benchreport()
        .args(["summary", "--json", "--quiet"])
        .arg(&merged)
        .output()
        .unwrap();
    assert!(again.status.success());
    let back: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        back["runs"][0]["load"]["latency_ms"],
        json["runs"][0]["load"]["latency_ms"]
    );
    benchreport().arg("merge").arg(&merged).assert().success();
    // A summary of reported figures cannot be merged exactly, and merge says why.
    let reported = fixture("oha/oha-1.16.0_json_z5s_c10.json");
    let out = benchreport()
        .args(["summary", "--json", "--quiet"])
        .arg(&reported)
        .output()
        .unwrap();
    let path = dir.path().join("reported.json");
    std::fs::write(&path, out.stdout).unwrap();
    benchreport()
        .arg("merge")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not computed from samples"));
}
