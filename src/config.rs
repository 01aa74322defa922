//! The project file `benchreport.toml`: names runs, groups them into systems (whose runs at
//! different concurrencies form a scaling series), and holds population, target demand, headroom
//! and prices. Unknown keys and wrong types are errors that name the key and its line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::capacity::steady::WindowSpec;
use crate::capacity::{RpsBasis, Settings};
use crate::error::Error;

/// The project file's name (in the input folder).
pub const FILE_NAME: &str = crate::runs::CONFIG_FILE;

/// A parsed, validated `benchreport.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Settings for every run.
    #[serde(default)]
    pub capacity: CapacityConfig,
    /// Systems by name.
    #[serde(default)]
    pub systems: BTreeMap<String, SystemConfig>,
    /// Runs by name (as benchreport names them: the folder path relative to the input folder).
    #[serde(default)]
    pub runs: BTreeMap<String, RunConfig>,
    /// Gates, as on the command line (`thresholds = ["p95<500ms", "rps>=-10%"]`): absolute ones
    /// apply to `summary`, `build` and `compare`; relative ones to `compare` only.
    #[serde(default)]
    pub thresholds: Vec<crate::compare::threshold::Threshold>,
    /// Where the file was read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// `[capacity]`: defaults for every run.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityConfig {
    pub basis: Option<RpsBasis>,
    pub population: Option<f64>,
    pub target_rps: Option<f64>,
    pub headroom: Option<f64>,
    pub price_per_instance_month: Option<f64>,
    pub instances: Option<u32>,
    pub currency: Option<String>,
}

/// `[systems.NAME]`: one implementation or deployment, tested in one or more runs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    pub label: Option<String>,
    pub runs: Vec<String>,
    pub price_per_instance_month: Option<f64>,
    pub instances: Option<u32>,
}

/// `[runs.NAME]`: one run.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub label: Option<String>,
    /// Clients the load test used (oha/wrk `-c`, JMeter threads).
    pub concurrency: Option<u32>,
    /// Steady window `"START..END"` in seconds, instead of detecting it.
    pub window: Option<WindowSpec>,
    pub basis: Option<RpsBasis>,
    pub price_per_instance_month: Option<f64>,
    pub instances: Option<u32>,
}

/// The project file for inputs under `root`: `explicit` when given (it must exist), else
/// `root/benchreport.toml` when `root` is a folder holding one, else `None`.
pub fn load_config(root: &Path, explicit: Option<&Path>) -> Result<Option<Config>, Error> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let candidate = root.join(FILE_NAME);
            if !root.is_dir() || !candidate.is_file() {
                return Ok(None);
            }
            candidate
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::Usage(format!("{}: cannot read: {e}", path.display())))?;
    Config::parse(&text, &path).map(Some)
}

impl Config {
    /// Parses and validates a project file's text; errors start with `path:line:column:` where
    /// the position is known and name the key.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let mut config: Config = toml::from_str(text).map_err(|e| parse_error(text, path, &e))?;
        config
            .validate()
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Checks value ranges and that no run belongs to two systems.
    pub fn validate(&self) -> Result<(), String> {
        let at = |prefix: String| move |e: String| format!("{prefix}.{e}");
        self.capacity_settings()
            .validate()
            .map_err(at("capacity".into()))?;
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, sys) in &self.systems {
            let prefix = format!("systems.{}", toml_key(name));
            system_settings(sys)
                .validate()
                .map_err(at(prefix.clone()))?;
            if sys.runs.is_empty() {
                return Err(format!("{prefix}.runs: expected at least one run name"));
            }
            for run in &sys.runs {
                if let Some(other) = owner.insert(run, name) {
                    return Err(format!(
                        "{prefix}.runs: run {run:?} is already in system {other:?}; a run belongs \
                         to one system"
                    ));
                }
            }
        }
        for (name, run) in &self.runs {
            run_settings(run)
                .validate()
                .map_err(at(format!("runs.{}", toml_key(name))))?;
        }
        Ok(())
    }

    /// Fails, naming the key, when the file mentions a run that is not among `names`.
    pub fn check_run_names(&self, names: &[&str]) -> Result<(), Error> {
        let known = |n: &str| names.contains(&n);
        let unknown = self
            .runs
            .keys()
            .map(|n| (format!("runs.{}", toml_key(n)), n))
            .chain(self.systems.iter().flat_map(|(s, sys)| {
                sys.runs
                    .iter()
                    .map(move |n| (format!("systems.{}.runs", toml_key(s)), n))
            }))
            .find(|(_, n)| !known(n));
        match unknown {
            None => Ok(()),
            Some((key, name)) => Err(Error::Usage(format!(
                "{}: {key}: no run named {name:?} among the inputs (runs: {})",
                self.path
                    .as_deref()
                    .unwrap_or(Path::new(FILE_NAME))
                    .display(),
                names.join(", ")
            ))),
        }
    }

    /// The system a run belongs to.
    pub fn system_of(&self, run: &str) -> Option<String> {
        self.systems
            .iter()
            .find(|(_, s)| s.runs.iter().any(|r| r == run))
            .map(|(name, _)| name.clone())
    }

    /// A run's settings: its own section over its system's over `[capacity]`.
    pub fn settings_for(&self, run: &str) -> Settings {
        let own = self.runs.get(run).map(run_settings).unwrap_or_default();
        let system = self
            .system_of(run)
            .and_then(|s| self.systems.get(&s))
            .map(system_settings)
            .unwrap_or_default();
        own.or(&system).or(&self.capacity_settings())
    }

    fn capacity_settings(&self) -> Settings {
        let c = &self.capacity;
        Settings {
            basis: c.basis,
            population: c.population,
            target_rps: c.target_rps,
            headroom: c.headroom,
            price_per_instance_month: c.price_per_instance_month,
            instances: c.instances,
            currency: c.currency.clone(),
            ..Settings::default()
        }
    }
}

fn system_settings(s: &SystemConfig) -> Settings {
    Settings {
        price_per_instance_month: s.price_per_instance_month,
        instances: s.instances,
        ..Settings::default()
    }
}

fn run_settings(r: &RunConfig) -> Settings {
    Settings {
        basis: r.basis,
        window: r.window,
        concurrency: r.concurrency,
        price_per_instance_month: r.price_per_instance_month,
        instances: r.instances,
        ..Settings::default()
    }
}

/// `path:line:column: key: message`. The toml crate gives the position when parsing text and
/// the key path when deserialising a parsed table, so both are asked.
fn parse_error(text: &str, path: &Path, err: &toml::de::Error) -> Error {
    let position = err
        .span()
        .map(|span| {
            let (line, column) = line_column(text, span.start);
            format!(":{line}:{column}")
        })
        .unwrap_or_default();
    let key = toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|table| table.try_into::<Config>().err())
        .and_then(|e| {
            e.to_string()
                .lines()
                .find_map(|l| Some(l.strip_prefix("in `")?.strip_suffix('`')?.to_string()))
        })
        .map(|k| format!("{k}: "))
        .unwrap_or_default();
    Error::Usage(format!(
        "{}{position}: {key}{}",
        path.display(),
        err.message()
    ))
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A name as a TOML key: bare when it can be, else a quoted string.
pub fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        name.to_string()
    } else {
        toml_string(name)
    }
}

/// A TOML basic string holding `text`.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A commented example project file. Settings are commented out (`#key = value`, no space after
/// `#`), so the file as written changes nothing; `run_names` (the runs found in the folder, if
/// any) are listed and the first one is used in the example run section.
pub fn example(run_names: &[String]) -> String {
    let first = run_names.first().map_or("async-python-c50", String::as_str);
    let found = if run_names.is_empty() {
        "# No runs were found in this folder when this file was written.\n".to_string()
    } else {
        let list: Vec<String> = run_names
            .iter()
            .map(|n| format!("#   {}\n", toml_key(n)))
            .collect();
        format!(
            "# Runs found in this folder when this file was written:\n{}",
            list.concat()
        )
    };
    EXAMPLE
        .replace("{found}", &found)
        .replace("{run_key}", &toml_key(first))
        .replace("{run_string}", &toml_string(first))
}

const EXAMPLE: &str = r#"# benchreport.toml: the project file of a folder of load-test runs.
#
# benchreport reads it from the folder given as input (or from `--config PATH`). Every setting is
# optional: remove the `#` in front of a line to use it. Unknown keys and wrong types are errors,
# so a typo cannot pass silently. Command-line options win over this file; [runs.NAME] wins over
# [systems.NAME], which wins over [capacity].

# Settings for every run.
[capacity]
# Which throughput the projections use: "sustained" (over the steady window, the default),
# "mean" (the whole run) or "peak" (the busiest second: an upper bound, not a rate to plan with).
#basis = "sustained"
# People served, for per-capita figures (here the US population in 2016).
#population = 325110000
# The demand to plan for, in requests per second at peak.
#target_rps = 2000
# The fraction of measured capacity each instance is planned to carry (default 0.70).
#headroom = 0.7
# The price of one instance (server, VM, container) per month, how many instances the tested
# setup had, and the currency of the price.
#price_per_instance_month = 28.0
#instances = 1
#currency = "USD"

# A system groups the runs of one implementation or deployment. Its runs that state their
# concurrency form a scaling series, fitted with the Universal Scalability Law.
#[systems.async-python]
#label = "async Python (starlette + asyncpg)"
#runs = [{run_string}]
#price_per_instance_month = 28.0
#instances = 1

# One section per run, named as benchreport names runs: the folder's path relative to this file.
{found}#[runs.{run_key}]
#label = "async Python, 50 connections"
# Clients the load test used (oha/wrk -c, JMeter threads): checked with Little's law and used
# for scaling fits.
#concurrency = 50
# Seconds from the start of the run to use as the steady window instead of detecting it.
#window = "10..55"
# Any [capacity] setting except population, target_rps, headroom and currency may be set per run.
#basis = "sustained"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("benchreport.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn full_file() {
        let c = parse(
            r#"
[capacity]
population = 325110000
target_rps = 2000
headroom = 0.6
price_per_instance_month = 28
currency = "EUR"

[systems.py]
label = "Python"
runs = ["c10", "c50"]
instances = 2

[runs.c50]
label = "50 connections"
concurrency = 50
window = "5..55"
basis = "mean"
"#,
        )
        .unwrap();
        let s = c.settings_for("c50");
        assert_eq!(s.population, Some(325_110_000.0));
        assert_eq!(s.price_per_instance_month, Some(28.0));
        assert_eq!(
            (s.instances, s.concurrency, s.headroom),
            (Some(2), Some(50), Some(0.6))
        );
        assert_eq!(s.basis, Some(RpsBasis::Mean));
        assert_eq!(s.window.unwrap().to_string(), "5..55");
        assert_eq!(c.system_of("c10").as_deref(), Some("py"));
        assert_eq!(c.settings_for("c10").concurrency, None);
        assert_eq!(c.settings_for("other").instances, None);
        assert!(c.check_run_names(&["c10", "c50"]).is_ok());
        let err = c.check_run_names(&["c10"]).unwrap_err().to_string();
        assert!(err.contains("runs.c50: no run named \"c50\""), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors_naming_key_and_line() {
        let err = parse("[capacity]\npopulaton = 3\n").unwrap_err();
        assert_eq!(
            err,
            "benchreport.toml:2:1: capacity: unknown field `populaton`, expected one of `basis`, \
             `population`, `target_rps`, `headroom`, `price_per_instance_month`, `instances`, \
             `currency`"
        );
        let err = parse("title = \"x\"\n").unwrap_err();
        assert!(
            err.starts_with("benchreport.toml:1:1: unknown field `title`"),
            "{err}"
        );
        let err = parse("[runs.\"recipeyak/sync-python\"]\nconcurency = 50\n").unwrap_err();
        assert!(
            err.starts_with(
                "benchreport.toml:2:1: runs.recipeyak/sync-python: unknown field `concurency`"
            ),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_are_errors_naming_key_and_line() {
        let err = parse("[capacity]\ninstances = \"two\"\n").unwrap_err();
        assert_eq!(
            err,
            "benchreport.toml:2:13: capacity.instances: invalid type: string \"two\", expected u32"
        );
        let err = parse("[runs.a]\n\nconcurrency = 2.5\n").unwrap_err();
        assert!(
            err.starts_with("benchreport.toml:3:15: runs.a.concurrency: invalid type"),
            "{err}"
        );
        let err = parse("[runs.a]\nwindow = \"later\"\n").unwrap_err();
        assert!(
            err.starts_with("benchreport.toml:2:10: runs.a.window: expected START..END"),
            "{err}"
        );
        let err = parse("[capacity]\nbasis = \"best\"\n").unwrap_err();
        assert!(
            err.contains("capacity.basis: unknown variant `best`"),
            "{err}"
        );
        let err = parse("[systems.s]\nruns = \"a\"\n").unwrap_err();
        assert!(err.contains("systems.s.runs: invalid type"), "{err}");
    }

    #[test]
    fn syntax_errors_give_the_position() {
        let err = parse("[capacity\n").unwrap_err();
        assert!(err.starts_with("benchreport.toml:1:"), "{err}");
    }

    #[test]
    fn out_of_range_values_name_the_key() {
        let err = parse("[capacity]\nheadroom = 1.5\n").unwrap_err();
        assert!(
            err.starts_with("benchreport.toml: capacity.headroom: expected a fraction"),
            "{err}"
        );
        let err = parse("[runs.\"a b\"]\ninstances = 0\n").unwrap_err();
        assert!(
            err.starts_with("benchreport.toml: runs.\"a b\".instances: expected at least 1"),
            "{err}"
        );
        let err = parse("[systems.x]\nruns = [\"a\"]\n[systems.y]\nruns = [\"a\"]\n").unwrap_err();
        assert!(
            err.contains("systems.y.runs: run \"a\" is already in system \"x\""),
            "{err}"
        );
        let err = parse("[systems.x]\nruns = []\n").unwrap_err();
        assert!(
            err.contains("systems.x.runs: expected at least one run name"),
            "{err}"
        );
    }

    #[test]
    fn example_parses_as_written_and_with_every_setting_enabled() {
        let names = vec!["a".to_string(), "recipeyak/async-python".to_string()];
        for text in [example(&[]), example(&names)] {
            assert_eq!(
                parse(&text).unwrap(),
                Config {
                    path: Some("benchreport.toml".into()),
                    ..Config::default()
                }
            );
            // Enable every commented-out setting: lines starting with `#` and then a key or a table.
            let enabled: String = text
                .lines()
                .map(|l| match l.strip_prefix('#') {
                    Some(rest)
                        if rest.starts_with(|c: char| c.is_ascii_lowercase() || c == '[') =>
                    {
                        rest
                    }
                    _ => l,
                })
                .map(|l| format!("{l}\n"))
                .collect();
            let c = parse(&enabled).unwrap_or_else(|e| panic!("{e}\n{enabled}"));
            assert_eq!(c.capacity.population, Some(325_110_000.0));
            assert_eq!(c.systems.len(), 1);
            assert_eq!(c.runs.len(), 1);
        }
        assert!(example(&names).contains("[runs.a]"));
    }

    #[test]
    fn keys_are_quoted_when_needed() {
        assert_eq!(toml_key("async-python_2"), "async-python_2");
        assert_eq!(toml_key("recipeyak/sync"), "\"recipeyak/sync\"");
        assert_eq!(toml_key("a\"b\\c\u{1}"), "\"a\\\"b\\\\c\\u0001\"");
        assert_eq!(toml_key(""), "\"\"");
    }

    #[test]
    fn loading() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_config(dir.path(), None).unwrap(), None);
        std::fs::write(dir.path().join(FILE_NAME), "[capacity]\ninstances = 3\n").unwrap();
        let c = load_config(dir.path(), None).unwrap().unwrap();
        assert_eq!(c.capacity.instances, Some(3));
        let missing = dir.path().join("nope.toml");
        let err = load_config(dir.path(), Some(&missing)).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("nope.toml: cannot read"));
    }
}
