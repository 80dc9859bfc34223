//! The shared session store in Redis (`--session-store redis://HOST:PORT`).

use std::fmt;
use std::sync::Mutex;

use rustls::server::StoresServerSessions;

use crate::error::{Error, Result};

/// Sessions kept in Redis under `pki-lab:session:<hex id>`, expiring after an hour.
///
/// rustls calls the store synchronously inside the handshake, so this uses Redis's blocking
/// client; on loopback a command takes well under a millisecond.
pub struct RedisSessions {
    url: String,
    conn: Mutex<redis::Connection>,
}

impl fmt::Debug for RedisSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSessions").field("url", &self.url).finish()
    }
}

const SESSION_TTL_SECS: u64 = 3600;

impl RedisSessions {
    /// Connects and checks the server answers, so a wrong URL fails at start-up, not later.
    pub fn connect(url: &str) -> Result<RedisSessions> {
        let fail = |e: redis::RedisError| {
            Error::Network(format!(
                "session store {url}: {e}\n  hint: is redis-server running? (`redis-server --daemonize yes`)"
            ))
        };
        let client = redis::Client::open(url).map_err(fail)?;
        let mut conn = client.get_connection_with_timeout(std::time::Duration::from_secs(2)).map_err(fail)?;
        redis::cmd("PING").query::<String>(&mut conn).map_err(fail)?;
        Ok(RedisSessions { url: url.to_string(), conn: Mutex::new(conn) })
    }

    fn key(id: &[u8]) -> String {
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        format!("pki-lab:session:{hex}")
    }

    fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Option<T> {
        let mut conn = self.conn.lock().ok()?;
        cmd.query(&mut *conn).ok()
    }
}

impl StoresServerSessions for RedisSessions {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let mut cmd = redis::cmd("SET");
        cmd.arg(Self::key(&key)).arg(value).arg("EX").arg(SESSION_TTL_SECS);
        self.run::<()>(&cmd).is_some()
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(Self::key(key));
        self.run::<Option<Vec<u8>>>(&cmd).flatten()
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        // TLS 1.3 session tickets are single-use: GETDEL reads and removes in one step.
        let mut cmd = redis::cmd("GETDEL");
        cmd.arg(Self::key(key));
        self.run::<Option<Vec<u8>>>(&cmd).flatten()
    }

    fn can_cache(&self) -> bool {
        true
    }
}
