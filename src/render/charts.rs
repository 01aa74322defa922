//! SVG charts: prepared data in, a self-contained SVG document out.
//!
//! One function per chart kind, in the style of criterion.rs's plotters backend: the caller
//! prepares plain numbers (already unit-scaled and labelled), the chart code only lays out and
//! draws. Nothing here knows about parsers, runs or statistics.
//!
//! # Output
//! Every function returns a complete `<svg>` document as a `String`:
//! - **Deterministic.** plotters is built without `ttf`, so text is emitted as SVG `<text>` laid
//!   out with plotters' naive metrics and pixel coordinates are integers: the same input gives
//!   byte-identical output on every machine.
//! - **Accessible.** The root element carries `role="img"` and an `aria-label`, and its first
//!   children are a `<title>` (the chart title) and a `<desc>` (what is plotted, and for bar charts
//!   every value).
//! - **Safe.** Every caller string is user data (run names may contain `<script>`). plotters' SVG
//!   backend escapes `< > & " '` in text and attributes (checked by a test); control characters,
//!   which XML forbids even escaped, are replaced here before any text reaches plotters.
//! - **Theme-neutral.** The background is transparent. Text, axes, grid lines and shaded windows
//!   use `currentColor`, and the root sets `color="#767676"`, a grey with about 4.5:1 contrast on
//!   white and 4:1 on near-black. Loaded through `<img>` the charts therefore read on light and
//!   dark pages alike; inlined, a page may restyle them with `svg.benchreport-chart { color: … }`.
//!   Data colours come from the colour-blind-safe Okabe–Ito palette ([`OKABE_ITO`]).
//!
//! # Decisions
//! - **Empty input is not an error.** A chart with nothing finite to plot renders the title and a
//!   centred "no data" note at the requested size, so a report page keeps its layout. Errors are
//!   reserved for impossible sizes and drawing failures ([`ChartError`]).
//! - **Non-finite values are skipped** (NaN, ±inf), as are values a log axis cannot show (≤ 0).
//! - **Log axes.** A latency axis switches from linear-from-zero to log10 when the largest
//!   positive value is more than [`LOG_SCALE_RATIO`] (100×) the smallest. The axis title then says
//!   "log scale". This applies to the percentile chart's y axis and the histogram's x axis. The
//!   percentile chart's x axis is always the HdrHistogram "1/(1−p)" scale.
//! - **Point budget.** Callers downsample long series with [`downsample_lttb`] (shape-preserving,
//!   for throughput, CPU and memory) or [`downsample_minmax`] (envelope-preserving, for spiky
//!   latency maxima). As a safety net, every line chart downsamples any series longer than
//!   [`DEFAULT_POINT_BUDGET`] with LTTB, so a million-point series never reaches the SVG.
//! - **Time axes** are seconds relative to the start of the run; spans of ten minutes or more are
//!   labelled `m:ss` (or `h:mm:ss`).

use std::fmt::Write as _;
use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Points a line keeps after the safety-net downsampling; also a good budget for callers.
pub const DEFAULT_POINT_BUDGET: usize = 1500;

/// The Okabe–Ito colour-blind-safe palette, in the order series use it. Black is left out so
/// lines read on dark pages; yellow comes last because it is faint on white.
pub const OKABE_ITO: [(u8, u8, u8); 7] = [
    (0x00, 0x72, 0xB2), // blue
    (0xE6, 0x9F, 0x00), // orange
    (0x00, 0x9E, 0x73), // bluish green
    (0xD5, 0x5E, 0x00), // vermillion
    (0x56, 0xB4, 0xE9), // sky blue
    (0xCC, 0x79, 0xA7), // reddish purple
    (0xF0, 0xE4, 0x42), // yellow
];

/// An axis switches to a log scale when its largest positive value exceeds the smallest by more
/// than this factor.
pub const LOG_SCALE_RATIO: f64 = 100.0;

/// Smallest size a chart can be laid out in.
pub const MIN_SIZE: Size = Size {
    width: 320,
    height: 200,
};

/// The highest percentile the percentile chart can place: 99.999 is 5 "nines" from the left.
const PERCENTILE_CAP: f64 = 99.999;

/// The grey every non-data mark is drawn in. plotters writes it as `#767676`; [`finish_svg`]
/// turns it into `currentColor` and sets it as the root's `color`.
const INK: RGBColor = RGBColor(0x76, 0x76, 0x76);
const INK_HEX: &str = "#767676";

const FONT_FAMILY: &str =
    "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";
const TITLE_PX: f64 = 15.0;
const TICK_PX: f64 = 12.0;
const AXIS_TITLE_PX: f64 = 12.5;
const LEGEND_PX: f64 = 12.0;
const NOTE_PX: f64 = 11.0;
/// Average advance of a character as a fraction of the font size, on the wide side (DejaVu Sans
/// digits are 0.64 em) so estimated labels are never clipped.
const CHAR_EM: f64 = 0.62;

const PAD: i32 = 14;
const LINE_WIDTH: u32 = 2;

/// Width and height of a chart in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Default for Size {
    fn default() -> Self {
        Size {
            width: 760,
            height: 380,
        }
    }
}

impl Size {
    /// The default width and a height that gives each of `bars` bars a readable 26 px band.
    pub fn for_bars(bars: usize) -> Size {
        let bands = u32::try_from(bars.max(1)).unwrap_or(u32::MAX);
        Size {
            width: Size::default().width,
            height: bands
                .saturating_mul(26)
                .saturating_add(110)
                .max(MIN_SIZE.height),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("chart size {width}x{height} is too small: at least {}x{} is needed", MIN_SIZE.width, MIN_SIZE.height)]
    SizeTooSmall { width: u32, height: u32 },
    #[error("drawing the chart failed: {0}")]
    Drawing(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        ChartError::Drawing(error.to_string())
    }
}

/// A horizontal bar chart comparing one figure across runs.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart<'a> {
    pub title: &'a str,
    /// The value axis title, with its unit: `"requests / s"`.
    pub value_label: &'a str,
    /// Drawn top to bottom in this order.
    pub bars: Vec<Bar>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Drawn in the accent colour and marked "(best)".
    pub highlight: bool,
}

/// One latency-by-percentile curve.
#[derive(Debug, Clone, PartialEq)]
pub struct PercentileCurve {
    pub name: String,
    /// `(percentile 0..=100, latency ms)`.
    pub points: Vec<(f64, f64)>,
}

/// One bin of a latency histogram; bins may have different widths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramBar {
    pub lower_ms: f64,
    pub upper_ms: f64,
    pub count: u64,
}

/// One line of a chart over time.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    pub name: String,
    /// Unit of the values, e.g. `"ms"`; shown in the legend when the series' units differ.
    pub unit: String,
    /// `(seconds since the start of the run, value)`.
    pub points: Vec<(f64, f64)>,
}

/// A span of the time axis to shade and label, e.g. when the load generator was running.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window<'a> {
    pub start_s: f64,
    pub end_s: f64,
    pub label: &'a str,
}

/// Throughput (or any figure) per run, as horizontal bars with the value printed at each bar's
/// end. Long run names are cut with "…" to at most 40% of the width; the full names are in the
/// SVG's description. Use [`Size::for_bars`] for a height that fits the number of bars.
pub fn bar_chart(chart: &BarChart, size: Size) -> Result<String, ChartError> {
    check_size(size)?;
    let title = clean_text(chart.title);
    let value_label = clean_text(chart.value_label);
    let bars: Vec<Bar> = chart
        .bars
        .iter()
        .filter(|bar| bar.value.is_finite())
        .map(|bar| Bar {
            label: clean_text(&bar.label),
            ..bar.clone()
        })
        .collect();
    if bars.is_empty() {
        return no_data_chart(&title, "Bar chart", size);
    }
    let description = describe_bars(&bars, &value_label);
    render(size, &title, &description, |root| {
        draw_bars(root, &title, &value_label, &bars, size)
    })
}

/// Latency by percentile, HdrHistogram style: the x axis places percentile `p` at
/// `-log10(1 - p/100)` (so 90%, 99%, 99.9% are evenly spaced), capped at 99.999%. The y axis is
/// latency in ms, linear from zero, or log10 when the curves span more than [`LOG_SCALE_RATIO`].
/// Points outside 0..=100 or not finite are skipped.
pub fn percentile_chart(
    title: &str,
    curves: &[PercentileCurve],
    size: Size,
) -> Result<String, ChartError> {
    check_size(size)?;
    let title = clean_text(title);
    let cleaned: Vec<(String, Vec<(f64, f64)>)> = curves
        .iter()
        .map(|curve| {
            let points = curve
                .points
                .iter()
                .copied()
                .filter(|&(p, ms)| p.is_finite() && ms.is_finite() && (0.0..=100.0).contains(&p))
                .collect();
            (clean_text(&curve.name), points)
        })
        .collect();
    let all_ms: Vec<f64> = cleaned
        .iter()
        .flat_map(|(_, points)| points.iter().map(|&(_, ms)| ms))
        .collect();
    let Some(y) = value_axis(&all_ms, TickTarget::vertical(size)) else {
        return no_data_chart(&title, "Percentile chart", size);
    };
    let max_rank = cleaned
        .iter()
        .flat_map(|(_, points)| points.iter().map(|&(p, _)| percentile_rank(p)))
        .fold(0.0_f64, f64::max);
    let x = percentile_axis(max_rank);
    let lines: Vec<Line> = cleaned
        .into_iter()
        .enumerate()
        .filter_map(|(i, (name, points))| {
            let mapped = points
                .iter()
                .filter_map(|&(p, ms)| Some((percentile_rank(p), y.scale.to_coord(ms)?)))
                .collect();
            Line::new(name, series_colour(i), mapped)
        })
        .collect();
    if lines.is_empty() {
        return no_data_chart(&title, "Percentile chart", size);
    }
    let y_title = y.scale.title("latency (ms)");
    let spec = LineChart {
        title: &title,
        x,
        x_title: "percentile (%), spaced by 1/(1−p)".to_string(),
        y,
        y_title,
        lines,
        window: None,
        right: None,
    };
    let description = spec.describe("Percentile chart");
    render(size, &title, &description, |root| spec.draw(root, size))
}

/// A latency histogram: one bar per bin over latency in ms (log10 x axis when the bins span more
/// than [`LOG_SCALE_RATIO`]; a bin starting at 0 then starts at the axis' left edge), height =
/// number of requests. Bins that are not finite or have `upper_ms <= lower_ms` are skipped.
pub fn histogram_chart(
    title: &str,
    bars: &[HistogramBar],
    size: Size,
) -> Result<String, ChartError> {
    check_size(size)?;
    let title = clean_text(title);
    let bins: Vec<HistogramBar> = bars
        .iter()
        .copied()
        .filter(|b| b.lower_ms.is_finite() && b.upper_ms.is_finite() && b.upper_ms > b.lower_ms)
        .collect();
    if bins.is_empty() {
        return no_data_chart(&title, "Histogram", size);
    }
    let edges: Vec<f64> = bins.iter().flat_map(|b| [b.lower_ms, b.upper_ms]).collect();
    let target = TickTarget::horizontal(size);
    let x = match log_span(&edges) {
        Some((lo, hi)) => log_axis(lo, hi),
        None => {
            let (lo, hi) = min_max(&edges).unwrap_or((0.0, 1.0));
            linear_axis(lo.min(0.0), hi, target.count, Padding::Nice)
        }
    };
    let max_count = bins.iter().map(|b| b.count).max().unwrap_or(0) as f64;
    let y = linear_axis(
        0.0,
        max_count,
        TickTarget::vertical(size).count,
        Padding::Nice,
    );
    let total: u64 = bins.iter().map(|b| b.count).sum();
    let description = format!(
        "Histogram: {title}. {} bins of latency in milliseconds from {} to {}, {} requests in all.",
        bins.len(),
        format_value(edges.iter().copied().fold(f64::INFINITY, f64::min)),
        format_value(edges.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        group_thousands(&total.to_string()),
    );
    render(size, &title, &description, |root| {
        draw_histogram(root, &title, &x, &y, &bins, size)
    })
}

/// Several series over time sharing one y axis (e.g. requests per second; or latency mean and
/// max), with an optional shaded window. `y_title` should carry the unit (`"latency (ms)"`); when
/// it is empty the series' common unit is used. The y axis starts at zero unless a value is
/// negative.
pub fn time_chart(
    title: &str,
    y_title: &str,
    series: &[TimeSeries],
    window: Option<Window>,
    size: Size,
) -> Result<String, ChartError> {
    lines_chart(
        title,
        y_title,
        series,
        window,
        size,
        "Time chart",
        time_axis,
    )
}

/// Several series against a linear x axis other than time (e.g. throughput against concurrency),
/// sharing one y axis. `x_title` names the axis with its unit.
pub fn xy_chart(
    title: &str,
    x_title: &str,
    y_title: &str,
    series: &[TimeSeries],
    size: Size,
) -> Result<String, ChartError> {
    let x_title = clean_text(x_title);
    let x_axis = |xs: &[f64], target: TickTarget| {
        let (lo, hi) = min_max(xs)?;
        Some((
            linear_axis(lo, hi, target.count, Padding::Nice),
            x_title.clone(),
        ))
    };
    lines_chart(title, y_title, series, None, size, "Line chart", x_axis)
}

/// The common body of [`time_chart`] and [`xy_chart`]: `x_axis` builds the x axis and its title.
fn lines_chart(
    title: &str,
    y_title: &str,
    series: &[TimeSeries],
    window: Option<Window>,
    size: Size,
    kind: &str,
    x_axis: impl Fn(&[f64], TickTarget) -> Option<(Axis, String)>,
) -> Result<String, ChartError> {
    check_size(size)?;
    let title = clean_text(title);
    let units_agree = series.windows(2).all(|pair| pair[0].unit == pair[1].unit);
    let y_title = match (clean_text(y_title), series.first()) {
        (t, Some(first)) if t.is_empty() && units_agree => clean_text(&first.unit),
        (t, _) => t,
    };
    let lines: Vec<Line> = series
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let name = if units_agree || s.unit.is_empty() {
                clean_text(&s.name)
            } else {
                clean_text(&format!("{} ({})", s.name, s.unit))
            };
            Line::new(name, series_colour(i), s.points.clone())
        })
        .collect();
    let ys: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .collect();
    let xs: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .collect();
    let (Some(y), Some((x, x_title))) = (
        linear_value_axis(&ys, TickTarget::vertical(size)),
        x_axis(&xs, TickTarget::horizontal(size)),
    ) else {
        return no_data_chart(&title, kind, size);
    };
    let spec = LineChart {
        title: &title,
        x,
        x_title,
        y,
        y_title,
        lines,
        window: window.map(clean_window),
        right: None,
    };
    let description = spec.describe(kind);
    render(size, &title, &description, |root| spec.draw(root, size))
}

/// CPU % (left axis) and resident memory in MB (right axis) of a process over one shared time
/// axis, with the active window shaded and labelled. Both value axes start at zero, and their
/// ticks are chosen so they share the same grid lines. When only one of the two series has data
/// it is drawn alone on the left axis.
pub fn resource_chart(
    title: &str,
    cpu: &[(f64, f64)],
    mem: &[(f64, f64)],
    active: Option<Window>,
    size: Size,
) -> Result<String, ChartError> {
    check_size(size)?;
    let title = clean_text(title);
    let cpu_line = Line::new("CPU (%)".to_string(), series_colour(0), cpu.to_vec());
    let mem_line = Line::new("memory (MB)".to_string(), series_colour(1), mem.to_vec());
    let xs: Vec<f64> = [&cpu_line, &mem_line]
        .into_iter()
        .flatten()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .collect();
    let Some((x, x_title)) = time_axis(&xs, TickTarget::horizontal(size)) else {
        return no_data_chart(&title, "Resource chart", size);
    };
    let window = active.map(clean_window);
    let spec = match (cpu_line, mem_line) {
        (Some(cpu), Some(mem)) => {
            let peak = |line: &Line| line.points.iter().map(|p| p.1).fold(0.0, f64::max);
            let (cpu_axis, mem_axis) = aligned_axes(peak(&cpu), peak(&mem), size);
            LineChart {
                title: &title,
                x,
                x_title,
                y: cpu_axis,
                y_title: cpu.label.clone(),
                lines: vec![cpu],
                window,
                right: Some(RightAxis {
                    axis: mem_axis,
                    title: mem.label.clone(),
                    lines: vec![mem],
                }),
            }
        }
        // Only one of the two: it gets the left axis alone.
        (Some(line), None) | (None, Some(line)) => {
            let ys: Vec<f64> = line.points.iter().map(|p| p.1).collect();
            let Some(y) = linear_value_axis(&ys, TickTarget::vertical(size)) else {
                return no_data_chart(&title, "Resource chart", size);
            };
            LineChart {
                title: &title,
                x,
                x_title,
                y,
                y_title: line.label.clone(),
                lines: vec![line],
                window,
                right: None,
            }
        }
        (None, None) => return no_data_chart(&title, "Resource chart", size),
    };
    let description = spec.describe("Resource chart");
    render(size, &title, &description, |root| spec.draw(root, size))
}

/// Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the first and last
/// points and, from each of `budget - 2` equal buckets in between, the point forming the largest
/// triangle with the previously kept point and the next bucket's average. Preserves the visual
/// shape of smooth series (throughput, CPU, memory). Points must be sorted by x; non-finite
/// points are dropped. Returns the input unchanged when it has at most `budget` points; a budget
/// below 3 leaves room only for the ends (2: first and last, 1: first, 0: nothing).
pub fn downsample_lttb(points: &[(f64, f64)], budget: usize) -> Vec<(f64, f64)> {
    if points.iter().any(|p| !is_finite_point(p)) {
        let finite: Vec<(f64, f64)> = points.iter().copied().filter(is_finite_point).collect();
        return downsample_lttb(&finite, budget);
    }
    let n = points.len();
    if n <= budget {
        return points.to_vec();
    }
    let (Some(&first), Some(&last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    match budget {
        0 => return Vec::new(),
        1 => return vec![first],
        2 => return vec![first, last],
        _ => {}
    }
    let bucket = (n - 2) as f64 / (budget - 2) as f64;
    let bucket_start = |i: usize| ((i as f64 * bucket) as usize + 1).min(n - 1);
    let mut kept = Vec::with_capacity(budget);
    kept.push(first);
    let mut anchor = first;
    for i in 0..budget - 2 {
        let candidates = &points[bucket_start(i)..bucket_start(i + 1).max(bucket_start(i) + 1)];
        let next = &points[bucket_start(i + 1)..bucket_start(i + 2).max(bucket_start(i + 1) + 1)];
        let target = mean_point(next);
        let mut best = candidates[0];
        let mut best_area = -1.0;
        for &candidate in candidates {
            let area = triangle_area2(anchor, candidate, target);
            if area > best_area {
                best_area = area;
                best = candidate;
            }
        }
        kept.push(best);
        anchor = best;
    }
    kept.push(last);
    kept
}

/// Min/max downsampling: splits the points into `buckets` equal runs and keeps each run's lowest
/// and highest point, in their original order. Unlike LTTB it never drops a spike or a dip, so it
/// suits latency maxima; the price is up to `2 * buckets` points and a jagged envelope. Points
/// must be sorted by x; non-finite points are dropped. Returns the input unchanged when it has at
/// most `2 * buckets` points.
pub fn downsample_minmax(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let finite: Vec<(f64, f64)> = points.iter().copied().filter(is_finite_point).collect();
    let n = finite.len();
    if n <= buckets.saturating_mul(2) {
        return finite;
    }
    let size = n as f64 / buckets as f64;
    let mut kept = Vec::with_capacity(buckets * 2);
    for b in 0..buckets {
        let start = (b as f64 * size) as usize;
        let end = (((b + 1) as f64 * size) as usize).min(n);
        let Some(run) = finite.get(start..end).filter(|run| !run.is_empty()) else {
            continue;
        };
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in run.iter().enumerate() {
            if p.1 < run[lo].1 {
                lo = i;
            }
            if p.1 > run[hi].1 {
                hi = i;
            }
        }
        kept.push(run[lo.min(hi)]);
        if lo != hi {
            kept.push(run[lo.max(hi)]);
        }
    }
    kept
}

// ---------------------------------------------------------------------------------------------
// Downsampling helpers

fn is_finite_point(p: &(f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite()
}

fn mean_point(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len().max(1) as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(sx, sy), p| (sx + p.0, sy + p.1));
    (sx / n, sy / n)
}

/// Twice the area of the triangle `abc` (the factor does not change which triangle is largest).
fn triangle_area2(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> f64 {
    ((a.0 - c.0) * (b.1 - a.1) - (a.0 - b.0) * (c.1 - a.1)).abs()
}

// ---------------------------------------------------------------------------------------------
// Series preparation

/// A line ready to draw: finite, sorted by x, in axis coordinates, within the point budget.
struct Line {
    label: String,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
}

impl Line {
    /// `None` when nothing finite is left to draw.
    fn new(label: String, colour: RGBColor, mut points: Vec<(f64, f64)>) -> Option<Line> {
        points.retain(is_finite_point);
        if points.is_empty() {
            return None;
        }
        if !points.windows(2).all(|w| w[0].0 <= w[1].0) {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        if points.len() > DEFAULT_POINT_BUDGET {
            points = downsample_lttb(&points, DEFAULT_POINT_BUDGET);
        }
        Some(Line {
            label,
            colour,
            points,
        })
    }
}

impl Line {
    /// The line's path, or a dot when it has a single point (a path of one point is invisible).
    fn elements<'b>(&self) -> Vec<DynElement<'static, SVGBackend<'b>, (f64, f64)>> {
        let style = self.colour.stroke_width(LINE_WIDTH);
        match self.points.as_slice() {
            [only] => vec![Circle::new(*only, 3, self.colour.filled()).into_dyn()],
            points => vec![PathElement::new(points.to_vec(), style).into_dyn()],
        }
    }
}

fn series_colour(index: usize) -> RGBColor {
    let (r, g, b) = OKABE_ITO[index % OKABE_ITO.len()];
    RGBColor(r, g, b)
}

/// Caller text made safe for XML and one line: control characters (which XML 1.0 forbids even
/// as character references) become spaces. Escaping of `<`, `&`, quotes is plotters' job.
fn clean_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn clean_window(window: Window) -> (f64, f64, String) {
    (window.start_s, window.end_s, clean_text(window.label))
}

fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// The smallest and largest positive values when they are more than [`LOG_SCALE_RATIO`] apart.
fn log_span(values: &[f64]) -> Option<(f64, f64)> {
    let positive: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
    let (lo, hi) = min_max(&positive)?;
    (hi / lo > LOG_SCALE_RATIO).then_some((lo, hi))
}

// ---------------------------------------------------------------------------------------------
// Axes: ranges, tick positions and tick labels, all decided here rather than by plotters so that
// every label is formatted with the whole axis in view.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    Linear,
    Log10,
}

impl Scale {
    /// Where a data value sits on the axis; `None` for values a log axis cannot show.
    fn to_coord(self, value: f64) -> Option<f64> {
        match self {
            Scale::Linear => Some(value),
            Scale::Log10 if value > 0.0 => Some(value.log10()),
            Scale::Log10 => None,
        }
    }

    fn title(self, base: &str) -> String {
        match self {
            Scale::Linear => base.to_string(),
            Scale::Log10 => format!("{base}, log scale"),
        }
    }
}

#[derive(Debug, Clone)]
struct Axis {
    /// In axis coordinates (log10 of the value on a log axis).
    range: Range<f64>,
    ticks: Vec<f64>,
    labels: Vec<String>,
    scale: Scale,
}

impl Axis {
    fn ranged(&self) -> AxisCoord {
        AxisCoord {
            linear: self.range.clone().into(),
            ticks: self.ticks.clone(),
        }
    }

    /// The label of the tick at `coord` (plotters hands back exactly the key points we gave it).
    fn label(&self, coord: f64) -> String {
        self.ticks
            .iter()
            .position(|t| *t == coord)
            .and_then(|i| self.labels.get(i).cloned())
            .unwrap_or_default()
    }

    /// A copy labelling only every n-th tick, with n the smallest that keeps labels `extent`
    /// pixels long (along the axis) from overlapping on an axis `length` pixels long.
    fn thinned(&self, length: f64, extent: impl Fn(&str) -> f64) -> Axis {
        let span = self.range.end - self.range.start;
        let gap = self
            .ticks
            .windows(2)
            .map(|w| (w[1] - w[0]).abs() / span * length)
            .fold(f64::INFINITY, f64::min);
        let needed = self.labels.iter().map(|l| extent(l)).fold(0.0, f64::max) + 8.0;
        if !(gap.is_finite() && gap > 0.0) || gap >= needed {
            return self.clone();
        }
        let stride = (needed / gap).ceil() as usize;
        let mut axis = self.clone();
        for (i, label) in axis.labels.iter_mut().enumerate() {
            if i % stride != 0 {
                label.clear();
            }
        }
        axis
    }

    fn widest_label(&self, px: f64) -> f64 {
        self.labels
            .iter()
            .map(|l| text_width(l, px))
            .fold(0.0, f64::max)
    }
}

/// A linear plotters coordinate whose ticks are exactly [`Axis::ticks`], with no light lines.
/// (plotters' `WithKeyPoints` cannot take a label formatter for `f64` ranges.)
struct AxisCoord {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for AxisCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// How many ticks suit an axis of a given length.
#[derive(Debug, Clone, Copy)]
struct TickTarget {
    count: usize,
}

impl TickTarget {
    fn horizontal(size: Size) -> Self {
        TickTarget {
            count: (size.width as usize / 95).clamp(3, 10),
        }
    }

    fn vertical(size: Size) -> Self {
        TickTarget {
            count: (size.height as usize / 60).clamp(3, 8),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Padding {
    /// Extend the range outwards to whole ticks.
    Nice,
    /// Keep the data range; ticks fall inside it.
    Exact,
}

/// The smallest of 1, 2, 2.5, 5 × 10^k that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|n| fraction <= n * (1.0 + 1e-9))
        .unwrap_or(10.0);
    nice * magnitude
}

/// Multiples of `step` within `lo..=hi`, computed from integers so they do not accumulate error.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn linear_axis(lo: f64, hi: f64, target: usize, padding: Padding) -> Axis {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else if lo == 0.0 {
        (0.0, 1.0)
    } else {
        // A constant series: give it room around its value.
        (lo - lo.abs() * 0.5, hi + hi.abs() * 0.5)
    };
    let step = nice_step((hi - lo) / target as f64);
    let (lo, hi) = match padding {
        Padding::Nice => ((lo / step).floor() * step, (hi / step).ceil() * step),
        Padding::Exact => (lo, hi),
    };
    let ticks = multiples(lo, hi, step);
    let format = NumberFormat::for_axis(lo.abs().max(hi.abs()), step);
    let labels = ticks.iter().map(|&t| format.format(t)).collect();
    Axis {
        range: lo..hi,
        ticks,
        labels,
        scale: Scale::Linear,
    }
}

/// The 1-2-5 × 10^k values from the one at or below `lo` to the one at or above `hi`.
fn one_two_five(lo: f64, hi: f64) -> Vec<f64> {
    let mut values = Vec::new();
    let mut exponent = lo.log10().floor() as i32 - 1;
    while values.last().map_or(true, |last| *last < hi * (1.0 - 1e-9)) && exponent < 400 {
        for m in [1.0, 2.0, 5.0] {
            values.push(m * 10f64.powi(exponent));
        }
        exponent += 1;
    }
    let first = values
        .iter()
        .rposition(|v| *v <= lo * (1.0 + 1e-9))
        .unwrap_or(0);
    let last = values
        .iter()
        .position(|v| *v >= hi * (1.0 - 1e-9))
        .unwrap_or(values.len().saturating_sub(1));
    values
        .get(first..=last)
        .map(<[f64]>::to_vec)
        .unwrap_or_default()
}

/// A log10 axis from the 1-2-5 value at or below `lo` to the one at or above `hi`. Ticks at 1-2-5
/// steps when it spans at most three decades, else at powers of ten plus the axis ends (unless an
/// end crowds its neighbour).
fn log_axis(lo: f64, hi: f64) -> Axis {
    let candidates = one_two_five(lo, hi.max(lo * 10.0));
    let (Some(&start), Some(&end)) = (candidates.first(), candidates.last()) else {
        return linear_axis(0.0, hi, 5, Padding::Nice);
    };
    let range = start.log10()..end.log10();
    let span = range.end - range.start;
    let is_decade = |v: f64| (v.log10() - v.log10().round()).abs() < 1e-9;
    let mut values: Vec<f64> = if span <= 3.0 + 1e-9 {
        candidates.clone()
    } else {
        candidates
            .iter()
            .copied()
            .filter(|&v| is_decade(v))
            .collect()
    };
    for end_value in [start, end] {
        let crowded = values
            .iter()
            .any(|v| (v.log10() - end_value.log10()).abs() < span * 0.08);
        if !crowded {
            values.push(end_value);
        }
    }
    values.sort_by(f64::total_cmp);
    Axis {
        range,
        ticks: values.iter().map(|v| v.log10()).collect(),
        labels: values.iter().map(|&v| format_tick_value(v)).collect(),
        scale: Scale::Log10,
    }
}

/// A value axis for latencies: log when the values span more than [`LOG_SCALE_RATIO`], else
/// linear (from zero when nothing is negative). `None` when no value is finite.
fn value_axis(values: &[f64], target: TickTarget) -> Option<Axis> {
    match log_span(values) {
        Some((lo, hi)) => Some(log_axis(lo, hi)),
        None => linear_value_axis(values, target),
    }
}

fn linear_value_axis(values: &[f64], target: TickTarget) -> Option<Axis> {
    let (lo, hi) = min_max(values)?;
    Some(linear_axis(
        lo.min(0.0),
        hi.max(0.0),
        target.count,
        Padding::Nice,
    ))
}

/// Two zero-based axes with the same number of intervals, so one set of grid lines serves both:
/// tries 3 to 7 intervals and keeps the one that wastes the least height on both sides.
fn aligned_axes(left_max: f64, right_max: f64, size: Size) -> (Axis, Axis) {
    let most = TickTarget::vertical(size).count.max(3);
    let fill = |max: f64, intervals: usize| {
        let step = nice_step(max / intervals as f64);
        (
            step,
            if max > 0.0 {
                max / (step * intervals as f64)
            } else {
                1.0
            },
        )
    };
    let intervals = (3..=most)
        .max_by(|&a, &b| {
            let score = |n| fill(left_max, n).1 * fill(right_max, n).1;
            score(a).total_cmp(&score(b)).then(b.cmp(&a))
        })
        .unwrap_or(most);
    let axis = |max: f64| {
        let (step, _) = fill(max, intervals);
        let hi = step * intervals as f64;
        let ticks: Vec<f64> = (0..=intervals).map(|k| k as f64 * step).collect();
        let format = NumberFormat::for_axis(hi, step);
        Axis {
            range: 0.0..hi,
            labels: ticks.iter().map(|&t| format.format(t)).collect(),
            ticks,
            scale: Scale::Linear,
        }
    };
    (axis(left_max), axis(right_max))
}

/// The time axis over the data's exact span, with its title: seconds, or `m:ss` from ten minutes.
fn time_axis(xs: &[f64], target: TickTarget) -> Option<(Axis, String)> {
    let (lo, hi) = min_max(xs)?;
    if hi - lo < 600.0 {
        let axis = linear_axis(lo, hi, target.count, Padding::Exact);
        return Some((axis, "time (s)".to_string()));
    }
    const STEPS: [f64; 12] = [
        60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0, 7200.0, 10800.0, 21600.0, 43200.0,
    ];
    let raw = (hi - lo) / target.count as f64;
    let step = STEPS
        .into_iter()
        .find(|s| *s >= raw)
        .unwrap_or_else(|| (raw / 86400.0).ceil() * 86400.0);
    let ticks = multiples(lo, hi, step);
    let hours = hi.abs().max(lo.abs()) >= 3600.0;
    let labels = ticks.iter().map(|&t| format_clock(t, hours)).collect();
    let title = if hours {
        "time (h:mm:ss)"
    } else {
        "time (m:ss)"
    };
    let axis = Axis {
        range: lo..hi,
        ticks,
        labels,
        scale: Scale::Linear,
    };
    Some((axis, title.to_string()))
}

/// Where percentile `p` sits on the HdrHistogram axis: `-log10(1 - p/100)`, so 90% is at 1,
/// 99% at 2, 99.9% at 3.
fn percentile_rank(p: f64) -> f64 {
    let p = p.clamp(0.0, PERCENTILE_CAP);
    -(1.0 - p / 100.0).log10()
}

/// Ticks at 0%, 90%, 99%, … up to the first "nines" at or beyond the highest percentile plotted.
fn percentile_axis(max_rank: f64) -> Axis {
    let nines = (max_rank - 1e-9).ceil().clamp(1.0, 5.0) as i32;
    let ticks: Vec<f64> = (0..=nines).map(f64::from).collect();
    let labels = (0..=nines)
        .map(|k| {
            // 90% and 99% need no decimals, 99.9% one, 99.99% two.
            let decimals = (k - 2).max(0) as usize;
            format!("{:.*}%", decimals, 100.0 - 100.0 * 10f64.powi(-k))
        })
        .collect();
    Axis {
        range: 0.0..f64::from(nines),
        ticks,
        labels,
        scale: Scale::Linear,
    }
}

// ---------------------------------------------------------------------------------------------
// Number formatting

/// One format for every tick of an axis: a shared unit suffix (`k`, `M`) and enough decimals for
/// the tick step, so an axis reads `0, 2.5k, 5k, 7.5k` and never `0.30000000000000004`.
#[derive(Debug, Clone, Copy)]
struct NumberFormat {
    divisor: f64,
    suffix: &'static str,
    decimals: usize,
}

impl NumberFormat {
    fn for_axis(max_abs: f64, step: f64) -> Self {
        let (divisor, suffix) = if max_abs >= 1e9 {
            (1e9, "G")
        } else if max_abs >= 1e6 {
            (1e6, "M")
        } else if max_abs >= 1e4 {
            (1e3, "k")
        } else {
            (1.0, "")
        };
        let scaled = step / divisor;
        let decimals = (0..=6)
            .find(|&d| {
                let shifted = scaled * 10f64.powi(d);
                (shifted - shifted.round()).abs() < 1e-6 * shifted.abs().max(1.0)
            })
            .unwrap_or(6) as usize;
        NumberFormat {
            divisor,
            suffix,
            decimals,
        }
    }

    fn format(&self, value: f64) -> String {
        let scaled = value / self.divisor;
        let text = format!("{:.*}", self.decimals, scaled);
        let text = if text
            .trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            "0".to_string() // no "-0" or "0.0" at the origin
        } else {
            group_thousands(&text)
        };
        if text == "0" || self.suffix.is_empty() {
            text
        } else {
            // "5k" beside "2.5k" reads better than "5.0k".
            let trimmed = if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.')
            } else {
                &text
            };
            format!("{trimmed}{}", self.suffix)
        }
    }
}

/// A value printed on its own (bar ends, descriptions): about three significant digits, with
/// `k`/`M`/`G` from ten thousand up.
fn format_value(value: f64) -> String {
    let magnitude = value.abs();
    let text = if magnitude >= 1e9 {
        format!("{:.2}G", value / 1e9)
    } else if magnitude >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if magnitude >= 1e5 {
        format!("{:.0}k", value / 1e3)
    } else if magnitude >= 1e4 {
        format!("{:.1}k", value / 1e3)
    } else if magnitude >= 1000.0 {
        group_thousands(&format!("{value:.0}"))
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else if magnitude == 0.0 {
        "0".to_string()
    } else {
        format!("{value:.3}")
    };
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_string()
    } else {
        text
    }
}

/// A log-axis tick (1-2-5 × 10^k): `0.01`, `0.5`, `20`, `5k`, `1M`.
fn format_tick_value(value: f64) -> String {
    if value >= 1e9 {
        format!("{}G", trim_number(value / 1e9))
    } else if value >= 1e6 {
        format!("{}M", trim_number(value / 1e6))
    } else if value >= 1e4 {
        format!("{}k", trim_number(value / 1e3))
    } else {
        group_thousands(&trim_number(value))
    }
}

/// A 1-2-5 value with no float noise: rounded to 6 significant digits, trailing zeros removed.
fn trim_number(value: f64) -> String {
    let decimals = (5 - value.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Inserts `,` between thousands of the integer part: `12345.6` -> `12,345.6`.
fn group_thousands(number: &str) -> String {
    let (sign, rest) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (int, frac) = match rest.find('.') {
        Some(dot) => rest.split_at(dot),
        None => (rest, ""),
    };
    let mut out = String::with_capacity(number.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(frac);
    out
}

/// Seconds as `m:ss`, or `h:mm:ss` when `hours` (every tick of an axis uses the same form).
fn format_clock(seconds: f64, hours: bool) -> String {
    let sign = if seconds < 0.0 { "-" } else { "" };
    let total = seconds.abs().round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if hours {
        format!("{sign}{h}:{m:02}:{s:02}")
    } else {
        format!("{sign}{m}:{s:02}")
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing

type Root<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Coord = Cartesian2d<AxisCoord, AxisCoord>;

/// plotters' SVG backend writes `font-size` as the requested size / 1.24; [`tidy_font_sizes`]
/// rounds away the float noise that leaves (`15.000000000000002`).
fn font(px: f64) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), px * 1.24, FontStyle::Normal).color(&INK)
}

fn bold_font(px: f64) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), px * 1.24, FontStyle::Bold).color(&INK)
}

/// Estimated rendered width of `text` in pixels (generous, see [`CHAR_EM`]).
fn text_width(text: &str, px: f64) -> f64 {
    text.chars().count() as f64 * px * CHAR_EM
}

fn px(value: f64) -> i32 {
    value.round() as i32
}

fn check_size(size: Size) -> Result<(), ChartError> {
    if size.width < MIN_SIZE.width || size.height < MIN_SIZE.height {
        return Err(ChartError::SizeTooSmall {
            width: size.width,
            height: size.height,
        });
    }
    Ok(())
}

/// Runs `draw` on a fresh SVG canvas and returns the finished document.
fn render(
    size: Size,
    title: &str,
    description: &str,
    draw: impl FnOnce(&Root) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (size.width, size.height)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(finish_svg(&svg, title, description))
}

/// Makes plotters' output theme-neutral and accessible: the ink grey becomes `currentColor`,
/// and the root gets `role`, `aria-label`, a class, the default `color`, `<title>` and `<desc>`.
fn finish_svg(svg: &str, title: &str, description: &str) -> String {
    // Safe to rewrite textually: caller text cannot contain a literal `"` (plotters escapes it),
    // so `"#767676"` only ever occurs as an attribute value we chose.
    let svg = svg.replace(&format!("\"{INK_HEX}\""), "\"currentColor\"");
    let svg = tidy_font_sizes(&svg);
    let Some(root_end) = svg.find('>') else {
        return svg;
    };
    let (open_tag, rest) = svg.split_at(root_end);
    let mut out = String::with_capacity(svg.len() + 2 * description.len() + 256);
    out.push_str(open_tag);
    let _ = write!(
        out,
        " role=\"img\" aria-label=\"{}\" class=\"benchreport-chart\" color=\"{INK_HEX}\">\n<title>{}</title>\n<desc>{}</desc>",
        escape_xml(description),
        escape_xml(title),
        escape_xml(description),
    );
    out.push_str(&rest[1..]);
    out
}

/// Rewrites every `font-size="15.000000000000002"` as `font-size="15"` (at most 2 decimals).
/// Like the colour rewrite, safe because caller text cannot contain a literal `"`.
fn tidy_font_sizes(svg: &str) -> String {
    const KEY: &str = "font-size=\"";
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(at) = rest.find(KEY) {
        let (before, after) = rest.split_at(at + KEY.len());
        out.push_str(before);
        let end = after.find('"').unwrap_or(after.len());
        let (value, tail) = after.split_at(end);
        match value.parse::<f64>() {
            Ok(size) => {
                let rounded = format!("{size:.2}");
                out.push_str(rounded.trim_end_matches('0').trim_end_matches('.'));
            }
            Err(_) => out.push_str(value),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Draws the title and, for several series, a legend row below it; returns the area left for
/// the plot.
fn draw_header<'a>(
    root: &Root<'a>,
    title: &str,
    legend: &[(&str, RGBColor)],
    size: Size,
) -> Result<Root<'a>, ChartError> {
    let title_style = bold_font(TITLE_PX).pos(Pos::new(HPos::Left, VPos::Top));
    let room = f64::from(size.width) - f64::from(2 * PAD);
    // Bold glyphs are about 10% wider than the regular ones `text_width` assumes.
    let title = truncate_to_width(title, room / 1.1, TITLE_PX);
    root.draw_text(&title, &title_style, (PAD, 10))?;
    let mut height = 10 + px(TITLE_PX * 1.3) + 8;
    if legend.len() > 1 {
        height += draw_legend(root, legend, height, size)? + 4;
    }
    Ok(root.split_vertically(height).1)
}

/// A wrapping row of "── name" entries starting at `top`; returns the height it used.
fn draw_legend(
    root: &Root,
    entries: &[(&str, RGBColor)],
    top: i32,
    size: Size,
) -> Result<i32, ChartError> {
    const SWATCH: i32 = 18;
    const GAP: i32 = 6;
    const SPACING: i32 = 20;
    let row_height = px(LEGEND_PX * 1.6);
    let style = font(LEGEND_PX).pos(Pos::new(HPos::Left, VPos::Center));
    let (mut x, mut y) = (PAD, top + row_height / 2);
    let room = f64::from(size.width) - f64::from(2 * PAD + SWATCH + GAP);
    for (label, colour) in entries {
        let label = truncate_to_width(label, room, LEGEND_PX);
        let width = SWATCH + GAP + px(text_width(&label, LEGEND_PX));
        if x > PAD && x + width > size.width as i32 - PAD {
            x = PAD;
            y += row_height;
        }
        let swatch = PathElement::new(
            vec![(x, y), (x + SWATCH, y)],
            colour.stroke_width(LINE_WIDTH + 1),
        );
        root.draw(&swatch)?;
        root.draw_text(&label, &style, (x + SWATCH + GAP, y))?;
        x += width + SPACING;
    }
    Ok(y + row_height / 2 - top)
}

/// The title and a centred "no data" note, for input with nothing to plot.
fn no_data_chart(title: &str, kind: &str, size: Size) -> Result<String, ChartError> {
    let description = format!("{kind}: {title}. No data.");
    render(size, title, &description, |root| {
        let body = draw_header(root, title, &[], size)?;
        let (w, h) = body.dim_in_pixel();
        let style = font(TICK_PX + 2.0).pos(Pos::new(HPos::Center, VPos::Center));
        body.draw_text("no data", &style, (w as i32 / 2, h as i32 / 2))?;
        Ok(())
    })
}

/// Sizes of the label areas around the plot, from the labels they must hold.
struct Frame {
    left: i32,
    bottom: i32,
    right: i32,
}

impl Frame {
    fn new(left_axis: &Axis, right_axis: Option<&Axis>, x_axis: &Axis) -> Frame {
        let axis_title_band = px(AXIS_TITLE_PX * 1.2) + 8;
        let ticks = |axis: &Axis| px(axis.widest_label(TICK_PX)) + 12;
        // Half of the last x label hangs past the plot's right edge.
        let overhang = x_axis
            .labels
            .last()
            .map_or(0, |l| px(text_width(l, TICK_PX) / 2.0))
            + 6;
        Frame {
            left: axis_title_band + ticks(left_axis),
            bottom: px(TICK_PX * 1.3) + 6 + axis_title_band,
            right: right_axis.map_or(overhang.max(PAD), |axis| axis_title_band + ticks(axis)),
        }
    }

    fn build<'a, 'b>(
        &self,
        body: &'a Root<'b>,
        x: &Axis,
        y: &Axis,
        has_right_axis: bool,
    ) -> Result<ChartContext<'a, SVGBackend<'b>, Coord>, ChartError> {
        let mut builder = ChartBuilder::on(body);
        builder
            .margin_top(6)
            .margin_left(PAD / 2)
            .margin_bottom(4)
            .x_label_area_size(self.bottom)
            .y_label_area_size(self.left);
        if has_right_axis {
            builder
                .right_y_label_area_size(self.right)
                .margin_right(PAD / 2);
        } else {
            builder.margin_right(self.right);
        }
        Ok(builder.build_cartesian_2d(x.ranged(), y.ranged())?)
    }
}

/// Which grid lines a chart wants.
#[derive(Clone, Copy, PartialEq)]
enum Grid {
    Both,
    /// Horizontal lines only (histogram: vertical lines would cut the bars).
    Horizontal,
    /// Vertical lines only (horizontal bars).
    Vertical,
}

fn draw_mesh(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Coord>,
    (x, x_title): (&Axis, &str),
    (y, y_title): (&Axis, &str),
    grid: Grid,
) -> Result<(), ChartError> {
    let (width, height) = chart.plotting_area().dim_in_pixel();
    let x = x.thinned(f64::from(width), |l| text_width(l, TICK_PX));
    let y = y.thinned(f64::from(height), |_| TICK_PX * 1.2);
    let x_label = |v: &f64| x.label(*v);
    let y_label = |v: &f64| y.label(*v);
    // Axis titles longer than their axis are cut rather than drawn past the chart's edges.
    let x_title = truncate_to_width(x_title, f64::from(width), AXIS_TITLE_PX);
    let y_title = truncate_to_width(y_title, f64::from(height), AXIS_TITLE_PX);
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(font(TICK_PX))
        .axis_desc_style(font(AXIS_TITLE_PX))
        .axis_style(INK.mix(0.7))
        .bold_line_style(INK.mix(0.22))
        .light_line_style(TRANSPARENT)
        .set_all_tick_mark_size(4)
        .x_desc(x_title);
    if !y_title.is_empty() {
        mesh.y_desc(y_title);
    }
    match grid {
        Grid::Both => {}
        Grid::Horizontal => {
            mesh.disable_x_mesh();
        }
        Grid::Vertical => {
            mesh.disable_y_mesh();
        }
    }
    Ok(mesh.draw()?)
}

/// A shaded, labelled span of the x axis; nothing when it misses the axis entirely.
fn draw_window(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Coord>,
    x: &Axis,
    y: &Axis,
    (start, end, label): &(f64, f64, String),
) -> Result<(), ChartError> {
    let start = start.max(x.range.start);
    let end = end.min(x.range.end);
    if !(start.is_finite() && end.is_finite() && end > start) {
        return Ok(());
    }
    let shade = Rectangle::new(
        [(start, y.range.start), (end, y.range.end)],
        INK.mix(0.12).filled(),
    );
    chart.draw_series(std::iter::once(shade))?;
    // The label sits inside the window's top corner that faces the middle of the plot, so it is
    // never pushed past the plot's edge.
    let middle = (x.range.start + x.range.end) / 2.0;
    let (corner, dx, h_pos) = if start <= middle {
        (start, 5, HPos::Left)
    } else {
        (end, -5, HPos::Right)
    };
    let style = font(NOTE_PX).pos(Pos::new(h_pos, VPos::Top));
    let note = EmptyElement::at((corner, y.range.end)) + Text::new(label.clone(), (dx, 5), style);
    chart.draw_series(std::iter::once(note))?;
    Ok(())
}

/// A line chart with one or two value axes: time, percentile and resource charts.
struct LineChart<'t> {
    title: &'t str,
    x: Axis,
    x_title: String,
    y: Axis,
    y_title: String,
    lines: Vec<Line>,
    window: Option<(f64, f64, String)>,
    right: Option<RightAxis>,
}

struct RightAxis {
    axis: Axis,
    title: String,
    lines: Vec<Line>,
}

impl LineChart<'_> {
    fn all_lines(&self) -> impl Iterator<Item = &Line> {
        self.lines
            .iter()
            .chain(self.right.iter().flat_map(|r| r.lines.iter()))
    }

    fn describe(&self, kind: &str) -> String {
        let names: Vec<&str> = self.all_lines().map(|l| l.label.as_str()).collect();
        let mut text = format!(
            "{kind}: {}. x axis: {}; y axis: {}",
            self.title, self.x_title, self.y_title
        );
        if let Some(right) = &self.right {
            let _ = write!(text, "; right axis: {}", right.title);
        }
        let _ = write!(text, ". Series: {}.", names.join(", "));
        if let Some((start, end, label)) = &self.window {
            let _ = write!(
                text,
                " Shaded: {label} from {} s to {} s.",
                format_value(*start),
                format_value(*end)
            );
        }
        text
    }

    fn draw(&self, root: &Root, size: Size) -> Result<(), ChartError> {
        let legend: Vec<(&str, RGBColor)> = self
            .all_lines()
            .map(|l| (l.label.as_str(), l.colour))
            .collect();
        let body = draw_header(root, self.title, &legend, size)?;
        let frame = Frame::new(&self.y, self.right.as_ref().map(|r| &r.axis), &self.x);
        let chart = frame.build(&body, &self.x, &self.y, self.right.is_some())?;
        let Some(right) = &self.right else {
            let mut chart = chart;
            return self.draw_primary(&mut chart);
        };
        // The secondary coordinate takes over the right label area only from here on, so the
        // primary mesh must be drawn after this, or it would label both sides.
        let mut chart = chart.set_secondary_coord(self.x.ranged(), right.axis.ranged());
        self.draw_primary(&mut chart)?;
        let label = |v: &f64| right.axis.label(*v);
        chart
            .configure_secondary_axes()
            .y_label_formatter(&label)
            .label_style(font(TICK_PX))
            .axis_desc_style(font(AXIS_TITLE_PX))
            .axis_style(INK.mix(0.7))
            .set_all_tick_mark_size(4)
            .y_desc(right.title.as_str())
            .draw()?;
        for line in &right.lines {
            chart.draw_secondary_series(line.elements())?;
        }
        Ok(())
    }

    /// The window, grid, axes and left-axis lines.
    fn draw_primary(
        &self,
        chart: &mut ChartContext<'_, SVGBackend<'_>, Coord>,
    ) -> Result<(), ChartError> {
        if let Some(window) = &self.window {
            draw_window(chart, &self.x, &self.y, window)?;
        }
        draw_mesh(
            chart,
            (&self.x, &self.x_title),
            (&self.y, &self.y_title),
            Grid::Both,
        )?;
        for line in &self.lines {
            chart.draw_series(line.elements())?;
        }
        Ok(())
    }
}

fn draw_histogram(
    root: &Root,
    title: &str,
    x: &Axis,
    y: &Axis,
    bins: &[HistogramBar],
    size: Size,
) -> Result<(), ChartError> {
    let body = draw_header(root, title, &[], size)?;
    let frame = Frame::new(y, None, x);
    let mut chart = frame.build(&body, x, y, false)?;
    draw_mesh(
        &mut chart,
        (x, &x.scale.title("latency (ms)")),
        (y, "requests (count)"),
        Grid::Horizontal,
    )?;
    let plot_width = f64::from(size.width) - f64::from(frame.left + frame.right);
    // Separate bars by a pixel only when they are wide enough to spare it.
    let gap = u32::from(plot_width / bins.len() as f64 >= 6.0);
    let fill = series_colour(0).mix(0.85).filled();
    let to_x = |ms: f64| {
        x.scale
            .to_coord(ms)
            .unwrap_or(x.range.start)
            .max(x.range.start)
    };
    let rects = bins.iter().filter(|b| b.count > 0).map(|b| {
        let mut rect = Rectangle::new(
            [(to_x(b.lower_ms), 0.0), (to_x(b.upper_ms), b.count as f64)],
            fill,
        );
        rect.set_margin(0, 0, gap, gap);
        rect
    });
    chart.draw_series(rects)?;
    Ok(())
}

fn describe_bars(bars: &[Bar], value_label: &str) -> String {
    let values: Vec<String> = bars
        .iter()
        .map(|b| {
            let best = if b.highlight { " (best)" } else { "" };
            format!("{}: {}{best}", b.label, format_value(b.value))
        })
        .collect();
    format!("Bar chart of {value_label}. {}.", values.join("; "))
}

/// Cuts `text` to at most `max_px` wide (estimated), ending with "…" when cut.
fn truncate_to_width(text: &str, max_px: f64, font_px: f64) -> String {
    if text_width(text, font_px) <= max_px {
        return text.to_string();
    }
    let keep = ((max_px / (font_px * CHAR_EM)).floor() as usize).saturating_sub(1);
    let mut cut: String = text.chars().take(keep).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

fn draw_bars(
    root: &Root,
    title: &str,
    value_label: &str,
    bars: &[Bar],
    size: Size,
) -> Result<(), ChartError> {
    let max_name_px = f64::from(size.width) * 0.4;
    let names: Vec<String> = bars
        .iter()
        .map(|b| truncate_to_width(&b.label, max_name_px, TICK_PX))
        .collect();
    let value_texts: Vec<String> = bars
        .iter()
        .map(|b| {
            let best = if b.highlight { " (best)" } else { "" };
            format!("{}{best}", format_value(b.value))
        })
        .collect();
    let n = bars.len();
    // Category axis: bar i (from the top) occupies [n-1-i, n-i]; its tick is the band's centre.
    let category = Axis {
        range: 0.0..n as f64,
        ticks: (0..n).map(|i| (n - 1 - i) as f64 + 0.5).collect(),
        labels: names,
        scale: Scale::Linear,
    };
    let body = draw_header(root, title, &[], size)?;
    let (lo, hi) = min_max(&bars.iter().map(|b| b.value).collect::<Vec<_>>()).unwrap_or((0.0, 1.0));
    let provisional = linear_axis(lo.min(0.0), hi.max(0.0), 5, Padding::Nice);
    let mut frame = Frame::new(&category, None, &provisional);
    // The category axis has no axis title: give its band back to the names.
    frame.left -= px(AXIS_TITLE_PX * 1.2) + 8;
    // Leave room right of the longest bar for its printed value.
    let widest_value = value_texts
        .iter()
        .map(|t| text_width(t, TICK_PX))
        .fold(0.0, f64::max);
    let plot_width = f64::from(size.width) - f64::from(frame.left + frame.right + PAD / 2);
    let bar_room = (plot_width - widest_value - 10.0).max(plot_width * 0.3);
    let value_hi = hi.max(0.0) * plot_width / bar_room;
    let target = (plot_width / 95.0).clamp(3.0, 10.0) as usize;
    let value_axis = linear_axis(lo.min(0.0), value_hi, target, Padding::Nice);
    let mut chart = frame.build(&body, &value_axis, &category, false)?;
    draw_mesh(
        &mut chart,
        (&value_axis, value_label),
        (&category, ""),
        Grid::Vertical,
    )?;
    let band_px = f64::from(body.dim_in_pixel().1) / (n as f64 + 1.0);
    let inset = (band_px * 0.18).round().clamp(1.0, 8.0) as u32;
    let rects = bars.iter().enumerate().map(|(i, bar)| {
        let colour = if bar.highlight {
            series_colour(1)
        } else {
            series_colour(0)
        };
        let row = (n - 1 - i) as f64;
        let mut rect = Rectangle::new([(0.0, row), (bar.value, row + 1.0)], colour.filled());
        rect.set_margin(inset, inset, 0, 0);
        rect
    });
    chart.draw_series(rects)?;
    let style = font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center));
    let notes = bars
        .iter()
        .zip(&value_texts)
        .enumerate()
        .map(|(i, (bar, text))| {
            let row = (n - 1 - i) as f64 + 0.5;
            EmptyElement::at((bar.value.max(0.0), row))
                + Text::new(text.clone(), (6, 0), style.clone())
        });
    chart.draw_series(notes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;
    use quick_xml::Reader;

    const NASTY: &str = "<script>alert(1)</script> & \"";

    /// Reads every XML event, unescaping text and attributes, and returns the text of each
    /// drawn `<text>` element (trimmed); panics with the position on the first error.
    fn drawn_texts(svg: &str) -> Vec<String> {
        let mut reader = Reader::from_str(svg);
        reader.config_mut().check_end_names = true;
        let mut texts = Vec::new();
        let mut open: Vec<Vec<u8>> = Vec::new();
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Start(e)) => {
                    check_attributes(&e);
                    open.push(e.name().as_ref().to_vec());
                }
                Ok(Event::End(_)) => {
                    open.pop();
                }
                Ok(Event::Empty(e)) => check_attributes(&e),
                Ok(Event::Text(t)) => {
                    let text = t.unescape().expect("text unescapes");
                    if open.last().is_some_and(|name| name == b"text") {
                        texts.push(text.trim().to_string());
                    }
                }
                Ok(_) => {}
                Err(e) => panic!("invalid XML at {}: {e}\n{svg}", reader.buffer_position()),
            }
        }
        assert!(open.is_empty(), "unclosed elements {open:?}");
        texts
    }

    fn check_attributes(element: &quick_xml::events::BytesStart) {
        for attr in element.attributes() {
            attr.expect("attribute parses")
                .unescape_value()
                .expect("attribute unescapes");
        }
    }

    /// A valid, accessible SVG whose drawn text includes each of `expected` (as a substring).
    fn assert_chart(svg: &str, expected: &[&str]) {
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("aria-label=\""));
        assert!(svg.contains("<title>") && svg.contains("<desc>"));
        assert!(!svg.contains("#FFFFFF"), "no white fill");
        let texts = drawn_texts(svg);
        for expected in expected {
            assert!(
                texts.iter().any(|t| t.contains(expected)),
                "{expected:?} is not drawn; drawn: {texts:?}"
            );
        }
    }

    fn has_text(svg: &str, exact: &str) -> bool {
        drawn_texts(svg).iter().any(|t| t == exact)
    }

    fn ramp(n: usize, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..n).map(|i| (i as f64, f(i as f64))).collect()
    }

    fn sample_bars() -> BarChart<'static> {
        BarChart {
            title: "Throughput by run",
            value_label: "requests / s",
            bars: vec![
                Bar {
                    label: "async-rust (tokio, 4 workers)".into(),
                    value: 12_840.5,
                    highlight: true,
                },
                Bar {
                    label: "sync-python-gunicorn-with-a-very-long-configuration-name".into(),
                    value: 3_120.25,
                    highlight: false,
                },
                Bar {
                    label: "node".into(),
                    value: 8_402.0,
                    highlight: false,
                },
            ],
        }
    }

    fn sample_curves() -> Vec<PercentileCurve> {
        let ps = [
            0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0,
        ];
        let a = [0.4, 0.9, 1.2, 1.9, 3.1, 5.5, 8.0, 21.0, 64.0, 180.0, 410.0];
        let b = [
            0.6, 1.4, 2.0, 3.3, 5.8, 9.9, 14.0, 36.0, 120.0, 260.0, 300.0,
        ];
        vec![
            PercentileCurve {
                name: "async-rust".into(),
                points: ps.iter().copied().zip(a).collect(),
            },
            PercentileCurve {
                name: "node".into(),
                points: ps.iter().copied().zip(b).collect(),
            },
        ]
    }

    fn sample_histogram() -> Vec<HistogramBar> {
        let counts = [3, 40, 180, 420, 610, 530, 300, 140, 60, 22, 9, 4, 1];
        counts
            .iter()
            .enumerate()
            .map(|(i, &count)| HistogramBar {
                lower_ms: i as f64 * 2.5,
                upper_ms: (i + 1) as f64 * 2.5,
                count,
            })
            .collect()
    }

    fn sample_time_series() -> Vec<TimeSeries> {
        let mean = ramp(300, |t| {
            4.0 + (t / 9.0).sin() * 0.8 + if t > 200.0 { 2.0 } else { 0.0 }
        });
        let max = ramp(300, |t| {
            12.0 + (t * 1.7).sin().abs() * 30.0 + (t / 40.0).cos() * 5.0
        });
        vec![
            TimeSeries {
                name: "mean".into(),
                unit: "ms".into(),
                points: mean,
            },
            TimeSeries {
                name: "max".into(),
                unit: "ms".into(),
                points: max,
            },
        ]
    }

    type Points = Vec<(f64, f64)>;

    fn sample_resources() -> (Points, Points) {
        let cpu = ramp(240, |t| {
            if (30.0..200.0).contains(&t) {
                150.0 + (t / 5.0).sin() * 20.0
            } else {
                2.0
            }
        })
        .into_iter()
        .map(|(t, v)| (t * 0.5, v))
        .collect();
        let mem = ramp(240, |t| 180.0 + t.min(200.0) * 0.45)
            .into_iter()
            .map(|(t, v)| (t * 0.5, v))
            .collect();
        (cpu, mem)
    }

    fn load_window() -> Window<'static> {
        Window {
            start_s: 15.0,
            end_s: 100.0,
            label: "load window",
        }
    }

    #[test]
    fn xy_chart_names_its_x_axis() {
        let series = [TimeSeries {
            name: "throughput".into(),
            unit: "req/s".into(),
            points: vec![(1.0, 10.0), (2.0, 19.0), (4.0, 30.0)],
        }];
        let svg = xy_chart(
            "Scaling",
            "concurrency (clients)",
            "req/s",
            &series,
            Size::default(),
        )
        .unwrap();
        assert!(svg.contains("concurrency (clients)"));
        assert!(svg.contains("Scaling"));
        let empty = xy_chart("Scaling", "clients", "req/s", &[], Size::default()).unwrap();
        assert!(empty.contains("no data"));
    }

    #[test]
    fn bar_chart_has_title_axis_title_names_and_values() {
        let svg = bar_chart(&sample_bars(), Size::for_bars(3)).unwrap();
        assert_chart(
            &svg,
            &[
                "Throughput by run",
                "requests / s",
                "async-rust (tokio, 4 workers)",
                "sync-python-gunicorn-with-a-very-long",
                "12.8k (best)",
                "3,120",
                "8,402",
            ],
        );
        // The long name is cut in the drawing but complete in the description.
        assert!(svg.contains("…"));
        assert!(svg.contains("sync-python-gunicorn-with-a-very-long-configuration-name: 3,120"));
    }

    #[test]
    fn percentile_chart_uses_nines_axis_and_log_latency() {
        let svg =
            percentile_chart("Latency by percentile", &sample_curves(), Size::default()).unwrap();
        assert_chart(
            &svg,
            &[
                "Latency by percentile",
                "0%",
                "90%",
                "99%",
                "99.9%",
                "99.99%",
                "99.999%",
                "latency (ms), log scale",
                "async-rust",
                "node",
            ],
        );
        // 0.4 ms .. 410 ms spans 1000x: decades, and the ends 0.2 and 500.
        for tick in ["0.2", "1", "10", "100", "500"] {
            assert!(has_text(&svg, tick), "{tick}");
        }
    }

    #[test]
    fn percentile_chart_is_linear_from_zero_for_a_narrow_span() {
        let curve = PercentileCurve {
            name: "only".into(),
            points: vec![(50.0, 2.0), (90.0, 3.5), (99.0, 7.0)],
        };
        let svg = percentile_chart("Narrow", &[curve], Size::default()).unwrap();
        assert!(has_text(&svg, "latency (ms)") && has_text(&svg, "0"));
        assert!(!svg.contains("log scale"));
        // One curve: no legend entry repeating its name.
        assert!(!has_text(&svg, "only"));
        // p99 is the highest percentile, so the axis stops at 99%.
        assert!(has_text(&svg, "99%") && !has_text(&svg, "99.9%"));
    }

    #[test]
    fn histogram_chart_labels_axes() {
        let svg =
            histogram_chart("Latency distribution", &sample_histogram(), Size::default()).unwrap();
        assert_chart(
            &svg,
            &[
                "Latency distribution",
                "latency (ms)",
                "requests (count)",
                "600",
            ],
        );
        assert!(svg.contains("2,319 requests in all"));
    }

    #[test]
    fn histogram_switches_to_log_x_for_wide_bins() {
        let bins: Vec<HistogramBar> = (0..12)
            .map(|i| HistogramBar {
                lower_ms: 0.1 * 2f64.powi(i),
                upper_ms: 0.1 * 2f64.powi(i + 1),
                count: 10 + i as u64,
            })
            .collect();
        let svg = histogram_chart("Wide", &bins, Size::default()).unwrap();
        assert_chart(&svg, &["latency (ms), log scale", "0.1", "100"]);
    }

    #[test]
    fn time_chart_shares_one_axis_and_shades_the_window() {
        let svg = time_chart(
            "Latency over time",
            "latency (ms)",
            &sample_time_series(),
            Some(load_window()),
            Size::default(),
        )
        .unwrap();
        assert_chart(
            &svg,
            &[
                "Latency over time",
                "latency (ms)",
                "time (s)",
                "mean",
                "max",
                "load window",
            ],
        );
    }

    #[test]
    fn time_chart_names_units_when_they_differ_and_uses_clock_ticks() {
        let series = vec![
            TimeSeries {
                name: "rps".into(),
                unit: "requests / s".into(),
                points: ramp(50, |t| t * 10.0)
                    .iter()
                    .map(|p| (p.0 * 60.0, p.1))
                    .collect(),
            },
            TimeSeries {
                name: "errors".into(),
                unit: "errors / s".into(),
                points: ramp(50, |_| 1.0)
                    .iter()
                    .map(|p| (p.0 * 60.0, p.1))
                    .collect(),
            },
        ];
        let svg = time_chart("Mixed", "per second", &series, None, Size::default()).unwrap();
        assert_chart(
            &svg,
            &[
                "rps (requests / s)",
                "errors (errors / s)",
                "time (m:ss)",
                "10:00",
            ],
        );
    }

    #[test]
    fn resource_chart_has_two_value_axes_and_active_window() {
        let (cpu, mem) = sample_resources();
        let active = Window {
            start_s: 15.0,
            end_s: 100.0,
            label: "active",
        };
        let svg = resource_chart(
            "Server resources",
            &cpu,
            &mem,
            Some(active),
            Size::default(),
        )
        .unwrap();
        assert_chart(
            &svg,
            &[
                "Server resources",
                "CPU (%)",
                "memory (MB)",
                "time (s)",
                "active",
            ],
        );
        // Memory peaks at 270 MB: its axis must reach that far.
        assert!(has_text(&svg, "300"), "{:?}", drawn_texts(&svg));
    }

    #[test]
    fn resource_chart_with_memory_only_uses_the_left_axis() {
        let (_, mem) = sample_resources();
        let svg = resource_chart("Memory", &[], &mem, None, Size::default()).unwrap();
        assert_chart(&svg, &["memory (MB)", "300"]);
        assert!(!has_text(&svg, "CPU (%)"));
    }

    #[test]
    fn aligned_axes_share_interval_count() {
        let (cpu, mem) = aligned_axes(163.4, 275.7, Size::default());
        assert_eq!(cpu.ticks.len(), mem.ticks.len());
        assert!(cpu.range.end >= 163.4 && mem.range.end >= 275.7);
        assert_eq!(cpu.range.start, 0.0);
    }

    #[test]
    fn user_text_is_escaped_and_the_svg_stays_valid_xml() {
        let mut bars = sample_bars();
        bars.title = NASTY;
        bars.value_label = NASTY;
        bars.bars[0].label = NASTY.to_string();
        bars.bars[1].label = "tab\tbell\u{7}nul\u{0}".to_string();
        let curves = vec![PercentileCurve {
            name: NASTY.to_string(),
            points: vec![(50.0, 1.0), (99.0, 3.0)],
        }];
        let series = vec![TimeSeries {
            name: NASTY.to_string(),
            unit: NASTY.to_string(),
            points: ramp(10, |t| t),
        }];
        let window = Window {
            start_s: 1.0,
            end_s: 5.0,
            label: NASTY,
        };
        let svgs = [
            bar_chart(&bars, Size::default()).unwrap(),
            percentile_chart(NASTY, &curves, Size::default()).unwrap(),
            histogram_chart(NASTY, &sample_histogram(), Size::default()).unwrap(),
            time_chart(NASTY, NASTY, &series, Some(window), Size::default()).unwrap(),
            resource_chart(
                NASTY,
                &[(0.0, 1.0)],
                &[(0.0, 2.0)],
                Some(window),
                Size::default(),
            )
            .unwrap(),
            histogram_chart(NASTY, &[], Size::default()).unwrap(),
        ];
        for svg in &svgs {
            assert!(!svg.contains("<script"), "unescaped markup in:\n{svg}");
            assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;"));
            assert!(has_text(svg, NASTY), "the text survives a round trip");
        }
    }

    #[test]
    fn same_input_gives_identical_bytes() {
        let render_all = || {
            let (cpu, mem) = sample_resources();
            [
                bar_chart(&sample_bars(), Size::default()).unwrap(),
                percentile_chart("p", &sample_curves(), Size::default()).unwrap(),
                histogram_chart("h", &sample_histogram(), Size::default()).unwrap(),
                time_chart("t", "ms", &sample_time_series(), None, Size::default()).unwrap(),
                resource_chart("r", &cpu, &mem, Some(load_window()), Size::default()).unwrap(),
            ]
        };
        assert_eq!(render_all(), render_all());
    }

    #[test]
    fn non_finite_values_are_skipped() {
        let series = vec![TimeSeries {
            name: "rps".into(),
            unit: "requests / s".into(),
            points: vec![
                (0.0, 1.0),
                (1.0, f64::NAN),
                (f64::INFINITY, 2.0),
                (2.0, f64::NEG_INFINITY),
                (3.0, 4.0),
            ],
        }];
        let svg = time_chart("NaN", "requests / s", &series, None, Size::default()).unwrap();
        assert_chart(&svg, &["NaN", "requests / s"]);
        assert!(!svg.contains("NaN,") && !svg.to_lowercase().contains("inf"));

        let bars = BarChart {
            title: "b",
            value_label: "rps",
            bars: vec![
                Bar {
                    label: "nan".into(),
                    value: f64::NAN,
                    highlight: false,
                },
                Bar {
                    label: "ok".into(),
                    value: 5.0,
                    highlight: false,
                },
            ],
        };
        assert_chart(&bar_chart(&bars, Size::default()).unwrap(), &["ok"]);

        let curve = PercentileCurve {
            name: "c".into(),
            points: vec![
                (f64::NAN, 1.0),
                (50.0, f64::INFINITY),
                (101.0, 3.0),
                (50.0, 2.0),
            ],
        };
        let svg = percentile_chart("p", &[curve], Size::default()).unwrap();
        assert_chart(&svg, &["90%"]);
        assert_eq!(
            svg.matches("<circle").count(),
            1,
            "a lone point is drawn as a dot"
        );

        let bins = [
            HistogramBar {
                lower_ms: f64::NAN,
                upper_ms: 1.0,
                count: 3,
            },
            HistogramBar {
                lower_ms: 1.0,
                upper_ms: 2.0,
                count: 4,
            },
        ];
        assert_chart(
            &histogram_chart("h", &bins, Size::default()).unwrap(),
            &["h"],
        );

        let nan_only = [(f64::NAN, f64::NAN)];
        let svg = resource_chart("r", &nan_only, &nan_only, None, Size::default()).unwrap();
        assert_chart(&svg, &["no data"]);
    }

    #[test]
    fn empty_input_renders_no_data() {
        let (cpu, mem) = (Vec::new(), Vec::new());
        let empty_bars = BarChart {
            title: "Empty",
            value_label: "rps",
            bars: vec![],
        };
        let svgs = [
            bar_chart(&empty_bars, Size::default()).unwrap(),
            percentile_chart("Empty", &[], Size::default()).unwrap(),
            histogram_chart("Empty", &[], Size::default()).unwrap(),
            time_chart("Empty", "ms", &[], None, Size::default()).unwrap(),
            resource_chart("Empty", &cpu, &mem, None, Size::default()).unwrap(),
        ];
        for svg in &svgs {
            assert_chart(svg, &["Empty", "no data"]);
            assert!(svg.contains("No data."));
        }
    }

    #[test]
    fn every_chart_renders_at_the_minimum_size() {
        let (cpu, mem) = sample_resources();
        let mut bars = sample_bars();
        bars.bars[2].value = -1500.0;
        let svgs = [
            bar_chart(&bars, MIN_SIZE).unwrap(),
            percentile_chart("p", &sample_curves(), MIN_SIZE).unwrap(),
            histogram_chart("h", &sample_histogram(), MIN_SIZE).unwrap(),
            time_chart(
                "t",
                "ms",
                &sample_time_series(),
                Some(load_window()),
                MIN_SIZE,
            )
            .unwrap(),
            resource_chart("r", &cpu, &mem, Some(load_window()), MIN_SIZE).unwrap(),
        ];
        for svg in &svgs {
            assert_chart(svg, &[]);
        }
    }

    #[test]
    fn too_small_a_size_is_an_error() {
        let err = histogram_chart(
            "h",
            &[],
            Size {
                width: 10,
                height: 10,
            },
        )
        .unwrap_err();
        assert!(matches!(
            err,
            ChartError::SizeTooSmall {
                width: 10,
                height: 10
            }
        ));
        assert!(err.to_string().contains("320x200"));
    }

    #[test]
    fn font_sizes_are_written_without_float_noise() {
        assert_eq!(
            tidy_font_sizes(
                r#"<text font-size="15.000000000000002">a</text><text font-size="12.5">"#
            ),
            r#"<text font-size="15">a</text><text font-size="12.5">"#
        );
        let svg = time_chart(
            "t",
            "ms",
            &sample_time_series(),
            Some(load_window()),
            Size::default(),
        )
        .unwrap();
        assert!(svg.contains(r#"font-size="15""#) && svg.contains(r#"font-size="12.5""#));
        assert!(!svg.contains("00000"), "float noise in:\n{svg}");
    }

    #[test]
    fn theme_neutral_colours() {
        let svg = time_chart("t", "ms", &sample_time_series(), None, Size::default()).unwrap();
        assert!(svg.contains("fill=\"currentColor\""));
        assert!(svg.contains("color=\"#767676\""));
        assert!(!svg.contains("fill=\"#767676\""));
        assert!(!svg.contains("#FFFFFF") && !svg.contains("#000000"));
        assert!(svg.contains("stroke=\"#0072B2\"") && svg.contains("stroke=\"#E69F00\""));
    }

    #[test]
    fn a_million_points_render_within_the_budget() {
        let huge: Vec<(f64, f64)> = ramp(1_000_000, |t| (t / 1000.0).sin() * 100.0 + 200.0);
        let series = vec![TimeSeries {
            name: "rps".into(),
            unit: "requests / s".into(),
            points: huge,
        }];
        let svg = time_chart("Big", "requests / s", &series, None, Size::default()).unwrap();
        let polyline = svg
            .lines()
            .find(|l| l.contains("<polyline") && l.contains("#0072B2"))
            .unwrap();
        let points = polyline
            .split('"')
            .skip_while(|a| !a.ends_with("points="))
            .nth(1);
        let points = points.unwrap().split_whitespace().count();
        assert!(points <= DEFAULT_POINT_BUDGET, "{points}");
    }

    #[test]
    fn lttb_picks_the_hand_computed_points() {
        // n = 7, budget = 4: two buckets of width (7-2)/(4-2) = 2.5 between the end points.
        // Bucket 1 = points 1..3 = {(1,1), (2,5)}; next bucket 3..6 averages to (4, 5/3).
        //   Twice the triangle area with a = (0,0): |-4y + 5x/3| -> (1,1): 7/3, (2,5): 50/3.
        //   Keep (2,5).
        // Bucket 2 = points 3..6 = {(3,2), (4,0), (5,3)}; the next "bucket" is the last point (6,0).
        //   With a = (2,5): |-4(y-5) + 5(2-x)| -> (3,2): 7, (4,0): 10, (5,3): 7. Keep (4,0).
        let points = [
            (0.0, 0.0),
            (1.0, 1.0),
            (2.0, 5.0),
            (3.0, 2.0),
            (4.0, 0.0),
            (5.0, 3.0),
            (6.0, 0.0),
        ];
        assert_eq!(
            downsample_lttb(&points, 4),
            vec![(0.0, 0.0), (2.0, 5.0), (4.0, 0.0), (6.0, 0.0)]
        );
    }

    #[test]
    fn lttb_keeps_ends_and_respects_the_budget() {
        let points = ramp(10_007, |t| (t * 0.37).sin() * t);
        for budget in [3, 4, 10, 99, 1500, 10_006] {
            let kept = downsample_lttb(&points, budget);
            assert_eq!(kept.len(), budget, "budget {budget}");
            assert_eq!(kept.first(), points.first());
            assert_eq!(kept.last(), points.last());
            assert!(kept.windows(2).all(|w| w[0].0 < w[1].0), "order kept");
        }
        assert_eq!(downsample_lttb(&points, 20_000), points);
        assert_eq!(downsample_lttb(&points, 2), vec![points[0], points[10_006]]);
        assert_eq!(downsample_lttb(&points, 1), vec![points[0]]);
        assert!(downsample_lttb(&points, 0).is_empty());
        assert!(downsample_lttb(&[], 10).is_empty());
    }

    #[test]
    fn lttb_drops_non_finite_points() {
        let mut points = ramp(100, |t| t);
        points[50].1 = f64::NAN;
        points[60].0 = f64::INFINITY;
        let kept = downsample_lttb(&points, 10);
        assert_eq!(kept.len(), 10);
        assert!(kept.iter().all(is_finite_point));
        assert_eq!(downsample_lttb(&points, 1000).len(), 98);
    }

    #[test]
    fn minmax_keeps_every_bucket_extreme_in_order() {
        // 3 buckets of 4: [1, 9, 0, 5] -> 9 (i=1), 0 (i=2); [5, 5, 5, 5] -> one point;
        // [2, -7, 8, 3] -> -7 (i=9), 8 (i=10).
        let ys = [1.0, 9.0, 0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 2.0, -7.0, 8.0, 3.0];
        let points: Vec<(f64, f64)> = ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect();
        assert_eq!(
            downsample_minmax(&points, 3),
            vec![(1.0, 9.0), (2.0, 0.0), (4.0, 5.0), (9.0, -7.0), (10.0, 8.0)]
        );
        assert_eq!(downsample_minmax(&points, 6), points);
        assert!(downsample_minmax(&points, 0).is_empty());
        let spiky = ramp(100_000, |t| if t as u64 % 9973 == 0 { 1e6 } else { 1.0 });
        let kept = downsample_minmax(&spiky, 750);
        assert!(kept.len() <= 1500);
        assert_eq!(
            kept.iter().filter(|p| p.1 == 1e6).count(),
            11,
            "every spike survives"
        );
    }

    #[test]
    fn number_formats() {
        let format = NumberFormat::for_axis(0.5, 0.1);
        assert_eq!(format.format(0.1 + 0.2), "0.3");
        assert_eq!(format.format(-0.0), "0");
        let format = NumberFormat::for_axis(10_000.0, 2500.0);
        assert_eq!(format.format(7500.0), "7.5k");
        assert_eq!(format.format(10_000.0), "10k");
        let format = NumberFormat::for_axis(2.0, 0.5);
        assert_eq!(format.format(1.0), "1.0");
        assert_eq!(format.format(0.0), "0");
        let format = NumberFormat::for_axis(5000.0, 1000.0);
        assert_eq!(format.format(3000.0), "3,000");
        let format = NumberFormat::for_axis(2e6, 5e5);
        assert_eq!(format.format(1.5e6), "1.5M");
        assert_eq!(format_value(12_840.5), "12.8k");
        assert_eq!(format_value(3_120.25), "3,120");
        assert_eq!(format_value(58.36), "58.4");
        assert_eq!(format_value(0.2687), "0.269");
        assert_eq!(format_value(-0.0001), "0.000");
        assert_eq!(format_value(1_234_567.0), "1.23M");
        assert_eq!(format_tick_value(10f64.powf(2f64.log10())), "2");
        assert_eq!(format_tick_value(0.05), "0.05");
        assert_eq!(format_tick_value(20_000.0), "20k");
        assert_eq!(format_tick_value(1000.0), "1,000");
        assert_eq!(format_clock(754.0, false), "12:34");
        assert_eq!(format_clock(754.0, true), "0:12:34");
        assert_eq!(format_clock(3725.0, true), "1:02:05");
        assert_eq!(format_clock(-90.0, false), "-1:30");
        assert_eq!(group_thousands("-1234567.5"), "-1,234,567.5");
    }

    #[test]
    fn percentile_axis_positions_and_labels() {
        assert_eq!(percentile_rank(0.0), 0.0);
        assert!((percentile_rank(90.0) - 1.0).abs() < 1e-12);
        assert!((percentile_rank(99.9) - 3.0).abs() < 1e-9);
        assert!(
            (percentile_rank(100.0) - 5.0).abs() < 1e-9,
            "capped at 99.999"
        );
        let axis = percentile_axis(percentile_rank(100.0));
        assert_eq!(
            axis.labels,
            ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
        );
        assert_eq!(percentile_axis(percentile_rank(99.0)).labels.len(), 3);
        assert_eq!(percentile_axis(0.2).labels, ["0%", "90%"]);
    }

    #[test]
    fn crowded_labels_are_thinned() {
        let axis = percentile_axis(5.0);
        let roomy = axis.thinned(700.0, |l| text_width(l, TICK_PX));
        assert_eq!(roomy.labels, axis.labels);
        let cramped = axis.thinned(250.0, |l| text_width(l, TICK_PX));
        assert_eq!(cramped.labels, ["0%", "", "99%", "", "99.99%", ""]);
        assert_eq!(cramped.ticks, axis.ticks, "grid lines stay");
    }

    #[test]
    fn nice_ticks() {
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(2.2), 2.5);
        assert_eq!(nice_step(700.0), 1000.0);
        let axis = linear_axis(0.0, 0.7, 5, Padding::Nice);
        assert_eq!(axis.labels, ["0", "0.2", "0.4", "0.6", "0.8"]);
        let axis = linear_axis(0.0, 0.0, 5, Padding::Nice);
        assert_eq!(axis.range, 0.0..1.0);
        let axis = log_axis(0.4, 410.0);
        assert_eq!(axis.labels, ["0.2", "1", "10", "100", "500"]);
        assert_eq!(axis.range, 0.2f64.log10()..500f64.log10());
        // 0.2 .. 2000: the top end is 0.3 decades from 1000, too close to label.
        assert_eq!(
            log_axis(0.2, 1504.0).labels,
            ["0.2", "1", "10", "100", "1,000"]
        );
        let axis = log_axis(2.0, 300.0);
        assert_eq!(
            axis.labels,
            ["2", "5", "10", "20", "50", "100", "200", "500"]
        );
        assert_eq!(
            log_axis(1.0, 100.0).labels,
            ["1", "2", "5", "10", "20", "50", "100"]
        );
        assert_eq!(one_two_five(3.0, 3.0), [2.0, 5.0]);
    }

    /// Writes example charts to `target/chart-examples/` for a human to look at.
    #[test]
    fn write_examples() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/chart-examples");
        std::fs::create_dir_all(&dir).unwrap();
        let (cpu, mem) = sample_resources();
        let rps: Vec<TimeSeries> = ["async-rust", "node", "sync-python"]
            .iter()
            .enumerate()
            .map(|(i, name)| TimeSeries {
                name: name.to_string(),
                unit: "requests / s".into(),
                points: ramp(120, |t| {
                    let level = [12_800.0, 8_400.0, 3_100.0][i];
                    level * (1.0 - (-t / 8.0).exp()) + (t * (i as f64 + 1.3)).sin() * level * 0.04
                }),
            })
            .collect();
        let stress: Vec<TimeSeries> = (0..9)
            .map(|i| TimeSeries {
                name: format!("run-{i}-with-a-rather-long-configuration-name"),
                unit: "requests / s".into(),
                points: ramp(400, |t| {
                    ((t / 30.0 + i as f64).sin() - 0.3) * 1500.0 * (i + 1) as f64
                })
                .into_iter()
                .map(|(t, v)| (t * 15.0, v))
                .collect(),
            })
            .collect();
        let log_bins: Vec<HistogramBar> = (0..40)
            .map(|i| HistogramBar {
                lower_ms: 0.2 * 1.25f64.powi(i),
                upper_ms: 0.2 * 1.25f64.powi(i + 1),
                count: (4000.0 * (-((i as f64 - 14.0) / 5.0).powi(2)).exp()) as u64
                    + (i % 3) as u64,
            })
            .collect();
        let charts = [
            ("bars", bar_chart(&sample_bars(), Size::for_bars(3))),
            (
                "percentiles",
                percentile_chart("Latency by percentile", &sample_curves(), Size::default()),
            ),
            (
                "histogram",
                histogram_chart("Latency distribution", &sample_histogram(), Size::default()),
            ),
            (
                "latency-over-time",
                time_chart(
                    "Latency over time",
                    "latency (ms)",
                    &sample_time_series(),
                    Some(load_window()),
                    Size::default(),
                ),
            ),
            (
                "rps-over-time",
                time_chart(
                    "Throughput over time",
                    "requests / s",
                    &rps,
                    None,
                    Size::default(),
                ),
            ),
            (
                "resources",
                resource_chart(
                    "Server CPU and memory",
                    &cpu,
                    &mem,
                    Some(Window {
                        start_s: 15.0,
                        end_s: 100.0,
                        label: "active",
                    }),
                    Size::default(),
                ),
            ),
            (
                "empty",
                time_chart("Nothing recorded", "ms", &[], None, Size::default()),
            ),
            (
                "tiny-percentiles",
                percentile_chart("p", &sample_curves(), MIN_SIZE),
            ),
            (
                "histogram-log",
                histogram_chart("Latency distribution", &log_bins, Size::default()),
            ),
            (
                "stress",
                time_chart(
                    &"A very long title that goes on and on about throughput deltas ".repeat(3),
                    "delta vs baseline (requests / s)",
                    &stress,
                    Some(Window {
                        start_s: 600.0,
                        end_s: 5000.0,
                        label: "load window",
                    }),
                    Size::default(),
                ),
            ),
        ];
        for (name, svg) in charts {
            std::fs::write(dir.join(format!("{name}.svg")), svg.unwrap()).unwrap();
        }
    }
}
