//! Key types and key generation, and slow keys started ahead of need.

use std::sync::Mutex;
use std::thread::JoinHandle;

use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519, PKCS_RSA_SHA256, RsaKeySize};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The key algorithms pki-lab can issue. RSA below 2048 bits is absent on purpose: neither
/// rustls nor aws-lc-rs can load such a key, so a server could not use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    /// ECDSA on P-256 with SHA-256 (the default: fast and universally supported)
    #[default]
    P256,
    /// ECDSA on P-384 with SHA-384
    P384,
    /// Ed25519 (not accepted by some older clients)
    Ed25519,
    /// RSA 2048 bits (slow to generate)
    Rsa2048,
    /// RSA 3072 bits (slower)
    Rsa3072,
    /// RSA 4096 bits (slowest: seconds on a small machine)
    Rsa4096,
    /// RSA 1024 bits: too weak on purpose, for the weak-key scenario's leaf only (made by
    /// [`crate::pki::legacy`], since aws-lc-rs refuses such keys); not a command-line value
    Rsa1024,
    /// ECDSA on secp256k1: strong but off the allow-list (key.algorithm), for a scenario CA that
    /// issues the leaf only ([`crate::pki::legacy::Secp256k1Key`], since rcgen cannot name the
    /// curve); not a command-line value
    Secp256k1,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::P256 => "p256",
            KeyType::P384 => "p384",
            KeyType::Ed25519 => "ed25519",
            KeyType::Rsa2048 => "rsa2048",
            KeyType::Rsa3072 => "rsa3072",
            KeyType::Rsa4096 => "rsa4096",
            KeyType::Rsa1024 => "rsa1024",
            KeyType::Secp256k1 => "secp256k1",
        }
    }

    /// RSA generation costs tens to thousands of milliseconds; callers run those in parallel.
    pub fn is_slow(self) -> bool {
        matches!(self, KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 | KeyType::Rsa1024)
    }

    pub fn generate(self) -> Result<KeyPair> {
        if let Some(Made::Pair(k)) = take_ahead(self)? {
            return Ok(k);
        }
        self.generate_now()
    }

    fn generate_now(self) -> Result<KeyPair> {
        let ctx = || format!("generating a {} key", self.as_str());
        match self {
            KeyType::P256 => KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256),
            KeyType::P384 => KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384),
            KeyType::Ed25519 => KeyPair::generate_for(&PKCS_ED25519),
            KeyType::Rsa2048 => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048),
            KeyType::Rsa3072 => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_3072),
            KeyType::Rsa4096 => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_4096),
            KeyType::Rsa1024 => {
                return Err(Error::Input(
                    "rsa1024 can only be a scenario leaf's key (leaf.key), not a CA's or --key-type".into(),
                ));
            }
            KeyType::Secp256k1 => {
                return Err(Error::Input(
                    "secp256k1 can only be the key of the scenario CA that issues the leaf (the last of `cas:`)".into(),
                ));
            }
        }
        .map_err(Error::rcgen(ctx()))
    }
}

impl std::fmt::Display for KeyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key made ahead: an aws-lc-rs pair, or an RSA-1024 key from [`crate::pki::legacy`] as
/// (PKCS#8 DER, SubjectPublicKeyInfo DER).
pub enum Made {
    Pair(KeyPair),
    Legacy(Vec<u8>, Vec<u8>),
}

type Pending = (KeyType, JoinHandle<Result<Made>>);

/// Slow keys being generated on their own threads, waiting for [`KeyType::generate`] (or
/// [`rsa1024`]) to take them. Each is taken once, so every certificate still gets a fresh key.
static AHEAD: Mutex<Vec<Pending>> = Mutex::new(Vec::new());

/// Starts generating the slow (RSA) keys among `types` now, each on its own thread, so that
/// `init` can begin with its critical path: the RSA keys then run while the CAs and the ECDSA
/// scenarios are made. RSA-1024 (pure Rust, the OS's randomness) starts even before aws-lc's
/// one-time entropy set-up has finished. Fast types are ignored.
pub fn start_ahead(types: impl IntoIterator<Item = KeyType>) {
    let started: Vec<Pending> = types
        .into_iter()
        .filter(|t| t.is_slow())
        .map(|t| {
            let h = std::thread::spawn(move || match t {
                KeyType::Rsa1024 => crate::pki::legacy::generate_rsa1024().map(|(k, p)| Made::Legacy(k, p)),
                t => t.generate_now().map(Made::Pair),
            });
            (t, h)
        })
        .collect();
    lock_ahead().extend(started);
}

/// A new RSA-1024 key (PKCS#8 DER, SubjectPublicKeyInfo DER), taken from those started ahead
/// if there is one.
pub fn rsa1024() -> Result<(Vec<u8>, Vec<u8>)> {
    match take_ahead(KeyType::Rsa1024)? {
        Some(Made::Legacy(k, p)) => Ok((k, p)),
        _ => crate::pki::legacy::generate_rsa1024(),
    }
}

fn lock_ahead() -> std::sync::MutexGuard<'static, Vec<Pending>> {
    // A panic while holding the lock leaves only a Vec behind: still consistent.
    AHEAD.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn take_ahead(t: KeyType) -> Result<Option<Made>> {
    if !t.is_slow() {
        return Ok(None);
    }
    let pending = {
        let mut ahead = lock_ahead();
        let Some(i) = ahead.iter().position(|(k, _)| *k == t) else { return Ok(None) };
        ahead.swap_remove(i).1
    };
    pending.join().unwrap_or_else(|_| Err(Error::Internal(format!("{t} key generation panicked")))).map(Some)
}
