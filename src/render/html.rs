//! HTML pages: view models (strings already formatted) and the askama templates that lay them out.
//! Every string from an input reaches the page through askama's HTML escaping; only our own CSS,
//! script and generated markup are inserted unescaped.

use askama::Template;

/// What every page shares (head, navigation, footer).
#[derive(Debug, Clone)]
pub struct Page {
    pub title: String,
    /// Relative path from this page to the site root: "" or "../".
    pub root: String,
    pub crumb: String,
    pub csp: String,
    pub css: &'static str,
    pub script: &'static str,
    pub generator: String,
    pub percentile_definition: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub caption: String,
    pub headers: Vec<Header>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, Default)]
pub struct Header {
    pub text: String,
    pub class: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    /// A numeric sort key (empty: sort by text).
    pub sort: String,
    pub class: &'static str,
    pub href: String,
    pub best: bool,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            class: "text",
            ..Cell::default()
        }
    }

    /// A short word or phrase that should not wrap (a kind, a format, a tool).
    pub fn label(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            class: "label",
            ..Cell::default()
        }
    }

    pub fn num(text: impl Into<String>, value: Option<f64>) -> Self {
        Cell {
            text: text.into(),
            sort: value
                .filter(|v| v.is_finite())
                .map(|v| v.to_string())
                .unwrap_or_default(),
            class: "num",
            ..Cell::default()
        }
    }

    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Self {
        Cell {
            href: href.into(),
            ..Cell::text(text)
        }
    }
}

impl Table {
    pub fn new(caption: &str, headers: &[(&str, bool)]) -> Self {
        Table {
            caption: caption.to_string(),
            headers: headers
                .iter()
                .map(|&(text, numeric)| Header {
                    text: text.to_string(),
                    class: if numeric { "num" } else { "" },
                })
                .collect(),
            rows: Vec::new(),
        }
    }
}

/// A chart shown as an image (an `<img>` cannot run scripts, whatever the SVG holds).
#[derive(Debug, Clone)]
pub struct Figure {
    /// Image source: a relative file path, or a data URI in single-file mode.
    pub src: String,
    /// Link to the standalone SVG file.
    pub href: String,
    pub alt: String,
    pub caption: String,
    pub width: u32,
    pub height: u32,
}

/// The content of the index (comparison across runs).
pub struct IndexBody {
    pub title: String,
    pub lede: String,
    pub comparison: Table,
    pub charts: Vec<Figure>,
    /// (run, where its figures come from)
    pub origins: Vec<(String, String)>,
    pub provenance: Table,
    /// (path, reason)
    pub skipped: Vec<(String, String)>,
    pub warnings: Vec<String>,
    /// Capacity and cost across runs (empty without load figures).
    pub capacity: Table,
    /// The assumptions behind the capacity figures.
    pub capacity_notes: Vec<String>,
    /// Trend charts across the builds of a history file (empty without one).
    pub trends: Vec<Figure>,
    /// Builds of the history, oldest first: number and id.
    pub builds: Table,
    /// Key metrics that got worse from one build to the next.
    pub regressions: Table,
}

/// The content of one run's page.
pub struct RunBody {
    pub name: String,
    pub lede: String,
    /// (label, value, note)
    pub tiles: Vec<(String, String, String)>,
    pub charts: Vec<Figure>,
    pub latency: Table,
    pub labels: Table,
    pub status_codes: Table,
    pub errors: Table,
    pub sources: Table,
    pub warnings: Vec<String>,
    pub capacity: Table,
    pub capacity_notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage<'a> {
    pub page: &'a Page,
    pub index: &'a IndexBody,
}

#[derive(Template)]
#[template(path = "run.html")]
pub struct RunPage<'a> {
    pub page: &'a Page,
    pub run: &'a RunBody,
}

/// A run's content without the page around it, for the single-file report.
#[derive(Template)]
#[template(path = "run_fragment.html")]
pub struct RunFragment<'a> {
    pub run: &'a RunBody,
}

/// The whole report in one page: the index, then every run (`--single-file`).
#[derive(Template)]
#[template(path = "single.html")]
pub struct SinglePage<'a> {
    pub page: &'a Page,
    pub index: &'a IndexBody,
    /// (anchor id, rendered run content)
    pub sections: Vec<(String, String)>,
}
