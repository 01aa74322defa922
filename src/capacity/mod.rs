//! Capacity and cost: what a measured throughput means per day, per year, per person and per
//! dollar; how steady it was; where a system saturates. Pure functions over summaries: nothing
//! here parses inputs or renders output. Every report states its assumptions (which RPS, which
//! window, headroom, prices) so they can be printed next to the numbers.
//!
//! Definitions (also in the README, "Capacity and cost"):
//! - Projections multiply the RPS by 60, 3,600, 86,400, 2,592,000 (a 30-day month) and
//!   31,536,000 (a 365-day year) seconds; per capita divides by the population.
//! - Instances needed for a target demand T with headroom h, when K instances delivered R req/s:
//!   `ceil(T / (h · R / K))` (scaling assumed linear in instances).
//! - Cost per million requests = `price · K / (R · 2,592,000 / 1,000,000)`: the tested setup's
//!   monthly price over the requests it serves in a month at the measured rate.

pub mod knee;
pub mod steady;
pub mod usl;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::stats::load::LoadSummary;
use crate::stats::resources::ResourceSummary;
use crate::stats::{RunSummary, Summary};
use knee::Saturation;
use steady::{Throughput, WindowSpec};
use usl::{UslPoint, UslReport};

pub const SECONDS_PER_MINUTE: f64 = 60.0;
pub const SECONDS_PER_HOUR: f64 = 3_600.0;
pub const SECONDS_PER_DAY: f64 = 86_400.0;
/// A 30-day month.
pub const SECONDS_PER_MONTH: f64 = 30.0 * SECONDS_PER_DAY;
/// A 365-day year.
pub const SECONDS_PER_YEAR: f64 = 365.0 * SECONDS_PER_DAY;
/// Plan to use this fraction of measured capacity unless told otherwise.
pub const DEFAULT_HEADROOM: f64 = 0.70;
pub const DEFAULT_CURRENCY: &str = "USD";
/// Little's law: clients busy `X·W/N` in this range is consistent.
pub const LITTLE_LOW: f64 = 0.8;
pub const LITTLE_HIGH: f64 = 1.1;
/// A window whose throughput drifts by more than this (see `Throughput::drift`) gets a note.
pub const DRIFT_NOTE: f64 = 0.10;

/// Which throughput projections are based on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RpsBasis {
    /// Requests per second over the steady window (the default).
    #[default]
    Sustained,
    /// The busiest second: an upper bound, not a rate to plan with.
    Peak,
    /// The whole run's RPS (requests / duration, or the tool's own figure).
    Mean,
}

impl FromStr for RpsBasis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sustained" => Ok(RpsBasis::Sustained),
            "peak" => Ok(RpsBasis::Peak),
            "mean" => Ok(RpsBasis::Mean),
            _ => Err(format!(
                "expected one of sustained, peak, mean; found {s:?}"
            )),
        }
    }
}

impl fmt::Display for RpsBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RpsBasis::Sustained => "sustained",
            RpsBasis::Peak => "peak",
            RpsBasis::Mean => "mean",
        })
    }
}

/// Settings that shape a capacity estimate, every one optional so they can be layered: command
/// line over `[runs.NAME]` over `[systems.NAME]` over `[capacity]` in benchreport.toml.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Settings {
    pub basis: Option<RpsBasis>,
    pub window: Option<WindowSpec>,
    /// Clients (connections, threads) the test used, for Little's law and scaling fits.
    pub concurrency: Option<u32>,
    pub population: Option<f64>,
    pub target_rps: Option<f64>,
    pub headroom: Option<f64>,
    pub price_per_instance_month: Option<f64>,
    /// Instances in the tested setup (default 1).
    pub instances: Option<u32>,
    pub currency: Option<String>,
}

impl Settings {
    /// These settings, with every unset one taken from `fallback`.
    pub fn or(&self, fallback: &Settings) -> Settings {
        Settings {
            basis: self.basis.or(fallback.basis),
            window: self.window.or(fallback.window),
            concurrency: self.concurrency.or(fallback.concurrency),
            population: self.population.or(fallback.population),
            target_rps: self.target_rps.or(fallback.target_rps),
            headroom: self.headroom.or(fallback.headroom),
            price_per_instance_month: self
                .price_per_instance_month
                .or(fallback.price_per_instance_month),
            instances: self.instances.or(fallback.instances),
            currency: self.currency.clone().or_else(|| fallback.currency.clone()),
        }
    }

    /// Checks ranges; the error names the setting (as in benchreport.toml) and the value.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: Option<f64>| match v {
            Some(x) if !(x.is_finite() && x > 0.0) => Err(format!(
                "{name}: expected a number greater than 0, found {x}"
            )),
            _ => Ok(()),
        };
        positive("population", self.population)?;
        positive("target_rps", self.target_rps)?;
        if let Some(h) = self.headroom {
            if !(h > 0.0 && h <= 1.0) {
                return Err(format!(
                    "headroom: expected a fraction of measured capacity greater than 0 and at \
                     most 1 (e.g. 0.7), found {h}"
                ));
            }
        }
        if let Some(p) = self.price_per_instance_month {
            if !(p.is_finite() && p >= 0.0) {
                return Err(format!(
                    "price_per_instance_month: expected a price of 0 or more, found {p}"
                ));
            }
        }
        if self.instances == Some(0) {
            return Err("instances: expected at least 1, found 0".into());
        }
        if self.concurrency == Some(0) {
            return Err("concurrency: expected at least 1, found 0".into());
        }
        Ok(())
    }
}

/// Requests at a given rate over common periods, and what that means for a target demand and
/// for cost. `per_second`, `per_day`, `per_year` and `per_capita_per_year` are a contract
/// (`benchreport capacity --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityEstimate {
    pub rps: f64,
    /// Which RPS this is, in words.
    pub rps_basis: String,
    pub per_second: f64,
    pub per_minute: f64,
    pub per_hour: f64,
    pub per_day: f64,
    /// 30 days.
    pub per_month: f64,
    /// 365 days.
    pub per_year: f64,
    pub population: Option<f64>,
    pub per_capita_per_day: Option<f64>,
    pub per_capita_per_year: Option<f64>,
    /// Instances in the tested setup.
    pub instances: u32,
    pub rps_per_instance: f64,
    pub target: Option<TargetPlan>,
    pub cost: Option<Cost>,
    /// Every assumption behind the figures, in words.
    pub assumptions: Vec<String>,
}

/// Instances needed for a target demand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetPlan {
    pub target_rps: f64,
    /// Fraction of measured capacity each instance is planned to carry.
    pub headroom: f64,
    /// `headroom · rps / instances`.
    pub planned_rps_per_instance: f64,
    /// `ceil(target_rps / planned_rps_per_instance)`.
    pub instances_needed: u64,
    /// Share of measured capacity in use at the target with that many instances.
    pub utilisation_at_target: f64,
}

/// Cost figures from a price per instance and month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    pub currency: String,
    pub price_per_instance_month: f64,
    pub instances: u32,
    /// The tested setup's price per month.
    pub monthly_cost: f64,
    /// `monthly_cost` over the requests the tested setup serves in 30 days at the measured rate,
    /// per million.
    pub cost_per_million_requests: f64,
    /// `instances_needed · price`, with a target demand.
    pub monthly_cost_at_target: Option<f64>,
    /// `monthly_cost_at_target` over the target's requests in 30 days, per million.
    pub cost_per_million_at_target: Option<f64>,
}

impl CapacityEstimate {
    /// The estimate for `rps` requests per second (`rps_basis` says which RPS it is). Settings
    /// must have passed [`Settings::validate`]; `rps` must be positive and finite.
    pub fn new(rps: f64, rps_basis: String, settings: &Settings) -> Self {
        let instances = settings.instances.unwrap_or(1);
        let per_day = rps * SECONDS_PER_DAY;
        let per_year = rps * SECONDS_PER_YEAR;
        let population = settings.population;
        let mut assumptions = vec![
            format!("throughput: {rps_basis}"),
            "a month is 30 days and a year 365 days, at that rate around the clock".to_string(),
        ];
        if let Some(p) = population {
            assumptions.push(format!("per capita: divided by a population of {p}"));
        }
        let rps_per_instance = rps / instances as f64;
        let target = settings.target_rps.map(|t| {
            let headroom = settings.headroom.unwrap_or(DEFAULT_HEADROOM);
            assumptions.push(format!(
                "target {t} req/s planned at {:.0}% of measured capacity per instance{}; \
                 capacity assumed to scale linearly with instances",
                headroom * 100.0,
                if settings.headroom.is_none() {
                    " (the default headroom)"
                } else {
                    ""
                }
            ));
            target_plan(t, headroom, rps_per_instance)
        });
        if settings.instances.is_none()
            && (target.is_some() || settings.price_per_instance_month.is_some())
        {
            assumptions.push("the tested setup is taken as 1 instance".into());
        }
        let cost = settings.price_per_instance_month.map(|price| {
            let currency = settings
                .currency
                .clone()
                .unwrap_or_else(|| DEFAULT_CURRENCY.to_string());
            assumptions.push(format!(
                "cost: {price} {currency} per instance per month × {instances}, the tested setup \
                 serving the measured rate all month"
            ));
            cost(price, instances, rps, currency, target.as_ref())
        });
        CapacityEstimate {
            rps,
            rps_basis,
            per_second: rps,
            per_minute: rps * SECONDS_PER_MINUTE,
            per_hour: rps * SECONDS_PER_HOUR,
            per_day,
            per_month: rps * SECONDS_PER_MONTH,
            per_year,
            population,
            per_capita_per_day: population.map(|p| per_day / p),
            per_capita_per_year: population.map(|p| per_year / p),
            instances,
            rps_per_instance,
            target,
            cost,
            assumptions,
        }
    }
}

fn target_plan(target_rps: f64, headroom: f64, rps_per_instance: f64) -> TargetPlan {
    let planned = headroom * rps_per_instance;
    let exact = target_rps / planned;
    // Round up, but not past a whole number that floating point missed by a hair (5.000000001).
    let instances_needed = ((exact * (1.0 - 1e-12)).ceil().max(1.0)) as u64;
    TargetPlan {
        target_rps,
        headroom,
        planned_rps_per_instance: planned,
        instances_needed,
        utilisation_at_target: target_rps / (instances_needed as f64 * rps_per_instance),
    }
}

fn cost(
    price: f64,
    instances: u32,
    rps: f64,
    currency: String,
    target: Option<&TargetPlan>,
) -> Cost {
    let monthly_cost = price * instances as f64;
    let millions_per_month = |r: f64| r * SECONDS_PER_MONTH / 1e6;
    let monthly_cost_at_target = target.map(|t| t.instances_needed as f64 * price);
    Cost {
        currency,
        price_per_instance_month: price,
        instances,
        monthly_cost,
        cost_per_million_requests: monthly_cost / millions_per_month(rps),
        monthly_cost_at_target,
        cost_per_million_at_target: target
            .zip(monthly_cost_at_target)
            .map(|(t, c)| c / millions_per_month(t.target_rps)),
    }
}

/// Requests per unit of resource, when the run has a resource log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityEfficiency {
    /// Requests per core-second of CPU used by the recorded processes.
    pub requests_per_cpu_second: Option<f64>,
    pub cpu_method: String,
    /// Projection RPS per GiB (1,024 psrecord "MB") of peak resident memory.
    pub rps_per_gib_peak_memory: Option<f64>,
}

fn efficiency(load: &LoadSummary, res: &ResourceSummary, rps: f64) -> CapacityEfficiency {
    let (per_cpu, cpu_method) = match (load.requests, res.cpu_seconds) {
        (Some(n), Some(cpu)) if cpu > 0.0 => (
            Some(n as f64 / cpu),
            "requests / CPU core-seconds of the whole resource log".to_string(),
        ),
        _ => match res.cpu_mean_percent.filter(|c| *c > 0.0) {
            Some(c) => (
                Some(rps / (c / 100.0)),
                "RPS / cores in use (mean CPU % / 100)".to_string(),
            ),
            None => (None, "no CPU figures".to_string()),
        },
    };
    CapacityEfficiency {
        requests_per_cpu_second: per_cpu,
        cpu_method,
        rps_per_gib_peak_memory: res
            .mem_peak_mb
            .filter(|m| *m > 0.0)
            .map(|m| rps / (m / 1024.0)),
    }
}

/// What Little's law says about a run's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LittleVerdict {
    /// Throughput × mean latency is within 80–110% of the concurrency.
    Consistent,
    /// Below 80%: clients spent time between requests (think time, a saturated load generator),
    /// or the test used fewer clients than stated.
    ClientsIdle,
    /// Above 110%: more requests in flight than clients can have. Something is wrong.
    Inconsistent,
}

/// Little's law check: concurrency ≈ throughput × mean latency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LittleCheck {
    pub concurrency: u32,
    pub concurrency_source: String,
    pub throughput_rps: f64,
    pub latency_mean_ms: f64,
    /// Where the throughput and latency come from.
    pub figures: String,
    /// Throughput × mean latency: requests in flight on average.
    pub implied_concurrency: f64,
    /// `implied_concurrency / concurrency`.
    pub ratio: f64,
    pub verdict: LittleVerdict,
    pub explanation: String,
}

/// Little's law on the given figures.
pub fn little_check(
    concurrency: u32,
    concurrency_source: String,
    rps: f64,
    latency_mean_ms: f64,
    figures: String,
) -> LittleCheck {
    let implied = rps * latency_mean_ms / 1000.0;
    let ratio = implied / concurrency as f64;
    let (verdict, explanation) = if ratio > LITTLE_HIGH {
        (
            LittleVerdict::Inconsistent,
            format!(
                "{implied:.1} requests in flight on average, more than {concurrency} clients can \
                 have: the concurrency, the latency or the throughput is wrong (units? runs merged?)"
            ),
        )
    } else if ratio < LITTLE_LOW {
        (
            LittleVerdict::ClientsIdle,
            format!(
                "only {implied:.1} of {concurrency} clients busy on average: think time, a \
                 saturated load generator, or fewer clients than stated"
            ),
        )
    } else {
        (
            LittleVerdict::Consistent,
            format!("{implied:.1} requests in flight on average with {concurrency} clients"),
        )
    };
    LittleCheck {
        concurrency,
        concurrency_source,
        throughput_rps: rps,
        latency_mean_ms,
        figures,
        implied_concurrency: implied,
        ratio,
        verdict,
        explanation,
    }
}

/// Capacity figures of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityReport {
    pub run: String,
    pub label: Option<String>,
    pub system: Option<String>,
    /// Peak, sustained and whole-run throughput; `None` when the run has no load.
    pub throughput: Option<Throughput>,
    /// Which RPS the estimate uses.
    pub basis: RpsBasis,
    /// `None` when the run has no usable RPS.
    pub estimate: Option<CapacityEstimate>,
    pub efficiency: Option<CapacityEfficiency>,
    pub littles_law: Option<LittleCheck>,
    /// Throughput and latency against concurrency, when the run ramped its load.
    pub saturation: Option<Saturation>,
    /// The settings used (after layering), for printing beside the figures.
    pub settings: Settings,
    /// Caveats: fall-backs, failures counted as throughput, short windows.
    pub notes: Vec<String>,
}

/// Capacity figures of a run. Fails when a given window selects no interval or a setting is out
/// of range.
pub fn run_report(
    run: &RunSummary,
    settings: &Settings,
    label: Option<String>,
    system: Option<String>,
) -> Result<CapacityReport, String> {
    settings.validate()?;
    let basis = settings.basis.unwrap_or_default();
    let mut report = CapacityReport {
        run: run.name.clone(),
        label,
        system,
        throughput: None,
        basis,
        estimate: None,
        efficiency: None,
        littles_law: None,
        saturation: None,
        settings: settings.clone(),
        notes: Vec::new(),
    };
    let Some(load) = &run.load else {
        report.notes.push("no load data: nothing to project".into());
        return Ok(report);
    };
    let throughput = steady::throughput(load, settings.window.as_ref())
        .map_err(|e| format!("run {}: {e}", run.name))?;
    let (rps, basis_text) = chosen_rps(&throughput, basis, &mut report.notes);
    report.estimate = rps
        .filter(|r| r.is_finite() && *r > 0.0)
        .map(|r| CapacityEstimate::new(r, basis_text, settings));
    if report.estimate.is_none() {
        report
            .notes
            .push("no positive throughput: no projections".into());
    }
    if let (Some(est), Some(res)) = (&report.estimate, &run.resources) {
        report.efficiency = Some(efficiency(load, res, est.rps));
    }
    report.littles_law = little_for_run(load, &throughput, settings.concurrency);
    report.saturation = load.series.as_ref().and_then(knee::saturation);
    if settings.window.is_some() && load.series.is_none() {
        report
            .notes
            .push("the given window was not applied: the run has no per-second series".into());
    }
    add_caveats(load, &throughput, &mut report.notes);
    report.throughput = Some(throughput);
    Ok(report)
}

/// The RPS for projections and a sentence saying which it is.
fn chosen_rps(t: &Throughput, basis: RpsBasis, notes: &mut Vec<String>) -> (Option<f64>, String) {
    let whole_run = || (t.mean_rps, format!("whole-run RPS ({})", t.mean_rps_method));
    match basis {
        RpsBasis::Mean => whole_run(),
        RpsBasis::Sustained => match (&t.sustained_rps, &t.window) {
            (Some(r), Some(w)) => (
                Some(*r),
                format!(
                    "sustained RPS over the {} steady window {}–{} s ({} requests in {} intervals)",
                    match w.source {
                        steady::WindowSource::Detected => "detected",
                        steady::WindowSource::Given => "given",
                    },
                    trim_float(w.start_s),
                    trim_float(w.end_s),
                    w.requests,
                    w.intervals,
                ),
            ),
            _ => {
                let (r, text) = whole_run();
                (
                    r,
                    format!("{text}; no per-second series, so no steady-state detection was possible"),
                )
            }
        },
        RpsBasis::Peak => match (t.peak_rps, t.peak_at_s) {
            (Some(r), Some(at)) => (
                Some(r),
                format!(
                    "peak RPS: the busiest second (at {} s), an upper bound rather than a rate to plan with",
                    trim_float(at)
                ),
            ),
            _ => {
                let (r, text) = whole_run();
                notes.push(format!("no per-second series, so no peak: projections use the {text}"));
                (r, text)
            }
        },
    }
}

fn little_for_run(
    load: &LoadSummary,
    t: &Throughput,
    configured: Option<u32>,
) -> Option<LittleCheck> {
    let window_threads = t.window.as_ref().and_then(|w| w.threads_max);
    let (concurrency, source) = match (configured, window_threads, load.max_threads) {
        (Some(c), _, _) => (c, "configured".to_string()),
        (None, Some(c), _) => (
            c,
            "most active JMeter threads in the steady window".to_string(),
        ),
        (None, None, Some(c)) => (c, "most active JMeter threads in the run".to_string()),
        _ => return None,
    };
    let window = t.window.as_ref();
    let (rps, latency, figures) = match (t.sustained_rps, window.and_then(|w| w.latency_mean_ms)) {
        (Some(r), Some(w)) => (r, w, "sustained RPS and mean latency of the steady window"),
        _ => (
            t.mean_rps?,
            load.latency_ms.mean?,
            "whole-run RPS and mean latency",
        ),
    };
    (concurrency > 0 && rps > 0.0 && latency > 0.0)
        .then(|| little_check(concurrency, source, rps, latency, figures.to_string()))
}

fn add_caveats(load: &LoadSummary, t: &Throughput, notes: &mut Vec<String>) {
    if let (Some(failures), Some(requests)) = (load.failures, load.requests) {
        if failures > 0 && requests > 0 {
            notes.push(format!(
                "{:.2}% of requests failed; throughput counts every request, failed or not",
                failures as f64 / requests as f64 * 100.0
            ));
        }
    }
    if let Some(w) = &t.window {
        if w.intervals < 3 {
            notes.push(format!(
                "the steady window has only {} interval(s): the sustained figure is fragile",
                w.intervals
            ));
        }
        if let Some(d) = t.drift.filter(|d| d.abs() > DRIFT_NOTE) {
            notes.push(format!(
                "throughput {} {:.0}% from the first third of the window to the last: the load \
                 may not have reached a steady state",
                if d > 0.0 { "rose" } else { "fell" },
                d.abs() * 100.0
            ));
        }
        if let (Some(lo), Some(hi)) = (w.threads_min, w.threads_max) {
            if lo != hi {
                notes.push(format!(
                    "the load was ramped inside the window ({lo} to {hi} threads): see saturation"
                ));
            }
        }
    }
}

/// A number without a trailing `.0`: `10`, `12.5`.
fn trim_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// How one system scales across runs at different concurrencies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemReport {
    pub name: String,
    pub label: Option<String>,
    pub runs: Vec<String>,
    /// The Universal Scalability Law over the system's runs that state a concurrency (their
    /// projection RPS against concurrency); `None` when none does.
    pub scaling: Option<UslReport>,
}

/// Capacity figures of every run and scaling of every system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityAnalysis {
    pub runs: Vec<CapacityReport>,
    pub systems: Vec<SystemReport>,
}

/// Capacity figures of every run in a summary, with settings layered: `overrides` (the command
/// line) over the project file's run, system and `[capacity]` sections.
pub fn analyze(
    summary: &Summary,
    config: Option<&Config>,
    overrides: &Settings,
) -> Result<CapacityAnalysis, String> {
    let empty = Config::default();
    let config = config.unwrap_or(&empty);
    let runs = summary
        .runs
        .iter()
        .map(|run| {
            let settings = overrides.or(&config.settings_for(&run.name));
            let label = config.runs.get(&run.name).and_then(|r| r.label.clone());
            run_report(run, &settings, label, config.system_of(&run.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let systems = config
        .systems
        .iter()
        .map(|(name, sys)| system_report(name, sys.label.clone(), &sys.runs, &runs))
        .collect();
    Ok(CapacityAnalysis { runs, systems })
}

fn system_report(
    name: &str,
    label: Option<String>,
    members: &[String],
    runs: &[CapacityReport],
) -> SystemReport {
    let points: Vec<UslPoint> = runs
        .iter()
        .filter(|r| members.contains(&r.run))
        .filter_map(|r| {
            Some(UslPoint {
                concurrency: r.settings.concurrency? as f64,
                throughput: r.estimate.as_ref()?.rps,
            })
        })
        .collect();
    SystemReport {
        name: name.to_string(),
        label,
        runs: members.to_vec(),
        scaling: (!points.is_empty()).then(|| usl::analyze(points)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::default()
    }

    #[test]
    fn the_claims_api_story() {
        // 300 claims/s: 300 × 86,400 = 25,920,000 a day ("just under 26M");
        // 25,920,000 × 365 = 9,460,800,000 a year ("around 9.5B");
        // 9,460,800,000 / 325,110,000 = 29.10 per US resident ("about 29").
        let s = Settings {
            population: Some(325_110_000.0),
            ..settings()
        };
        let e = CapacityEstimate::new(300.0, "given".into(), &s);
        assert_eq!(e.per_second, 300.0);
        assert_eq!(e.per_minute, 18_000.0);
        assert_eq!(e.per_hour, 1_080_000.0);
        assert_eq!(e.per_day, 25_920_000.0);
        assert_eq!(e.per_month, 777_600_000.0);
        assert_eq!(e.per_year, 9_460_800_000.0);
        assert!((e.per_capita_per_year.unwrap() - 29.100_3).abs() < 1e-4);
        assert!((e.per_capita_per_day.unwrap() - 0.079_726_2).abs() < 1e-6);
        assert!(e.target.is_none() && e.cost.is_none());
    }

    #[test]
    fn instances_for_a_target_round_up() {
        // 2,000 req/s at 70% of 495.3 req/s per instance: 2000 / 346.71 = 5.77 -> 6 instances.
        let s = Settings {
            target_rps: Some(2000.0),
            ..settings()
        };
        let t = CapacityEstimate::new(495.3, "x".into(), &s).target.unwrap();
        assert_eq!(t.headroom, 0.70);
        assert!((t.planned_rps_per_instance - 346.71).abs() < 1e-9);
        assert_eq!(t.instances_needed, 6);
        // 2000 / (6 × 495.3) = 0.67299
        assert!((t.utilisation_at_target - 0.672_993).abs() < 1e-6);
    }

    #[test]
    fn exact_multiples_do_not_round_up_an_extra_instance() {
        // 2,000 req/s at 80% of 500 req/s per instance is exactly 5 instances (0.8 × 500 is
        // 400.00000000000006 in floating point).
        let s = Settings {
            target_rps: Some(2000.0),
            headroom: Some(0.8),
            ..settings()
        };
        assert_eq!(
            CapacityEstimate::new(500.0, "x".into(), &s)
                .target
                .unwrap()
                .instances_needed,
            5
        );
        // Two tested instances at 500 req/s in total: 250 each, 0.7 × 250 = 175, 2000 / 175 = 11.43.
        let s = Settings {
            target_rps: Some(2000.0),
            instances: Some(2),
            ..settings()
        };
        assert_eq!(
            CapacityEstimate::new(500.0, "x".into(), &s)
                .target
                .unwrap()
                .instances_needed,
            12
        );
    }

    #[test]
    fn cost_per_million_requests() {
        // recipeyak async Python: 495.303 req/s on one $28/month server. A 30-day month holds
        // 495.303 × 2,592,000 = 1,283,825,376 requests, so $28 / 1,283.825376 = $0.0218098 per million.
        let s = Settings {
            price_per_instance_month: Some(28.0),
            target_rps: Some(2000.0),
            ..settings()
        };
        let c = CapacityEstimate::new(495.303, "x".into(), &s).cost.unwrap();
        assert_eq!(c.monthly_cost, 28.0);
        assert_eq!(c.currency, "USD");
        assert!((c.cost_per_million_requests - 0.021_809_8).abs() < 1e-7);
        // 6 instances (2000 / 346.71 = 5.77) × $28 = $168 for 2000 × 2,592,000 = 5,184 million.
        assert_eq!(c.monthly_cost_at_target, Some(168.0));
        assert!((c.cost_per_million_at_target.unwrap() - 168.0 / 5184.0).abs() < 1e-12);
    }

    #[test]
    fn settings_are_validated_by_name() {
        let bad = |s: Settings, key: &str| {
            let err = s.validate().unwrap_err();
            assert!(err.starts_with(key), "{err}");
        };
        bad(
            Settings {
                headroom: Some(1.5),
                ..settings()
            },
            "headroom",
        );
        bad(
            Settings {
                headroom: Some(0.0),
                ..settings()
            },
            "headroom",
        );
        bad(
            Settings {
                population: Some(-3.0),
                ..settings()
            },
            "population",
        );
        bad(
            Settings {
                target_rps: Some(f64::NAN),
                ..settings()
            },
            "target_rps",
        );
        bad(
            Settings {
                instances: Some(0),
                ..settings()
            },
            "instances",
        );
        bad(
            Settings {
                price_per_instance_month: Some(-1.0),
                ..settings()
            },
            "price_per_instance_month",
        );
        assert!(Settings {
            headroom: Some(1.0),
            ..settings()
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn layering_prefers_the_more_specific_setting() {
        let run = Settings {
            concurrency: Some(50),
            headroom: Some(0.5),
            ..settings()
        };
        let global = Settings {
            headroom: Some(0.7),
            population: Some(10.0),
            ..settings()
        };
        let s = run.or(&global);
        assert_eq!(
            (s.concurrency, s.headroom, s.population),
            (Some(50), Some(0.5), Some(10.0))
        );
    }

    #[test]
    fn littles_law_verdicts() {
        // recipeyak async Python: 495.303 req/s × 100.9 ms = 49.98 in flight with -c 50.
        let c = little_check(50, "configured".into(), 495.303, 100.9, String::new());
        assert!((c.implied_concurrency - 49.976).abs() < 1e-3);
        assert_eq!(c.verdict, LittleVerdict::Consistent);
        // 100 req/s × 2 s = 200 in flight with 50 clients: impossible.
        let c = little_check(50, "configured".into(), 100.0, 2000.0, String::new());
        assert_eq!(
            (c.implied_concurrency, c.verdict),
            (200.0, LittleVerdict::Inconsistent)
        );
        // 10 req/s × 100 ms = 1 busy of 50: think time or similar.
        let c = little_check(50, "configured".into(), 10.0, 100.0, String::new());
        assert_eq!(c.verdict, LittleVerdict::ClientsIdle);
    }

    #[test]
    fn basis_names_round_trip() {
        for b in [RpsBasis::Sustained, RpsBasis::Peak, RpsBasis::Mean] {
            assert_eq!(b.to_string().parse::<RpsBasis>(), Ok(b));
        }
        assert!("best".parse::<RpsBasis>().is_err());
    }
}
