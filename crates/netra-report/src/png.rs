//! Rasterising a figure's SVG to PNG with `resvg`, using only the bundled
//! Liberation Sans (machines without fonts render the same pixels).
//!
//! The SVG's user unit is the CSS pixel (1/96 inch); a PNG at `dpi` is
//! scaled by `dpi / 96`, and the file records its resolution in a `pHYs`
//! chunk so that a journal's system and word processors place it at the
//! intended physical size (300 dpi is the usual requirement for line art
//! with text; 600 dpi for pure line art).

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::ReportError;
use crate::font;

/// Largest PNG edge in pixels accepted (a 20-inch figure at 1200 dpi).
pub const MAX_EDGE: u32 = 24_000;

fn fonts() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(font::REGULAR.to_vec());
        db.load_font_data(font::BOLD.to_vec());
        db.set_sans_serif_family(font::FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Renders `svg` at `dpi` (72–1200) to PNG bytes on a white background.
pub fn svg_to_png(svg: &str, dpi: f64) -> Result<Vec<u8>, ReportError> {
    if !(dpi.is_finite() && (72.0..=1200.0).contains(&dpi)) {
        return Err(ReportError::InvalidOption(format!(
            "dpi must be between 72 and 1200, got {dpi}"
        )));
    }
    let options = usvg::Options {
        font_family: font::FAMILY.to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| ReportError::Png(e.to_string()))?;
    let scale = dpi / 96.0;
    let size = tree.size();
    let w = (f64::from(size.width()) * scale).round();
    let h = (f64::from(size.height()) * scale).round();
    if !(w >= 1.0 && h >= 1.0 && w <= f64::from(MAX_EDGE) && h <= f64::from(MAX_EDGE)) {
        return Err(ReportError::Png(format!(
            "image size {w} x {h} px out of range"
        )));
    }
    let mut pixmap = tiny_skia::Pixmap::new(w as u32, h as u32)
        .ok_or_else(|| ReportError::Png("cannot allocate the image".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let transform = tiny_skia::Transform::from_scale(scale as f32, scale as f32);
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    let png = pixmap
        .encode_png()
        .map_err(|e| ReportError::Png(e.to_string()))?;
    Ok(with_resolution(png, dpi))
}

/// Inserts a `pHYs` chunk (pixels per metre) after the PNG's `IHDR`.
fn with_resolution(png: Vec<u8>, dpi: f64) -> Vec<u8> {
    // 8-byte signature, then IHDR: 4 length + 4 type + 13 data + 4 CRC.
    const IHDR_END: usize = 8 + 25;
    if png.len() < IHDR_END || &png[12..16] != b"IHDR" {
        return png;
    }
    let ppm = (dpi / 0.0254).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    chunk.extend_from_slice(b"pHYs");
    chunk.extend_from_slice(&ppm.to_be_bytes());
    chunk.extend_from_slice(&ppm.to_be_bytes());
    chunk.push(1); // unit: metre
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    let mut out = Vec::with_capacity(png.len() + chunk.len());
    out.extend_from_slice(&png[..IHDR_END]);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[IHDR_END..]);
    out
}

/// CRC-32 (ISO 3309, as PNG uses), bitwise: chunks here are tiny.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_specification() {
        // CRC of the IEND chunk type, present in every PNG.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn bad_dpi_is_an_error() {
        assert!(svg_to_png("<svg/>", 0.0).is_err());
        assert!(svg_to_png("<svg/>", f64::NAN).is_err());
        assert!(svg_to_png("not svg", 96.0).is_err());
    }
}
