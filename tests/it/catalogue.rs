//! Every scenario of a freshly initialised lab, checked against real verifiers: `openssl verify`
//! and rustls's `WebPkiServerVerifier` must give exactly the outcome its template claims.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use pki_lab::pki::ca::parse_certs;
use pki_lab::verdict::outcome::rustls_verify;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateRevocationListDer, UnixTime};

/// Runs `openssl verify` the way the manifest documents it and returns the verify code (0 = OK).
fn openssl_verify_code(dir: &Path, s: &serde_json::Value) -> (i32, String) {
    let mut cmd = Command::new("openssl");
    // -auth_level 2: the security level Debian's OpenSSL applies to TLS (what s_client and curl
    // see), which refuses RSA-1024 keys and SHA-1 signatures.
    // A scenario with a root of its own is verified against it, as every client is told to.
    let ca = s["files"]["anchor"].as_str().unwrap_or("ca.pem");
    cmd.current_dir(dir).args(["verify", "-auth_level", "2", "-CAfile", ca, "-untrusted"]);
    cmd.arg(s["files"]["chain"].as_str().expect("chain"));
    cmd.args(["-verify_hostname", "localhost", "-purpose", "sslserver"]);
    if let Some(crl) = s["files"]["crl"].as_str() {
        cmd.args(["-crl_check", "-CRLfile", crl]);
    }
    cmd.arg(s["files"]["cert"].as_str().expect("cert"));
    let out = cmd.output().expect("openssl is installed");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // "error 10 at 0 depth lookup: certificate has expired"
    let code =
        text.split("error ").skip(1).find_map(|rest| rest.split_whitespace().next()?.parse::<i32>().ok()).unwrap_or(0);
    assert_eq!(code == 0, out.status.success(), "exit status and verify code disagree: {text}");
    (code, text)
}

fn rustls_code(dir: &Path, s: &serde_json::Value) -> String {
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).expect(p);
    let chain = parse_certs(&read(s["files"]["chain"].as_str().expect("chain")), "chain").expect("chain parses");
    let ca = s["files"]["anchor"].as_str().unwrap_or("ca.pem");
    let roots = parse_certs(&read(ca), ca).expect("root parses");
    let crls: Vec<CertificateRevocationListDer<'static>> = match s["files"]["crl"].as_str() {
        // With CRLs rustls checks the whole chain, so it needs the root's CRL too.
        Some(crl) => [crl, "root.crl.pem"]
            .iter()
            .map(|p| CertificateRevocationListDer::from_pem_slice(read(p).as_bytes()).expect("crl parses"))
            .collect(),
        None => vec![],
    };
    rustls_verify(&chain, &roots, &crls, "localhost", UnixTime::now()).expect("verifier runs")
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn every_scenario_gets_exactly_its_claimed_verdict_from_openssl_and_rustls() {
    let (_tmp, dir) = new_lab(&[]);
    let m = manifest(&dir);
    let mut mismatches = BTreeMap::new();
    let scenarios = m["scenarios"].as_array().expect("scenarios");
    assert!(scenarios.len() >= 60, "catalogue has {} scenarios", scenarios.len());
    for s in scenarios {
        let name = s["name"].as_str().expect("name").to_string();
        let (code, text) = openssl_verify_code(&dir, s);
        let want = s["expect"]["openssl-verify"].as_i64().expect("openssl-verify") as i32;
        if code != want {
            mismatches.insert(format!("{name} openssl"), format!("claimed {want}, got {code}: {}", text.trim()));
        }
        let got = rustls_code(&dir, s);
        let want = s["expect"]["rustls-verify"].as_str().expect("rustls-verify");
        if got != want {
            mismatches.insert(format!("{name} rustls"), format!("claimed {want}, got {got}"));
        }
    }
    assert!(mismatches.is_empty(), "verdicts differ from the templates: {mismatches:#?}");
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn controls_pass_and_each_broken_scenario_names_one_known_rule() {
    let (_tmp, dir) = new_lab(&[]);
    let m = manifest(&dir);
    let rules: Vec<&str> = pki_lab::catalogue::rules::RULES.iter().map(|r| r.id.as_str()).collect();
    for s in m["scenarios"].as_array().expect("scenarios") {
        match s["rule"].as_str() {
            None => {
                assert_eq!(s["expect"]["openssl-verify"], 0, "{}", s["name"]);
                assert_eq!(openssl_verify_code(&dir, s).0, 0, "control {} fails openssl", s["name"]);
                assert_eq!(rustls_code(&dir, s), "ok", "control {} fails rustls", s["name"]);
            }
            Some(rule) => assert!(rules.contains(&rule), "{} breaks unknown rule {rule}", s["name"]),
        }
    }
    for name in ["valid", "valid-p384", "valid-rsa2048", "many-sans", "tls12-only", "tls13-only"] {
        assert!(scenario(&m, name)["rule"].is_null() && scenario(&m, name)["lesson"].is_null(), "{name} is a control");
    }
    // A lesson breaks no rule (OpenSSL and rustls accept it above) but is no control: a browser
    // refuses it (tests/it/clients.rs).
    let ed = scenario(&m, "ed25519-leaf");
    assert!(ed["rule"].is_null() && ed["lesson"].as_str().is_some_and(|l| l.contains("Ed25519")), "{ed}");
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn revoked_passes_without_its_crl_so_the_crl_is_what_fails_it() {
    let (_tmp, dir) = new_lab(&[]);
    let m = manifest(&dir);
    let mut s = scenario(&m, "revoked").clone();
    s["files"]["crl"] = serde_json::Value::Null;
    assert_eq!(openssl_verify_code(&dir, &s).0, 0);
    assert_eq!(rustls_code(&dir, &s), "ok");
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn many_sans_really_carries_one_thousand_names() {
    let (_tmp, dir) = new_lab(&[]);
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
        .arg(dir.join("scenarios/many-sans/cert.pem"))
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    let names = text.matches("DNS:").count() + text.matches("IP Address:").count();
    assert_eq!(names, 1000, "{}", &text[..200.min(text.len())]);
}

#[test]
fn served_chains_are_what_the_profiles_say() {
    let (_tmp, dir) = new_lab(&[]);
    let m = manifest(&dir);
    let count = |name: &str| {
        let s = scenario(&m, name);
        let text = std::fs::read_to_string(dir.join(s["files"]["chain"].as_str().expect("chain"))).expect("chain");
        assert_eq!(s["serve"]["chain_len"], text.matches("BEGIN CERTIFICATE").count(), "{name}");
        text.matches("BEGIN CERTIFICATE").count()
    };
    assert_eq!(count("valid"), 2);
    assert_eq!(count("incomplete-chain"), 1);
    assert_eq!(count("self-signed"), 1);
    assert_eq!(count("path-length"), 3);
    assert_eq!(count("untrusted-root"), 2);
    assert_eq!(count("duplicate-certificate"), 3);
    assert_eq!(count("cross-signed-expired"), 3);
    assert_eq!(count("chain-too-deep"), 8);
}

/// `openssl x509 -text` of a scenario's leaf, or of its `n`th served certificate.
fn x509_text(dir: &Path, scenario: &str, n: usize) -> String {
    let chain = std::fs::read_to_string(dir.join(format!("scenarios/{scenario}/chain.pem"))).expect("chain");
    let pem = chain.split_inclusive("-----END CERTIFICATE-----\n").nth(n).expect("certificate").to_string();
    let mut child = Command::new("openssl")
        .args(["x509", "-noout", "-text"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(pem.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("openssl");
    assert!(out.status.success(), "{scenario}[{n}]");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn defects_are_in_the_certificates_as_openssl_reads_them() {
    let (_tmp, dir) = new_lab(&[]);
    let valid = x509_text(&dir, "valid", 0);
    let valid_ca = x509_text(&dir, "valid", 1);
    // Each pair: what the defect makes OpenSSL print, and the control (`valid`) that lacks it.
    let leaf = [
        ("serial-zero", "Serial Number: 0 (0x0)"),
        ("serial-negative", "Serial Number: -"),
        ("version-1-extensions", "Version: 1 (0x0)"),
        ("aki-critical", "X509v3 Authority Key Identifier: critical"),
        ("eku-critical", "X509v3 Extended Key Usage: critical"),
        ("san-critical", "X509v3 Subject Alternative Name: critical"),
        ("key-encipherment-ecdsa", "Digital Signature, Key Encipherment"),
        ("keycertsign-not-ca", "Digital Signature, Certificate Sign"),
        ("any-eku", "Any Extended Key Usage"),
        ("rsa-2049", "Public-Key: (2049 bit)"),
        ("cn-not-in-san", "Subject: CN = LOCALHOST"),
        ("san-underscore", "DNS:under_score.localhost"),
        ("wildcard-partial", "DNS:f*.localhost"),
        ("name-constraints-uri", "URI:https://app.example/"),
        ("rsa-pss-salt-20", "Salt Length: 0x14"),
    ];
    for (scenario, shows) in leaf {
        let text = x509_text(&dir, scenario, 0);
        assert!(text.contains(shows), "{scenario} lacks `{shows}`:\n{text}");
        assert!(!valid.contains(shows), "the control shows `{shows}` too");
    }
    assert!(valid.contains("Version: 3 (0x2)"));
    assert_eq!(x509_text(&dir, "duplicate-extension", 0).matches("X509v3 Extended Key Usage").count(), 2);
    assert_eq!(valid.matches("X509v3 Extended Key Usage").count(), 1);
    assert!(!x509_text(&dir, "aki-missing", 0).contains("Authority Key Identifier"));
    assert!(valid.contains("Authority Key Identifier"));
    assert!(!x509_text(&dir, "eku-missing", 0).contains("Extended Key Usage"));
    let empty_subject = x509_text(&dir, "san-noncritical-no-subject", 0);
    assert!(empty_subject.contains("Subject: \n") || empty_subject.contains("Subject:\n"), "{empty_subject}");
    assert!(!empty_subject.contains("Subject Alternative Name: critical"));

    // The issuing CA's own defects.
    let ca = [
        ("ski-critical", "X509v3 Subject Key Identifier: critical"),
        ("critical-extension-ca", "1.3.6.1.4.1.55738.1.2: critical"),
        ("ca-eku-client-only", "TLS Web Client Authentication"),
        ("name-constraints-excluded", "Excluded:"),
        ("ca-key-secp256k1", "ASN1 OID: secp256k1"),
    ];
    for (scenario, shows) in ca {
        let text = x509_text(&dir, scenario, 1);
        assert!(text.contains(shows), "{scenario}'s CA lacks `{shows}`:\n{text}");
        assert!(!valid_ca.contains(shows), "the control CA shows `{shows}` too");
    }
    assert!(valid_ca.contains("X509v3 Basic Constraints: critical"));
    assert!(!x509_text(&dir, "ca-bc-not-critical", 1).contains("X509v3 Basic Constraints: critical"));
    assert!(valid_ca.contains("Subject Key Identifier"));
    assert!(!x509_text(&dir, "ski-missing", 1).contains("Subject Key Identifier"));
    assert!(valid_ca.contains("Certificate Sign"));
    assert!(!x509_text(&dir, "ca-without-keycertsign", 1).contains("Certificate Sign"));
}

/// The DER of a scenario's leaf, from its cert.pem.
fn leaf_der(dir: &Path, scenario: &str) -> Vec<u8> {
    let pem = std::fs::read_to_string(dir.join(format!("scenarios/{scenario}/cert.pem"))).expect("cert");
    parse_certs(&pem, scenario).expect("parses").remove(0).to_vec()
}

#[test]
fn time_and_signature_algorithm_defects_are_in_the_der() {
    let (_tmp, dir) = new_lab(&[]);
    use x509_parser::prelude::FromDer;
    let parse = |s: &str| {
        let der = leaf_der(&dir, s);
        let (_, x) = x509_parser::certificate::X509Certificate::from_der(&der).expect("parses");
        let v = x.validity();
        (
            v.not_before.is_utctime(),
            v.not_after.is_utctime(),
            x.signature_algorithm.algorithm == x.tbs_certificate.signature.algorithm,
        )
    };
    assert_eq!(parse("generalized-time"), (false, false, true));
    assert_eq!(parse("sig-algorithm-mismatch"), (true, true, false));
    assert_eq!(parse("valid"), (true, true, true));
    let serial_len = |s: &str| {
        let der = leaf_der(&dir, s);
        let (_, x) = x509_parser::certificate::X509Certificate::from_der(&der).expect("parses");
        x.raw_serial().len()
    };
    assert_eq!(serial_len("serial-too-long"), 21);
    assert!(serial_len("valid") <= 20);
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn key_mismatch_serves_a_key_that_is_not_the_certificates() {
    let (_tmp, dir) = new_lab(&[]);
    let pubkey = |args: &[&str], file: &str| {
        let out = Command::new("openssl").args(args).arg(dir.join(file)).output().expect("openssl");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let cert_key = pubkey(&["x509", "-noout", "-pubkey", "-in"], "scenarios/key-mismatch/cert.pem");
    let served = pubkey(&["pkey", "-pubout", "-in"], "scenarios/key-mismatch/key.pem");
    let own = pubkey(&["pkey", "-pubout", "-in"], "scenarios/key-mismatch/leaf-key.pem");
    assert_ne!(cert_key, served);
    assert_eq!(cert_key, own);
    // Control: the valid scenario's key is its certificate's.
    let valid_cert = pubkey(&["x509", "-noout", "-pubkey", "-in"], "scenarios/valid/cert.pem");
    let valid_key = pubkey(&["pkey", "-pubout", "-in"], "scenarios/valid/key.pem");
    assert_eq!(valid_cert, valid_key);
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn client_certificates_chain_to_the_root_or_the_rogue_root() {
    let (_tmp, dir) = new_lab(&[]);
    let verify = |ca: &str, scenario: &str| {
        Command::new("openssl")
            .current_dir(&dir)
            .args(["verify", "-purpose", "sslclient", "-CAfile", ca, "-untrusted"])
            .arg(format!("scenarios/{scenario}/client/chain.pem"))
            .arg(format!("scenarios/{scenario}/client/cert.pem"))
            .output()
            .expect("openssl")
            .status
            .success()
    };
    assert!(verify("ca.pem", "client-cert-required"));
    assert!(!verify("ca.pem", "client-cert-untrusted"));
    assert!(verify("ca/rogue-root.pem", "client-cert-untrusted"));
}
