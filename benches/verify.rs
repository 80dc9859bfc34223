//! The rule engine (`verdict::engine::evaluate`, what `pki-lab verify` runs) against rustls's
//! `WebPkiServerVerifier` on the same chains, in the same run:
//!
//! - `three-certificates`: the `valid` scenario's leaf and intermediate, the lab root trusted.
//!   Goal (issue 10): the engine at most 3× webpki. The engine decides every rule of the table
//!   with evidence; webpki stops at the first failure and says nothing about the others.
//! - `names-1024x1024`: a leaf with 1,024 DNS names under an intermediate with 1,024 permitted
//!   DNS subtrees, only the last of which matches: a million comparisons done naively. webpki
//!   refuses it by its comparison budget; the engine's figure is whatever it does today.
//!
//! `cargo bench --bench verify`; the figures are in the README's performance section.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use pki_lab::testing::TestCa;
use pki_lab::verdict::engine::{Trust, evaluate};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, GeneralSubtree, IsCa, KeyPair, KeyUsagePurpose,
    NameConstraints,
};
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use time::OffsetDateTime;

struct Case {
    presented: Vec<CertificateDer<'static>>,
    root: CertificateDer<'static>,
    host: &'static str,
}

fn three_certificates() -> Case {
    let ca = TestCa::new().expect("test CA");
    let cert = ca.scenario("valid").expect("valid scenario");
    let presented: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(cert.chain_pem().as_bytes()).collect::<Result<_, _>>().expect("chain pem");
    assert_eq!(presented.len(), 2, "leaf and intermediate; the root is the third");
    Case { presented, root: ca.root(), host: "localhost" }
}

fn names_1024() -> Case {
    const N: usize = 1024;
    let ca_params = |name: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p
    };
    let root = CertifiedIssuer::self_signed(ca_params("bench root"), KeyPair::generate().expect("key")).expect("root");
    let mut inter = ca_params("bench intermediate");
    let mut permitted: Vec<GeneralSubtree> =
        (0..N - 1).map(|i| GeneralSubtree::DnsName(format!("other{i}.invalid"))).collect();
    permitted.push(GeneralSubtree::DnsName("example.test".into()));
    inter.name_constraints = Some(NameConstraints { permitted_subtrees: permitted, excluded_subtrees: vec![] });
    let inter = CertifiedIssuer::signed_by(inter, KeyPair::generate().expect("key"), &root).expect("intermediate");
    let names: Vec<String> = (0..N).map(|i| format!("host{i}.example.test")).collect();
    let mut leaf = CertificateParams::new(names).expect("leaf params");
    leaf.distinguished_name.push(rcgen::DnType::CommonName, "host0.example.test");
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf.signed_by(&KeyPair::generate().expect("key"), &inter).expect("leaf");
    Case {
        presented: vec![leaf.der().clone(), inter.der().clone()],
        root: root.der().clone(),
        host: "host0.example.test",
    }
}

fn bench_case(c: &mut Criterion, group: &str, case: &Case) {
    let now = OffsetDateTime::now_utc();
    let trust = Trust { roots: vec![case.root.clone()], ..Trust::default() };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(case.root.clone()).expect("root");
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build().expect("verifier");
    let name = ServerName::try_from(case.host).expect("server name");
    let unix = UnixTime::now();
    // What each says once, so the record shows they judged the same chain.
    let failed = pki_lab::verdict::engine::failed(&evaluate(&case.presented, case.host, &trust, now));
    let outcome = webpki.verify_server_cert(&case.presented[0], &case.presented[1..], &name, &[], unix);
    eprintln!("{group}: engine failed rules {failed:?}; webpki {:?}", outcome.map(|_| "verified"));

    let mut g = c.benchmark_group(group);
    if case.presented[0].len() > 16 * 1024 {
        // A second or more per engine run: ten samples are enough.
        g.sample_size(10);
    }
    g.bench_function("pki-lab engine (every rule)", |b| {
        b.iter(|| evaluate(black_box(&case.presented), black_box(case.host), &trust, now))
    });
    g.bench_function("rustls WebPkiServerVerifier", |b| {
        b.iter(|| {
            let _ = webpki.verify_server_cert(
                black_box(&case.presented[0]),
                black_box(&case.presented[1..]),
                &name,
                &[],
                unix,
            );
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_case(c, "verify/three-certificates", &three_certificates());
    bench_case(c, "verify/names-1024x1024", &names_1024());
}

criterion_group!(verify, benches);
criterion_main!(verify);
