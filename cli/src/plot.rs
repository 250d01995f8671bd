//! Learning curves as SVG, drawn with `plotters`: one chart per panel, stacked, each with
//! axis titles, a legend and readable ticks.

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

/// A named series of values against iterations.
pub struct Series<'a> {
    pub label: &'a str,
    pub x: &'a [usize],
    pub y: &'a [f32],
}

/// One chart: a title for the y axis and its series.
pub struct Panel<'a> {
    pub y_title: &'a str,
    pub series: Vec<Series<'a>>,
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Write the panels to `path` (SVG), one chart of 760×300 each.
pub fn line_plot(path: &Path, panels: &[Panel<'_>]) -> Result<()> {
    let h = 300 * panels.len().max(1) as u32;
    let root = SVGBackend::new(path, (760, h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    for (area, panel) in root.split_evenly((panels.len().max(1), 1)).iter().zip(panels) {
        draw_panel(area, panel).map_err(|e| anyhow!("plotting {}: {e}", path.display()))?;
    }
    root.present().map_err(|e| anyhow!("writing {}: {e}", path.display()))?;
    Ok(())
}

/// The finite range of the values, padded by 5% (a flat series gets ±1).
fn y_range(panel: &Panel<'_>) -> (f32, f32) {
    let finite = panel.series.iter().flat_map(|s| s.y.iter().copied()).filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return (-1.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    (lo - pad, hi + pad)
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, panel: &Panel<'_>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let x_max = panel.series.iter().flat_map(|s| s.x.iter().copied()).max().unwrap_or(1).max(1);
    let (lo, hi) = y_range(panel);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(85)
        .build_cartesian_2d(0usize..x_max, lo..hi)
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc(panel.y_title)
        .y_label_formatter(&|v| format_tick(*v))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    // the first series last, so that it is drawn on top where curves overlap
    for (i, s) in panel.series.iter().enumerate().rev() {
        let color = COLORS[i % COLORS.len()];
        let points = s.x.iter().zip(s.y).filter(|(_, y)| y.is_finite()).map(|(&x, &y)| (x, y));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| anyhow!("{e}"))?
            .label(s.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Ticks readable at any scale: `0.0123`, `12.3`, `1.2e5`.
fn format_tick(v: f32) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-2..1e4).contains(&a) {
        format!("{v:.1e}")
    } else {
        format!("{}", (v * 1000.0).round() / 1000.0)
    }
}
