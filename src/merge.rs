//! `benchreport merge`: the summaries of parts of one test (one per load-generator node, or per
//! slice of a huge log) become one run with exactly the figures a single pass over all the parts'
//! files would give.
//!
//! A summary computed from samples carries everything its accumulator held (the exact latency
//! histogram overall and per label, status codes, errors, the per-second series with exact
//! sums, first start and last end), so the accumulator is rebuilt
//! ([`LoadAccumulator::from_summary`]) and the parts merged in the order given. One limit: each
//! summary keeps at most [`MAX_DISTINCT_ERRORS`] distinct error messages; if a part had more, the
//! merged error table cannot say which messages a single pass would have kept (a warning says
//! so). Resource figures (psrecord) belong to one machine each and are not merged.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;
use crate::ingest::Format;
use crate::model::{MergeableSink, ToolInfo, Warning};
use crate::runs::{Run, Source};
use crate::stats::load::{LoadAccumulator, MAX_DISTINCT_ERRORS};

/// Merges every run of every summary file into one run, named `name` or after the first run.
pub fn merge_summaries(paths: &[PathBuf], name: Option<&str>) -> Result<Run, Error> {
    let mut run = Run::default();
    let mut acc = LoadAccumulator::new();
    let mut parts = 0;
    for path in paths {
        let document = read_summary(path)?;
        let runs = document
            .get("runs")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                usage(
                    path,
                    "expected a benchreport summary (summary --json) with runs",
                )
            })?;
        for part in runs {
            let part_name = part.get("name").and_then(Value::as_str).unwrap_or("run");
            if run.name.is_empty() {
                run.name = name.unwrap_or(part_name).to_string();
            }
            run.sources.extend(sources_of(part));
            run.warnings.extend(warnings_of(part));
            if part.get("resources").is_some_and(|r| !r.is_null()) {
                run.warnings.push(warning(
                    path,
                    format!("resource figures of run '{part_name}' are not merged (they describe one machine)"),
                ));
            }
            let Some(load) = part.get("load").filter(|l| !l.is_null()) else {
                continue;
            };
            let sub = LoadAccumulator::from_summary(load)
                .map_err(|e| usage(path, &format!("run '{part_name}': {e}")))?;
            if !acc.is_empty() && !sub.merges_exactly() {
                run.warnings.push(warning(
                    path,
                    format!(
                        "run '{part_name}' has more than {MAX_DISTINCT_ERRORS} distinct error \
                         messages: the merged error table may differ from a single pass (every \
                         other figure is exact)"
                    ),
                ));
            }
            acc.merge(sub);
            parts += 1;
        }
    }
    if parts == 0 {
        return Err(Error::Usage(
            "nothing to merge: no summary holds load figures computed from samples".into(),
        ));
    }
    run.samples = Some(acc);
    Ok(run)
}

fn usage(path: &Path, message: &str) -> Error {
    Error::Usage(format!("{}: {message}", path.display()))
}

fn warning(path: &Path, message: String) -> Warning {
    Warning {
        path: path.to_path_buf(),
        line: None,
        message,
    }
}

fn read_summary(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read(path).map_err(|e| usage(path, &format!("cannot read: {e}")))?;
    let document: Value =
        serde_json::from_slice(&text).map_err(|e| usage(path, &format!("not JSON: {e}")))?;
    let version = document
        .get("schema_version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if version.split('.').next() != Some("1") {
        return Err(usage(
            path,
            &format!(
                "expected a benchreport summary of schema 1.x, found schema_version {version:?}"
            ),
        ));
    }
    Ok(document)
}

fn sources_of(run: &Value) -> Vec<Source> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let number = |v: &Value, key: &str| v.get(key).and_then(Value::as_u64).unwrap_or(0);
    let sources = run.get("sources").and_then(Value::as_array);
    sources
        .into_iter()
        .flatten()
        .map(|s| {
            let format = text(s, "format").unwrap_or_default();
            let tool = s.get("tool").unwrap_or(&Value::Null);
            Source {
                path: PathBuf::from(text(s, "path").unwrap_or_default()),
                format: Format::ALL
                    .iter()
                    .map(|f| f.id())
                    .find(|id| *id == format)
                    .unwrap_or("unknown"),
                tool: ToolInfo {
                    name: text(tool, "name").unwrap_or_default(),
                    version: text(tool, "version"),
                },
                bytes: number(s, "bytes"),
                sha256: text(s, "sha256"),
                fingerprint: text(s, "fingerprint"),
                role: text(s, "role").unwrap_or_default(),
                samples: number(s, "samples"),
            }
        })
        .collect()
}

fn warnings_of(run: &Value) -> Vec<Warning> {
    let warnings = run.get("warnings").and_then(Value::as_array);
    warnings
        .into_iter()
        .flatten()
        .map(|w| Warning {
            path: PathBuf::from(w.get("path").and_then(Value::as_str).unwrap_or_default()),
            line: w.get("line").and_then(Value::as_u64),
            message: w
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        })
        .collect()
}
