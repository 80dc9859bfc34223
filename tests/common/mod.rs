//! Helpers shared by the integration tests: run the real binary in a clean environment.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `pki-lab` binary with a cleaned environment (no PKI_LAB_* leaking in).
pub fn pki_lab() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pki-lab"));
    c.env_remove("PKI_LAB_HOME").env_remove("PKI_LAB_NOW").env("NO_COLOR", "1");
    c
}

/// Runs `pki-lab --dir DIR args…` and returns its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    pki_lab().arg("--dir").arg(dir).args(args).output().expect("run pki-lab")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh lab in a temporary directory; the directory lives as long as the returned guard.
pub fn new_lab(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    let mut args = vec!["init"];
    args.extend_from_slice(extra);
    let o = run(&dir, &args);
    assert!(o.status.success(), "init failed: {}", stderr(&o));
    (tmp, dir)
}

pub fn manifest(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest parses")
}

pub fn scenario<'a>(m: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    m["scenarios"]
        .as_array()
        .expect("scenarios array")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("scenario {name} in manifest"))
}
