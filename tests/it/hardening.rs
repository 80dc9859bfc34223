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

// ---------------------------------------------------------------------------------------------
// Data safety: `issue` is all or nothing; symlinks, `.` and mount points as `--dir`.

/// The files in `dir` (names only), sorted; hidden staging leftovers included.
fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => vec![],
    };
    v.sort();
    v
}

/// `pki-lab --dir DIR ARGS…` with files limited to `max` bytes: a write past it fails with
/// EFBIG, as a full disk fails with ENOSPC, at the same point of the same write.
fn run_with_file_limit(dir: &Path, max: u64, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new("bash");
    // SIGXFSZ would kill the process; ignored, the write returns an error instead.
    c.arg("-c").arg(format!("trap '' XFSZ; exec prlimit --fsize={max} \"$@\"")).arg("bash");
    c.arg(env!("CARGO_BIN_EXE_pki-lab")).arg("--dir").arg(dir).args(args);
    c.env_remove("PKI_LAB_HOME").env_remove("PKI_LAB_NOW").env("NO_COLOR", "1");
    c.output().expect("run pki-lab under prlimit")
}

#[test]
fn issue_on_a_full_disk_writes_no_file_and_a_rerun_works() {
    let (_t, dir) = new_lab(&[]);
    let out = dir.join("issued").join("app.localhost");
    // key.pem and cert.pem fit under 1000 bytes, the chains do not.
    let o = run_with_file_limit(&dir, 1000, &["issue", "app.localhost"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains(&format!("error: writing {}: File too large", out.join("chain.pem").display())), "{e}");
    assert!(!out.exists(), "left behind: {:?}", names_in(&out));
    // The control, and the rerun after the failure: all four files.
    let o = run(&dir, &["issue", "app.localhost"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names_in(&out), ["cert.pem", "chain.pem", "fullchain.pem", "key.pem"]);

    // Replacing (--force) on a full disk keeps the old set whole, byte for byte.
    let before = snapshot(&out);
    let o = run_with_file_limit(&dir, 1000, &["issue", "app.localhost", "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before);
    assert_eq!(names_in(&out), ["cert.pem", "chain.pem", "fullchain.pem", "key.pem"]);
    let o = run(&dir, &["issue", "app.localhost", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(snapshot(&out)[Path::new("key.pem")], before[Path::new("key.pem")], "a new key");
}

#[test]
fn a_symlinked_lab_stays_a_symlink_and_renew_keeps_issued_where_it_points() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let real = tmp.path().join("real").join("lab");
    let link = tmp.path().join("link");
    std::fs::create_dir_all(tmp.path().join("real")).expect("mkdir");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    // Made, issued into, renewed and replaced through the symlink.
    for args in [&["init"][..], &["issue", "app.localhost"], &["init", "--renew"], &["init", "--force"]] {
        let o = run(&link, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(std::fs::symlink_metadata(&link).expect("link").file_type().is_symlink(), "{args:?} replaced the link");
        assert!(real.join("manifest.json").is_file(), "{args:?}");
        if args[0] != "init" || args.len() > 1 {
            assert!(real.join("issued/app.localhost/cert.pem").is_file(), "{args:?} moved issued/ away");
        }
    }
    // Nothing was built or left beside the link, only beside the real directory.
    assert_eq!(names_in(tmp.path()), ["link", "real"]);
    assert_eq!(names_in(&tmp.path().join("real")), [".lab.lock", "lab"]);
}

#[test]
fn dot_and_a_full_path_are_one_lab_with_one_lock() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    std::fs::create_dir(&dir).expect("mkdir");
    // Two inits at once, one from inside as `.`, one by its full path: one makes the lab, the
    // other finds it made.
    let from_inside = pki_lab().current_dir(&dir).args(["--dir", ".", "init"]).spawn().expect("spawn");
    let by_path = pki_lab().arg("--dir").arg(format!("{}/", dir.display())).arg("init").spawn().expect("spawn");
    let codes: Vec<Option<i32>> =
        [from_inside, by_path].into_iter().map(|c| c.wait_with_output().expect("wait").status.code()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, [Some(0), Some(2)], "{codes:?}");
    assert!(dir.join("manifest.json").is_file());
    assert!(!dir.join(".lab.lock").exists(), "the lock is beside the lab, not in it");
    assert_eq!(names_in(tmp.path()), [".lab.lock", "lab"]);
    // Control: `.` works for a later command too.
    let o = pki_lab().current_dir(&dir).args(["--dir", ".", "init", "--renew"]).output().expect("renew");
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_mount_point_as_dir_is_refused_with_a_clear_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mnt)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        // Unprivileged: the unit test labdir::tests::a_mount_point_is_told_from_a_plain_directory
        // still covers the detection.
        eprintln!("skipping: cannot mount a tmpfs here (needs root)");
        return;
    }
    let o = run(&mnt, &["init"]);
    let e = stderr(&o);
    let inside = run(&mnt.join("lab"), &["init"]);
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!("error: {} is a mount point: a lab is built beside its directory", mnt.display())),
        "{e}"
    );
    assert!(e.contains(&format!("hint: use a directory inside it, e.g. --dir {}", mnt.join("lab").display())), "{e}");
    // Control: a directory inside the mount point works.
    assert!(inside.status.success(), "{}", stderr(&inside));
}

// ---------------------------------------------------------------------------------------------
// Bad input: linear validation with capped output; every input refused by name, in words.

/// Runs `lab validate FILE` and returns (exit code, stderr, seconds taken).
fn validate(file: &Path) -> (Option<i32>, String, f64) {
    let t0 = Instant::now();
    let o = pki_lab().args(["lab", "validate"]).arg(file).output().expect("run");
    (o.status.code(), stderr(&o), t0.elapsed().as_secs_f64())
}

#[test]
fn lab_validate_of_a_55_kb_file_of_mistakes_is_fast_and_shows_the_first_twenty() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // 2,200 steps on one line, each with an unknown kind and the same id: 4,399 mistakes whose
    // snippets were each the whole 59 KB line (392 MB of output, 67 s).
    let items = vec!["{id: a, kind: x, text: t}"; 2200].join(", ");
    let file = tmp.path().join("one-line.yaml");
    std::fs::write(&file, format!("id: one-line\ntitle: T\nlevel: beginner\ngoal: g\nsteps: [{items}]\n"))
        .expect("write");
    assert!(std::fs::metadata(&file).expect("meta").len() > 55_000);
    let (code, err, secs) = validate(&file);
    assert_eq!(code, Some(2), "{err}");
    // Wall time on a loaded debug build; it takes about 0.3 s of CPU.
    assert!(secs < 5.0, "took {secs:.1} s");
    assert!(err.len() < 1_000_000, "{} bytes of output", err.len());
    assert_eq!(err.matches("one-line.yaml:5:").count(), 20, "{err}");
    assert!(err.contains("\n… and 4379 more not shown\n4399 errors in "), "{err}");
    // A long line is shown as a window around the caret.
    assert!(err.lines().all(|l| l.chars().count() < 200), "{err}");

    // A 10 MB name: no letter-by-letter comparison with every scenario name.
    let big = tmp.path().join("long-name.yaml");
    let name = "x".repeat(10_000_000);
    std::fs::write(
        &big,
        format!("id: long-name\ntitle: T\nlevel: beginner\ngoal: g\nscenarios: [{name}]\nsteps:\n  - {{id: a, kind: explain, text: t}}\n"),
    )
    .expect("write");
    let (code, err, secs) = validate(&big);
    assert_eq!(code, Some(2), "{}", &err[..err.len().min(500)]);
    assert!(secs < 10.0, "took {secs:.1} s");
    assert!(err.len() < 2_000, "{} bytes of output", err.len());
    assert!(err.contains("long-name.yaml:5:13: unknown scenario `xxxx"), "{err}");

    // Control: a valid file of the same size validates.
    let ok = tmp.path().join("valid-big.yaml");
    let steps: String = (0..1600).map(|i| format!("  - {{id: s{i}, kind: explain, text: t}}\n")).collect();
    std::fs::write(&ok, format!("id: valid-big\ntitle: T\nlevel: beginner\ngoal: g\nsteps:\n{steps}")).expect("write");
    let o = pki_lab().args(["lab", "validate"]).arg(&ok).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Text that would mean a Rust value was printed for a person.
const DEBUG_TEXT: &[&str] = &[
    "Der(",
    "NomError",
    "InvalidCharacter",
    "Some(",
    "Tag(",
    "Os {",
    "Parsing Error",
    "[67, ",
    "kind:",
    "BadEncoding",
];

#[test]
fn every_verify_input_error_names_its_file_in_words() {
    let (t, dir) = new_lab(&[]);
    let good = dir.join("scenarios/valid/chain.pem");
    let bad = t.path().join("bad");
    std::fs::create_dir(&bad).expect("mkdir");
    let pem = |label: &str, body: &str| format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("text.pem", b"hello".to_vec()),
        ("random.der", (0..300u32).map(|i| (i * 7919 % 251) as u8).collect()),
        ("base64.pem", pem("CERTIFICATE", "!!!!").into_bytes()),
        ("not-der.pem", pem("CERTIFICATE", "AAAA").into_bytes()),
        ("cut.pem", b"-----BEGIN CERTIFICATE-----\nMIIB\n".to_vec()),
        ("crl.pem", pem("X509 CRL", "AAAA").into_bytes()),
        ("key.pem", pem("PRIVATE KEY", "AAAA").into_bytes()),
        ("binary.pem", vec![0xff, 0xfe, 0x00]),
        ("empty.pem", vec![]),
        ("truncated.der", std::fs::read(dir.join("scenarios/valid/cert.pem")).expect("cert")[..400].to_vec()),
    ];
    let mut seen = 0;
    for (name, bytes) in &files {
        let f = bad.join(name);
        std::fs::write(&f, bytes).expect("write");
        let fs = f.to_str().expect("utf-8");
        let g = good.to_str().expect("utf-8");
        for args in [
            vec!["verify", "--cert", fs],
            vec!["verify", "--cert", g, "--chain", fs],
            vec!["verify", "--cert", g, "--ca", fs],
            vec!["verify", "--cert", g, "--crl", fs],
        ] {
            let args: Vec<&str> = args.into_iter().chain(["--host", "localhost"]).collect();
            let o = run(&dir, &args);
            let e = stderr(&o);
            if o.status.code() == Some(0) {
                // Only a file that is what the flag asks for may pass (none of these are).
                panic!("{args:?} accepted {name}: {e}");
            }
            assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
            assert!(e.starts_with(&format!("error: {fs}: ")), "{args:?}: {e}");
            for d in DEBUG_TEXT {
                assert!(!e.contains(d), "{args:?} prints `{d}`: {e}");
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 40);
    // Control: the good file with the same flags passes.
    let g = good.to_str().expect("utf-8");
    let ca = dir.join("ca.pem");
    let crl = dir.join("intermediate.crl.pem");
    let (ca, crl) = (ca.to_str().expect("utf-8"), crl.to_str().expect("utf-8"));
    let o = run(&dir, &["verify", "--cert", g, "--chain", g, "--ca", ca, "--crl", crl, "--host", "localhost"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn devices_and_fifos_are_refused_by_name_wherever_input_is_read() {
    let (t, dir) = new_lab(&[]);
    let fifo = t.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let cert = dir.join("scenarios/valid/chain.pem");
    let c = cert.to_str().expect("utf-8");
    let f = fifo.to_str().expect("utf-8");
    for input in ["/dev/zero", f] {
        let cases: Vec<Vec<&str>> = vec![
            vec!["verify", "--cert", c, "--crl", input, "--host", "localhost"],
            vec!["verify", "--cert", c, "--ca", input, "--host", "localhost"],
            vec!["verify", "--cert", c, "--chain", input, "--host", "localhost"],
            vec!["lab", "check", "the-five-steps", "--answers", input],
            vec!["issue", "--csr", input],
            vec!["probe", "localhost:1", "--ca", input],
            vec!["inspect", input],
            vec!["lab", "validate", input],
        ];
        for args in cases {
            let o = run(&dir, &args);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
            assert!(e.contains(&format!("{input} is not a regular file")), "{args:?}: {e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The fuzz targets' stable, bounded equivalent: seeded mutations of real inputs through every
// parser (lab YAML, answers, PEM/DER of verify and inspect). fuzz/ goes further with cargo-fuzz.

/// xorshift64*: a seeded, dependency-free source of mutations, so a failure replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four edits of `seed`: flip, insert, delete, duplicate or truncate, with bytes that
/// matter to the formats (YAML indicators, PEM dashes, DER tags and lengths).
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    const INTERESTING: &[u8] = b"-:[]{}#&*!|>'\"%@`\t\n \\0\x00\x30\x80\x81\x82\xff";
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if at < v.len() => v[at] ^= 1 << rng.below(8),
            1 => v.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            2 if at < v.len() => {
                v.remove(at);
            }
            3 if at < v.len() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
            _ => v.truncate(at),
        }
    }
    v
}

#[test]
fn parsers_survive_seeded_mutations_of_real_inputs_for_a_bounded_time() {
    use pki_lab::pki::pem;
    let (_t, dir) = new_lab(&[]);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let labs = pki_lab::lab::builtin(pki_lab::cli::parse_step).expect("the built-in labs parse");
    let read_dir = |d: &Path| -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(d).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        files.into_iter().filter(|p| p.is_file()).map(|p| std::fs::read(p).expect("read")).collect()
    };
    let lab_seeds: Vec<Vec<u8>> =
        read_dir(&root.join("labs")).into_iter().filter(|b| b.starts_with(b"id:") || b.contains(&b'\n')).collect();
    let answer_seeds = read_dir(&root.join("labs/answers"));
    let mut cert_seeds = read_dir(&dir.join("scenarios/valid"));
    cert_seeds.push(std::fs::read(dir.join("intermediate.crl.pem")).expect("crl"));
    let der = pem::read_certs(&dir.join("scenarios/valid/cert.pem")).expect("cert");
    cert_seeds.push(der[0].to_vec());

    let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    let mut rng = Rng(0x5eed_0f15_u64);
    let budget = Duration::from_secs(3);
    let t0 = Instant::now();
    let mut runs = 0u64;
    while t0.elapsed() < budget {
        runs += 1;
        let lab_in = mutate(&lab_seeds[rng.below(lab_seeds.len())], &mut rng);
        if let Ok(text) = std::str::from_utf8(&lab_in)
            && let Err(e) =
                pki_lab::lab::validate::parse(text, "fuzz.yaml", &["the-five-steps"], pki_lab::cli::parse_step)
        {
            let shown = e.to_string();
            assert!(shown.len() < 21_000, "{} bytes for:\n{text}", shown.len());
        }
        let answers_in = mutate(&answer_seeds[rng.below(answer_seeds.len())], &mut rng);
        if let Ok(text) = std::str::from_utf8(&answers_in) {
            let _ = pki_lab::lab::answers::parse(text, "answers.yaml", &labs[rng.below(labs.len())]);
        }
        let cert_in = mutate(&cert_seeds[rng.below(cert_seeds.len())], &mut rng);
        for e in [pem::certs_from_bytes(&cert_in, "in.pem").err(), pem::crls_from_bytes(&cert_in, "in.pem").err()]
            .into_iter()
            .flatten()
        {
            let shown = e.to_string();
            assert!(shown.starts_with("in.pem: "), "{shown}");
            for d in DEBUG_TEXT {
                assert!(!shown.contains(d), "prints `{d}`: {shown}");
            }
        }
        let _ = pki_lab::inspect::describe(&cert_in, now);
        if let Ok(found) = pki_lab::inspect::describe_input(&cert_in, now) {
            let _ = pki_lab::inspect::render_inspected(&found);
        }
        if let Ok(text) = std::str::from_utf8(&cert_in) {
            let _ = pki_lab::inspect::describe_pem_bundle(text, now);
        }
    }
    // Enough runs to mean something even on a loaded debug build.
    assert!(runs >= 50, "only {runs} runs in {budget:?}");
    eprintln!("{runs} mutated inputs per parser in {:?}", t0.elapsed());
}

// ---------------------------------------------------------------------------------------------
// Newcomer items.

#[test]
#[cfg_attr(missing_redis_server, ignore = "needs redis-server (Debian: redis-server); .ci/run installs it")]
fn the_shared_session_cache_lab_runs_against_the_redis_pki_lab_redis_names() {
    let port = TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let mut redis = redis_server(port);
    let (_t, dir) = new_lab(&[]);
    let answers = Path::new(env!("CARGO_MANIFEST_DIR")).join("labs/answers/shared-session-cache.yaml");
    let o = pki_lab()
        .arg("--dir")
        .arg(&dir)
        .args(["lab", "check", "shared-session-cache", "--answers"])
        .arg(&answers)
        .env_remove("PKI_LAB_TEST_REDIS")
        .env("PKI_LAB_REDIS", format!("redis://127.0.0.1:{port}"))
        .output()
        .expect("lab check");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // The sessions went to this Redis, not to 6379.
    let keys = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string(), "--scan", "--pattern", "pki-lab:session:*"])
        .output()
        .expect("redis-cli");
    assert!(!stdout(&keys).trim().is_empty(), "no sessions stored in the Redis on {port}");
    let _ = redis.kill();
    let _ = redis.wait();
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn the_s_server_line_of_using_in_tests_sends_each_certificate_once() {
    let (t, dir) = new_lab(&[]);
    let certs = t.path().join("certs");
    let o = run(&dir, &["issue", "app.test", "--out", certs.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/using-in-tests.md")).expect("doc");
    let line = doc.lines().find(|l| l.starts_with("openssl s_server ")).expect("an s_server line");
    let port = TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    // The line as written, with this test's port and directories.
    let line = line.trim_end_matches('&').replace("-accept 4433", &format!("-accept 127.0.0.1:{port}"));
    let mut server = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("exec {line}"))
        .current_dir(t.path())
        .env("PKI_LAB_HOME", &dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("s_server");
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(10), "s_server did not start: {line}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = probe(&dir, &[&format!("127.0.0.1:{port}"), "--host", "app.test"]);
    let _ = server.kill();
    let _ = server.wait();
    let sent: Vec<&str> = r["certificate"]
        .as_array()
        .expect("certificates")
        .iter()
        .map(|c| c["subject"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_ne!(sent[0], sent[1], "{sent:?}");
    assert_eq!(r["verdict"]["failed"], serde_json::json!([]), "{r}");
}

#[test]
fn probe_usage_trust_dry_run_and_issue_receipt_say_what_is_true() {
    // `probe` alone shows both forms.
    let o = pki_lab().arg("probe").output().expect("probe");
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("Usage: pki-lab probe [OPTIONS] <TARGETS>...\n       pki-lab probe [OPTIONS] --all"), "{e}");

    // The issuer as `inspect` writes it.
    let (_t, dir) = new_lab(&[]);
    let o = run(&dir, &["issue", "app.localhost"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cert = dir.join("issued/app.localhost/cert.pem");
    let i = run(&dir, &["inspect", cert.to_str().expect("utf-8")]);
    let issuer =
        stdout(&i).lines().find_map(|l| l.trim().strip_prefix("issuer")).expect("issuer line").trim().to_string();
    assert!(issuer.starts_with("CN=pki-lab Intermediate CA "), "{issuer}");
    assert!(stderr(&o).contains(&format!("  signed by {issuer}\n")), "{}", stderr(&o));

    // A dry run says what is true now: not "would install … (installed)".
    let o = run(&dir, &["trust", "install", "--dry-run"]);
    let e = stderr(&o);
    let said: Vec<&str> = e.lines().filter(|l| l.starts_with("# ")).collect();
    assert!(!said.is_empty(), "{e}");
    for l in said {
        assert!(l.ends_with("(not installed yet)") || l.ends_with("; nothing to do"), "{l}");
    }
}

// ---------------------------------------------------------------------------------------------
// The README's first session, checked against a real run.

/// A line as words, each word holding a digit replaced by `#` (ports, times, byte counts,
/// fingerprints and CA ids differ from run to run; the words around them do not).
fn shape(line: &str) -> Vec<String> {
    line.split_whitespace()
        .map(|w| if w.chars().any(|c| c.is_ascii_digit()) { "#".to_string() } else { w.to_string() })
        .collect()
}

/// Whether `have` fits `want`, where a `…` word in `want` stands for any words.
fn fits(want: &[String], have: &[String]) -> bool {
    match want.split_first() {
        None => have.is_empty(),
        Some((w, rest)) if w == "…" => (0..=have.len()).any(|i| fits(rest, &have[i..])),
        Some((w, rest)) => have.first().is_some_and(|h| h == w || w == "#" && h == "#") && fits(rest, &have[1..]),
    }
}

#[test]
fn the_readme_first_session_is_what_pki_lab_prints() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let section = readme.split("## A first session").nth(1).expect("the section");
    let block = section.split("```console\n").nth(1).and_then(|b| b.split("\n```").next()).expect("console block");
    // Commands and the output the README shows for each.
    let mut session: Vec<(String, Vec<String>)> = Vec::new();
    for line in block.lines() {
        match line.strip_prefix("$ ") {
            Some(cmd) => session.push((cmd.to_string(), vec![])),
            None if !line.trim().is_empty() => session.last_mut().expect("output after a command").1.push(line.into()),
            None => {}
        }
    }
    let commands: Vec<&str> = session.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        commands,
        [
            "pki-lab init",
            "pki-lab scenarios",
            "pki-lab inspect expired",
            "pki-lab serve &",
            "pki-lab probe self-signed",
            "pki-lab probe --all"
        ]
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("pki-lab");
    let readme_home = "/root/.local/share/pki-lab";
    let cmd = || {
        let mut c = pki_lab();
        c.env("PKI_LAB_HOME", &home);
        c
    };
    let mut serve_out = tmp.path().join("serve.out");
    let mut server = None;
    let mut mismatches = Vec::new();
    for (command, want) in &session {
        let args: Vec<&str> = command.trim_end_matches(" &").split_whitespace().skip(1).collect();
        let printed = if command.ends_with('&') {
            // In the background on free ports; its table is read once it is listening.
            let ports = tmp.path().join("ports.json");
            let child = cmd()
                .args(&args)
                .args(["--port-base", "0", "--quiet", "--ports-file"])
                .arg(&ports)
                .stdout(std::fs::File::create(&serve_out).expect("out"))
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("serve");
            server = Some(child);
            let t0 = Instant::now();
            while !ports.exists() {
                assert!(t0.elapsed() < Duration::from_secs(30), "serve did not start");
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_millis(200));
            std::fs::read_to_string(&serve_out).expect("serve output")
        } else {
            let o = cmd().args(&args).output().expect("run");
            // As a terminal shows them: pki-lab's notes come before what the command prints.
            format!("{}{}", stderr(&o), stdout(&o))
        };
        let printed = printed.replace(home.to_str().expect("utf-8"), readme_home);
        let have: Vec<Vec<String>> = printed.lines().map(shape).collect();
        // Every line the README shows appears, in order; `…` lines stand for lines left out.
        let mut at = 0;
        for w in want.iter().filter(|w| w.trim() != "…") {
            let w = shape(w);
            match have[at..].iter().position(|h| fits(&w, h)) {
                Some(i) => at += i + 1,
                None => {
                    mismatches.push(format!(
                        "`{command}`: README line not printed: {}\n--- printed:\n{printed}",
                        w.join(" ")
                    ));
                    break;
                }
            }
        }
    }
    serve_out.pop();
    if let Some(mut s) = server {
        let _ = s.kill();
        let _ = s.wait();
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}
