//! From the paths on the command line to runs: which files belong to which run, and reading them.
//!
//! Rules (also in the README):
//! - A file given directly is one run, named by its file stem.
//! - A directory is walked in sorted order. Each folder that directly holds recognised files is
//!   one run, named by its path relative to the given directory (the directory's own name when the
//!   files sit at its top). Its files merge into that run: `oha.txt` + `psrecord.log` = one run with
//!   load and resources.
//! - Files and folders whose name starts with `.` are ignored; `benchreport.toml` is configuration.
//!   Every other file that is not recognised is listed as skipped.
//! - A benchreport JSON file holding several runs contributes each of them as its own run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{Error, IngestError};
use crate::ingest::{self, Format, Identity, ReadOptions};
use crate::model::{
    FileIngest, MergeableSink, OwnedSample, ReportedLoad, ReportedResources, ResourceSeries,
    SampleSink, ToolInfo, Warning,
};
use crate::stats::load::LoadAccumulator;

/// The name of the project file, which is configuration, not input.
pub const CONFIG_FILE: &str = "benchreport.toml";

/// A recognised input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    pub format: Format,
    pub bytes: u64,
}

/// A file that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// The files of one run, before reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFiles {
    pub name: String,
    /// True when the name came from a file stem (a file given directly), so a name declared
    /// inside a benchreport file may replace it.
    pub named_by_stem: bool,
    pub files: Vec<InputFile>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    pub runs: Vec<RunFiles>,
    pub skipped: Vec<Skipped>,
}

/// Finds the runs in the given paths. Fails when a path does not exist or when nothing
/// recognisable was found.
pub fn discover(inputs: &[PathBuf]) -> Result<Discovery, Error> {
    let mut discovery = Discovery::default();
    for input in inputs {
        let meta = std::fs::metadata(input)
            .map_err(|e| Error::Usage(format!("{}: cannot read input: {e}", input.display())))?;
        if meta.is_dir() {
            discover_dir(input, &mut discovery)?;
        } else {
            match recognise(input)? {
                Ok(file) => discovery.runs.push(RunFiles {
                    name: file_stem(input),
                    named_by_stem: true,
                    files: vec![file],
                }),
                Err(skipped) => {
                    return Err(Error::Usage(format!(
                        "{}: {}; expected {}",
                        input.display(),
                        skipped.reason,
                        ingest::EXPECTED_FORMATS
                    )))
                }
            }
        }
    }
    if discovery.runs.is_empty() {
        return Err(Error::Usage(nothing_recognised(inputs, &discovery.skipped)));
    }
    make_names_unique(&mut discovery.runs, inputs)?;
    Ok(discovery)
}

fn nothing_recognised(inputs: &[PathBuf], skipped: &[Skipped]) -> String {
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let mut msg = format!("no recognised input in {}", names.join(", "));
    if skipped.is_empty() {
        msg.push_str(" (no files found)");
    } else {
        let list: Vec<String> = skipped
            .iter()
            .map(|s| s.path.display().to_string())
            .collect();
        msg.push_str(&format!(" (skipped {}: {})", list.len(), list.join(", ")));
    }
    msg.push_str(&format!("; expected {}", ingest::EXPECTED_FORMATS));
    msg
}

fn discover_dir(root: &Path, discovery: &mut Discovery) -> Result<(), Error> {
    let mut by_folder: BTreeMap<PathBuf, Vec<InputFile>> = BTreeMap::new();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(root).display().to_string();
            Error::Usage(format!("{path}: cannot read: {e}"))
        })?;
        if !entry.file_type().is_file() || entry.file_name() == CONFIG_FILE {
            continue;
        }
        match recognise(entry.path())? {
            Ok(file) => {
                let folder = entry.path().parent().unwrap_or(root).to_path_buf();
                by_folder.entry(folder).or_default().push(file);
            }
            Err(skipped) => discovery.skipped.push(skipped),
        }
    }
    for (folder, files) in by_folder {
        discovery.runs.push(RunFiles {
            name: run_name(root, &folder),
            named_by_stem: false,
            files,
        });
    }
    Ok(())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// The run name of a folder: its path relative to the walked root, with `/` separators.
fn run_name(root: &Path, folder: &Path) -> String {
    let rel = folder.strip_prefix(root).unwrap_or(folder);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        dir_name(root)
    } else {
        parts.join("/")
    }
}

fn dir_name(dir: &Path) -> String {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".to_string())
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".to_string())
}

/// Reads a file's head and detects its format. `Ok(Err(_))` means "not a format we know".
fn recognise(path: &Path) -> Result<Result<InputFile, Skipped>, Error> {
    let head = ingest::read_head(path)?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| IngestError::io(path, &e))?
        .len();
    Ok(match ingest::detect(path, &head) {
        Some(format) => Ok(InputFile {
            path: path.to_path_buf(),
            format,
            bytes,
        }),
        None => Err(Skipped {
            path: path.to_path_buf(),
            reason: if head.is_empty() {
                "empty file".to_string()
            } else {
                "not a recognised format".to_string()
            },
        }),
    })
}

/// When several inputs produce the same run name, prefixes each with its input's name.
fn make_names_unique(runs: &mut [RunFiles], inputs: &[PathBuf]) -> Result<(), Error> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for run in runs.iter() {
        *counts.entry(run.name.clone()).or_default() += 1;
    }
    for run in runs.iter_mut() {
        if counts[&run.name] > 1 {
            if let Some(input) = inputs
                .iter()
                .find(|i| run.files[0].path.starts_with(i) && i.is_dir())
            {
                run.name = format!("{}/{}", dir_name(input), run.name);
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for run in runs.iter() {
        if !seen.insert(run.name.clone()) {
            return Err(Error::Usage(format!(
                "two runs are both named '{}' ({}); give them distinct folders or file names",
                run.name,
                run.files[0].path.display()
            )));
        }
    }
    Ok(())
}

/// Where one file of a run came from and what it held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub path: PathBuf,
    pub format: &'static str,
    pub tool: ToolInfo,
    pub bytes: u64,
    /// SHA-256 of the file's bytes, hex; `None` for a file larger than
    /// [`ingest::FULL_HASH_MAX_BYTES`] unless asked (`--sha256`), which has a `fingerprint`.
    pub sha256: Option<String>,
    /// For a large file: SHA-256 of its size, first MiB and last MiB, hex (see
    /// [`ingest::Identity::Fingerprint`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// What the file contributed: "samples", "reported load", "resources", ...
    pub role: String,
    pub samples: u64,
}

/// A run after reading its files: the input of the `stats` layer.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub name: String,
    pub sources: Vec<Source>,
    /// Raw samples, already streamed into exact accumulators.
    pub samples: Option<LoadAccumulator>,
    /// Figures the load tool printed, and the tool's name.
    pub reported: Option<(ReportedLoad, String)>,
    pub resources: Option<ResourceSeries>,
    pub reported_resources: Option<ReportedResources>,
    pub warnings: Vec<Warning>,
}

/// Reads every file of every run. A benchreport file holding several runs adds them as runs.
pub fn read_runs(discovery: &Discovery) -> Result<Vec<Run>, Error> {
    read_runs_with(discovery, &ReadOptions::default())
}

/// [`read_runs`] with a number of threads and a progress callback. The files of a run are read
/// in parallel (a large CSV JTL on every thread), each into an accumulator of its own, and merged
/// in file order: the figures are those of reading them one after the other.
pub fn read_runs_with(discovery: &Discovery, options: &ReadOptions<'_>) -> Result<Vec<Run>, Error> {
    let mut runs = Vec::new();
    for files in &discovery.runs {
        let (run, embedded) = read_run(files, options)?;
        if run.has_content() {
            runs.push(run);
        }
        runs.extend(embedded);
    }
    Ok(runs)
}

impl Run {
    fn has_content(&self) -> bool {
        self.samples.is_some()
            || self.reported.is_some()
            || self.resources.is_some()
            || self.reported_resources.is_some()
    }

    fn add_reported(
        &mut self,
        reported: ReportedLoad,
        tool: &str,
        path: &Path,
    ) -> Result<(), Error> {
        match &mut self.reported {
            None => self.reported = Some((reported, tool.to_string())),
            Some((existing, existing_tool)) => {
                let Some(field) = merge_reported(existing, reported) else {
                    return Ok(());
                };
                if existing_tool != tool {
                    return Err(IngestError::new(
                        path,
                        format!(
                            "run '{}' already has a reported '{field}' from another file; \
                             put separate runs in separate folders",
                            self.name
                        ),
                    )
                    .into());
                }
                self.warnings.push(Warning {
                    path: path.to_path_buf(),
                    line: None,
                    message: format!(
                        "another {tool} file of run '{}' already reported '{field}' (and maybe \
                         more); the first file's figures are kept (files are read in name order)",
                        self.name
                    ),
                });
            }
        }
        Ok(())
    }

    fn add_resources(&mut self, series: ResourceSeries, path: &Path) -> Result<(), Error> {
        if self.resources.is_some() || self.reported_resources.is_some() {
            return Err(IngestError::new(
                path,
                format!(
                    "run '{}' already has a resource log; one resource log per run is supported \
                     (put each monitored process in its own run folder)",
                    self.name
                ),
            )
            .into());
        }
        self.resources = Some(series);
        Ok(())
    }
}

/// A file read into an accumulator of its own.
struct ReadFile {
    ingest: FileIngest,
    identity: Identity,
    samples: LoadAccumulator,
}

fn read_file(file: &InputFile, options: &ReadOptions<'_>) -> Result<ReadFile, IngestError> {
    let mut samples = LoadAccumulator::new();
    let (ingest, identity) =
        ingest::parse_file_with(&file.path, file.format, &mut samples, options)?;
    Ok(ReadFile {
        ingest,
        identity,
        samples,
    })
}

/// Reads the files of a run: the small ones on a pool of threads (one file per thread), then
/// each large one on all threads.
fn read_files(
    files: &[InputFile],
    options: &ReadOptions<'_>,
) -> Vec<Result<ReadFile, IngestError>> {
    let mut results: Vec<Option<Result<ReadFile, IngestError>>> =
        files.iter().map(|_| None).collect();
    let (large, small): (Vec<usize>, Vec<usize>) =
        (0..files.len()).partition(|&i| ingest::reads_in_parallel(files[i].format, files[i].bytes));
    let one_thread = ReadOptions {
        threads: 1,
        ..*options
    };
    let pool = options.threads.min(small.len());
    if pool > 1 {
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<Result<ReadFile, IngestError>>>> =
            small.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..pool {
                scope.spawn(|| loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&i) = small.get(k) else { return };
                    let result = read_file(&files[i], &one_thread);
                    if let Ok(mut slot) = slots[k].lock() {
                        *slot = Some(result);
                    }
                });
            }
        });
        for (k, slot) in slots.into_iter().enumerate() {
            results[small[k]] = slot.into_inner().ok().flatten();
        }
    } else {
        for &i in &small {
            results[i] = Some(read_file(&files[i], &one_thread));
        }
    }
    for &i in &large {
        results[i] = Some(read_file(&files[i], options));
    }
    results
        .into_iter()
        .zip(files)
        .map(|(r, f)| {
            r.unwrap_or_else(|| {
                Err(IngestError::new(
                    &f.path,
                    "not read (a reading thread failed)",
                ))
            })
        })
        .collect()
}

fn read_run(files: &RunFiles, options: &ReadOptions<'_>) -> Result<(Run, Vec<Run>), Error> {
    let mut run = Run {
        name: files.name.clone(),
        ..Run::default()
    };
    let mut embedded_runs = Vec::new();
    let mut acc = LoadAccumulator::new();
    for (file, read) in files.files.iter().zip(read_files(&files.files, options)) {
        let ReadFile {
            ingest,
            identity,
            samples,
        } = read?;
        let (ingest, identity) = if acc.is_empty() {
            acc = samples;
            (ingest, identity)
        } else if samples.merges_exactly() {
            acc.merge(samples);
            (ingest, identity)
        } else {
            // Too many distinct errors to merge exactly: read the file again into the run.
            ingest::parse_file_with(&file.path, file.format, &mut acc, options)?
        };
        if files.named_by_stem && files.files.len() == 1 {
            if let Some(name) = &ingest.declared_name {
                run.name = name.clone();
            }
        }
        let source = source_of(file, &ingest, &identity);
        for embedded in ingest.embedded_runs {
            embedded_runs.push(embedded_run(&run.name, files, embedded, &source)?);
        }
        run.warnings.extend(ingest.warnings);
        if let Some(reported) = ingest.reported {
            run.add_reported(reported, &ingest.tool.name, &file.path)?;
        }
        if let Some(series) = ingest.resources {
            run.add_resources(series, &file.path)?;
        }
        if let Some(r) = ingest.reported_resources {
            run.reported_resources = Some(r);
        }
        run.sources.push(source);
    }
    if acc.requests() > 0 || run.sources.iter().any(|s| s.samples > 0) {
        acc.compact();
        run.samples = Some(acc);
    }
    Ok((run, embedded_runs))
}

fn source_of(file: &InputFile, ingest: &FileIngest, identity: &Identity) -> Source {
    let mut roles = Vec::new();
    if ingest.samples > 0 {
        roles.push("samples");
    }
    if ingest.reported.is_some() {
        roles.push("reported load");
    }
    if ingest.resources.is_some() || ingest.reported_resources.is_some() {
        roles.push("resources");
    }
    if !ingest.embedded_runs.is_empty() {
        roles.push("runs");
    }
    if roles.is_empty() {
        roles.push("nothing");
    }
    Source {
        path: file.path.clone(),
        format: file.format.id(),
        tool: ingest.tool.clone(),
        bytes: file.bytes,
        sha256: identity.sha256().map(str::to_string),
        fingerprint: identity.fingerprint().map(str::to_string),
        role: roles.join(", "),
        samples: ingest.samples,
    }
}

/// A run carried inside a benchreport file with several runs. It is named by its own name, under
/// the folder's run name when it was found by walking a directory.
fn embedded_run(
    container: &str,
    files: &RunFiles,
    embedded: crate::model::EmbeddedRun,
    source: &Source,
) -> Result<Run, Error> {
    let name = if files.named_by_stem {
        embedded.name.clone()
    } else {
        format!("{container}/{}", embedded.name)
    };
    let mut acc = LoadAccumulator::new();
    for s in &embedded.samples {
        acc.push(&OwnedSample::as_sample(s));
    }
    Ok(Run {
        name,
        sources: vec![Source {
            samples: embedded.samples.len() as u64,
            ..source.clone()
        }],
        samples: (!embedded.samples.is_empty()).then_some(acc),
        reported: embedded.reported.map(|r| (r, source.tool.name.clone())),
        resources: embedded.resources,
        reported_resources: embedded.reported_resources,
        warnings: Vec::new(),
    })
}

/// Merges figures from two files of one run field by field (locust writes its stats, history and
/// failures to separate files). Two files giving the same figure is a conflict, and the name of
/// the field is returned, unless both files come from the same tool (locust's CSV and JSON stats
/// of one run): then the figures already merged are kept.
fn merge_reported(into: &mut ReportedLoad, from: ReportedLoad) -> Option<&'static str> {
    // Takes a field from `from` when `into` lacks it; when both have it, keeps `into`'s and
    // remembers the first such overlap.
    let mut overlap: Option<&'static str> = None;
    let mut take = |a_set: bool, b_set: bool, name: &'static str| -> bool {
        if a_set && b_set {
            overlap.get_or_insert(name);
        }
        !a_set && b_set
    };
    macro_rules! field {
        ($($f:ident).+, $is_set:expr, $name:expr) => {
            if take($is_set(&into.$($f).+), $is_set(&from.$($f).+), $name) {
                into.$($f).+ = from.$($f).+.clone();
            }
        };
    }
    fn some<T>(v: &Option<T>) -> bool {
        v.is_some()
    }
    fn filled<T>(v: &[T]) -> bool {
        !v.is_empty()
    }
    fn has(v: &BTreeMap<String, u64>) -> bool {
        !v.is_empty()
    }
    field!(requests, some, "requests");
    field!(successes, some, "successes");
    field!(failures, some, "failures");
    field!(success_rate, some, "success_rate");
    field!(duration_s, some, "duration_s");
    field!(rps, some, "rps");
    field!(latency_ms.min, some, "latency min");
    field!(latency_ms.mean, some, "latency mean");
    field!(latency_ms.max, some, "latency max");
    field!(latency_ms.stddev, some, "latency stddev");
    field!(latency_ms.percentiles, filled, "latency percentiles");
    field!(histogram, filled, "histogram");
    field!(status_codes, has, "status codes");
    field!(errors, has, "errors");
    field!(bytes_total, some, "bytes");
    field!(labels, filled, "labels");
    field!(rps_distribution, some, "rps distribution");
    field!(rps_series, filled, "rps series");
    field!(concurrency, some, "concurrency");
    field!(latency_histogram_ns, filled, "latency histogram");
    overlap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_are_relative_paths() {
        let root = Path::new("/data/results");
        assert_eq!(run_name(root, Path::new("/data/results/a/b")), "a/b");
        assert_eq!(run_name(root, Path::new("/data/results")), "results");
    }

    #[test]
    fn merging_disjoint_reports_keeps_both() {
        let mut a = ReportedLoad {
            requests: Some(10),
            ..ReportedLoad::default()
        };
        let mut b = ReportedLoad::default();
        b.errors.insert("boom".into(), 2);
        assert_eq!(merge_reported(&mut a, b), None);
        assert_eq!(a.requests, Some(10));
        assert_eq!(a.errors.get("boom"), Some(&2));
    }

    #[test]
    fn merging_the_same_figure_twice_keeps_the_first_and_says_so() {
        let mut a = ReportedLoad {
            rps: Some(1.0),
            ..ReportedLoad::default()
        };
        let b = ReportedLoad {
            rps: Some(2.0),
            ..ReportedLoad::default()
        };
        assert_eq!(merge_reported(&mut a, b), Some("rps"));
        assert_eq!(a.rps, Some(1.0));
    }
}
