//! Keep-alive, session resumption and the gateway: where session state lives decides whether a
//! returning client resumes, and the probe shows it.

use std::path::Path;

use crate::common::*;

/// Runs a probe and returns its JSON report.
fn probe(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["probe", "--json"];
    all.extend_from_slice(args);
    let o = run(dir, &all);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("probe json ({e}): {}", stderr(&o)))
}

/// The handshake kind of every connection.
fn kinds(r: &serde_json::Value) -> Vec<String> {
    r["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| c["handshake"].as_str().unwrap_or("failed").to_string())
        .collect()
}

/// The server that answered the first request of every connection.
fn servers(r: &serde_json::Value) -> Vec<String> {
    r["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| c["servers"][0].as_str().unwrap_or("-").to_string())
        .collect()
}

fn resumed(r: &serde_json::Value) -> usize {
    kinds(r).iter().filter(|k| *k == "resumed").count()
}

fn gateway_port(d: &Daemon) -> String {
    d.ports["gateway"].as_str().expect("gateway addr").rsplit(':').next().expect("port").to_string()
}

fn serve_port(d: &Daemon, scenario: &str) -> String {
    d.ports["scenarios"][scenario].as_u64().expect("port").to_string()
}

#[test]
fn keep_alive_is_one_handshake_for_many_requests_and_close_is_one_each() {
    let (_t, dir) = new_lab(&[]);
    let s = Daemon::spawn(&dir, &["serve", "valid", "--port-base", "0", "--quiet"]);
    let target = format!("localhost:{}", serve_port(&s, "valid"));
    let r = probe(&dir, &[&target, "--requests", "3"]);
    assert_eq!(kinds(&r), ["full"]);
    assert_eq!(r["connections"][0]["responses"], 3);
    let counts: Vec<u64> = r["secure_communication"]["responses"]
        .as_array()
        .expect("r")
        .iter()
        .filter_map(|x| x["request_on_connection"].as_u64())
        .collect();
    assert_eq!(counts, [1, 2, 3]);

    let r = probe(&dir, &[&target, "--requests", "3", "--close"]);
    assert_eq!(kinds(&r), ["full", "full", "full"], "Connection: close costs a handshake per request");
    assert!(r["connections"].as_array().expect("c").iter().all(|c| c["responses"] == 1));
}

#[test]
fn one_server_resumes_from_its_memory_cache_or_its_tickets_and_not_without_either() {
    let (_t, dir) = new_lab(&[]);
    let mem = Daemon::spawn(&dir, &["serve", "valid", "--port-base", "0", "--quiet"]);
    let tickets =
        Daemon::spawn(&dir, &["serve", "valid", "--port-base", "0", "--quiet", "--session-store", "none", "--tickets"]);
    let none = Daemon::spawn(&dir, &["serve", "valid", "--port-base", "0", "--quiet", "--session-store", "none"]);
    for (d, want) in [
        (&mem, ["full", "resumed", "resumed"]),
        (&tickets, ["full", "resumed", "resumed"]),
        (&none, ["full", "full", "full"]),
    ] {
        let r = probe(&dir, &[&format!("localhost:{}", serve_port(d, "valid")), "--resume", "--connections", "3"]);
        assert_eq!(kinds(&r), want);
    }
    // Without --resume the probe keeps no session: every handshake is full (and verified).
    let r = probe(&dir, &[&format!("localhost:{}", serve_port(&mem, "valid")), "--connections", "3"]);
    assert_eq!(kinds(&r), ["full", "full", "full"]);
}

#[test]
fn round_robin_with_per_backend_caches_never_resumes_and_names_each_backend() {
    let (_t, dir) = new_lab(&[]);
    for session in [&["--session-store", "memory"][..], &["--session-store", "none", "--tickets"][..]] {
        let mut args = vec!["gateway", "--mode", "passthrough-rr", "--backends", "3", "--port", "0"];
        args.extend_from_slice(session);
        let g = Daemon::spawn(&dir, &args);
        let r = probe(&dir, &[&format!("localhost:{}", gateway_port(&g)), "--resume", "--connections", "6"]);
        assert_eq!(resumed(&r), 0, "{session:?}: {:?}", kinds(&r));
        assert_eq!(servers(&r), ["backend-1", "backend-2", "backend-3", "backend-1", "backend-2", "backend-3"]);
    }
}

#[test]
fn shared_ticket_keys_let_any_backend_resume() {
    let (t, dir) = new_lab(&[]);
    let key = t.path().join("ticket.key");
    let g = Daemon::spawn(
        &dir,
        &[
            "gateway",
            "--mode",
            "passthrough-rr",
            "--backends",
            "3",
            "--port",
            "0",
            "--session-store",
            "none",
            "--ticket-key",
            key.to_str().expect("utf-8"),
        ],
    );
    let r = probe(&dir, &[&format!("localhost:{}", gateway_port(&g)), "--resume", "--connections", "6"]);
    assert_eq!(kinds(&r), ["full", "resumed", "resumed", "resumed", "resumed", "resumed"]);
    assert_eq!(servers(&r), ["backend-1", "backend-2", "backend-3", "backend-1", "backend-2", "backend-3"]);
}

#[test]
fn sticky_hashing_keeps_a_client_on_one_backend_so_it_resumes() {
    let (_t, dir) = new_lab(&[]);
    let g = Daemon::spawn(&dir, &["gateway", "--mode", "passthrough-hash", "--backends", "3", "--port", "0"]);
    let target = format!("localhost:{}", gateway_port(&g));
    let r = probe(&dir, &[&target, "--resume", "--connections", "6"]);
    assert_eq!(resumed(&r), 5, "{:?}", kinds(&r));
    let s = servers(&r);
    assert!(s.iter().all(|b| *b == s[0]), "one backend for one client: {s:?}");
    // Other client addresses spread over the backends, each one stable.
    let mut seen = std::collections::BTreeSet::new();
    for i in 2..=12 {
        let ip = format!("127.0.0.{i}");
        let a = servers(&probe(&dir, &[&target, "--source", &ip, "--connections", "2"]));
        assert_eq!(a[0], a[1], "{ip} stays on one backend");
        seen.insert(a[0].clone());
    }
    assert!(seen.len() >= 2, "clients are spread: {seen:?}");
}

#[test]
fn behind_a_terminating_gateway_the_session_is_with_the_gateway() {
    let (_t, dir) = new_lab(&[]);
    // Backends without any session store or tickets: only the gateway can resume.
    let g = Daemon::spawn(
        &dir,
        &["gateway", "--mode", "terminate-sticky", "--backends", "3", "--port", "0", "--session-store", "none"],
    );
    let r = probe(&dir, &[&format!("localhost:{}", gateway_port(&g)), "--resume", "--connections", "4"]);
    assert_eq!(kinds(&r), ["full", "resumed", "resumed", "resumed"]);
    let s = servers(&r);
    assert!(s.iter().all(|b| *b == s[0]), "the sticky cookie keeps one backend: {s:?}");
    let log = g.log();
    assert!(log.contains("(cookie, client session resumed)"), "{log}");
}

#[test]
#[cfg_attr(missing_redis_server, ignore = "needs redis-server (Debian: redis-server); .ci/run installs it")]
fn a_shared_redis_cache_lets_two_server_processes_resume_each_others_sessions() {
    let server = Redis::start();
    let redis = server.url.clone();
    let (_t, dir) = new_lab(&[]);
    let a = Daemon::spawn(
        &dir,
        &["serve", "valid", "--port-base", "0", "--quiet", "--session-store", &redis, "--server-id", "server-a"],
    );
    let b = Daemon::spawn(
        &dir,
        &["serve", "valid", "--port-base", "0", "--quiet", "--session-store", &redis, "--server-id", "server-b"],
    );
    let backends = [
        format!("server-a=127.0.0.1:{}", serve_port(&a, "valid")),
        format!("server-b=127.0.0.1:{}", serve_port(&b, "valid")),
    ];
    let g = Daemon::spawn(
        &dir,
        &["gateway", "--mode", "passthrough-rr", "--port", "0", "--backend", &backends[0], "--backend", &backends[1]],
    );
    let r = probe(&dir, &[&format!("localhost:{}", gateway_port(&g)), "--resume", "--connections", "6"]);
    assert_eq!(servers(&r), ["server-a", "server-b", "server-a", "server-b", "server-a", "server-b"]);
    assert_eq!(kinds(&r), ["full", "resumed", "resumed", "resumed", "resumed", "resumed"]);

    // Control: the same two servers with their own memory caches do not resume across each other.
    let c = Daemon::spawn(&dir, &["serve", "valid", "--port-base", "0", "--quiet", "--server-id", "server-c"]);
    let d = Daemon::spawn(&dir, &["serve", "valid", "--port-base", "0", "--quiet", "--server-id", "server-d"]);
    let backends = [
        format!("server-c=127.0.0.1:{}", serve_port(&c, "valid")),
        format!("server-d=127.0.0.1:{}", serve_port(&d, "valid")),
    ];
    let g2 = Daemon::spawn(
        &dir,
        &["gateway", "--mode", "passthrough-rr", "--port", "0", "--backend", &backends[0], "--backend", &backends[1]],
    );
    let r = probe(&dir, &[&format!("localhost:{}", gateway_port(&g2)), "--resume", "--connections", "4"]);
    assert_eq!(resumed(&r), 0, "{:?}", kinds(&r));
}

#[test]
fn a_backend_killed_mid_run_is_reported_and_routed_around() {
    let (_t, dir) = new_lab(&[]);
    let mut servers_up: Vec<Daemon> = ["b1", "b2", "b3"]
        .iter()
        .map(|id| Daemon::spawn(&dir, &["serve", "valid", "--port-base", "0", "--quiet", "--server-id", id]))
        .collect();
    let specs: Vec<String> = servers_up
        .iter()
        .zip(["b1", "b2", "b3"])
        .map(|(d, id)| format!("{id}=127.0.0.1:{}", serve_port(d, "valid")))
        .collect();
    let mut args = vec!["gateway", "--mode", "passthrough-rr", "--port", "0", "--health-interval", "0.2"];
    for s in &specs {
        args.extend(["--backend", s.as_str()]);
    }
    let g = Daemon::spawn(&dir, &args);
    let target = format!("localhost:{}", gateway_port(&g));
    assert_eq!(servers(&probe(&dir, &[&target, "--connections", "3"])), ["b1", "b2", "b3"]);

    servers_up[1].kill();
    let r = probe(&dir, &[&target, "--connections", "6"]);
    let s = servers(&r);
    assert_eq!(s.len(), 6);
    assert!(s.iter().all(|b| b == "b1" || b == "b3"), "b2 is routed around: {s:?}");
    assert!(r["connections"].as_array().expect("c").iter().all(|c| c["error"].is_null()), "no connection failed");
    let log = g.log();
    assert!(log.contains("backend b2 (") && log.contains(") DOWN"), "{log}");
}

#[test]
fn keylog_writes_the_secrets_wireshark_needs() {
    let (t, dir) = new_lab(&[]);
    let s = Daemon::spawn(&dir, &["serve", "valid", "--port-base", "0", "--quiet"]);
    let keylog = t.path().join("keys.log");
    let r =
        probe(&dir, &[&format!("localhost:{}", serve_port(&s, "valid")), "--keylog", keylog.to_str().expect("utf-8")]);
    assert_eq!(r["hello"]["version"], "TLSv1_3");
    let text = std::fs::read_to_string(&keylog).expect("key log written");
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ] {
        assert!(text.lines().any(|l| l.starts_with(label) && l.split(' ').count() == 3), "{label} in {text}");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&keylog).expect("meta").permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_terminating_gateway_refuses_hostile_requests_and_keeps_serving() {
    let (_t, dir) = new_lab(&[]);
    let mut g = Daemon::spawn(&dir, &["gateway", "--mode", "terminate-sticky", "--backends", "1", "--port", "0"]);
    let port: u16 = gateway_port(&g).parse().expect("port");
    for (what, request, want) in hostile_requests() {
        let text = send_raw(&dir, port, &request);
        assert_eq!(statuses(&text), vec![want], "{what}: exactly one answer, {want}, then close: {text}");
        assert_eq!(g.child.try_wait().expect("try_wait"), None, "{what}: the gateway died: {}", g.log());
        let control = send_raw(&dir, port, CONTROL);
        assert_eq!(statuses(&control), vec![200], "{what}: the next connection is served: {control}");
        assert!(control.contains("\r\nx-pki-lab-backend: backend-1\r\n"), "{what}: {control}");
    }
    let log = g.log();
    assert!(log.contains("refused status=413 (body larger than 1048576 bytes)"), "{log}");
    assert!(log.contains("refused status=400 (more than one Content-Length)"), "{log}");
}

#[test]
fn a_passthrough_tunnel_without_traffic_is_closed_after_the_idle_timeout() {
    let (_t, dir) = new_lab(&[]);
    let g = Daemon::spawn(
        &dir,
        &["gateway", "--mode", "passthrough-rr", "--backends", "1", "--port", "0", "--idle-timeout", "1"],
    );
    let port: u16 = gateway_port(&g).parse().expect("port");
    // A finished handshake through the tunnel, then silence: the backend would wait 30 s for a
    // request, the tunnel gives up after 1 s.
    let mut c = tls_client(&dir, port);
    while c.conn.is_handshaking() {
        c.conn.complete_io(&mut c.sock).expect("handshake through the tunnel");
    }
    let t0 = std::time::Instant::now();
    let text = read_until_closed(&mut c);
    let waited = t0.elapsed();
    assert_eq!(text, "", "nothing was asked, nothing answered");
    assert!(
        waited >= std::time::Duration::from_millis(900) && waited < std::time::Duration::from_secs(5),
        "closed after {waited:?}, want about 1 s"
    );
    assert!(g.log().contains("tunnel closed after 1s without traffic"), "{}", g.log());
    // The gateway still tunnels the next client.
    assert_eq!(statuses(&send_raw(&dir, port, CONTROL)), vec![200]);
}
