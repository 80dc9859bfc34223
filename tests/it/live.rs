//! `pki-lab serve` against real clients: the probe, curl and `openssl s_client` must see exactly
//! what the manifest says; the servers must survive idle, garbage and abrupt connections.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

/// A running `pki-lab serve` on free ports in a fresh lab; killed on drop.
struct Served {
    daemon: Daemon,
    ports: serde_json::Value,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Served {
    fn start(extra: &[&str]) -> Served {
        let (tmp, dir) = new_lab(&[]);
        let mut args = vec!["serve", "--port-base", "0"];
        args.extend_from_slice(extra);
        let daemon = Daemon::spawn(&dir, &args);
        let ports = daemon.ports.clone();
        Served { daemon, ports, _tmp: tmp, dir }
    }

    fn port(&self, scenario: &str) -> u16 {
        self.ports["scenarios"][scenario].as_u64().unwrap_or_else(|| panic!("{scenario} served")) as u16
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        run(&self.dir, args)
    }

    /// SIGTERM, then the exit status.
    fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.daemon.child.id().to_string()]).status();
        self.daemon.child.wait().expect("wait")
    }

    fn log(&self) -> String {
        self.daemon.log()
    }
}

fn scenarios(dir: &Path) -> Vec<serde_json::Value> {
    manifest(dir)["scenarios"].as_array().expect("scenarios").clone()
}

#[test]
fn probe_all_names_exactly_each_scenarios_rule_and_controls_pass() {
    let s = Served::start(&["--quiet"]);
    let o = s.run(&["probe", "--all", "--json"]);
    let reports: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).expect("probe --json is an array");
    let mut differ = Vec::new();
    for sc in scenarios(&s.dir) {
        let name = sc["name"].as_str().expect("name");
        let r = reports.iter().find(|r| r["scenario"] == name).unwrap_or_else(|| panic!("report for {name}"));
        let failed: Vec<&str> =
            r["verdict"]["failed"].as_array().expect("failed").iter().filter_map(|v| v.as_str()).collect();
        let want: Vec<&str> = sc["rule"].as_str().into_iter().collect();
        if failed != want {
            differ.push(format!("{name}: expected {want:?}, observed {failed:?}"));
        }
        // rustls's own verdict on the live server matches the manifest's claim.
        let mut rustls =
            sc["expect"]["rustls-handshake"].as_str().or(sc["expect"]["rustls-verify"].as_str()).expect("claim");
        // The probe gives rustls the lab's CRLs for every scenario, also those whose CAs publish
        // none, so it allows an unknown revocation status (src/probe): crl-ca-certs-only's leaf,
        // which no CRL covers, passes there.
        if rustls == "UnknownRevocationStatus" {
            rustls = "ok";
        }
        if r["verdict"]["rustls"] != rustls {
            differ.push(format!("{name}: rustls claimed {rustls}, observed {}", r["verdict"]["rustls"]));
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn probe_walks_five_steps_and_reuses_one_connection_for_two_requests() {
    let s = Served::start(&["--quiet"]);
    let o = s.run(&["probe", "valid", "--json", "--requests", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(r["hello"]["version"], "TLSv1_3");
    assert_eq!(r["hello"]["handshake"], "full");
    assert_eq!(r["certificate"].as_array().expect("chain").len(), 2);
    assert_eq!(r["key_exchange"]["signature_verified"], true);
    let counts: Vec<u64> = r["secure_communication"]["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|e| e["request_on_connection"].as_u64().expect("count"))
        .collect();
    assert_eq!(counts, vec![1, 2, 3], "three requests, one connection");
    assert!(r["verdict"]["failed"].as_array().expect("failed").is_empty());

    // TLS 1.2 is observable too, and the text form names the five steps.
    let o = s.run(&["probe", "tls12-only"]);
    let text = stdout(&o);
    for step in ["1 hello", "2 certificate", "3 verification", "4 key exchange", "5 secure comm."] {
        assert!(text.contains(step), "{text}");
    }
    assert!(text.contains("TLSv1_2"), "{text}");
}

#[test]
fn probe_expect_sets_the_exit_code() {
    let s = Served::start(&["--quiet"]);
    assert_eq!(s.run(&["probe", "expired", "--expect", "validity.expired"]).status.code(), Some(0));
    assert_eq!(s.run(&["probe", "expired", "--expect", "pass"]).status.code(), Some(1));
    assert_eq!(s.run(&["probe", "valid", "--expect", "pass"]).status.code(), Some(0));
    assert_eq!(s.run(&["probe", "valid"]).status.code(), Some(0));
    assert_eq!(s.run(&["probe", "wrong-host"]).status.code(), Some(1));
    // A TLS 1.2 server refuses the client certificate inside the handshake, not after it.
    for v in ["--tls12", "--tls13"] {
        let o = s.run(&["probe", "client-cert-untrusted", v, "--expect", "client.cert-untrusted"]);
        assert_eq!(o.status.code(), Some(0), "{v}: {}", stdout(&o));
    }
    let o = s.run(&["probe", "expird"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `expired`"), "{}", stderr(&o));
}

#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn curl_exits_exactly_as_the_manifest_says() {
    let s = Served::start(&["--quiet"]);
    let mut differ = Vec::new();
    for sc in scenarios(&s.dir) {
        let name = sc["name"].as_str().expect("name");
        let mut cmd = Command::new("curl");
        // The scenario's own root and CRLs where it has them, as the manifest documents.
        let ca = sc["files"]["anchor"].as_str().unwrap_or("ca.pem");
        cmd.current_dir(&s.dir).args(["-s", "-o", "/dev/null", "--max-time", "10", "--cacert", ca]);
        if sc["files"]["crl"].is_string() {
            cmd.args(["--crlfile", sc["files"]["crls"].as_str().unwrap_or("crls.pem")]);
        }
        if sc["serve"]["probe_client_cert"] == true {
            cmd.args(["--cert", sc["files"]["client_chain"].as_str().expect("chain")]);
            cmd.args(["--key", sc["files"]["client_key"].as_str().expect("key")]);
        }
        cmd.arg(format!("https://localhost:{}/", s.port(name)));
        let code = cmd.status().expect("curl is installed").code().unwrap_or(-1);
        if i64::from(code) != sc["expect"]["curl"].as_i64().expect("curl") {
            differ.push(format!("{name}: claimed {}, curl exited {code}", sc["expect"]["curl"]));
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
}

/// `openssl s_client`'s verify code: "verify error:num=N" when it aborts, else "Verify return code: N".
fn s_client(dir: &Path, port: u16, servername: &str, extra: &[&str]) -> (i32, bool, String) {
    let mut child = Command::new("openssl")
        .current_dir(dir)
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-servername", servername])
        .args(["-verify_return_error", "-verify_hostname", "localhost", "-CAfile", "ca.pem"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl");
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let code = text
        .split("verify error:num=")
        .nth(1)
        .or_else(|| text.split("Verify return code: ").nth(1))
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(-1);
    (code, out.status.success(), text)
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn openssl_s_client_gets_the_manifests_verify_code() {
    let s = Served::start(&["--quiet"]);
    let mut differ = Vec::new();
    for sc in scenarios(&s.dir) {
        let name = sc["name"].as_str().expect("name");
        // s_client reads one CRL from -CRL: the leaf's issuer's, checked for the leaf (-crl_check).
        let crl: Vec<&str> = match sc["files"]["crl"].as_str() {
            Some(f) => vec!["-CRL", f, "-crl_check"],
            None => vec![],
        };
        let mut extra = crl;
        // The scenario's own root, where it has one, in place of ca.pem (the last -CAfile wins).
        if let Some(anchor) = sc["files"]["anchor"].as_str() {
            extra.extend(["-CAfile", anchor]);
        }
        let (code, ok, text) = s_client(&s.dir, s.port(name), "localhost", &extra);
        let want = sc["expect"]["openssl-verify"].as_i64().expect("code") as i32;
        if code != want {
            differ.push(format!("{name}: claimed {want}, s_client said {code}: {}", text.lines().last().unwrap_or("")));
        }
        // s_client fails the handshake exactly when the chain fails, or the server's signature does.
        let rule = sc["rule"].as_str().unwrap_or("");
        if !rule.starts_with("client.") && ok != (want == 0 && rule != "handshake.key-mismatch") {
            differ.push(format!("{name}: s_client exit success={ok}"));
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
}

#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn the_sni_port_routes_by_scenario_name() {
    let s = Served::start(&["--quiet"]);
    let sni = s.ports["sni"].as_u64().expect("sni port") as u16;
    for (name, want) in [("valid", 0), ("expired", 10), ("wrong-host", 62), ("self-signed", 18)] {
        let (code, _, text) = s_client(&s.dir, sni, &format!("{name}.localhost"), &[]);
        assert_eq!(code, want, "{name} through SNI: {text}");
    }
    let curl = |host: &str| {
        Command::new("curl")
            .current_dir(&s.dir)
            .args(["-s", "-o", "/dev/null", "--cacert", "ca.pem", "--resolve", &format!("{host}:{sni}:127.0.0.1")])
            .arg(format!("https://{host}:{sni}/"))
            .status()
            .expect("curl")
            .code()
    };
    assert_eq!(curl("valid.localhost"), Some(0));
    assert_eq!(curl("expired.localhost"), Some(60));
}

#[test]
fn listeners_survive_idle_garbage_and_abrupt_connections() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let s = Served::start(&["--quiet", "valid", "expired"]);
    let port = s.port("valid");
    // 1,000 connections that never send a ClientHello.
    let idle: Vec<TcpStream> = (0..1000).map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect")).collect();
    assert_eq!(s.run(&["probe", "valid", "--expect", "pass"]).status.code(), Some(0), "serves while 1,000 sit idle");
    drop(idle);
    // Garbage instead of a ClientHello, and connections closed half-way through a handshake.
    for _ in 0..50 {
        let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let _ = c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff garbage");
        let mut c2 = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let _ = c2.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]); // a ClientHello cut short
    }
    // Failed handshakes (the client refuses the certificate) do not take the listener down.
    for _ in 0..20 {
        let _ = s.run(&["probe", "expired"]);
    }
    assert_eq!(s.run(&["probe", "valid", "--expect", "pass"]).status.code(), Some(0));
    assert_eq!(s.run(&["probe", "expired", "--expect", "validity.expired"]).status.code(), Some(0));
}

#[test]
fn a_connection_that_never_finishes_its_handshake_is_closed_after_the_timeout() {
    let s = Served::start(&["--quiet", "--handshake-timeout", "1", "valid"]);
    let mut c = TcpStream::connect(("127.0.0.1", s.port("valid"))).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut buf = [0u8; 16];
    // The server closes the connection (read returns 0) instead of waiting forever.
    assert_eq!(c.read(&mut buf).expect("closed, not timed out"), 0);
}

#[test]
fn a_port_in_use_is_a_clear_error_naming_the_port_and_the_scenario() {
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = blocker.local_addr().expect("addr").port();
    let (_tmp, dir) = new_lab(&[]);
    // The SNI router listens on the base port itself.
    let o = run(&dir, &["serve", "--port-base", &port.to_string(), "valid"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!("127.0.0.1:{port} for the SNI router")), "{}", stderr(&o));
    // Scenario i listens on base + 1 + i (catalogue order): make `valid`'s port the taken one.
    let index = scenarios(&dir).iter().position(|s| s["name"] == "valid").expect("valid") as u16;
    let o = run(&dir, &["serve", "--port-base", &(port - 1 - index).to_string(), "valid"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&format!("127.0.0.1:{port} for scenario valid")) && err.contains("--port-base"), "{err}");
}

#[test]
fn sigterm_stops_the_servers_cleanly_and_removes_the_ports_file() {
    let mut s = Served::start(&["valid"]);
    assert!(s.dir.join("serve.json").is_file());
    let status = s.stop();
    assert!(status.success(), "exit status {status:?}: {}", s.log());
    assert!(!s.dir.join("serve.json").exists());
    assert!(s.log().contains("stopped"));
}

#[test]
fn each_handshake_is_logged_with_its_parameters_and_outcome() {
    let mut s = Served::start(&["valid", "expired"]);
    let _ = s.run(&["probe", "valid", "expired"]);
    s.stop();
    let log = s.log();
    assert!(log.contains("scenario=valid") && log.contains("version=TLSv1_3") && log.contains("outcome=ok"), "{log}");
    // The probe's observing connection completes; its strict one is refused by the client.
    let expired = log
        .lines()
        .find(|l| l.contains("scenario=expired") && l.contains("outcome=failed"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(expired.contains("sni=localhost"), "{expired}");
    assert!(expired.contains("error=AlertReceived(CertificateExpired) alert-received=CertificateExpired"), "{expired}");
}

#[test]
fn a_ports_file_left_by_a_killed_server_is_reported_as_stale() {
    let mut s = Served::start(&["--quiet", "valid"]);
    assert_eq!(s.run(&["probe", "valid", "--expect", "pass"]).status.code(), Some(0));
    s.daemon.kill(); // SIGKILL: no chance to remove serve.json
    assert!(s.dir.join("serve.json").is_file());
    let o = s.run(&["probe", "valid"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("which is no longer running"), "{}", stderr(&o));
}

/// `probe 127.0.0.1:PORT` from a fresh lab (which it trusts), with `extra` flags.
fn probe_port(dir: &Path, port: u16, extra: &[&str]) -> std::process::Output {
    let target = format!("127.0.0.1:{port}");
    let mut args = vec!["probe", target.as_str()];
    args.extend_from_slice(extra);
    run(dir, &args)
}

/// The JSON report of a probe that saw no handshake: exit 3, outcome incomplete at `step`.
fn assert_incomplete(o: &std::process::Output, step: &str, reason: &str) {
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(o), stderr(o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(r["outcome"], "incomplete", "{r:#}");
    assert_eq!(r["incomplete"], serde_json::json!({"step": step, "reason": reason}), "{r:#}");
    assert_eq!(r["verdict"]["failed"], serde_json::json!([]));
}

#[test]
fn a_closed_port_is_no_verdict_not_a_pass() {
    let (_tmp, dir) = new_lab(&[]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let reason = format!("cannot connect to 127.0.0.1:{port}: Connection refused (os error 111)");
    assert_incomplete(&probe_port(&dir, port, &["--json"]), "hello", &reason);
    // Nothing was observed, so no expectation holds: `pass` least of all.
    assert_incomplete(&probe_port(&dir, port, &["--json", "--expect", "pass"]), "hello", &reason);
    assert_incomplete(&probe_port(&dir, port, &["--json", "--expect", "validity.expired"]), "hello", &reason);

    let o = probe_port(&dir, port, &["--expect", "pass"]);
    assert_eq!(o.status.code(), Some(3));
    let text = stdout(&o);
    assert!(text.contains(&format!("verdict          INCOMPLETE at hello: {reason}")), "{text}");
    assert!(!text.contains("PASS"), "{text}");
    for step in ["2 certificate", "3 verification", "4 key exchange", "5 secure comm."] {
        let line = text.lines().find(|l| l.starts_with(step)).unwrap_or_else(|| panic!("{step}: {text}"));
        assert!(line.contains("did not happen"), "{line}");
    }
}

#[test]
fn a_plain_http_server_is_no_verdict_because_it_does_not_speak_tls() {
    let (_tmp, dir) = new_lab(&[]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut c in listener.incoming().flatten() {
            let _ = c.read(&mut [0u8; 1024]);
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    let o = probe_port(&dir, port, &["--json", "--expect", "pass"]);
    assert_incomplete(&o, "hello", "the server did not speak TLS (InvalidMessage)");
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(r["verdict"]["rustls"], "InvalidMessage");
}

#[test]
fn a_silent_listener_is_no_verdict_after_the_timeout() {
    let (_tmp, dir) = new_lab(&[]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Accepts, keeps every connection open, never writes.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c);
        }
    });
    let o = probe_port(&dir, port, &["--json", "--timeout", "0.5"]);
    assert_incomplete(&o, "hello", "timed out: no handshake within 500ms");
    let o = probe_port(&dir, port, &["--timeout", "0.5", "--expect", "pass"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("INCOMPLETE at hello: timed out"), "{}", stdout(&o));
}

#[test]
fn a_completed_handshake_with_no_failed_rule_is_a_pass() {
    let s = Served::start(&["--quiet", "valid"]);
    let o = s.run(&["probe", "valid", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(r["outcome"], "pass");
    assert_eq!(r["incomplete"], serde_json::Value::Null, "no incomplete key: {r:#}");
    let o = s.run(&["probe", "valid", "--expect", "pass"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("verdict          PASS (rustls: ok)"), "{}", stdout(&o));

    // Beside targets with a verdict, one without shows as such, and sets the exit code unless
    // another target differs (a definite answer wins).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let target = format!("127.0.0.1:{closed}");
    let o = s.run(&["probe", "valid", &target]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let row = stdout(&o).lines().find(|l| l.starts_with(&target)).map(str::to_string).expect("a row");
    let want = format!("INCOMPLETE at hello: cannot connect to {target}: Connection refused (os error 111)");
    assert!(row.contains(&want) && row.ends_with("NO VERDICT"), "{row}");
    assert_eq!(s.run(&["probe", "valid", &target, "--expect", "pass"]).status.code(), Some(3));
    assert_eq!(s.run(&["probe", "valid", &target, "--expect", "validity.expired"]).status.code(), Some(1));
}

#[test]
fn hostile_requests_get_their_exact_status_and_the_server_keeps_serving() {
    let mut s = Served::start(&["valid"]);
    let port = s.port("valid");
    for (what, request, want) in hostile_requests() {
        let text = send_raw(&s.dir, port, &request);
        assert_eq!(statuses(&text), vec![want], "{what}: exactly one answer, {want}, then close: {text}");
        assert!(text.contains("\r\nConnection: close\r\n"), "{what}: {text}");
        assert_eq!(s.daemon.child.try_wait().expect("try_wait"), None, "{what}: serve died: {}", s.log());
        let control = send_raw(&s.dir, port, CONTROL);
        assert_eq!(statuses(&control), vec![200], "{what}: the next connection is served: {control}");
    }
    let log = s.log();
    assert!(log.contains("refused status=413 (body larger than 1048576 bytes)"), "{log}");
    assert!(log.contains("refused status=400 (more than one Content-Length)"), "{log}");
    assert!(log.contains("refused status=431 (message head larger than 16384 bytes)"), "{log}");
}

#[test]
fn a_request_that_stops_short_gets_408_after_the_idle_timeout() {
    let s = Served::start(&["valid", "--idle-timeout", "1"]);
    let port = s.port("valid");
    let body_short = b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nab".as_slice();
    let head_short = b"GET / HTTP/1.1\r\nHost: localhost\r\n".as_slice();
    for (what, request) in [("body", body_short), ("head", head_short)] {
        let mut c = tls_client(&s.dir, port);
        c.write_all(request).and_then(|()| c.flush()).expect("write");
        let t0 = std::time::Instant::now();
        let text = read_until_closed(&mut c);
        let waited = t0.elapsed();
        assert_eq!(statuses(&text), vec![408], "{what}: {text}");
        assert!(text.ends_with("request incomplete after 1s\n"), "{what}: {text}");
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
            "{what}: closed after {waited:?}, want about 1 s"
        );
        assert_eq!(statuses(&send_raw(&s.dir, port, CONTROL)), vec![200], "{what}: served afterwards");
    }
    assert!(s.log().contains("request incomplete after 1s"), "{}", s.log());
}

#[test]
fn a_client_that_never_reads_is_disconnected_after_the_idle_timeout() {
    let s = Served::start(&["valid", "--idle-timeout", "1"]);
    let port = s.port("valid");
    let mut c = tls_client(&s.dir, port);
    let batch = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(100);
    let t0 = std::time::Instant::now();
    // The answers pile up unread until the server's writes block; a second later it closes, and
    // the next write here fails (reset or broken pipe).
    let err = loop {
        if let Err(e) = c.write_all(&batch).and_then(|()| c.flush()) {
            break e;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "still accepting requests after 30 s");
    };
    assert!(
        matches!(err.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe),
        "{err:?} after {:?}",
        t0.elapsed()
    );
    assert!(t0.elapsed() < Duration::from_secs(15), "closed only after {:?}", t0.elapsed());
    assert!(s.log().contains("closed: the client read nothing for 1s"), "{}", s.log());
    assert_eq!(statuses(&send_raw(&s.dir, port, CONTROL)), vec![200], "served afterwards");
}
