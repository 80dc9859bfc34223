//! A server of your own using a certificate issued by pki-lab: issue one for `localhost` and
//! 127.0.0.1, build the rustls server configuration, accept a connection, and check that a
//! client trusting only the test CA talks to it.
//!
//! Run it: `cargo run --example server` (and `cargo test --example server`).

use pki_lab::testing::TestCa;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Issues a certificate, serves one "hello" over TLS, and connects to it by name and by address.
pub async fn run() -> Result<(), BoxError> {
    let ca = TestCa::new()?;
    let cert = ca.issue(&["localhost", "127.0.0.1"])?;
    let acceptor = TlsAcceptor::from(cert.server_config()?);

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let (tcp, _) = listener.accept().await?;
            let mut tls = acceptor.accept(tcp).await?;
            tls.write_all(b"hello from a pki-lab certificate\n").await?;
            tls.shutdown().await?;
        }
        Ok::<(), std::io::Error>(())
    });

    let connector = TlsConnector::from(ca.client_config()?);
    for name in ["localhost", "127.0.0.1"] {
        let tcp = TcpStream::connect(addr).await?;
        let mut tls = connector.connect(ServerName::try_from(name)?, tcp).await?;
        let mut got = String::new();
        tls.read_to_string(&mut got).await?;
        assert_eq!(got, "hello from a pki-lab certificate\n");
        println!("{name}: {}", got.trim_end());
    }
    server.await??;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    run().await
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_server_with_an_issued_certificate_is_trusted_by_name_and_address() {
        if let Err(e) = super::run().await {
            panic!("{e}");
        }
    }
}
