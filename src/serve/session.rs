//! Where TLS session state lives on the server side, so that a returning client can resume:
//! a session cache in memory (per server), in Redis (shared by every server that points at it),
//! or in stateless tickets encrypted with a key that is per server or shared through a file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use rustls::server::{NoServerSessionStorage, ProducesTickets, ServerSessionMemoryCache, StoresServerSessions};

use crate::error::{Error, Result};
use crate::labdir::fsutil;

/// Where stateful sessions are cached.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SessionStore {
    /// Each server process keeps its own cache (rustls's default).
    #[default]
    Memory,
    /// A Redis server shared by several servers: `redis://127.0.0.1:6379`.
    Redis(String),
    /// No cache: every handshake is full unless tickets are on.
    None,
}

impl std::str::FromStr for SessionStore {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "memory" => Ok(SessionStore::Memory),
            "none" => Ok(SessionStore::None),
            url if url.starts_with("redis://") => Ok(SessionStore::Redis(url.to_string())),
            other => Err(format!("expected `memory`, `none` or a redis://host:port URL, found `{other}`")),
        }
    }
}

/// Whether the server issues stateless tickets, and with which key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Tickets {
    /// No tickets: resumption relies on the session store.
    #[default]
    Off,
    /// Tickets encrypted with a key of this server process only.
    PerServer,
    /// Tickets encrypted with the key in this file (created 0600 if missing), shared by every
    /// server given the same file.
    Shared(PathBuf),
}

/// The session options of one server.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    pub store: SessionStore,
    pub tickets: Tickets,
}

impl SessionOptions {
    /// Applies these options to one server's configuration.
    pub fn apply(&self, config: &mut rustls::ServerConfig) -> Result<()> {
        config.session_storage = match &self.store {
            SessionStore::Memory => ServerSessionMemoryCache::new(1024),
            SessionStore::None => Arc::new(NoServerSessionStorage {}),
            SessionStore::Redis(url) => redis_sessions(url)?,
        };
        config.ticketer = match &self.tickets {
            Tickets::Off => Arc::new(NeverTickets),
            Tickets::PerServer => new_ticketer()?,
            Tickets::Shared(path) => Arc::new(SharedTicketer::from_file(path)?),
        };
        Ok(())
    }
}

/// The Redis store; only with the `redis` feature (the `redis` client is a dependency of its own).
#[cfg(feature = "redis")]
mod redis_store;
#[cfg(feature = "redis")]
pub use redis_store::RedisSessions;

/// One store per URL for the whole process, shared by every scenario's listener: one
/// connection, and one log line per failure rather than one per scenario.
#[cfg(feature = "redis")]
fn redis_sessions(url: &str) -> Result<Arc<dyn StoresServerSessions>> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, PoisonError};
    static STORES: OnceLock<Mutex<HashMap<String, Arc<RedisSessions>>>> = OnceLock::new();
    let mut stores = STORES.get_or_init(Default::default).lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(s) = stores.get(url) {
        return Ok(s.clone());
    }
    let s = Arc::new(RedisSessions::connect(url)?);
    stores.insert(url.to_string(), s.clone());
    Ok(s)
}

#[cfg(not(feature = "redis"))]
fn redis_sessions(url: &str) -> Result<Arc<dyn StoresServerSessions>> {
    Err(Error::Unavailable(format!("session store {url}: this pki-lab was built without the `redis` feature")))
}

/// A fresh per-process ticketer (rustls's own, with rotating keys).
pub fn new_ticketer() -> Result<Arc<dyn ProducesTickets>> {
    rustls::crypto::aws_lc_rs::Ticketer::new().map_err(|e| Error::Internal(format!("creating a ticket key: {e}")))
}

#[derive(Debug)]
struct NeverTickets;

impl ProducesTickets for NeverTickets {
    fn enabled(&self) -> bool {
        false
    }
    fn lifetime(&self) -> u32 {
        0
    }
    fn encrypt(&self, _plain: &[u8]) -> Option<Vec<u8>> {
        None
    }
    fn decrypt(&self, _cipher: &[u8]) -> Option<Vec<u8>> {
        None
    }
}

/// Stateless tickets sealed with AES-256-GCM under a key read from a file, so that every
/// server holding the file can open the others' tickets. (rustls's own ticketer makes a random
/// key per process and cannot be given one.)
pub struct SharedTicketer {
    key: LessSafeKey,
    path: PathBuf,
}

impl fmt::Debug for SharedTicketer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedTicketer").field("path", &self.path).finish()
    }
}

/// Ticket lifetime announced to clients.
const TICKET_LIFETIME_SECS: u32 = 6 * 3600;

impl SharedTicketer {
    /// Reads the 32-byte key (64 hex digits) from `path`, creating it (0600) if it is missing.
    /// Servers started together may all find it missing: each creates it exclusively (the first
    /// wins) and then reads it, so all share the first one's key.
    pub fn from_file(path: &Path) -> Result<SharedTicketer> {
        if std::fs::symlink_metadata(path).is_err() {
            let mut key = [0u8; 32];
            use aws_lc_rs::rand::SecureRandom;
            aws_lc_rs::rand::SystemRandom::new()
                .fill(&mut key)
                .map_err(|_| Error::Internal("the system random generator failed".into()))?;
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            fsutil::create_atomic(path, format!("{hex}\n").as_bytes(), fsutil::SECRET)?;
        }
        let text = fsutil::read_to_string(path)?;
        let hex = text.trim();
        let bytes: Option<Vec<u8>> = (hex.len() == 64)
            .then(|| (0..32).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect())
            .flatten();
        let bytes = bytes.ok_or_else(|| Error::Parse {
            context: path.display().to_string(),
            message: format!("expected a ticket key of 64 hex digits, found {} characters", hex.len()),
        })?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| Error::Input("invalid ticket key".into()))?;
        Ok(SharedTicketer { key: LessSafeKey::new(key), path: path.to_path_buf() })
    }
}

impl ProducesTickets for SharedTicketer {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        TICKET_LIFETIME_SECS
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        use aws_lc_rs::rand::SecureRandom;
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::SystemRandom::new().fill(&mut nonce).ok()?;
        let mut sealed = plain.to_vec();
        self.key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut sealed).ok()?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Some(out)
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        if cipher.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = cipher.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = sealed.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::empty(), &mut buf).ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_ticketers_open_each_others_tickets_and_others_do_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ticket.key");
        let a = SharedTicketer::from_file(&path).expect("creates the key");
        let b = SharedTicketer::from_file(&path).expect("reads the key");
        let t = a.encrypt(b"session state").expect("seals");
        assert_eq!(b.decrypt(&t).as_deref(), Some(&b"session state"[..]));
        let other = SharedTicketer::from_file(&dir.path().join("other.key")).expect("other key");
        assert_eq!(other.decrypt(&t), None);
        let mut tampered = t.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(b.decrypt(&tampered), None);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn servers_creating_one_ticket_key_at_once_all_get_the_same_key() {
        for round in 0..20 {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("ticket.key");
            let start = Arc::new(std::sync::Barrier::new(4));
            let made: Vec<_> = (0..4)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        SharedTicketer::from_file(&path).expect("ticketer")
                    })
                })
                .collect();
            let made: Vec<SharedTicketer> = made.into_iter().map(|h| h.join().expect("thread")).collect();
            let ticket = made[0].encrypt(b"state").expect("seals");
            for t in &made[1..] {
                assert_eq!(t.decrypt(&ticket).as_deref(), Some(&b"state"[..]), "round {round}: two keys");
            }
        }
    }

    #[test]
    fn a_malformed_key_file_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.key");
        std::fs::write(&path, "xyz\n").expect("write");
        let e = SharedTicketer::from_file(&path).expect_err("bad key").to_string();
        assert!(e.contains("expected a ticket key of 64 hex digits, found 3 characters"), "{e}");
    }

    #[test]
    fn session_store_parses() {
        assert_eq!("memory".parse::<SessionStore>(), Ok(SessionStore::Memory));
        assert_eq!(
            "redis://127.0.0.1:6379".parse::<SessionStore>(),
            Ok(SessionStore::Redis("redis://127.0.0.1:6379".into()))
        );
        assert!("mysql://x".parse::<SessionStore>().is_err());
    }
}
