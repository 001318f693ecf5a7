//! Text measurement with the bundled Liberation Sans.
//!
//! Layout (margins, legend wrapping, column widths) needs the width of each
//! label. It is computed from the advance widths of the bundled font files
//! (`fonts/`, SIL OFL 1.1), which are also the fonts the PNG is drawn with,
//! so measurement and rendering agree exactly. Kerning is ignored: it
//! changes a label's width by well under 1%, which the layout's padding
//! absorbs.

use std::sync::OnceLock;

/// Liberation Sans Regular 2.1.5 (SIL OFL 1.1, see `fonts/OFL.txt`).
pub static REGULAR: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");
/// Liberation Sans Bold 2.1.5 (SIL OFL 1.1, see `fonts/OFL.txt`).
pub static BOLD: &[u8] = include_bytes!("../fonts/LiberationSans-Bold.ttf");

/// The family name of the bundled font.
pub const FAMILY: &str = "Liberation Sans";

fn face(bold: bool) -> Option<&'static ttf_parser::Face<'static>> {
    static R: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    static B: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    let cell = if bold { &B } else { &R };
    cell.get_or_init(|| ttf_parser::Face::parse(if bold { BOLD } else { REGULAR }, 0).ok())
        .as_ref()
}

/// Width in px of `text` set at `size` px.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let Some(face) = face(bold) else {
        // Unreachable with the bundled files; a rough average keeps layout sane.
        return text.chars().count() as f64 * 0.55 * size;
    };
    let upem = f64::from(face.units_per_em());
    let fallback = face
        .glyph_index('?')
        .and_then(|g| face.glyph_hor_advance(g))
        .unwrap_or(1139);
    let units: u64 = text
        .chars()
        .map(|c| {
            u64::from(
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .unwrap_or(fallback),
            )
        })
        .sum();
    units as f64 * size / upem
}

/// The largest width among `texts`.
pub fn max_width<'a>(texts: impl IntoIterator<Item = &'a str>, size: f64, bold: bool) -> f64 {
    texts
        .into_iter()
        .map(|t| text_width(t, size, bold))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_font_metrics() {
        // Liberation Sans (like Arial): 'H' advances 1479/2048 em, space
        // 569/2048 em, digits 1139/2048 em.
        let h = text_width("H", 2048.0, false);
        assert!((h - 1479.0).abs() < 1e-9, "{h}");
        assert!((text_width(" ", 2048.0, false) - 569.0).abs() < 1e-9);
        assert!((text_width("0123456789", 2048.0, false) - 11390.0).abs() < 1e-9);
        assert!(text_width("Bold", 12.0, true) > text_width("Bold", 12.0, false));
        assert_eq!(text_width("", 12.0, false), 0.0);
    }
}
