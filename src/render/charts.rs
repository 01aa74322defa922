//! (placeholder until the plotters chart module lands; same API)

#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}
pub struct BarChart<'a> {
    pub title: &'a str,
    pub value_label: &'a str,
    pub bars: Vec<Bar>,
}
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub highlight: bool,
}
pub struct PercentileCurve {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}
pub struct HistogramBar {
    pub lower_ms: f64,
    pub upper_ms: f64,
    pub count: u64,
}
pub struct TimeSeries {
    pub name: String,
    pub unit: String,
    pub points: Vec<(f64, f64)>,
}
pub const POINT_BUDGET: usize = 1500;

fn empty(title: &str) -> Result<String, ChartError> {
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title></svg>",
        title.replace('<', "&lt;")
    ))
}
pub fn bar_chart(c: &BarChart, _s: Size) -> Result<String, ChartError> {
    empty(c.title)
}
pub fn percentile_chart(t: &str, _c: &[PercentileCurve], _s: Size) -> Result<String, ChartError> {
    empty(t)
}
pub fn histogram_chart(t: &str, _b: &[HistogramBar], _s: Size) -> Result<String, ChartError> {
    empty(t)
}
pub fn time_chart(
    t: &str,
    _y: &str,
    _s: &[TimeSeries],
    _shade: Option<(f64, f64)>,
    _size: Size,
) -> Result<String, ChartError> {
    empty(t)
}
pub fn resource_chart(
    t: &str,
    _c: &[(f64, f64)],
    _m: &[(f64, f64)],
    _a: Option<(f64, f64)>,
    _s: Size,
) -> Result<String, ChartError> {
    empty(t)
}
pub fn downsample_lttb(points: &[(f64, f64)], _budget: usize) -> Vec<(f64, f64)> {
    points.to_vec()
}
