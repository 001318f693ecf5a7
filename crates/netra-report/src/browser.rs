//! Headless Chromium, the one browser netra relies on: `netra report --pdf`
//! prints the HTML report with it, and the tests that look at the report
//! and the CLI figures as a reader would render them with it. One place
//! decides how it is found and started, so what the tests check is what
//! the PDF shows.
//!
//! The browser is `$NETRA_CHROMIUM`, else the first of [`NAMES`] on `PATH`.
//! It runs with a fresh profile in a temporary directory (removed after),
//! no sandbox (containers), no background network, and a time limit.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary names looked for on `PATH`, in order.
pub const NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// Flags every run gets: headless, no sandbox, nothing fetched or synced.
const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Why the browser could not be found or did not do its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserError {
    /// `NETRA_CHROMIUM` names something that is not a file.
    NotAFile(PathBuf),
    /// No browser on `PATH` and no `NETRA_CHROMIUM`.
    NotFound,
    /// The profile directory or the process could not be created.
    Start(String),
    /// The browser ran longer than its limit and was stopped.
    TimedOut(Duration),
    /// The browser exited with a failure status.
    Failed(String),
}

impl fmt::Display for BrowserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrowserError::NotAFile(p) => {
                write!(
                    f,
                    "NETRA_CHROMIUM names {}, which is not a file",
                    p.display()
                )
            }
            BrowserError::NotFound => write!(
                f,
                "no headless Chromium was found ({} on PATH, or NETRA_CHROMIUM=/path/to/browser); \
                 install it (Debian: apt-get install chromium)",
                NAMES.join(", ")
            ),
            BrowserError::Start(why) => write!(f, "cannot start the browser: {why}"),
            BrowserError::TimedOut(limit) => {
                write!(f, "the browser did not finish within {} s", limit.as_secs())
            }
            BrowserError::Failed(status) => write!(f, "the browser failed ({status})"),
        }
    }
}

impl std::error::Error for BrowserError {}

/// The browser to use: `$NETRA_CHROMIUM`, else the first of [`NAMES`] on
/// `PATH`.
pub fn find() -> Result<PathBuf, BrowserError> {
    if let Some(p) = std::env::var_os("NETRA_CHROMIUM") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(BrowserError::NotAFile(p))
        };
    }
    let path = std::env::var_os("PATH").ok_or(BrowserError::NotFound)?;
    std::env::split_paths(&path)
        .flat_map(|dir| NAMES.iter().map(move |name| dir.join(name)))
        .find(|p| p.is_file())
        .ok_or(BrowserError::NotFound)
}

/// The browser for a test that renders in it: `None` (the test skips,
/// saying so) when none is installed, unless `NETRA_REQUIRE_CHROMIUM=1`
/// (set by `scripts/test.sh`, which installs it), where that panics.
pub fn find_for_test() -> Option<PathBuf> {
    match find() {
        Ok(p) => Some(p),
        Err(e) if std::env::var("NETRA_REQUIRE_CHROMIUM").as_deref() == Ok("1") => {
            panic!("Chromium is required (NETRA_REQUIRE_CHROMIUM=1): {e}")
        }
        Err(e) => {
            eprintln!("skipped: {e} (scripts/test.sh installs it and requires it)");
            None
        }
    }
}

/// A fresh browser profile directory, removed when dropped (a reused
/// profile would carry state from one run into the next).
struct Profile(PathBuf);

impl Profile {
    fn new() -> Result<Profile, BrowserError> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("netra-browser-{}-{stamp}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| BrowserError::Start(format!("{}: {e}", dir.display())))?;
        Ok(Profile(dir))
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Runs `browser` headless with `args` (after the common flags and a fresh
/// profile) and returns what it wrote to stdout (the DOM with
/// `--dump-dom`). Stopped and an error after `limit`.
pub fn run(browser: &Path, args: &[String], limit: Duration) -> Result<String, BrowserError> {
    let profile = Profile::new()?;
    let mut child = Command::new(browser)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| BrowserError::Start(format!("{}: {e}", browser.display())))?;
    // Read stdout on its own thread: a large DOM would otherwise fill the
    // pipe and the browser would never exit.
    let mut stdout = child.stdout.take().expect("stdout was piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(BrowserError::Start(e.to_string())),
        }
        if started.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            return Err(BrowserError::TimedOut(limit));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().unwrap_or_default();
    if status.success() {
        Ok(out)
    } else {
        Err(BrowserError::Failed(status.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_is_an_error_not_a_panic() {
        let e = run(
            Path::new("/nonexistent/chromium"),
            &[],
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(matches!(e, BrowserError::Start(_)), "{e}");
    }

    #[test]
    fn a_failing_program_reports_its_status_and_a_slow_one_is_stopped() {
        // `false` and a script that sleeps stand in for a browser (both
        // ignore the flags).
        let f = Path::new("/bin/false");
        if f.is_file() {
            let e = run(f, &[], Duration::from_secs(5)).unwrap_err();
            assert!(matches!(e, BrowserError::Failed(_)), "{e}");
        }
        if Path::new("/bin/sh").is_file() {
            let dir = std::env::temp_dir().join(format!("netra-browser-t-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let script = dir.join("slow");
            std::fs::write(&script, "#!/bin/sh\nsleep 5\n").unwrap();
            std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            let e = run(&script, &[], Duration::from_millis(300)).unwrap_err();
            assert_eq!(e, BrowserError::TimedOut(Duration::from_millis(300)));
            std::fs::remove_dir_all(&dir).ok();
        }
    }
}
