//! Helpers shared by the integration tests: run the real binary in a clean environment.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `pki-lab` binary with a cleaned environment (no PKI_LAB_* leaking in).
pub fn pki_lab() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pki-lab"));
    c.env_remove("PKI_LAB_HOME").env_remove("PKI_LAB_NOW").env("NO_COLOR", "1");
    c
}

/// Runs `pki-lab --dir DIR args…` and returns its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    pki_lab().arg("--dir").arg(dir).args(args).output().expect("run pki-lab")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh lab in a temporary directory; the directory lives as long as the returned guard.
pub fn new_lab(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    // Every scenario at once, RSA ones included (tests read their files straight away).
    let mut args = vec!["init", "--complete"];
    args.extend_from_slice(extra);
    let o = run(&dir, &args);
    assert!(o.status.success(), "init failed: {}", stderr(&o));
    (tmp, dir)
}

pub fn manifest(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest parses")
}

pub fn scenario<'a>(m: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    m["scenarios"]
        .as_array()
        .expect("scenarios array")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("scenario {name} in manifest"))
}

/// A long-running `pki-lab` command (serve, gateway) that writes its ports to a file when ready;
/// killed on drop.
pub struct Daemon {
    pub child: std::process::Child,
    pub ports: serde_json::Value,
    pub log: PathBuf,
}

impl Daemon {
    /// Runs `pki-lab --dir DIR ARGS… --ports-file <tmp>` and waits for the ports file.
    pub fn spawn(dir: &Path, args: &[&str]) -> Daemon {
        let stamp = format!("{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let ports_file = dir.parent().expect("lab has a parent").join(format!("ports-{stamp}.json"));
        let log = dir.parent().expect("parent").join(format!("daemon-{stamp}.log"));
        let child = pki_lab()
            .arg("--dir")
            .arg(dir)
            .args(args)
            .arg("--ports-file")
            .arg(&ports_file)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn pki-lab");
        let t0 = std::time::Instant::now();
        while !ports_file.exists() {
            assert!(
                t0.elapsed() < std::time::Duration::from_secs(30),
                "{args:?} did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let ports = serde_json::from_str(&std::fs::read_to_string(&ports_file).expect("ports")).expect("ports json");
        Daemon { child, ports, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// `Command::new(name)` for an outside tool, after checking it is installed: a missing tool
/// fails with its name and Debian package rather than a raw `Os { code: 2 }`.
pub fn tool(name: &str) -> Command {
    let package = match name {
        "node" => "nodejs",
        "keytool" => "openjdk-17-jre-headless",
        "certutil" => "libnss3-tools",
        other => other,
    };
    let on_path = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()));
    assert!(on_path, "{name} is not installed (Debian package {package}); .ci/run installs it");
    Command::new(name)
}

/// A throw-away `redis-server` on a free loopback port (or `PKI_LAB_TEST_REDIS` if set); the
/// server is killed on drop.
pub struct Redis {
    pub url: String,
    child: Option<std::process::Child>,
}

impl Redis {
    pub fn start() -> Redis {
        if let Ok(url) = std::env::var("PKI_LAB_TEST_REDIS") {
            return Redis { url, child: None };
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let child = tool("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let t0 = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(t0.elapsed() < std::time::Duration::from_secs(10), "redis-server did not start on {port}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Redis { url: format!("redis://127.0.0.1:{port}"), child: Some(child) }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Every file under `dir` with its bytes.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).expect("prefix").to_path_buf(), std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

/// A TLS client (rustls, trusting the lab's root, name `localhost`) on a fresh loopback
/// connection to `port`; the handshake runs on first use. Reads and writes give up after 20 s.
pub fn tls_client(dir: &Path, port: u16) -> rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(dir.join("ca.pem")).expect("ca.pem") {
        roots.add(c.expect("certificate")).expect("root");
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).expect("client");
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(20))).expect("read timeout");
    tcp.set_write_timeout(Some(std::time::Duration::from_secs(20))).expect("write timeout");
    rustls::StreamOwned::new(conn, tcp)
}

/// Reads until the server closes (cleanly or not); panics if it is still open after 20 s.
pub fn read_until_closed<S: std::io::Read>(s: &mut S) -> String {
    let mut out = Vec::new();
    if let Err(e) = s.read_to_end(&mut out) {
        assert!(
            !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
            "still open after 20 s; read so far: {}",
            String::from_utf8_lossy(&out)
        );
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends raw `request` bytes over a fresh TLS connection and returns all the server answered
/// until it closed.
pub fn send_raw(dir: &Path, port: u16, request: &[u8]) -> String {
    use std::io::Write;
    let mut s = tls_client(dir, port);
    // The server may refuse and close before it has read everything: what it answered counts.
    let _ = s.write_all(request).and_then(|()| s.flush());
    read_until_closed(&mut s)
}

/// The status codes of the responses in `text`, in order.
pub fn statuses(text: &str) -> Vec<u16> {
    text.split("\r\n")
        .filter_map(|l| l.strip_prefix("HTTP/1.1 "))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect()
}

/// Requests a hostile client sends, each with the one status it must get (and a close).
pub fn hostile_requests() -> Vec<(&'static str, Vec<u8>, u16)> {
    let post = |cl: &str| format!("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {cl}\r\n\r\n").into_bytes();
    let many: String = (0..101).map(|i| format!("X-F{i}: v\r\n")).collect();
    vec![
        ("Content-Length 100000000000", post("100000000000"), 413),
        ("Content-Length u64::MAX", post("18446744073709551615"), 413),
        ("Content-Length beyond u64", post("99999999999999999999999"), 413),
        ("Content-Length 1 MiB + 1", post("1048577"), 413),
        ("Content-Length -1", post("-1"), 400),
        ("Content-Length +5", post("+5"), 400),
        ("Content-Length 0x10", post("0x10"), 400),
        ("Content-Length list", post("5, 5"), 400),
        (
            "duplicate Content-Length smuggling a request",
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
            400,
        ),
        (
            "identical duplicate Content-Length",
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab".to_vec(),
            400,
        ),
        (
            "Transfer-Encoding with Content-Length",
            b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n".to_vec(),
            400,
        ),
        ("header line without a colon", b"GET / HTTP/1.1\r\nHost: localhost\r\nno colon\r\n\r\n".to_vec(), 400),
        (
            "a 1 MB header",
            format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n", "a".repeat(1 << 20)).into_bytes(),
            431,
        ),
        ("101 header fields", format!("GET / HTTP/1.1\r\nHost: localhost\r\n{many}\r\n").into_bytes(), 431),
    ]
}

/// A plain request that closes: the server must answer it with 200.
pub const CONTROL: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
