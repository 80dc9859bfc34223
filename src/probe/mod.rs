//! `pki-lab probe`: connect like a client, walk the five steps of the handshake, and name every
//! rule that fails, with evidence.
//!
//! Each probe makes two connections to the target:
//! 1. an *observing* connection whose certificate check records the chain and lets the handshake
//!    go on (so key exchange and the HTTP exchange can be seen even for a broken certificate).
//!    It still checks CertificateVerify against the leaf's key, which is how a key mismatch shows.
//! 2. a *strict* connection with rustls's own `WebPkiServerVerifier`: its error and alert are
//!    what a real rustls client reports.
//!
//! The rule engine ([`crate::verdict::engine`]) then evaluates every rule on the observed chain.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, Resumption};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedProtocolVersion};
use serde::Serialize;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::catalogue::rules::{Expected, Kind, RuleId, Step};
use crate::error::{Error, Result};
use crate::serve::handshake_kind;
use crate::serve::http;
use crate::verdict::engine::{self, RuleResult, Status, Trust};
use crate::verdict::outcome::{alert_sent_for, rustls_error_name};

/// A client identity for servers that ask for one.
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key_pem: String,
}

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Server name sent as SNI and verified against the certificate.
    pub host: String,
    /// TLS versions offered; empty offers 1.2 and 1.3.
    pub versions: Vec<&'static SupportedProtocolVersion>,
    pub client: Option<ClientIdentity>,
    /// Requests sent on the observing connection (keep-alive).
    pub requests: usize,
    /// Limit for connecting, the handshake and each response.
    pub timeout: Duration,
    /// The time rules are evaluated at.
    pub now: time::OffsetDateTime,
    /// Sequential connections made by the observing client.
    pub connections: usize,
    /// Keep a client session cache across those connections, so the server may resume them.
    pub resume: bool,
    /// Send `Connection: close`: every request gets its own connection (and handshake).
    pub close: bool,
    /// Local address to connect from (e.g. 127.0.0.2, to look like another client to a gateway).
    pub source: Option<std::net::IpAddr>,
    /// Append the TLS secrets to this file in SSLKEYLOGFILE format (Wireshark can then decrypt).
    pub keylog: Option<std::path::PathBuf>,
}

impl ProbeOptions {
    /// Defaults for `host`, evaluated at `now`.
    pub fn new(host: &str, now: time::OffsetDateTime) -> ProbeOptions {
        ProbeOptions {
            host: host.to_string(),
            versions: vec![],
            client: None,
            requests: 2,
            timeout: Duration::from_secs(10),
            now,
            connections: 1,
            resume: false,
            close: false,
            source: None,
            keylog: None,
        }
    }
}

/// The probe a `pki-lab probe` command line asks for, flag by flag; `pki-lab probe` and a lab's
/// probe steps both turn them into [`ProbeOptions`] here.
#[derive(Debug, Clone)]
pub struct ProbeFlags {
    /// Offer TLS 1.2 only.
    pub tls12: bool,
    /// Offer TLS 1.3 only.
    pub tls13: bool,
    pub requests: usize,
    /// Seconds, as typed (`--timeout`).
    pub timeout: f64,
    pub connections: usize,
    pub resume: bool,
    pub close: bool,
    pub source: Option<std::net::IpAddr>,
    pub keylog: Option<std::path::PathBuf>,
}

impl ProbeFlags {
    /// The options these flags ask for, for `host`, presenting `client`, evaluated at `now`.
    pub fn options(
        &self,
        host: &str,
        client: Option<ClientIdentity>,
        now: time::OffsetDateTime,
    ) -> Result<ProbeOptions> {
        let timeout = crate::error::seconds(self.timeout, "--timeout")?;
        let versions = if self.tls12 {
            vec![&rustls::version::TLS12]
        } else if self.tls13 {
            vec![&rustls::version::TLS13]
        } else {
            vec![]
        };
        Ok(ProbeOptions {
            versions,
            client,
            requests: self.requests,
            timeout,
            // --resume alone means "come back once".
            connections: if self.resume && self.connections == 1 { 2 } else { self.connections },
            resume: self.resume,
            close: self.close,
            source: self.source,
            keylog: self.keylog.clone(),
            ..ProbeOptions::new(host, now)
        })
    }
}

/// Everything one probe saw. The JSON form is documented in the README ("probe --json").
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What the user asked for: a scenario name, `host:port` or a URL.
    pub target: String,
    pub scenario: Option<String>,
    pub address: String,
    pub hello: Hello,
    /// The presented chain, leaf first (see `pki-lab inspect --json` for the fields).
    pub certificate: Vec<crate::inspect::Described>,
    pub verification: Vec<RuleResult>,
    pub key_exchange: KeyExchange,
    pub secure_communication: Secure,
    /// Every connection made (several with `--connections`, `--close` or `--resume`), in order.
    pub connections: Vec<ConnectionSummary>,
    pub verdict: Verdict,
    /// `"outcome"`, and `"incomplete": {step, reason}` when there is no verdict.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What a probe concludes; [`outcome`] decides it, for the CLI and the lab runner alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handshake completed and no rule failed.
    Pass,
    /// At least one rule failed (whether or not the handshake went on).
    Fail,
    /// No rule failed, but the handshake was not seen to its end: there is no verdict.
    Incomplete { step: Step, reason: String },
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Incomplete { .. } => "incomplete",
        }
    }

    /// The exit code of a probe with no `--expect`: 0 pass, 1 a rule failed, 3 no verdict.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Incomplete { .. } => crate::error::EXIT_NO_VERDICT,
        }
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        #[derive(Serialize)]
        struct Incomplete<'a> {
            step: Step,
            reason: &'a str,
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("outcome", self.as_str())?;
        if let Outcome::Incomplete { step, reason } = self {
            m.serialize_entry("incomplete", &Incomplete { step: *step, reason })?;
        }
        m.end()
    }
}

/// The one decision. "No rule failed" is a verdict only for a handshake that completed: when
/// nothing (or only part) was seen, every rule is N/A and that proves nothing.
pub fn outcome(failed: &[RuleId], hello: &Hello, certificate_seen: bool) -> Outcome {
    if !failed.is_empty() {
        return Outcome::Fail;
    }
    if hello.handshake.is_some() {
        return Outcome::Pass;
    }
    let step = if certificate_seen { Step::KeyExchange } else { Step::Hello };
    let reason = match hello.error.as_deref() {
        None => "the handshake did not finish".to_string(),
        // A plain-HTTP (or other non-TLS) server answers the hello with bytes that are no record.
        Some(e) if e.starts_with("InvalidMessage") => format!("the server did not speak TLS ({e})"),
        Some(e) if e.starts_with("no handshake within") => format!("timed out: {e}"),
        Some(e) => e.to_string(),
    };
    Outcome::Incomplete { step, reason }
}

/// One connection of a probe: full or resumed, how long the handshake took, who answered.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionSummary {
    /// `full`, `full-with-hello-retry`, `resumed`, or null when the handshake failed.
    pub handshake: Option<String>,
    pub handshake_ms: Option<f64>,
    /// The server (or gateway backend) that answered each request, as the page reports it.
    pub servers: Vec<String>,
    pub responses: usize,
    pub error: Option<String>,
}

/// What one observing connection saw.
#[derive(Debug, Clone)]
struct Observed {
    hello: Hello,
    secure: Secure,
}

impl Observed {
    /// A connection that failed before or during its handshake; `base` holds what was offered.
    fn failed(base: &Hello, error: String) -> Observed {
        Observed {
            hello: Hello { error: Some(error), ..base.clone() },
            secure: Secure { responses: vec![], error: None },
        }
    }

    fn summary(&self) -> ConnectionSummary {
        ConnectionSummary {
            handshake: self.hello.handshake.clone(),
            handshake_ms: self.hello.handshake_ms,
            servers: self.secure.responses.iter().filter_map(|r| r.server.clone()).collect(),
            responses: self.secure.responses.len(),
            error: self.hello.error.clone().or_else(|| self.secure.error.clone()),
        }
    }
}

/// One observing connection: handshake, then `requests` HTTP requests on it. `base` holds what
/// the client offers; the rest of the hello is filled in from the connection.
async fn observe(
    addr: SocketAddr,
    opts: &ProbeOptions,
    config: Arc<ClientConfig>,
    requests: usize,
    jar: &CookieJar,
    base: &Hello,
) -> Observed {
    let t0 = Instant::now();
    match connect(addr, &opts.host, config, opts.timeout, opts.source).await {
        Err(e) => Observed::failed(base, e),
        Ok(mut tls) => {
            let conn = tls.get_ref().1;
            let hello = Hello {
                version: conn.protocol_version().map(|v| format!("{v:?}")),
                cipher_suite: conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())),
                key_exchange_group: conn.negotiated_key_exchange_group().map(|g| format!("{:?}", g.name())),
                alpn: conn.alpn_protocol().map(|a| String::from_utf8_lossy(a).into_owned()),
                handshake: Some(handshake_kind(conn.handshake_kind())),
                handshake_ms: Some(ms(t0)),
                ..base.clone()
            };
            let secure = exchange(&mut tls, &opts.host, requests, opts.timeout, opts.close, jar).await;
            let _ = tls.shutdown().await;
            Observed { hello, secure }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hello {
    pub offered_versions: Vec<String>,
    pub version: Option<String>,
    pub cipher_suite: Option<String>,
    pub key_exchange_group: Option<String>,
    pub sni: String,
    pub alpn: Option<String>,
    /// `full`, `full-with-hello-retry` or `resumed`.
    pub handshake: Option<String>,
    pub handshake_ms: Option<f64>,
    /// Why the observing handshake failed, if it did.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyExchange {
    /// The (EC)DHE group whose ephemeral shares made the session keys.
    pub group: Option<String>,
    /// The scheme of the server's CertificateVerify (TLS 1.3) or ServerKeyExchange (TLS 1.2) signature.
    pub signature_scheme: Option<String>,
    /// Whether that signature verified with the leaf certificate's public key.
    pub signature_verified: Option<bool>,
    pub client_certificate_requested: bool,
    pub client_certificate_sent: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Secure {
    pub responses: Vec<Exchange>,
    /// Why the exchange stopped early, if it did (a TLS alert after the handshake, …).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub status: u16,
    pub bytes: usize,
    /// The server's count of requests on this connection (pki-lab servers report it).
    pub request_on_connection: Option<u64>,
    /// The server that answered, as its page reports it (`--server-id`, gateway backends).
    pub server: Option<String>,
    pub ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Ids of the rules that failed; empty means the connection is sound.
    pub failed: Vec<RuleId>,
    /// What rustls's own verifier reported on the strict connection: `ok` or the error name.
    pub rustls: String,
    pub rustls_message: Option<String>,
    /// The alert on the strict connection: `sent X` or `received X`.
    pub alert: Option<String>,
}

/// Probes `addr` (speaking TLS to `opts.host`), trusting `trust`.
pub async fn probe(
    target: &str,
    scenario: Option<&str>,
    addr: SocketAddr,
    trust: &Trust,
    opts: &ProbeOptions,
) -> Report {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    warm_up();
    let versions: Vec<&'static SupportedProtocolVersion> =
        if opts.versions.is_empty() { rustls::DEFAULT_VERSIONS.to_vec() } else { opts.versions.clone() };
    let identity = opts.client.as_ref().and_then(|c| certified_key(c, &provider));

    // 1. The observing connection(s).
    let observer = Arc::new(DangerObserveOnly { provider: provider.clone(), seen: Mutex::default() });
    let recorder = Arc::new(ClientCertRecorder { identity: identity.clone(), asked: AtomicBool::new(false) });
    let base = Hello {
        offered_versions: versions.iter().map(|v| format!("{:?}", v.version)).collect(),
        version: None,
        cipher_suite: None,
        key_exchange_group: None,
        sni: opts.host.clone(),
        alpn: None,
        handshake: None,
        handshake_ms: None,
        error: None,
    };
    let (count, per_connection) =
        if opts.close { (opts.requests.max(1), 1) } else { (opts.connections.max(1), opts.requests) };
    let mut connections = Vec::new();
    let jar = CookieJar::default();
    match client_config(&provider, &versions, Verifier::Observe(observer.clone()), recorder.clone(), opts) {
        Err(e) => connections.push(Observed::failed(&base, e)),
        Ok(config) => {
            for _ in 0..count {
                connections.push(observe(addr, opts, config.clone(), per_connection, &jar, &base).await);
            }
        }
    }
    let first = connections.first().cloned().unwrap_or_else(|| Observed::failed(&base, "no connection".into()));
    let (hello, secure) = (first.hello, first.secure);
    let seen = observer.seen.lock().map(|s| s.clone()).unwrap_or_default();

    // 2. The strict connection: what rustls itself says.
    let strict_recorder = Arc::new(ClientCertRecorder { identity, asked: AtomicBool::new(false) });
    let verdict_error = match strict_verifier(&provider, trust) {
        Err(e) => Some((e.clone(), e, None)),
        Ok(v) => match client_config(
            &provider,
            &versions,
            Verifier::Strict(v),
            strict_recorder,
            &ProbeOptions { resume: false, keylog: None, ..opts.clone() },
        ) {
            Err(e) => Some((e.clone(), e, None)),
            Ok(config) => strict_attempt(addr, &opts.host, config, opts.timeout, opts.source).await,
        },
    };

    // 3. Every rule, on the chain the server presented.
    let mut verification = if seen.chain.is_empty() {
        crate::catalogue::rules::RULES
            .iter()
            .map(|r| RuleResult {
                rule: r.id,
                step: r.step,
                status: Status::NotApplicable,
                evidence: "no certificate was received".into(),
            })
            .collect()
    } else {
        engine::evaluate(&seen.chain, &opts.host, trust, opts.now)
    };
    let asked = recorder.asked.load(Ordering::Relaxed);
    let key_exchange = KeyExchange {
        group: hello.key_exchange_group.clone(),
        signature_scheme: seen.signature.as_ref().map(|(s, _)| format!("{s:?}")),
        signature_verified: seen.signature.as_ref().map(|(_, r)| r.is_ok()),
        client_certificate_requested: asked,
        client_certificate_sent: asked && opts.client.is_some(),
    };
    live_rules(&mut verification, &seen, &key_exchange, &hello, &secure, opts.client.as_ref());

    let failed = engine::failed(&verification);
    let outcome = outcome(&failed, &hello, !seen.chain.is_empty());
    let (rustls, rustls_message, alert) = match verdict_error {
        None => ("ok".to_string(), None, None),
        Some((name, message, alert)) => (name, Some(message), alert),
    };
    Report {
        target: target.to_string(),
        scenario: scenario.map(str::to_string),
        address: addr.to_string(),
        hello,
        certificate: seen.chain.iter().filter_map(|c| crate::inspect::describe(c, opts.now).ok()).collect(),
        verification,
        key_exchange,
        secure_communication: secure,
        connections: connections.iter().map(Observed::summary).collect(),
        verdict: Verdict { failed, rustls, rustls_message, alert },
        outcome,
    }
}

/// The crypto library seeds its random generator on first use, which can take tens of
/// milliseconds; do it before any handshake is timed.
fn warm_up() {
    use aws_lc_rs::rand::SecureRandom;
    let _ = aws_lc_rs::rand::SystemRandom::new().fill(&mut [0u8; 32]);
}

/// Fills in the rules only a live handshake shows.
fn live_rules(
    results: &mut [RuleResult],
    seen: &Seen,
    kx: &KeyExchange,
    hello: &Hello,
    secure: &Secure,
    client: Option<&ClientIdentity>,
) {
    let set = |results: &mut [RuleResult], id: RuleId, status: Status, evidence: String| {
        debug_assert_eq!(id.kind(), Kind::Live, "{id} is decided offline");
        if let Some(r) = results.iter_mut().find(|r| r.rule == id) {
            r.status = status;
            r.evidence = evidence;
        }
    };
    let (status, evidence) = match &seen.signature {
        Some((scheme, Ok(()))) => {
            (Status::Pass, format!("the {scheme:?} handshake signature verifies with the leaf's public key"))
        }
        Some((scheme, Err(e))) => (
            Status::Fail,
            format!(
                "the {scheme:?} handshake signature does not verify with the leaf's public key ({e}): the server signs with a key that is not its certificate's"
            ),
        ),
        None => (Status::NotApplicable, "the handshake ended before the server's signature".into()),
    };
    set(results, RuleId::HandshakeKeyMismatch, status, evidence);

    // TLS 1.3 servers refuse a client certificate after the handshake (on the first read);
    // TLS 1.2 servers refuse it inside the handshake, so the alert ends the hello.
    let alert = secure.error.clone().or_else(|| hello.error.clone()).unwrap_or_default();
    let (status, evidence) = match (kx.client_certificate_requested, client) {
        (false, _) => (Status::NotApplicable, "the server did not ask for a client certificate".into()),
        (true, Some(_)) => (Status::Pass, "the server asked for a client certificate and the probe sent one".into()),
        (true, None) => (
            Status::Fail,
            format!(
                "the server asked for a client certificate and the probe had none (--client-cert DIR){}",
                if alert.is_empty() { String::new() } else { format!("; then: {alert}") }
            ),
        ),
    };
    set(results, RuleId::ClientCertRequired, status, evidence);

    let refused = alert.starts_with("AlertReceived");
    let (status, evidence) = match (kx.client_certificate_requested, client) {
        (true, Some(_)) if refused => (Status::Fail, format!("the server refused the client certificate: {alert}")),
        (true, Some(_)) => (Status::Pass, "the server accepted the client certificate".into()),
        _ => (Status::NotApplicable, "no client certificate was sent".into()),
    };
    set(results, RuleId::ClientCertUntrusted, status, evidence);
}

fn ms(t0: Instant) -> f64 {
    (t0.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// What the observing verifier saw.
#[derive(Debug, Default, Clone)]
struct Seen {
    chain: Vec<CertificateDer<'static>>,
    signature: Option<(SignatureScheme, std::result::Result<(), String>)>,
}

/// Accepts any certificate chain (recording it) so the handshake can be observed to the end.
/// Never used to decide whether a server is trustworthy: the strict connection does that.
#[derive(Debug)]
struct DangerObserveOnly {
    provider: Arc<CryptoProvider>,
    seen: Mutex<Seen>,
}

impl DangerObserveOnly {
    fn check(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        let result = verify_with_leaf_key(message, cert, dss);
        if let Ok(mut seen) = self.seen.lock() {
            seen.signature = Some((dss.scheme, result.clone()));
        }
        result
            .map(|()| HandshakeSignatureValid::assertion())
            .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature))
    }
}

impl ServerCertVerifier for DangerObserveOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.clone().into_owned()).collect();
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.check(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.check(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Checks a handshake signature with the public key in the leaf, parsed with x509-parser so
/// that even a certificate webpki refuses to parse (unknown critical extension) can be checked.
fn verify_with_leaf_key(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
) -> std::result::Result<(), String> {
    use aws_lc_rs::signature as sig;
    let alg: &'static dyn sig::VerificationAlgorithm = match dss.scheme {
        SignatureScheme::ECDSA_NISTP256_SHA256 => &sig::ECDSA_P256_SHA256_ASN1,
        SignatureScheme::ECDSA_NISTP384_SHA384 => &sig::ECDSA_P384_SHA384_ASN1,
        SignatureScheme::ECDSA_NISTP521_SHA512 => &sig::ECDSA_P521_SHA512_ASN1,
        SignatureScheme::ED25519 => &sig::ED25519,
        SignatureScheme::RSA_PSS_SHA256 => &sig::RSA_PSS_2048_8192_SHA256,
        SignatureScheme::RSA_PSS_SHA384 => &sig::RSA_PSS_2048_8192_SHA384,
        SignatureScheme::RSA_PSS_SHA512 => &sig::RSA_PSS_2048_8192_SHA512,
        SignatureScheme::RSA_PKCS1_SHA256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        other => return Err(format!("unsupported signature scheme {other:?}")),
    };
    let (_, x) = x509_parser::parse_x509_certificate(cert).map_err(|e| format!("leaf does not parse: {e}"))?;
    let key = x.public_key().subject_public_key.data.as_ref();
    sig::UnparsedPublicKey::new(alg, key).verify(message, dss.signature()).or_else(|_| {
        // aws-lc-rs checks RSA signatures from 2048-bit keys up only; smaller keys (weak-key)
        // are checked by the legacy verifier, so a weak key is not mistaken for a wrong one.
        crate::pki::legacy::verify_weak_rsa(x.public_key().raw, dss.scheme, message, dss.signature())
    })
}

/// Records whether the server asked for a client certificate, and answers with ours if any.
#[derive(Debug)]
struct ClientCertRecorder {
    identity: Option<Arc<CertifiedKey>>,
    asked: AtomicBool,
}

impl ResolvesClientCert for ClientCertRecorder {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.asked.store(true, Ordering::Relaxed);
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        // Always true, so that rustls tells us when a server asks even if we have nothing to send.
        true
    }
}

fn certified_key(c: &ClientIdentity, provider: &CryptoProvider) -> Option<Arc<CertifiedKey>> {
    use rustls::pki_types::pem::PemObject;
    let key = PrivateKeyDer::from_pem_slice(c.key_pem.as_bytes()).ok()?;
    let signing = provider.key_provider.load_private_key(key).ok()?;
    Some(Arc::new(CertifiedKey::new(c.chain.clone(), signing)))
}

enum Verifier {
    Observe(Arc<DangerObserveOnly>),
    Strict(Arc<WebPkiServerVerifier>),
}

fn client_config(
    provider: &Arc<CryptoProvider>,
    versions: &[&'static SupportedProtocolVersion],
    verifier: Verifier,
    client: Arc<ClientCertRecorder>,
    opts: &ProbeOptions,
) -> std::result::Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?;
    let builder = match verifier {
        Verifier::Observe(v) => builder.dangerous().with_custom_certificate_verifier(v),
        Verifier::Strict(v) => builder.with_webpki_verifier(v),
    };
    let mut config = builder.with_client_cert_resolver(client);
    // A resumed handshake skips certificate verification: probes see full handshakes unless the
    // question is resumption itself.
    config.resumption = if opts.resume { Resumption::in_memory_sessions(64) } else { Resumption::disabled() };
    if let Some(path) = &opts.keylog {
        config.key_log = Arc::new(FileKeyLog::open(path)?);
    }
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn strict_verifier(
    provider: &Arc<CryptoProvider>,
    trust: &Trust,
) -> std::result::Result<Arc<WebPkiServerVerifier>, String> {
    let mut roots = RootCertStore::empty();
    for r in &trust.roots {
        roots.add(r.clone()).map_err(|e| format!("trusted root: {e}"))?;
    }
    let mut b = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    if !trust.crls.is_empty() {
        // CRLs are given for some CAs only; a CA without one is not a failure here.
        b = b.with_crls(trust.crls.iter().cloned()).allow_unknown_revocation_status();
    }
    b.build().map_err(|e| format!("verifier: {e}"))
}

type ClientTls = tokio_rustls::client::TlsStream<TcpStream>;

/// Connects, from `source` if given.
async fn tcp_connect(addr: SocketAddr, source: Option<std::net::IpAddr>) -> std::io::Result<TcpStream> {
    let Some(ip) = source else { return TcpStream::connect(addr).await };
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.bind(SocketAddr::new(ip, 0))?;
    socket.connect(addr).await
}

/// Writes TLS secrets in the NSS key log format (what SSLKEYLOGFILE files hold).
#[derive(Debug)]
struct FileKeyLog(Mutex<std::fs::File>);

impl FileKeyLog {
    fn open(path: &std::path::Path) -> std::result::Result<FileKeyLog, String> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map(|f| FileKeyLog(Mutex::new(f)))
            .map_err(|e| format!("--keylog {}: {e}", path.display()))
    }
}

impl rustls::KeyLog for FileKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        use std::io::Write;
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        if let Ok(mut f) = self.0.lock() {
            let _ = writeln!(f, "{label} {} {}", hex(client_random), hex(secret));
        }
    }
}

async fn connect(
    addr: SocketAddr,
    host: &str,
    config: Arc<ClientConfig>,
    limit: Duration,
    source: Option<std::net::IpAddr>,
) -> std::result::Result<ClientTls, String> {
    let name =
        ServerName::try_from(host.to_string()).map_err(|e| format!("`{host}` is not a valid server name: {e}"))?;
    let attempt = async {
        let tcp = tcp_connect(addr, source).await.map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        TlsConnector::from(config).connect(name, tcp).await.map_err(|e| io_error_name(&e))
    };
    tokio::time::timeout(limit, attempt).await.unwrap_or_else(|_| Err(format!("no handshake within {limit:?}")))
}

/// The strict connection: `None` when rustls accepts, else (error name, message, alert).
async fn strict_attempt(
    addr: SocketAddr,
    host: &str,
    config: Arc<ClientConfig>,
    limit: Duration,
    source: Option<std::net::IpAddr>,
) -> Option<(String, String, Option<String>)> {
    let name = ServerName::try_from(host.to_string()).ok()?;
    let attempt = async {
        let tcp = tcp_connect(addr, source).await?;
        let mut tls = TlsConnector::from(config).connect(name, tcp).await?;
        // In TLS 1.3 a refused client certificate shows only on the first read.
        let _ = exchange_once(&mut tls, host, false, &CookieJar::default()).await?;
        let _ = tls.shutdown().await;
        Ok::<(), std::io::Error>(())
    };
    let result = match tokio::time::timeout(limit, attempt).await {
        Err(_) => return Some(("Timeout".into(), format!("no answer within {limit:?}"), None)),
        Ok(r) => r,
    };
    let e = result.err()?;
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(te) => {
            let alert = match te {
                rustls::Error::AlertReceived(a) => Some(format!("received {a:?}")),
                other => alert_sent_for(other).map(|a| format!("sent {a:?}")),
            };
            Some((rustls_error_name(te), te.to_string(), alert))
        }
        None => Some(("Io".into(), e.to_string(), None)),
    }
}

fn io_error_name(e: &std::io::Error) -> String {
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(te) => rustls_error_name(te),
        None => e.to_string(),
    }
}

/// The one cookie a probe keeps between requests and connections (a gateway's sticky cookie).
#[derive(Debug, Default)]
struct CookieJar(Mutex<Option<String>>);

async fn exchange(tls: &mut ClientTls, host: &str, n: usize, limit: Duration, close: bool, jar: &CookieJar) -> Secure {
    let mut secure = Secure { responses: vec![], error: None };
    for _ in 0..n {
        let t0 = Instant::now();
        match tokio::time::timeout(limit, exchange_once(tls, host, close, jar)).await {
            Ok(Ok((status, body))) => {
                let page = serde_json::from_slice::<serde_json::Value>(&body).ok();
                let count = page.as_ref().and_then(|v| v["request_on_connection"].as_u64());
                let server = page.as_ref().and_then(|v| v["server"].as_str().map(str::to_string));
                secure.responses.push(Exchange {
                    status,
                    bytes: body.len(),
                    request_on_connection: count,
                    server,
                    ms: ms(t0),
                });
            }
            Ok(Err(e)) => {
                secure.error = Some(io_error_name(&e));
                break;
            }
            Err(_) => {
                secure.error = Some(format!("no response within {limit:?}"));
                break;
            }
        }
    }
    secure
}

/// One GET (keep-alive unless `close`); returns the status and body.
async fn exchange_once(
    tls: &mut ClientTls,
    host: &str,
    close: bool,
    jar: &CookieJar,
) -> std::io::Result<(u16, Vec<u8>)> {
    let conn = if close { "close" } else { "keep-alive" };
    let cookie = jar.0.lock().ok().and_then(|c| c.clone()).map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\nConnection: {conn}\r\n{cookie}User-Agent: pki-lab-probe\r\n\r\n"
    );
    tls.write_all(req.as_bytes()).await?;
    tls.flush().await?;
    // Responses are read through a small buffer that does not outlive this call, so read the
    // body exactly: the pki-lab servers always send Content-Length.
    let mut rd = BufReader::with_capacity(1, &mut *tls);
    let head = http::read_head(&mut rd, http::Kind::Response)
        .await?
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed before a response"))?;
    let status = head.start.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad status line `{}`", head.start))
    })?;
    if let Some(set) = head.header("set-cookie")
        && let Ok(mut c) = jar.0.lock()
    {
        *c = set.split(';').next().map(|kv| kv.trim().to_string());
    }
    let len = head.content_length(http::MAX_RESPONSE_BODY)?;
    let body = http::read_body(&mut rd, len).await?;
    Ok((status, body))
}

/// Checks the observation against an expectation: `pass` (nothing fails) or a set of rule ids.
/// An incomplete probe matches no expectation: it observed too little to say.
pub fn matches(report: &Report, expect: &[Expected]) -> bool {
    if let Outcome::Incomplete { .. } = report.outcome {
        return false;
    }
    Expected::holds(expect, &report.verdict.failed)
}

/// Human form of a report.
pub fn render_text(r: &Report) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let title = r.scenario.as_deref().unwrap_or(&r.target);
    let _ = writeln!(o, "probe {title}  ({}, host {})", r.address, r.hello.sni);
    let h = &r.hello;
    match (&h.version, &h.error) {
        (Some(v), _) => {
            let _ = writeln!(
                o,
                "1 hello          offered {}; chose {v} {} group {} alpn {} ({} handshake, {:.1} ms)",
                h.offered_versions.join(","),
                h.cipher_suite.as_deref().unwrap_or("-"),
                h.key_exchange_group.as_deref().unwrap_or("-"),
                h.alpn.as_deref().unwrap_or("-"),
                h.handshake.as_deref().unwrap_or("-"),
                h.handshake_ms.unwrap_or(0.0)
            );
        }
        (None, e) => {
            let _ = writeln!(
                o,
                "1 hello          offered {}; failed: {}",
                h.offered_versions.join(","),
                e.as_deref().unwrap_or("-")
            );
        }
    }
    // Only what was observed is reported: a step the connection never reached says so.
    let finished = h.handshake.is_some();
    let no_chain = r.certificate.is_empty() && !finished;
    if no_chain {
        let _ = writeln!(o, "2 certificate    did not happen");
    } else {
        let _ = writeln!(o, "2 certificate    {} sent", plural(r.certificate.len(), "certificate"));
    }
    for (i, c) in r.certificate.iter().enumerate() {
        let sans = if c.sans.len() > 4 {
            format!("{} … ({} names)", c.sans[..4].join(", "), c.sans.len())
        } else if c.sans.is_empty() {
            "no SAN".into()
        } else {
            c.sans.join(", ")
        };
        let _ = writeln!(
            o,
            "    [{i}] {}\n        issuer {}\n        valid  {} .. {} ({})\n        names  {sans}",
            c.subject, c.issuer, c.not_before, c.not_after, c.validity_note
        );
    }
    if no_chain {
        let _ = writeln!(o, "3 verification   did not happen (no certificate to check)");
    } else {
        let _ = writeln!(o, "3 verification");
        for line in engine::render_text(&r.verification).lines() {
            let _ = writeln!(o, "    {line}");
        }
    }
    let kx = &r.key_exchange;
    let mut seen = Vec::new();
    if let Some(g) = &kx.group {
        seen.push(format!("ephemeral {g} shares made the keys"));
    }
    match (&kx.signature_scheme, kx.signature_verified) {
        (Some(s), Some(true)) => seen.push(format!("the certificate key signed the handshake ({s}, verified)")),
        (Some(s), _) => seen.push(format!("the handshake signature ({s}) does NOT match the certificate's key")),
        (None, _) if finished => seen.push("no handshake signature seen".into()),
        (None, _) => {}
    }
    if kx.client_certificate_requested {
        seen.push("the server asked for a client certificate".into());
    }
    let kx_line = if seen.is_empty() { "did not happen".to_string() } else { seen.join("; ") };
    let _ = writeln!(o, "4 key exchange   {kx_line}");
    let s = &r.secure_communication;
    let mut line = s
        .responses
        .iter()
        .map(|e| match e.request_on_connection {
            Some(n) => format!("GET / → {} ({} bytes, request #{n} on the connection)", e.status, e.bytes),
            None => format!("GET / → {} ({} bytes)", e.status, e.bytes),
        })
        .collect::<Vec<_>>()
        .join("; ");
    if let Some(e) = &s.error {
        line = if line.is_empty() { format!("stopped: {e}") } else { format!("{line}; stopped: {e}") };
    }
    let line = match (line.is_empty(), finished) {
        (false, _) => line,
        (true, true) => "-".into(),
        (true, false) => "did not happen".into(),
    };
    let _ = writeln!(o, "5 secure comm.   {line}");
    if r.connections.len() > 1 {
        let resumed = r.connections.iter().filter(|c| c.handshake.as_deref() == Some("resumed")).count();
        let _ = writeln!(
            o,
            "connections      {} made, {} full handshakes, {resumed} resumed",
            r.connections.len(),
            r.connections.len() - resumed
        );
        for (i, c) in r.connections.iter().enumerate() {
            let servers = if c.servers.is_empty() { "-".to_string() } else { c.servers.join(", ") };
            let _ = writeln!(
                o,
                "    #{}  {:<22} {:>8}  served by {servers}{}",
                i + 1,
                c.handshake.as_deref().unwrap_or("failed"),
                c.handshake_ms.map_or("-".into(), |m| format!("{m:.1} ms")),
                c.error.as_ref().map_or(String::new(), |e| format!("  ({e})"))
            );
        }
    }
    let v = &r.verdict;
    let verdict = match &r.outcome {
        Outcome::Pass => format!("PASS (rustls: {})", v.rustls),
        Outcome::Fail => format!("FAIL {}", RuleId::join(&v.failed, ", ")),
        Outcome::Incomplete { step, reason } => format!("INCOMPLETE at {}: {reason}", step.as_str()),
    };
    let _ = writeln!(o, "verdict          {verdict}");
    if r.outcome != Outcome::Pass {
        let _ = writeln!(
            o,
            "  rustls says    {}{}",
            v.rustls,
            v.rustls_message.as_ref().map_or(String::new(), |m| format!(": {m}"))
        );
        if let Some(a) = &v.alert {
            let _ = writeln!(o, "  alert          {a}");
        }
    }
    o
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// Parses `host:port`, `[v6]:port` or `https://host[:port]/…` into (host, port).
pub fn parse_target(t: &str) -> Option<(String, u16)> {
    let (rest, default_port) = match t.strip_prefix("https://") {
        Some(r) => (r.split('/').next().unwrap_or(r), Some(443)),
        None => (t, None),
    };
    if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default_port?,
        };
        return Some((host.to_string(), port));
    }
    match rest.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_string(), p.parse().ok()?)),
        _ => Some((rest.to_string(), default_port?)),
    }
}

/// Reads a client identity from a directory holding `cert.pem` (or `chain.pem`) and `key.pem`.
/// What a probe of `entry` presents unless told otherwise (`--client-cert`): the scenario's own
/// client certificate, when its template says the probe presents one.
pub fn scenario_identity(
    lab: &std::path::Path,
    entry: &crate::labdir::manifest::ScenarioEntry,
) -> Result<Option<ClientIdentity>> {
    match &entry.files.client_chain {
        Some(_) if entry.serve.probe_client_cert => {
            load_identity(&lab.join(format!("scenarios/{}/client", entry.name))).map(Some)
        }
        _ => Ok(None),
    }
}

pub fn load_identity(dir: &std::path::Path) -> Result<ClientIdentity> {
    let chain_file = if dir.join("chain.pem").is_file() { dir.join("chain.pem") } else { dir.join("cert.pem") };
    let chain = crate::pki::ca::parse_certs(
        &crate::labdir::fsutil::read_to_string(&chain_file)?,
        &chain_file.display().to_string(),
    )?;
    if chain.is_empty() {
        return Err(Error::Parse { context: chain_file.display().to_string(), message: "no CERTIFICATE block".into() });
    }
    Ok(ClientIdentity { chain, key_pem: crate::labdir::fsutil::read_to_string(&dir.join("key.pem"))? })
}

/// CRLs from files: PEM (any number of blocks) or DER, each checked to parse ([`crate::pki::pem::read_crls`]).
pub fn load_crls(paths: &[std::path::PathBuf]) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    let mut crls = Vec::new();
    for p in paths {
        crls.extend(crate::pki::pem::read_crls(p)?);
    }
    Ok(crls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(parse_target("localhost:8443"), Some(("localhost".into(), 8443)));
        assert_eq!(parse_target("https://example.test/x"), Some(("example.test".into(), 443)));
        assert_eq!(parse_target("https://example.test:8443/x"), Some(("example.test".into(), 8443)));
        assert_eq!(parse_target("[::1]:8443"), Some(("::1".into(), 8443)));
        assert_eq!(parse_target("expired"), None);
    }

    fn hello(handshake: Option<&str>, error: Option<&str>) -> Hello {
        Hello {
            offered_versions: vec![],
            version: None,
            cipher_suite: None,
            key_exchange_group: None,
            sni: "localhost".into(),
            alpn: None,
            handshake: handshake.map(str::to_string),
            handshake_ms: None,
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn no_failed_rule_is_a_pass_only_after_a_completed_handshake() {
        let none: &[RuleId] = &[];
        assert_eq!(outcome(none, &hello(Some("full"), None), true), Outcome::Pass);
        assert_eq!(outcome(&[RuleId::SignatureInvalid], &hello(None, Some("BadSignature")), true), Outcome::Fail);
        assert_eq!(
            outcome(none, &hello(None, Some("InvalidMessage")), false),
            Outcome::Incomplete { step: Step::Hello, reason: "the server did not speak TLS (InvalidMessage)".into() }
        );
        // A certificate arrived, but the handshake stopped after it for no rule's reason.
        assert_eq!(
            outcome(none, &hello(None, Some("tls handshake eof")), true),
            Outcome::Incomplete { step: Step::KeyExchange, reason: "tls handshake eof".into() }
        );
        let json = serde_json::to_value(Outcome::Incomplete { step: Step::Hello, reason: "r".into() }).expect("json");
        assert_eq!(json, serde_json::json!({"outcome": "incomplete", "incomplete": {"step": "hello", "reason": "r"}}));
    }
}
