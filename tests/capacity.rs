//! `benchreport capacity` and `benchreport init`: projections, target and cost arithmetic,
//! steady-state detection on real runs, the project file, and their error contract.

mod common;
use common::*;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn capacity_json(args: &[&str]) -> serde_json::Value {
    let out = benchreport()
        .arg("capacity")
        .args(args)
        .arg("--json")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "capacity failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn capacity_of_dir(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    capacity_json(&args)
}

fn run_report<'a>(analysis: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    analysis["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["run"] == name)
        .unwrap_or_else(|| panic!("no run {name} in {analysis}"))
}

fn assert_near(actual: f64, expected: f64, rel: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= rel * expected.abs(),
        "{what}: got {actual}, expected {expected}"
    );
}

#[test]
fn the_claims_api_story() {
    // The post's ~300 claims/s: "just under 26M claims per day", "around 9.5B per year",
    // "about 29 per person" for 325,110,000 people.
    let v = capacity_json(&["--rps", "300", "--population", "325110000"]);
    assert_eq!(f64_at(&v, "/per_second"), 300.0);
    assert_eq!(f64_at(&v, "/per_day"), 25_920_000.0); // 300 × 86,400
    assert_eq!(f64_at(&v, "/per_year"), 9_460_800_000.0); // 25,920,000 × 365
    assert_near(
        f64_at(&v, "/per_capita_per_year"),
        9_460_800_000.0 / 325_110_000.0,
        1e-12,
        "per capita",
    );
    assert!((f64_at(&v, "/per_capita_per_year") - 29.1).abs() < 0.01);
    assert_eq!(f64_at(&v, "/per_minute"), 18_000.0);
    assert_eq!(f64_at(&v, "/per_hour"), 1_080_000.0);
    assert_eq!(f64_at(&v, "/per_month"), 777_600_000.0); // × 2,592,000 s in 30 days
    assert!(v["target"].is_null() && v["cost"].is_null());
}

#[test]
fn text_output_reads_like_the_post() {
    benchreport()
        .args(["capacity", "--rps", "300", "--population", "325110000"])
        .assert()
        .success()
        .stdout(predicate::str::contains("25,920,000"))
        .stdout(predicate::str::contains("9,460,800,000"))
        .stdout(predicate::str::contains("29.1 a year"))
        .stdout(predicate::str::contains("a year 365 days"));
}

#[test]
fn target_demand_and_cost() {
    let v = capacity_json(&[
        "--rps",
        "495.303",
        "--target-rps",
        "2000",
        "--price-per-instance-month",
        "28",
    ]);
    // 2000 / (0.70 × 495.303) = 2000 / 346.7121 = 5.77 -> 6 instances.
    assert_eq!(v["target"]["instances_needed"], 6);
    assert_eq!(f64_at(&v, "/target/headroom"), 0.7);
    // $28 a month over 495.303 × 2,592,000 = 1,283,825,376 requests: $0.0218098 per million.
    assert_near(
        f64_at(&v, "/cost/cost_per_million_requests"),
        0.021_809_8,
        1e-5,
        "cost per million",
    );
    assert_eq!(f64_at(&v, "/cost/monthly_cost_at_target"), 168.0); // 6 × $28
    assert_eq!(v["cost"]["currency"], "USD");

    // Two tested instances at 1,000 req/s together, planned at 50%: 250 each, 1,000 / 250 = 4.
    let v = capacity_json(&[
        "--rps",
        "1000",
        "--instances",
        "2",
        "--target-rps",
        "1000",
        "--headroom",
        "0.5",
        "--price-per-instance-month",
        "10",
        "--currency",
        "EUR",
    ]);
    assert_eq!(v["target"]["instances_needed"], 4);
    assert_eq!(f64_at(&v, "/cost/monthly_cost"), 20.0);
    // €20 over 1,000 × 2,592,000 = 2,592 million requests.
    assert_near(
        f64_at(&v, "/cost/cost_per_million_requests"),
        20.0 / 2592.0,
        1e-12,
        "cost per million",
    );
    assert_eq!(v["cost"]["currency"], "EUR");
}

#[test]
fn bad_usage_is_exit_2_and_says_what_is_wrong() {
    let cases: [(&[&str], &str); 7] = [
        (&[], "--rps"),
        (&["--rps", "0"], "--rps"),
        (&["--rps", "abc"], "--rps"),
        (&["--rps", "300", "--headroom", "0.5"], "--target-rps"),
        (
            &["--rps", "300", "--target-rps", "10", "--headroom", "1.5"],
            "--headroom",
        ),
        (&["--rps", "300", "--population", "-5"], "--population"),
        (&["--rps", "300", "sample-data/local"], "cannot be used"),
    ];
    for (args, needle) in cases {
        benchreport()
            .arg("capacity")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
    }
}

/// Requests per whole second of `request-start` in an oha CSV, read with plain string handling.
fn oha_csv_per_second(path: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut counts: Vec<u64> = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let start: f64 = line.split(',').next().unwrap().parse().unwrap();
        let sec = start.floor() as usize;
        if counts.len() <= sec {
            counts.resize(sec + 1, 0);
        }
        counts[sec] += 1;
    }
    counts
}

#[test]
fn steady_state_of_the_local_runs() {
    for name in ["asyncio-python", "threaded-python"] {
        let dir = repo().join("sample-data/local").join(name);
        let counts = oha_csv_per_second(&dir.join("oha.csv"));
        let summary = benchreport::cli::load_summary(std::slice::from_ref(&dir), true).unwrap();
        let load = summary.runs[0].load.as_ref().unwrap();
        let t = benchreport::capacity::steady::throughput(load, None).unwrap();
        // The runs lasted 5 s (oha -z 5s): seconds 0-4 are full. asyncio-python's last requests
        // started 0.0003 s into second 5; that partial second must be trimmed.
        let full = &counts[..5];
        let w = t.window.as_ref().unwrap();
        assert_eq!((w.start_s, w.end_s, w.intervals), (0.0, 5.0, 5), "{name}");
        let sum: u64 = full.iter().sum();
        assert_eq!(w.requests, sum, "{name}");
        assert_close(t.sustained_rps.unwrap(), sum as f64 / 5.0, name);
        assert_close(
            t.peak_rps.unwrap(),
            *counts.iter().max().unwrap() as f64,
            name,
        );
        // Coefficient of variation of the five full seconds, computed here.
        let mean = sum as f64 / 5.0;
        let var = full.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / 5.0;
        assert_close(t.cv.unwrap(), var.sqrt() / mean, name);
        assert!(t.cv.unwrap() < 0.10, "{name}: both runs were steady");
    }
    let counts = oha_csv_per_second(&repo().join("sample-data/local/asyncio-python/oha.csv"));
    assert_eq!(counts.len(), 6, "the partial sixth second exists");
}

#[test]
fn window_given_on_the_command_line() {
    let dir = repo().join("sample-data/local/asyncio-python");
    let counts = oha_csv_per_second(&dir.join("oha.csv"));
    let v = capacity_of_dir(&dir, &["--window", "1..4"]);
    let run = run_report(&v, "asyncio-python");
    assert_eq!(run["throughput"]["window"]["source"], "given");
    assert_close(
        f64_at(run, "/estimate/rps"),
        (counts[1] + counts[2] + counts[3]) as f64 / 3.0,
        "sustained over 1..4",
    );
    let basis = run["estimate"]["rps_basis"].as_str().unwrap();
    assert!(basis.contains("given steady window 1–4 s"), "{basis}");
    benchreport()
        .arg("capacity")
        .arg(&dir)
        .args(["--window", "100..200"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("selects no interval"));
    benchreport()
        .arg("capacity")
        .arg(&dir)
        .args(["--window", "4..2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("END must be after START"));
}

/// `Requests/sec:` and `Average:` (seconds) of an oha text summary, read with plain string handling.
fn oha_printed(path: &Path) -> (f64, f64) {
    let text = std::fs::read_to_string(path).unwrap();
    let value = |key: &str| -> f64 {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (value("Requests/sec:"), value("Average:"))
}

#[test]
fn recipeyak_cost_per_million_and_littles_law() {
    let dir = repo().join("sample-data/recipeyak");
    let v = capacity_of_dir(&dir, &[]);
    for name in ["sync-python", "async-python", "async-rust"] {
        let run = run_report(&v, name);
        let (rps, avg_s) = oha_printed(&dir.join(name).join("oha.txt"));
        assert_close(f64_at(run, "/estimate/rps"), rps, name);
        let basis = run["estimate"]["rps_basis"].as_str().unwrap();
        assert!(
            basis.contains("no steady-state detection was possible"),
            "{basis}"
        );
        // benchreport.toml: $28 per month for the one HTTP server.
        assert_close(
            f64_at(run, "/estimate/cost/cost_per_million_requests"),
            28.0 / (rps * 30.0 * 86_400.0 / 1e6),
            name,
        );
        // The post's oha -c 50: 50 clients; X × W from the printed figures.
        assert_eq!(run["littles_law"]["concurrency"], 50);
        assert_close(
            f64_at(run, "/littles_law/implied_concurrency"),
            rps * avg_s,
            name,
        );
        assert_eq!(run["littles_law"]["verdict"], "consistent", "{name}");
        assert!(run["label"].as_str().unwrap().contains("Python") || name == "async-rust");
    }
    // The post's ranking by cost per million requests: async Python, async Rust, sync Python.
    let cost = |n| {
        f64_at(
            run_report(&v, n),
            "/estimate/cost/cost_per_million_requests",
        )
    };
    assert!(cost("async-python") < cost("async-rust") && cost("async-rust") < cost("sync-python"));
}

/// A temporary folder holding copies of real runs.
fn runs_dir(runs: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, source) in runs {
        let run = dir.path().join(name);
        std::fs::create_dir_all(&run).unwrap();
        let source = repo().join(source);
        std::fs::copy(&source, run.join(source.file_name().unwrap())).unwrap();
    }
    dir
}

fn one_run_dir() -> tempfile::TempDir {
    runs_dir(&[("a", "sample-data/recipeyak/async-rust/oha.txt")])
}

fn config_error(toml: &str, needle: &str) {
    let dir = one_run_dir();
    std::fs::write(dir.path().join("benchreport.toml"), toml).unwrap();
    benchreport()
        .arg("capacity")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(needle));
}

#[test]
fn project_file_errors_name_the_key() {
    config_error(
        "[capacity]\npopulaton = 3\n",
        "benchreport.toml:2:1: capacity: unknown field `populaton`",
    );
    config_error(
        "[runs.a]\nconcurrency = \"fifty\"\n",
        "benchreport.toml:2:15: runs.a.concurrency: invalid type: string \"fifty\"",
    );
    config_error(
        "[capacity]\nheadroom = 2\n",
        "capacity.headroom: expected a fraction",
    );
    config_error(
        "[runs.b]\nconcurrency = 5\n",
        "runs.b: no run named \"b\" among the inputs (runs: a)",
    );
}

#[test]
fn explicit_config_and_command_line_overrides() {
    let dir = one_run_dir();
    let config = dir.path().join("elsewhere.toml");
    std::fs::write(
        &config,
        "[capacity]\nprice_per_instance_month = 10\ntarget_rps = 1000\n\n[runs.a]\nconcurrency = 50\n",
    )
    .unwrap();
    let (rps, _) = oha_printed(&repo().join("sample-data/recipeyak/async-rust/oha.txt"));
    let v = capacity_of_dir(
        dir.path(),
        &["--config", config.to_str().unwrap(), "--headroom", "0.5"],
    );
    let run = run_report(&v, "a");
    assert_eq!(f64_at(run, "/estimate/cost/monthly_cost"), 10.0);
    // 1,000 / (0.5 × 267.0533) = 7.49 -> 8 instances: headroom from the command line.
    assert_eq!(run["estimate"]["target"]["instances_needed"], 8);
    assert_close(
        f64_at(run, "/estimate/target/planned_rps_per_instance"),
        0.5 * rps,
        "planned",
    );
    assert_eq!(run["littles_law"]["concurrency_source"], "configured");
    // The folder's own benchreport.toml is not read when --config is given.
    std::fs::write(dir.path().join("benchreport.toml"), "nonsense").unwrap();
    capacity_of_dir(dir.path(), &["--config", config.to_str().unwrap()]);
}

#[test]
fn systems_fit_scaling_over_their_runs() {
    // Four real runs standing in for one system at four concurrencies: the fit's points must be
    // the configured concurrencies with each run's throughput.
    let sources = [
        ("c1", "tests/fixtures/oha/oha-0.5.8_text_z5s_c10.txt"),
        ("c2", "tests/fixtures/oha/oha-1.16.0_text_z5s_c10.txt"),
        ("c4", "sample-data/recipeyak/sync-python/oha.txt"),
        ("c8", "sample-data/recipeyak/async-rust/oha.txt"),
    ];
    let dir = runs_dir(&sources);
    std::fs::write(
        dir.path().join("benchreport.toml"),
        "[systems.s]\nlabel = \"one system\"\nruns = [\"c1\", \"c2\", \"c4\", \"c8\"]\n\n\
         [runs.c1]\nconcurrency = 1\n[runs.c2]\nconcurrency = 2\n[runs.c4]\nconcurrency = 4\n\
         [runs.c8]\nconcurrency = 8\n",
    )
    .unwrap();
    let v = capacity_of_dir(dir.path(), &[]);
    let system = &v["systems"][0];
    assert_eq!(system["name"], "s");
    let points = system["scaling"]["points"].as_array().unwrap();
    for ((name, source), (point, n)) in sources.iter().zip(points.iter().zip([1.0, 2.0, 4.0, 8.0]))
    {
        let (rps, _) = oha_printed(&repo().join(source));
        assert_eq!(point["concurrency"].as_f64(), Some(n), "{name}");
        assert_close(point["throughput"].as_f64().unwrap(), rps, name);
        assert_eq!(run_report(&v, name)["system"], "s");
    }
    // The rule: fitted with 4 distinct concurrencies; a prediction only with R² >= 0.9.
    let fit = &system["scaling"]["fit"];
    let r2 = fit["r_squared"].as_f64().unwrap();
    assert_eq!(
        system["scaling"]["prediction"].is_null(),
        r2 < 0.9,
        "{system}"
    );
}

#[test]
fn init_writes_a_commented_example_and_never_overwrites() {
    let dir = runs_dir(&[
        ("fast", "sample-data/recipeyak/async-rust/oha.txt"),
        ("slow", "sample-data/recipeyak/sync-python/oha.txt"),
    ]);
    let path: PathBuf = dir.path().join("benchreport.toml");
    benchreport()
        .arg("init")
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote"));
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("#   fast\n#   slow\n"), "{written}");
    assert!(written.contains("#[runs.fast]"));
    // As written it changes nothing, and capacity reads it.
    capacity_of_dir(dir.path(), &[]);
    // A second init refuses and leaves the file alone.
    std::fs::write(&path, "# mine\n").unwrap();
    benchreport()
        .arg("init")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    benchreport()
        .args(["init", "does/not/exist"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a folder"));
}

#[test]
fn init_in_an_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    benchreport()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .success();
    let written = std::fs::read_to_string(dir.path().join("benchreport.toml")).unwrap();
    assert!(written.contains("No runs were found"));
}

#[test]
fn sample_data_project_files_are_valid() {
    for folder in ["sample-data/recipeyak", "sample-data/local"] {
        let path = repo().join(folder).join("benchreport.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        benchreport::config::Config::parse(&text, &path).unwrap();
    }
}

/// Real runs of one server at ten concurrencies (tests/fixtures/capacity, made by its make.sh).
#[test]
fn usl_fit_on_a_real_concurrency_series() {
    let dir = fixture("capacity");
    let config = dir.join("_project.toml");
    let v = capacity_of_dir(&dir, &["--config", config.to_str().unwrap(), "-q"]);
    let scaling = &v["systems"][0]["scaling"];
    // The points are each run's concurrency (benchreport.toml) and oha's requestsPerSec.
    let mut points = Vec::new();
    for (name, n) in [
        ("c01", 1.0),
        ("c02", 2.0),
        ("c04", 4.0),
        ("c08", 8.0),
        ("c12", 12.0),
        ("c16", 16.0),
        ("c24", 24.0),
        ("c32", 32.0),
        ("c48", 48.0),
        ("c64", 64.0),
    ] {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(name).join("oha.json")).unwrap(),
        )
        .unwrap();
        let rps = json["summary"]["requestsPerSec"].as_f64().unwrap();
        let avg_s = json["summary"]["average"].as_f64().unwrap();
        points.push((n, rps));
        // Little's law per run, from oha's own figures.
        let run = run_report(&v, name);
        assert_close(
            f64_at(run, "/littles_law/implied_concurrency"),
            rps * avg_s,
            name,
        );
    }
    let got: Vec<(f64, f64)> = scaling["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["concurrency"].as_f64().unwrap(),
                p["throughput"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), points.len());
    for (g, p) in got.iter().zip(&points) {
        assert_eq!(g.0, p.0);
        assert_close(g.1, p.1, "throughput");
    }
    let fit = &scaling["fit"];
    let (l, s, k) = (
        f64_at(fit, "/lambda"),
        f64_at(fit, "/sigma"),
        f64_at(fit, "/kappa"),
    );
    assert!(s >= 0.0 && k >= 0.0 && l > 0.0);
    // The law written out here, independently of the code under test.
    let sse = |l: f64, s: f64, k: f64| -> f64 {
        points
            .iter()
            .map(|&(n, x)| (x - l * n / (1.0 + s * (n - 1.0) + k * n * (n - 1.0))).powi(2))
            .sum()
    };
    let best = sse(l, s, k);
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let sst: f64 = points.iter().map(|p| (p.1 - mean).powi(2)).sum();
    assert_near(f64_at(fit, "/r_squared"), 1.0 - best / sst, 1e-9, "R^2");
    // A least-squares optimum: no allowed nearby parameters fit better.
    for (dl, ds, dk) in [
        (1.01, 1.0, 0.0),
        (0.99, 1.0, 0.0),
        (1.0, 1.01, 0.0),
        (1.0, 0.99, 0.0),
        (1.0, 1.0, 1e-6),
        (1.0, 1.0, 1e-5),
    ] {
        let other = sse(l * dl, s * ds, k + dk);
        assert!(
            other >= best * (1.0 - 1e-9),
            "({dl}, {ds}, {dk}) fits better"
        );
    }
    // The rule: 10 distinct concurrencies; a prediction exactly when R² >= 0.9.
    let r2 = f64_at(fit, "/r_squared");
    assert_eq!(scaling["prediction"].is_null(), r2 < 0.9, "{scaling}");
}
