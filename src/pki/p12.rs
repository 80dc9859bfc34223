//! PKCS#12 key stores (`.p12`) that OpenSSL 3 and Java's keytool open: PBES2 with AES-256-CBC
//! and an HMAC-SHA256 MAC, no legacy algorithms.

use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
use rustls::pki_types::CertificateDer;

use crate::error::{Error, Result};

/// The password when none is given: Java's traditional keystore password, so `keytool` and
/// `-Djavax.net.ssl.keyStorePassword` work without configuration. It protects nothing; pass
/// `--password` (or `PKI_LAB_P12_PASSWORD`) for a file that leaves the machine.
pub const DEFAULT_PASSWORD: &str = "changeit";

/// A key store holding one private key entry under `alias`: the key and its chain, leaf first
/// (include the root last so Java sees the whole path).
pub fn key_store(alias: &str, key_pem: &str, chain: &[CertificateDer<'_>], password: &str) -> Result<Vec<u8>> {
    let err = |what: &str, e: p12_keystore::error::Error| Error::Parse {
        context: format!("writing the PKCS#12 file: {what}"),
        message: e.to_string(),
    };
    let leaf = chain.first().ok_or_else(|| Error::Input("a PKCS#12 file needs a certificate".into()))?;
    // rcgen serialises private keys as PKCS#8, which is what a PKCS#12 key bag holds.
    let pkcs8 = rcgen::KeyPair::from_pem(key_pem).map_err(Error::rcgen("reading the private key"))?.serialize_der();
    let key = PrivateKey::from_der(&pkcs8).map_err(|e| err("the private key", e))?;
    let certs = chain
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| err("a certificate", e))?;
    // The conventional localKeyId ties the key to its certificate: the certificate's SHA-1.
    let key_id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, leaf.as_ref());
    let mut ks = KeyStore::new();
    ks.add_entry(alias, KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(key_id.as_ref(), key, certs)));
    ks.writer(password).write().map_err(|e| err("encoding", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_store_reads_back_with_its_password_only() {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert =
            rcgen::CertificateParams::new(vec!["app.test".into()]).expect("params").self_signed(&key).expect("cert");
        let bytes = key_store("app.test", &key.serialize_pem(), &[cert.der().clone()], "s3cret").expect("p12");
        let ks = KeyStore::from_pkcs12(&bytes, "s3cret", p12_keystore::Pkcs12ImportPolicy::Strict).expect("reads");
        let (alias, chain) = ks.private_key_chain().expect("one key entry");
        assert_eq!(alias, "app.test");
        assert_eq!(chain.certs()[0].as_der(), cert.der().as_ref());
        assert!(KeyStore::from_pkcs12(&bytes, "wrong", p12_keystore::Pkcs12ImportPolicy::Strict).is_err());
    }
}
