//! TODO
use crate::svg::Svg;
/// Marker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Marker {
    /// A.
    A,
}
pub(crate) fn draw_marker(_svg: &mut Svg, _m: Marker, _x: f64, _y: f64, _r: f64) {}
