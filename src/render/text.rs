//! The terminal table of `benchreport summary`.

use super::table::{run_columns, Align};
use crate::stats::load::Origin;
use crate::stats::Summary;

/// An aligned plain-text table, one row per run, followed by notes on where figures came from.
pub fn summary_table(summary: &Summary) -> String {
    let columns = run_columns();
    let rows: Vec<Vec<String>> = summary
        .runs
        .iter()
        .map(|run| columns.iter().map(|c| (c.cell)(run)).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([c.header.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let headers: Vec<String> = columns.iter().map(|c| c.header.to_string()).collect();
    for row in std::iter::once(&headers).chain(rows.iter()) {
        let cells: Vec<String> = row
            .iter()
            .zip(&columns)
            .zip(&widths)
            .map(|((cell, col), &w)| pad(cell, w, col.align))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&origin_notes(summary));
    out
}

fn pad(cell: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(cell.chars().count()));
    match align {
        Align::Left => format!("{cell}{fill}"),
        Align::Right => format!("{fill}{cell}"),
    }
}

/// Says which runs' figures are the tool's own and which were computed from samples.
fn origin_notes(summary: &Summary) -> String {
    let mut notes = String::new();
    for run in &summary.runs {
        let Some(load) = &run.load else { continue };
        let how = match load.origin {
            Origin::Reported => format!("RPS {}; latency {}", load.rps_method, load.latency_method),
            Origin::Samples => format!(
                "{} samples; RPS {}; latency {}",
                super::format::count(load.requests),
                load.rps_method,
                load.latency_method
            ),
        };
        notes.push_str(&format!("  {}: {how}\n", run.name));
    }
    if notes.is_empty() {
        notes
    } else {
        format!("\nwhere the figures come from:\n{notes}")
    }
}
