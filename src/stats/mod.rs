//! Statistics, computed once here and never in parsers or renderers.

pub mod histogram;
pub mod load;
pub mod resources;
pub mod significance;

use serde::Serialize;

use crate::model::Warning;
use crate::redact::{redact, redact_keys};
use crate::runs::{Run, Skipped, Source};
use load::LoadSummary;
use resources::ResourceSummary;

/// Version of the summary JSON (`summary --json`, `summary.json`): `MAJOR.MINOR`. Minor versions
/// only add fields; a new major version is a breaking change.
pub const SCHEMA_VERSION: &str = "1.0";

/// How percentiles are defined everywhere benchreport computes them.
pub const PERCENTILE_DEFINITION: &str = "nearest-rank: the p-th percentile of n samples is the \
smallest observed value x with at least p% of samples <= x (rank ceil(p/100*n)); computed exactly \
from every sample. Figures with origin 'reported' are the load tool's own.";

/// Everything `summary --json` prints and `build` writes as `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub schema_version: &'static str,
    pub generator: Generator,
    pub percentile_definition: &'static str,
    pub runs: Vec<RunSummary>,
    /// Files found in input folders that benchreport does not recognise.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generator {
    pub name: &'static str,
    pub version: &'static str,
}

impl Generator {
    pub fn this() -> Self {
        Generator {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// The computed figures of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub name: String,
    pub sources: Vec<Source>,
    /// `null` when the run has no load data.
    pub load: Option<LoadSummary>,
    /// `null` when the run has no resource log.
    pub resources: Option<ResourceSummary>,
    /// Throughput per resource, when the run has both load and resources.
    pub efficiency: Option<Efficiency>,
    pub warnings: Vec<Warning>,
}

/// Throughput per unit of resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Efficiency {
    /// RPS divided by the cores in use: `rps / (cpu_mean_percent / 100)`. Equal to requests per
    /// CPU-second during the active window.
    pub rps_per_core: Option<f64>,
    /// RPS per 100 MiB of peak resident memory.
    pub rps_per_100mb: Option<f64>,
}

impl Efficiency {
    fn of(load: &LoadSummary, res: &ResourceSummary) -> Option<Self> {
        let rps = load.rps?;
        let per = |denominator: Option<f64>| denominator.filter(|d| *d > 0.0).map(|d| rps / d);
        Some(Efficiency {
            rps_per_core: per(res.cpu_mean_percent.map(|c| c / 100.0)),
            rps_per_100mb: per(res.mem_peak_mb.map(|m| m / 100.0)),
        })
    }
}

/// Summarises every run.
pub fn summarize(runs: &[Run], skipped: &[Skipped]) -> Summary {
    Summary {
        schema_version: SCHEMA_VERSION,
        generator: Generator::this(),
        percentile_definition: PERCENTILE_DEFINITION,
        runs: runs.iter().map(summarize_run).collect(),
        skipped: skipped.to_vec(),
    }
}

/// Load from raw samples when the run has them (exact), else from the tool's reported figures.
pub fn summarize_run(run: &Run) -> RunSummary {
    let reported = run.reported.as_ref();
    let load = match (&run.samples, reported) {
        (Some(acc), _) => Some(acc.summarize(reported.map(|(r, _)| r.clone()))),
        (None, Some((r, tool))) => Some(LoadSummary::from_reported(r, tool)),
        (None, None) => None,
    }
    .map(redact_load);
    let resources = match (&run.resources, &run.reported_resources) {
        (Some(series), _) => Some(ResourceSummary::from_series(series)),
        (None, Some(r)) => Some(ResourceSummary::from_reported(r)),
        (None, None) => None,
    };
    let efficiency = match (&load, &resources) {
        (Some(l), Some(r)) => Efficiency::of(l, r),
        _ => None,
    };
    RunSummary {
        name: run.name.clone(),
        sources: run.sources.clone(),
        load,
        resources,
        efficiency,
        warnings: run
            .warnings
            .iter()
            .map(|w| Warning {
                message: redact(&w.message).into_owned(),
                ..w.clone()
            })
            .collect(),
    }
}

/// Removes secrets from every string in a load summary that came from an input file.
fn redact_load(mut load: LoadSummary) -> LoadSummary {
    load.errors = redact_keys(&load.errors);
    for label in &mut load.labels {
        label.label = redact(&label.label).into_owned();
    }
    if let Some(r) = &mut load.tool_reported {
        r.errors = redact_keys(&r.errors);
        for label in &mut r.labels {
            label.label = redact(&label.label).into_owned();
        }
    }
    load
}
