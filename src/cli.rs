//! The command line: argument definitions and the commands they run.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
    let options = render::site::BuildOptions {
        title: args.title.clone(),
        single_file: args.single_file,
    };
    let site = render::site::build_site(&summary, &options)?;
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
