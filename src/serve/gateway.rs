//! `pki-lab gateway`: a load balancer in front of several TLS backends, to see where a client's
//! session lives and how a returning client reaches the same backend.
//!
//! Modes:
//! - `passthrough-rr`: TCP passthrough, round-robin. The TLS session is with a backend; with
//!   per-backend session caches a client resumes only when it lands on the same backend again.
//! - `passthrough-hash`: TCP passthrough, consistent hashing on the client's IP address (sticky).
//! - `terminate-sticky`: the gateway terminates TLS itself and forwards each HTTP request over its
//!   own TLS connection to a backend, chosen by a sticky cookie. The client's session is with the
//!   gateway, never with a backend.
//!
//! A backend that refuses connections is marked down, reported, and routed around; a health
//! check brings it back.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::error::{Error, Result};
use crate::serve::http;

/// How the gateway picks a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// TCP passthrough, round-robin
    PassthroughRr,
    /// TCP passthrough, consistent hashing on the client IP (sticky)
    PassthroughHash,
    /// TLS terminated at the gateway, sticky cookie per client
    TerminateSticky,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::PassthroughRr, Mode::PassthroughHash, Mode::TerminateSticky];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::PassthroughRr => "passthrough-rr",
            Mode::PassthroughHash => "passthrough-hash",
            Mode::TerminateSticky => "terminate-sticky",
        }
    }
}

/// A backend the gateway forwards to.
#[derive(Debug, Clone)]
pub struct Backend {
    pub id: String,
    pub addr: SocketAddr,
}

/// The cookie that pins a client to a backend in `terminate-sticky` mode.
pub const COOKIE: &str = "pki_lab_backend";

/// A consistent-hash ring with virtual nodes: each backend owns `vnodes` points, a key belongs to
/// the first point clockwise from its hash. Removing one of N backends moves only its own keys,
/// about 1/N of them, to its neighbours.
#[derive(Debug, Clone)]
pub struct Ring {
    points: Vec<(u64, usize)>,
}

impl Ring {
    pub fn new(ids: &[String], vnodes: usize) -> Ring {
        let mut points: Vec<(u64, usize)> = ids
            .iter()
            .enumerate()
            .flat_map(|(i, id)| (0..vnodes).map(move |v| (hash64(format!("{id}#{v}").as_bytes()), i)))
            .collect();
        points.sort_unstable();
        Ring { points }
    }

    /// The backend index for `key`, skipping backends for which `up` says no.
    pub fn pick(&self, key: &[u8], up: impl Fn(usize) -> bool) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let h = hash64(key);
        let start = self.points.partition_point(|(p, _)| *p < h);
        (0..self.points.len()).map(|i| self.points[(start + i) % self.points.len()].1).find(|b| up(*b))
    }
}

/// A stable 64-bit hash (the first 8 bytes of SHA-256): the same key maps to the same point on
/// every run and every machine, unlike std's randomly keyed hasher.
pub fn hash64(data: &[u8]) -> u64 {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut b = [0u8; 8];
    b.copy_from_slice(&d.as_ref()[..8]);
    u64::from_be_bytes(b)
}

#[derive(Debug)]
struct Pool {
    backends: Vec<Backend>,
    up: Vec<AtomicBool>,
    next: AtomicUsize,
    ring: Ring,
    log: bool,
}

impl Pool {
    fn is_up(&self, i: usize) -> bool {
        self.up.get(i).is_some_and(|u| u.load(Ordering::Relaxed))
    }

    /// Backends to try, in order, for this connection.
    fn candidates(&self, mode: Mode, client: IpAddr) -> Vec<usize> {
        let n = self.backends.len();
        let first = match mode {
            Mode::PassthroughHash => self.ring.pick(client.to_string().as_bytes(), |i| self.is_up(i)),
            _ => {
                let start = self.next.fetch_add(1, Ordering::Relaxed);
                (0..n).map(|k| (start + k) % n).find(|i| self.is_up(*i))
            }
        };
        let mut order: Vec<usize> = first.into_iter().collect();
        // If every backend looks down, still try them all: one may have come back.
        order.extend((0..n).filter(|i| Some(*i) != first));
        order
    }

    fn mark(&self, i: usize, up: bool, why: &str) {
        if let Some(flag) = self.up.get(i)
            && flag.swap(up, Ordering::Relaxed) != up
            && self.log
        {
            let b = &self.backends[i];
            let state = if up { "up again" } else { "DOWN" };
            eprintln!("{} gateway: backend {} ({}) {state}{why}", now(), b.id, b.addr);
        }
    }

    async fn connect(&self, i: usize) -> std::io::Result<TcpStream> {
        let addr = self.backends[i].addr;
        match tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                self.mark(i, true, "");
                let _ = s.set_nodelay(true);
                Ok(s)
            }
            Ok(Err(e)) => {
                self.mark(i, false, &format!(": {e}"));
                Err(e)
            }
            Err(_) => {
                self.mark(i, false, ": connect timed out");
                Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))
            }
        }
    }
}

fn now() -> String {
    crate::labdir::rfc3339(time::OffsetDateTime::now_utc())
}

/// How the terminating gateway connects to backends: as a client trusting the lab root.
pub fn backend_client(dir: &std::path::Path) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let path = dir.join("ca.pem");
    for c in crate::pki::ca::parse_certs(&crate::labdir::fsutil::read_to_string(&path)?, &path.display().to_string())? {
        roots.add(c).map_err(|e| Error::Parse { context: path.display().to_string(), message: e.to_string() })?;
    }
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// How to run the gateway.
pub struct GatewayOptions {
    pub bind: IpAddr,
    pub port: u16,
    pub mode: Mode,
    pub backends: Vec<Backend>,
    /// Virtual nodes per backend on the hash ring.
    pub vnodes: usize,
    /// How often a down backend is tried again.
    pub health_interval: Duration,
    /// The gateway's own TLS server configuration (terminate mode).
    pub tls: Option<Arc<ServerConfig>>,
    /// How the gateway connects to backends (terminate mode): trusts the lab root.
    pub backend_tls: Option<Arc<ClientConfig>>,
    /// A passthrough tunnel with no byte either way for this long is closed; in terminate mode
    /// it bounds the wait for a request, receiving it, and each write.
    pub idle_timeout: Duration,
    pub log: bool,
}

/// A running gateway.
pub struct Running {
    pub addr: SocketAddr,
    tasks: JoinSet<()>,
}

impl Running {
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

pub async fn start(opts: GatewayOptions) -> Result<Running> {
    if opts.backends.is_empty() {
        return Err(Error::Input("the gateway needs at least one backend".into()));
    }
    if opts.mode == Mode::TerminateSticky && (opts.tls.is_none() || opts.backend_tls.is_none()) {
        return Err(Error::Input("terminate-sticky needs the gateway's certificate and a client configuration".into()));
    }
    let listener = TcpListener::bind((opts.bind, opts.port))
        .await
        .map_err(|e| Error::Network(format!("cannot listen on {}:{} for the gateway: {e}", opts.bind, opts.port)))?;
    let addr = listener.local_addr().map_err(|e| Error::Network(e.to_string()))?;
    let ids: Vec<String> = opts.backends.iter().map(|b| b.id.clone()).collect();
    let pool = Arc::new(Pool {
        up: opts.backends.iter().map(|_| AtomicBool::new(true)).collect(),
        ring: Ring::new(&ids, opts.vnodes),
        backends: opts.backends.clone(),
        next: AtomicUsize::new(0),
        log: opts.log,
    });
    let mut tasks = JoinSet::new();
    tasks.spawn(health(pool.clone(), opts.health_interval));
    let shared = Arc::new(Shared {
        pool,
        mode: opts.mode,
        tls: opts.tls.clone(),
        backend_tls: opts.backend_tls.clone(),
        idle: opts.idle_timeout,
    });
    tasks.spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        let _ = tcp.set_nodelay(true);
                        let shared = shared.clone();
                        conns.spawn(async move { shared.handle(tcp, peer).await });
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
    });
    Ok(Running { addr, tasks })
}

/// Tries down backends again every `interval`.
async fn health(pool: Arc<Pool>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        for i in 0..pool.backends.len() {
            if !pool.is_up(i)
                && let Ok(Ok(_)) = tokio::time::timeout(interval, TcpStream::connect(pool.backends[i].addr)).await
            {
                pool.mark(i, true, " (health check)");
            }
        }
    }
}

struct Shared {
    pool: Arc<Pool>,
    mode: Mode,
    tls: Option<Arc<ServerConfig>>,
    backend_tls: Option<Arc<ClientConfig>>,
    idle: Duration,
}

impl Shared {
    async fn handle(&self, tcp: TcpStream, peer: SocketAddr) {
        match self.mode {
            Mode::PassthroughRr | Mode::PassthroughHash => self.passthrough(tcp, peer).await,
            Mode::TerminateSticky => self.terminate(tcp, peer).await,
        }
    }

    async fn passthrough(&self, mut client: TcpStream, peer: SocketAddr) {
        for i in self.pool.candidates(self.mode, peer.ip()) {
            let Ok(mut backend) = self.pool.connect(i).await else { continue };
            if self.pool.log {
                eprintln!("{} gateway: {peer} -> {} ({})", now(), self.pool.backends[i].id, self.mode.as_str());
            }
            // Bytes both ways until both sides close, or nothing moves for the idle timeout.
            if let Err(e) = tunnel_tcp(&mut client, &mut backend, self.idle).await
                && e.kind() == std::io::ErrorKind::TimedOut
                && self.pool.log
            {
                eprintln!("{} gateway: {peer}: tunnel closed after {:?} without traffic", now(), self.idle);
            }
            return;
        }
        if self.pool.log {
            eprintln!("{} gateway: {peer}: no backend reachable", now());
        }
    }

    async fn terminate(&self, tcp: TcpStream, peer: SocketAddr) {
        let (Some(tls), Some(backend_tls)) = (&self.tls, &self.backend_tls) else { return };
        let Ok(Ok(stream)) =
            tokio::time::timeout(Duration::from_secs(10), TlsAcceptor::from(tls.clone()).accept(tcp)).await
        else {
            return;
        };
        let resumed = stream.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
        let (rd, mut wr) = tokio::io::split(stream);
        let mut rd = BufReader::new(rd);
        let limit = self.idle;
        // One upstream connection per backend for this client connection (kept alive).
        let mut upstream: Vec<Option<tokio_rustls::client::TlsStream<TcpStream>>> =
            (0..self.pool.backends.len()).map(|_| None).collect();
        loop {
            let (head, body) = match http::read_request(&mut rd, limit).await {
                Ok(Some(req)) => req,
                Ok(None) | Err(http::ReadError::Idle | http::ReadError::Io(_)) => break,
                Err(http::ReadError::Slow) => {
                    let rej = http::Rejected { status: 408, message: format!("request incomplete after {limit:?}") };
                    http::refuse(&mut rd, &mut wr, &rej, limit).await;
                    return;
                }
                Err(http::ReadError::Rejected(rej)) => {
                    if self.pool.log {
                        eprintln!("{} gateway: {peer}: refused status={} ({})", now(), rej.status, rej.message);
                    }
                    http::refuse(&mut rd, &mut wr, &rej, limit).await;
                    return;
                }
            };
            let pinned = head
                .header("cookie")
                .and_then(|c| c.split(';').find_map(|kv| kv.trim().strip_prefix(&format!("{COOKIE}="))))
                .and_then(|id| self.pool.backends.iter().position(|b| b.id == id))
                .filter(|i| self.pool.is_up(*i));
            let mut order: Vec<usize> = pinned.into_iter().collect();
            order.extend(self.pool.candidates(self.mode, peer.ip()).into_iter().filter(|i| Some(*i) != pinned));
            let mut answered = false;
            for i in order {
                match self.forward(i, &mut upstream, backend_tls, &head, &body).await {
                    Ok((resp_head, resp_body)) => {
                        let id = &self.pool.backends[i].id;
                        if self.pool.log {
                            eprintln!(
                                "{} gateway: {peer} -> {id} ({}, client session {})",
                                now(),
                                if pinned == Some(i) { "cookie" } else { "new pick" },
                                if resumed { "resumed" } else { "full" }
                            );
                        }
                        let mut out = format!("{}\r\n", resp_head.start);
                        for (n, v) in &resp_head.headers {
                            out.push_str(&format!("{n}: {v}\r\n"));
                        }
                        if pinned != Some(i) {
                            out.push_str(&format!("set-cookie: {COOKIE}={id}; Path=/; HttpOnly\r\n"));
                        }
                        out.push_str(&format!(
                            "x-pki-lab-backend: {id}\r\nx-pki-lab-gateway: terminate-sticky\r\n\r\n"
                        ));
                        let sent = tokio::time::timeout(limit, async {
                            wr.write_all(out.as_bytes()).await?;
                            wr.write_all(&resp_body).await?;
                            wr.flush().await
                        })
                        .await;
                        if !matches!(sent, Ok(Ok(()))) {
                            return;
                        }
                        answered = true;
                        break;
                    }
                    Err(_) => {
                        upstream[i] = None;
                    }
                }
            }
            if !answered {
                let msg = "no backend reachable\n";
                let out = format!(
                    "HTTP/1.1 502 Bad Gateway\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{msg}",
                    msg.len()
                );
                let _ = tokio::time::timeout(limit, wr.write_all(out.as_bytes())).await;
                break;
            }
            if !head.keep_alive() {
                break;
            }
        }
        let _ = tokio::time::timeout(limit, wr.shutdown()).await;
    }

    /// Sends one request to backend `i` over a (reused) TLS connection and reads the response.
    async fn forward(
        &self,
        i: usize,
        upstream: &mut [Option<tokio_rustls::client::TlsStream<TcpStream>>],
        config: &Arc<ClientConfig>,
        head: &http::Head,
        body: &[u8],
    ) -> std::io::Result<(http::Head, Vec<u8>)> {
        let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, "backend timed out");
        if upstream[i].is_none() {
            let tcp = self.pool.connect(i).await?;
            let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
            let tls = tokio::time::timeout(self.idle, TlsConnector::from(config.clone()).connect(name, tcp))
                .await
                .map_err(|_| timed_out())??;
            upstream[i] = Some(tls);
        }
        let conn = upstream[i].as_mut().ok_or_else(|| std::io::Error::other("no upstream"))?;
        let mut req = format!("{}\r\n", head.start);
        for (n, v) in &head.headers {
            if n != "connection" {
                req.push_str(&format!("{n}: {v}\r\n"));
            }
        }
        req.push_str("connection: keep-alive\r\n\r\n");
        let exchange = async {
            conn.write_all(req.as_bytes()).await?;
            conn.write_all(body).await?;
            conn.flush().await?;
            let mut rd = BufReader::with_capacity(1, &mut *conn);
            let resp = http::read_head(&mut rd, http::Kind::Response)
                .await?
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "backend closed"))?;
            let len = resp.content_length(http::MAX_RESPONSE_BODY)?;
            let body = http::read_body(&mut rd, len).await?;
            Ok::<_, std::io::Error>((resp, body))
        };
        let (resp, body) = tokio::time::timeout(self.idle, exchange).await.map_err(|_| timed_out())??;
        // Hop-by-hop headers are the gateway's own business.
        let resp = http::Head {
            start: resp.start,
            headers: resp.headers.into_iter().filter(|(n, _)| n != "connection").collect(),
        };
        Ok((resp, body))
    }
}

/// Copies bytes both ways between `a` and `b` until both directions have ended (each end is
/// passed on as a half-close), an error, or `idle` without a byte moving either way (an error:
/// `TimedOut`). Both directions run at once, so neither waits on the other's backpressure.
pub async fn tunnel<A, B>(a: &mut A, b: &mut B, idle: Duration) -> std::io::Result<()>
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let (ar, aw) = tokio::io::split(a);
    let (br, bw) = tokio::io::split(b);
    tunnel_halves(ar, aw, br, bw, idle).await
}

/// [`tunnel`] for two TCP sockets (passthrough): their borrowed halves need no lock between
/// reader and writer, which `tokio::io::split` takes on every poll.
pub async fn tunnel_tcp(a: &mut TcpStream, b: &mut TcpStream, idle: Duration) -> std::io::Result<()> {
    let (ar, aw) = a.split();
    let (br, bw) = b.split();
    tunnel_halves(ar, aw, br, bw, idle).await
}

async fn tunnel_halves<AR, AW, BR, BW>(
    mut ar: AR,
    mut aw: AW,
    mut br: BR,
    mut bw: BW,
    idle: Duration,
) -> std::io::Result<()>
where
    AR: AsyncRead + Unpin,
    AW: AsyncWrite + Unpin,
    BR: AsyncRead + Unpin,
    BW: AsyncWrite + Unpin,
{
    let base = tokio::time::Instant::now();
    // Milliseconds since `base` of the last byte moved.
    let last = AtomicU64::new(0);
    let copy = async {
        tokio::try_join!(pump(&mut ar, &mut bw, &last, base), pump(&mut br, &mut aw, &last, base)).map(|_| ())
    };
    let watchdog = async {
        loop {
            let deadline = base + Duration::from_millis(last.load(Ordering::Relaxed)) + idle;
            if tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    };
    tokio::select! {
        r = copy => r,
        () = watchdog => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "tunnel idle")),
    }
}

/// One direction of [`tunnel`]: read, write, note the time; shut the writer down at the end.
async fn pump<R, W>(r: &mut R, w: &mut W, last: &AtomicU64, base: tokio::time::Instant) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 16 * 1024];
    let stamp = || {
        let ms = u64::try_from(base.elapsed().as_millis()).unwrap_or(u64::MAX);
        last.store(ms, Ordering::Relaxed);
    };
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return w.shutdown().await;
        }
        stamp();
        w.write_all(&buf[..n]).await?;
        w.flush().await?;
        stamp();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Removing one of N backends moves that backend's keys only: about 1/N of 10,000 clients.
    #[test]
    fn removing_one_of_n_backends_moves_about_one_nth_of_the_keys() {
        for n in [3usize, 4, 5, 8] {
            let ids: Vec<String> = (1..=n).map(|i| format!("backend-{i}")).collect();
            let ring = Ring::new(&ids, 100);
            let keys: Vec<String> =
                (0..10_000).map(|i| format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256)).collect();
            let before: Vec<usize> = keys.iter().map(|k| ring.pick(k.as_bytes(), |_| true).expect("pick")).collect();
            let removed = n - 1;
            let after: Vec<usize> =
                keys.iter().map(|k| ring.pick(k.as_bytes(), |i| i != removed).expect("pick")).collect();
            let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count();
            // Only the removed backend's keys move.
            assert!(before.iter().zip(&after).all(|(b, a)| b == a || *b == removed));
            let share = moved as f64 / keys.len() as f64;
            let ideal = 1.0 / n as f64;
            assert!((share - ideal).abs() <= 0.05, "n={n}: moved {share:.3}, ideal {ideal:.3}");
        }
    }

    /// The passthrough tunnel over real loopback sockets: bytes both ways, the client's
    /// half-close reaches the server, and the tunnel ends once both sides have closed.
    #[tokio::test]
    async fn a_tcp_tunnel_passes_bytes_and_half_closes() {
        let front = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let back = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let (front_addr, back_addr) = (front.local_addr().expect("addr"), back.local_addr().expect("addr"));
        let t = tokio::spawn(async move {
            let (mut a, _) = front.accept().await.expect("accept");
            let mut b = TcpStream::connect(back_addr).await.expect("connect");
            tunnel_tcp(&mut a, &mut b, Duration::from_secs(5)).await
        });
        let mut client = TcpStream::connect(front_addr).await.expect("connect");
        let (mut server, _) = back.accept().await.expect("accept");
        let big = vec![7u8; 256 * 1024];
        client.write_all(&big).await.expect("write");
        client.shutdown().await.expect("shutdown");
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.expect("read");
        assert_eq!(got, big, "every byte, then the client's end of stream");
        server.write_all(b"pong").await.expect("write");
        server.shutdown().await.expect("shutdown");
        let mut back_bytes = Vec::new();
        client.read_to_end(&mut back_bytes).await.expect("read");
        assert_eq!(back_bytes, b"pong");
        t.await.expect("join").expect("both sides closed: the tunnel ends without error");
    }

    #[tokio::test]
    async fn a_tunnel_passes_bytes_and_half_closes_and_ends_when_idle_or_closed() {
        let idle = Duration::from_millis(200);
        for close_both in [false, true] {
            let (mut client, mut a) = tokio::io::duplex(64);
            let (mut b, mut server) = tokio::io::duplex(64);
            let t = tokio::spawn(async move { tunnel(&mut a, &mut b, idle).await });
            client.write_all(b"ping").await.expect("write");
            let mut buf = [0u8; 4];
            server.read_exact(&mut buf).await.expect("read");
            assert_eq!(&buf, b"ping");
            server.write_all(b"pong").await.expect("write");
            client.read_exact(&mut buf).await.expect("read");
            assert_eq!(&buf, b"pong");
            // The client's end reaches the server as an end of stream; the other way stays open.
            client.shutdown().await.expect("shutdown");
            let mut rest = Vec::new();
            server.read_to_end(&mut rest).await.expect("eof");
            assert!(rest.is_empty());
            let t0 = tokio::time::Instant::now();
            if close_both {
                server.shutdown().await.expect("shutdown");
                assert!(t.await.expect("join").is_ok(), "both ends closed: done");
            } else {
                let e = t.await.expect("join").expect_err("idle");
                assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
                assert!(t0.elapsed() >= Duration::from_millis(150), "{:?}", t0.elapsed());
            }
        }
    }

    #[test]
    fn the_ring_is_stable_and_skips_down_backends() {
        let ids: Vec<String> = (1..=4).map(|i| format!("backend-{i}")).collect();
        let ring = Ring::new(&ids, 100);
        let a = ring.pick(b"127.0.0.7", |_| true);
        assert_eq!(a, Ring::new(&ids, 100).pick(b"127.0.0.7", |_| true), "same key, same backend");
        let a = a.expect("a backend");
        let b = ring.pick(b"127.0.0.7", |i| i != a).expect("another backend");
        assert_ne!(a, b);
        assert_eq!(ring.pick(b"x", |_| false), None);
    }
}
