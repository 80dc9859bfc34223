//! A client test of the kind pki-lab exists for: your HTTPS client must refuse an expired
//! server certificate, and say so precisely. Here the client is rustls (through tokio-rustls);
//! the server is pki-lab's `expired` scenario, started on a free port in the test itself.
//!
//! Run it: `cargo run --example expired_client` (and `cargo test --example expired_client`).

use pki_lab::testing::TestCa;
use rustls::pki_types::ServerName;
use rustls::{CertificateError, Error as TlsError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connects to `addr` as `localhost`; returns the TLS error, or the first bytes of the answer.
async fn get(ca: &TestCa, addr: std::net::SocketAddr) -> Result<Result<String, TlsError>, BoxError> {
    let tcp = TcpStream::connect(addr).await?;
    let connector = TlsConnector::from(ca.client_config()?);
    let mut tls = match connector.connect(ServerName::try_from("localhost")?, tcp).await {
        Ok(tls) => tls,
        Err(e) => {
            let tls_error = e.get_ref().and_then(|inner| inner.downcast_ref::<TlsError>()).cloned();
            return tls_error.map(Err).ok_or_else(|| e.into());
        }
    };
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await?;
    let mut body = String::new();
    tls.read_to_string(&mut body).await?;
    Ok(Ok(body))
}

/// The whole example: a control that passes, then the expired server and its exact error.
pub async fn run() -> Result<(), BoxError> {
    let ca = TestCa::new()?;

    // Control: the valid scenario is accepted, so a failure below is the certificate's fault.
    let valid = ca.serve("valid").await?;
    let page = get(&ca, valid.addr()).await?.map_err(|e| format!("valid was refused: {e}"))?;
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");

    let expired = ca.serve("expired").await?;
    let err = match get(&ca, expired.addr()).await? {
        Ok(page) => return Err(format!("an expired certificate was accepted: {page}").into()),
        Err(e) => e,
    };
    match &err {
        TlsError::InvalidCertificate(CertificateError::ExpiredContext { time, not_after }) => {
            let ago = time.as_secs().saturating_sub(not_after.as_secs());
            assert!(ago >= 86_400 - 60, "expired a day ago, found {ago} s");
            println!("refused as expected: {err}");
        }
        other => return Err(format!("expected InvalidCertificate(ExpiredContext), found {other:?}").into()),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    run().await
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_rustls_client_refuses_the_expired_server_with_expired_context() {
        if let Err(e) = super::run().await {
            panic!("{e}");
        }
    }
}
