//! Snapshots (insta) of what users read: `--help` of every command and the main error messages
//! with their exit codes. The .snap files are in tests/it/snapshots/; review a change with
//! `cargo insta review` (or rerun with `INSTA_UPDATE=always` and read the git diff).
//!
//! Help runs the real binary with `COLUMNS=100` and no terminal on stdin, stdout or stderr, so
//! clap's `wrap_help` wraps at 100 columns wherever the tests run.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use clap::CommandFactory;

use crate::common::*;

/// The binary with nothing from the caller's environment that shows in help (`PKI_LAB_*`
/// variables appear as `[env: NAME=value]`) or changes wrapping.
fn binary() -> Command {
    let mut c = pki_lab();
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PKI_LAB_") {
            c.env_remove(name);
        }
    }
    c.env("COLUMNS", "100").env("LINES", "50").env_remove("CLICOLOR_FORCE").stdin(Stdio::null());
    c
}

/// Every command path in the clap tree: `[]`, `["init"]`, …, `["lab", "list"]`, … (clap's
/// generated `help` subcommand is only added when the command is built, so it is not here).
fn command_paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    out.push(prefix.to_vec());
    for sub in cmd.get_subcommands() {
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_string());
        command_paths(sub, &path, out);
    }
}

#[test]
fn help_of_every_command() {
    let mut paths = Vec::new();
    command_paths(&pki_lab::cli::Cli::command(), &[], &mut paths);
    assert!(paths.len() > 15, "the tree has the subcommands and nested ones: {paths:?}");
    for path in paths {
        let o = binary().args(&path).arg("--help").output().expect("run pki-lab --help");
        assert_eq!(o.status.code(), Some(0), "{path:?} --help: {}", stderr(&o));
        assert!(o.stderr.is_empty(), "{path:?} --help wrote to stderr: {}", stderr(&o));
        let name = if path.is_empty() { "help".to_string() } else { format!("help-{}", path.join("-")) };
        insta::with_settings!({ description => format!("pki-lab {} --help", path.join(" ")).replace("  ", " "), omit_expression => true }, {
            insta::assert_snapshot!(name, stdout(&o));
        });
    }
}

#[test]
fn help_is_the_same_on_every_run() {
    let a = binary().args(["lab", "check", "--help"]).output().expect("run");
    let b = binary().args(["lab", "check", "--help"]).output().expect("run");
    assert_eq!(a.stdout, b.stdout);
}

/// A regex matching `s` literally (for insta filters).
fn literal(s: &str) -> String {
    let mut r = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            r.push('\\');
        }
        r.push(c);
    }
    r
}

/// stderr and the exit code, with `tmp` replaced by `[TMP]`.
fn assert_error(name: &str, tmp: &Path, o: &Output) {
    let text = format!("{}exit: {}\n", stderr(o), o.status.code().map_or("signal".into(), |c| c.to_string()));
    let mut settings = insta::Settings::clone_current();
    settings.set_omit_expression(true);
    settings.add_filter(&literal(&tmp.display().to_string()), "[TMP]");
    if let Ok(canonical) = tmp.canonicalize() {
        settings.add_filter(&literal(&canonical.display().to_string()), "[TMP]");
    }
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn error_messages_and_exit_codes() {
    let (tmp, lab) = new_lab(&[]);
    let t = tmp.path();
    let empty = t.join("empty");
    let valid_cert = lab.join("scenarios/valid/cert.pem");
    let run_in = |dir: &Path, args: &[&str]| binary().arg("--dir").arg(dir).args(args).output().expect("run pki-lab");

    assert_error("error-unknown-subcommand", t, &run_in(&lab, &["frobnicate"]));
    assert_error("error-missing-required-argument", t, &run_in(&lab, &["verify", "--cert", "cert.pem"]));
    assert_error("error-unknown-scenario", t, &run_in(&lab, &["inspect", "expird"]));
    assert_error("error-no-lab", t, &run_in(&empty, &["inspect", "expired"]));

    let missing = t.join("missing.pem");
    let o = run_in(&lab, &["verify", "--cert", missing.to_str().expect("utf-8"), "--host", "localhost"]);
    assert_error("error-verify-nonexistent-file", t, &o);

    // Outside a lab verify has no root to trust (it does not need a lab otherwise).
    let o = run_in(&empty, &["verify", "--cert", valid_cert.to_str().expect("utf-8"), "--host", "localhost"]);
    assert_error("error-verify-without-a-lab", t, &o);

    let bad = t.join("bad.yaml");
    std::fs::write(&bad, "id: broken\ntitle: \"unterminated\nsteps: []\n").expect("write");
    assert_error(
        "error-lab-validate-yaml-syntax",
        t,
        &run_in(&lab, &["lab", "validate", bad.to_str().expect("utf-8")]),
    );

    // `--expect` takes rule ids; an unknown one is not reported as such: the rules simply do not
    // match what failed (exit 1, nothing on stderr).
    let o = run_in(
        &lab,
        &[
            "verify",
            "--cert",
            valid_cert.to_str().expect("utf-8"),
            "--host",
            "localhost",
            "--expect",
            "validity.expird",
        ],
    );
    assert_error("error-verify-unknown-expect-rule", t, &o);
}

#[test]
fn the_rule_listing_is_the_rule_table_as_text_and_json() {
    let o = binary().arg("rules").output().expect("run pki-lab rules");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::with_settings!({ description => "pki-lab rules", omit_expression => true }, {
        insta::assert_snapshot!("rules", stdout(&o));
    });
    let o = binary().args(["rules", "--json"]).output().expect("run pki-lab rules --json");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let rows = json.as_array().expect("a list");
    assert_eq!(rows.len(), pki_lab::catalogue::rules::RULES.len());
    for (row, rule) in rows.iter().zip(pki_lab::catalogue::rules::RULES) {
        assert_eq!(row["id"], rule.id.as_str());
        assert_eq!(row["class"], rule.class.as_str());
        assert_eq!(row["source"], rule.source);
        assert_eq!(row["step"], rule.step.as_str());
    }
    assert_eq!(rows[0]["kind"], "offline");
}
