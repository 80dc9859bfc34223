//! `pki-lab init`: refusing, replacing, renewing, permissions, name constraints, bad input.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

fn openssl_ok(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").current_dir(dir).args(args).output().expect("openssl");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn private_keys_are_0600_and_the_lab_directory_0700() {
    let (_tmp, dir) = new_lab(&[]);
    assert_eq!(mode(&dir), 0o700);
    let files = snapshot(&dir);
    let keys: Vec<_> = files
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "key") || p.to_string_lossy().ends_with("key.pem"))
        .collect();
    assert!(keys.len() >= 30, "found {} keys", keys.len());
    for k in keys {
        assert_eq!(mode(&dir.join(k)), 0o600, "{}", k.display());
    }
    // Control: certificates are readable by others.
    assert_eq!(mode(&dir.join("ca.pem")), 0o644);
}

#[test]
fn second_init_without_force_exits_2_and_changes_nothing() {
    let (_tmp, dir) = new_lab(&[]);
    let before = snapshot(&dir);
    let o = run(&dir, &["init"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a lab already exists"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--renew"), "the error suggests what to do: {}", stderr(&o));
    assert_eq!(before, snapshot(&dir));
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn force_replaces_the_ca_and_renew_keeps_it_byte_for_byte() {
    let (_tmp, dir) = new_lab(&[]);
    let before = snapshot(&dir);
    let ca_files = |s: &BTreeMap<PathBuf, Vec<u8>>| -> BTreeMap<PathBuf, Vec<u8>> {
        s.iter()
            .filter(|(p, _)| p.starts_with("ca") || p == &&PathBuf::from("ca.pem"))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect()
    };

    let o = run(&dir, &["init", "--renew"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("re-issued"), "{}", stderr(&o));
    let renewed = snapshot(&dir);
    assert_eq!(ca_files(&before), ca_files(&renewed), "renew must not touch the CA");
    assert_ne!(before[Path::new("scenarios/valid/cert.pem")], renewed[Path::new("scenarios/valid/cert.pem")]);
    // A leaf issued under the reloaded CA still chains to the same root.
    let (ok, text) = openssl_ok(
        &dir,
        &[
            "verify",
            "-CAfile",
            "ca.pem",
            "-untrusted",
            "scenarios/valid/chain.pem",
            "-verify_hostname",
            "localhost",
            "scenarios/valid/cert.pem",
        ],
    );
    assert!(ok, "{text}");
    assert_eq!(mode(&dir.join("ca/root.key")), 0o600);

    let o = run(&dir, &["init", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("replaced"), "{}", stderr(&o));
    assert_ne!(ca_files(&renewed)[Path::new("ca.pem")], snapshot(&dir)[Path::new("ca.pem")]);
    assert_eq!(beside(&dir), [".lab.lock", "lab"], "no staging directory or old lab left behind");
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn renew_without_a_lab_and_init_into_a_foreign_directory_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = run(&tmp.path().join("none"), &["init", "--renew"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no lab in"), "{}", stderr(&o));
    assert!(!tmp.path().join("none").exists());

    let foreign = tmp.path().join("foreign");
    std::fs::create_dir(&foreign).expect("mkdir");
    std::fs::write(foreign.join("notes.txt"), "mine").expect("write");
    let o = run(&foreign, &["init"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(&foreign).expect("ls").count(), 1);
}

/// Signs a leaf for `host` with the lab intermediate's key, as someone who stole it would.
fn forge(dir: &Path, host: &str) -> (bool, String) {
    let ext = dir.join("forge.ext");
    std::fs::write(&ext, format!("subjectAltName=DNS:{host}\nextendedKeyUsage=serverAuth\n")).expect("ext");
    let (ok, text) = openssl_ok(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "forge.key",
            "-subj",
            &format!("/CN={host}"),
            "-out",
            "forge.csr",
        ],
    );
    assert!(ok, "{text}");
    let (ok, text) = openssl_ok(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "forge.csr",
            "-CA",
            "ca/intermediate.pem",
            "-CAkey",
            "ca/intermediate.key",
            "-days",
            "30",
            "-extfile",
            "forge.ext",
            "-out",
            "forge.pem",
        ],
    );
    assert!(ok, "{text}");
    openssl_ok(
        dir,
        &["verify", "-CAfile", "ca.pem", "-untrusted", "ca/intermediate.pem", "-verify_hostname", host, "forge.pem"],
    )
}

#[test]
fn a_stolen_lab_key_cannot_impersonate_a_public_site_unless_constraints_are_off() {
    let (_tmp, dir) = new_lab(&[]);
    let (ok, text) = forge(&dir, "www.google.com");
    assert!(!ok && text.contains("error 47"), "expected permitted subtree violation: {text}");
    let (ok, text) = forge(&dir, "app.test");
    assert!(ok, "names under .test stay allowed: {text}");

    let (_tmp2, open) = new_lab(&["--no-name-constraints"]);
    assert!(manifest(&open)["ca"]["permitted"].is_null());
    let (ok, text) = forge(&open, "www.google.com");
    assert!(ok, "without constraints the forgery verifies: {text}");

    let (_tmp3, widened) = new_lab(&["--permit", "corp.example.org"]);
    assert!(forge(&widened, "api.corp.example.org").0, "--permit widens the list");
    assert!(!forge(&widened, "www.example.org").0, "but only by the permitted subtree");
}

#[test]
fn no_name_constraints_warns() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = run(&tmp.path().join("lab"), &["init", "--no-name-constraints"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("warning: the root will not be name-constrained"), "{}", stderr(&o));
}

#[test]
fn a_bad_permit_exits_2_before_anything_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    let o = run(&dir, &["init", "--permit", "10.0.0.0/40"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("10.0.0.0/40"), "{}", stderr(&o));
    assert!(!dir.exists());
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn key_type_sets_the_ca_keys() {
    let (_tmp, dir) = new_lab(&["--key-type", "p384"]);
    let (ok, text) = openssl_ok(&dir, &["pkey", "-in", "ca/root.key", "-noout", "-text"]);
    assert!(ok && text.contains("P-384"), "{text}");
    assert_eq!(manifest(&dir)["key_type"], "p384");
    // Scenarios that pin their key keep it.
    assert_eq!(scenario(&manifest(&dir), "ed25519-leaf")["key_type"], "ed25519");
}

#[test]
fn pki_lab_home_is_the_default_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home-lab");
    let o = pki_lab().env("PKI_LAB_HOME", &home).arg("init").output().expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(home.join("manifest.json").is_file());
}

#[test]
fn a_malformed_profile_is_reported_with_file_line_and_column_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let templates = tmp.path().join("templates");
    std::fs::create_dir(&templates).expect("mkdir");
    std::fs::write(
        templates.join("mine.yaml"),
        "name: mine\nsummary: my scenario\nleaf:\n  validty: { not-before: -1h, not-after: +1d }\nexpect: {openssl-verify: 0, rustls-verify: ok, curl: 0, python: ok, go: ok}\n",
    )
    .expect("write");
    let dir = tmp.path().join("lab");
    let o = run(&dir, &["init", "--templates", templates.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("mine.yaml") && err.contains("4:3"), "{err}");
    assert!(err.contains("validty"), "{err}");
    assert!(!dir.exists());
}

#[test]
fn a_custom_profile_joins_the_catalogue() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let templates = tmp.path().join("templates");
    std::fs::create_dir(&templates).expect("mkdir");
    std::fs::write(
        templates.join("short-lived.yaml"),
        "name: short-lived\nsummary: valid for ten minutes\nleaf:\n  validity: { not-before: -1m, not-after: +10m }\nexpect: {openssl-verify: 0, rustls-verify: ok, curl: 0, python: ok, go: ok}\n",
    )
    .expect("write");
    let dir = tmp.path().join("lab");
    let o = run(&dir, &["init", "--templates", templates.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = manifest(&dir);
    let s = scenario(&m, "short-lived");
    assert!(s["rule"].is_null());
    assert!(dir.join("scenarios/short-lived/cert.pem").is_file());
}

#[test]
fn a_failure_while_issuing_leaves_no_half_written_lab() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let templates = tmp.path().join("templates");
    std::fs::create_dir(&templates).expect("mkdir");
    // Parses, but cannot be issued: a revoked leaf must come from a CA that publishes a CRL.
    std::fs::write(
        templates.join("bad-revoke.yaml"),
        "name: bad-revoke\nsummary: x\nbreaks: revocation.revoked\nissuer: root\ncas: [{name: Sub}]\nleaf: {revoked: true}\nexpect: {openssl-verify: 23, rustls-verify: Revoked, curl: 60, python: x, go: x}\n",
    )
    .expect("write");
    let (_t, dir) = new_lab(&[]);
    let before = snapshot(&dir);
    let o = run(&dir, &["init", "--force", "--templates", templates.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("leaf.revoked"), "{}", stderr(&o));
    assert_eq!(before, snapshot(&dir), "the old lab is intact");
    assert_eq!(beside(&dir), [".lab.lock", "lab"], "no staging left");
}

#[test]
fn renew_and_force_keep_lab_progress_and_issued_certificates() {
    let (_tmp, dir) = new_lab(&[]);
    std::fs::create_dir_all(dir.join("labs/keep-alive")).expect("mkdir");
    std::fs::write(dir.join("labs/keep-alive/progress.json"), "{\"done\": 3}").expect("write");
    let o = run(&dir, &["issue", "app.test"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let issued = snapshot(&dir.join("issued"));
    assert!(!issued.is_empty());
    for flags in [&["init", "--renew"][..], &["init", "--force"][..]] {
        let o = run(&dir, flags);
        assert!(o.status.success(), "{flags:?}: {}", stderr(&o));
        assert_eq!(std::fs::read_to_string(dir.join("labs/keep-alive/progress.json")).expect("kept"), "{\"done\": 3}");
        assert_eq!(snapshot(&dir.join("issued")), issued, "{flags:?} keeps issued certificates");
    }
    // Control: what init writes is new.
    assert!(dir.join("manifest.json").is_file());
}

/// The names in `dir`'s parent, i.e. the lab beside its lock and whatever a run left there.
fn beside(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.parent().expect("parent"))
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn two_inits_at_once_make_one_lab_and_the_second_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    let start = || {
        pki_lab()
            .arg("--dir")
            .arg(&dir)
            .arg("init")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (start(), start());
    let outs = [a.wait_with_output().expect("wait"), b.wait_with_output().expect("wait")];
    let mut codes: Vec<_> = outs.iter().map(|o| o.status.code()).collect();
    codes.sort();
    assert_eq!(codes, [Some(0), Some(2)], "{}\n---\n{}", stderr(&outs[0]), stderr(&outs[1]));
    let winner = outs.iter().find(|o| o.status.success()).expect("a winner");
    let loser = outs.iter().find(|o| !o.status.success()).expect("a loser");
    // The second waited for the first (it usually says so), then refused like any init that
    // finds a lab.
    assert!(
        stderr(loser).contains(&format!("error: a lab already exists in {}\n", dir.display())),
        "{}",
        stderr(loser)
    );
    // The lab on disk is the winner's, whole: the root to trust is the CA's own root, and the
    // fingerprint the winner printed is the one the manifest records.
    let ca_pem = std::fs::read(dir.join("ca.pem")).expect("ca.pem");
    assert_eq!(ca_pem, std::fs::read(dir.join("ca/root.pem")).expect("ca/root.pem"));
    let sha = manifest(&dir)["ca"]["root_sha256"].as_str().expect("root_sha256").to_string();
    assert!(stderr(winner).contains(&format!("(SHA-256 {sha})")), "{}", stderr(winner));
    let (ok, text) = openssl_ok(
        &dir,
        &["verify", "-CAfile", "ca.pem", "-untrusted", "scenarios/valid/chain.pem", "scenarios/valid/cert.pem"],
    );
    assert!(ok, "{text}");
    // Nothing left beside the lab but its lock.
    assert_eq!(beside(&dir), [".lab.lock", "lab"]);
}

#[test]
fn a_lab_moved_aside_by_a_killed_run_is_restored_and_its_staging_removed() {
    let (_tmp, dir) = new_lab(&[]);
    let before = snapshot(&dir);
    let parent = dir.parent().expect("parent").to_path_buf();
    // What a kill between the two renames of `init --force` leaves.
    let aside = parent.join(".lab.old-Ab12Cd");
    let staging = parent.join(".lab.staging-Xy34Zw");
    std::fs::rename(&dir, &aside).expect("move aside");
    std::fs::create_dir_all(staging.join("ca")).expect("staging");
    std::fs::write(staging.join("ca/root.key"), "not a real key").expect("write");

    let o = run(&dir, &["init", "--renew"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "note: removed {}, an unfinished lab left by an interrupted pki-lab run\n",
            staging.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "note: restored the lab moved aside by an interrupted run: {} -> {}\n",
            aside.display(),
            dir.display()
        )),
        "{err}"
    );
    assert!(err.contains("re-issued the scenarios of the lab in"), "{err}");
    let after = snapshot(&dir);
    for f in ["ca.pem", "ca/root.pem", "ca/root.key", "ca/intermediate.key"] {
        assert_eq!(before[Path::new(f)], after[Path::new(f)], "{f}: the restored CA is the old one");
    }
    assert_eq!(beside(&dir), [".lab.lock", "lab"]);
}

#[test]
fn the_fixed_aside_name_of_older_versions_is_recognised() {
    let (_tmp, dir) = new_lab(&[]);
    let before = snapshot(&dir);
    let aside = dir.parent().expect("parent").join(".lab.old");
    std::fs::rename(&dir, &aside).expect("move aside");

    // A plain init finds the restored lab and refuses, as it would have before the crash,
    // instead of making a new CA while the old one hides beside it.
    let o = run(&dir, &["init"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "note: restored the lab moved aside by an interrupted run: {} -> {}\nerror: a lab already exists in {}\n",
            aside.display(),
            dir.display(),
            dir.display()
        )),
        "{err}"
    );
    assert_eq!(before, snapshot(&dir));
    assert_eq!(beside(&dir), [".lab.lock", "lab"]);
}

#[test]
fn an_old_lab_left_after_the_new_one_was_in_place_is_carried_over_and_removed() {
    let (_tmp, dir) = new_lab(&[]);
    // A kill after both renames of `--force`, before the old lab's issued certificates were
    // carried over and the old lab deleted.
    let aside = dir.parent().expect("parent").join(".lab.old");
    let (_tmp2, other) = new_lab(&[]);
    std::fs::rename(&other, &aside).expect("place the old lab");
    std::fs::create_dir_all(aside.join("issued/app.test")).expect("issued");
    std::fs::write(aside.join("issued/app.test/cert.pem"), "issued before").expect("write");

    let o = run(&dir, &["init", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "note: removed {}, the old lab an interrupted run had already replaced, after carrying over issued\n",
            aside.display()
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(dir.join("issued/app.test/cert.pem")).expect("kept"), "issued before");
    assert_eq!(beside(&dir), [".lab.lock", "lab"]);

    // `--force` and `--renew` keep working run after run: no fixed name is left to collide with.
    for args in [["init", "--force"], ["init", "--renew"], ["init", "--force"]] {
        let o = run(&dir, &args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
        assert_eq!(beside(&dir), [".lab.lock", "lab"]);
    }
}

#[test]
fn two_serves_at_once_on_a_new_directory_share_one_lab() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    let args = ["serve", "valid", "--quiet", "--port-base", "0"];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Daemon::spawn(&dir, &args));
        let b = s.spawn(|| Daemon::spawn(&dir, &args));
        (a.join().expect("first serve"), b.join().expect("second serve"))
    });
    // One made the lab; the other waited for it and used it instead of making another.
    let made: Vec<bool> = [&a, &b].iter().map(|d| d.log().contains("created a lab in")).collect();
    assert_eq!(made.iter().filter(|m| **m).count(), 1, "{}\n---\n{}", a.log(), b.log());
    // Both servers are trusted by the one ca.pem a client is told to trust.
    for d in [&a, &b] {
        let port = d.ports["scenarios"]["valid"].as_u64().expect("valid served");
        let s = Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-servername", "localhost"])
            .args(["-verify_hostname", "localhost", "-verify_return_error", "-CAfile"])
            .arg(dir.join("ca.pem"))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("s_client");
        assert!(stdout(&s).contains("Verify return code: 0 (ok)"), "{}{}", stdout(&s), stderr(&s));
    }
    let leftovers: Vec<_> = beside(&dir).into_iter().filter(|n| n.starts_with(".lab.") && n != ".lab.lock").collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Names in the manifest's `scenarios`, and its `deferred` list.
fn listed(dir: &Path) -> (Vec<String>, Vec<String>) {
    let m = manifest(dir);
    let names = |v: &serde_json::Value, key: Option<&str>| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|s| key.map_or(s, |k| &s[k]).as_str().expect("name").to_string()).collect())
            .unwrap_or_default()
    };
    (names(&m["scenarios"], Some("name")), names(&m["deferred"], None))
}

const RSA_SCENARIOS: [&str; 5] = ["valid-rsa2048", "sha1-signature", "rsa-pss-salt-20", "weak-key", "rsa-2049"];

#[test]
fn init_leaves_the_rsa_scenarios_to_the_first_command_that_opens_the_lab() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    let o = run(&dir, &["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "  later     5 scenarios with RSA keys (valid-rsa2048, sha1-signature, rsa-pss-salt-20, weak-key, rsa-2049): issued by the first command that opens the lab, or now with `pki-lab init --complete`\n"
        ),
        "{}",
        stderr(&o)
    );
    let (issued, deferred) = listed(&dir);
    assert_eq!(deferred, RSA_SCENARIOS);
    for name in RSA_SCENARIOS {
        assert!(!issued.contains(&name.to_string()) && !dir.join("scenarios").join(name).exists(), "{name}");
    }
    // The control beside them is there, and verifies.
    assert!(issued.contains(&"valid".to_string()));
    assert!(dir.join("scenarios/valid/key.pem").is_file());

    // The first command that opens the lab issues them, says so, and lists them in catalogue order.
    let o = run(&dir, &["scenarios"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("note: issued the 5 scenarios init left for later (RSA keys): valid-rsa2048, sha1-signature, rsa-pss-salt-20, weak-key, rsa-2049\n"),
        "{}",
        stderr(&o)
    );
    let (after, deferred) = listed(&dir);
    assert!(deferred.is_empty());
    let o = run(&dir, &["scenarios", "--json"]);
    let catalogue: Vec<String> = serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .expect("json")
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(after, catalogue);
    assert_eq!(after.len(), issued.len() + 5);
    // Under the lab's own CA, with their keys 0600, and nothing left of the staging.
    let (ok, text) = openssl_ok(
        &dir,
        &[
            "verify",
            "-CAfile",
            "ca.pem",
            "-untrusted",
            "scenarios/valid-rsa2048/chain.pem",
            "scenarios/valid-rsa2048/cert.pem",
        ],
    );
    assert!(ok, "{text}");
    assert!(text.contains("OK"), "{text}");
    let (ok, text) = openssl_ok(&dir, &["x509", "-noout", "-text", "-in", "scenarios/rsa-2049/cert.pem"]);
    assert!(ok && text.contains("Public-Key: (2049 bit)"), "{text}");
    for name in RSA_SCENARIOS {
        assert_eq!(mode(&dir.join("scenarios").join(name).join("key.pem")), 0o600, "{name}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("scenarios"))
        .expect("scenarios")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.file_name())
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A second command has nothing left to issue and says nothing about it.
    let o = run(&dir, &["scenarios"]);
    assert!(!stderr(&o).contains("note: issued"), "{}", stderr(&o));
}

#[test]
fn init_complete_issues_every_scenario_at_once() {
    let (_tmp, dir) = new_lab(&[]); // new_lab passes --complete
    let (issued, deferred) = listed(&dir);
    assert!(deferred.is_empty());
    assert!(manifest(&dir).get("deferred").is_none(), "no empty list is written");
    for name in RSA_SCENARIOS {
        assert!(issued.contains(&name.to_string()), "{name}");
    }
    // An RSA lab defers nothing either: every scenario needs an RSA key there.
    let tmp = tempfile::tempdir().expect("tempdir");
    let rsa = tmp.path().join("lab");
    let o = run(&rsa, &["init", "--key-type", "rsa2048"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(listed(&rsa).1.is_empty());
    assert!(!stderr(&o).contains("later"), "{}", stderr(&o));
}

#[test]
fn two_commands_opening_a_new_lab_at_once_issue_its_rsa_scenarios_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    assert!(run(&dir, &["init"]).status.success());
    let start = || {
        pki_lab()
            .arg("--dir")
            .arg(&dir)
            .args(["scenarios", "--json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (start(), start());
    let outs = [a.wait_with_output().expect("wait"), b.wait_with_output().expect("wait")];
    assert!(outs.iter().all(|o| o.status.success()), "{}\n---\n{}", stderr(&outs[0]), stderr(&outs[1]));
    // One of them issued them, the other waited for its lock and found nothing left to do.
    let notes = outs.iter().filter(|o| stderr(o).contains("note: issued the 5 scenarios")).count();
    assert_eq!(notes, 1, "{}\n---\n{}", stderr(&outs[0]), stderr(&outs[1]));
    let (issued, deferred) = listed(&dir);
    assert!(deferred.is_empty());
    let serials: std::collections::BTreeSet<_> =
        issued.iter().map(|n| scenario(&manifest(&dir), n)["serial"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(serials.len(), issued.len(), "each scenario once");
}

#[test]
fn a_deferred_scenario_left_half_written_by_a_killed_run_is_issued_again() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    assert!(run(&dir, &["init"]).status.success());
    // What a run killed after moving a scenario in, before replacing the manifest, leaves.
    let half = dir.join("scenarios/weak-key");
    std::fs::create_dir(&half).expect("mkdir");
    std::fs::write(half.join("cert.pem"), "not a certificate").expect("write");
    let o = run(&dir, &["inspect", "weak-key"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("RSA 1024"), "{}", stdout(&o));
    let (ok, text) = openssl_ok(&dir, &["x509", "-noout", "-in", "scenarios/weak-key/cert.pem"]);
    assert!(ok, "{text}");
    // Control: a scenario init issued is not touched.
    let before = std::fs::read(dir.join("scenarios/valid/cert.pem")).expect("valid");
    assert!(run(&dir, &["scenarios"]).status.success());
    assert_eq!(before, std::fs::read(dir.join("scenarios/valid/cert.pem")).expect("valid"));
}
