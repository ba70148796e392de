//! A bar chart of the Linux/this ratios as SVG, written next to `docs/performance.md`.
//!
//! One horizontal bar per operation that both systems ran, on a base-2 logarithmic axis centred
//! on 1 (equal speed): bars to the right mean this system is faster, to the left slower. Ratios
//! beyond 1/16 or 16 are drawn at the edge, with their value written out.

use std::fmt::Write;

use crate::bench_results::OperationRow;

const LABEL_WIDTH: f64 = 190.0;
const PLOT_WIDTH: f64 = 480.0;
const ROW_HEIGHT: f64 = 22.0;
const TOP: f64 = 40.0;
/// Powers of two shown either side of 1.
const OCTAVES: f64 = 4.0;

/// The horizontal position of `ratio` on the axis.
pub fn ratio_position(ratio: f64) -> f64 {
    let octaves = ratio.log2().clamp(-OCTAVES, OCTAVES);
    LABEL_WIDTH + PLOT_WIDTH / 2.0 + octaves / OCTAVES * (PLOT_WIDTH / 2.0)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The chart, or `None` when no operation has a ratio.
pub fn ratio_chart(rows: &[OperationRow], caption: &str) -> Option<String> {
    let bars: Vec<(&str, f64)> = rows
        .iter()
        .filter_map(|row| Some((row.name.as_str(), row.ratio()?)))
        .collect();
    if bars.is_empty() {
        return None;
    }
    let width = LABEL_WIDTH + PLOT_WIDTH + 70.0;
    let height = TOP + ROW_HEIGHT * bars.len() as f64 + 30.0;
    let bottom = TOP + ROW_HEIGHT * bars.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\">{}</text>\n",
        escape(caption)
    );
    for power in -4_i32..=4 {
        let ratio = 2_f64.powi(power);
        let x = ratio_position(ratio);
        let label = if power >= 0 {
            format!("{}×", 1 << power)
        } else {
            format!("1/{}", 1 << -power)
        };
        let stroke = if power == 0 { "#000" } else { "#ccc" };
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"{stroke}\"/>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{label}</text>",
            TOP - 8.0,
            bottom + 16.0
        );
    }
    let centre = ratio_position(1.0);
    for (index, (name, ratio)) in bars.iter().enumerate() {
        let y = TOP + ROW_HEIGHT * index as f64;
        let end = ratio_position(*ratio);
        let (left, bar_width, colour) = if end >= centre {
            (centre, end - centre, "#3a8a3a")
        } else {
            (end, centre - end, "#b84040")
        };
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{left:.1}\" y=\"{:.1}\" width=\"{bar_width:.1}\" height=\"{:.1}\" \
             fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#333\">{ratio:.2}</text>",
            LABEL_WIDTH - 8.0,
            y + 15.0,
            escape(name),
            y + 4.0,
            ROW_HEIGHT - 8.0,
            end.max(centre) + 4.0,
            y + 15.0,
        );
    }
    svg.push_str("</svg>\n");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_results::SystemFigures;
    use crate::bench_statistics::Summary;

    fn row(name: &str, this: f64, linux: f64) -> OperationRow {
        let figures = |median| {
            SystemFigures::Measured(Summary {
                median,
                minimum: median,
                maximum: median,
                count: 1,
            })
        };
        OperationRow {
            name: name.to_string(),
            this: figures(this),
            linux: figures(linux),
            this_kernel_calls: None,
        }
    }

    #[test]
    fn positions_are_logarithmic_and_clamped() {
        let centre = LABEL_WIDTH + PLOT_WIDTH / 2.0;
        assert_eq!(ratio_position(1.0), centre);
        assert_eq!(ratio_position(2.0), centre + PLOT_WIDTH / 8.0);
        assert_eq!(ratio_position(0.5), centre - PLOT_WIDTH / 8.0);
        assert_eq!(ratio_position(1000.0), LABEL_WIDTH + PLOT_WIDTH);
        assert_eq!(ratio_position(0.0001), LABEL_WIDTH);
    }

    #[test]
    fn one_bar_per_compared_operation() {
        let rows = [
            row("ipc_round_trip", 10.0, 40.0),
            row("kernel_null_call", 4.0, 1.0),
            OperationRow {
                name: "fork_exit".to_string(),
                this: SystemFigures::Unavailable("needs fork".to_string()),
                linux: SystemFigures::Missing,
                this_kernel_calls: None,
            },
        ];
        let svg = ratio_chart(&rows, "Linux / this <run>").unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("fill=\"#3a8a3a\"").count(), 1);
        assert_eq!(svg.matches("fill=\"#b84040\"").count(), 1);
        assert!(svg.contains(">ipc_round_trip</text>") && svg.contains(">4.00</text>"));
        assert!(svg.contains(">0.25</text>") && !svg.contains("fork_exit"));
        assert!(svg.contains("Linux / this &lt;run&gt;"));
        assert_eq!(ratio_chart(&rows[2..], "x"), None);
    }
}
