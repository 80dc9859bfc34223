//! The testing API (`pki_lab::testing`) against what it is modelled on, Python's trustme
//! (`bench/trustme.sh` runs both and prints the ratio):
//!
//! - `testca/new+issue+configs`: `TestCa::new()` (a root, an intermediate and a rogue root, all
//!   P-256), `issue(&["localhost"])`, its server configuration and the CA's client
//!   configuration: the work of trustme's `CA()`, `issue_cert()`, `configure_cert()` and
//!   `configure_trust()`.
//! - `testca/serve-expired-to-first-refusal`: `ca.serve("expired")` on a free port until a
//!   client's first handshake is refused with `Expired` (the server up and answering).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pki_lab::testing::TestCa;
use rustls::{CertificateError, Error};

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("testca");
    g.bench_function("new+issue+configs", |b| {
        b.iter(|| {
            let ca = TestCa::new().expect("ca");
            let cert = ca.issue(&["localhost"]).expect("issue");
            black_box((cert.server_config().expect("server config"), ca.client_config().expect("client config")))
        })
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let ca = TestCa::new().expect("ca");
    let client = tokio_rustls::TlsConnector::from(ca.client_config().expect("client config"));
    g.bench_function("serve-expired-to-first-refusal", |b| {
        b.iter(|| {
            rt.block_on(async {
                let server = ca.serve("expired").await.expect("serve");
                let tcp = tokio::net::TcpStream::connect(server.addr()).await.expect("connect");
                let err = client.connect("localhost".try_into().expect("name"), tcp).await.expect_err("refused");
                let tls = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
                assert!(matches!(tls, Some(Error::InvalidCertificate(CertificateError::ExpiredContext { .. }))));
                server.shutdown().await;
            })
        })
    });
    g.finish();
}

criterion_group!(testing, benches);
criterion_main!(testing);
