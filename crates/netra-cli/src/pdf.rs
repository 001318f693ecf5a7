//! `netra report … --pdf`: the HTML report printed to PDF by headless
//! Chromium, the browser that renders the report in its tests
//! (`crates/netra-study/tests/chromium.rs`), so the PDF shows what the
//! HTML shows. netra has no PDF backend of its own: without Chromium the
//! flag fails with a sentence saying what to install, before the study
//! runs. How the browser is found and started is
//! [`netra_report::browser`]'s (shared with those tests).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use netra_report::browser::{self, BrowserError};

/// How long Chromium may take to print the report.
const TIME_LIMIT: Duration = Duration::from_secs(180);

/// The browser to print with, or an error naming what to install.
pub fn find_chromium() -> anyhow::Result<PathBuf> {
    browser::find().map_err(|e| match e {
        BrowserError::NotFound => anyhow::anyhow!(
            "--pdf needs headless Chromium to print the report: {e}; \
             or open report.html in a browser and print it"
        ),
        e => anyhow::anyhow!("--pdf: {e}"),
    })
}

/// Prints `html` (a file) to `pdf` with `browser`.
pub fn print(browser: &Path, html: &Path, pdf: &Path) -> anyhow::Result<()> {
    let html = html
        .canonicalize()
        .with_context(|| format!("--pdf: cannot find {}", html.display()))?;
    let args = [
        "--no-pdf-header-footer".to_string(),
        format!("--print-to-pdf={}", pdf.display()),
        format!("file://{}", html.display()),
    ];
    browser::run(browser, &args, TIME_LIMIT).map_err(|e| {
        anyhow::anyhow!(
            "--pdf: {} could not print the report: {e}",
            browser.display()
        )
    })?;
    let bytes = std::fs::read(pdf)
        .with_context(|| format!("--pdf: the browser wrote no {}", pdf.display()))?;
    if !bytes.starts_with(b"%PDF-") {
        bail!("--pdf: {} is not a PDF", pdf.display());
    }
    Ok(())
}
