//! `netra report … --pdf`: the HTML report printed to PDF by headless
//! Chromium, the browser that renders the report in its tests
//! (`crates/netra-study/tests/chromium.rs`), so the PDF shows what the
//! HTML shows. netra has no PDF backend of its own: without Chromium the
//! flag fails with a sentence saying what to install, before the study
//! runs.
//!
//! The browser is `$NETRA_CHROMIUM`, else the first of `chromium`,
//! `chromium-browser`, `google-chrome` on `PATH`. It runs with a fresh
//! profile in a temporary directory, no sandbox (containers), no network
//! beyond the local file, and a time limit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long Chromium may take to print the report.
const TIME_LIMIT: Duration = Duration::from_secs(180);

/// The browser to print with, or an error naming what to install.
pub fn find_chromium() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("NETRA_CHROMIUM") {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!(
                "--pdf: NETRA_CHROMIUM names {}, which is not a file",
                p.display()
            );
        }
        return Ok(p);
    }
    let names = ["chromium", "chromium-browser", "google-chrome"];
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            for name in names {
                let p = dir.join(name);
                if p.is_file() {
                    return Ok(p);
                }
            }
        }
    }
    bail!(
        "--pdf needs headless Chromium to print the report, and none was found ({} on PATH, \
         or NETRA_CHROMIUM=/path/to/browser); install it (Debian: apt-get install chromium) \
         or open report.html in a browser and print it",
        names.join(", ")
    )
}

/// A fresh browser profile directory, removed when dropped.
struct Profile(PathBuf);

impl Profile {
    fn new() -> anyhow::Result<Profile> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("netra-pdf-{}-{stamp}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("--pdf: cannot create {}", dir.display()))?;
        Ok(Profile(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Prints `html` (a file) to `pdf` with `browser`.
pub fn print(browser: &Path, html: &Path, pdf: &Path) -> anyhow::Result<()> {
    let html = html
        .canonicalize()
        .with_context(|| format!("--pdf: cannot find {}", html.display()))?;
    let profile = Profile::new()?;
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("--pdf: cannot start {}", browser.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().context("--pdf: waiting for the browser")? {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            child.kill().ok();
            child.wait().ok();
            bail!(
                "--pdf: {} did not print the report within {} s",
                browser.display(),
                TIME_LIMIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if !status.success() {
        bail!("--pdf: {} failed ({status})", browser.display());
    }
    let bytes = std::fs::read(pdf)
        .with_context(|| format!("--pdf: the browser wrote no {}", pdf.display()))?;
    if !bytes.starts_with(b"%PDF-") {
        bail!("--pdf: {} is not a PDF", pdf.display());
    }
    Ok(())
}
