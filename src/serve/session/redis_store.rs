//! The shared session store in Redis (`--session-store redis://HOST:PORT`).
//!
//! rustls calls the store synchronously inside the handshake, on the runtime's worker threads,
//! so a Redis that stops answering must cost a bounded time, not the whole server: every call
//! has a deadline ([`CALL_TIMEOUT`]); after a failure the store is skipped (handshakes go on as
//! full ones) until a retry time that backs off; the retry opens a new connection, so a
//! restarted Redis is picked up again. Each failure and each recovery is one line on stderr.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::server::StoresServerSessions;

use crate::error::{Error, Result};

/// The longest one store call (connect, send or answer) may take. On loopback Redis answers in
/// well under a millisecond; this leaves room for a loaded machine.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(300);
/// The first wait after a failure before the store is tried again; it doubles up to
/// [`MAX_BACKOFF`] while Redis keeps failing, and resets on success.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Sessions kept in Redis under `pki-lab:session:<hex id>`, expiring after an hour.
pub struct RedisSessions {
    url: String,
    client: redis::Client,
    state: Mutex<State>,
}

/// The connection, if one is open, and when to try again after a failure.
struct State {
    conn: Option<redis::Connection>,
    /// Set after a failure: until then every call is skipped at once.
    retry_at: Option<Instant>,
    backoff: Duration,
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
                "session store {url}: {}\n  hint: is redis-server running? (`redis-server --daemonize yes`)",
                describe(&e)
            ))
        };
        let client = redis::Client::open(url).map_err(fail)?;
        let mut conn = open(&client).map_err(fail)?;
        redis::cmd("PING").query::<String>(&mut conn).map_err(fail)?;
        let state = State { conn: Some(conn), retry_at: None, backoff: FIRST_BACKOFF };
        Ok(RedisSessions { url: url.to_string(), client, state: Mutex::new(state) })
    }

    fn key(id: &[u8]) -> String {
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        format!("pki-lab:session:{hex}")
    }

    /// Runs one command within [`CALL_TIMEOUT`], or skips it while the store is failing.
    fn run<T: redis::FromRedisValue>(&self, name: &str, cmd: &redis::Cmd) -> Option<T> {
        // A panic elsewhere while holding the lock leaves nothing half-done worth refusing over.
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if st.retry_at.is_some_and(|at| Instant::now() < at) {
            return None;
        }
        let retrying = st.retry_at.is_some();
        let result = match st.conn.take() {
            Some(c) => Ok(c),
            None => open(&self.client),
        }
        .and_then(|mut c| cmd.query::<T>(&mut c).map(|v| (c, v)));
        match result {
            Ok((c, v)) => {
                st.conn = Some(c);
                st.retry_at = None;
                st.backoff = FIRST_BACKOFF;
                if retrying {
                    eprintln!("session store {}: answering again; sessions are shared again", self.url);
                }
                Some(v)
            }
            Err(e) => {
                // The connection is dropped: a late answer must not be read as the next one's.
                let wait = st.backoff;
                st.retry_at = Some(Instant::now() + wait);
                st.backoff = (wait * 2).min(MAX_BACKOFF);
                eprintln!(
                    "session store {}: {name} failed ({}); handshakes go on as full ones; next try in {:.1} s",
                    self.url,
                    describe(&e),
                    wait.as_secs_f64()
                );
                None
            }
        }
    }
}

/// A new connection whose connect, setup, writes and reads each give up after [`CALL_TIMEOUT`].
fn open(client: &redis::Client) -> redis::RedisResult<redis::Connection> {
    let conn = client.get_connection_with_timeout(CALL_TIMEOUT)?;
    conn.set_read_timeout(Some(CALL_TIMEOUT))?;
    conn.set_write_timeout(Some(CALL_TIMEOUT))?;
    Ok(conn)
}

/// The error in words: a timeout says how long was waited.
fn describe(e: &redis::RedisError) -> String {
    if e.is_timeout() { format!("no answer within {} ms", CALL_TIMEOUT.as_millis()) } else { e.to_string() }
}

impl StoresServerSessions for RedisSessions {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let mut cmd = redis::cmd("SET");
        cmd.arg(Self::key(&key)).arg(value).arg("EX").arg(SESSION_TTL_SECS);
        self.run::<()>("SET", &cmd).is_some()
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(Self::key(key));
        self.run::<Option<Vec<u8>>>("GET", &cmd).flatten()
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        // TLS 1.3 session tickets are single-use: GETDEL reads and removes in one step.
        let mut cmd = redis::cmd("GETDEL");
        cmd.arg(Self::key(key));
        self.run::<Option<Vec<u8>>>("GETDEL", &cmd).flatten()
    }

    fn can_cache(&self) -> bool {
        true
    }
}
