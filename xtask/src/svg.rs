//! A small SVG writer: the book's pictures (the stages' timelines, and the
//! bench's chart, which includes this file) are drawn with it, by hand, so
//! that the same input always gives the same bytes.

use std::fmt::Write as _;

/// An SVG picture being drawn: `width` by `height`, white background,
/// coordinates with one decimal.
pub struct Svg {
    out: String,
}

/// Where a text's x is: its start, middle or end.
#[derive(Clone, Copy, Debug)]
pub enum Anchor {
    /// The text starts at x.
    Start,
    /// The text is centred on x.
    Middle,
    /// The text ends at x.
    End,
}

impl Svg {
    /// A blank picture.
    pub fn new(width: f64, height: f64) -> Svg {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">"
        );
        out.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        Svg { out }
    }

    /// A line from (x1, y1) to (x2, y2).
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
        let _ = writeln!(
            self.out,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{stroke}\"/>"
        );
    }

    /// A filled rectangle; `opacity` below 1 shades what is behind.
    pub fn rect(
        &mut self,
        (x, y): (f64, f64),
        (width, height): (f64, f64),
        fill: &str,
        opacity: f64,
    ) {
        let _ = writeln!(
            self.out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" fill=\"{fill}\" fill-opacity=\"{opacity:.2}\"/>"
        );
    }

    /// A filled circle, or a ring when `fill` is `none`.
    pub fn circle(&mut self, (x, y): (f64, f64), radius: f64, fill: &str, stroke: &str) {
        let _ = writeln!(
            self.out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius:.1}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>"
        );
    }

    /// A filled polygon through `points`.
    #[allow(
        dead_code,
        reason = "the timelines' wake marks; the bench's chart has none"
    )]
    pub fn polygon(&mut self, points: &[(f64, f64)], fill: &str) {
        let _ = writeln!(
            self.out,
            "<polygon points=\"{}\" fill=\"{fill}\"/>",
            coordinates(points)
        );
    }

    /// A line through `points`.
    #[allow(dead_code, reason = "the bench's chart; the timelines have none")]
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str) {
        let _ = writeln!(
            self.out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"2\"/>",
            coordinates(points)
        );
    }

    /// `text` at (x, y), anchored as said, in `size` pixels.
    pub fn text(&mut self, (x, y): (f64, f64), anchor: Anchor, size: u32, text: &str) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = writeln!(
            self.out,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" font-size=\"{size}\">{}</text>",
            escape(text)
        );
    }

    /// The finished picture.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

fn coordinates(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` with XML's special characters escaped.
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
    fn a_picture_is_well_formed_escaped_and_the_same_every_time() {
        let draw = || {
            let mut svg = Svg::new(100.0, 50.0);
            svg.line((0.0, 1.0 / 3.0), (10.0, 20.0), "black");
            svg.text((5.0, 5.0), Anchor::Middle, 12, "a < b & \"c\"");
            svg.circle((1.0, 2.0), 3.0, "none", "green");
            svg.finish()
        };
        let picture = draw();
        assert_eq!(picture, draw());
        assert!(picture.starts_with("<svg ") && picture.ends_with("</svg>\n"));
        assert!(picture.contains("y1=\"0.3\""), "{picture}");
        assert!(
            picture.contains(">a &lt; b &amp; &quot;c&quot;</text>"),
            "{picture}"
        );
    }
}
