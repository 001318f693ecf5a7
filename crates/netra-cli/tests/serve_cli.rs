//! `netra serve` on a registry without accounts says how to create the
//! first one (issue 20, "First start"); with an account it does not.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const NETRA: &str = env!("CARGO_BIN_EXE_netra");

/// Kills the server when dropped (also when the test fails).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn netra(args: &[&str], dir: &Path, stdin: &str) {
    let mut child = Command::new(NETRA)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run netra");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("netra output");
    assert!(
        out.status.success(),
        "netra {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What `netra serve` writes to standard error up to its "index ready"
/// line (the server is then stopped).
fn start_messages(dir: &Path) -> String {
    let mut child = Command::new(NETRA)
        .args(["serve", "--db", "reg.db", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netra serve");
    let stderr = child.stderr.take().expect("stderr");
    let _guard = Guard(child);
    let mut text = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("a line of standard error");
        text.push_str(&line);
        text.push('\n');
        if line.contains("index ready") {
            break;
        }
    }
    text
}

#[test]
fn serve_without_accounts_prints_how_to_create_one() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    netra(&["init", "--db", "reg.db"], dir, "");
    let first = start_messages(dir);
    assert!(
        first.contains("no account yet")
            && first.contains("netra user add admin --role administrator --db reg.db"),
        "the first start names the command, with this --db:\n{first}"
    );
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
        "correct horse battery staple\n",
    );
    let later = start_messages(dir);
    assert!(
        later.contains("index ready") && !later.contains("no account"),
        "with an account, no hint:\n{later}"
    );
}
