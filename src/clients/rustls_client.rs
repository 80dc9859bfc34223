//! rustls 0.23 as a client, in process: `WebPkiServerVerifier` over the lab root (and CRLs),
//! one HTTPS request; the error is named as the manifest names rustls errors.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use crate::clients::{ClientOutcome, Target};
use crate::error::{Error, Result};
use crate::verdict::outcome::rustls_error_name;

pub fn run(t: &Target) -> Result<ClientOutcome> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = |e: rustls::Error| Error::Tls(format!("rustls client: {e}"));
    let mut roots = RootCertStore::empty();
    for root in crate::pki::pem::read_certs(&t.ca)? {
        roots.add(root).map_err(tls)?;
    }
    let mut verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    if !t.crls.is_empty() {
        verifier = verifier.with_crls(crate::probe::load_crls(&t.crls)?);
    }
    let verifier = verifier.build().map_err(|e| Error::Tls(format!("rustls verifier: {e}")))?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls)?
        .with_webpki_verifier(verifier);
    let config = match (&t.client_cert, &t.client_key) {
        (Some(cert), Some(key)) => {
            let chain = crate::pki::pem::read_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| Error::Parse { context: key.display().to_string(), message: e.to_string() })?;
            builder.with_client_auth_cert(chain, key).map_err(tls)?
        }
        _ => builder.with_no_client_auth(),
    };
    let name = ServerName::try_from(t.host.clone())
        .map_err(|e| Error::Input(format!("`{}` is not a valid server name: {e}", t.host)))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(tls)?;
    let tcp = TcpStream::connect(("127.0.0.1", t.port))
        .map_err(|e| Error::Network(format!("cannot connect to 127.0.0.1:{}: {e}", t.port)))?;
    for set in [TcpStream::set_read_timeout, TcpStream::set_write_timeout] {
        set(&tcp, Some(Duration::from_secs(20))).map_err(|e| Error::Network(e.to_string()))?;
    }
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let request = crate::clients::command::get_request(&t.host);
    let mut answer = Vec::new();
    let result =
        stream.write_all(&request).and_then(|()| stream.flush()).and_then(|()| stream.read_to_end(&mut answer));
    let answered = String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200 ");
    Ok(match result {
        // The server closes after its answer without close_notify at times: the answer counts.
        _ if answered => ClientOutcome { accepted: true, code: "ok".into(), text: "HTTP/1.1 200".into() },
        Err(e) => match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            Some(err) => ClientOutcome { accepted: false, code: rustls_error_name(err), text: err.to_string() },
            None => ClientOutcome { accepted: false, code: format!("{:?}", e.kind()), text: e.to_string() },
        },
        Ok(_) => ClientOutcome {
            accepted: false,
            code: "NoAnswer".into(),
            text: "the server closed without an answer".into(),
        },
    })
}
