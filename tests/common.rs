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

/// A JMeter 5.x JTL with five labels, log-spread latencies, failures with multi-line quoted
/// messages and a ramp of threads, as lines (header first).
pub fn generated_jtl(rows: u64) -> Vec<String> {
    const LABELS: [&str; 5] = [
        "Home Page",
        "\"Search \"\"products\"\", page 1\"",
        "Add to cart",
        "Checkout",
        "Login",
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut lines = vec!["timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect".to_string()];
    for i in 0..rows {
        let elapsed = 1 + (next() % 50) * (next() % 50) + next() % 7;
        let label = LABELS[(next() % 5) as usize];
        let threads = 1 + i * 40 / rows;
        let (code, ok, failure) = match next() % 100 {
            0 => (
                "500",
                "false",
                "Test failed: code expected to contain /200/".to_string(),
            ),
            1 => (
                "200",
                "false",
                format!(
                    "\"Test failed: text expected\nbut got \"\"error {}\"\"\"",
                    next() % 3
                ),
            ),
            _ => ("200", "true", String::new()),
        };
        let mut line = String::new();
        std::fmt::Write::write_fmt(
            &mut line,
            format_args!(
            "{},{elapsed},{label},{code},OK,Users 1-{},text,{ok},{failure},{},120,{threads},{threads},http://127.0.0.1/x,{},0,1",
            1_795_000_000_000 + i * 7 - next() % 40,
            1 + i % threads,
            100 + next() % 9000,
            elapsed.saturating_sub(1),
        ))
        .unwrap();
        lines.push(line);
    }
    lines
}
