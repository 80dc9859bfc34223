//! Headless Chromium: the page or the `net::ERR_…` of its error page (`--dump-dom`).
//!
//! The lab root goes into a private NSS database (`$HOME/.pki/nssdb`, made with certutil) under
//! a HOME of its own; each run gets a fresh profile, and the host resolver knows `localhost`
//! only, so nothing leaves the machine.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::clients::command::{self, arg};
use crate::clients::{ClientOutcome, Target, hash};
use crate::error::{Error, Result};
use crate::labdir::fsutil;

static RUN: AtomicUsize = AtomicUsize::new(0);

/// The flags of every run: no sandbox (tests run as root), no GPU, no QUIC, no background
/// traffic, and name resolution for localhost alone.
pub const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-breakpad",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
];

/// A HOME whose NSS database trusts `ca` (made once per CA and work directory).
pub fn home_trusting(ca: &Path, work_dir: &Path) -> Result<std::path::PathBuf> {
    if !command::on_path("certutil") {
        return Err(Error::MissingClient { client: "chromium", program: "certutil", package: "libnss3-tools" });
    }
    let pem = fsutil::read(ca)?;
    let home = work_dir.join(format!("chromium-home-{:x}", hash(&pem)));
    let db = home.join(".pki/nssdb");
    if !db.join("cert9.db").is_file() {
        fsutil::create_dir(&db)?;
        let nss = format!("sql:{}", db.display());
        let mut init = Command::new("certutil");
        init.args(["-N", "--empty-password", "-d", &nss]);
        command::run_ok(init, "certutil -N")?;
        let mut add = Command::new("certutil");
        add.args(["-A", "-t", "C,,", "-n", "pki-lab", "-i", &arg(ca), "-d", &nss]);
        command::run_ok(add, "certutil -A")?;
    }
    Ok(home)
}

pub fn run(t: &Target, work_dir: &Path) -> Result<ClientOutcome> {
    let home = home_trusting(&t.ca, work_dir)?;
    let profile =
        work_dir.join(format!("chromium-profile-{}-{}", std::process::id(), RUN.fetch_add(1, Ordering::Relaxed)));
    let mut cmd = Command::new("chromium");
    cmd.args(FLAGS).arg(format!("--user-data-dir={}", profile.display())).arg("--dump-dom").arg(&t.url);
    cmd.env("HOME", &home);
    let ran = command::run(cmd, b"");
    let _ = std::fs::remove_dir_all(&profile);
    let ran = ran?;
    let dom = &ran.stdout;
    // The error page carries `"errorCode":"net::ERR_CERT_DATE_INVALID"` (or without `net::`).
    // Chromium 156.0.8078.114 and later print no error page with --dump-dom, only
    // `Page load failed: net::ERR_…` on stderr.
    let error = dom
        .split("\"errorCode\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .or_else(|| ran.stderr.split("Page load failed: ").nth(1).and_then(|r| r.split_whitespace().next()))
        .filter(|c| !c.is_empty());
    let net_log: Vec<&str> =
        ran.stderr.lines().filter(|l| l.contains("net_error") || l.contains("ssl_client")).collect();
    Ok(match error {
        Some(code) => {
            let code = if code.starts_with("net::") { code.to_string() } else { format!("net::{code}") };
            let text = if net_log.is_empty() { code.clone() } else { format!("{code}; {}", net_log.join("; ")) };
            ClientOutcome { accepted: false, code, text }
        }
        None if ran.timed_out || dom.trim().is_empty() => ClientOutcome {
            accepted: false,
            code: if ran.timed_out { "timeout".into() } else { "no-page".into() },
            text: ran.stderr.lines().rev().take(5).collect::<Vec<_>>().join("\n"),
        },
        None => ClientOutcome { accepted: true, code: "ok".into(), text: "the page loaded".into() },
    })
}
