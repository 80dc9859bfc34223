//! What rustls says about a chain, named the way templates and the manifest name it.
//!
//! rustls reports one error: a `CertificateError` variant, often with context, and for many
//! chain problems `Other(..)` wrapping a `webpki::Error`. [`rustls_error_name`] turns that into a
//! stable short name: `Expired`, `UnknownIssuer`, `Other(NameConstraintViolation)`,
//! `AlertReceived(CertificateRequired)`, …

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
use rustls::{CertificateError, Error as TlsError, RootCertStore};

use crate::error::{Error, Result};

/// The stable short name of a rustls error.
pub fn rustls_error_name(e: &TlsError) -> String {
    match e {
        TlsError::InvalidCertificate(ce) => certificate_error_name(ce),
        TlsError::AlertReceived(a) => format!("AlertReceived({a:?})"),
        other => variant(&format!("{other:?}")),
    }
}

fn certificate_error_name(ce: &CertificateError) -> String {
    #[allow(deprecated)]
    let name = match ce {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => "Expired",
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => "NotValidYet",
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => "NotValidForName",
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => "InvalidPurpose",
        CertificateError::ExpiredRevocationList | CertificateError::ExpiredRevocationListContext { .. } => {
            "ExpiredRevocationList"
        }
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => "UnsupportedSignatureAlgorithm",
        CertificateError::Other(o) => {
            return match o.0.downcast_ref::<webpki::Error>() {
                Some(w) => format!("Other({})", variant(&format!("{w:?}"))),
                None => format!("Other({o})"),
            };
        }
        other => return variant(&format!("{other:?}")),
    };
    name.to_string()
}

/// The alert rustls sends when it fails with `e` (as its `common_state` does), where known.
pub fn alert_sent_for(e: &TlsError) -> Option<rustls::AlertDescription> {
    use rustls::AlertDescription as A;
    match e {
        TlsError::InvalidCertificate(ce) => Some(ce.clone().into()),
        TlsError::NoCertificatesPresented => Some(A::CertificateRequired),
        TlsError::PeerMisbehaved(_) => Some(A::IllegalParameter),
        TlsError::InvalidMessage(m) => Some((*m).into()),
        TlsError::PeerIncompatible(_) => Some(A::HandshakeFailure),
        TlsError::DecryptError => Some(A::BadRecordMac),
        _ => None,
    }
}

/// `ParseError`, `InvalidCrlNumber`, or the webpki error inside `Other` (`UnsupportedCrlIssuingDistributionPoint`).
fn crl_error_name(e: &rustls::CertRevocationListError) -> String {
    match e {
        rustls::CertRevocationListError::Other(o) => match o.0.downcast_ref::<webpki::Error>() {
            Some(w) => variant(&format!("{w:?}")),
            None => format!("{o}"),
        },
        other => variant(&format!("{other:?}")),
    }
}

/// `Foo { .. }` / `Foo(..)` → `Foo`.
fn variant(debug: &str) -> String {
    debug.split(['(', ' ', '{']).next().unwrap_or(debug).to_string()
}

/// Runs rustls's own `WebPkiServerVerifier` over a chain as a client would: `chain[0]` is the
/// leaf, the rest are the intermediates the server sent. Returns `ok` or the error's name.
pub fn rustls_verify(
    chain: &[CertificateDer<'static>],
    roots: &[CertificateDer<'static>],
    crls: &[CertificateRevocationListDer<'static>],
    host: &str,
    now: UnixTime,
) -> Result<String> {
    let (leaf, intermediates) =
        chain.split_first().ok_or_else(|| Error::Input("an empty chain cannot be verified".into()))?;
    let mut store = RootCertStore::empty();
    for r in roots {
        store.add(r.clone()).map_err(|e| Error::Parse { context: "trusted root".into(), message: e.to_string() })?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let built =
        WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider).with_crls(crls.iter().cloned()).build();
    let verifier = match built {
        Ok(v) => v,
        // A CRL rustls refuses (no cRLNumber, an issuingDistributionPoint it does not support) is
        // its verdict on the input, which the CRL rules explain; not an error of pki-lab's.
        Err(rustls::client::VerifierBuilderError::InvalidCrl(e)) => {
            return Ok(format!("InvalidCrl({})", crl_error_name(&e)));
        }
        Err(e) => return Err(Error::Tls(format!("building the rustls verifier: {e}"))),
    };
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| Error::Input(format!("`{host}` is not a valid server name: {e}")))?;
    Ok(match verifier.verify_server_cert(leaf, intermediates, &name, &[], now) {
        Ok(_) => "ok".to_string(),
        Err(e) => rustls_error_name(&e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_strip_context_and_unwrap_webpki() {
        let e = TlsError::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(10)),
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(5)),
        });
        assert_eq!(rustls_error_name(&e), "Expired");
        let e = TlsError::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
            webpki::Error::NameConstraintViolation,
        ))));
        assert_eq!(rustls_error_name(&e), "Other(NameConstraintViolation)");
        let e = TlsError::AlertReceived(rustls::AlertDescription::CertificateRequired);
        assert_eq!(rustls_error_name(&e), "AlertReceived(CertificateRequired)");
        assert_eq!(rustls_error_name(&TlsError::InvalidCertificate(CertificateError::UnknownIssuer)), "UnknownIssuer");
    }
}
