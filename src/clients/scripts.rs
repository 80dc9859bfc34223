//! The clients that need a program of ours: Python (`ssl`, requests), Node, Go and Java. Each
//! program takes `URL HOST PORT CA CERT|- KEY|- [CRL…]` and prints `accepted`/`refused`, a code
//! and the message on three lines.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::clients::command::{self, arg};
use crate::clients::{ClientOutcome, Target, hash};
use crate::error::{Error, Result};
use crate::labdir::fsutil;

const PYTHON: &str = include_str!("probe.py");
const NODE: &str = include_str!("probe.mjs");
const GO: &str = include_str!("probe.go");
const JAVA: &str = include_str!("Probe.java");

/// Building the Go and Java programs happens once per work directory, whoever asks first.
static BUILD: Mutex<()> = Mutex::new(());

/// Writes `source` as `work_dir/<dir>/<name>` unless that file already holds it; the directory
/// is named by the content, so an edited program gets a fresh build.
fn write_source(work_dir: &Path, name: &str, source: &str) -> Result<PathBuf> {
    let dir = work_dir.join(format!("{}-{:x}", name.replace('.', "-"), hash(source.as_bytes())));
    fsutil::create_dir(&dir)?;
    let path = dir.join(name);
    if fsutil::read_to_string(&path).ok().as_deref() != Some(source) {
        fsutil::write_atomic(&path, source.as_bytes(), fsutil::PUBLIC)?;
    }
    Ok(path)
}

fn args(cmd: &mut Command, t: &Target) {
    cmd.args([&t.url, &t.host, &t.port.to_string(), &arg(&t.ca)]);
    cmd.arg(t.client_cert.as_deref().map_or("-".into(), arg));
    cmd.arg(t.client_key.as_deref().map_or("-".into(), arg));
    cmd.args(t.crls.iter().map(|c| arg(c)));
    for proxy in ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
        cmd.env_remove(proxy);
    }
    // Only the CA given counts: no bundle from the environment.
    for var in ["SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"] {
        cmd.env_remove(var);
    }
}

/// Three lines: verdict, code, message (the message may run on).
fn parse(client: &str, ran: &command::Ran) -> Result<ClientOutcome> {
    let mut lines = ran.stdout.lines();
    match (lines.next(), lines.next()) {
        (Some(verdict @ ("accepted" | "refused")), Some(code)) => Ok(ClientOutcome {
            accepted: verdict == "accepted",
            code: code.trim().to_string(),
            text: lines.collect::<Vec<_>>().join("\n").trim().to_string(),
        }),
        _ if ran.timed_out => Ok(ClientOutcome { accepted: false, code: "timeout".into(), text: ran.stderr.clone() }),
        _ => Err(Error::Command {
            command: format!("the {client} client"),
            message: format!("unexpected output (exit {:?}): {}{}", ran.code, ran.stdout, ran.stderr)
                .trim()
                .to_string(),
        }),
    }
}

pub fn python(t: &Target, work_dir: &Path, mode: &str) -> Result<ClientOutcome> {
    let script = write_source(work_dir, "probe.py", PYTHON)?;
    let mut cmd = Command::new("python3");
    cmd.arg(&script).arg(mode);
    args(&mut cmd, t);
    let ran = command::run(cmd, b"")?;
    if ran.stdout.contains("No module named 'requests'") {
        return Err(Error::MissingClient {
            client: "python-requests",
            program: "requests (python3)",
            package: "python3-requests",
        });
    }
    parse(&format!("python {mode}"), &ran)
}

pub fn node(t: &Target, work_dir: &Path) -> Result<ClientOutcome> {
    let script = write_source(work_dir, "probe.mjs", NODE)?;
    let mut cmd = Command::new("node");
    cmd.arg(&script);
    args(&mut cmd, t);
    parse("node", &command::run(cmd, b"")?)
}

pub fn go(t: &Target, work_dir: &Path) -> Result<ClientOutcome> {
    let source = write_source(work_dir, "probe.go", GO)?;
    let binary = source.with_file_name("probe");
    {
        let _once = BUILD.lock().unwrap_or_else(|e| e.into_inner());
        if !binary.is_file() {
            let mut build = Command::new("go");
            build.arg("build").arg("-o").arg(&binary).arg(&source);
            // GOPATH mode for one file; no module download, ever.
            build.env("GO111MODULE", "off").env("GOPROXY", "off").env("GOFLAGS", "").env("CGO_ENABLED", "0");
            if std::env::var_os("GOCACHE").is_none() && std::env::var_os("HOME").is_none() {
                build.env("GOCACHE", work_dir.join("go-cache"));
            }
            command::run_ok(build, "go build probe.go")?;
        }
    }
    let mut cmd = Command::new(&binary);
    args(&mut cmd, t);
    parse("go", &command::run(cmd, b"")?)
}

pub fn java(t: &Target, work_dir: &Path) -> Result<ClientOutcome> {
    let source = write_source(work_dir, "Probe.java", JAVA)?;
    let dir = source.parent().map(Path::to_path_buf).unwrap_or_default();
    // javac once (the single-file launcher would compile on every run); without javac, the
    // launcher (`java Probe.java`) does it.
    let compiled = {
        let _once = BUILD.lock().unwrap_or_else(|e| e.into_inner());
        if !dir.join("Probe.class").is_file() && command::on_path("javac") {
            let mut build = Command::new("javac");
            build.arg("-d").arg(&dir).arg(&source);
            command::run_ok(build, "javac Probe.java")?;
        }
        dir.join("Probe.class").is_file()
    };
    let mut cmd = Command::new("java");
    if compiled {
        cmd.arg("-cp").arg(&dir).arg("Probe");
    } else {
        cmd.arg(&source);
    }
    args(&mut cmd, t);
    parse("java", &command::run(cmd, b"")?)
}
