//! Just enough HTTP/1.1 for the test servers and the probe: request and response heads,
//! `Content-Length` bodies, keep-alive. Bodies with chunked encoding are not supported: the
//! servers never send them and refuse requests that use them.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// Largest request or response head accepted.
pub const MAX_HEAD: usize = 16 * 1024;

/// A parsed message head: the start line and the headers (names lower-cased).
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub start: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn content_length(&self) -> Result<usize, String> {
        match self.header("content-length") {
            None => Ok(0),
            Some(v) => v.trim().parse().map_err(|_| format!("invalid Content-Length `{v}`")),
        }
    }

    /// HTTP/1.1 keeps the connection unless `Connection: close`; HTTP/1.0 closes unless asked.
    pub fn keep_alive(&self) -> bool {
        let conn = self.header("connection").map(|v| v.to_ascii_lowercase());
        if self.start.ends_with("HTTP/1.0") || self.start.starts_with("HTTP/1.0") {
            conn.as_deref() == Some("keep-alive")
        } else {
            conn.as_deref() != Some("close")
        }
    }
}

/// Reads one head; `Ok(None)` on a clean end of stream before any byte.
pub async fn read_head<R: AsyncBufRead + Unpin>(r: &mut R) -> std::io::Result<Option<Head>> {
    let mut head = Head::default();
    let mut total = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        let n = (&mut *r).take((MAX_HEAD - total + 1) as u64).read_line(&mut line).await?;
        if n == 0 {
            return if total == 0 { Ok(None) } else { Err(invalid("connection closed inside a message head")) };
        }
        total += n;
        if total > MAX_HEAD {
            return Err(invalid("message head larger than 16 KiB"));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if head.start.is_empty() {
            if l.is_empty() {
                continue; // tolerate stray CRLF between messages (RFC 9112 §2.2)
            }
            head.start = l.to_string();
        } else if l.is_empty() {
            return Ok(Some(head));
        } else {
            let (name, value) = l.split_once(':').ok_or_else(|| invalid("header line without `:`"))?;
            head.headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
}

/// Reads and returns a body of `len` bytes.
pub async fn read_body<R: AsyncBufRead + Unpin>(r: &mut R, len: usize) -> std::io::Result<Vec<u8>> {
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    Ok(body)
}

fn invalid(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_heads_and_keep_alive_rules() {
        let data = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.0\r\n\r\n";
        let mut r = tokio::io::BufReader::new(&data[..]);
        let h = read_head(&mut r).await.expect("io").expect("head");
        assert_eq!(h.start, "GET / HTTP/1.1");
        assert_eq!(h.header("host"), Some("x"));
        assert!(!h.keep_alive());
        let h = read_head(&mut r).await.expect("io").expect("head");
        assert!(!h.keep_alive(), "HTTP/1.0 closes by default");
        assert!(read_head(&mut r).await.expect("io").is_none());
    }

    #[tokio::test]
    async fn refuses_oversized_heads() {
        let mut data = b"GET / HTTP/1.1\r\n".to_vec();
        data.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        let mut r = tokio::io::BufReader::new(&data[..]);
        assert!(read_head(&mut r).await.is_err());
    }
}
