//! `--plot FILE`: the figure of an analysis command, written next to its
//! printed output, so a statistician gets a journal figure from a CSV in one
//! command (issue 16, "The CLI draws too").
//!
//! The figures are netra-report's (the ones the study report and the web
//! draw); this file only reads the flags, picks the format from the file's
//! extension and writes the bytes:
//! * `.svg` — the figure's SVG (vector; byte-identical for identical input);
//! * `.png` — rasterised by netra-report's `png` feature (resvg with the
//!   bundled font) at `--dpi` (300 by default, what journals ask for);
//! * `.pdf` — refused: no PDF backend is in netra's dependency tree, and the
//!   SVG converts losslessly (`rsvg-convert -f pdf`, Inkscape).
//!
//! The extension is checked before the analysis runs, so a wrong name fails
//! at once rather than after a long fit.

use std::path::{Path, PathBuf};

use anyhow::Context;
use netra_report::Figure;

/// The figure flags shared by `km`, `cuminc` and `response`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlotArgs {
    /// Also write the figure to FILE: .svg (vector) or .png (at --dpi).
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot: Option<PathBuf>,
    /// Title printed above the figure (default: none; journals set their own).
    #[arg(long, value_name = "TEXT", requires = "plot")]
    pub plot_title: Option<String>,
    /// x-axis title with its unit (default: "Time (<time column>)").
    #[arg(long, value_name = "TEXT", requires = "plot")]
    pub xlab: Option<String>,
    /// y-axis title (default: depends on the figure).
    #[arg(long, value_name = "TEXT", requires = "plot")]
    pub ylab: Option<String>,
    /// Resolution of a .png figure in dots per inch (72–1200).
    #[arg(long, value_name = "DPI", default_value_t = 300.0, requires = "plot")]
    pub dpi: f64,
}

/// A figure file's format, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotFormat {
    /// Scalable vector graphics.
    Svg,
    /// Raster image with the resolution recorded in the file.
    Png,
}

impl PlotFormat {
    /// The format named by `path`'s extension (case-insensitive), or an
    /// error that names the supported formats.
    pub fn of(path: &Path) -> anyhow::Result<PlotFormat> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(PlotFormat::Svg),
            Some("png") => Ok(PlotFormat::Png),
            Some("pdf") => anyhow::bail!(
                "--plot {}: PDF is not supported (netra has no PDF backend); \
                 supported formats: .svg, .png (convert the SVG to PDF with \
                 e.g. `rsvg-convert -f pdf`)",
                path.display()
            ),
            Some(other) => anyhow::bail!(
                "--plot {}: unknown figure format '.{other}'; supported formats: .svg, .png",
                path.display()
            ),
            None => anyhow::bail!(
                "--plot {}: the file name has no extension; supported formats: .svg, .png",
                path.display()
            ),
        }
    }
}

impl PlotArgs {
    /// Checks the flags before any analysis: the file's format and the dpi.
    /// `None` when no figure was asked for.
    pub fn check(&self) -> anyhow::Result<Option<PlotFormat>> {
        let Some(path) = &self.plot else {
            return Ok(None);
        };
        let format = PlotFormat::of(path)?;
        if !(self.dpi.is_finite() && (72.0..=1200.0).contains(&self.dpi)) {
            anyhow::bail!("--dpi must be between 72 and 1200, got {}", self.dpi);
        }
        Ok(Some(format))
    }

    /// The x-axis title: `--xlab`, else the default.
    pub fn x_label(&self, default: impl FnOnce() -> String) -> String {
        self.xlab.clone().unwrap_or_else(default)
    }

    /// The y-axis title: `--ylab`, else `default`.
    pub fn y_label(&self, default: &str) -> String {
        self.ylab.clone().unwrap_or_else(|| default.to_string())
    }

    /// The title: `--plot-title`, else none.
    pub fn title(&self) -> String {
        self.plot_title.clone().unwrap_or_default()
    }

    /// Renders `figure` in the format of `--plot` (checked by
    /// [`PlotArgs::check`]) — the bytes, not yet written.
    pub fn render(&self, figure: &dyn Figure) -> anyhow::Result<Option<Rendered>> {
        let (Some(path), Some(format)) = (&self.plot, self.check()?) else {
            return Ok(None);
        };
        let bytes = match format {
            PlotFormat::Svg => figure.to_svg()?.into_bytes(),
            PlotFormat::Png => figure.to_png(self.dpi)?,
        };
        Ok(Some(Rendered {
            path: path.clone(),
            bytes,
        }))
    }
}

/// A figure ready to be written.
#[derive(Debug)]
pub struct Rendered {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl Rendered {
    /// Writes the file and says so on standard error (standard output keeps
    /// the command's table, JSON or CSV unchanged).
    pub fn write(&self) -> anyhow::Result<()> {
        std::fs::write(&self.path, &self.bytes)
            .with_context(|| format!("--plot {}: cannot write the figure", self.path.display()))?;
        eprintln!("figure written to {}", self.path.display());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_the_extension() {
        assert_eq!(
            PlotFormat::of(Path::new("a/km.svg")).unwrap(),
            PlotFormat::Svg
        );
        assert_eq!(
            PlotFormat::of(Path::new("KM.PNG")).unwrap(),
            PlotFormat::Png
        );
        let pdf = PlotFormat::of(Path::new("km.pdf")).unwrap_err().to_string();
        assert!(
            pdf.contains("PDF is not supported") && pdf.contains(".svg, .png"),
            "{pdf}"
        );
        let jpg = PlotFormat::of(Path::new("km.jpg")).unwrap_err().to_string();
        assert!(
            jpg.contains("'.jpg'") && jpg.contains(".svg, .png"),
            "{jpg}"
        );
        assert!(PlotFormat::of(Path::new("km")).is_err());
    }
}
