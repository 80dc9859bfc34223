//! Stage 2, the PKI: key generation, the lab's certificate authorities, names, and issuing a
//! scenario's certificates from its template (with the legacy signers for SHA-1 and RSA-1024,
//! and, with the `p12` feature, PKCS#12 key stores for Java and friends).
//!
//! Hands to [`crate::labdir`] the issued chains, keys and CRLs, in memory.

pub mod ca;
pub mod defects;
pub mod issue;
pub mod keys;
pub mod legacy;
pub mod names;
/// PKCS#12 key stores (`issue --p12`); only with the `p12` feature.
#[cfg(feature = "p12")]
pub mod p12;
pub mod pem;
pub mod x509;
