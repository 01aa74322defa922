//! Thresholds (`--threshold`, and later `benchreport.toml`): a metric, a comparison and a bound.
//!
//! Grammar: `METRIC OP VALUE`, spaces allowed between the parts.
//! - `METRIC`: `rps`, `success_rate`, `error_rate`, `mean`, `p50`, `p75`, `p90`, `p95`, `p99`,
//!   `p99.9`, `max` (latency), `cpu_peak`, `cpu_mean`, `mem_peak`, `mem_mean`.
//! - `OP`: `<`, `<=`, `>`, `>=`.
//! - `VALUE` with a sign (`+15%`, `-10%`) is a **relative** bound on the change from the baseline
//!   (`compare` only): `p99<=+15%` holds when the candidate's p99 is at most 15% above the
//!   baseline's. For `success_rate` and `error_rate` the change is in percentage points
//!   (`error_rate<=+0.5%`, also written `+0.5pp`).
//! - `VALUE` without a sign is an **absolute** bound (an SLO) on the candidate, or on every run for
//!   `summary` and `build`: latency in `ms` (the default), `s`, `us` or `ns`; rates and CPU in `%`
//!   (CPU 100% = one core); memory in `MB`/`MiB`, `GB`/`GiB` or `KB`/`KiB` (all binary, like
//!   psrecord); RPS as a plain number (or `/s`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::metric::{Metric, Unit, ALL_METRICS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    /// Whether `value OP bound` holds. Values within a relative 1e-9 of the bound count as equal
    /// to it, so decimal bounds meet computed fractions (`99.9%` is 0.999 = 999/1000, although
    /// 99.9 / 100 and 999 / 1000 differ in their last binary digit).
    pub fn holds(self, value: f64, bound: f64) -> bool {
        let scale = value.abs().max(bound.abs());
        let equal = (value - bound).abs() <= 1e-9 * scale;
        match self {
            Op::Lt => value < bound && !equal,
            Op::Le => value < bound || equal,
            Op::Gt => value > bound && !equal,
            Op::Ge => value > bound || equal,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// What a threshold bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// The value itself, in the metric's unit (ms, fraction, CPU %, MiB, req/s).
    Absolute(f64),
    /// The change from the baseline: a fraction of the baseline (0.15 = +15%), or for rates a
    /// difference of fractions (0.005 = +0.5 percentage point).
    Change(f64),
}

/// A parsed threshold. It prints (and serialises) as its expression without spaces.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub metric: Metric,
    pub op: Op,
    pub bound: Bound,
    expression: String,
}

impl Threshold {
    /// The expression as written, without spaces: `p99<=+15%`.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn is_relative(&self) -> bool {
        matches!(self.bound, Bound::Change(_))
    }

    /// The bound's number, in the metric's unit (absolute) or as a fraction (change).
    pub fn bound_value(&self) -> f64 {
        match self.bound {
            Bound::Absolute(v) | Bound::Change(v) => v,
        }
    }

    /// Whether `observed` (the value for an absolute threshold, the change for a relative one)
    /// is within the bound.
    pub fn holds(&self, observed: f64) -> bool {
        self.op.holds(observed, self.bound_value())
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.expression)
    }
}

/// Reads an expression string (for `benchreport.toml`: `thresholds = ["p95<500ms"]`).
impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_threshold(&text).map_err(serde::de::Error::custom)
    }
}

impl FromStr for Threshold {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_threshold(s)
    }
}

const EXAMPLES: &str = "e.g. 'p95<500ms', 'error_rate<1%', 'rps>=-10%', 'p99<=+15%'";

/// Parses `METRIC OP VALUE` (see the module documentation). The error says what was expected.
pub fn parse_threshold(text: &str) -> Result<Threshold, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(op_at) = compact.find(['<', '>']) else {
        return Err(format!(
            "threshold '{}': expected METRIC OP VALUE with OP one of <, <=, >, >= ({EXAMPLES})",
            text.trim()
        ));
    };
    let (name, rest) = compact.split_at(op_at);
    let (op, value) = match rest.as_bytes() {
        [b'<', b'=', ..] => (Op::Le, &rest[2..]),
        [b'>', b'=', ..] => (Op::Ge, &rest[2..]),
        [b'<', ..] => (Op::Lt, &rest[1..]),
        _ => (Op::Gt, &rest[1..]),
    };
    let metric = Metric::from_key(&name.to_ascii_lowercase()).ok_or_else(|| {
        let known: Vec<&str> = ALL_METRICS.iter().map(|m| m.key()).collect();
        if name.is_empty() {
            format!(
                "threshold '{compact}': expected a metric before '{}'",
                op.symbol()
            )
        } else {
            format!(
                "threshold '{compact}': unknown metric '{name}'; expected one of {}",
                known.join(", ")
            )
        }
    })?;
    let bound = parse_bound(metric, value).map_err(|e| format!("threshold '{compact}': {e}"))?;
    Ok(Threshold {
        metric,
        op,
        bound,
        expression: compact,
    })
}

/// `+15%`, `-0.5pp`, `500ms`, `99.9%`, `2GiB`, `1200`.
fn parse_bound(metric: Metric, value: &str) -> Result<Bound, String> {
    if value.is_empty() {
        return Err("expected a value after the comparison".into());
    }
    let signed = value.starts_with(['+', '-']);
    let number_end = value
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && signed)))
        .map_or(value.len(), |(i, _)| i);
    let (number, unit) = value.split_at(number_end);
    let number: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("expected a number, found '{value}'"))?;
    let unit = unit.to_ascii_lowercase();
    if signed {
        return parse_change(metric, number, &unit);
    }
    parse_absolute(metric, number, &unit).map(Bound::Absolute)
}

fn parse_change(metric: Metric, number: f64, unit: &str) -> Result<Bound, String> {
    let points_ok = metric.changes_in_points() && unit == "pp";
    if unit != "%" && !points_ok {
        let expected = if metric.changes_in_points() {
            "a change in percentage points like '+0.5%' or '+0.5pp'"
        } else {
            "a relative change in percent like '+15%' or '-10%'"
        };
        return Err(format!(
            "a signed value is a change from the baseline: expected {expected}, found unit '{unit}'"
        ));
    }
    Ok(Bound::Change(number / 100.0))
}

fn parse_absolute(metric: Metric, number: f64, unit: &str) -> Result<f64, String> {
    let factor = match (metric.unit(), unit) {
        (Unit::Milliseconds, "" | "ms") => Some(1.0),
        (Unit::Milliseconds, "s") => Some(1000.0),
        (Unit::Milliseconds, "us" | "µs") => Some(1e-3),
        (Unit::Milliseconds, "ns") => Some(1e-6),
        (Unit::Fraction, "%") => Some(0.01),
        (Unit::CpuPercent, "%") => Some(1.0),
        (Unit::Mebibytes, "mb" | "mib") => Some(1.0),
        (Unit::Mebibytes, "gb" | "gib") => Some(1024.0),
        (Unit::Mebibytes, "kb" | "kib") => Some(1.0 / 1024.0),
        (Unit::PerSecond, "" | "/s" | "rps") => Some(1.0),
        _ => None,
    };
    factor.map(|f| number * f).ok_or_else(|| {
        let expected = match metric.unit() {
            Unit::Milliseconds => {
                "a latency like '500ms', '0.5s' or '800us' (or a signed change like '+15%')"
            }
            Unit::Fraction => "a percentage like '99.9%' (or a change like '-0.5pp')",
            Unit::CpuPercent => "a CPU percentage like '80%' (100% = one core)",
            Unit::Mebibytes => "a memory size like '512MB' or '2GiB'",
            Unit::PerSecond => "a number of requests per second like '1000' (or '-10%')",
        };
        format!(
            "expected {expected} for {}, found unit '{unit}'",
            metric.key()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Threshold {
        parse_threshold(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn relative_thresholds() {
        let t = parse("rps>=-10%");
        assert_eq!(
            (t.metric, t.op, t.bound),
            (Metric::Rps, Op::Ge, Bound::Change(-0.1))
        );
        assert!(t.is_relative());
        assert!(t.holds(-0.05) && t.holds(-0.1) && !t.holds(-0.11));
        let t = parse(" p99 <= +15% ");
        assert_eq!(
            (t.metric, t.op, t.bound),
            (Metric::P99, Op::Le, Bound::Change(0.15))
        );
        assert_eq!(t.expression(), "p99<=+15%");
        assert_eq!(t.to_string(), "p99<=+15%");
        // Rates change in percentage points, written either way.
        assert_eq!(parse("error_rate<=+0.5%").bound, Bound::Change(0.005));
        assert_eq!(parse("success_rate>-0.5pp").bound, Bound::Change(-0.005));
        assert_eq!(parse("cpu_peak<+20%").bound, Bound::Change(0.2));
        assert_eq!(parse("mem_peak<=+0%").bound, Bound::Change(0.0));
    }

    #[test]
    fn absolute_thresholds_in_every_unit() {
        let abs = |text: &str| match parse(text).bound {
            Bound::Absolute(v) => v,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(abs("p95<500ms"), 500.0);
        assert_eq!(abs("p95<500"), 500.0);
        assert_eq!(abs("p99.9<1.5s"), 1500.0);
        assert_eq!(abs("p99_9<1.5S"), 1500.0);
        assert_eq!(abs("p50<800us"), 0.8);
        assert_eq!(abs("max<250000ns"), 0.25);
        assert_eq!(abs("mean<=20ms"), 20.0);
        assert!((abs("error_rate<1%") - 0.01).abs() < 1e-15);
        assert!((abs("success_rate>=99.9%") - 0.999).abs() < 1e-15);
        assert!(parse("success_rate>=99.9%").holds(999.0 / 1000.0));
        assert!(!parse("error_rate<0.1%").holds(1.0 / 1000.0));
        assert!(parse("error_rate<=0.1%").holds(1.0 / 1000.0));
        assert_eq!(abs("cpu_peak<=80%"), 80.0);
        assert_eq!(abs("cpu_mean<250%"), 250.0);
        assert_eq!(abs("mem_peak<512MB"), 512.0);
        assert_eq!(abs("mem_peak<512MiB"), 512.0);
        assert_eq!(abs("mem_mean<2GiB"), 2048.0);
        assert_eq!(abs("mem_peak<=1gb"), 1024.0);
        assert_eq!(abs("rps>=1000"), 1000.0);
        assert_eq!(abs("rps>1000/s"), 1000.0);
        let t = parse("p95 < 500 ms");
        assert_eq!((t.op, t.is_relative()), (Op::Lt, false));
        assert!(t.holds(499.9) && !t.holds(500.0));
        assert!(parse("p95>500ms").holds(500.1));
    }

    #[test]
    fn errors_say_what_was_expected() {
        let err = |text: &str| parse_threshold(text).unwrap_err();
        assert!(
            err("p95 500ms").contains("expected METRIC OP VALUE"),
            "{}",
            err("p95 500ms")
        );
        assert!(err("latency<5ms").contains("unknown metric 'latency'; expected one of rps,"));
        assert!(err("<5ms").contains("expected a metric before '<'"));
        assert!(err("p95<").contains("expected a value"));
        assert!(err("p95<fast").contains("expected a number, found 'fast'"));
        assert!(err("p95<1..2ms").contains("expected a number"));
        assert!(
            err("p95<15%").contains("a latency like '500ms'"),
            "{}",
            err("p95<15%")
        );
        assert!(err("p95<+15ms").contains("a relative change in percent"));
        assert!(err("error_rate<0.01").contains("a percentage like '99.9%'"));
        assert!(err("cpu_peak<=80").contains("a CPU percentage"));
        assert!(err("mem_peak<512").contains("a memory size"));
        assert!(err("rps>=10ms").contains("requests per second"));
        assert!(err("rps>=+10pp").contains("relative change in percent"));
    }

    #[test]
    fn thresholds_deserialise_from_strings() {
        let ts: Vec<Threshold> = serde_json::from_str(r#"["p95 < 500ms", "rps>=-10%"]"#).unwrap();
        assert_eq!(ts, [parse("p95<500ms"), parse("rps>=-10%")]);
        assert_eq!(
            serde_json::to_string(&ts).unwrap(),
            r#"["p95<500ms","rps>=-10%"]"#
        );
        let err = serde_json::from_str::<Threshold>(r#""p95<fast""#).unwrap_err();
        assert!(err.to_string().contains("expected a number"), "{err}");
    }

    #[test]
    fn every_metric_key_parses_back() {
        for m in ALL_METRICS {
            let t = parse(&format!("{}<=+1%", m.key()));
            assert_eq!(t.metric, m);
        }
    }
}
