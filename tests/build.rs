//! `benchreport build`: the site's files, their agreement with `summary --json`, determinism,
//! atomic and non-clobbering writes, and safety against hostile inputs.

mod common;
use common::*;
use predicates::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

fn build(inputs: &[&Path], out: &Path) -> assert_cmd::assert::Assert {
    benchreport()
        .arg("build")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .arg("--quiet")
        .assert()
}

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn site_has_pages_charts_summary_and_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    build(&[&repo().join("sample-data/recipeyak")], &out).success();
    let files = read_tree(&out);
    for name in [
        "index.html",
        "summary.json",
        "report.md",
        "runs/sync-python.html",
        "runs/async-python.html",
        "runs/async-rust.html",
        "charts/rps.svg",
        "charts/latency-percentiles.svg",
        "charts/async-rust-resources.svg",
    ] {
        assert!(
            files.contains_key(name),
            "{name} missing: {:?}",
            files.keys()
        );
    }
    // The site's summary.json is what `summary --json` prints.
    let printed = benchreport()
        .args(["summary", "--json", "--quiet"])
        .arg(repo().join("sample-data/recipeyak"))
        .output()
        .unwrap()
        .stdout;
    assert_eq!(files["summary.json"], printed);
    // The index shows the summary's numbers, formatted.
    let index = String::from_utf8(files["index.html"].clone()).unwrap();
    let md = String::from_utf8(files["report.md"].clone()).unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&printed).unwrap();
    for run in summary["runs"].as_array().unwrap() {
        let rps = format!("{:.2}", run["load"]["rps"].as_f64().unwrap());
        let cpu = format!(
            "{:.1}%",
            run["resources"]["cpu_peak_percent"].as_f64().unwrap()
        );
        let mem = format!(
            "{:.1} MB",
            run["resources"]["mem_peak_mb"].as_f64().unwrap()
        );
        for text in [&rps, &cpu, &mem] {
            assert!(index.contains(text.as_str()), "index lacks {text}");
            assert!(md.contains(text.as_str()), "report.md lacks {text}");
        }
    }
    // Offline: no remote resource is referenced.
    for (name, content) in &files {
        let text = String::from_utf8_lossy(content);
        for remote in ["src=\"http", "href=\"http", "url(http", "@import"] {
            assert!(!text.contains(remote), "{name} references {remote}");
        }
    }
}

#[test]
fn two_builds_are_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    build(&[&repo().join("sample-data")], &a).success();
    build(&[&repo().join("sample-data")], &b).success();
    assert_eq!(read_tree(&a), read_tree(&b));
}

#[test]
fn users_files_survive_a_rebuild_and_foreign_folders_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let input = repo().join("sample-data/recipeyak");
    build(&[&input], &out).success();
    std::fs::write(out.join("NOTES.txt"), "mine").unwrap();
    build(&[&input], &out).success();
    assert_eq!(
        std::fs::read_to_string(out.join("NOTES.txt")).unwrap(),
        "mine"
    );

    let foreign = tmp.path().join("docs");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("index.html"), "my site").unwrap();
    build(&[&input], &foreign)
        .code(2)
        .stderr(predicate::str::contains("not created by benchreport"));
    assert_eq!(
        std::fs::read_to_string(foreign.join("index.html")).unwrap(),
        "my site"
    );
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1);
}

#[test]
fn a_failed_build_leaves_no_site() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let bad = tmp.path().join("bad.log");
    let real =
        std::fs::read_to_string(repo().join("sample-data/recipeyak/async-rust/psrecord.log"))
            .unwrap();
    std::fs::write(&bad, real.replacen("14.461", "1x.461", 2)).unwrap();
    build(&[&bad], &out)
        .code(2)
        .stderr(predicate::str::contains("bad.log:"));
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "nothing left behind"
    );
}

#[test]
fn single_file_report_inlines_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report.html");
    benchreport()
        .args(["build", "--single-file", "--quiet", "-o"])
        .arg(&out)
        .arg(repo().join("sample-data/recipeyak"))
        .assert()
        .success();
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("data:image/svg+xml;base64,"));
    assert!(html.contains("id=\"run-async-rust\""));
    assert!(!html.contains("src=\"charts/") && !html.contains("src=\"../"));
}

#[test]
fn hostile_labels_and_messages_are_never_live() {
    let tmp = tempfile::tempdir().unwrap();
    let jtl = hostile_jtl(tmp.path());
    let out = tmp.path().join("report");
    build(&[&jtl], &out).success();
    let files = read_tree(&out);
    let index = String::from_utf8_lossy(&files["runs/hostile.html"]).into_owned();
    // The labels are there, as text.
    assert!(
        index.contains("&#60;script&#62;document.body.setAttribute")
            || index.contains("&lt;script&gt;document.body.setAttribute"),
        "the label is shown, escaped"
    );
    for (name, content) in &files {
        let text = String::from_utf8_lossy(content);
        if name.ends_with(".html") || name.ends_with(".svg") {
            for h in HOSTILE {
                assert!(
                    !text.contains(h),
                    "{name} contains a raw hostile string: {h}"
                );
            }
            assert!(!text.contains("<script>document"), "{name}");
            assert!(!text.contains("onerror=\"document"), "{name}");
        }
        if name.ends_with(".svg") {
            let mut reader = quick_xml::Reader::from_str(&text);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{name} is not valid XML: {e}"),
                }
            }
        }
        if name.ends_with(".md") {
            assert!(!text.contains("<script>"), "{name}");
        }
    }
}

/// CPU core-seconds of a psrecord log, computed here: each row's CPU % covers the time since the
/// previous row.
fn cpu_seconds(log: &str) -> f64 {
    let rows: Vec<(f64, f64)> = log
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<f64> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
            (f[0], f[1])
        })
        .collect();
    rows.windows(2)
        .map(|w| w[1].1 / 100.0 * (w[1].0 - w[0].0))
        .sum()
}

#[test]
fn capacity_and_cost_of_the_recipeyak_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let dir = repo().join("sample-data/recipeyak");
    build(&[&dir], &out).success();
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("Capacity and cost"));
    // The post: the HTTP server costs $28 a month; oha printed each run's requests/sec.
    for (run, rps, requests) in [
        ("sync-python", 58.3474, 3501.0),
        ("async-python", 495.3030, 29720.0),
        ("async-rust", 267.0533, 16024.0),
    ] {
        let per_million = 28.0 / (rps * 30.0 * 86_400.0) * 1e6;
        let shown = format!("${per_million:.2}");
        assert!(index.contains(&shown), "{run}: {shown}");
        let log = std::fs::read_to_string(dir.join(run).join("psrecord.log")).unwrap();
        let per_cpu_second = format!("{:.2}", requests / cpu_seconds(&log));
        assert!(
            index.contains(&per_cpu_second),
            "{run}: {per_cpu_second} requests/CPU-s"
        );
    }
}

#[test]
fn history_gives_trend_charts_and_marks_regressions() {
    let tmp = tempfile::tempdir().unwrap();
    let history = tmp.path().join("history.jsonl");
    let out = tmp.path().join("report");
    // The same service ("api") measured twice: first the async server, then the sync one.
    for (id, source) in [("one", "async-python"), ("two", "sync-python")] {
        let runs = tmp.path().join(id);
        let api = runs.join("api");
        std::fs::create_dir_all(&api).unwrap();
        for file in ["oha.txt", "psrecord.log"] {
            let from = repo().join("sample-data/recipeyak").join(source).join(file);
            std::fs::copy(from, api.join(file)).unwrap();
        }
        benchreport()
            .arg("build")
            .arg(&runs)
            .args(["--quiet", "--history"])
            .arg(&history)
            .args(["--run-id", id, "-o"])
            .arg(&out)
            .assert()
            .success();
    }
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("Trends across builds"));
    assert!(out.join("charts/trend-rps.svg").is_file());
    // 495.30 -> 58.35 req/s is -88.2%; p99 186.6 -> 1410 ms is +655.7%.
    let rps_change = format!("{:+.1}%", (58.3474 / 495.3030 - 1.0) * 100.0);
    assert!(index.contains(&rps_change), "{rps_change}");
    assert!(index.contains("two (after one)"));
    assert_eq!(
        std::fs::read_to_string(&history).unwrap().lines().count(),
        2
    );
}
