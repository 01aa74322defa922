//! The static site of `benchreport build`: an index comparing runs, a page per run, every chart as
//! a standalone SVG, `summary.json` and `report.md`, assembled in memory as a [`Site`].

use askama::Template;
use sha2::{Digest, Sha256};

use super::capacity_view;
use super::charts::{self, Bar, BarChart, HistogramBar, PercentileCurve, Size, TimeSeries};
use super::format;
use super::html::{
    Cell, Figure, IndexBody, IndexPage, Page, RunBody, RunFragment, RunPage, SinglePage, Table,
};
use super::table::{best_rows, run_columns, Better, Column};
use crate::capacity::CapacityAnalysis;
use crate::error::Error;
use crate::history::{self, HistoryEntry};
use crate::output::Site;
use crate::stats::load::LoadSummary;
use crate::stats::{RunSummary, Summary, PERCENTILE_DEFINITION};

pub const CSS: &str = include_str!("../../assets/style.css");
pub const SCRIPT: &str = include_str!("../../assets/sort.js");
const CHART: Size = Size {
    width: 760,
    height: 380,
};
/// Rows shown in the status-code and error tables; the rest are summed in one row.
pub const TOP_N: usize = 10;

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The index page's title.
    pub title: Option<String>,
    /// One HTML file with every chart inlined, instead of a folder.
    pub single_file: bool,
    /// Earlier builds and this one, oldest first, for trend charts (empty: no trends).
    pub history: Vec<HistoryEntry>,
}

/// The name of the page in single-file mode.
pub const SINGLE_FILE: &str = "report.html";

/// Where charts go: files of the site, or data URIs inside the one page.
struct Charts<'a> {
    site: &'a mut Site,
    inline: bool,
}

impl Charts<'_> {
    /// Adds a chart and returns the figure that shows it (`root` leads from the page to the site root).
    fn add(&mut self, root: &str, file: &str, caption: &str, svg: String) -> Figure {
        let (src, href) = if self.inline {
            let uri = format!("data:image/svg+xml;base64,{}", base64(svg.as_bytes()));
            (uri.clone(), uri)
        } else {
            let path = format!("charts/{file}.svg");
            self.site.add(path.clone(), svg);
            (format!("{root}{path}"), format!("{root}{path}"))
        };
        Figure {
            src,
            href,
            alt: caption.to_string(),
            caption: caption.to_string(),
            width: CHART.width,
            height: CHART.height,
        }
    }
}

/// Renders the whole site: a folder of pages, or with `single_file` one page holding everything.
pub fn build_site(
    summary: &Summary,
    capacity: Option<&CapacityAnalysis>,
    options: &BuildOptions,
) -> Result<Site, Error> {
    let mut site = Site::default();
    let slugs = unique_slugs(&summary.runs);
    let run_link = |slug: &str| {
        if options.single_file {
            format!("#run-{slug}")
        } else {
            format!("runs/{slug}.html")
        }
    };
    let mut charts = Charts {
        site: &mut site,
        inline: options.single_file,
    };
    let mut index = index_body(summary, &slugs, &run_link, options, &mut charts)?;
    if options.history.len() > 1 {
        add_trends(&mut index, &options.history, &mut charts)?;
    }
    if let Some(analysis) = capacity {
        index.capacity = capacity_view::index_table(analysis);
        index.capacity_notes = capacity_view::assumptions(analysis);
        index
            .capacity_notes
            .extend(capacity_view::scaling_notes(analysis));
        index.charts.extend(scaling_charts(analysis, &mut charts)?);
    }
    let mut runs = Vec::new();
    for (run, slug) in summary.runs.iter().zip(&slugs) {
        let root = if options.single_file { "" } else { "../" };
        let mut body = run_body(run, slug, root, &mut charts)?;
        let report = capacity.and_then(|a| a.runs.iter().find(|r| r.run == run.name));
        if let Some(report) = report {
            (body.capacity, body.capacity_notes) = capacity_view::run_table(report);
            if let Some(sat) = &report.saturation {
                body.charts
                    .extend(saturation_charts(sat, slug, root, &mut charts)?);
            }
        }
        runs.push(body);
    }
    let title = index.title.clone();
    if options.single_file {
        let sections = runs
            .iter()
            .zip(&slugs)
            .map(|(run, slug)| Ok((format!("run-{slug}"), render(&RunFragment { run })?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let page = page(summary, &title, "", "");
        let single = SinglePage {
            page: &page,
            index: &index,
            sections,
        };
        site.add(SINGLE_FILE, render(&single)?);
        return Ok(site);
    }
    let index_page = page(summary, &title, "", "");
    site.add(
        "index.html",
        render(&IndexPage {
            page: &index_page,
            index: &index,
        })?,
    );
    for (run, slug) in runs.iter().zip(&slugs) {
        let run_page = page(summary, &run.name, "../", &run.name);
        site.add(
            format!("runs/{slug}.html"),
            render(&RunPage {
                page: &run_page,
                run,
            })?,
        );
    }
    site.add("summary.json", super::json::summary_json(summary));
    site.add("report.md", super::markdown::report(summary));
    if let Some(analysis) = capacity {
        let mut json = serde_json::to_string_pretty(analysis)
            .map_err(|e| Error::Usage(format!("internal error writing capacity.json: {e}")))?;
        json.push('\n');
        site.add("capacity.json", json);
    }
    Ok(site)
}

fn render(t: &impl Template) -> Result<String, Error> {
    t.render()
        .map_err(|e| Error::Usage(format!("internal error rendering a page: {e}")))
}

fn chart_error(e: charts::ChartError) -> Error {
    Error::Usage(format!("internal error drawing a chart: {e}"))
}

/// File-name-safe, unique names for runs: `recipeyak/sync-python` -> `recipeyak-sync-python`.
fn unique_slugs(runs: &[RunSummary]) -> Vec<String> {
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    unique_slugs_of_names(&names)
}

fn unique_slugs_of_names(names: &[&str]) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    names
        .iter()
        .map(|name| {
            let mut slug: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            slug = slug.trim_matches('-').to_string();
            while slug.contains("--") {
                slug = slug.replace("--", "-");
            }
            if slug.is_empty() {
                slug = "run".into();
            }
            let n = seen.entry(slug.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                format!("{slug}-{n}")
            } else {
                slug
            }
        })
        .collect()
}

fn page(summary: &Summary, title: &str, root: &str, crumb: &str) -> Page {
    Page {
        title: title.to_string(),
        root: root.to_string(),
        crumb: crumb.to_string(),
        csp: content_security_policy(),
        css: CSS,
        script: SCRIPT,
        generator: format!("{} {}", summary.generator.name, summary.generator.version),
        percentile_definition: PERCENTILE_DEFINITION,
    }
}

/// Only our own inline script (by hash) may run; nothing may be fetched from the network.
pub fn content_security_policy() -> String {
    let hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    format!(
        "default-src 'none'; img-src 'self' data: file:; style-src 'unsafe-inline'; \
         script-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'"
    )
}

/// Standard base64 with padding (for the CSP hash and data URIs).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The index comparison columns: the shared run columns plus efficiency.
fn comparison_columns() -> Vec<Column> {
    let mut columns = run_columns();
    columns.push(Column {
        header: "RPS / core",
        align: super::table::Align::Right,
        better: Better::Higher,
        cell: |r| format::rate(r.efficiency.as_ref().and_then(|e| e.rps_per_core)),
        value: |r| r.efficiency.as_ref().and_then(|e| e.rps_per_core),
    });
    columns.push(Column {
        header: "RPS / 100 MB",
        align: super::table::Align::Right,
        better: Better::Higher,
        cell: |r| format::rate(r.efficiency.as_ref().and_then(|e| e.rps_per_100mb)),
        value: |r| r.efficiency.as_ref().and_then(|e| e.rps_per_100mb),
    });
    columns
}

fn comparison_table(
    summary: &Summary,
    slugs: &[String],
    run_link: &dyn Fn(&str) -> String,
) -> Table {
    let columns = comparison_columns();
    let best = best_rows(&columns, &summary.runs);
    let headers: Vec<(&str, bool)> = columns
        .iter()
        .map(|c| (c.header, c.align == super::table::Align::Right))
        .collect();
    let mut table = Table::new("Comparison of runs", &headers);
    for (row, (run, slug)) in summary.runs.iter().zip(slugs).enumerate() {
        let cells = columns
            .iter()
            .enumerate()
            .map(|(col, c)| {
                let text = (c.cell)(run);
                let mut cell = if col == 0 {
                    Cell::link(text, run_link(slug))
                } else {
                    Cell::num(text, (c.value)(run))
                };
                cell.best = best[col].contains(&row);
                cell
            })
            .collect();
        table.rows.push(cells);
    }
    table
}

fn index_body(
    summary: &Summary,
    slugs: &[String],
    run_link: &dyn Fn(&str) -> String,
    options: &BuildOptions,
    charts: &mut Charts,
) -> Result<IndexBody, Error> {
    let title = options
        .title
        .clone()
        .unwrap_or_else(|| "Performance report".to_string());
    let n = summary.runs.len();
    let lede = format!(
        "{n} run{} compared: {}.",
        if n == 1 { "" } else { "s" },
        summary
            .runs
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let figures = index_charts(summary, charts)?;
    let origins = summary
        .runs
        .iter()
        .filter_map(|r| {
            let l = r.load.as_ref()?;
            Some((
                r.name.clone(),
                format!("RPS {}; latency {}.", l.rps_method, l.latency_method),
            ))
        })
        .collect();
    let warnings = summary
        .runs
        .iter()
        .flat_map(|r| r.warnings.iter().map(|w| w.to_string()))
        .collect();
    Ok(IndexBody {
        title,
        lede,
        comparison: comparison_table(summary, slugs, run_link),
        charts: figures,
        origins,
        provenance: provenance_table(summary.runs.iter()),
        capacity: Table::default(),
        capacity_notes: Vec::new(),
        trends: Vec::new(),
        builds: Table::default(),
        regressions: Table::default(),
        skipped: summary
            .skipped
            .iter()
            .map(|s| (s.path.display().to_string(), s.reason.clone()))
            .collect(),
        warnings,
    })
}

fn bars(summary: &Summary, value: fn(&RunSummary) -> Option<f64>, better: Better) -> Vec<Bar> {
    let values: Vec<(String, f64)> = summary
        .runs
        .iter()
        .filter_map(|r| {
            value(r)
                .filter(|v| v.is_finite())
                .map(|v| (r.name.clone(), v))
        })
        .collect();
    let best = match better {
        Better::Higher => values.iter().map(|v| v.1).fold(f64::MIN, f64::max),
        Better::Lower => values.iter().map(|v| v.1).fold(f64::MAX, f64::min),
        Better::Neither => f64::NAN,
    };
    values
        .into_iter()
        .map(|(label, value)| Bar {
            label,
            value,
            highlight: value == best,
        })
        .collect()
}

/// (file name, title, unit, value, which way is better) of an index bar chart.
type BarSpec = (
    &'static str,
    &'static str,
    &'static str,
    fn(&RunSummary) -> Option<f64>,
    Better,
);

fn index_charts(summary: &Summary, charts: &mut Charts) -> Result<Vec<Figure>, Error> {
    let mut figures = Vec::new();
    let specs: [BarSpec; 3] = [
        (
            "rps",
            "Throughput",
            "requests / s",
            |r| r.load.as_ref()?.rps,
            Better::Higher,
        ),
        (
            "p99",
            "p99 latency",
            "ms",
            |r| r.load.as_ref()?.latency_ms.p99,
            Better::Lower,
        ),
        (
            "peak-memory",
            "Peak memory (RSS)",
            "MiB",
            |r| r.resources.as_ref()?.mem_peak_mb,
            Better::Lower,
        ),
    ];
    for (file, title, unit, value, better) in specs {
        let bars = bars(summary, value, better);
        if bars.is_empty() {
            continue;
        }
        let chart = BarChart {
            title,
            value_label: unit,
            bars,
        };
        let size = bar_chart_size(chart.bars.len());
        let svg = charts::bar_chart(&chart, size).map_err(chart_error)?;
        let mut figure = charts.add("", file, &format!("{title} ({unit}) by run"), svg);
        figure.height = size.height;
        figures.push(figure);
    }
    let curves: Vec<PercentileCurve> = summary
        .runs
        .iter()
        .filter_map(|r| {
            let l = r.load.as_ref()?;
            (!l.percentile_curve.is_empty()).then(|| PercentileCurve {
                name: r.name.clone(),
                points: l.percentile_curve.iter().map(|p| (p.p, p.ms)).collect(),
            })
        })
        .collect();
    if !curves.is_empty() {
        let svg = charts::percentile_chart("Latency by percentile", &curves, CHART)
            .map_err(chart_error)?;
        figures.push(charts.add(
            "",
            "latency-percentiles",
            "Latency (ms) by percentile, all runs",
            svg,
        ));
    }
    Ok(figures)
}

fn provenance_table<'a>(runs: impl Iterator<Item = &'a RunSummary>) -> Table {
    let mut table = Table::new(
        "Input files",
        &[
            ("run", false),
            ("file", false),
            ("format", false),
            ("tool", false),
            ("bytes", true),
            ("sha256", false),
            ("used for", false),
        ],
    );
    for run in runs {
        for s in &run.sources {
            let tool = match &s.tool.version {
                Some(v) => format!("{} {v}", s.tool.name),
                None => s.tool.name.clone(),
            };
            table.rows.push(vec![
                Cell::text(run.name.clone()),
                Cell::text(s.path.display().to_string()),
                Cell::label(s.format),
                Cell::label(tool),
                Cell::num(format::count(Some(s.bytes)), Some(s.bytes as f64)),
                Cell::text(match (&s.sha256, &s.fingerprint) {
                    (Some(sha256), _) => sha256.clone(),
                    (None, Some(f)) => format!("{f} (fingerprint: size, first and last MiB)"),
                    (None, None) => String::new(),
                }),
                Cell::label(s.role.clone()),
            ]);
        }
    }
    table
}

fn run_body(
    run: &RunSummary,
    slug: &str,
    root: &str,
    charts: &mut Charts,
) -> Result<RunBody, Error> {
    let lede = match &run.load {
        Some(l) => format!("Load figures {}.", describe_origin(l)),
        None => "This run has no load data, only a resource log.".to_string(),
    };
    Ok(RunBody {
        name: run.name.clone(),
        lede,
        tiles: tiles(run),
        charts: run_charts(run, slug, root, charts)?,
        latency: latency_table(run),
        labels: labels_table(run),
        status_codes: count_table(
            "Status codes",
            "code",
            run.load.as_ref().map(|l| &l.status_codes),
        ),
        errors: count_table("Errors", "error", run.load.as_ref().map(|l| &l.errors)),
        sources: provenance_table(std::iter::once(run)),
        warnings: run.warnings.iter().map(|w| w.to_string()).collect(),
        capacity: Table::default(),
        capacity_notes: Vec::new(),
    })
}

fn describe_origin(l: &LoadSummary) -> String {
    match l.origin {
        crate::stats::load::Origin::Samples => {
            format!("computed from {} samples", format::count(l.requests))
        }
        crate::stats::load::Origin::Reported => l.latency_method.clone(),
    }
}

fn tiles(run: &RunSummary) -> Vec<(String, String, String)> {
    let mut tiles = Vec::new();
    if let Some(l) = &run.load {
        tiles.push(("Requests".into(), format::count(l.requests), String::new()));
        tiles.push((
            "Success".into(),
            format::fraction_percent(l.success_rate),
            format!("{} failed", format::count(l.failures)),
        ));
        tiles.push(("RPS".into(), format::rate(l.rps), l.rps_method.clone()));
        tiles.push((
            "p50".into(),
            format!("{} ms", format::ms(l.latency_ms.p50)),
            String::new(),
        ));
        tiles.push((
            "p99".into(),
            format!("{} ms", format::ms(l.latency_ms.p99)),
            String::new(),
        ));
    }
    if let Some(r) = &run.resources {
        tiles.push((
            "Peak CPU".into(),
            format::cpu_percent(r.cpu_peak_percent),
            format!("mean {}", format::cpu_percent(r.cpu_mean_percent)),
        ));
        tiles.push((
            "Peak memory".into(),
            format::mem_mb(r.mem_peak_mb),
            format!("mean {}", format::mem_mb(r.mem_mean_mb)),
        ));
    }
    if let Some(e) = &run.efficiency {
        tiles.push((
            "RPS / core".into(),
            format::rate(e.rps_per_core),
            String::new(),
        ));
    }
    tiles
}

fn run_charts(
    run: &RunSummary,
    slug: &str,
    root: &str,
    charts: &mut Charts,
) -> Result<Vec<Figure>, Error> {
    let mut figures = Vec::new();
    if let Some(l) = &run.load {
        if !l.histogram.is_empty() {
            let bars: Vec<HistogramBar> = l
                .histogram
                .iter()
                .map(|b| HistogramBar {
                    lower_ms: b.lower_ms,
                    upper_ms: b.upper_ms,
                    count: b.count,
                })
                .collect();
            let svg = charts::histogram_chart("Latency distribution", &bars, CHART)
                .map_err(chart_error)?;
            figures.push(charts.add(
                root,
                &format!("{slug}-latency-histogram"),
                "Latency distribution (ms)",
                svg,
            ));
        }
        if !l.percentile_curve.is_empty() {
            let curve = PercentileCurve {
                name: run.name.clone(),
                points: l.percentile_curve.iter().map(|p| (p.p, p.ms)).collect(),
            };
            let svg = charts::percentile_chart("Latency by percentile", &[curve], CHART)
                .map_err(chart_error)?;
            figures.push(charts.add(
                root,
                &format!("{slug}-latency-percentiles"),
                "Latency (ms) by percentile",
                svg,
            ));
        }
        figures.extend(series_charts(l, slug, root, charts)?);
        figures.extend(label_charts(l, slug, root, charts)?);
    }
    if let Some(series) = run.resources.as_ref().and_then(|r| r.series.as_ref()) {
        let cpu: Vec<(f64, f64)> = series.iter().map(|p| (p.t_s, p.cpu_percent)).collect();
        let mem: Vec<(f64, f64)> = series.iter().map(|p| (p.t_s, p.rss_mb)).collect();
        let active = run
            .resources
            .as_ref()
            .and_then(|r| r.active_window)
            .map(|w| charts::Window {
                start_s: w.start_s,
                end_s: w.end_s,
                label: "active",
            });
        let svg = charts::resource_chart(
            "CPU and memory",
            &charts::downsample_lttb(&cpu, charts::DEFAULT_POINT_BUDGET),
            &charts::downsample_lttb(&mem, charts::DEFAULT_POINT_BUDGET),
            active,
            CHART,
        )
        .map_err(chart_error)?;
        figures.push(charts.add(
            root,
            &format!("{slug}-resources"),
            "CPU (%) and resident memory (MiB) over time; shaded: active window",
            svg,
        ));
    }
    Ok(figures)
}

fn series_charts(
    l: &LoadSummary,
    slug: &str,
    root: &str,
    charts: &mut Charts,
) -> Result<Vec<Figure>, Error> {
    let Some(series) = &l.series else {
        return Ok(Vec::new());
    };
    let per_second = |f: fn(&crate::stats::load::SeriesPoint) -> Option<f64>| -> Vec<(f64, f64)> {
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .filter_map(|p| f(p).map(|v| (p.t_s, v / series.interval_s.max(f64::MIN_POSITIVE))))
            .collect();
        charts::downsample_lttb(&points, charts::DEFAULT_POINT_BUDGET)
    };
    let throughput = vec![
        TimeSeries {
            name: "requests".into(),
            unit: "req/s".into(),
            points: per_second(|p| Some(p.requests as f64)),
        },
        TimeSeries {
            name: "failures".into(),
            unit: "req/s".into(),
            points: per_second(|p| Some(p.failures as f64)),
        },
    ];
    let latency = vec![
        TimeSeries {
            name: "mean".into(),
            unit: "ms".into(),
            points: charts::downsample_lttb(
                &series
                    .points
                    .iter()
                    .filter_map(|p| p.latency_mean_ms.map(|v| (p.t_s, v)))
                    .collect::<Vec<_>>(),
                charts::DEFAULT_POINT_BUDGET,
            ),
        },
        TimeSeries {
            name: "max".into(),
            unit: "ms".into(),
            // Min/max buckets never drop a latency spike, which LTTB might.
            points: charts::downsample_minmax(
                &series
                    .points
                    .iter()
                    .filter_map(|p| p.latency_max_ms.map(|v| (p.t_s, v)))
                    .collect::<Vec<_>>(),
                charts::DEFAULT_POINT_BUDGET / 2,
            ),
        },
    ];
    let svg = charts::time_chart(
        "Throughput over time",
        "requests / s",
        &throughput,
        None,
        CHART,
    )
    .map_err(chart_error)?;
    let mut figures = vec![charts.add(
        root,
        &format!("{slug}-throughput"),
        "Requests per second over time",
        svg,
    )];
    let svg = charts::time_chart("Latency over time", "ms", &latency, None, CHART)
        .map_err(chart_error)?;
    figures.push(charts.add(
        root,
        &format!("{slug}-latency-over-time"),
        "Mean and max latency (ms) per second",
        svg,
    ));
    Ok(figures)
}

/// Trend charts of RPS and p99 per run across builds, the builds, and the regressions.
fn add_trends(
    index: &mut IndexBody,
    entries: &[HistoryEntry],
    charts: &mut Charts,
) -> Result<(), Error> {
    let mut names: Vec<&str> = entries
        .iter()
        .flat_map(|e| e.runs.iter().map(|r| r.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    for (metric, value, _) in history::TREND_METRICS {
        let series: Vec<TimeSeries> = names
            .iter()
            .map(|name| TimeSeries {
                name: name.to_string(),
                unit: String::new(),
                points: entries
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| {
                        let run = e.runs.iter().find(|r| r.name == *name)?;
                        Some(((i + 1) as f64, value(run)?))
                    })
                    .collect(),
            })
            .filter(|s| !s.points.is_empty())
            .collect();
        if series.is_empty() {
            continue;
        }
        let (title, unit) = match metric {
            "rps" => ("Throughput across builds", "requests / s"),
            "p99" => ("p99 latency across builds", "ms"),
            _ => ("Peak memory across builds", "MiB"),
        };
        let svg = charts::xy_chart(title, "build (oldest = 1)", unit, &series, CHART)
            .map_err(chart_error)?;
        index
            .trends
            .push(charts.add("", &format!("trend-{metric}"), title, svg));
    }
    index.builds = Table::new("Builds", &[("build", true), ("id", false)]);
    for (i, e) in entries.iter().enumerate() {
        let n = (i + 1) as f64;
        index.builds.rows.push(vec![
            Cell::num(format::count(Some(i as u64 + 1)), Some(n)),
            Cell::text(e.id.clone()),
        ]);
    }
    index.regressions = Table::new(
        "Regressions",
        &[
            ("build", false),
            ("run", false),
            ("metric", false),
            ("before", true),
            ("after", true),
            ("change", true),
        ],
    );
    for r in history::regressions(entries) {
        index.regressions.rows.push(vec![
            Cell::text(format!("{} (after {})", r.id, r.previous_id)),
            Cell::text(r.run.clone()),
            Cell::label(r.metric),
            Cell::num(format::big(Some(r.before)), Some(r.before)),
            Cell::num(format::big(Some(r.after)), Some(r.after)),
            Cell::num(format!("{:+.1}%", r.change * 100.0), Some(r.change)),
        ]);
    }
    Ok(())
}

/// Throughput against concurrency for each system measured at several concurrencies, with the
/// fitted Universal Scalability Law curve when there is a fit.
fn scaling_charts(analysis: &CapacityAnalysis, charts: &mut Charts) -> Result<Vec<Figure>, Error> {
    let mut figures = Vec::new();
    for sys in &analysis.systems {
        let Some(usl) = &sys.scaling else { continue };
        if usl.points.len() < 2 {
            continue;
        }
        let mut points: Vec<(f64, f64)> = usl
            .points
            .iter()
            .map(|p| (p.concurrency, p.throughput))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut series = vec![TimeSeries {
            name: "measured".into(),
            unit: "req/s".into(),
            points: points.clone(),
        }];
        if let Some(fit) = &usl.fit {
            let top = points.last().map_or(1.0, |p| p.0) * 1.5;
            let curve = (1..=60)
                .map(|i| {
                    let n = top * i as f64 / 60.0;
                    let x =
                        fit.lambda * n / (1.0 + fit.sigma * (n - 1.0) + fit.kappa * n * (n - 1.0));
                    (n, x)
                })
                .collect();
            series.push(TimeSeries {
                name: "USL fit".into(),
                unit: "req/s".into(),
                points: curve,
            });
        }
        let name = sys.label.clone().unwrap_or_else(|| sys.name.clone());
        let title = format!("Scaling: {name}");
        let svg = charts::xy_chart(
            &title,
            "concurrency (clients)",
            "requests / s",
            &series,
            CHART,
        )
        .map_err(chart_error)?;
        figures.push(charts.add(
            "",
            &format!("scaling-{}", unique_slug_of(&sys.name)),
            &format!("{title}: throughput (req/s) against concurrency"),
            svg,
        ));
    }
    Ok(figures)
}

/// Throughput and mean latency at each thread count of a ramped run.
fn saturation_charts(
    sat: &crate::capacity::knee::Saturation,
    slug: &str,
    root: &str,
    charts: &mut Charts,
) -> Result<Vec<Figure>, Error> {
    let rps = TimeSeries {
        name: "throughput".into(),
        unit: "req/s".into(),
        points: sat
            .levels
            .iter()
            .map(|l| (l.concurrency as f64, l.rps))
            .collect(),
    };
    let latency = TimeSeries {
        name: "mean latency".into(),
        unit: "ms".into(),
        points: sat
            .levels
            .iter()
            .filter_map(|l| Some((l.concurrency as f64, l.latency_mean_ms?)))
            .collect(),
    };
    let mut figures = Vec::new();
    for (file, title, unit, s) in [
        (
            "saturation-rps",
            "Throughput against threads",
            "requests / s",
            rps,
        ),
        (
            "saturation-latency",
            "Latency against threads",
            "ms",
            latency,
        ),
    ] {
        let svg =
            charts::xy_chart(title, "active threads", unit, &[s], CHART).map_err(chart_error)?;
        figures.push(charts.add(root, &format!("{slug}-{file}"), title, svg));
    }
    Ok(figures)
}

fn unique_slug_of(name: &str) -> String {
    let slugs = unique_slugs_of_names(&[name]);
    slugs.into_iter().next().unwrap_or_else(|| "system".into())
}

/// Tall enough for every bar, never smaller than the other charts.
fn bar_chart_size(bars: usize) -> Size {
    Size {
        width: CHART.width,
        height: Size::for_bars(bars).height.max(CHART.height),
    }
}

/// Most labels drawn in the per-label charts (the table lists every label).
const MAX_LABEL_BARS: usize = 25;

/// p90 latency and request count per label, for runs with several request labels (JTL).
fn label_charts(
    l: &LoadSummary,
    slug: &str,
    root: &str,
    charts: &mut Charts,
) -> Result<Vec<Figure>, Error> {
    let mut requests: Vec<&crate::stats::load::LabelSummary> = l
        .labels
        .iter()
        .filter(|x| x.kind == crate::model::SampleKind::Request)
        .collect();
    if requests.len() < 2 {
        return Ok(Vec::new());
    }
    // The busiest labels, in a stable order.
    requests.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.label.cmp(&b.label)));
    requests.truncate(MAX_LABEL_BARS);
    let size = bar_chart_size(requests.len());
    type LabelValue = fn(&crate::stats::load::LabelSummary) -> Option<f64>;
    let specs: [(&str, &str, &str, LabelValue); 2] = [
        ("label-p90", "p90 latency by label", "ms", |x| {
            x.latency_ms.p90
        }),
        ("label-requests", "Requests by label", "requests", |x| {
            Some(x.requests as f64)
        }),
    ];
    let mut figures = Vec::new();
    for (file, title, unit, value) in specs {
        let bars = requests
            .iter()
            .filter_map(|x| {
                value(x).map(|v| Bar {
                    label: x.label.clone(),
                    value: v,
                    highlight: false,
                })
            })
            .collect();
        let chart = BarChart {
            title,
            value_label: unit,
            bars,
        };
        let svg = charts::bar_chart(&chart, size).map_err(chart_error)?;
        let mut figure = charts.add(
            root,
            &format!("{slug}-{file}"),
            &format!("{title} ({unit})"),
            svg,
        );
        figure.height = size.height;
        figures.push(figure);
    }
    Ok(figures)
}

fn latency_table(run: &RunSummary) -> Table {
    let mut table = Table::new(
        "Latency",
        &[
            ("figure", false),
            ("min", true),
            ("mean", true),
            ("p50", true),
            ("p75", true),
            ("p90", true),
            ("p95", true),
            ("p99", true),
            ("p99.9", true),
            ("max", true),
            ("stddev", true),
        ],
    );
    let Some(l) = &run.load else {
        return table;
    };
    let row = |name: String, s: &crate::stats::load::LatencyStats| -> Vec<Cell> {
        let mut cells = vec![Cell::text(name)];
        for v in [
            s.min, s.mean, s.p50, s.p75, s.p90, s.p95, s.p99, s.p99_9, s.max, s.stddev,
        ] {
            cells.push(Cell::num(format::ms(v), v));
        }
        cells
    };
    let origin = match l.origin {
        crate::stats::load::Origin::Samples => "computed from samples (ms)".to_string(),
        crate::stats::load::Origin::Reported => format!("{} (ms)", l.latency_method),
    };
    table.rows.push(row(origin, &l.latency_ms));
    // The tool's own figures beside the computed ones.
    if let (crate::stats::load::Origin::Samples, Some(reported)) = (l.origin, &l.tool_reported) {
        let stats = crate::stats::load::LatencyStats::from_reported(&reported.latency_ms);
        if stats != crate::stats::load::LatencyStats::default() {
            table
                .rows
                .push(row("reported by the tool (ms)".to_string(), &stats));
        }
    }
    table
}

fn labels_table(run: &RunSummary) -> Table {
    let mut table = Table::new(
        "Per label",
        &[
            ("label", false),
            ("kind", false),
            ("requests", true),
            ("failures", true),
            ("success", true),
            ("RPS", true),
            ("p50 ms", true),
            ("p90 ms", true),
            ("p99 ms", true),
            ("max ms", true),
        ],
    );
    let Some(l) = &run.load else {
        return table;
    };
    for label in &l.labels {
        let kind = match label.kind {
            crate::model::SampleKind::Request => "request",
            crate::model::SampleKind::Transaction => "transaction",
            crate::model::SampleKind::SubResult => "sub-result",
        };
        let m = &label.latency_ms;
        table.rows.push(vec![
            Cell::text(label.label.clone()),
            Cell::label(kind),
            Cell::num(
                format::count(Some(label.requests)),
                Some(label.requests as f64),
            ),
            Cell::num(
                format::count(Some(label.failures)),
                Some(label.failures as f64),
            ),
            Cell::num(
                format::fraction_percent(label.success_rate),
                label.success_rate,
            ),
            Cell::num(format::rate(label.rps), label.rps),
            Cell::num(format::ms(m.p50), m.p50),
            Cell::num(format::ms(m.p90), m.p90),
            Cell::num(format::ms(m.p99), m.p99),
            Cell::num(format::ms(m.max), m.max),
        ]);
    }
    table
}

/// The top [`TOP_N`] entries by count, and the rest summed in one row.
fn count_table(
    caption: &str,
    key: &str,
    counts: Option<&std::collections::BTreeMap<String, u64>>,
) -> Table {
    let mut table = Table::new(caption, &[(key, false), ("count", true), ("share", true)]);
    let Some(counts) = counts else {
        return table;
    };
    let total: u64 = counts.values().sum();
    let mut entries: Vec<(&String, &u64)> = counts.iter().collect();
    entries.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let share = |n: u64| (total > 0).then(|| n as f64 / total as f64);
    for (k, &n) in entries.iter().take(TOP_N) {
        table.rows.push(vec![
            Cell::text((*k).clone()),
            Cell::num(format::count(Some(n)), Some(n as f64)),
            Cell::num(format::fraction_percent(share(n)), share(n)),
        ]);
    }
    if entries.len() > TOP_N {
        let rest: u64 = entries[TOP_N..].iter().map(|(_, &n)| n).sum();
        table.rows.push(vec![
            Cell::text(format!("{} others", entries.len() - TOP_N)),
            Cell::num(format::count(Some(rest)), Some(rest as f64)),
            Cell::num(format::fraction_percent(share(rest)), share(rest)),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }
}
