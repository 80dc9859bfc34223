//! The command-line clients: `openssl s_client`, curl, gnutls-cli and wget.

use std::path::Path;
use std::process::Command;

use crate::clients::command::{self, Ran, arg, get_request};
use crate::clients::{ClientOutcome, Target, crls_in_one_file};
use crate::error::Result;

/// The response of a server that accepted the request.
fn answered(text: &str) -> bool {
    text.contains("HTTP/1.1 200 ")
}

fn all(ran: &Ran) -> String {
    let mut t = format!("{}{}", ran.stdout, ran.stderr);
    if ran.timed_out {
        t.push_str("\n(killed: no answer in time)");
    }
    t
}

fn exit_code(ran: &Ran) -> String {
    match ran.code {
        Some(c) => c.to_string(),
        None if ran.timed_out => "timeout".into(),
        None => "signal".into(),
    }
}

/// `openssl s_client` with hostname checking: the verify code, or the reason OpenSSL gives when
/// the chain verified and the handshake still failed. It reads one CRL, the leaf issuer's, and
/// checks the leaf against it (`-crl_check`).
pub fn s_client(t: &Target) -> Result<ClientOutcome> {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &format!("127.0.0.1:{}", t.port), "-servername", &t.host]);
    cmd.args(["-verify_return_error", "-verify_hostname", &t.host, "-CAfile", &arg(&t.ca), "-ign_eof"]);
    if let Some(crl) = t.crls.first() {
        cmd.args(["-CRL", &arg(crl), "-crl_check"]);
    }
    if let (Some(c), Some(k)) = (&t.client_cert, &t.client_key) {
        cmd.args(["-cert", &arg(c), "-key", &arg(k)]);
    }
    let ran = command::run(cmd, &get_request(&t.host))?;
    let text = all(&ran);
    let verify = text
        .split("verify error:num=")
        .nth(1)
        .or_else(|| text.split("Verify return code: ").nth(1))
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<i32>().ok());
    let accepted = answered(&text);
    let code = match verify {
        Some(v) if v != 0 => v.to_string(),
        _ if accepted => "0".into(),
        // "…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:…"
        _ => text
            .lines()
            .find_map(|l| l.split_once(":SSL routines:").map(|(_, rest)| rest))
            .and_then(|rest| rest.split(':').nth(1))
            .filter(|reason| !reason.is_empty())
            .map_or_else(|| exit_code(&ran), str::to_string),
    };
    // The certificate dump says nothing about the outcome.
    let keep =
        |l: &&str| ["verify error", "Verify return code", ":error:", "Verification"].iter().any(|k| l.contains(k));
    Ok(ClientOutcome { accepted, code, text: text.lines().filter(keep).collect::<Vec<_>>().join("\n") })
}

/// curl: its exit code; every CRL in one `--crlfile` (curl checks the whole chain).
pub fn curl(t: &Target, work_dir: &Path) -> Result<ClientOutcome> {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-o", "/dev/null", "--max-time", "20", "--cacert", &arg(&t.ca)]);
    if let Some(crl) = crls_in_one_file(t, work_dir)? {
        cmd.args(["--crlfile", &arg(&crl)]);
    }
    if let (Some(c), Some(k)) = (&t.client_cert, &t.client_key) {
        cmd.args(["--cert", &arg(c), "--key", &arg(k)]);
    }
    cmd.arg(&t.url);
    let ran = command::run(cmd, b"")?;
    Ok(ClientOutcome { accepted: ran.code == Some(0), code: exit_code(&ran), text: all(&ran).trim().to_string() })
}

/// wget (GnuTLS on Debian): its exit code (5: verification failed, 4: network failure).
pub fn wget(t: &Target, work_dir: &Path) -> Result<ClientOutcome> {
    let mut cmd = Command::new("wget");
    // Not --no-verbose: that hides "Failed writing HTTP request: …", wget's only word on a
    // refused client certificate.
    cmd.args(["-O", "/dev/null", "--tries", "1", "--timeout", "20", "--no-hsts"]);
    cmd.arg(format!("--ca-certificate={}", arg(&t.ca)));
    if let Some(crl) = crls_in_one_file(t, work_dir)? {
        cmd.arg(format!("--crl-file={}", arg(&crl)));
    }
    if let (Some(c), Some(k)) = (&t.client_cert, &t.client_key) {
        cmd.arg(format!("--certificate={}", arg(c))).arg(format!("--private-key={}", arg(k)));
    }
    cmd.arg(&t.url).env("HOME", work_dir).env_remove("https_proxy").env_remove("HTTPS_PROXY");
    let ran = command::run(cmd, b"")?;
    // What wget says about the connection, without its progress report.
    let text = all(&ran);
    let skip = ["--", "Loaded CA", "Resolving", "Connecting", "Length:", "Saving to", "     0K", "20"];
    let text: Vec<&str> = text.lines().filter(|l| !l.is_empty() && !skip.iter().any(|s| l.starts_with(s))).collect();
    Ok(ClientOutcome { accepted: ran.code == Some(0), code: exit_code(&ran), text: text.join("\n") })
}

/// gnutls-cli: `0` when the server answered, else why: the verification status
/// (`NOT trusted: chain uses expired certificate`), the alert received, or the fatal error.
/// It checks each CRL against its CA file, so with CRLs the CA file also holds their issuers.
pub fn gnutls(t: &Target, work_dir: &Path) -> Result<ClientOutcome> {
    let mut cmd = Command::new("gnutls-cli");
    let ca = if t.crls.is_empty() {
        t.ca.clone()
    } else {
        let mut pem = crate::labdir::fsutil::read_to_string(&t.ca)?;
        for issuer in &t.crl_issuers {
            pem.push_str(&crate::labdir::fsutil::read_to_string(issuer)?);
        }
        let path = work_dir.join(format!("ca-and-crl-issuers-{:x}.pem", super::hash(pem.as_bytes())));
        crate::labdir::fsutil::write_atomic(&path, pem.as_bytes(), crate::labdir::fsutil::PUBLIC)?;
        path
    };
    cmd.arg(format!("--x509cafile={}", arg(&ca)));
    if let Some(crl) = crls_in_one_file(t, work_dir)? {
        cmd.arg(format!("--x509crlfile={}", arg(&crl)));
    }
    if let (Some(c), Some(k)) = (&t.client_cert, &t.client_key) {
        cmd.arg(format!("--x509certfile={}", arg(c))).arg(format!("--x509keyfile={}", arg(k)));
    }
    cmd.args(["--port", &t.port.to_string(), &t.host]);
    let ran = command::run(cmd, &get_request(&t.host))?;
    let text = all(&ran);
    let accepted = answered(&text);
    let line = |prefix: &str| text.lines().find_map(|l| l.trim_start_matches("- ").strip_prefix(prefix)).map(str::trim);
    let code = if accepted {
        "0".to_string()
    } else if let Some(why) = line("Status: The certificate is NOT trusted. ") {
        format!("NOT trusted: {}", why.replace("The certificate ", "").trim_end_matches('.'))
    } else if let Some(alert) = text.lines().find_map(|l| l.strip_prefix("*** Received alert [")) {
        // "*** Received alert [116]: Certificate is required"
        let name = alert.split_once("]: ").map_or(alert, |(_, n)| n);
        format!("alert({})", name.trim())
    } else if let Some(fatal) = line("*** Fatal error: ") {
        format!("fatal({})", fatal.trim_end_matches('.'))
    } else {
        exit_code(&ran)
    };
    // The certificate dump is long and says nothing about the outcome.
    let text: Vec<&str> =
        text.lines().filter(|l| l.starts_with("- Status") || l.starts_with("***") || l.starts_with("HTTP/")).collect();
    Ok(ClientOutcome { accepted, code, text: text.join("\n") })
}
