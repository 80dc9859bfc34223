//! `pki-lab env`: with its variables applied, curl, Python and Node reach `pki-lab serve`'s valid
//! scenario without being told about the lab (and without them, they refuse it). Also
//! `completions` and `man`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;

/// The variables `env` sets; removed from every client's environment before the test adds its own.
const VARS: &[&str] = &[
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "PIP_CERT",
    "AWS_CA_BUNDLE",
    "CARGO_HTTP_CAINFO",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "NODE_EXTRA_CA_CERTS",
    "DENO_CERT",
];

/// `pki-lab serve valid expired` on free ports in a fresh lab; killed on drop.
struct Served {
    _daemon: Daemon,
    port: u16,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Served {
    fn start() -> Served {
        let (tmp, dir) = new_lab(&[]);
        let daemon = Daemon::spawn(&dir, &["serve", "valid", "expired", "--quiet", "--port-base", "0"]);
        let port = daemon.ports["scenarios"]["valid"].as_u64().expect("valid served") as u16;
        Served { _daemon: daemon, port, _tmp: tmp, dir }
    }
}

/// Runs `script` in sh with a clean trust environment; `with_env` first evals `pki-lab env`.
fn sh(lab: &Path, with_env: bool, script: &str) -> Output {
    let bin = env!("CARGO_BIN_EXE_pki-lab");
    let prefix =
        if with_env { format!("eval \"$('{bin}' --dir '{}' env)\" && ", lab.display()) } else { String::new() };
    let mut c = Command::new("sh");
    c.arg("-c").arg(format!("{prefix}{script}"));
    for v in VARS {
        c.env_remove(v);
    }
    c.env_remove("PKI_LAB_SYSTEM_BUNDLE").output().expect("sh")
}

#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn curl_with_the_env_applied_reaches_the_valid_server_and_without_it_refuses() {
    let s = Served::start();
    let url = format!("https://localhost:{}/", s.port);
    let o = sh(&s.dir, true, &format!("curl -sS --max-time 10 {url}"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("pki-lab scenario valid\n"), "{}", stdout(&o));

    let o = sh(&s.dir, false, &format!("curl -sS --max-time 10 {url}"));
    assert_eq!(o.status.code(), Some(60), "control: curl does not know the lab root: {}", stderr(&o));
}

#[test]
#[cfg_attr(missing_python3, ignore = "needs python3 (Debian: python3); .ci/run installs it")]
fn python_with_the_env_applied_reaches_the_valid_server_and_without_it_refuses() {
    let s = Served::start();
    let script = format!(
        "python3 -c 'import urllib.request; print(urllib.request.urlopen(\"https://localhost:{}/\", timeout=10).read().decode().splitlines()[0])'",
        s.port
    );
    let o = sh(&s.dir, true, &script);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "pki-lab scenario valid\n");
    let o = sh(&s.dir, false, &script);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("CERTIFICATE_VERIFY_FAILED"), "{}", stderr(&o));
}

#[test]
#[cfg_attr(missing_node, ignore = "needs node (Debian: nodejs); .ci/run installs it")]
fn node_with_the_env_applied_reaches_the_valid_server() {
    let _ = tool("node");
    let s = Served::start();
    let script = format!(
        "node -e 'require(\"https\").get(\"https://localhost:{}/\", r => r.on(\"data\", d => process.stdout.write(d))).on(\"error\", e => {{ console.error(e.code); process.exit(3) }})'",
        s.port
    );
    let o = sh(&s.dir, true, &script);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("pki-lab scenario valid\n"), "{}", stdout(&o));
    let o = sh(&s.dir, false, &script);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(stderr(&o).trim(), "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "control: node does not know the lab root");
}

#[test]
fn env_prints_every_variable_and_bundles_the_system_roots_with_the_lab_root() {
    let (tmp, lab) = new_lab(&[]);
    let system = tmp.path().join("system.pem");
    std::fs::copy(lab.join("ca/rogue-root.pem"), &system).expect("a stand-in system bundle");
    let o = run(&lab, &["env", "--system-bundle", system.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bundle = lab.join("trust-bundle.pem");
    let out = stdout(&o);
    assert!(out.starts_with(&format!("export SSL_CERT_FILE='{}';\n", bundle.display())), "{out}");
    assert!(out.contains(&format!("export NODE_EXTRA_CA_CERTS='{}';\n", lab.join("ca.pem").display())), "{out}");
    assert_eq!(out.lines().count(), 10, "{out}");
    let text = std::fs::read_to_string(&bundle).expect("bundle");
    let rogue = std::fs::read_to_string(lab.join("ca/rogue-root.pem")).expect("rogue");
    let root = std::fs::read_to_string(lab.join("ca.pem")).expect("root");
    assert_eq!(text, format!("{rogue}# pki-lab root\n{root}"));

    let o = run(&lab, &["env", "--shell", "fish"]);
    assert!(stdout(&o).contains("set -gx CURL_CA_BUNDLE '"), "{}", stdout(&o));
    let o = run(&lab, &["env", "--shell", "powershell", "--unset"]);
    assert!(stdout(&o).starts_with("Remove-Item Env:SSL_CERT_FILE"), "{}", stdout(&o));

    let o = run(&tmp.path().join("nolab"), &["env"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("hint: run `pki-lab init` first"), "{}", stderr(&o));
}

#[test]
fn completions_and_the_man_page_cover_the_new_commands() {
    let tmp = tempfile::tempdir().expect("tmp");
    let o = run(tmp.path(), &["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    let bash = stdout(&o);
    assert!(bash.starts_with("_pki__lab() {"), "{bash}");
    assert!(bash.contains("cmd=\"pki__lab__subcmd__issue\"") && bash.contains("--like"), "{bash}");
    let o = run(tmp.path(), &["completions", "zsh"]);
    assert!(stdout(&o).starts_with("#compdef pki-lab"), "{}", stdout(&o));
    let o = run(tmp.path(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "clap refuses an unknown shell");

    let o = run(tmp.path(), &["man"]);
    assert_eq!(o.status.code(), Some(0));
    let page = stdout(&o);
    assert!(page.contains("\n.TH pki-lab 1 "), "{page}");
    assert!(page.contains("\npki\\-lab\\-issue(1)\n"), "the main page lists the issue command: {page}");
    let o = run(tmp.path(), &["man", "issue"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("\n.TH pki-lab-issue 1 "), "{}", stdout(&o));
    assert!(stdout(&o).contains("\\-\\-like"), "the issue page documents --like");
    let o = run(tmp.path(), &["man", "isue"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no subcommand `isue`; did you mean `issue`?"), "{}", stderr(&o));
}
