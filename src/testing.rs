//! Certificates for your own tests, in memory, in the spirit of Python's trustme: make a CA,
//! issue a certificate (valid, or with any catalogue scenario's defect), take ready rustls
//! configurations, or start a scenario server on a free port.
//!
//! Three calls and you are done:
//!
//! ```
//! use pki_lab::testing::TestCa;
//!
//! let ca = TestCa::new()?;                              // 1. an in-memory CA
//! let cert = ca.issue(&["localhost", "127.0.0.1"])?;    // 2. a certificate for your names
//! let server = cert.server_config()?;                   // 3. ready configurations
//! let client = ca.client_config()?;
//! # let _ = (server, client);
//! # Ok::<(), pki_lab::Error>(())
//! ```
//!
//! A client test against a broken server, asserting the exact error:
//!
//! ```
//! use pki_lab::testing::TestCa;
//! use rustls::{CertificateError, Error};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ca = TestCa::new()?;
//! let server = ca.serve("expired").await?;              // a real TLS server on 127.0.0.1:<free port>
//! let tcp = tokio::net::TcpStream::connect(server.addr()).await?;
//! let connector = tokio_rustls::TlsConnector::from(ca.client_config()?);
//! let err = connector.connect("localhost".try_into()?, tcp).await.expect_err("an expired server is refused");
//! let tls = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
//! assert!(matches!(tls, Some(Error::InvalidCertificate(CertificateError::ExpiredContext { .. }))), "{err}");
//! # Ok(())
//! # }
//! ```
//!
//! The root is name-constrained like a lab's ([`crate::pki::ca::DEFAULT_PERMITTED`]: `localhost`,
//! `*.test`, loopback and private addresses, …), so a certificate from a test can never be
//! mistaken for a real site's. See `examples/` for complete tests.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use time::OffsetDateTime;

use crate::catalogue::rules::RuleId;
use crate::catalogue::template::{Catalogue, Template};
use crate::error::{Error, Result};
use crate::pki::ca::{self, CaOptions, LabCa};
use crate::pki::issue::{self, Anchor, Request};
use crate::pki::keys::KeyType;
use crate::pki::names;
use crate::serve::{self, Running, ServeOptions};

/// An in-memory lab CA: a name-constrained root, an intermediate, a rogue root, and the
/// scenario catalogue. Nothing touches the disk.
pub struct TestCa {
    lab: LabCa,
    catalogue: Catalogue,
    permitted: Vec<String>,
}

/// A certificate chain and its key, with what a server of its scenario does.
pub struct TestCert {
    /// The scenario it was made like (`valid` for [`TestCa::issue`]).
    pub scenario: String,
    /// The rule the scenario breaks, `None` for a valid certificate.
    pub rule: Option<RuleId>,
    summary: String,
    /// What a server sends: the leaf first, then intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key a server signs with (PEM, PKCS#8).
    pub key_pem: String,
    /// The root the chain ends at, if any (the rogue root for `untrusted-root`).
    pub anchor: Option<CertificateDer<'static>>,
    template: Template,
    client: Option<(Vec<CertificateDer<'static>>, String)>,
    client_roots: Vec<CertificateDer<'static>>,
}

/// A scenario server on a free loopback port; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    running: Running,
}

impl TestCa {
    /// A new CA with P-256 keys, valid from a day ago for ten years.
    pub fn new() -> Result<TestCa> {
        Self::with_key_type(KeyType::P256)
    }

    /// A new CA whose keys (and the default leaf keys) are of `key_type`.
    pub fn with_key_type(key_type: KeyType) -> Result<TestCa> {
        let opts = CaOptions { key_type, ..CaOptions::default() };
        let permitted = opts.permitted.clone().unwrap_or_default();
        Ok(TestCa {
            lab: LabCa::create(&opts, OffsetDateTime::now_utc())?,
            catalogue: Catalogue::builtin()?,
            permitted,
        })
    }

    /// The root certificate clients trust.
    pub fn root(&self) -> CertificateDer<'static> {
        self.lab.root.der.clone()
    }

    /// The root certificate in PEM, for clients configured by file.
    pub fn root_pem(&self) -> &str {
        &self.lab.root.pem
    }

    /// A root store holding the lab root.
    pub fn root_store(&self) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        roots.add(self.root()).map_err(|e| Error::Parse { context: "the test root".into(), message: e.to_string() })?;
        Ok(roots)
    }

    /// A rustls client configuration that trusts this CA (and nothing else).
    pub fn client_config(&self) -> Result<Arc<ClientConfig>> {
        Ok(Arc::new(client_builder()?.with_root_certificates(self.root_store()?).with_no_client_auth()))
    }

    /// A client configuration that trusts this CA and presents `identity` (from
    /// [`TestCa::issue_client`], or a mutual-TLS scenario's client certificate).
    pub fn client_config_with_auth(&self, identity: &TestCert) -> Result<Arc<ClientConfig>> {
        let (chain, key) = match &identity.client {
            Some((c, k)) => (c.clone(), k.clone()),
            None => (identity.chain.clone(), identity.key_pem.clone()),
        };
        let key = parse_key(&key)?;
        let config = client_builder()?
            .with_root_certificates(self.root_store()?)
            .with_client_auth_cert(chain, key)
            .map_err(|e| Error::Tls(format!("client certificate: {e}")))?;
        Ok(Arc::new(config))
    }

    /// A valid server certificate for `names` (DNS names, wildcards, IP addresses, emails,
    /// URIs), signed by the intermediate. Names outside the root's constraints are refused.
    pub fn issue(&self, names: &[&str]) -> Result<TestCert> {
        self.issue_like("valid", names)
    }

    /// A certificate for `names` that also allows client authentication.
    pub fn issue_client(&self, names: &[&str]) -> Result<TestCert> {
        self.make("valid", Some(names), true)
    }

    /// A certificate for `names` with the defect of the catalogue scenario `scenario`
    /// (`expired`, `wrong-purpose`, `untrusted-root`, …).
    pub fn issue_like(&self, scenario: &str, names: &[&str]) -> Result<TestCert> {
        self.make(scenario, Some(names), false)
    }

    /// The catalogue scenario exactly as `pki-lab init` makes it (for `localhost`, 127.0.0.1
    /// and ::1), with its client certificate if it has one.
    pub fn scenario(&self, scenario: &str) -> Result<TestCert> {
        self.make(scenario, None, false)
    }

    /// Starts the scenario's server on 127.0.0.1 and a free port. It answers HTTP/1.1 like
    /// `pki-lab serve`. Must be called inside a tokio runtime.
    pub async fn serve(&self, scenario: &str) -> Result<TestServer> {
        self.scenario(scenario)?.serve().await
    }

    fn make(&self, scenario: &str, names: Option<&[&str]>, client: bool) -> Result<TestCert> {
        let like = self.catalogue.get(scenario)?;
        let now = OffsetDateTime::now_utc();
        let template = match names {
            Some(names) => {
                let owned: Vec<String> = names.iter().map(|s| s.to_string()).collect();
                let parsed = names::parse_all(&owned)?;
                names::check_permitted(&parsed, Some(&self.permitted))?;
                issue::tailor(like, &Request { names: parsed, client, ..Request::default() }, now)?
            }
            None => like.clone(),
        };
        let made = issue::issue(&template, &self.lab, KeyType::P256, now)?;
        let anchor = match made.anchor {
            Anchor::Root => Some(self.lab.root.der.clone()),
            Anchor::RogueRoot => Some(self.lab.rogue.der.clone()),
            Anchor::Scenario => made.own_anchor.clone(),
            Anchor::None => None,
        };
        Ok(TestCert {
            scenario: like.name.clone(),
            rule: like.breaks,
            summary: like.summary.clone(),
            chain: made.served,
            key_pem: made.served_key_pem,
            anchor,
            client: made.client.map(|c| (c.chain, c.key_pem)),
            client_roots: vec![self.lab.root.der.clone()],
            template,
        })
    }
}

impl TestCert {
    /// The leaf certificate in PEM.
    pub fn cert_pem(&self) -> String {
        self.chain.first().map(|c| ca::pem_cert(c)).unwrap_or_default()
    }

    /// The chain a server sends, in PEM (leaf first).
    pub fn chain_pem(&self) -> String {
        self.chain.iter().map(|c| ca::pem_cert(c)).collect()
    }

    /// The private key in PEM (PKCS#8).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The key as rustls takes it.
    pub fn private_key(&self) -> Result<PrivateKeyDer<'static>> {
        parse_key(&self.key_pem)
    }

    /// Writes cert.pem, chain.pem and key.pem (0600) into `dir`, for servers configured by file.
    pub fn write_to(&self, dir: &std::path::Path) -> Result<()> {
        use crate::labdir::fsutil::{self, PUBLIC, SECRET};
        fsutil::create_dir(dir)?;
        fsutil::write_atomic(&dir.join("cert.pem"), self.cert_pem().as_bytes(), PUBLIC)?;
        fsutil::write_atomic(&dir.join("chain.pem"), self.chain_pem().as_bytes(), PUBLIC)?;
        fsutil::write_atomic(&dir.join("key.pem"), self.key_pem.as_bytes(), SECRET)
    }

    /// A rustls server configuration presenting this chain, with the scenario's TLS versions
    /// and client-certificate demand. It does not check that the key matches the certificate,
    /// so `key-mismatch` and `unknown-critical-extension` can be served too.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>> {
        let client_roots = self.template.serve.client_auth.then_some(self.client_roots.as_slice());
        serve::build_config(
            &self.scenario,
            self.chain.clone(),
            self.private_key()?,
            &self.template.serve.versions,
            client_roots,
            &crate::serve::session::SessionOptions::default(),
        )
    }

    /// Starts a server presenting this certificate on 127.0.0.1 and a free port.
    pub async fn serve(&self) -> Result<TestServer> {
        let opts = ServeOptions { log: false, ..ServeOptions::default() };
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let running =
            serve::start_config(addr, &self.scenario, self.rule, &self.summary, self.server_config()?, &opts).await?;
        let addr =
            running.addr(&self.scenario).ok_or_else(|| Error::Network("the test server did not start".into()))?;
        Ok(TestServer { addr, running })
    }
}

impl TestServer {
    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://localhost:<port>/`: the scenarios are issued for `localhost`.
    pub fn url(&self) -> String {
        format!("https://localhost:{}/", self.addr.port())
    }

    /// Stops accepting and closes every connection (dropping the server does too).
    pub async fn shutdown(self) {
        self.running.shutdown().await;
    }
}

fn client_builder() -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(format!("client configuration: {e}")))
}

fn parse_key(pem: &str) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| Error::Parse { context: "the test key".into(), message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_outside_the_root_are_refused_and_inside_are_issued() {
        let ca = TestCa::new().expect("ca");
        let err = ca.issue(&["www.example.com"]).err().expect("outside the constraints").to_string();
        assert!(err.contains("refusing to issue for www.example.com"), "{err}");
        let cert = ca.issue(&["app.test", "127.0.0.1"]).expect("inside");
        assert_eq!(cert.chain.len(), 2, "leaf and intermediate");
        assert!(cert.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    }

    /// Connects as `localhost`, sends one request and returns the status line or the TLS error.
    async fn get(server: &TestServer, config: Arc<ClientConfig>) -> std::result::Result<String, String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let tcp = tokio::net::TcpStream::connect(server.addr()).await.map_err(|e| e.to_string())?;
        let name = rustls::pki_types::ServerName::try_from("localhost").map_err(|e| e.to_string())?;
        let tls_err = |e: std::io::Error| match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            Some(t) => crate::verdict::outcome::rustls_error_name(t),
            None => e.to_string(),
        };
        let mut tls = tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.map_err(tls_err)?;
        tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.map_err(tls_err)?;
        let mut page = String::new();
        tls.read_to_string(&mut page).await.map_err(tls_err)?;
        Ok(page.lines().next().unwrap_or_default().to_string())
    }

    #[tokio::test]
    async fn a_mutual_tls_scenario_wants_its_client_certificate_and_gets_it() {
        let ca = TestCa::new().expect("ca");
        let server = ca.serve("client-cert-required").await.expect("serve");
        let anonymous = get(&server, ca.client_config().expect("config")).await;
        assert_eq!(anonymous, Err("AlertReceived(CertificateRequired)".into()));
        let identity = ca.scenario("client-cert-required").expect("scenario");
        let authed = get(&server, ca.client_config_with_auth(&identity).expect("config")).await;
        assert_eq!(authed, Ok("HTTP/1.1 200 OK".into()));
        let alice = ca.issue_client(&["alice@app.test"]).expect("client cert");
        assert_eq!(
            get(&server, ca.client_config_with_auth(&alice).expect("config")).await,
            Ok("HTTP/1.1 200 OK".into())
        );
    }

    #[tokio::test]
    async fn your_names_with_a_scenario_defect_fail_as_the_scenario_does() {
        let ca = TestCa::new().expect("ca");
        let client = ca.client_config().expect("config");
        let valid = ca.issue(&["localhost"]).expect("valid").serve().await.expect("serve");
        assert_eq!(get(&valid, client.clone()).await, Ok("HTTP/1.1 200 OK".into()));
        for (scenario, error) in
            [("untrusted-root", "UnknownIssuer"), ("wrong-purpose", "InvalidPurpose"), ("expired", "Expired")]
        {
            let cert = ca.issue_like(scenario, &["localhost"]).expect("issued");
            assert!(cert.rule.is_some(), "{scenario} breaks a rule");
            let server = cert.serve().await.expect("serve");
            assert_eq!(get(&server, client.clone()).await, Err(error.to_string()), "{scenario}");
        }
    }
}
