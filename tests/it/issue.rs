//! `pki-lab issue`: certificates for your own names that curl and OpenSSL accept (or refuse, when
//! issued like a broken scenario), refusals that write nothing, keys kept, PKCS#12 and CSRs.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use crate::common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Serves `chain.pem` + `key.pem` from `dir` over TLS on a free 127.0.0.1 port, answering each
/// request with "ok"; runs until the test process ends.
fn serve_files(dir: &Path) -> u16 {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("chain.pem"))
        .expect("chain.pem")
        .collect::<Result<_, _>>()
        .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).expect("key.pem");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else { return };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut reader = BufReader::new(&mut tls);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n");
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl").args(args).output().expect("openssl")
}

/// `openssl verify` of `<out>/cert.pem` against the lab root with the given extra arguments.
fn verify(lab: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let (ca, chain, cert) = (lab.join("ca.pem"), out.join("chain.pem"), out.join("cert.pem"));
    let mut args = vec!["verify", "-CAfile", path(&ca), "-untrusted", path(&chain)];
    args.extend_from_slice(extra);
    args.push(path(&cert));
    let o = openssl(&args);
    (o.status.code(), format!("{}{}", stdout(&o), stderr(&o)))
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// curl's exit code for https://NAME:PORT/ with NAME resolved to 127.0.0.1, trusting the lab.
fn curl(lab: &Path, host: &str, port: u16) -> (Option<i32>, String) {
    let url_host = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
    let mut c = Command::new("curl");
    c.args(["-sS", "--max-time", "10", "--cacert", path(&lab.join("ca.pem"))]);
    if host.parse::<std::net::IpAddr>().is_err() {
        c.args(["--resolve", &format!("{host}:{port}:127.0.0.1")]);
    }
    let o = c.arg(format!("https://{url_host}:{port}/")).output().expect("curl");
    (o.status.code(), format!("{}{}", stdout(&o), stderr(&o)))
}

fn issue(lab: &Path, args: &[&str]) -> Output {
    let mut all = vec!["issue"];
    all.extend_from_slice(args);
    run(lab, &all)
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn every_kind_of_name_is_accepted_by_openssl_and_curl_and_other_names_are_not() {
    let (tmp, lab) = new_lab(&[]);
    let out = tmp.path().join("app");
    let o = issue(
        &lab,
        &["app.test", "*.app.test", "127.0.0.1", "::1", "alice@app.test", "spiffe://app.test/api", "--out", path(&out)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // DNS name, wildcard, IP addresses: as a TLS server.
    for (flag, value) in [
        ("-verify_hostname", "app.test"),
        ("-verify_hostname", "www.app.test"),
        ("-verify_ip", "127.0.0.1"),
        ("-verify_ip", "::1"),
    ] {
        let (code, text) = verify(&lab, &out, &["-purpose", "sslserver", flag, value]);
        assert_eq!(code, Some(0), "{flag} {value}: {text}");
        assert!(text.contains("cert.pem: OK"), "{text}");
    }
    // Email: as an S/MIME signer; URI: present in the SAN and the chain verifies.
    let (code, text) = verify(&lab, &out, &["-purpose", "smimesign", "-verify_email", "alice@app.test"]);
    assert_eq!(code, Some(0), "email: {text}");
    let (code, text) = verify(&lab, &out, &["-purpose", "sslclient"]);
    assert_eq!(code, Some(2), "no clientAuth without --client: {text}");
    assert!(text.contains("error 26 at 0 depth lookup: unsuitable certificate purpose"), "{text}");
    let san = openssl(&["x509", "-noout", "-ext", "subjectAltName", "-in", path(&out.join("cert.pem"))]);
    assert!(stdout(&san).contains("URI:spiffe://app.test/api"), "{}", stdout(&san));

    // The negatives next to them: names the certificate does not carry.
    let (code, text) = verify(&lab, &out, &["-verify_hostname", "other.test"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("error 62 at 0 depth lookup: hostname mismatch"), "{text}");
    let (_, text) = verify(&lab, &out, &["-verify_hostname", "a.b.app.test"]);
    assert!(text.contains("error 62"), "a wildcard covers one label only: {text}");
    let (_, text) = verify(&lab, &out, &["-verify_ip", "127.0.0.2"]);
    assert!(text.contains("error 64 at 0 depth lookup: IP address mismatch"), "{text}");
    let (_, text) = verify(&lab, &out, &["-purpose", "smimesign", "-verify_email", "bob@app.test"]);
    assert!(text.contains("error 63 at 0 depth lookup: email address mismatch"), "{text}");

    // curl and openssl s_client against a real server using the files.
    let port = serve_files(&out);
    for host in ["app.test", "www.app.test", "127.0.0.1"] {
        let (code, text) = curl(&lab, host, port);
        assert_eq!(code, Some(0), "curl {host}: {text}");
        assert_eq!(text, "ok\n");
    }
    let (code, text) = curl(&lab, "other.test", port);
    assert_eq!(code, Some(60), "curl for a name not in the certificate: {text}");
    let s = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-servername", "app.test"])
        .args(["-verify_hostname", "app.test", "-verify_return_error", "-CAfile", path(&lab.join("ca.pem"))])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("s_client");
    assert!(stdout(&s).contains("Verify return code: 0 (ok)"), "{}{}", stdout(&s), stderr(&s));
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn issued_like_expired_is_refused_by_openssl_with_10_and_curl_with_60() {
    let (tmp, lab) = new_lab(&[]);
    let (valid, expired) = (tmp.path().join("valid"), tmp.path().join("expired"));
    let o = issue(&lab, &["app.test", "--out", path(&valid)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = issue(&lab, &["app.test", "--like", "expired", "--out", path(&expired)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let receipt = stderr(&o);
    assert!(
        receipt.contains(
            "like      expired: the leaf certificate expired a day ago — it breaks validity.expired on purpose"
        ),
        "{receipt}"
    );
    assert!(receipt.contains("; expired already)"), "{receipt}");

    let (code, text) = verify(&lab, &valid, &["-verify_hostname", "app.test"]);
    assert_eq!(code, Some(0), "control: {text}");
    let (code, text) = verify(&lab, &expired, &["-verify_hostname", "app.test"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("error 10 at 0 depth lookup: certificate has expired"), "{text}");

    let (good, bad) = (serve_files(&valid), serve_files(&expired));
    assert_eq!(curl(&lab, "app.test", good).0, Some(0));
    let (code, text) = curl(&lab, "app.test", bad);
    assert_eq!(code, Some(60), "{text}");
    assert!(text.contains("certificate has expired"), "{text}");

    // The validity is the defect: overriding it is refused.
    let o = issue(&lab, &["app.test", "--like", "expired", "--days", "3", "--out", path(&tmp.path().join("x"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--like expired sets the validity itself"), "{}", stderr(&o));
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn issued_like_a_scenario_with_its_own_root_or_crl_writes_them_and_openssl_reads_the_defect() {
    let (tmp, lab) = new_lab(&[]);
    let out = tmp.path().join("anchored");
    let o = issue(&lab, &["app.test", "--like", "anchor-expired", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let next = format!("next: trust {}/anchor.pem (a root of its own", out.display());
    assert!(stderr(&o).contains(&next), "{}", stderr(&o));
    let chain = |ca: &Path| {
        let (chain, cert) = (out.join("chain.pem"), out.join("cert.pem"));
        let o = openssl(&["verify", "-CAfile", path(ca), "-untrusted", path(&chain), path(&cert)]);
        format!("{}{}", stdout(&o), stderr(&o))
    };
    // Its own root is expired; the lab root signed nothing on this path.
    let text = chain(&out.join("anchor.pem"));
    assert!(text.contains("error 10 at 1 depth lookup: certificate has expired"), "{text}");
    let text = chain(&lab.join("ca.pem"));
    assert!(text.contains("error 20 at 0 depth lookup"), "{text}");

    let out = tmp.path().join("stale");
    let o = issue(&lab, &["app.test", "--like", "crl-stale", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (code, text) = verify(&lab, &out, &["-crl_check", "-CRLfile", path(&out.join("crl.pem"))]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("error 12 at 0 depth lookup: CRL has expired"), "{text}");
}

#[test]
fn a_name_outside_the_root_constraints_exits_2_and_writes_nothing() {
    let (tmp, lab) = new_lab(&[]);
    let before = snapshot(&lab);
    let out = tmp.path().join("out");
    let o = issue(&lab, &["app.test", "www.google.com", "8.8.8.8", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "error: refusing to issue for www.google.com (DNS name), 8.8.8.8 (IP address): outside the names the lab root may issue for\n  permitted: localhost, test, example, invalid, internal, home.arpa, 127.0.0.0/8,"
        ),
        "{err}"
    );
    assert!(err.contains("`pki-lab init --force --permit NAME`"), "{err}");
    assert!(!out.exists(), "nothing written");
    assert_eq!(before, snapshot(&lab), "the lab is untouched");

    // Without a lab, the refusal comes before one is created.
    let nolab = tmp.path().join("nolab");
    let o = issue(&nolab, &["www.google.com"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!nolab.exists());

    // A lab that permits the name issues it (the control).
    let (tmp2, wide) = new_lab(&["--permit", "google.com"]);
    let o = issue(&wide, &["www.google.com", "--out", path(&tmp2.path().join("g"))]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn the_private_key_is_0600_and_not_overwritten_without_force() {
    let (tmp, lab) = new_lab(&[]);
    let out = tmp.path().join("k");
    assert_eq!(issue(&lab, &["app.test", "--out", path(&out)]).status.code(), Some(0));
    let key = out.join("key.pem");
    let first = std::fs::read(&key).expect("key");
    assert_eq!(std::fs::metadata(&key).expect("meta").permissions().mode() & 0o777, 0o600);

    let o = issue(&lab, &["app.test", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with(&format!("error: refusing to overwrite {}", out.join("cert.pem").display())));
    assert!(stderr(&o).contains("pass --force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&key).expect("key"), first, "the key is unchanged");

    let o = issue(&lab, &["app.test", "--out", path(&out), "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(std::fs::read(&key).expect("key"), first, "--force replaces it");
    assert_eq!(std::fs::metadata(&key).expect("meta").permissions().mode() & 0o777, 0o600);
}

#[test]
fn the_default_output_is_in_the_lab_and_the_receipt_says_what_where_and_until_when() {
    let (_tmp, lab) = new_lab(&[]);
    let o = issue(&lab, &["*.app.test", "--days", "30", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = lab.join("issued").join("_wildcard.app.test");
    let r = stderr(&o);
    assert!(r.starts_with("issued a certificate for *.app.test\n"), "{r}");
    assert!(r.contains("(30 days)"), "{r}");
    assert!(r.contains(&format!("  key       {}  (private key, mode 0600)", dir.join("key.pem").display())), "{r}");
    assert!(r.contains("next: trust"), "{r}");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(json["dir"], dir.display().to_string());
    assert_eq!(json["names"][0], "*.app.test");
    for f in ["cert.pem", "key.pem", "chain.pem", "fullchain.pem"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    // fullchain = leaf, intermediate, root.
    let full = std::fs::read_to_string(dir.join("fullchain.pem")).expect("fullchain");
    assert_eq!(full.matches("BEGIN CERTIFICATE").count(), 3);
    assert!(full.ends_with(&std::fs::read_to_string(lab.join("ca.pem")).expect("ca")));
}

#[test]
#[cfg_attr(missing_keytool, ignore = "needs keytool (Debian: openjdk-17-jre-headless); .ci/run installs it")]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn the_p12_opens_with_openssl_and_keytool_with_its_password_only() {
    let (tmp, lab) = new_lab(&[]);
    let (custom, default) = (tmp.path().join("custom"), tmp.path().join("default"));
    let o = issue(&lab, &["app.test", "--p12", "--password", "s3cret", "--out", path(&custom)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A password the user chose is never echoed, from the flag or from the environment.
    assert!(stderr(&o).contains("(password from --password)"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("s3cret") && !stdout(&o).contains("s3cret"), "{}", stderr(&o));
    let from_env = tmp.path().join("from-env");
    let o = pki_lab()
        .args(["issue", "app.test", "--p12", "--out", path(&from_env), "--dir", path(&lab)])
        .env("PKI_LAB_P12_PASSWORD", "envs3cret")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("(password from PKI_LAB_P12_PASSWORD)"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("envs3cret"), "{}", stderr(&o));
    let o = issue(&lab, &["app.test", "--p12", "--out", path(&default)]);
    assert!(stderr(&o).contains("(password `changeit`, the default)"), "{}", stderr(&o));

    let info = |dir: &Path, pw: &str| {
        openssl(&["pkcs12", "-info", "-noout", "-in", path(&dir.join("cert.p12")), "-passin", &format!("pass:{pw}")])
    };
    let ok = info(&custom, "s3cret");
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stderr(&ok).contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"), "{}", stderr(&ok));
    assert!(stderr(&ok).contains("MAC: sha256"), "{}", stderr(&ok));
    let wrong = info(&custom, "changeit");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr(&wrong).contains("Mac verify error: invalid password?"), "{}", stderr(&wrong));
    assert_eq!(info(&default, "changeit").status.code(), Some(0));
    // The key and three certificates come back out.
    let pems = openssl(&["pkcs12", "-in", path(&custom.join("cert.p12")), "-passin", "pass:s3cret", "-nodes"]);
    assert_eq!(stdout(&pems).matches("BEGIN CERTIFICATE").count(), 3);
    assert_eq!(stdout(&pems).matches("BEGIN PRIVATE KEY").count(), 1);
    assert_eq!(std::fs::metadata(custom.join("cert.p12")).expect("p12").permissions().mode() & 0o777, 0o600);

    let _ = tool("keytool");
    let list = |pw: &str| {
        Command::new("keytool")
            .args(["-list", "-keystore", path(&custom.join("cert.p12")), "-storetype", "PKCS12", "-storepass", pw])
            .output()
            .expect("keytool")
    };
    let o = list("s3cret");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Your keystore contains 1 entry"), "{}", stdout(&o));
    assert!(stdout(&o).contains("app.test, ") && stdout(&o).contains("PrivateKeyEntry"), "{}", stdout(&o));
    assert_ne!(list("wrong").status.code(), Some(0));
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn a_csr_is_signed_with_its_names_a_fresh_serial_and_the_asked_validity() {
    let (tmp, lab) = new_lab(&[]);
    let t = tmp.path();
    let make_csr = |name: &str, san: &str| {
        let o = Command::new("openssl")
            .current_dir(t)
            .args(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"])
            .args(["-keyout", &format!("{name}.key"), "-subj", &format!("/CN={name}"), "-addext"])
            .arg(format!("subjectAltName={san}"))
            .args(["-out", &format!("{name}.csr")])
            .output()
            .expect("openssl req");
        assert!(o.status.success(), "{}", stderr(&o));
        t.join(format!("{name}.csr"))
    };
    let csr = make_csr("csr.test", "DNS:csr.test,IP:127.0.0.1");
    let out = t.join("signed");
    let o = issue(&lab, &["--csr", path(&csr), "--days", "30", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!out.join("key.pem").exists(), "the key stays with the requester");
    let (code, text) = verify(&lab, &out, &["-verify_hostname", "csr.test", "-purpose", "sslserver"]);
    assert_eq!(code, Some(0), "{text}");
    let x = openssl(&[
        "x509",
        "-noout",
        "-serial",
        "-startdate",
        "-enddate",
        "-ext",
        "basicConstraints",
        "-in",
        path(&out.join("cert.pem")),
    ]);
    let text = stdout(&x);
    let serial = text.lines().find_map(|l| l.strip_prefix("serial=")).expect("serial");
    assert!(serial.len() >= 30, "a random 16-byte serial, not rcgen's key hash: {serial}");
    let end = text.lines().find_map(|l| l.strip_prefix("notAfter=")).expect("notAfter");
    let check = Command::new("openssl")
        .args(["x509", "-noout", "-checkend", &(29 * 86400).to_string(), "-in", path(&out.join("cert.pem"))])
        .output()
        .expect("checkend");
    assert_eq!(check.status.code(), Some(0), "valid for at least 29 days: {end}");
    let check = Command::new("openssl")
        .args(["x509", "-noout", "-checkend", &(31 * 86400).to_string(), "-in", path(&out.join("cert.pem"))])
        .output()
        .expect("checkend");
    assert_eq!(check.status.code(), Some(1), "and not 31: {end}");
    assert!(!text.contains("CA:TRUE"), "{text}");

    // A CSR for a public name is refused like a NAME.
    let bad = make_csr("bad", "DNS:www.google.com");
    let o = issue(&lab, &["--csr", path(&bad), "--out", path(&t.join("bad-out"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("refusing to issue for www.google.com (DNS name)"), "{}", stderr(&o));
    assert!(!t.join("bad-out").exists());
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn bad_input_is_refused_with_what_was_expected() {
    let (tmp, lab) = new_lab(&[]);
    let out = tmp.path().join("o");
    let o = issue(&lab, &["app.test", "--like", "expird", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown scenario `expird`; did you mean `expired`?"), "{}", stderr(&o));
    let o = issue(&lab, &["not a name", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`not a name` is not a name pki-lab can issue for"), "{}", stderr(&o));
    let o = issue(&lab, &["app.test", "--not-after", "tomorrow", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--not-after: expected an RFC 3339 time"), "{}", stderr(&o));
    assert!(!out.exists());

    // --not-after -1d is another way to an expired certificate; cn-only keeps the name out of the SAN.
    let o = issue(&lab, &["app.test", "--not-before", "-10d", "--not-after", "-1d", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(verify(&lab, &out, &[]).1.contains("error 10"));
    let cn = tmp.path().join("cn");
    assert_eq!(issue(&lab, &["app.test", "--like", "cn-only", "--out", path(&cn)]).status.code(), Some(0));
    let x = openssl(&["x509", "-noout", "-subject", "-ext", "subjectAltName", "-in", path(&cn.join("cert.pem"))]);
    assert_eq!(stdout(&x).trim(), "subject=CN = app.test");
    assert!(stderr(&x).contains("No extensions in certificate"), "no subjectAltName: {}", stderr(&x));
}

#[test]
fn issue_restores_a_lab_left_aside_by_a_killed_init_and_says_so_before_issuing() {
    let (_tmp, lab) = new_lab(&[]);
    let ca_before = std::fs::read(lab.join("ca.pem")).expect("ca.pem");
    let parent = lab.parent().expect("parent").to_path_buf();
    // What a kill between the two renames of `init --force` leaves: the lab aside, a staging.
    let aside = parent.join(".lab.old-Ab12Cd");
    let staging = parent.join(".lab.staging-Xy34Zw");
    std::fs::rename(&lab, &aside).expect("move aside");
    std::fs::create_dir_all(staging.join("ca")).expect("staging");
    std::fs::write(staging.join("ca/root.key"), "not a real key").expect("write");

    let o = issue(&lab, &["app.test"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let notes = format!(
        "note: removed {}, an unfinished lab left by an interrupted pki-lab run\nnote: restored the lab moved aside by an interrupted run: {} -> {}\nissued a certificate for app.test\n",
        staging.display(),
        aside.display(),
        lab.display()
    );
    assert!(err.starts_with(&notes), "{err}");
    assert!(!err.contains("creating one first"), "the old lab is used, not a new one: {err}");
    assert_eq!(std::fs::read(lab.join("ca.pem")).expect("ca.pem"), ca_before, "the same CA");
    assert!(!aside.exists() && !staging.exists());

    // Control: with nothing left behind, issue has nothing to note.
    let o = issue(&lab, &["other.test"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("issued a certificate for other.test\n"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
}
