//! The built demo in a real browser: headless Chromium loads it from file://, our sorting script
//! runs under the page's Content-Security-Policy, the charts are there, and no script from the
//! inputs runs. Skipped (saying so) when Chromium is absent, unless BENCHREPORT_REQUIRE_BROWSER=1
//! (set by scripts/test.sh in CI, which installs Debian's chromium).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
            })
        });
    if found.is_none() {
        assert!(
            std::env::var("BENCHREPORT_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "BENCHREPORT_REQUIRE_BROWSER=1 but no chromium on PATH"
        );
        eprintln!("skipping: chromium not found (scripts/test.sh installs it in CI)");
    }
    found
}

/// Runs headless Chromium on a file with the flags this sandbox needs, bounded in time.
fn run_chromium(browser: &Path, profile: &Path, args: &[String], page: &Path) -> String {
    let url = format!("file://{}", page.display());
    let out = Command::new("timeout")
        .arg("90")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn demo_renders_in_chromium_and_no_input_script_runs() {
    let Some(browser) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let jtl = hostile_jtl(tmp.path());
    let site = tmp.path().join("site");
    let status = benchreport()
        .args(["build", "--quiet", "-o"])
        .arg(&site)
        .arg(repo().join("sample-data"))
        .arg(&jtl)
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let profile = tmp.path().join("profile");

    let dom = run_chromium(
        &browser,
        &profile,
        &["--dump-dom".into()],
        &site.join("index.html"),
    );
    // Our sorting script ran (it marks every header), so scripts work under the CSP...
    assert!(
        dom.contains("sortable-th"),
        "the page's own script did not run:\n{dom}"
    );
    // ... the comparison and the charts are in the page ...
    assert!(dom.contains("recipeyak/async-rust") && dom.contains("495.30"));
    for chart in [
        "charts/rps.svg",
        "charts/p99.svg",
        "charts/latency-percentiles.svg",
    ] {
        assert!(dom.contains(chart), "{chart} not in the page");
        assert!(site.join(chart).is_file());
    }
    // ... and nothing from the inputs ran, on the index or the hostile run's page.
    assert!(
        !dom.contains("data-pwned=\""),
        "an input's script ran on the index"
    );
    let run_dom = run_chromium(
        &browser,
        &profile,
        &["--dump-dom".into()],
        &site.join("runs/hostile.html"),
    );
    assert!(run_dom.contains("sortable-th"));
    // The hostile label is on the page, as text.
    assert!(
        run_dom.contains("setAttribute('data-pwned','label')"),
        "{run_dom}"
    );
    assert!(
        !run_dom.contains("data-pwned=\""),
        "an input's script ran on the run page"
    );

    // A screenshot to look at (target/screenshots/).
    let shots = repo().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (page, png) in [
        ("index.html", "index.png"),
        ("runs/local-threaded-python.html", "run.png"),
    ] {
        let shot = shots.join(png);
        run_chromium(
            &browser,
            &profile,
            &[
                format!("--screenshot={}", shot.display()),
                "--window-size=1300,2200".into(),
            ],
            &site.join(page),
        );
        assert!(
            std::fs::metadata(&shot)
                .map(|m| m.len() > 10_000)
                .unwrap_or(false),
            "{png}"
        );
    }
}
