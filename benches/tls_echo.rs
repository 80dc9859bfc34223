//! Not a criterion benchmark: the smallest HTTPS server on the stack pki-lab is built on
//! (tokio + tokio-rustls + aws-lc-rs), an anchor for `bench/handshakes.sh`. It answers every
//! request with a fixed page and closes. Same TLS settings as `pki-lab serve` where they cost
//! work (TLS13_AES_128_GCM_SHA256 first, no session cache, no tickets), nothing else: no log,
//! no timeouts, no ClientHello peek.
//!
//! `cargo bench --bench tls_echo -- CHAIN_PEM KEY_PEM PORT_FILE` (binds 127.0.0.1:0, writes the
//! port to PORT_FILE).

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // cargo bench passes `--bench`.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let [chain, key, port_file] = args.as_slice() else {
        return Err("usage: tls_echo CHAIN_PEM KEY_PEM PORT_FILE".into());
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(chain)?.collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_file(key)?;
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.cipher_suites.sort_by_key(|s| s.suite() != rustls::CipherSuite::TLS13_AES_128_GCM_SHA256);
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.ignore_client_order = true;
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    // TLS_ECHO_PER_CORE=N: N threads, each a current-thread runtime accepting on its own
    // SO_REUSEPORT listener (no work stealing, no cross-thread wake-ups); else one multi-thread
    // runtime (TOKIO_WORKER_THREADS workers), as `pki-lab serve` runs.
    let per_core: usize = std::env::var("TLS_ECHO_PER_CORE").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    if per_core > 0 {
        // The first thread binds a free port; the others join it there.
        let (tx, rx) = std::sync::mpsc::channel::<u16>();
        let mut port = 0;
        let mut threads = Vec::new();
        for i in 0..per_core {
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            threads.push(std::thread::spawn(move || -> std::io::Result<()> {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                let local = tokio::task::LocalSet::new();
                local.block_on(&rt, async move {
                    let listener = reuseport_listener(port)?;
                    if i == 0 {
                        let _ = tx.send(listener.local_addr()?.port());
                    }
                    loop {
                        let (tcp, _) = listener.accept().await?;
                        tokio::task::spawn_local(serve_one(acceptor.clone(), tcp));
                    }
                })
            }));
            if i == 0 {
                port = rx.recv()?;
            }
        }
        std::fs::write(port_file, port.to_string())?;
        for t in threads {
            t.join().map_err(|_| "a thread panicked")??;
        }
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        std::fs::write(port_file, listener.local_addr()?.port().to_string())?;
        loop {
            let (tcp, _) = listener.accept().await?;
            tokio::spawn(serve_one(acceptor.clone(), tcp));
        }
    })
}

/// A listener on 127.0.0.1:`port` that other sockets may share (SO_REUSEPORT).
fn reuseport_listener(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let s = tokio::net::TcpSocket::new_v4()?;
    s.set_reuseport(true)?;
    s.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    s.listen(1024)
}

/// One connection: handshake, read the request head, answer, close.
async fn serve_one(acceptor: tokio_rustls::TlsAcceptor, tcp: tokio::net::TcpStream) {
    let _ = tcp.set_nodelay(true);
    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
    let mut buf = [0u8; 4096];
    let mut seen = 0;
    // Until the end of the request head.
    while let Ok(n) = tls.read(&mut buf[seen..]).await {
        if n == 0 {
            return;
        }
        seen += n;
        if buf[..seen].windows(4).any(|w| w == b"\r\n\r\n") || seen == buf.len() {
            break;
        }
    }
    let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nvalid\n").await;
    let _ = tls.shutdown().await;
}
