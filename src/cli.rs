//! The command line: argument definitions and the commands they run.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::capacity::steady::WindowSpec;
use crate::capacity::{self, RpsBasis, Settings};
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
    /// Print no notes or warnings on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// Result files or directories of runs.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Print the machine-readable summary (JSON) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print no notes or warnings on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Summary(args) => summary(&args),
        Command::Build(args) => build(&args),
        Command::Capacity(args) => capacity(&args),
        Command::Init(args) => init(&args),
    }
}

/// Reads the inputs and computes every run's summary, reporting skipped files and warnings on
/// stderr unless `quiet`.
pub fn load_summary(inputs: &[PathBuf], quiet: bool) -> Result<stats::Summary, Error> {
    let discovery = runs::discover(inputs)?;
    let runs = runs::read_runs(&discovery)?;
    let summary = stats::summarize(&runs, &discovery.skipped);
    if !quiet {
        report_notes(&summary);
    }
    Ok(summary)
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

fn summary(args: &SummaryArgs) -> Result<u8, Error> {
    let summary = load_summary(&args.inputs, args.quiet)?;
    let text = if args.json {
        render::json::summary_json(&summary)
    } else {
        render::text::summary_table(&summary)
    };
    write_stdout(&text)?;
    Ok(0)
}

fn build(args: &BuildArgs) -> Result<u8, Error> {
    let summary = load_summary(&args.inputs, args.quiet)?;
    let capacity = analyze_capacity(
        &summary,
        &args.inputs,
        args.config.as_deref(),
        &Settings::default(),
    )?;
    let options = render::site::BuildOptions {
        title: args.title.clone(),
        single_file: args.single_file,
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
        return Ok(0);
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
    Ok(0)
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
    let summary = load_summary(&args.inputs, args.quiet)?;
    let analysis = analyze_capacity(&summary, &args.inputs, args.config.as_deref(), overrides)?;
    let text = if args.json {
        to_json(&analysis)
    } else {
        render::capacity::analysis_text(&analysis)
    };
    write_stdout(&text)?;
    Ok(0)
}

/// Capacity figures of every run, with the project file: `--config`, else `benchreport.toml` in
/// the first input folder.
pub fn analyze_capacity(
    summary: &stats::Summary,
    inputs: &[PathBuf],
    explicit_config: Option<&std::path::Path>,
    overrides: &Settings,
) -> Result<capacity::CapacityAnalysis, Error> {
    let root = inputs
        .iter()
        .find(|p| p.is_dir())
        .or(inputs.first())
        .cloned()
        .unwrap_or_default();
    let config = config::load_config(&root, explicit_config)?;
    if let Some(c) = &config {
        let names: Vec<&str> = summary.runs.iter().map(|r| r.name.as_str()).collect();
        c.check_run_names(&names)?;
    }
    capacity::analyze(summary, config.as_ref(), overrides).map_err(Error::Usage)
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
