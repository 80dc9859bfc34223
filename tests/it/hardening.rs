//! Hostile input, faults and a newcomer's first hour (issue 12): one reproducer per finding,
//! each paired with a control that shows the same path working.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;

/// Runs a probe and returns its JSON report.
fn probe(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["probe", "--json"];
    all.extend_from_slice(args);
    let o = run(dir, &all);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("probe json ({e}): {}", stderr(&o)))
}

/// The handshake kind of every connection (`full`, `resumed`, or `failed`).
fn kinds(r: &serde_json::Value) -> Vec<String> {
    r["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| c["handshake"].as_str().unwrap_or("failed").to_string())
        .collect()
}

fn port_of(d: &Daemon, scenario: &str) -> String {
    d.ports["scenarios"][scenario].as_u64().expect("port").to_string()
}

// ---------------------------------------------------------------------------------------------
// A frozen Redis must not freeze serve.

/// A stand-in for a Redis stopped by SIGSTOP: it speaks just enough RESP for serve's start-up
/// (`PING` is `+PONG`, a read is nil, anything else `+OK`) until frozen; then it keeps every
/// connection open and accepts new ones but never answers again.
struct FreezingRedis {
    url: String,
    frozen: Arc<AtomicBool>,
}

impl FreezingRedis {
    fn start() -> FreezingRedis {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("redis://{}", listener.local_addr().expect("addr"));
        let frozen = Arc::new(AtomicBool::new(false));
        let f = frozen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let f = f.clone();
                std::thread::spawn(move || answer_until_frozen(conn, &f));
            }
        });
        FreezingRedis { url, frozen }
    }

    fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }
}

fn answer_until_frozen(conn: TcpStream, frozen: &AtomicBool) {
    let mut w = conn.try_clone().expect("clone");
    let mut r = BufReader::new(conn);
    loop {
        if frozen.load(Ordering::SeqCst) {
            // Hold the connection, read nothing, answer nothing.
            std::thread::sleep(Duration::from_secs(3600));
        }
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let Some(n) = line.trim().strip_prefix('*').and_then(|n| n.parse::<usize>().ok()) else { return };
        let mut args = Vec::new();
        for _ in 0..n {
            let mut len = String::new();
            r.read_line(&mut len).expect("bulk length");
            let len: usize = len.trim().trim_start_matches('$').parse().expect("length");
            let mut arg = vec![0; len + 2];
            r.read_exact(&mut arg).expect("bulk");
            args.push(String::from_utf8_lossy(&arg[..len]).to_uppercase());
        }
        if frozen.load(Ordering::SeqCst) {
            continue;
        }
        let reply: &[u8] = match args.first().map(String::as_str) {
            Some("PING") => b"+PONG\r\n",
            Some("GET" | "GETDEL") => b"$-1\r\n",
            _ => b"+OK\r\n",
        };
        if w.write_all(reply).is_err() {
            return;
        }
    }
}

/// The lines of a serve log that report a failing session store.
fn store_failures(log: &str) -> usize {
    log.lines().filter(|l| l.starts_with("session store ") && l.contains(" failed (")).count()
}

#[test]
fn a_frozen_session_store_costs_bounded_time_and_every_listener_keeps_answering() {
    let redis = FreezingRedis::start();
    let (_t, dir) = new_lab(&[]);
    let s = Daemon::spawn(&dir, &["serve", "--port-base", "0", "--quiet", "--session-store", &redis.url]);
    let valid = format!("localhost:{}", port_of(&s, "valid"));
    // Control: while the store answers, handshakes complete and nothing is logged.
    let r = probe(&dir, &[&valid, "--resume", "--connections", "2"]);
    assert_eq!(kinds(&r), ["full", "full"], "the stand-in has no sessions to resume");
    assert_eq!(store_failures(&s.log()), 0, "{}", s.log());

    redis.freeze();
    let t0 = Instant::now();
    // Several listeners at once, the SNI router among them, while every store call goes
    // unanswered: each completes its handshakes as full ones.
    let sni = s.ports["sni"].as_u64().expect("sni port");
    let targets = [valid.clone(), format!("localhost:{}", port_of(&s, "expired")), format!("127.0.0.1:{sni}")];
    let runs: Vec<_> = targets
        .iter()
        .map(|t| {
            let (dir, t) = (dir.clone(), t.clone());
            std::thread::spawn(move || {
                let host = if t.starts_with("127.") { vec!["--host", "valid.localhost"] } else { vec![] };
                let mut args = vec![t.as_str(), "--resume", "--connections", "3"];
                args.extend(host);
                probe(&dir, &args)
            })
        })
        .collect();
    for (t, h) in targets.iter().zip(runs) {
        let r = h.join().expect("probe thread");
        assert_eq!(kinds(&r), ["full", "full", "full"], "{t}: {r}");
    }
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(8), "nine handshakes took {took:?} with the store frozen");
    let log = s.log();
    assert!(
        log.contains(&format!(
            "session store {}: SET failed (no answer within 300 ms); handshakes go on as full ones; next try in 0.5 s",
            redis.url
        )),
        "{log}"
    );
    // One line per failed try, not one per handshake or per scenario: tries back off.
    let n = store_failures(&log);
    assert!((1..=4).contains(&n), "{n} failure lines:\n{log}");
}

#[test]
fn a_session_store_that_never_answers_fails_serve_at_start_up_with_a_clear_message() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("redis://{}", listener.local_addr().expect("addr"));
    let (_t, dir) = new_lab(&[]);
    let t0 = Instant::now();
    let o = run(&dir, &["serve", "valid", "--port-base", "0", "--session-store", &url]);
    assert!(t0.elapsed() < Duration::from_secs(10), "gave up after {:?}", t0.elapsed());
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains(&format!("session store {url}: no answer within 300 ms")), "{e}");
    drop(listener);
}

/// A `redis-server` of this test's own on `port`, so it can be stopped and restarted.
fn redis_server(port: u16) -> std::process::Child {
    let child = tool("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(10), "redis-server did not start on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn signal(child: &std::process::Child, sig: &str) {
    let ok = std::process::Command::new("kill").args([sig, &child.id().to_string()]).status().expect("kill");
    assert!(ok.success());
}

#[test]
#[cfg_attr(missing_redis_server, ignore = "needs redis-server (Debian: redis-server); .ci/run installs it")]
fn serve_survives_a_stopped_redis_and_shares_sessions_again_after_a_restart() {
    let port = TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let mut redis = redis_server(port);
    let url = format!("redis://127.0.0.1:{port}");
    let (_t, dir) = new_lab(&[]);
    let s = Daemon::spawn(&dir, &["serve", "valid", "--port-base", "0", "--quiet", "--session-store", &url]);
    let target = format!("localhost:{}", port_of(&s, "valid"));
    assert_eq!(kinds(&probe(&dir, &[&target, "--resume", "--connections", "3"])), ["full", "resumed", "resumed"]);

    // SIGSTOP: the real reproducer. Handshakes go on as full ones, in bounded time.
    signal(&redis, "-STOP");
    let t0 = Instant::now();
    assert_eq!(kinds(&probe(&dir, &[&target, "--resume", "--connections", "3"])), ["full", "full", "full"]);
    assert!(t0.elapsed() < Duration::from_secs(6), "took {:?}", t0.elapsed());
    assert!(store_failures(&s.log()) >= 1, "{}", s.log());

    // Redis restarts (an empty one on the same port): the store reconnects by itself.
    signal(&redis, "-CONT");
    let _ = redis.kill();
    let _ = redis.wait();
    let mut redis = redis_server(port);
    let t0 = Instant::now();
    loop {
        let k = kinds(&probe(&dir, &[&target, "--resume", "--connections", "2"]));
        if k == ["full", "resumed"] {
            break;
        }
        assert_eq!(k[0], "full");
        assert!(t0.elapsed() < Duration::from_secs(20), "never resumed again after the restart: {k:?}\n{}", s.log());
        std::thread::sleep(Duration::from_millis(300));
    }
    let log = s.log();
    assert!(log.contains(&format!("session store {url}: answering again; sessions are shared again")), "{log}");
    let _ = redis.kill();
    let _ = redis.wait();
}
