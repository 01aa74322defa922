//! Every real tool output we know of is read without error, and the numbers benchreport prints
//! equal an independent computation on the same raw data (sorting in the test, or the tool's own
//! printed figures).

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn summarize(path: &Path) -> serde_json::Value {
    let summary = benchreport::cli::load_summary(&[path.to_path_buf()], true)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::to_value(&summary).unwrap()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// Nearest-rank percentile by sorting: the definition, written the obvious way.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0 * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

struct Expected {
    requests: usize,
    failures: usize,
    sorted_ms: Vec<f64>,
    duration_s: f64,
}

fn check_load(run: &serde_json::Value, e: &Expected, what: &str) {
    let load = &run["load"];
    assert_eq!(load["requests"], e.requests as u64, "{what} requests");
    assert_eq!(load["failures"], e.failures as u64, "{what} failures");
    let lat = &load["latency_ms"];
    for (key, p) in [("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0)] {
        assert_close(
            lat[key].as_f64().unwrap(),
            percentile(&e.sorted_ms, p),
            &format!("{what} {key}"),
        );
    }
    assert_close(
        lat["min"].as_f64().unwrap(),
        e.sorted_ms[0],
        &format!("{what} min"),
    );
    assert_close(
        lat["max"].as_f64().unwrap(),
        *e.sorted_ms.last().unwrap(),
        &format!("{what} max"),
    );
    let mean = e.sorted_ms.iter().sum::<f64>() / e.sorted_ms.len() as f64;
    assert!(
        (lat["mean"].as_f64().unwrap() - mean).abs() < 1e-6,
        "{what} mean"
    );
    assert!(
        (load["duration_s"].as_f64().unwrap() - e.duration_s).abs() < 1e-9,
        "{what} duration"
    );
    let rps = e.requests as f64 / e.duration_s;
    assert!(
        (load["rps"].as_f64().unwrap() - rps).abs() < 1e-6 * rps,
        "{what} rps"
    );
}

/// A JMeter CSV read naively with the csv crate: rows of transaction controllers (their message
/// says "Number of samples in transaction") are not requests.
fn expected_from_jtl_csv(path: &Path) -> Expected {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let header = rows[0].get(0) == Some("timeStamp");
    let names: Vec<String> = if header {
        rows[0].iter().map(str::to_string).collect()
    } else {
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,bytes,grpThreads,allThreads,Latency"
            .split(',').map(str::to_string).collect()
    };
    let col = |name: &str| names.iter().position(|n| n == name).unwrap();
    let (ts, el, msg, ok) = (
        col("timeStamp"),
        col("elapsed"),
        col("responseMessage"),
        col("success"),
    );
    let mut e = Expected {
        requests: 0,
        failures: 0,
        sorted_ms: Vec::new(),
        duration_s: 0.0,
    };
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for row in rows.iter().skip(usize::from(header)) {
        if row[msg].starts_with("Number of samples in transaction") {
            continue;
        }
        let (t, ms): (i64, i64) = (row[ts].parse().unwrap(), row[el].parse().unwrap());
        e.requests += 1;
        e.failures += usize::from(&row[ok] == "false");
        e.sorted_ms.push(ms as f64);
        first = first.min(t);
        last = last.max(t + ms);
    }
    e.sorted_ms.sort_by(f64::total_cmp);
    e.duration_s = (last - first) as f64 / 1000.0;
    e
}

#[test]
fn jtl_csv_numbers_equal_sorting() {
    for name in [
        "jmeter-2.13_default_noheader.csv",
        "jmeter-2.13_header_5x-like-columns.csv",
    ] {
        let path = fixture(&format!("jmeter/{name}"));
        let summary = summarize(&path);
        check_load(&summary["runs"][0], &expected_from_jtl_csv(&path), name);
    }
}

#[test]
fn oha_csv_numbers_equal_sorting() {
    let path = fixture("oha/oha-1.16.0_csv_n200.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|f| f.parse().unwrap()).collect())
        .collect();
    let mut sorted_ms: Vec<f64> = rows.iter().map(|r| r[4] * 1000.0).collect();
    sorted_ms.sort_by(f64::total_cmp);
    let first = rows.iter().map(|r| r[0]).fold(f64::MAX, f64::min);
    let last = rows.iter().map(|r| r[0] + r[4]).fold(f64::MIN, f64::max);
    let e = Expected {
        requests: rows.len(),
        failures: 0,
        sorted_ms,
        duration_s: last - first,
    };
    let summary = summarize(&path);
    let load = &summary["runs"][0]["load"];
    assert_eq!(load["requests"], 200);
    for (key, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0)] {
        // oha writes seconds with 9 decimals: equal to the nanosecond.
        assert!(
            (load["latency_ms"][key].as_f64().unwrap() - percentile(&e.sorted_ms, p)).abs() < 1e-6
        );
    }
    assert!((load["duration_s"].as_f64().unwrap() - e.duration_s).abs() < 1e-6);
}

/// `label:\tvalue` from an oha text summary.
fn oha_field(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label}"))
        .trim()
        .to_string()
}

#[test]
fn oha_text_figures_are_the_printed_ones() {
    let path = fixture("oha/oha-1.16.0_text_z5s_c10.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let load = summarize(&path)["runs"][0]["load"].clone();
    let rps: f64 = oha_field(&text, "Requests/sec:").parse().unwrap();
    assert_close(load["rps"].as_f64().unwrap(), rps, "rps");
    let codes: u64 = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('['))
        .filter_map(|l| {
            l.split_once("] ")
                .and_then(|(_, r)| r.strip_suffix(" responses"))
        })
        .map(|n| n.parse::<u64>().unwrap())
        .sum();
    assert_eq!(load["successes"].as_u64().unwrap(), codes);
}

#[test]
fn psrecord_peaks_equal_naive_max() {
    let path = fixture("psrecord/psrecord-1.4_plain_children.log");
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(|f| f.parse().unwrap()).collect())
        .collect();
    let max = |i: usize| rows.iter().map(|r| r[i]).fold(f64::MIN, f64::max);
    let res = summarize(&path)["runs"][0]["resources"].clone();
    assert_close(res["cpu_peak_percent"].as_f64().unwrap(), max(1), "cpu");
    assert_close(res["mem_peak_mb"].as_f64().unwrap(), max(2), "mem");
}

#[test]
fn every_fixture_is_read() {
    for path in files_in(&fixture("")) {
        let name = path.file_name().unwrap().to_string_lossy();
        // READMEs, fixture generators and the tools' own inputs (`_server.py`, `_done.lua`).
        if name.ends_with(".md") || name.ends_with(".py") || name.starts_with('_') {
            continue;
        }
        if path.to_string_lossy().contains("/invalid/")
            || path.to_string_lossy().contains("newer-major")
        {
            continue;
        }
        summarize(&path);
    }
}

#[test]
fn every_generated_corpus_file_is_read() {
    let Some(dir) = shared("corpus/generated") else {
        return;
    };
    for path in files_in(&dir) {
        if path.extension().is_some_and(|e| e == "jmx") {
            // The JMeter test plan: an input of JMeter, not a result. Given directly it is refused.
            let err =
                benchreport::cli::load_summary(std::slice::from_ref(&path), true).unwrap_err();
            assert!(err.to_string().contains("not a recognised format"), "{err}");
            continue;
        }
        summarize(&path);
    }
    // locust writes one run as several files: the folder is one run.
    let locust = summarize(&dir.join("locust"));
    assert_eq!(locust["runs"].as_array().unwrap().len(), 1);
}

#[test]
fn every_public_jmeter_oha_psrecord_file_is_read() {
    for sub in [
        "corpus/public/jmeter",
        "corpus/public/oha",
        "corpus/public/psrecord",
    ] {
        let Some(dir) = shared(sub) else { return };
        for path in files_in(&dir) {
            if path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let summary = summarize(&path);
            assert_eq!(
                summary["runs"].as_array().unwrap().len(),
                1,
                "{}",
                path.display()
            );
        }
    }
}
