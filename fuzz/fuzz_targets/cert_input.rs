//! Any bytes as the certificate or CRL input of `verify` and `inspect` (PEM or DER): no panic,
//! and an error names its source in words, never a parser's Debug text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pki_lab::pki::pem;

fuzz_target!(|data: &[u8]| {
    for e in [pem::certs_from_bytes(data, "in.pem").err(), pem::crls_from_bytes(data, "in.pem").err()]
        .into_iter()
        .flatten()
    {
        let shown = e.to_string();
        assert!(shown.starts_with("in.pem: "), "{shown}");
        for debug in ["Der(", "NomError", "Some(", "Tag("] {
            assert!(!shown.contains(debug), "{shown}");
        }
    }
    let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    let _ = pki_lab::inspect::describe(data, now);
    let _ = pki_lab::inspect::describe_crl(data, now);
    if let Ok(found) = pki_lab::inspect::describe_input(data, now) {
        let _ = pki_lab::inspect::render_inspected(&found);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pki_lab::inspect::describe_pem_bundle(text, now);
    }
});
