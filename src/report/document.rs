//! A report as a list of blocks, rendered to HTML and Markdown.

use std::path::Path;

use anyhow::Result;
use polars::prelude::{df, DataFrame};

use super::charts::Svg;
use super::table::{html_table, markdown_table, TABLE_CSS};
use crate::catalog::{Dataset, Location};
use crate::io::write_file_atomically;
use crate::schema::{quarantine_warnings, TableSchema};

/// One piece of a report.
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A paragraph of plain text.
    Text(String),
    /// A table with a caption, cut to `max_rows` rows.
    Table {
        caption: String,
        frame: DataFrame,
        max_rows: usize,
    },
    /// A chart; `name` is its file stem under `figures/`.
    Chart {
        name: String,
        caption: String,
        svg: Svg,
    },
}

/// A report: a title and its blocks in order.
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

const PAGE_CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;\
max-width:70rem;color:#1f2933;line-height:1.45;padding:0 1rem}h1{font-size:1.7rem}h2{margin-top:2.2rem;\
border-bottom:1px solid #d9e2ec;padding-bottom:.2rem}figure{margin:1rem 0}figcaption{color:#52606d;\
font-size:.85rem}figure svg{max-width:100%;height:auto}p.caption{color:#52606d;font-size:.85rem;margin-bottom:0}";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Document {
    pub fn new(title: impl Into<String>) -> Self {
        Document {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    pub fn heading(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Heading(text.into()));
    }

    /// The "Data quality" section every domain opens with: rows read, kept and
    /// quarantined per raw table, then the quarantined rows by failed rule (`rules`
    /// names the spec's validation rules, for example `R1`).
    /// A table with most of its rows quarantined (see
    /// [`crate::schema::quarantine_warnings`]) gets a warning paragraph first.
    pub fn data_quality(&mut self, table_counts: &DataFrame, summary: &DataFrame, rules: &str) {
        self.heading("Data quality");
        for warning in quarantine_warnings(table_counts).unwrap_or_default() {
            self.text(format!("Warning: {warning}."));
        }
        self.table(
            "Rows read, kept and quarantined per raw table (rows_in = rows_valid + rows_quarantined).",
            table_counts,
            10,
        );
        self.table(
            format!("Quarantined rows by table and failed rule ({rules})."),
            summary,
            50,
        );
    }

    pub fn text(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Text(text.into()));
    }

    /// The run's notices (what the readers and the validation found worth saying),
    /// one `Note:` paragraph each.
    pub fn notes(&mut self, notices: &[String]) {
        for notice in notices {
            self.text(format!("Note: {notice}."));
        }
    }

    pub fn table(&mut self, caption: impl Into<String>, frame: &DataFrame, max_rows: usize) {
        self.blocks.push(Block::Table {
            caption: caption.into(),
            frame: frame.clone(),
            max_rows,
        });
    }

    /// An output table under the caption its registry entry gives it (`name — about`),
    /// followed by `note` when that is not empty.
    pub fn output(&mut self, dataset: &Dataset, note: &str, frame: &DataFrame, max_rows: usize) {
        let mut caption = format!("{} — {}.", dataset.name, dataset.about);
        if !note.is_empty() {
            caption = format!("{caption} {note}");
        }
        self.table(caption, frame, max_rows);
    }

    /// The data dictionary every report ends with: each output table of `datasets`
    /// (the domain's registry) with what it is and its columns and dtypes, then each
    /// raw input's declared schema, under a caption saying which files it is read
    /// from.
    ///
    /// # Errors
    /// When a dictionary frame cannot be built (a Polars error).
    pub fn data_dictionary(
        &mut self,
        datasets: &[Dataset],
        raw_inputs: &[(String, &TableSchema)],
    ) -> Result<()> {
        let outputs: Vec<&Dataset> = datasets.iter().filter(|d| !d.columns.is_empty()).collect();
        let columns: Vec<String> = outputs
            .iter()
            .map(|d| {
                let typed: Vec<String> =
                    d.columns.iter().map(|(c, t)| format!("{c} {t}")).collect();
                typed.join(", ")
            })
            .collect();
        let file = |d: &Dataset| match d.location {
            Location::Output(table) => table,
            _ => d.name,
        };
        let dictionary = df!(
            "table" => outputs.iter().map(|d| file(d)).collect::<Vec<_>>(),
            "sql_name" => outputs.iter().map(|d| d.name).collect::<Vec<_>>(),
            "about" => outputs.iter().map(|d| d.about).collect::<Vec<_>>(),
            "columns" => columns,
        )?;
        self.heading("Output tables");
        self.table(
            "Every output table with its columns and dtypes, as written to `<table>.parquet` and \
             `<table>.csv` and registered in the SQL catalog as `sql_name`.",
            &dictionary,
            outputs.len(),
        );
        self.heading("Raw inputs");
        self.text(
            "The declared schema of each raw table: how each field is parsed and checked. A row \
             failing a check is quarantined under `column|rule`; a null always passes value checks.",
        );
        for (caption, schema) in raw_inputs {
            self.table(caption.clone(), &schema.dictionary()?, 50);
        }
        Ok(())
    }

    pub fn chart(&mut self, name: impl Into<String>, caption: impl Into<String>, svg: Svg) {
        self.blocks.push(Block::Chart {
            name: name.into(),
            caption: caption.into(),
            svg,
        });
    }

    /// The report as one self-contained HTML page (charts inline).
    pub fn to_html(&self) -> String {
        let mut html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{PAGE_CSS}{TABLE_CSS}</style>\n</head>\n<body>\n<p><a href=\"../index.html\">All reports</a></p>\n<h1>{}</h1>\n",
            escape(&self.title),
            escape(&self.title)
        );
        for block in &self.blocks {
            match block {
                Block::Heading(text) => html.push_str(&format!("<h2>{}</h2>\n", escape(text))),
                Block::Text(text) => html.push_str(&format!("<p>{}</p>\n", escape(text))),
                Block::Table {
                    caption,
                    frame,
                    max_rows,
                } => {
                    html.push_str(&format!("<p class=\"caption\">{}</p>\n", escape(caption)));
                    html.push_str(&html_table(frame, *max_rows));
                }
                Block::Chart { caption, svg, .. } => html.push_str(&format!(
                    "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                    strip_xml_declaration(&svg.0),
                    escape(caption)
                )),
            }
        }
        html.push_str("</body>\n</html>\n");
        html
    }

    /// The report as Markdown; charts link to `figures/<stem>-<name>.svg`.
    pub fn to_markdown(&self, stem: &str) -> String {
        let mut md = format!("# {}\n\n", self.title);
        for block in &self.blocks {
            match block {
                Block::Heading(text) => md.push_str(&format!("## {text}\n\n")),
                Block::Text(text) => md.push_str(&format!("{text}\n\n")),
                Block::Table {
                    caption,
                    frame,
                    max_rows,
                } => {
                    md.push_str(&format!(
                        "{caption}\n\n{}\n",
                        markdown_table(frame, *max_rows)
                    ));
                }
                Block::Chart { name, caption, .. } => {
                    md.push_str(&format!(
                        "![{caption}](figures/{stem}-{name}.svg)\n\n*{caption}*\n\n"
                    ));
                }
            }
        }
        md
    }

    /// Writes `<dir>/<stem>.html`, `<dir>/<stem>.md` and the figures, atomically.
    ///
    /// # Errors
    /// When `dir`, its `figures` folder or a file cannot be created, written or moved
    /// into place; the message names the path.
    pub fn write(&self, dir: &Path, stem: &str) -> Result<()> {
        for block in &self.blocks {
            if let Block::Chart { name, svg, .. } = block {
                write_file_atomically(
                    &dir.join("figures").join(format!("{stem}-{name}.svg")),
                    svg.0.as_bytes(),
                )?;
            }
        }
        write_file_atomically(&dir.join(format!("{stem}.html")), self.to_html().as_bytes())?;
        write_file_atomically(
            &dir.join(format!("{stem}.md")),
            self.to_markdown(stem).as_bytes(),
        )
    }
}

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map(|(_, body)| body.trim_start())
            .unwrap_or(svg),
        None => svg,
    }
}

/// Writes `<dir>/index.html` linking every domain's report, `<dir>/<domain>/<domain>.html`
/// (as [`Document::write`] writes it into the domain's folder), by its title.
///
/// # Errors
/// When `dir` cannot be listed, a report in it cannot be read, or `index.html` cannot be
/// written; the message names the path.
pub fn write_index(dir: &Path) -> Result<()> {
    let mut reports = Vec::new();
    for folder in crate::io::subfolders(dir)? {
        let Some(stem) = folder.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let page = folder.join(format!("{stem}.html"));
        if !crate::io::is_file(&page) {
            continue;
        }
        let text = crate::io::read_text(&page)?;
        let title = text
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(title, _)| title.to_string())
            .unwrap_or_else(|| stem.to_string());
        reports.push((format!("{stem}/{stem}"), title));
    }
    reports.sort();
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>SmartView reports</title>\n<style>{PAGE_CSS}{TABLE_CSS}</style>\n</head>\n<body>\n<h1>SmartView reports</h1>\n<ul>\n"
    );
    for (page, title) in &reports {
        html.push_str(&format!(
            "<li><a href=\"{page}.html\">{title}</a> (<a href=\"{page}.md\">Markdown</a>)</li>\n"
        ));
    }
    html.push_str("</ul>\n<p>Regenerate with <code>scripts/report</code>.</p>\n</body>\n</html>\n");
    write_file_atomically(&dir.join("index.html"), html.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each notice of the run is one `Note:` paragraph, in order, before the data
    /// quality section that follows it.
    #[test]
    fn notes_are_one_paragraph_each_in_order() {
        let mut doc = Document::new("T");
        doc.notes(&[
            "`imdb`: 1 value of rating was read as null".into(),
            "b".into(),
        ]);
        doc.heading("Data quality");
        assert_eq!(
            doc.to_markdown("t"),
            "# T\n\nNote: `imdb`: 1 value of rating was read as null.\n\nNote: b.\n\n\
             ## Data quality\n\n"
        );
    }
}
