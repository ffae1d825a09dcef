//! A horizontal bar chart in plain SVG: one bar per variant, its length the
//! variant's median time over the fastest's, failures written out where the
//! bar would be. No dependency: the figure is simple and must diff well.

use std::fmt::Write as _;

/// One variant's bar.
pub(crate) struct Bar {
    pub(crate) label: String,
    /// Median seconds; `None` when no run counted.
    pub(crate) seconds: Option<f64>,
    /// Why runs failed, if any did.
    pub(crate) note: Option<String>,
}

const WIDTH: f64 = 760.0;
const LABEL: f64 = 130.0;
const BAR_MAX: f64 = 420.0;
const ROW: f64 = 26.0;
const TOP: f64 = 56.0;

/// The chart, titled `title`, with `command` (what made it) as its caption.
pub(crate) fn ratio_chart(title: &str, command: &str, bars: &[Bar]) -> String {
    let fastest = bars
        .iter()
        .filter_map(|b| b.seconds)
        .fold(f64::INFINITY, f64::min);
    let slowest_ratio = bars
        .iter()
        .filter_map(|b| b.seconds)
        .map(|s| s / fastest)
        .fold(1.0, f64::max);
    let height = TOP + ROW * bars.len() as f64 + 40.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    let _ = writeln!(
        out,
        r##"<text x="10" y="42" fill="#555">wall time / fastest (shorter is better)</text>"##
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LABEL - 8.0,
            y + 15.0,
            escape(&bar.label)
        );
        match bar.seconds {
            Some(s) => {
                let ratio = s / fastest;
                let len = (BAR_MAX * ratio / slowest_ratio).max(2.0);
                let fill = if bar.label == "gc" {
                    "#c0392b"
                } else {
                    "#7f8c8d"
                };
                let _ = writeln!(
                    out,
                    r#"<rect x="{LABEL}" y="{}" width="{len:.1}" height="18" fill="{fill}"/>"#,
                    y + 2.0
                );
                let mut text = format!("{ratio:.2}x ({s:.3} s)");
                if bar.note.is_some() {
                    text.push_str(", some runs failed");
                }
                let _ = writeln!(
                    out,
                    r#"<text x="{:.1}" y="{}">{}</text>"#,
                    LABEL + len + 6.0,
                    y + 15.0,
                    escape(&text)
                );
            }
            None => {
                let note = bar.note.as_deref().unwrap_or("no result");
                let _ = writeln!(
                    out,
                    r##"<text x="{LABEL}" y="{}" fill="#c0392b">{}</text>"##,
                    y + 15.0,
                    escape(&truncate(note, 80))
                );
            }
        }
    }
    let _ = writeln!(
        out,
        r##"<text x="10" y="{}" fill="#555" font-size="11">{}</text>"##,
        height - 12.0,
        escape(command)
    );
    out.push_str("</svg>\n");
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_slowest_and_failures_are_written_out() {
        let svg = ratio_chart(
            "t <1>",
            "cmd",
            &[
                Bar {
                    label: "gc".into(),
                    seconds: Some(1.0),
                    note: None,
                },
                Bar {
                    label: "rc".into(),
                    seconds: Some(2.0),
                    note: None,
                },
                Bar {
                    label: "x".into(),
                    seconds: None,
                    note: Some("3 of 3 runs failed: signal: 11".into()),
                },
            ],
        );
        assert!(svg.contains("t &lt;1&gt;"));
        assert!(
            svg.contains(r#"width="210.0""#),
            "the fastest is half the slowest"
        );
        assert!(svg.contains(r#"width="420.0""#));
        assert!(svg.contains("1.00x (1.000 s)") && svg.contains("2.00x (2.000 s)"));
        assert!(svg.contains("3 of 3 runs failed: signal: 11"));
        assert!(svg.ends_with("</svg>\n"));
    }
}
