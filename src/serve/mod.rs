//! `pki-lab serve`: one tokio-rustls listener per scenario, plus one port that picks the
//! scenario from the SNI name (`<scenario>.localhost`). Each answers HTTP/1.1 with a short page
//! naming the scenario, its rule and what was negotiated, and logs every handshake to stderr.
//!
//! Stage 5: serves the files of [`crate::labdir`]; [`gateway`] balances several servers, and
//! [`session`] holds where resumption state lives. [`crate::probe`] and real clients connect.

pub mod gateway;
pub mod http;
pub mod index;
pub mod session;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{RootCertStore, ServerConfig, ServerConnection};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::LazyConfigAcceptor;

use crate::catalogue::rules::RuleId;
use crate::catalogue::template::TlsVersion;
use crate::error::{Error, Result};
use crate::labdir;
use crate::labdir::fsutil;
use crate::labdir::manifest::{Manifest, ScenarioEntry};
use crate::pki::ca::parse_certs;
use crate::serve::session::SessionOptions;
use crate::verdict::outcome::{alert_sent_for, rustls_error_name};

/// The first port of the default layout: the SNI router; scenarios follow in catalogue order.
pub const DEFAULT_PORT_BASE: u16 = 8443;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: IpAddr,
    /// SNI router on `port_base`, scenario *i* on `port_base + 1 + i`; 0 picks free ports.
    pub port_base: u16,
    /// A connection that has not finished its handshake by then is closed.
    pub handshake_timeout: Duration,
    /// A keep-alive connection idle this long between requests is closed.
    pub idle_timeout: Duration,
    /// Scenario names to serve; empty serves all.
    pub scenarios: Vec<String>,
    /// Log every handshake to stderr.
    pub log: bool,
    /// Also listen on `port_base` for the router that picks the scenario by SNI.
    pub sni_router: bool,
    /// Where resumable session state lives.
    pub session: SessionOptions,
    /// Name this server reports in its pages and log (e.g. `backend-2` behind a gateway).
    pub server_id: Option<String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: IpAddr::from([127, 0, 0, 1]),
            port_base: DEFAULT_PORT_BASE,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            scenarios: vec![],
            log: true,
            sni_router: true,
            session: SessionOptions::default(),
            server_id: None,
        }
    }
}

/// Where each server listens: written to `<lab>/serve.json` (and `--ports-file`) so that probes
/// and test harnesses find them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ports {
    /// Always `pki-lab/ports/v1`.
    pub schema: String,
    pub pid: u32,
    pub bind: IpAddr,
    /// The port that picks the scenario by SNI (`<scenario>.localhost`); absent without the router.
    pub sni: Option<u16>,
    pub scenarios: BTreeMap<String, u16>,
}

pub const PORTS_SCHEMA: &str = "pki-lab/ports/v1";

/// What a connection handler needs to know about its scenario.
#[derive(Debug)]
struct Scenario {
    name: String,
    server: String,
    rule: Option<RuleId>,
    summary: String,
    /// Why some clients refuse a scenario that breaks no rule (the index and pages say it).
    lesson: Option<String>,
    /// What Chromium did with it, measured (the manifest's `chromium` column), for the index.
    chromium: Option<crate::clients::ClientOutcome>,
    /// Its own root (`files.anchor`), for the pages.
    own_root: Option<String>,
    config: Arc<ServerConfig>,
}

/// The running servers.
pub struct Running {
    pub ports: Ports,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Running {
    /// Stops accepting and ends every connection.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }

    pub fn addr(&self, scenario: &str) -> Option<SocketAddr> {
        self.ports.scenarios.get(scenario).map(|p| SocketAddr::new(self.ports.bind, *p))
    }
}

/// Builds the rustls server configuration of one scenario from its files.
pub fn server_config(lab: &Path, entry: &ScenarioEntry, session: &SessionOptions) -> Result<Arc<ServerConfig>> {
    let chain_path = lab.join(&entry.files.chain);
    let chain = parse_certs(&fsutil::read_to_string(&chain_path)?, &chain_path.display().to_string())?;
    let key_path = lab.join(&entry.files.key);
    let key = PrivateKeyDer::from_pem_file(&key_path)
        .map_err(|e| Error::Parse { context: key_path.display().to_string(), message: e.to_string() })?;
    let client_roots = if entry.serve.client_auth { Some(lab_roots(lab)?) } else { None };
    build_config(&entry.name, chain, key, &entry.serve.versions, client_roots.as_deref(), session)
}

/// A scenario server's configuration: it sends `chain`, signs with `key`, speaks `versions`
/// (empty: 1.2 and 1.3), asks for a client certificate chaining to `client_roots` if given.
pub fn build_config(
    name: &str,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    versions: &[TlsVersion],
    client_roots: Option<&[CertificateDer<'static>]>,
    session: &SessionOptions,
) -> Result<Arc<ServerConfig>> {
    let provider = Arc::new(server_provider());
    let tls_err = |e: rustls::Error| Error::Tls(format!("scenario {name}: {e}"));
    let signing_key = crate::pki::legacy::load_signing_key(&provider, key).map_err(tls_err)?;
    // CertifiedKey::new skips rustls's key-matches-certificate check and its parse of the leaf:
    // key-mismatch and unknown-critical-extension exist to break exactly those.
    let certified = Arc::new(CertifiedKey::new(chain, signing_key));
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = if versions.is_empty() {
        rustls::DEFAULT_VERSIONS.to_vec()
    } else {
        versions
            .iter()
            .map(|v| match v {
                TlsVersion::Tls12 => &rustls::version::TLS12,
                TlsVersion::Tls13 => &rustls::version::TLS13,
            })
            .collect()
    };
    let builder =
        ServerConfig::builder_with_provider(provider.clone()).with_protocol_versions(&versions).map_err(tls_err)?;
    let builder = match client_roots {
        Some(client_roots) => {
            let mut roots = RootCertStore::empty();
            for root in client_roots {
                roots.add(root.clone()).map_err(tls_err)?;
            }
            // No CA names in the CertificateRequest: a client whose certificate is from another
            // root (client-cert-untrusted) still sends it, and gets unknown_ca, instead of
            // keeping it back because the server named a root it does not chain to.
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .clear_root_hint_subjects()
                .build()
                .map_err(|e| Error::Tls(format!("scenario {name}: client verifier: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // The server's order decides (see server_provider), so OpenSSL clients, which list
    // AES-256 first, get the cheaper suite too.
    config.ignore_client_order = true;
    // One ticket is enough to resume once per connection; rustls's default of 2 costs a second
    // ticket's key derivation and cache entry on every full handshake.
    config.send_tls13_tickets = 1;
    session.apply(&mut config)?;
    Ok(Arc::new(config))
}

/// aws-lc-rs with TLS13_AES_128_GCM_SHA256 first: its key schedule runs SHA-256 instead of
/// SHA-384 (a profile of `serve` under load showed SHA-512 blocks at 16% of the CPU). The other
/// suites, and the TLS 1.2 order, stay as rustls has them.
fn server_provider() -> rustls::crypto::CryptoProvider {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    let first = rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_128_GCM_SHA256;
    provider.cipher_suites.retain(|s| s.suite() != first.suite());
    provider.cipher_suites.insert(0, first);
    provider
}

fn lab_roots(lab: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let path = lab.join("ca.pem");
    parse_certs(&fsutil::read_to_string(&path)?, &path.display().to_string())
}

/// Binds every listener (failing before any serves if one port is taken) and starts serving.
pub async fn start(lab: &Path, manifest: &Manifest, opts: &ServeOptions) -> Result<Running> {
    let mut selected: Vec<(usize, &ScenarioEntry)> = Vec::new();
    for name in &opts.scenarios {
        let i = manifest.scenarios.iter().position(|s| &s.name == name).ok_or_else(|| Error::UnknownScenario {
            name: name.clone(),
            suggestion: crate::error::suggest(name, manifest.scenarios.iter().map(|s| s.name.as_str())),
        })?;
        selected.push((i, &manifest.scenarios[i]));
    }
    if opts.scenarios.is_empty() {
        selected = manifest.scenarios.iter().enumerate().collect();
    }

    let mut scenarios = Vec::new();
    for (i, entry) in &selected {
        let s = Arc::new(Scenario {
            name: entry.name.clone(),
            server: opts.server_id.clone().unwrap_or_else(|| format!("pki-lab serve (pid {})", std::process::id())),
            rule: entry.rule,
            summary: entry.summary.clone(),
            lesson: entry.lesson.clone(),
            chromium: entry.clients.get(&crate::clients::ClientId::Chromium).cloned(),
            own_root: entry.files.anchor.clone(),
            config: server_config(lab, entry, &opts.session)?,
        });
        let port = if opts.port_base == 0 { 0 } else { port_for(opts.port_base, *i, &entry.name)? };
        scenarios.push((s, port));
    }

    let (tx, rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let sni_listener = match opts.sni_router {
        true => Some(bind(opts.bind, opts.port_base, "the SNI router").await?),
        false => None,
    };
    let mut ports = Ports {
        schema: PORTS_SCHEMA.to_string(),
        pid: std::process::id(),
        bind: opts.bind,
        sni: sni_listener.as_ref().map(local_port).transpose()?,
        scenarios: BTreeMap::new(),
    };
    let mut listeners = Vec::new();
    for (s, port) in &scenarios {
        let l = bind(opts.bind, *port, &format!("scenario {}", s.name)).await?;
        ports.scenarios.insert(s.name.clone(), local_port(&l)?);
        listeners.push((l, s.clone()));
    }

    let opts = Arc::new(opts.clone());
    for (l, s) in listeners {
        tasks.spawn(accept_loop(l, Route::One(s), opts.clone(), rx.clone()));
    }
    let by_name: BTreeMap<String, Arc<Scenario>> = scenarios.iter().map(|(s, _)| (s.name.clone(), s.clone())).collect();
    if let (Some(l), Some(port)) = (sni_listener, ports.sni) {
        let entries: Vec<index::Entry> = scenarios.iter().map(|(s, _)| s.entry()).collect();
        let site = Arc::new(index::site(&entries, port));
        tasks.spawn(accept_loop(l, Route::BySni(Arc::new(by_name), site), opts, rx));
    }
    Ok(Running { ports, shutdown: tx, tasks })
}

fn port_for(base: u16, index: usize, name: &str) -> Result<u16> {
    u16::try_from(usize::from(base) + 1 + index)
        .map_err(|_| Error::Input(format!("--port-base {base} leaves no port for scenario {name} (index {index})")))
}

async fn bind(addr: IpAddr, port: u16, what: &str) -> Result<TcpListener> {
    TcpListener::bind((addr, port)).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            "\n  hint: another `pki-lab serve` may be running; pick other ports with --port-base N, or --port-base 0 for free ones"
        } else {
            ""
        };
        Error::Network(format!("cannot listen on {addr}:{port} for {what}: {e}{hint}"))
    })
}

fn local_port(l: &TcpListener) -> Result<u16> {
    l.local_addr().map(|a| a.port()).map_err(|e| Error::Network(format!("listener address: {e}")))
}

enum Route {
    One(Arc<Scenario>),
    /// The router, with the pages it serves for browsers.
    BySni(Arc<BTreeMap<String, Arc<Scenario>>>, Arc<index::Site>),
}

impl Scenario {
    fn entry(&self) -> index::Entry {
        index::Entry {
            name: self.name.clone(),
            rule: self.rule,
            summary: self.summary.clone(),
            lesson: self.lesson.clone(),
            chromium: self.chromium.clone(),
            own_root: self.own_root.clone(),
        }
    }
}

async fn accept_loop(listener: TcpListener, route: Route, opts: Arc<ServeOptions>, mut stop: watch::Receiver<bool>) {
    let route = Arc::new(route);
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    conns.spawn(handle(tcp, peer, route.clone(), opts.clone()));
                }
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(e) => {
                    if opts.log { eprintln!("accept failed: {e}"); }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

async fn handle(tcp: TcpStream, peer: SocketAddr, route: Arc<Route>, opts: Arc<ServeOptions>) {
    let started = tokio::time::timeout(opts.handshake_timeout, handshake(tcp, &route)).await;
    let (scenario, sni, result, leftover) = match started {
        Err(_) => {
            log(&opts, &format!("peer={peer} outcome=timeout (no handshake within {:?})", opts.handshake_timeout));
            return;
        }
        Ok(r) => r,
    };
    let name = scenario.as_ref().map_or_else(|| "-".to_string(), |s| s.name.clone());
    match result {
        Err(e) => {
            let detail = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<rustls::Error>())
                .map(|te| {
                    let alert = match te {
                        rustls::Error::AlertReceived(a) => format!("alert-received={a:?}"),
                        other => alert_sent_for(other).map_or(String::new(), |a| format!("alert-sent={a:?}")),
                    };
                    format!("error={} {alert}", rustls_error_name(te))
                })
                .unwrap_or_else(|| format!("error=\"{e}\""));
            let sni = sni.as_deref().unwrap_or("-");
            log(&opts, &format!("scenario={name} peer={peer} sni={sni} outcome=failed {}", detail.trim_end()));
            if let Some(tcp) = leftover {
                linger(tcp).await;
            }
        }
        Ok(tls) => {
            let Some(s) = scenario else { return };
            let params = Negotiated::of(tls.get_ref().1);
            log(&opts, &format!("scenario={name} server={} peer={peer} {} outcome=ok", s.server, params.log_fields()));
            let site = match route.as_ref() {
                Route::BySni(_, site) => Some(site.clone()),
                Route::One(_) => None,
            };
            serve_http(tls, peer, &s, &params, &opts, site.as_deref()).await;
        }
    }
}

type Tls = tokio_rustls::server::TlsStream<TcpStream>;

/// Reads the ClientHello first (so the log can name the SNI even when the handshake fails),
/// picks the scenario (fixed, or by SNI on the router), then completes the handshake.
/// On failure after the ClientHello, the connection comes back too (for [`linger`]).
async fn handshake(
    tcp: TcpStream,
    route: &Route,
) -> (Option<Arc<Scenario>>, Option<String>, std::io::Result<Tls>, Option<TcpStream>) {
    let lazy = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp);
    tokio::pin!(lazy);
    let start = match lazy.as_mut().await {
        Ok(start) => start,
        Err(e) => return (None, None, Err(e), None),
    };
    let sni = start.client_hello().server_name().map(str::to_string);
    let scenario = match route {
        Route::One(s) => Some(s.clone()),
        // `expired.localhost` → expired; no SNI or an unknown name → valid.
        Route::BySni(map, _) => {
            let wanted = sni.as_deref().and_then(|n| n.strip_suffix(".localhost")).unwrap_or("valid");
            map.get(wanted).or_else(|| map.get("valid")).or_else(|| map.values().next()).cloned()
        }
    };
    let Some(s) = scenario else {
        return (None, sni, Err(std::io::Error::other("no scenario to serve")), None);
    };
    match start.into_stream(s.config.clone()).into_fallible().await {
        Ok(tls) => (Some(s), sni, Ok(tls), None),
        Err((e, tcp)) => (Some(s), sni, Err(e), Some(tcp)),
    }
}

/// After a failed handshake (its alert already sent): read and drop what the client still sends
/// until it closes, for a second at most. In TLS 1.3 a client sends its request right behind its
/// certificate; closing with those bytes unread would send a reset, and the client would report
/// "connection reset" or "broken pipe" instead of the alert. (No early FIN either: Chromium then
/// at times reports ERR_SOCKET_NOT_CONNECTED instead of the alert.)
async fn linger(mut tcp: TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let drain = async {
        while let Ok(n) = tcp.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

/// What the handshake settled on.
#[derive(Debug, Clone, Serialize)]
pub struct Negotiated {
    pub version: String,
    pub cipher_suite: String,
    pub key_exchange_group: String,
    pub sni: Option<String>,
    pub alpn: Option<String>,
    /// `full`, `full-with-hello-retry` or `resumed`.
    pub handshake: String,
    /// Subject of the client certificate, when one was presented and accepted.
    pub client_certificate: Option<String>,
}

impl Negotiated {
    fn of(conn: &ServerConnection) -> Negotiated {
        Negotiated {
            version: conn.protocol_version().map_or("-".into(), |v| format!("{v:?}")),
            cipher_suite: conn.negotiated_cipher_suite().map_or("-".into(), |s| format!("{:?}", s.suite())),
            key_exchange_group: conn.negotiated_key_exchange_group().map_or("-".into(), |g| format!("{:?}", g.name())),
            sni: conn.server_name().map(str::to_string),
            alpn: conn.alpn_protocol().map(|a| String::from_utf8_lossy(a).into_owned()),
            handshake: handshake_kind(conn.handshake_kind()),
            client_certificate: conn.peer_certificates().and_then(|c| c.first()).map(|c| subject_of(c)),
        }
    }

    fn log_fields(&self) -> String {
        format!(
            "sni={} version={} suite={} group={} handshake={}{}",
            self.sni.as_deref().unwrap_or("-"),
            self.version,
            self.cipher_suite,
            self.key_exchange_group,
            self.handshake,
            self.client_certificate.as_ref().map_or(String::new(), |c| format!(" client-cert=\"{c}\""))
        )
    }
}

pub fn handshake_kind(k: Option<rustls::HandshakeKind>) -> String {
    match k {
        Some(rustls::HandshakeKind::Full) => "full",
        Some(rustls::HandshakeKind::FullWithHelloRetryRequest) => "full-with-hello-retry",
        Some(rustls::HandshakeKind::Resumed) => "resumed",
        None => "-",
    }
    .to_string()
}

fn subject_of(der: &CertificateDer<'_>) -> String {
    x509_parser::parse_x509_certificate(der).map_or_else(|_| "(unparsable)".into(), |(_, c)| c.subject().to_string())
}

async fn serve_http(
    tls: Tls,
    peer: SocketAddr,
    s: &Scenario,
    params: &Negotiated,
    opts: &ServeOptions,
    site: Option<&index::Site>,
) {
    let (rd, mut wr) = tokio::io::split(tls);
    let mut rd = BufReader::new(rd);
    let mut count = 0u64;
    // Waiting for a request, receiving one and writing the answer are each bounded by the idle
    // timeout: a client that stops sending or never reads is closed.
    let limit = opts.idle_timeout;
    loop {
        let head = match http::read_request(&mut rd, limit).await {
            Ok(Some((h, _body))) => h,
            Ok(None) | Err(http::ReadError::Idle) => break,
            Err(http::ReadError::Slow) => {
                log(opts, &format!("scenario={} peer={peer} request incomplete after {limit:?}", s.name));
                let rej = http::Rejected { status: 408, message: format!("request incomplete after {limit:?}") };
                http::refuse(&mut rd, &mut wr, &rej, limit).await;
                return;
            }
            Err(http::ReadError::Rejected(rej)) => {
                log(opts, &format!("scenario={} peer={peer} refused status={} ({})", s.name, rej.status, rej.message));
                http::refuse(&mut rd, &mut wr, &rej, limit).await;
                return;
            }
            Err(http::ReadError::Io(e)) => {
                // A TLS error after the handshake (for example the client's alert) or a reset.
                let what = e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<rustls::Error>())
                    .map_or_else(|| e.to_string(), rustls_error_name);
                log(opts, &format!("scenario={} peer={peer} after-handshake error={what}", s.name));
                break;
            }
        };
        count += 1;
        let keep = head.keep_alive();
        let (ctype, body) = answer(&head, s, params, count, peer, site);
        match tokio::time::timeout(limit, respond(&mut wr, "200 OK", ctype, &body, keep)).await {
            Ok(Ok(())) if keep => {}
            Ok(Ok(())) => break,
            Ok(Err(_)) => return,
            Err(_) => {
                log(opts, &format!("scenario={} peer={peer} closed: the client read nothing for {limit:?}", s.name));
                return;
            }
        }
    }
    let _ = tokio::time::timeout(limit, wr.shutdown()).await;
}

/// The body for one request: the router's index and dashboard, the dashboard's script, an HTML
/// page for browsers, JSON for programs that ask, else text.
fn answer(
    head: &http::Head,
    s: &Scenario,
    params: &Negotiated,
    count: u64,
    peer: SocketAddr,
    site: Option<&index::Site>,
) -> (&'static str, String) {
    let path = head.start.split(' ').nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    let accept = head.header("accept").unwrap_or("");
    if path == index::PROBE_PATH {
        return ("text/javascript; charset=utf-8", index::probe_script(&s.name));
    }
    if let Some(site) = site.filter(|_| s.name == index::HOME_SCENARIO && accept.contains("text/html")) {
        match path {
            "/" => return ("text/html; charset=utf-8", site.index.clone()),
            index::DASHBOARD_PATH => return ("text/html; charset=utf-8", site.dashboard.clone()),
            _ => {}
        }
    }
    if accept.contains("application/json") {
        return ("application/json", page(s, params, count, peer, true));
    }
    if accept.contains("text/html") {
        let tls = vec![
            ("server", s.server.clone()),
            (
                "tls",
                format!(
                    "{} {} {} ({} handshake)",
                    params.version, params.cipher_suite, params.key_exchange_group, params.handshake
                ),
            ),
            ("sni", params.sni.clone().unwrap_or_else(|| "(none)".into())),
            ("client certificate", params.client_certificate.clone().unwrap_or_else(|| "(none)".into())),
            ("request", format!("#{count} on this connection from {peer}")),
        ];
        return ("text/html; charset=utf-8", index::scenario_page(&s.entry(), &tls, site.map(|x| x.home.as_str())));
    }
    ("text/plain; charset=utf-8", page(s, params, count, peer, false))
}

async fn respond<W: tokio::io::AsyncWrite + Unpin>(
    wr: &mut W,
    status: &str,
    ctype: &str,
    body: &str,
    keep: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: {}\r\nServer: pki-lab\r\nCache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\n\r\n",
        body.len(),
        if keep { "keep-alive" } else { "close" }
    );
    wr.write_all(head.as_bytes()).await?;
    wr.write_all(body.as_bytes()).await?;
    wr.flush().await
}

/// The page each server answers with.
#[derive(Debug, Serialize, Deserialize)]
pub struct Page {
    pub scenario: String,
    /// Which server answered (`--server-id`, or the process id).
    pub server: String,
    pub rule: Option<RuleId>,
    pub summary: String,
    pub tls: serde_json::Value,
    /// 1 for the first request on this connection, 2 for the second, …
    pub request_on_connection: u64,
    pub peer: String,
}

fn page(s: &Scenario, params: &Negotiated, count: u64, peer: SocketAddr, json: bool) -> String {
    if json {
        let p = Page {
            scenario: s.name.clone(),
            server: s.server.clone(),
            rule: s.rule,
            summary: s.summary.clone(),
            tls: serde_json::to_value(params).unwrap_or_default(),
            request_on_connection: count,
            peer: peer.to_string(),
        };
        return serde_json::to_string_pretty(&p).map(|t| t + "\n").unwrap_or_default();
    }
    let rule = match &s.rule {
        Some(r) => format!("{r}: {}", r.rule().check),
        None => "none: no rule is broken (see the summary)".into(),
    };
    format!(
        "pki-lab scenario {name}\n  {summary}\n  server     {server}\n  rule       {rule}\n  tls        {} {} {} ({} handshake)\n  sni        {}\n  alpn       {}\n  client     {}\n  request    #{count} on this connection from {peer}\n",
        params.version,
        params.cipher_suite,
        params.key_exchange_group,
        params.handshake,
        params.sni.as_deref().unwrap_or("(none)"),
        params.alpn.as_deref().unwrap_or("(none)"),
        params.client_certificate.as_deref().unwrap_or("(no certificate)"),
        name = s.name,
        server = s.server,
        summary = s.summary,
    )
}

fn log(opts: &ServeOptions, line: &str) {
    if opts.log {
        let now = time::OffsetDateTime::now_utc();
        eprintln!("{} {line}", labdir::rfc3339(now));
    }
}

/// Path of the file that tells probes where a running `serve` listens.
pub fn ports_path(lab: &Path) -> PathBuf {
    lab.join("serve.json")
}

/// Reads `<lab>/serve.json`.
pub fn load_ports(path: &Path) -> Result<Ports> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Network(format!(
        "cannot read {} ({e}): is `pki-lab serve` running for this lab?\n  hint: start it with `pki-lab serve`, or probe host:port",
        path.display()
    )))?;
    let ports: Ports = serde_json::from_str(&text)
        .map_err(|e| Error::Parse { context: path.display().to_string(), message: e.to_string() })?;
    // A server killed without a chance to clean up leaves its file behind.
    if Path::new("/proc").is_dir() && !Path::new(&format!("/proc/{}", ports.pid)).exists() {
        return Err(Error::Network(format!(
            "{} names `pki-lab serve` pid {}, which is no longer running\n  hint: start it again with `pki-lab serve`",
            path.display(),
            ports.pid
        )));
    }
    Ok(ports)
}

/// Serves one ready configuration on `addr` (port 0 picks a free one), answering like a
/// scenario server: what [`crate::testing`] uses for certificates that live only in memory.
/// There is no SNI router.
pub async fn start_config(
    addr: SocketAddr,
    name: &str,
    rule: Option<RuleId>,
    summary: &str,
    config: Arc<ServerConfig>,
    opts: &ServeOptions,
) -> Result<Running> {
    let s = Arc::new(Scenario {
        name: name.to_string(),
        server: opts.server_id.clone().unwrap_or_else(|| format!("pki-lab (pid {})", std::process::id())),
        rule,
        summary: summary.to_string(),
        lesson: None,
        chromium: None,
        own_root: None,
        config,
    });
    let listener = bind(addr.ip(), addr.port(), &format!("scenario {name}")).await?;
    let port = local_port(&listener)?;
    let (tx, rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tasks.spawn(accept_loop(listener, Route::One(s), Arc::new(opts.clone()), rx));
    let ports = Ports {
        schema: PORTS_SCHEMA.to_string(),
        pid: std::process::id(),
        bind: addr.ip(),
        sni: None,
        scenarios: BTreeMap::from([(name.to_string(), port)]),
    };
    Ok(Running { ports, shutdown: tx, tasks })
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Tls13ClientSessionValue};
    use rustls::pki_types::ServerName;
    use rustls::{CipherSuite, NamedGroup};
    use tokio::io::AsyncReadExt;

    use super::*;
    use crate::testing::TestCa;

    /// Counts the TLS 1.3 tickets a client is given.
    #[derive(Debug)]
    struct Counting(ClientSessionMemoryCache, AtomicUsize);

    impl ClientSessionStore for Counting {
        fn set_kx_hint(&self, n: ServerName<'static>, g: NamedGroup) {
            self.0.set_kx_hint(n, g)
        }
        fn kx_hint(&self, n: &ServerName<'_>) -> Option<NamedGroup> {
            self.0.kx_hint(n)
        }
        fn set_tls12_session(&self, n: ServerName<'static>, v: rustls::client::Tls12ClientSessionValue) {
            self.0.set_tls12_session(n, v)
        }
        fn tls12_session(&self, n: &ServerName<'_>) -> Option<rustls::client::Tls12ClientSessionValue> {
            self.0.tls12_session(n)
        }
        fn remove_tls12_session(&self, n: &ServerName<'static>) {
            self.0.remove_tls12_session(n)
        }
        fn insert_tls13_ticket(&self, n: ServerName<'static>, v: Tls13ClientSessionValue) {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.insert_tls13_ticket(n, v)
        }
        fn take_tls13_ticket(&self, n: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
            self.0.take_tls13_ticket(n)
        }
    }

    /// A client listing AES-256 first (rustls's and OpenSSL's default order) still gets
    /// TLS13_AES_128_GCM_SHA256, and exactly one ticket per full handshake.
    #[tokio::test]
    async fn serve_picks_aes_128_over_the_clients_order_and_sends_one_ticket() {
        let ca = TestCa::new().expect("ca");
        let server = ca.serve("valid").await.expect("serve");
        let store = Arc::new(Counting(ClientSessionMemoryCache::new(8), AtomicUsize::new(0)));
        let mut client = (*ca.client_config().expect("client")).clone();
        assert_eq!(
            client.crypto_provider().cipher_suites[0].suite(),
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            "the control: the client's first choice is AES-256"
        );
        client.resumption = rustls::client::Resumption::store(store.clone());
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let tcp = TcpStream::connect(server.addr()).await.expect("connect");
        let mut tls = connector.connect(ServerName::try_from("localhost").expect("name"), tcp).await.expect("tls");
        assert_eq!(
            tls.get_ref().1.negotiated_cipher_suite().map(|s| s.suite()),
            Some(CipherSuite::TLS13_AES_128_GCM_SHA256)
        );
        tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.expect("write");
        let mut page = Vec::new();
        tls.read_to_end(&mut page).await.expect("read");
        assert!(page.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&page));
        assert_eq!(store.1.load(Ordering::SeqCst), 1, "one ticket per full handshake");
        server.shutdown().await;
    }
}
