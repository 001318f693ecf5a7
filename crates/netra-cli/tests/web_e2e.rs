//! End-to-end test of `netra serve` in a real headless Chromium, driven
//! through chromedriver (WebDriver) with `fantoccini`.
//!
//! On a fresh registry with one administrator made by `netra user add`, a
//! person logs in, creates a study, a site and a patient, records a
//! treatment and two imaging assessments with a lesion each (seeing the
//! computed RECIST response while typing), and opens the analysis page to
//! see the Kaplan–Meier figure. Screenshots of the patient and analysis
//! pages are checked to be non-blank (and kept in the test's target
//! directory for a person to look at).
//!
//! Chromium and chromedriver are Debian's `chromium` and `chromium-driver`,
//! which `scripts/test.sh` installs. Without them this test fails: it is
//! never skipped.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const NETRA: &str = env!("CARGO_BIN_EXE_netra");
const PASSWORD: &str = "correct horse battery staple";

/// Kills a child process when dropped (also when the test fails).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn netra(args: &[&str], dir: &Path, stdin: Option<&str>) {
    let mut cmd = Command::new(NETRA);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run netra");
    if let Some(s) = stdin {
        child
            .stdin
            .as_mut()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("netra output");
    assert!(
        out.status.success(),
        "netra {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `netra serve` on a free port; returns the guard and the base URL.
fn start_server(dir: &Path) -> (Guard, String) {
    let mut child = Command::new(NETRA)
        .args(["serve", "--db", "reg.db", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start netra serve");
    let stdout = child.stdout.take().expect("stdout");
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let url = line
        .trim()
        .strip_prefix("netra serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from netra serve: {line:?}"))
        .to_string();
    (guard, url)
}

fn start_chromedriver(driver: &Path) -> (Guard, String) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let guard = Guard(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (guard, format!("http://127.0.0.1:{port}"))
}

async fn fill(c: &Client, id: &str, text: &str) {
    let e = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("field #{id}: {e}"));
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("type");
}

async fn choose(c: &Client, id: &str, value: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("select #{id}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("select #{id} = {value}: {e}"));
}

async fn submit(c: &Client, form: &str) {
    c.find(Locator::Css(&format!("{form} button[type=submit]")))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("click submit");
}

async fn heading(c: &Client) -> String {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("main h1"))
        .await
        .expect("a page heading")
        .text()
        .await
        .expect("heading text")
}

/// Waits until the current URL's path starts with `prefix`.
async fn wait_path(c: &Client, prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = c.current_url().await.expect("url");
        if url.path().starts_with(prefix) {
            return;
        }
        if Instant::now() > deadline {
            let src = c.source().await.unwrap_or_default();
            panic!("expected {prefix}, at {url}; page:\n{src}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A screenshot that shows something: a sizeable share of non-white pixels
/// in several colours.
fn check_not_blank(png: &[u8], name: &str, dir: &Path) {
    std::fs::write(dir.join(name), png).expect("keep screenshot");
    let img = resvg::tiny_skia::Pixmap::decode_png(png).expect("screenshot is a PNG");
    let px = img.pixels();
    let non_white = px
        .iter()
        .filter(|p| p.red() < 240 || p.green() < 240 || p.blue() < 240)
        .count();
    let mut colours: Vec<u32> = px
        .iter()
        .map(|p| (u32::from(p.red()) << 16) | (u32::from(p.green()) << 8) | u32::from(p.blue()))
        .collect();
    colours.sort_unstable();
    colours.dedup();
    let share = non_white as f64 / px.len() as f64;
    assert!(
        share > 0.03 && colours.len() > 20,
        "{name} looks blank: {:.1} % non-white pixels, {} colours",
        100.0 * share,
        colours.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_enter_a_course_and_see_the_survival_figure() {
    let chromium = find_program(&["chromium", "chromium-browser"]).expect(
        "Chromium is missing: install Debian's `chromium` and `chromium-driver` (scripts/test.sh does)",
    );
    let driver = find_program(&["chromedriver"]).expect(
        "chromedriver is missing: install Debian's `chromium-driver` (scripts/test.sh does)",
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    netra(&["init", "--db", "reg.db"], dir, None);
    netra(
        &[
            "user",
            "add",
            "admin",
            "--role",
            "administrator",
            "--db",
            "reg.db",
        ],
        dir,
        Some(&format!("{PASSWORD}\n")),
    );
    let (_server, base) = start_server(dir);
    let (_driver, driver_url) = start_chromedriver(&driver);
    let profile = dir.join("chromium-profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver_url)
        .await
        .expect("a WebDriver session with Chromium");
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-e2e");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let result = run(&c, &base, &shots).await;
    let _ = c.close().await;
    result.expect("end-to-end run");
}

async fn run(c: &Client, base: &str, shots: &Path) -> Result<(), String> {
    // Log in: a protected page redirects to the login form and back.
    c.goto(&format!("{base}/patients"))
        .await
        .map_err(|e| e.to_string())?;
    wait_path(c, "/login").await;
    fill(c, "username", "admin").await;
    fill(c, "password", PASSWORD).await;
    submit(c, "main form").await;
    wait_path(c, "/patients").await;
    assert_eq!(heading(c).await, "Patients");

    // A study and a site (a fresh registry has none).
    c.goto(&format!("{base}/records/study/new"))
        .await
        .map_err(|e| e.to_string())?;
    fill(c, "f_study", "demo").await;
    fill(c, "f_title", "Browser test study").await;
    fill(c, "reason", "set up the registry").await;
    submit(c, "#record-form").await;
    wait_path(c, "/admin/users").await;
    c.goto(&format!("{base}/records/site/new"))
        .await
        .map_err(|e| e.to_string())?;
    fill(c, "f_site", "c1").await;
    fill(c, "f_study", "demo").await;
    fill(c, "f_name", "Centre One").await;
    fill(c, "reason", "set up the registry").await;
    submit(c, "#record-form").await;
    wait_path(c, "/admin/users").await;

    // A patient, from the list's button; first with an impossible date
    // order, which the importer's check refuses with its message.
    c.goto(&format!("{base}/patients"))
        .await
        .map_err(|e| e.to_string())?;
    c.find(Locator::LinkText("New patient"))
        .await
        .map_err(|e| e.to_string())?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_path(c, "/records/patient/new").await;
    fill(c, "f_patient", "P1").await;
    choose(c, "f_site", "c1").await;
    choose(c, "f_sex", "female").await;
    fill(c, "f_diagnosis_date", "2018-03-01").await;
    fill(c, "f_last_followup_date", "2017-01-01").await;
    choose(c, "f_vital_status", "alive").await;
    // The new-patient flow asks no reason (issue 15): the audit trail
    // records "created in new-patient flow" with the user and the time.
    let note = c
        .find(Locator::Id("reason"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    assert!(note.contains("No reason needed"), "{note}");
    submit(c, "#record-form").await;
    let problems = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("problems"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    assert!(
        problems.contains("last followup date"),
        "the date-order problem names its field: {problems}"
    );
    fill(c, "f_last_followup_date", "2021-06-30").await;
    submit(c, "#record-form").await;
    wait_path(c, "/patients/P1").await;
    assert_eq!(heading(c).await, "Patient P1");

    // A treatment.
    c.find(Locator::LinkText("Add treatment"))
        .await
        .map_err(|e| e.to_string())?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_path(c, "/records/treatment/new").await;
    fill(c, "f_treatment", "T1").await;
    choose(c, "f_type", "radionuclide").await;
    fill(c, "f_start_date", "2018-04-01").await;
    fill(c, "f_end_date", "2018-10-01").await;
    submit(c, "#record-form").await;
    wait_path(c, "/patients/P1").await;

    // Two assessments, a lesion at each; the second lesion's response is
    // computed while it is typed.
    for (id, date) in [("A1", "2018-03-20"), ("A2", "2018-07-01")] {
        c.goto(&format!("{base}/records/assessment/new?patient=P1"))
            .await
            .map_err(|e| e.to_string())?;
        fill(c, "f_assessment", id).await;
        fill(c, "f_date", date).await;
        choose(c, "f_modality", "ct").await;
        submit(c, "#record-form").await;
        wait_path(c, "/patients/P1").await;
    }
    for (assessment, mm) in [("A1", "52"), ("A2", "30")] {
        c.goto(&format!(
            "{base}/records/lesion/new?patient=P1&assessment={assessment}"
        ))
        .await
        .map_err(|e| e.to_string())?;
        // At follow-up a lesion is chosen from the patient's lesions
        // (issue 13); the first one, with none known yet, is typed.
        if assessment == "A1" {
            fill(c, "f_lesion", "L1").await;
        } else {
            choose(c, "f_lesion", "L1").await;
        }
        choose(c, "f_organ", "liver").await;
        choose(c, "f_role", "target").await;
        fill(c, "f_longest_mm", mm).await;
        if assessment == "A2" {
            // 52 → 30 mm is −42 %: a partial response, shown before saving.
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let text = c
                    .find(Locator::Id("recist-preview"))
                    .await
                    .map_err(|e| e.to_string())?
                    .text()
                    .await
                    .map_err(|e| e.to_string())?;
                if text.contains("PR") && text.contains("-42.3") {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("the RECIST preview never showed PR: {text}"));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        submit(c, "#record-form").await;
        wait_path(c, "/patients/P1").await;
    }
    // The course figure shows the treatment bar and the response marker.
    let course = c
        .find(Locator::Css("#main figure.svg svg"))
        .await
        .map_err(|e| e.to_string())?
        .html(false)
        .await
        .map_err(|e| e.to_string())?;
    assert!(course.contains("PR"), "the course figure marks the PR");
    c.execute("window.scrollTo(0, 0);", vec![])
        .await
        .map_err(|e| e.to_string())?;
    let png = c.screenshot().await.map_err(|e| e.to_string())?;
    check_not_blank(&png, "patient.png", shots);
    // Issue 20: headers people read, the derived lines, nothing wider than
    // the window, every row's actions in view, dates on one line.
    let text = c
        .find(Locator::Css("main"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    for words in [
        "Lines of therapy",
        "Imaging assessments",
        "History of patient P1",
    ] {
        assert!(text.contains(words), "the patient page says '{words}'");
    }
    assert!(!text.contains("statuss"), "no schema plurals");
    check_layout(c, "patient page").await?;
    // A narrow window (a tablet on its side): wide tables scroll inside
    // their box, their actions still in view.
    c.set_window_size(800, 1000)
        .await
        .map_err(|e| e.to_string())?;
    check_layout(c, "patient page at 800 px").await?;
    c.set_window_size(1280, 1000)
        .await
        .map_err(|e| e.to_string())?;

    // The analysis page: overall survival from diagnosis.
    c.goto(&format!("{base}/analysis"))
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(heading(c).await, "Cohort analysis");
    choose(c, "endpoint_from", "os|diagnosis").await;
    submit(c, "form.filters").await;
    let fig = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#main figure.svg svg"))
        .await
        .map_err(|e| e.to_string())?;
    let svg = fig.html(false).await.map_err(|e| e.to_string())?;
    assert!(
        svg.contains("Overall survival") && svg.contains("at risk"),
        "the Kaplan–Meier figure with its at-risk table"
    );
    let (_, _, w, h) = fig.rectangle().await.map_err(|e| e.to_string())?;
    assert!(
        w > 300.0 && h > 200.0,
        "the figure is drawn at size ({w} × {h})"
    );
    let png = c.screenshot().await.map_err(|e| e.to_string())?;
    check_not_blank(&png, "analysis.png", shots);
    check_layout(c, "analysis page").await?;
    Ok(())
}

/// The page is no wider than the window, every table's action cells end
/// inside the window, and every date cell is one line (no wrap).
async fn check_layout(c: &Client, what: &str) -> Result<(), String> {
    let v = c
        .execute(
            r#"
            const doc = document.documentElement;
            const w = window.innerWidth;
            const actions = [...document.querySelectorAll('td.row-actions')]
                .map(e => e.getBoundingClientRect())
                .filter(r => r.width > 0);
            const dates = [...document.querySelectorAll('td.date')]
                .filter(e => e.textContent.trim().length > 0);
            // A date's text laid out on more than one line has a rectangle
            // per line.
            const lines = e => {
                const r = document.createRange();
                r.selectNodeContents(e);
                return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
            };
            return {
                page_overflow: doc.scrollWidth - doc.clientWidth,
                actions: actions.length,
                actions_outside: actions.filter(r => r.right > w + 1 || r.left < -1).length,
                dates: dates.length,
                wrapped_dates: dates.filter(e => lines(e) > 1).length,
            };
            "#,
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    let n = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    assert!(
        n("page_overflow") <= 0.0,
        "{what}: the page is {} px wider than the window",
        n("page_overflow")
    );
    assert_eq!(
        n("actions_outside"),
        0.0,
        "{what}: {} of {} action cells outside the window",
        n("actions_outside"),
        n("actions")
    );
    assert_eq!(
        n("wrapped_dates"),
        0.0,
        "{what}: {} of {} dates wrap",
        n("wrapped_dates"),
        n("dates")
    );
    Ok(())
}
