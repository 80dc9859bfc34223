//! The smaller commands through the real binary: scenarios, inspect, verify, and their errors.

use crate::common::*;

#[test]
fn scenarios_lists_the_catalogue_with_valid_first_and_json_parses() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = run(&tmp.path().join("none"), &["scenarios"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let first = text.lines().nth(1).expect("a row");
    assert!(first.starts_with("valid "), "{first}");
    assert!(text.contains("expired                     verification  validity.expired"), "{text}");
    // Every rule but the client-side ones has a scenario that breaks it.
    for rule in pki_lab::catalogue::rules::RULES.iter().filter(|r| r.id.group() != "client") {
        let shown = text.contains(&format!("  {}  ", rule.id)) || text.contains(&format!("  {} ", rule.id));
        assert!(shown, "no scenario breaks {}", rule.id);
    }

    let o = run(&tmp.path().join("none"), &["scenarios", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let names: Vec<&str> = v.as_array().expect("array").iter().filter_map(|p| p["name"].as_str()).collect();
    assert!(names.len() >= 28 && names.contains(&"client-cert-untrusted"), "{names:?}");
    assert_eq!(v[0]["rule"], serde_json::Value::Null);
    let expired = v.as_array().expect("array").iter().find(|p| p["name"] == "expired").expect("expired");
    assert_eq!(expired["rule"], "validity.expired");
    assert_eq!(expired["step"], "verification");
    assert_eq!(expired["expect"]["openssl-verify"], 10);

    // With a lab, the same shape comes from its manifest.
    let (_t, dir) = new_lab(&[]);
    let o = run(&dir, &["scenarios", "--json"]);
    let w: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v, w, "the built-in catalogue and a fresh lab list the same scenarios");
}

#[test]
fn inspect_reads_a_scenario_by_name_or_a_file() {
    let (_tmp, dir) = new_lab(&[]);
    let o = run(&dir, &["inspect", "expired"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("[0] CN=expired.localhost (leaf)"), "{text}");
    assert!(text.contains("expired 1 day ago"), "{text}");
    assert!(text.contains("DNS:localhost, DNS:expired.localhost, IP:127.0.0.1, IP:::1"), "{text}");
    assert!(text.contains("[1] CN=pki-lab Intermediate CA"), "{text}");

    let o = run(&dir, &["inspect", dir.join("ca.pem").to_str().expect("utf-8"), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v[0]["self_signed"], true);
    assert_eq!(v[0]["is_ca"], true);
    assert_eq!(v[0]["name_constraints"]["permitted"][0], "DNS:localhost");
    assert_eq!(v[0]["sha256_fingerprint"], manifest(&dir)["ca"]["root_sha256"]);
}

#[test]
fn inspect_errors_exit_2_with_a_hint() {
    let (tmp, dir) = new_lab(&[]);
    let o = run(&dir, &["inspect", "expird"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown scenario `expird`; did you mean `expired`?"), "{}", stderr(&o));

    let junk = tmp.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").expect("write");
    let o = run(&dir, &["inspect", junk.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("junk.pem") && stderr(&o).contains("found text that is not PEM: \"not a certificate\""),
        "{}",
        stderr(&o)
    );
    let key = tmp.path().join("key.pem");
    std::fs::copy(dir.join("scenarios/valid/key.pem"), &key).expect("copy");
    let o = run(&dir, &["inspect", key.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no CERTIFICATE or X509 CRL block found"), "{}", stderr(&o));
    assert!(stderr(&o).contains("found only PRIVATE KEY"), "{}", stderr(&o));

    let o = run(&dir, &["inspect", "/nonexistent/cert.pem"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/cert.pem"), "{}", stderr(&o));
}

/// `openssl ARGS`, asserting it succeeds.
fn openssl(args: &[&str]) {
    let o = tool("openssl").args(args).output().expect("openssl");
    assert!(o.status.success(), "openssl {args:?}: {}", stderr(&o));
}

/// `pki-lab inspect FILE` (text, without the first line, which names the file) and `--json`.
fn inspect(dir: &std::path::Path, file: &std::path::Path) -> (String, serde_json::Value) {
    let f = file.to_str().expect("utf-8");
    let o = run(dir, &["inspect", f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert_eq!(text.lines().next(), Some(f), "{text}");
    let o = run(dir, &["inspect", f, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (text.split_once('\n').expect("more than one line").1.to_string(), serde_json::from_slice(&o.stdout).expect("json"))
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn inspect_reads_der_certificates_and_crls_by_their_content_not_their_name() {
    let (tmp, dir) = new_lab(&[]);
    let t = |name: &str| tmp.path().join(name);
    let s = |p: std::path::PathBuf| p.to_str().expect("utf-8").to_string();

    // A certificate: the DER openssl writes is described as its PEM is, even named `.pem`.
    let pem = dir.join("scenarios/expired/cert.pem");
    openssl(&["x509", "-in", &s(pem.clone()), "-outform", "DER", "-out", &s(t("expired.pem"))]);
    assert_eq!(std::fs::read(t("expired.pem")).expect("der")[0], 0x30, "DER, not PEM");
    let (want_text, want_json) = inspect(&dir, &pem);
    assert!(want_text.starts_with("[0] CN=expired.localhost (leaf)\n"), "{want_text}");
    assert_eq!(inspect(&dir, &t("expired.pem")), (want_text, want_json));

    // A CRL, PEM and the DER openssl makes of it, even named `.crt`.
    let crl_pem = dir.join("intermediate.crl.pem");
    openssl(&["crl", "-in", &s(crl_pem.clone()), "-outform", "DER", "-out", &s(t("crl.crt"))]);
    let (text, json) = inspect(&dir, &crl_pem);
    assert_eq!(inspect(&dir, &t("crl.crt")), (text.clone(), json.clone()));
    // What it says is what openssl says: the issuer, and the revoked scenario's serial.
    let m = manifest(&dir);
    let serial = scenario(&m, "revoked")["serial"].as_str().expect("serial").to_string();
    assert!(text.starts_with("[0] CRL issued by CN=pki-lab Intermediate CA "), "{text}");
    assert!(text.contains("    revoked     1 certificate\n"), "{text}");
    assert!(text.contains(&format!("serial {serial} at ")), "{text}");
    assert_eq!(json[0]["revoked"][0]["serial"], serial.as_str());
    assert_eq!(json[0]["revoked"][0]["reason"], "keyCompromise");
    assert_eq!(json[0]["status"], "current");
    let o = tool("openssl").args(["crl", "-in", &s(crl_pem), "-noout", "-text"]).output().expect("openssl");
    let theirs = stdout(&o);
    assert!(theirs.contains(&format!("Serial Number: {}", serial.replace(':', "").to_uppercase())), "{theirs}");
    assert!(theirs.contains("Key Compromise"), "{theirs}");
    let aki = json[0]["authority_key_id"].as_str().expect("aki");
    assert!(theirs.contains(aki), "{theirs}");

    // Bad input: what was expected and what was found, exit 2.
    std::fs::write(t("empty.der"), b"").expect("write");
    std::fs::write(t("random.der"), [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0xff, 0x00, 0x9c]).expect("write");
    std::fs::write(t("seq.der"), [0x30, 0x03, 0x02, 0x01, 0x05]).expect("write");
    let expected = "expected certificates or CRLs, as PEM text";
    for (file, found) in [
        ("empty.der", "found an empty file".to_string()),
        ("random.der", "found 9 bytes of binary data beginning 7f 45 4c 46 02 01 ff 00".to_string()),
        ("seq.der", "found 5 bytes of DER that are neither: as a certificate, ".to_string()),
    ] {
        let o = run(&dir, &["inspect", &s(t(file))]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{file}: {e}");
        assert!(e.starts_with(&format!("error: {}: {expected}", t(file).display())), "{file}: {e}");
        assert!(e.contains(&found), "{file}: {e}");
        assert!(!e.contains("panicked"), "{file}: {e}");
    }
}

#[test]
fn verify_evaluates_files_offline_at_a_chosen_time() {
    let (_tmp, dir) = new_lab(&[]);
    let s = |f: &str| dir.join(f).to_str().expect("utf-8").to_string();
    let verify = |scenario: &str, extra: &[&str]| {
        let mut args = vec![
            "verify".to_string(),
            "--cert".into(),
            s(&format!("scenarios/{scenario}/cert.pem")),
            "--chain".into(),
            s(&format!("scenarios/{scenario}/chain.pem")),
            "--host".into(),
            "localhost".into(),
            "--json".into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&dir, &refs);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("json: {}", stderr(&o)));
        (o.status.code(), v)
    };
    let (code, v) = verify("valid", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(v["failed"], serde_json::json!([]));
    assert_eq!(v["rustls"], "ok");

    let (code, v) = verify("expired", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["failed"], serde_json::json!(["validity.expired"]));
    assert_eq!(v["rustls"], "Expired");

    // The same certificate, checked at a time inside its validity, passes.
    let (code, v) = verify("expired", &["--at", &time_from_now(-30)]);
    assert_eq!(code, Some(0), "{v}");

    // wrong-host evaluated 200 days later breaks two rules, and both are reported.
    let (code, v) = verify("wrong-host", &["--at", &time_from_now(200)]);
    assert_eq!(code, Some(1));
    assert_eq!(v["failed"], serde_json::json!(["validity.expired", "name.mismatch"]));
    let (code, _) = verify("wrong-host", &["--at", &time_from_now(200), "--expect", "validity.expired,name.mismatch"]);
    assert_eq!(code, Some(0), "--expect with exactly the failed rules exits 0");

    // Revocation needs the CRL.
    let (_, v) = verify("revoked", &[]);
    assert_eq!(v["failed"], serde_json::json!([]));
    let (code, v) = verify("revoked", &["--crl", &s("crls.pem")]);
    assert_eq!(code, Some(1));
    assert_eq!(v["failed"], serde_json::json!(["revocation.revoked"]));

    // --max-depth: the valid chain has one intermediate; none allowed fails chain.max-depth.
    let (code, v) = verify("valid", &["--max-depth", "0"]);
    assert_eq!(code, Some(1));
    assert_eq!(v["failed"], serde_json::json!(["chain.max-depth"]));
    assert_eq!(v["paths"][0]["end"], "trusted");
    let (code, _) = verify("valid", &["--max-depth", "1"]);
    assert_eq!(code, Some(0));
}

#[test]
fn verify_with_a_bad_time_exits_2() {
    let (_tmp, dir) = new_lab(&[]);
    let cert = dir.join("scenarios/valid/chain.pem");
    let o = run(&dir, &["verify", "--cert", cert.to_str().expect("utf-8"), "--host", "localhost", "--at", "yesterday"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--at: expected an RFC 3339 time"), "{}", stderr(&o));
}

/// RFC 3339 time `days` from now.
fn time_from_now(days: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    t.format(&time::format_description::well_known::Rfc3339).expect("format")
}

#[test]
fn verify_on_the_files_agrees_with_the_manifest_for_every_scenario() {
    let (_tmp, dir) = new_lab(&[]);
    let m = manifest(&dir);
    let mut differ = Vec::new();
    for s in m["scenarios"].as_array().expect("scenarios") {
        let name = s["name"].as_str().expect("name");
        let rule = s["rule"].as_str();
        let o = run(
            &dir,
            &[
                "verify",
                "--cert",
                dir.join(s["files"]["cert"].as_str().expect("cert")).to_str().expect("utf-8"),
                "--chain",
                dir.join(s["files"]["chain"].as_str().expect("chain")).to_str().expect("utf-8"),
                "--crl",
                // A scenario's own CRL with the lab's (its own root it gets without asking).
                dir.join(s["files"]["crls"].as_str().unwrap_or("crls.pem")).to_str().expect("utf-8"),
                "--host",
                "localhost",
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        let failed: Vec<&str> = v["failed"].as_array().expect("failed").iter().filter_map(|f| f.as_str()).collect();
        // Key mismatch and client certificates show only in a live handshake, and a duplicated
        // certificate only in what the server sends (serve.chain), not in the files.
        let live_only = |r: &&str| *r == "handshake.key-mismatch" || r.starts_with("client.");
        let served_only = |r: &&str| *r == "chain.duplicate-certificate";
        let want: Vec<&str> = rule.filter(|r| !live_only(r) && !served_only(r)).into_iter().collect();
        if failed != want {
            differ.push(format!("{name}: expected {want:?}, verify says {failed:?}"));
        }
        assert_eq!(o.status.code(), Some(if want.is_empty() { 0 } else { 1 }), "{name}");
    }
    assert!(differ.is_empty(), "{differ:#?}");
}

#[test]
fn a_scenario_with_its_own_root_or_crl_is_verified_against_it_and_fails_without_it_otherwise() {
    let (_tmp, dir) = new_lab(&[]);
    let path = |p: &str| dir.join(p).to_str().expect("utf-8").to_string();
    let verify = |scenario: &str, extra: &[String]| {
        let mut args: Vec<String> = ["verify", "--host", "localhost", "--json", "--cert"].map(String::from).to_vec();
        args.push(path(&format!("scenarios/{scenario}/chain.pem")));
        args.extend_from_slice(extra);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&dir, &argv);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        v["failed"].as_array().expect("failed").iter().map(|f| f.as_str().expect("id").to_string()).collect::<Vec<_>>()
    };
    // Without --ca the scenario's own root is trusted; with the lab's the path ends at an
    // untrusted root instead, and the anchor's own fields are no longer judged.
    assert_eq!(verify("anchor-expired", &[]), ["trust.anchor-expired"]);
    assert_eq!(verify("anchor-expired", &["--ca".into(), path("ca.pem")]), ["trust.unknown-root"]);
    assert_eq!(verify("anchor-not-ca", &[]), ["trust.anchor-not-ca"]);
    assert_eq!(verify("ip-in-dns", &[]), ["name.ip-in-dns"]);
    // The stale CRL is the scenario's own: with the lab's CRLs alone it passes.
    let own = |s: &str| vec!["--crl".to_string(), path(&format!("scenarios/{s}/crls.pem"))];
    let lab = vec!["--crl".to_string(), path("crls.pem")];
    for (scenario, rule) in [
        ("crl-stale", "revocation.crl-stale"),
        ("crl-bad-signature", "revocation.crl-signature"),
        ("crl-without-crl-sign", "revocation.crl-sign"),
        ("crl-number-missing", "revocation.crl-number"),
        ("crl-ca-certs-only", "revocation.crl-scope"),
    ] {
        assert_eq!(verify(scenario, &own(scenario)), [rule], "{scenario}");
        assert!(verify(scenario, &lab).is_empty(), "{scenario} passes with the lab's CRLs alone");
    }
    let m = manifest(&dir);
    let s = scenario(&m, "crl-stale");
    assert_eq!(s["files"]["crl"], "scenarios/crl-stale/crl.pem");
    assert_eq!(s["files"]["crl_issuer"], "scenarios/crl-stale/crl-issuer.pem");
    assert_eq!(scenario(&m, "anchor-expired")["anchor"], "scenario");
    assert_eq!(scenario(&m, "anchor-expired")["files"]["anchor"], "scenarios/anchor-expired/anchor.pem");
    assert_eq!(scenario(&m, "valid")["files"]["anchor"], serde_json::Value::Null);
    assert_eq!(scenario(&m, "revoked")["files"]["crls"], "crls.pem");
}

#[test]
fn cross_signed_expired_reports_the_trust_store_path_chosen_and_the_sent_cross_sign_dropped() {
    let (_tmp, dir) = new_lab(&[]);
    let s = dir.join("scenarios/cross-signed-expired");
    let (cert, chain) = (s.join("cert.pem"), s.join("chain.pem"));
    let args = |json: bool| {
        let mut a = vec!["verify", "--cert", cert.to_str().expect("utf-8"), "--chain", chain.to_str().expect("utf-8")];
        a.extend(["--host", "cross-signed-expired.localhost"]);
        if json {
            a.push("--json");
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let argv = args(false);
    let o = run(&dir, &argv.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    // Every CA name of the lab ends with its tag: read it off the root's line.
    let tag = text.split("root CN=pki-lab Root CA ").nth(1).and_then(|t| t.get(..6)).expect("tag").to_string();
    let leaf = "leaf CN=cross-signed-expired.localhost [sent]";
    let inter = format!("intermediate CN=pki-lab Intermediate CA {tag} [sent]");
    let chosen =
        format!("  #1 chosen: {leaf} <- {inter} <- root CN=pki-lab Root CA {tag} [trust store] (trusted); validates\n");
    let dropped = format!(
        "  #2 dropped: {leaf} <- {inter} <- intermediate CN=pki-lab Root CA {tag} [sent] <- root CN=pki-lab Rogue Root CA {tag} (untrusted) [not sent; known to pki-lab] (self-signed); fails validity.expired, trust.unknown-root\n"
    );
    assert!(text.contains(&chosen), "{text}");
    assert!(text.contains(&dropped), "{text}");
    assert!(!text.contains("trust.anchor-expired              FAIL"), "{text}");
    assert!(text.ends_with("verdict  PASS (rustls: ok)\n"), "{text}");

    let argv = args(true);
    let o = run(&dir, &argv.iter().map(String::as_str).collect::<Vec<_>>());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let paths = v["paths"].as_array().expect("paths");
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0]["from"], serde_json::json!(["sent", "sent", "trust-store"]));
    assert_eq!(paths[0]["failed"], serde_json::json!([]));
    assert_eq!(paths[0]["chosen"], true);
    assert_eq!(paths[1]["from"], serde_json::json!(["sent", "sent", "sent", "known"]));
    assert_eq!(paths[1]["end"], "self-signed");
    assert_eq!(paths[1]["failed"], serde_json::json!(["validity.expired", "trust.unknown-root"]));
    assert_eq!(paths[1]["chosen"], false);

    // The control: `valid` sends no cross-sign, and one path is all there is.
    let valid = dir.join("scenarios/valid/chain.pem");
    let o = run(&dir, &["verify", "--cert", valid.to_str().expect("utf-8"), "--host", "localhost", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["paths"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["paths"][0]["from"], serde_json::json!(["sent", "sent", "trust-store"]));
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // `pki-lab inspect big.pem --json | head -c 8`: far more than a pipe buffer, and the reader
    // goes away after a few bytes. The command must end without a panic message.
    let (tmp, dir) = new_lab(&[]);
    let one = std::fs::read_to_string(dir.join("scenarios/many-sans/cert.pem")).expect("cert");
    let big = tmp.path().join("big.pem");
    std::fs::write(&big, one.repeat(10)).expect("write");
    let mut child = pki_lab()
        .arg("--dir")
        .arg(&dir)
        .args(["inspect", "--json", big.to_str().expect("utf-8")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 8];
    std::io::Read::read_exact(&mut out, &mut first).expect("some output");
    drop(out);
    let o = child.wait_with_output().expect("wait");
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_sigpipe_status() {
    let tmp = tempfile::tempdir().expect("tmp");
    for args in [&["scenarios"][..], &["scenarios", "--json"], &["man"], &["completions", "bash"], &["lab", "list"]] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader); // every write now fails with EPIPE
        let o = pki_lab().args(args).env("PKI_LAB_HOME", tmp.path()).stdout(writer).output().expect("run");
        assert_eq!(o.status.code(), Some(141), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?} prints nothing when its reader is gone");
    }
    // Control: with a reader, the same command succeeds.
    let o = pki_lab().args(["scenarios"]).env("PKI_LAB_HOME", tmp.path()).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn inputs_that_are_not_regular_files_or_too_large_are_refused_by_name() {
    let (_tmp, dir) = new_lab(&[]);
    let big = dir.join("big.pem");
    std::fs::write(&big, vec![b'A'; 17 * 1024 * 1024]).expect("write");
    let fifo = dir.join("fifo.pem");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let cases: [(&[&str], String); 5] = [
        (&["verify", "--cert", "/dev/zero", "--host", "localhost"], "/dev/zero is not a regular file".into()),
        (&["verify", "--cert", "/tmp", "--host", "localhost"], "/tmp is a directory; expected a file".into()),
        (&["inspect", fifo.to_str().expect("utf-8")], format!("{} is not a regular file", fifo.display())),
        (&["inspect", big.to_str().expect("utf-8")], format!("{} is larger than 16 MiB", big.display())),
        (&["lab", "validate", "/dev/zero"], "/dev/zero is not a regular file".into()),
    ];
    for (args, want) in cases {
        let o = run(&dir, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(&want), "{args:?}: {}", stderr(&o));
    }
    // Control: a real certificate file is read.
    let cert = dir.join("scenarios/valid/chain.pem");
    let o = run(&dir, &["verify", "--cert", cert.to_str().expect("utf-8"), "--host", "localhost"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
