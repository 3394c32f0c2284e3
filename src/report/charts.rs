//! Charts as SVG text, drawn with plotters: horizontal bars, stacked bars, lines and
//! heat maps.
//!
//! The same functions serve the reports and the notebooks. Text is laid out with the
//! DejaVu Sans font shipped in `assets/fonts`, registered once per process, so charts
//! look the same on every machine and two runs give the same bytes.

use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};
use polars::prelude::{col, df, lit, when, DataFrame, DataType, IntoLazy};

use super::table::format_float;
use crate::values;

const FONT: &str = "sans-serif";
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BAR_COLOR: RGBColor = RGBColor(0x3b, 0x6e, 0xa8);

/// An SVG document, shown inline by notebooks and embedded in HTML reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Svg(pub String);

impl Svg {
    /// Jupyter (evcxr) rich display: the chart as an image.
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT",
            self.0
        );
    }
}

fn ensure_font() -> Result<()> {
    static REGISTER: Once = Once::new();
    let mut failed = false;
    REGISTER.call_once(|| failed = register_font(FONT, FontStyle::Normal, FONT_BYTES).is_err());
    if failed {
        return Err(anyhow!(
            "the bundled chart font assets/fonts/DejaVuSans.ttf is not a valid font"
        ));
    }
    Ok(())
}

fn chart_error<E: std::fmt::Debug>(what: &str) -> impl FnOnce(E) -> anyhow::Error + '_ {
    move |e| anyhow!("cannot draw the chart `{what}`: {e:?}")
}

fn label_style(size: u32, anchor: Pos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).pos(anchor)
}

/// Writes each label right-aligned just left of its anchor (the left end of its row).
fn draw_row_labels<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    anchors: impl Iterator<Item = (&'a String, (i32, i32))>,
    size: u32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (label, (x, y)) in anchors {
        let style = label_style(size, Pos::new(HPos::Right, VPos::Center));
        root.draw(&Text::new(label.clone(), (x - 6, y), style))?;
    }
    Ok(())
}

/// A horizontal bar chart: one bar per label, first label on top.
#[derive(Clone, Debug)]
pub struct BarChart {
    pub title: String,
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    /// What the bar length measures, written under the axis.
    pub value_label: String,
}

/// Draws a [`BarChart`].
///
/// # Errors
/// When the bundled font cannot be registered, or plotters fails to draw the chart; the
/// message names its title.
pub fn bar_chart(chart: &BarChart) -> Result<Svg> {
    ensure_font()?;
    let n = chart.labels.len().min(chart.values.len());
    let longest = chart
        .labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(4);
    let label_width = (longest as u32 * 7 + 16).clamp(60, 300);
    let (width, height) = (820u32, 90 + 24 * n.max(1) as u32);
    let max = chart
        .values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let max = if max > 0.0 { max * 1.08 } else { 1.0 };
    let fail = chart_error(&chart.title);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error(&chart.title))?;
        let mut plot = ChartBuilder::on(&root)
            .caption(&chart.title, (FONT, 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0.0..max, 0.0..n.max(1) as f64)
            .map_err(chart_error(&chart.title))?;
        plot.configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|v| format_float(*v))
            .x_desc(&chart.value_label)
            .label_style((FONT, 12))
            .draw()
            .map_err(chart_error(&chart.title))?;
        // Row i (first label) sits at the top: y from n − i − 1 to n − i.
        let top = |i: usize| (n - i) as f64;
        let bars = chart.values.iter().take(n).enumerate().map(|(i, v)| {
            Rectangle::new(
                [(0.0, top(i) - 0.85), (v.max(0.0), top(i) - 0.15)],
                BAR_COLOR.filled(),
            )
        });
        plot.draw_series(bars).map_err(chart_error(&chart.title))?;
        let rows = chart.labels.iter().take(n).enumerate();
        let anchors = rows.map(|(i, label)| (label, plot.backend_coord(&(0.0, top(i) - 0.5))));
        draw_row_labels(&root, anchors, 12).map_err(chart_error(&chart.title))?;
        root.present().map_err(fail)?;
    }
    Ok(Svg(text))
}

/// A horizontal bar chart of a frame's `value` column by its `label` column, for the
/// first `limit` rows, first row on top. Null labels show as `(null)`, null values
/// as empty bars.
///
/// # Errors
/// When `label` is missing or not a String column, `value` is missing or cannot be cast
/// to Float64 (Polars error), or the chart cannot be drawn (as [`bar_chart`]).
pub fn bar_chart_of(
    df: &DataFrame,
    label: &str,
    value: &str,
    title: &str,
    limit: usize,
) -> Result<Svg> {
    let head = df.head(Some(limit));
    bar_chart(&BarChart {
        title: title.to_string(),
        labels: values::texts(&head, label, "(null)")?,
        values: values::f64s(&head, value)?
            .into_iter()
            .map(|v| v.unwrap_or(0.0))
            .collect(),
        value_label: value.replace('_', " "),
    })
}

/// Colours of the stacked bars' and lines' series, in series order (repeating past the last).
const SERIES_COLORS: [RGBColor; 6] = [
    RGBColor(0x3b, 0x6e, 0xa8),
    RGBColor(0xe0, 0x8a, 0x2c),
    RGBColor(0x4c, 0x9a, 0x5b),
    RGBColor(0xc4, 0x4e, 0x52),
    RGBColor(0x84, 0x6b, 0xb0),
    RGBColor(0x8c, 0x8c, 0x8c),
];

/// A horizontal stacked bar chart: one bar per label, first label on top, each bar
/// made of one segment per series in series order, with a legend.
#[derive(Clone, Debug)]
pub struct StackedBarChart {
    pub title: String,
    pub labels: Vec<String>,
    /// `(series name, one value per label)`.
    pub series: Vec<(String, Vec<f64>)>,
    pub value_label: String,
}

/// Draws a [`StackedBarChart`].
///
/// # Errors
/// When the bundled font cannot be registered, or plotters fails to draw the chart; the
/// message names its title.
pub fn stacked_bar_chart(chart: &StackedBarChart) -> Result<Svg> {
    ensure_font()?;
    let n = chart.labels.len();
    let value = |s: &(String, Vec<f64>), i: usize| {
        s.1.get(i)
            .copied()
            .filter(|v| v.is_finite())
            .unwrap_or(0.0)
            .max(0.0)
    };
    let totals: Vec<f64> = (0..n)
        .map(|i| chart.series.iter().map(|s| value(s, i)).sum())
        .collect();
    let max = totals.iter().copied().fold(0.0f64, f64::max);
    let max = if max > 0.0 { max * 1.08 } else { 1.0 };
    let longest = chart
        .labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(4);
    let label_width = (longest as u32 * 7 + 16).clamp(60, 300);
    let legend_height = 22 * chart.series.len().div_ceil(4) as u32;
    let (width, height) = (820u32, 100 + legend_height + 28 * n.max(1) as u32);
    let fail = chart_error(&chart.title);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error(&chart.title))?;
        let (plot_area, legend_area) = root.split_vertically(height - legend_height - 8);
        let mut plot = ChartBuilder::on(&plot_area)
            .caption(&chart.title, (FONT, 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0.0..max, 0.0..n.max(1) as f64)
            .map_err(chart_error(&chart.title))?;
        plot.configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|v| format_float(*v))
            .x_desc(&chart.value_label)
            .label_style((FONT, 12))
            .draw()
            .map_err(chart_error(&chart.title))?;
        let top = |i: usize| (n - i) as f64;
        let mut start = vec![0.0f64; n];
        for (k, series) in chart.series.iter().enumerate() {
            let color = SERIES_COLORS[k % SERIES_COLORS.len()];
            let segments: Vec<_> = (0..n)
                .map(|i| {
                    let from = start[i];
                    start[i] += value(series, i);
                    Rectangle::new(
                        [(from, top(i) - 0.85), (start[i], top(i) - 0.15)],
                        color.filled(),
                    )
                })
                .collect();
            plot.draw_series(segments)
                .map_err(chart_error(&chart.title))?;
        }
        let rows = chart.labels.iter().enumerate();
        let anchors = rows.map(|(i, label)| (label, plot.backend_coord(&(0.0, top(i) - 0.5))));
        draw_row_labels(&plot_area, anchors, 12).map_err(chart_error(&chart.title))?;
        let names = chart.series.iter().map(|(name, _)| name);
        draw_legend(&legend_area, names, label_width as i32 + 12)
            .map_err(chart_error(&chart.title))?;
        root.present().map_err(fail)?;
    }
    Ok(Svg(text))
}

/// Draws a legend of coloured squares and series names, four to a line, starting
/// `left` pixels into `area`; series k has colour `SERIES_COLORS[k]`.
fn draw_legend<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    names: impl Iterator<Item = &'a String>,
    left: i32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (k, name) in names.enumerate() {
        let color = SERIES_COLORS[k % SERIES_COLORS.len()];
        let (x, y) = (left + 170 * (k % 4) as i32, 8 + 22 * (k / 4) as i32);
        area.draw(&Rectangle::new([(x, y), (x + 14, y + 14)], color.filled()))?;
        let style = label_style(12, Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(name.clone(), (x + 20, y + 7), style))?;
    }
    Ok(())
}

/// A line chart over categorical x positions (months, years), one line per series,
/// with a legend when there is more than one. A `None` value leaves a gap.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub title: String,
    /// One label per x position, in order; at most about twelve are written.
    pub x_labels: Vec<String>,
    /// `(series name, one value per x position)`.
    pub series: Vec<(String, Vec<Option<f64>>)>,
    pub value_label: String,
}

/// The runs of consecutive present values of a series, as (x, y) points.
fn present_runs(values: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut run = Vec::new();
    for (i, value) in values.iter().enumerate() {
        match value.filter(|v| v.is_finite()) {
            Some(v) => run.push((i as f64, v)),
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// A line chart of a frame's `columns` (one line each, named after the column) over
/// its `x` column's values, in row order.
///
/// # Errors
/// When `x` or a column of `columns` is missing, `x` cannot be cast to text or a column
/// to Float64 (Polars error), or the chart cannot be drawn (as [`line_chart`]).
pub fn line_chart_of(
    df: &DataFrame,
    x: &str,
    columns: &[&str],
    title: &str,
    value_label: &str,
) -> Result<Svg> {
    let mut series = Vec::with_capacity(columns.len());
    for column in columns {
        series.push((column.replace('_', " "), values::f64s(df, column)?));
    }
    line_chart(&LineChart {
        title: title.to_string(),
        x_labels: values::as_texts(df, x, "(null)")?,
        series,
        value_label: value_label.to_string(),
    })
}

/// Draws a [`LineChart`].
///
/// # Errors
/// When the bundled font cannot be registered, or plotters fails to draw the chart; the
/// message names its title.
pub fn line_chart(chart: &LineChart) -> Result<Svg> {
    ensure_font()?;
    let n = chart.x_labels.len().max(1);
    let values = chart
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .filter(|v| v.is_finite());
    let (low, high) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = if high > low { (high - low) * 0.06 } else { 1.0 };
    let (low, high) = (if low < 0.0 { low - pad } else { 0.0 }, high + pad);
    let legend_height = if chart.series.len() > 1 {
        22 * chart.series.len().div_ceil(4) as u32
    } else {
        0
    };
    let (width, height) = (820u32, 380 + legend_height);
    let step = n.div_ceil(12).max(1);
    let fail = chart_error(&chart.title);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error(&chart.title))?;
        let (plot_area, legend_area) = root.split_vertically(height - legend_height);
        let mut plot = ChartBuilder::on(&plot_area)
            .caption(&chart.title, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), low..high)
            .map_err(chart_error(&chart.title))?;
        let x_label = |x: &f64| {
            let i = x.round();
            let labelled = (i - x).abs() < 1e-9 && i >= 0.0 && (i as usize) % step == 0;
            match chart.x_labels.get(i as usize) {
                Some(label) if labelled => label.clone(),
                _ => String::new(),
            }
        };
        plot.configure_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&x_label)
            .y_label_formatter(&|v| format_float(*v))
            .y_desc(&chart.value_label)
            .label_style((FONT, 12))
            .draw()
            .map_err(chart_error(&chart.title))?;
        for (k, (_, values)) in chart.series.iter().enumerate() {
            let color = SERIES_COLORS[k % SERIES_COLORS.len()];
            for run in present_runs(values) {
                let dots = run
                    .iter()
                    .map(|&point| Circle::new(point, 2, color.filled()));
                plot.draw_series(dots).map_err(chart_error(&chart.title))?;
                plot.draw_series(LineSeries::new(run, color.stroke_width(2)))
                    .map_err(chart_error(&chart.title))?;
            }
        }
        if chart.series.len() > 1 {
            let names = chart.series.iter().map(|(name, _)| name);
            draw_legend(&legend_area, names, 92).map_err(chart_error(&chart.title))?;
        }
        root.present().map_err(fail)?;
    }
    Ok(Svg(text))
}

/// A heat map: `values[row][column]` in `[0, 1]` shaded from white to dark blue;
/// `None` cells stay blank.
#[derive(Clone, Debug)]
pub struct HeatMap {
    pub title: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
}

impl HeatMap {
    /// The heat map of a long table: one cell per pair of `frame`'s `row` and
    /// `column` values (null shown as `(null)`) holding its `value`, each row scaled
    /// to its largest value (rows whose values are all 0 stay 0). Rows follow `rows`
    /// and columns `columns`; pairs outside them are left out, missing pairs blank.
    ///
    /// # Errors
    /// When `frame` lacks one of the columns or `value` is not numeric (Polars
    /// error).
    pub fn from_long(
        title: impl Into<String>,
        frame: &DataFrame,
        [row, column, value]: [&str; 3],
        rows: &[String],
        columns: &[String],
    ) -> Result<HeatMap> {
        let position = |name: &str, labels: &[String]| df!(name => labels, "__position" => (0..labels.len() as u32).collect::<Vec<_>>());
        let label = |name: &str| col(name).cast(DataType::String).fill_null(lit("(null)"));
        let row_max = col("__value").max().over([col("__row")])?;
        let cells = frame
            .clone()
            .lazy()
            .select([
                label(row),
                label(column),
                col(value).cast(DataType::Float64).alias("__value"),
            ])
            .inner_join(position(row, rows)?.lazy(), col(row), col(row))
            .rename(["__position"], ["__row"], true)
            .inner_join(position(column, columns)?.lazy(), col(column), col(column))
            .select([
                col("__row"),
                col("__position").alias("__column"),
                when(row_max.clone().gt(lit(0.0)))
                    .then(col("__value") / row_max)
                    .otherwise(col("__value"))
                    .alias("__value"),
            ])
            .collect()?;
        let mut values = vec![vec![None; columns.len()]; rows.len()];
        let rows_at = cells.column("__row")?.u32()?.iter();
        let placed = rows_at.zip(cells.column("__column")?.u32()?.iter());
        for ((r, c), v) in placed.zip(cells.column("__value")?.f64()?.iter()) {
            if let (Some(r), Some(c)) = (r, c) {
                values[r as usize][c as usize] = v;
            }
        }
        Ok(HeatMap {
            title: title.into(),
            rows: rows.to_vec(),
            columns: columns.to_vec(),
            values,
        })
    }
}

fn shade(value: f64) -> RGBColor {
    let t = value.clamp(0.0, 1.0);
    let mix =
        |low: u8, high: u8| (f64::from(low) + (f64::from(high) - f64::from(low)) * t).round() as u8;
    RGBColor(mix(0xf4, 0x08), mix(0xf8, 0x30), mix(0xfc, 0x6b))
}

/// Draws a [`HeatMap`].
///
/// # Errors
/// When the bundled font cannot be registered, or plotters fails to draw the chart; the
/// message names its title.
pub fn heat_map(map: &HeatMap) -> Result<Svg> {
    ensure_font()?;
    let (n_rows, n_cols) = (map.rows.len(), map.columns.len());
    let longest_row = map
        .rows
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(4);
    let longest_col = map
        .columns
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(4);
    let row_label_width = (longest_row as u32 * 7 + 16).clamp(60, 320);
    let col_label_height = (longest_col as u32 * 7 + 16).clamp(40, 200);
    // Wide enough for the cells and for the title (18 px text, ~10 px a character).
    let title_width = map.title.chars().count() as u32 * 10 + 40;
    let width = (row_label_width + 40 + 26 * n_cols.max(1) as u32).max(title_width);
    let height = col_label_height + 70 + 20 * n_rows.max(1) as u32;
    let fail = chart_error(&map.title);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error(&map.title))?;
        let mut plot = ChartBuilder::on(&root)
            .caption(&map.title, (FONT, 18))
            .margin(12)
            .x_label_area_size(col_label_height)
            .y_label_area_size(row_label_width)
            .build_cartesian_2d(0.0..n_cols.max(1) as f64, 0.0..n_rows.max(1) as f64)
            .map_err(chart_error(&map.title))?;
        plot.configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .draw()
            .map_err(chart_error(&map.title))?;
        let top = |r: usize| (n_rows - r) as f64;
        let cells = map
            .values
            .iter()
            .take(n_rows)
            .enumerate()
            .flat_map(|(r, row)| {
                row.iter()
                    .take(n_cols)
                    .enumerate()
                    .filter_map(move |(c, value)| {
                        value.map(|v| {
                            Rectangle::new(
                                [(c as f64, top(r) - 1.0), (c as f64 + 1.0, top(r))],
                                shade(v).filled(),
                            )
                        })
                    })
            });
        plot.draw_series(cells).map_err(chart_error(&map.title))?;
        let anchors = map
            .rows
            .iter()
            .enumerate()
            .map(|(r, label)| (label, plot.backend_coord(&(0.0, top(r) - 0.5))));
        draw_row_labels(&root, anchors, 11).map_err(chart_error(&map.title))?;
        let rotated =
            label_style(11, Pos::new(HPos::Left, VPos::Center)).transform(FontTransform::Rotate90);
        for (c, label) in map.columns.iter().enumerate() {
            let (x, y) = plot.backend_coord(&(c as f64 + 0.5, 0.0));
            root.draw(&Text::new(label.clone(), (x, y + 6), rotated.clone()))
                .map_err(chart_error(&map.title))?;
        }
        root.present().map_err(fail)?;
    }
    Ok(Svg(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_chart_draws_every_label_and_is_deterministic() -> Result<()> {
        let chart = BarChart {
            title: "Devices by market".into(),
            labels: vec!["New York".into(), "Toledo".into()],
            values: vec![10.0, 2.5],
            value_label: "devices".into(),
        };
        let first = bar_chart(&chart)?;
        assert!(first.0.starts_with("<svg"), "{}", &first.0[..40]);
        assert!(first.0.contains("New York") && first.0.contains("Toledo"));
        assert_eq!(first, bar_chart(&chart)?);
        Ok(())
    }

    #[test]
    fn bar_chart_of_takes_the_first_rows_and_shows_nulls() -> Result<()> {
        let df = polars::df!(
            "dma" => [Some("Boise"), None, Some("Toledo")],
            "devices" => [Some(3.0), Some(2.0), None],
        )?;
        let two = bar_chart_of(&df, "dma", "devices", "Devices", 2)?.0;
        assert!(two.contains("Boise") && two.contains("(null)"));
        assert!(!two.contains("Toledo"), "only the first 2 rows");
        let expected = bar_chart(&BarChart {
            title: "Devices".into(),
            labels: vec!["Boise".into(), "(null)".into(), "Toledo".into()],
            values: vec![3.0, 2.0, 0.0],
            value_label: "devices".into(),
        })?;
        assert_eq!(
            bar_chart_of(&df, "dma", "devices", "Devices", 10)?,
            expected
        );
        Ok(())
    }

    #[test]
    fn stacked_bars_draw_every_series_in_the_legend() -> Result<()> {
        let chart = StackedBarChart {
            title: "Hours by segment".into(),
            labels: vec!["VIP".into(), "loyal".into()],
            series: vec![
                ("TV".into(), vec![3.0, 1.0]),
                ("Film".into(), vec![1.0, f64::NAN]),
            ],
            value_label: "hours".into(),
        };
        let svg = stacked_bar_chart(&chart)?;
        for text in ["VIP", "loyal", "TV", "Film", "Hours by segment"] {
            assert!(svg.0.contains(text), "{text} missing");
        }
        assert!(
            svg.0.contains("#E08A2C") || svg.0.contains("#e08a2c"),
            "second series colour"
        );
        assert_eq!(svg, stacked_bar_chart(&chart)?, "deterministic");
        Ok(())
    }

    #[test]
    fn heat_map_shades_cells_by_value() -> Result<()> {
        let map = HeatMap {
            title: "Reach".into(),
            rows: vec!["A".into(), "B".into()],
            columns: vec!["Drama".into(), "News".into()],
            values: vec![vec![Some(1.0), Some(0.0)], vec![None, Some(0.5)]],
        };
        let svg = heat_map(&map)?.0;
        assert!(svg.contains("Drama") && svg.contains("News"));
        assert!(
            svg.contains("#08306B") || svg.contains("#08306b"),
            "darkest shade for 1.0"
        );
        assert_eq!(shade(0.0), RGBColor(0xf4, 0xf8, 0xfc));
        Ok(())
    }

    #[test]
    fn a_long_table_becomes_rows_scaled_to_their_largest_cell() -> Result<()> {
        let long = df!(
            "dma" => [Some("A"), Some("A"), Some("B"), None, Some("C"), Some("B")],
            "genre" => ["News", "Drama", "News", "News", "News", "Drama"],
            "reach" => [2u32, 8, 0, 5, 9, 0],
        )?;
        let rows = ["B".to_string(), "A".to_string(), "(null)".to_string()];
        let columns = ["Drama".to_string(), "News".to_string(), "Sport".to_string()];
        let map = HeatMap::from_long("Reach", &long, ["dma", "genre", "reach"], &rows, &columns)?;
        assert_eq!(map.rows, rows);
        assert_eq!(map.columns, columns);
        // C is not a row; B is all zeros and stays so; Sport is never seen.
        assert_eq!(
            map.values,
            [
                vec![Some(0.0), Some(0.0), None],
                vec![Some(1.0), Some(0.25), None],
                vec![None, Some(1.0), None],
            ]
        );
        Ok(())
    }

    #[test]
    fn a_gap_splits_a_line_and_every_series_is_in_the_legend() -> Result<()> {
        assert_eq!(
            present_runs(&[Some(1.0), None, Some(2.0), Some(3.0), Some(f64::NAN)]),
            [vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]
        );
        let chart = LineChart {
            title: "Orders by month".into(),
            x_labels: vec!["201012".into(), "201101".into(), "201102".into()],
            series: vec![
                ("placed".into(), vec![Some(10.0), Some(12.0), None]),
                ("cancelled".into(), vec![Some(1.0), Some(-2.0), Some(0.0)]),
            ],
            value_label: "invoices".into(),
        };
        let svg = line_chart(&chart)?;
        for text in ["Orders by month", "201012", "201102", "placed", "cancelled"] {
            assert!(svg.0.contains(text), "{text} missing");
        }
        assert_eq!(svg, line_chart(&chart)?, "deterministic");
        Ok(())
    }
}
