//! Reports: tables and charts assembled into HTML and Markdown.
//!
//! A domain builds a [`Document`] of headings, text, tables and charts from its
//! output frames; [`Document::write`] renders it into the domain's report folder,
//! `reports/<name>/`: `<name>.html` (self-contained, charts inline), `<name>.md` and
//! `figures/<name>-<chart>.svg`. [`write_index`] links every report from
//! `reports/index.html`.

pub mod charts;
pub mod document;
pub mod table;

pub use charts::{
    bar_chart, bar_chart_of, heat_map, line_chart, line_chart_of, stacked_bar_chart, BarChart,
    HeatMap, LineChart, StackedBarChart, Svg,
};
pub use document::{write_index, Block, Document};
pub use table::{html_table, markdown_table};
