//! The command line: argument definitions and the commands they run.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::capacity::steady::WindowSpec;
use crate::capacity::{self, RpsBasis, Settings};
use crate::compare::{self, parse_threshold, Threshold};
use crate::config;
use crate::error::Error;
use crate::render;
use crate::runs;
use crate::stats;

/// Turn load-test and resource logs (oha, JMeter, psrecord, wrk, ab, hey, locust) into trustworthy
/// numbers and a shareable report.
#[derive(Debug, Parser)]
#[command(name = "benchreport", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a table of each run's throughput, latency and resource use.
    ///
    /// Each INPUT is a file (one run, named by its file stem) or a directory: every folder in it
    /// that holds recognised files is one run, named by its relative path.
    Summary(SummaryArgs),
    /// Build a static comparison site: an index across runs, a page per run, charts (SVG),
    /// summary.json and report.md. Works offline and from file://.
    Build(BuildArgs),
    /// Capacity and cost: requests per minute, hour, day, month and year, per person, instances
    /// needed for a target demand, cost per million requests; from a given RPS (--rps) or from
    /// runs (steady-state window, peak versus sustained throughput, Little's law, saturation).
    Capacity(CapacityArgs),
    /// Write a commented example project file (benchreport.toml) into a folder.
    Init(InitArgs),
    /// Compare a candidate against a baseline: each metric's change, whether it is beyond noise,
    /// and threshold gates for CI (exit 0: thresholds hold, 1: one is breached, 2: bad input).
    ///
    /// Each side is anything `summary` accepts: a result file, a run folder, a folder of runs or
    /// a summary.json. Every run found on a side is taken as a repetition of the same system, and
    /// pooled.
    Compare(CompareArgs),
    /// Merge summaries of parts of one test (one `summary --json` per load-generator node, or
    /// per slice of a huge log) into one run, with exactly the figures of a single pass over all
    /// the parts' files: latency percentiles overall and per label, counts, status codes,
    /// errors and the per-second series.
    Merge(MergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Summaries written by `benchreport summary --json` (or a site's summary.json).
    #[arg(required = true, value_name = "SUMMARY")]
    pub inputs: Vec<PathBuf>,
    /// Where to write the merged summary (default: stdout). It reads back like any summary
    /// (`summary`, `build`, `compare`, `merge`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Name of the merged run (default: the first run's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Print no warnings on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
#[command(
    group = clap::ArgGroup::new("source").required(true).args(["inputs", "rps"]),
    allow_negative_numbers = true
)]
pub struct CapacityArgs {
    /// Result files or directories of runs to analyse (instead of --rps). A folder's
    /// benchreport.toml is read unless --config says otherwise.
    #[arg(
        value_name = "INPUT",
        required_unless_present = "rps",
        conflicts_with = "rps"
    )]
    pub inputs: Vec<PathBuf>,
    /// Throughput to project, in requests per second (quick arithmetic without inputs).
    #[arg(long, value_name = "N")]
    pub rps: Option<f64>,
    /// People served, for per-capita figures.
    #[arg(long, value_name = "P")]
    pub population: Option<f64>,
    /// Demand to plan for, in requests per second.
    #[arg(long, value_name = "T")]
    pub target_rps: Option<f64>,
    /// Fraction of measured capacity each instance is planned to carry [default: 0.70].
    #[arg(long, value_name = "H")]
    pub headroom: Option<f64>,
    /// Price of one instance per month.
    #[arg(long, value_name = "C")]
    pub price_per_instance_month: Option<f64>,
    /// Instances in the tested setup [default: 1].
    #[arg(long, value_name = "K")]
    pub instances: Option<u32>,
    /// Currency of the price [default: USD].
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Throughput to project from runs: sustained (steady window, default), mean (whole run) or
    /// peak (busiest second).
    #[arg(long, value_name = "BASIS", conflicts_with = "rps")]
    pub basis: Option<RpsBasis>,
    /// Steady window in seconds from the start of each run (e.g. 10..55, 10.., ..55) instead of
    /// detecting it.
    #[arg(long, value_name = "START..END", conflicts_with = "rps")]
    pub window: Option<WindowSpec>,
    /// Clients the load test used (oha/wrk -c), for Little's law.
    #[arg(long, value_name = "N", conflicts_with = "rps")]
    pub concurrency: Option<u32>,
    /// Project file to use instead of INPUT/benchreport.toml.
    #[arg(long, value_name = "PATH", conflicts_with = "rps")]
    pub config: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print no notes or warnings on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Folder to write benchreport.toml into; runs found there are listed in it.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Result files or directories of runs.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (default `report`), or with --single-file the HTML file (default
    /// `report.html`). An existing folder or file is only replaced if benchreport created it (or
    /// with --force).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Write one self-contained HTML file (every chart inlined) instead of a folder.
    #[arg(long)]
    pub single_file: bool,
    /// The project file (prices, population, target demand, run labels); default:
    /// `benchreport.toml` in the first input folder.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Write into an existing folder that benchreport did not create: files with the names
    /// benchreport writes are replaced, every other file is kept.
    #[arg(long)]
    pub force: bool,
    /// Title of the index page.
    #[arg(long)]
    pub title: Option<String>,
    /// An absolute threshold every run must meet, e.g. 'p95<500ms', 'error_rate<1%' (repeatable).
    /// The site is written either way; the exit status is 1 when a threshold is breached.
    #[arg(long = "threshold", value_name = "EXPR", value_parser = parse_threshold)]
    pub thresholds: Vec<Threshold>,
    /// Append this build's headline figures, with an id, as one JSON line to FILE (for trends).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// The id of this build in the history file (default: $GITHUB_SHA).
    #[arg(long, value_name = "ID", requires = "history")]
    pub run_id: Option<String>,
    /// Print no notes, warnings or progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Compute the SHA-256 of every input file, however large. By default a file over 64 MiB
    /// is identified by a fingerprint (SHA-256 of its size, first and last MiB), which costs
    /// nothing; the full hash costs about 0.5 to 4 s per GB, depending on the CPU.
    #[arg(long)]
    pub sha256: bool,
}

#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// Result files or directories of runs.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Print the machine-readable summary (JSON) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// An absolute threshold every run must meet, e.g. 'p95<500ms', 'cpu_peak<=80%'
    /// (repeatable). Results go to stderr; the exit status is 1 when one is breached.
    #[arg(long = "threshold", value_name = "EXPR", value_parser = parse_threshold)]
    pub thresholds: Vec<Threshold>,
    /// The project file whose absolute `thresholds` also apply; default: `benchreport.toml` in
    /// the first input folder.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print no notes, warnings or progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Compute the SHA-256 of every input file, however large. By default a file over 64 MiB
    /// is identified by a fingerprint (SHA-256 of its size, first and last MiB), which costs
    /// nothing; the full hash costs about 0.5 to 4 s per GB, depending on the CPU.
    #[arg(long)]
    pub sha256: bool,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The baseline: a result file, a run folder, a folder of runs or a summary.json.
    #[arg(value_name = "BASELINE", required_unless_present = "baseline")]
    pub baseline_input: Option<PathBuf>,
    /// The candidate, like BASELINE.
    #[arg(value_name = "CANDIDATE", required_unless_present = "candidate")]
    pub candidate_input: Option<PathBuf>,
    /// A baseline input, instead of BASELINE; repeat it for repeated runs (pooled).
    #[arg(long, value_name = "PATH", conflicts_with = "baseline_input")]
    pub baseline: Vec<PathBuf>,
    /// A candidate input, instead of CANDIDATE; repeat it for repeated runs (pooled).
    #[arg(long, value_name = "PATH", conflicts_with = "candidate_input")]
    pub candidate: Vec<PathBuf>,
    /// A gate (repeatable): a relative change, e.g. 'rps>=-10%', 'p99<=+15%', or an absolute
    /// bound on the candidate, e.g. 'p95<500ms', 'error_rate<1%', 'cpu_peak<=80%'.
    #[arg(long = "threshold", value_name = "EXPR", value_parser = parse_threshold)]
    pub thresholds: Vec<Threshold>,
    /// The project file whose `thresholds` also apply; default: `benchreport.toml` in the first
    /// candidate folder.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
    /// Breach a relative threshold even when the change is within noise.
    #[arg(long)]
    pub strict: bool,
    /// The smallest relative change called better or worse, in percent.
    #[arg(long, value_name = "PERCENT", default_value = "5%", value_parser = parse_percent)]
    pub noise_floor: f64,
    /// Bootstrap resamples per confidence interval.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub resamples: u32,
    /// Seed of the bootstrap's random generator (the output is deterministic for a given seed).
    #[arg(long, value_name = "N", default_value_t = crate::stats::significance::DEFAULT_SEED)]
    pub seed: u64,
    /// Print no notes or warnings on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// An aligned table for the terminal.
    Text,
    /// GitHub-flavoured Markdown, for PR comments and $GITHUB_STEP_SUMMARY.
    Markdown,
    /// Machine-readable (docs/compare-format.md).
    Json,
    /// JUnit XML: one test case per threshold.
    Junit,
}

/// `5`, `5%`, `2.5 %` -> 0.05, 0.05, 0.025.
fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    number
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v / 100.0)
        .ok_or_else(|| format!("expected a percentage like '5%', found '{text}'"))
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Summary(args) => summary(&args),
        Command::Build(args) => build(&args),
        Command::Capacity(args) => capacity(&args),
        Command::Init(args) => init(&args),
        Command::Compare(args) => compare_command(&args),
        Command::Merge(args) => merge(&args),
    }
}

/// Reads the inputs and computes every run's summary, reporting skipped files and warnings on
/// stderr unless `quiet`.
pub fn load_summary(inputs: &[PathBuf], quiet: bool) -> Result<stats::Summary, Error> {
    load_summary_with(inputs, quiet, false)
}

/// [`load_summary`], with the full SHA-256 of large inputs too when `full_hash` (see
/// [`crate::ingest::FULL_HASH_MAX_BYTES`]). Shows a progress bar on stderr while reading takes
/// more than a moment, unless `quiet` or stderr is not a terminal.
pub fn load_summary_with(
    inputs: &[PathBuf],
    quiet: bool,
    full_hash: bool,
) -> Result<stats::Summary, Error> {
    let discovery = runs::discover(inputs)?;
    let total: u64 = discovery
        .runs
        .iter()
        .flat_map(|r| &r.files)
        .map(|f| f.bytes)
        .sum();
    let progress = Progress::new(total, !quiet);
    let report = |n: u64| progress.advance(n);
    let options = crate::ingest::ReadOptions {
        progress: Some(&report),
        full_hash,
        ..Default::default()
    };
    let runs = runs::read_runs_with(&discovery, &options);
    progress.finish();
    let summary = stats::summarize(&runs?, &discovery.skipped);
    if !quiet {
        report_notes(&summary);
    }
    Ok(summary)
}

/// A progress bar of the bytes read, drawn on stderr once reading has taken half a second (so
/// that quick runs print nothing), and never when stderr is not a terminal.
struct Progress {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
    allowed: bool,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    const DELAY: std::time::Duration = std::time::Duration::from_millis(500);

    fn new(total_bytes: u64, allowed: bool) -> Self {
        use std::io::IsTerminal;
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total_bytes),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "reading {bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta}",
        ) {
            bar.set_style(style);
        }
        Progress {
            bar,
            started: std::time::Instant::now(),
            allowed: allowed && std::io::stderr().is_terminal(),
            shown: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn advance(&self, bytes: u64) {
        use std::sync::atomic::Ordering;
        self.bar.inc(bytes);
        if self.allowed
            && !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() >= Self::DELAY
            && !self.shown.swap(true, Ordering::SeqCst)
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn report_notes(summary: &stats::Summary) {
    let mut err = std::io::stderr().lock();
    for s in &summary.skipped {
        let _ = writeln!(err, "note: skipped {} ({})", s.path.display(), s.reason);
    }
    for run in &summary.runs {
        for w in &run.warnings {
            let _ = writeln!(err, "warning: {w}");
        }
    }
}

/// The project file of the inputs: `explicit`, else `benchreport.toml` in the first input folder.
fn project_config(
    inputs: &[PathBuf],
    explicit: Option<&std::path::Path>,
) -> Result<Option<config::Config>, Error> {
    let root = inputs
        .iter()
        .find(|p| p.is_dir())
        .or(inputs.first())
        .cloned()
        .unwrap_or_default();
    config::load_config(&root, explicit)
}

/// The command line's thresholds, then the project file's (only its absolute ones when
/// `absolute` is set: there is no baseline).
fn all_thresholds(
    given: &[Threshold],
    config: Option<&config::Config>,
    absolute: bool,
) -> Vec<Threshold> {
    let from_file = config.into_iter().flat_map(|c| c.thresholds.iter());
    given
        .iter()
        .chain(from_file.filter(|t| !absolute || !t.is_relative()))
        .cloned()
        .collect()
}

fn summary(args: &SummaryArgs) -> Result<u8, Error> {
    absolute_only(&args.thresholds)?;
    let config = project_config(&args.inputs, args.config.as_deref())?;
    let thresholds = all_thresholds(&args.thresholds, config.as_ref(), true);
    let summary = load_summary_with(&args.inputs, args.quiet, args.sha256)?;
    if args.json {
        let mut out = std::io::stdout().lock();
        match render::json::write_summary_json(&summary, &mut out) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(Error::Output {
                    context: "writing to stdout".into(),
                    source: e,
                })
            }
            _ => {}
        }
    } else {
        write_stdout(&render::text::summary_table(&summary))?;
    }
    Ok(check_thresholds(&thresholds, &summary, args.quiet))
}

fn merge(args: &MergeArgs) -> Result<u8, Error> {
    let run = crate::merge::merge_summaries(&args.inputs, args.name.as_deref())?;
    let summary = stats::summarize(&[run], &[]);
    if !args.quiet {
        report_notes(&summary);
    }
    let text = render::json::summary_json(&summary);
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|e| Error::Output {
            context: format!("writing {}", path.display()),
            source: e,
        })?,
        None => write_stdout(&text)?,
    }
    Ok(0)
}

/// `summary` and `build` have no baseline: a relative threshold there is a usage error.
fn absolute_only(thresholds: &[Threshold]) -> Result<(), Error> {
    match thresholds.iter().find(|t| t.is_relative()) {
        Some(t) => Err(Error::Usage(format!(
            "threshold '{t}' is a change from a baseline; use it with `benchreport compare` \
             (summary and build take absolute thresholds like 'p95<500ms')"
        ))),
        None => Ok(()),
    }
}

/// Checks absolute thresholds against every run, reports on stderr (only problems when
/// `quiet`), and returns the exit code: 0 all hold, 1 one is breached, 2 one cannot be evaluated.
fn check_thresholds(thresholds: &[Threshold], summary: &stats::Summary, quiet: bool) -> u8 {
    let results = compare::check_runs(thresholds, &summary.runs);
    let shown: Vec<compare::RunThresholdResult> = results
        .iter()
        .filter(|r| !quiet || r.result.status != compare::ThresholdStatus::Pass)
        .cloned()
        .collect();
    eprint!("{}", render::compare::run_thresholds(&shown));
    compare::Status::of(results.iter().map(|r| &r.result)).exit_code()
}

fn compare_command(args: &CompareArgs) -> Result<u8, Error> {
    let side = |name: &str, positional: &Option<PathBuf>, flags: &[PathBuf]| {
        let inputs: Vec<PathBuf> = positional.iter().chain(flags).cloned().collect();
        if inputs.is_empty() {
            return Err(Error::Usage(format!(
                "missing the {name}: give it as an argument or with --{name} PATH"
            )));
        }
        let summary = load_summary(&inputs, args.quiet).map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("{name}: {m}")),
            other => other,
        })?;
        Ok(compare::Side {
            inputs,
            runs: summary.runs,
        })
    };
    let baseline = side("baseline", &args.baseline_input, &args.baseline)?;
    let candidate = side("candidate", &args.candidate_input, &args.candidate)?;
    let settings = compare::Settings {
        noise_floor: args.noise_floor,
        strict: args.strict,
        bootstrap: crate::stats::significance::BootstrapSettings {
            resamples: args.resamples,
            seed: args.seed,
            ..Default::default()
        },
        ..compare::Settings::default()
    };
    let config = project_config(&candidate.inputs, args.config.as_deref())?;
    let thresholds = all_thresholds(&args.thresholds, config.as_ref(), false);
    let comparison = compare::compare(&baseline, &candidate, &thresholds, &settings);
    let text = match args.format {
        CompareFormat::Text => render::compare::text(&comparison),
        CompareFormat::Markdown => render::compare::markdown(&comparison),
        CompareFormat::Json => render::compare::json(&comparison),
        CompareFormat::Junit => render::compare::junit(&comparison),
    };
    write_stdout(&text)?;
    if args.format != CompareFormat::Text {
        for r in &comparison.thresholds {
            if matches!(
                r.status,
                compare::ThresholdStatus::Breach | compare::ThresholdStatus::Unavailable
            ) {
                eprintln!("{}", render::compare::threshold_message(r));
            }
        }
    }
    Ok(comparison.exit_code)
}

fn build(args: &BuildArgs) -> Result<u8, Error> {
    absolute_only(&args.thresholds)?;
    let history_id = match &args.history {
        Some(_) => Some(
            crate::history::build_id(args.run_id.as_deref()).ok_or_else(|| {
                Error::Usage("--history needs an id: give --run-id ID (or set GITHUB_SHA)".into())
            })?,
        ),
        None => None,
    };
    // Read before anything is written, so a bad project file leaves no site and no history line.
    let config = project_config(&args.inputs, args.config.as_deref())?;
    let thresholds = all_thresholds(&args.thresholds, config.as_ref(), true);
    let summary = load_summary_with(&args.inputs, args.quiet, args.sha256)?;
    let capacity = analyze_capacity(&summary, config.as_ref(), &Settings::default())?;
    let history = match (&args.history, &history_id) {
        (Some(path), Some(id)) => {
            let mut entries = if path.exists() {
                crate::history::read(path)?
            } else {
                Vec::new()
            };
            // This build, without its time, so the site stays byte-identical.
            entries.push(crate::history::HistoryEntry::of(&summary, id, None));
            entries
        }
        _ => Vec::new(),
    };
    let options = render::site::BuildOptions {
        title: args.title.clone(),
        single_file: args.single_file,
        history,
    };
    let site = render::site::build_site(&summary, Some(&capacity), &options)?;
    if args.single_file {
        let target = args
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from(render::site::SINGLE_FILE));
        let page = site.get(render::site::SINGLE_FILE).unwrap_or_default();
        crate::output::write_single_file(page, &target, args.force)?;
        if !args.quiet {
            eprintln!("wrote {}", target.display());
        }
        return finish_build(args, &summary, history_id.as_deref(), &thresholds);
    }
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("report"));
    crate::output::write_site(&site, &target, args.force)?;
    if !args.quiet {
        eprintln!(
            "wrote {} files to {} (open {})",
            site.files.len(),
            target.display(),
            target.join("index.html").display()
        );
    }
    finish_build(args, &summary, history_id.as_deref(), &thresholds)
}

/// After the site is written: appends to the history file, checks the thresholds.
fn finish_build(
    args: &BuildArgs,
    summary: &stats::Summary,
    id: Option<&str>,
    thresholds: &[Threshold],
) -> Result<u8, Error> {
    if let (Some(path), Some(id)) = (&args.history, id) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs());
        crate::history::append(path, &crate::history::HistoryEntry::of(summary, id, now))?;
    }
    Ok(check_thresholds(thresholds, summary, args.quiet))
}

fn capacity(args: &CapacityArgs) -> Result<u8, Error> {
    let overrides = Settings {
        basis: args.basis,
        window: args.window,
        concurrency: args.concurrency,
        population: args.population,
        target_rps: args.target_rps,
        headroom: args.headroom,
        price_per_instance_month: args.price_per_instance_month,
        instances: args.instances,
        currency: args.currency.clone(),
    };
    overrides.validate().map_err(|e| {
        // Settings name keys as in benchreport.toml (target_rps); say the option (--target-rps).
        let (key, rest) = e.split_once(':').unwrap_or((&e, ""));
        Error::Usage(format!("--{}:{rest}", key.replace('_', "-")))
    })?;
    match args.rps {
        Some(rps) => capacity_of_rps(rps, &overrides, args.json),
        None => capacity_of_runs(args, &overrides),
    }
}

/// `capacity --rps N`: arithmetic on a given throughput.
fn capacity_of_rps(rps: f64, settings: &Settings, json: bool) -> Result<u8, Error> {
    if !(rps.is_finite() && rps > 0.0) {
        return Err(Error::Usage(format!(
            "--rps: expected requests per second greater than 0, found {rps}"
        )));
    }
    if settings.headroom.is_some() && settings.target_rps.is_none() {
        return Err(Error::Usage(
            "--headroom applies to a target demand: give --target-rps too".into(),
        ));
    }
    let estimate =
        capacity::CapacityEstimate::new(rps, "given on the command line".into(), settings);
    let text = if json {
        to_json(&estimate)
    } else {
        render::capacity::estimate_text(&estimate)
    };
    write_stdout(&text)?;
    Ok(0)
}

/// `capacity INPUT...`: every run's capacity figures, with the project file's settings.
fn capacity_of_runs(args: &CapacityArgs, overrides: &Settings) -> Result<u8, Error> {
    let config = project_config(&args.inputs, args.config.as_deref())?;
    let summary = load_summary(&args.inputs, args.quiet)?;
    let analysis = analyze_capacity(&summary, config.as_ref(), overrides)?;
    let text = if args.json {
        to_json(&analysis)
    } else {
        render::capacity::analysis_text(&analysis)
    };
    write_stdout(&text)?;
    Ok(0)
}

/// Capacity figures of every run, with the project file's settings under `overrides`; a run the
/// project file names but the inputs lack is an error.
pub fn analyze_capacity(
    summary: &stats::Summary,
    config: Option<&config::Config>,
    overrides: &Settings,
) -> Result<capacity::CapacityAnalysis, Error> {
    if let Some(c) = config {
        let names: Vec<&str> = summary.runs.iter().map(|r| r.name.as_str()).collect();
        c.check_run_names(&names)?;
    }
    capacity::analyze(summary, config, overrides).map_err(Error::Usage)
}

fn to_json(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// `init [DIR]`: writes a commented example benchreport.toml; never overwrites one.
fn init(args: &InitArgs) -> Result<u8, Error> {
    if !args.dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: not a folder (benchreport init DIR writes DIR/{})",
            args.dir.display(),
            config::FILE_NAME
        )));
    }
    let path = args.dir.join(config::FILE_NAME);
    let names: Vec<String> = runs::discover(std::slice::from_ref(&args.dir))
        .map(|d| d.runs.into_iter().map(|r| r.name).collect())
        .unwrap_or_default();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Usage(format!(
                "{}: already exists; benchreport init does not overwrite it",
                path.display()
            )))
        }
        Err(e) => {
            return Err(Error::Output {
                context: format!("creating {}", path.display()),
                source: e,
            })
        }
    };
    file.write_all(config::example(&names).as_bytes())
        .map_err(|e| Error::Output {
            context: format!("writing {}", path.display()),
            source: e,
        })?;
    eprintln!("wrote {}", path.display());
    Ok(0)
}

/// Writes to stdout; a closed pipe (`benchreport summary ... | head`) is not an error.
fn write_stdout(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Output {
            context: "writing to stdout".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
