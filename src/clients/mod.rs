//! The real TLS clients pki-lab measures: one adapter per client, each run against one target
//! (a scenario server) and reduced to a [`ClientOutcome`]: accepted or not, a stable short code
//! and the client's full message.
//!
//! Every adapter gives its client the lab root, the scenario's CRLs (where the client can take
//! them) and its client certificate (where the template presents one), the way
//! `docs/using-in-tests.md` shows a user doing it. Go, Java, Node and Python need a small
//! program: their sources sit beside this file and are written into the work directory.

pub mod chromium;
mod command;
pub mod measured;
mod rustls_client;
mod scripts;
mod tools;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::labdir::manifest::{Manifest, ScenarioEntry};

/// A client pki-lab runs. The kebab-case names are stable: they are the manifest's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientId {
    /// `openssl s_client -verify_return_error -verify_hostname`: the verify code.
    OpensslSClient,
    /// curl (OpenSSL): the exit code.
    Curl,
    /// rustls 0.23 in process, `WebPkiServerVerifier`: the error variant.
    Rustls,
    /// Python's `ssl` module: OpenSSL's verify code, or the SSL error's reason.
    PythonSsl,
    /// Python requests (urllib3 2): the same codes, from the error it wraps.
    PythonRequests,
    /// Go `net/http` + `crypto/tls`: the error type (and `x509` reason).
    Go,
    /// Node.js `https`: `err.code`.
    Node,
    /// Java (JSSE, `HttpsURLConnection`): the exception, or the alert received.
    Java,
    /// `gnutls-cli`: the verification status, or the alert.
    Gnutls,
    /// GNU Wget (GnuTLS): the exit code.
    Wget,
    /// Headless Chromium: the `net::ERR_…` of its error page.
    Chromium,
}

impl ClientId {
    /// Every client, in the order the manifest and the tables show them.
    pub fn all() -> &'static [ClientId] {
        use ClientId::*;
        &[OpensslSClient, Curl, Rustls, PythonSsl, PythonRequests, Go, Node, Java, Gnutls, Wget, Chromium]
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClientId::OpensslSClient => "openssl-s-client",
            ClientId::Curl => "curl",
            ClientId::Rustls => "rustls",
            ClientId::PythonSsl => "python-ssl",
            ClientId::PythonRequests => "python-requests",
            ClientId::Go => "go",
            ClientId::Node => "node",
            ClientId::Java => "java",
            ClientId::Gnutls => "gnutls",
            ClientId::Wget => "wget",
            ClientId::Chromium => "chromium",
        }
    }

    /// The program the adapter runs (none for rustls, which runs in process).
    pub fn program(self) -> Option<&'static str> {
        match self {
            ClientId::OpensslSClient => Some("openssl"),
            ClientId::Curl => Some("curl"),
            ClientId::Rustls => None,
            ClientId::PythonSsl | ClientId::PythonRequests => Some("python3"),
            ClientId::Go => Some("go"),
            ClientId::Node => Some("node"),
            ClientId::Java => Some("java"),
            ClientId::Gnutls => Some("gnutls-cli"),
            ClientId::Wget => Some("wget"),
            ClientId::Chromium => Some("chromium"),
        }
    }

    /// The Debian package that installs [`ClientId::program`].
    pub fn package(self) -> Option<&'static str> {
        match self {
            ClientId::OpensslSClient => Some("openssl"),
            ClientId::Curl => Some("curl"),
            ClientId::Rustls => None,
            ClientId::PythonSsl => Some("python3"),
            ClientId::PythonRequests => Some("python3-requests"),
            ClientId::Go => Some("golang-go"),
            ClientId::Node => Some("nodejs"),
            ClientId::Java => Some("default-jdk-headless"),
            ClientId::Gnutls => Some("gnutls-bin"),
            ClientId::Wget => Some("wget"),
            ClientId::Chromium => Some("chromium"),
        }
    }

    /// Whether the client can be given a CRL at all. Those that cannot accept `revoked`, and their
    /// outcome says so.
    pub fn takes_crl(self) -> bool {
        !matches!(self, ClientId::PythonRequests | ClientId::Go | ClientId::Chromium)
    }

    /// Whether the adapter can present a client certificate. Headless Chromium picks one only
    /// through an enterprise policy file under /etc, which a test must not write.
    pub fn presents_client_cert(self) -> bool {
        !matches!(self, ClientId::Chromium)
    }

    /// The code of an accepted connection.
    pub fn accepted_code(self) -> &'static str {
        match self {
            ClientId::OpensslSClient | ClientId::Curl | ClientId::Wget | ClientId::Gnutls => "0",
            _ => "ok",
        }
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClientId {
    type Err = Error;
    fn from_str(s: &str) -> Result<ClientId> {
        // `python` is the `ssl` module, as the manifest's old `python` column was.
        let s = match s {
            "python" => "python-ssl",
            "openssl" | "s_client" => "openssl-s-client",
            other => other,
        };
        ClientId::all().iter().copied().find(|c| c.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = ClientId::all().iter().map(|c| c.as_str()).collect();
            let hint = match crate::error::suggest(s, names.iter().copied()) {
                Some(n) => format!("; did you mean `{n}`?"),
                None => String::new(),
            };
            Error::Input(format!("unknown client `{s}`{hint}\n  clients: {}", names.join(", ")))
        })
    }
}

/// What a client connects to, and what it is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `https://localhost:PORT/`.
    pub url: String,
    /// The name to verify and send as SNI.
    pub host: String,
    pub port: u16,
    /// The roots to trust (PEM).
    pub ca: PathBuf,
    /// CRLs (PEM), the leaf's issuer's first; empty: no revocation checking.
    pub crls: Vec<PathBuf>,
    /// The CA certificates below the root that signed those CRLs: gnutls-cli checks each CRL
    /// against its CA file, so it is given these too.
    pub crl_issuers: Vec<PathBuf>,
    /// The client certificate chain (PEM, leaf first) and its key, presented when asked.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

impl Target {
    /// A scenario of a lab served on `port` of 127.0.0.1, given what a careful client gets: the
    /// lab root (or the scenario's own, `files.anchor`), both lab CRLs where the scenario has a
    /// CRL (its own first, where it has one), its client certificate where the template presents it.
    pub fn for_scenario(lab: &Path, manifest: &Manifest, entry: &ScenarioEntry, port: u16) -> Target {
        let crls = match &entry.files.crl {
            Some(crl) => {
                let mut v = vec![lab.join(crl)];
                for other in [&manifest.ca.intermediate_crl, &manifest.ca.root_crl] {
                    if other != crl {
                        v.push(lab.join(other));
                    }
                }
                v
            }
            None => vec![],
        };
        let mut crl_issuers = if crls.is_empty() { vec![] } else { vec![lab.join(&manifest.ca.intermediate)] };
        crl_issuers.extend(entry.files.crl_issuer.as_ref().map(|c| lab.join(c)));
        let present = entry.serve.probe_client_cert;
        let client_cert = entry.files.client_chain.as_ref().or(entry.files.client_cert.as_ref());
        Target {
            url: format!("https://{}:{port}/", manifest.host),
            host: manifest.host.clone(),
            port,
            ca: lab.join(entry.trusted_root(&manifest.ca)),
            crls,
            crl_issuers,
            client_cert: client_cert.filter(|_| present).map(|p| lab.join(p)),
            client_key: entry.files.client_key.as_ref().filter(|_| present).map(|p| lab.join(p)),
        }
    }
}

/// What one client did with one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientOutcome {
    /// The HTTPS request got an answer from the server.
    pub accepted: bool,
    /// A stable short code: the exit or verify code (`0` accepted), the error variant or type,
    /// `net::ERR_…`; `ok` for an accepted connection where the client has no number.
    pub code: String,
    /// The client's full message (documentation: it names ports, times and paths).
    pub text: String,
}

/// Runs `client` against `target`. `work_dir` holds what the adapter writes (scripts, the Go
/// binary, Chromium's profile); reuse it between calls to build things once.
///
/// A missing program is [`Error::MissingClient`], naming the Debian package; a client that ran and
/// refused is an `Ok` outcome with `accepted: false`.
pub fn run(client: ClientId, target: &Target, work_dir: &Path) -> Result<ClientOutcome> {
    if let (Some(program), Some(package)) = (client.program(), client.package())
        && !command::on_path(program)
    {
        return Err(Error::MissingClient { client: client.as_str(), program, package });
    }
    crate::labdir::fsutil::create_dir(work_dir)?;
    let mut outcome = match client {
        ClientId::OpensslSClient => tools::s_client(target)?,
        ClientId::Curl => tools::curl(target, work_dir)?,
        ClientId::Rustls => rustls_client::run(target)?,
        ClientId::PythonSsl => scripts::python(target, work_dir, "ssl")?,
        ClientId::PythonRequests => scripts::python(target, work_dir, "requests")?,
        ClientId::Go => scripts::go(target, work_dir)?,
        ClientId::Node => scripts::node(target, work_dir)?,
        ClientId::Java => scripts::java(target, work_dir)?,
        ClientId::Gnutls => tools::gnutls(target, work_dir)?,
        ClientId::Wget => tools::wget(target, work_dir)?,
        ClientId::Chromium => chromium::run(target, work_dir)?,
    };
    if !target.crls.is_empty() && !client.takes_crl() {
        outcome.text = format!("{client} takes no CRL, so revocation was not checked; {}", outcome.text);
    }
    if target.client_cert.is_some() && !client.presents_client_cert() {
        outcome.text = format!("{client} was given no client certificate (the adapter cannot); {}", outcome.text);
    }
    Ok(outcome)
}

/// A PEM file with every CRL of `target`, for clients that take one file (curl, wget, gnutls).
fn crls_in_one_file(target: &Target, work_dir: &Path) -> Result<Option<PathBuf>> {
    if target.crls.is_empty() {
        return Ok(None);
    }
    let mut all = String::new();
    for crl in &target.crls {
        all.push_str(&crate::labdir::fsutil::read_to_string(crl)?);
    }
    let path = work_dir.join(format!("crls-{:x}.pem", hash(all.as_bytes())));
    crate::labdir::fsutil::write_atomic(&path, all.as_bytes(), crate::labdir::fsutil::PUBLIC)?;
    Ok(Some(path))
}

/// A short non-cryptographic digest, to name files by their content.
fn hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_round_trip_and_typos_get_a_suggestion() {
        for c in ClientId::all() {
            assert_eq!(c.as_str().parse::<ClientId>().expect("parses"), *c);
            let json = serde_json::to_value(c).expect("json");
            assert_eq!(json, c.as_str());
        }
        assert_eq!("python".parse::<ClientId>().expect("alias"), ClientId::PythonSsl);
        let err = "chromuim".parse::<ClientId>().expect_err("typo").to_string();
        assert!(err.contains("did you mean `chromium`?"), "{err}");
    }
}
