//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The workspace's `shared/` folder (public corpus, seeds), when it is present next to the repo.
pub fn shared_dir() -> Option<PathBuf> {
    [repo().join("../shared"), PathBuf::from("/work/shared")]
        .into_iter()
        .find(|p| p.join("corpus").is_dir())
}

/// A path under `shared/`, or `None` after saying that the test is skipped.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = shared_dir().map(|d| d.join(rel));
    match path {
        Some(p) if p.exists() => Some(p),
        _ => {
            eprintln!("skipping: shared/{rel} not found (tests run beside the workspace's shared/ folder)");
            None
        }
    }
}

pub fn benchreport() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("benchreport").expect("binary built")
}

/// Runs `benchreport summary --json` on the inputs and parses the output.
pub fn summary_json(inputs: &[&Path]) -> serde_json::Value {
    let out = benchreport()
        .arg("summary")
        .args(inputs)
        .arg("--json")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "summary failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

pub fn run_named<'a>(summary: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    summary["runs"]
        .as_array()
        .expect("runs array")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no run named {name} in {summary}"))
}

pub fn f64_at(v: &serde_json::Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(|x| x.as_f64())
        .unwrap_or_else(|| panic!("no number at {pointer} in {v}"))
}

pub fn assert_close(actual: f64, expected: f64, what: &str) {
    let tol = 1e-9 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: got {actual}, expected {expected}"
    );
}

/// Strings an attacker could put in a JTL: each must appear only as text.
pub const HOSTILE: [&str; 4] = [
    "<script>document.body.setAttribute('data-pwned','label')</script>",
    "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','attr')\">",
    "</text><script>alert('svg')</script><text>",
    "]]><!-- & ' \" </title>",
];

/// A real JMeter CSV whose labels and failure messages are replaced by hostile strings.
pub fn hostile_jtl(dir: &Path) -> PathBuf {
    let real =
        std::fs::read_to_string(fixture("jmeter/jmeter-2.13_header_5x-like-columns.csv")).unwrap();
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let hostile = real
        .replace("Home Page", &quote(HOSTILE[0]))
        .replace("\"Get \"\"data\"\", big\"", &quote(HOSTILE[1]))
        .replace("Missing page 404", &quote(HOSTILE[2]))
        .replace("File not found", &quote(HOSTILE[3]));
    let path = dir.join("hostile.jtl");
    std::fs::write(&path, hostile).unwrap();
    path
}
