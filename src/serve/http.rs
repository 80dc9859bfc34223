//! Just enough HTTP/1.1 for the test servers, the gateway and the probe: request and response
//! heads (parsed by `httparse`), `Content-Length` bodies, keep-alive. Chunked bodies are not
//! supported: the servers never send them and refuse requests that use them.
//!
//! Everything read from a peer is bounded: a head by [`MAX_HEAD`] bytes and [`MAX_HEADERS`]
//! fields, a body by [`MAX_BODY`] (requests) or [`MAX_RESPONSE_BODY`] (responses), and a body
//! is never allocated from its declared length: it is read, up to that length, as it arrives.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest request or response head accepted (start line and fields): 431 past it.
pub const MAX_HEAD: usize = 16 * 1024;
/// Most header fields in one head: 431 past it.
pub const MAX_HEADERS: usize = 100;
/// Largest request body accepted: 413 past it.
pub const MAX_BODY: usize = 1024 * 1024;
/// Largest response body the probe and the gateway read (the probe may talk to any server).
pub const MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;
/// After refusing a request, how long the server goes on reading (and discarding) what the
/// client still sends, so that closing does not reset the connection before the client has
/// read the answer.
pub const LINGER: Duration = Duration::from_secs(2);

/// A parsed message head: the start line and the headers (names lower-cased).
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub start: String,
    pub headers: Vec<(String, String)>,
}

/// A request the server refuses: the status to answer with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub status: u16,
    pub message: String,
}

impl Rejected {
    fn new(status: u16, message: impl Into<String>) -> Rejected {
        Rejected { status, message: message.into() }
    }

    /// `431 Request Header Fields Too Large` and the like.
    pub fn status_line(&self) -> String {
        let reason = match self.status {
            400 => "Bad Request",
            408 => "Request Timeout",
            413 => "Content Too Large",
            431 => "Request Header Fields Too Large",
            _ => "Error",
        };
        format!("{} {reason}", self.status)
    }

    /// The `Rejected` inside an error from [`read_head`] or [`read_body`], if that is what it is.
    pub fn of(e: &std::io::Error) -> Option<&Rejected> {
        e.get_ref().and_then(|i| i.downcast_ref::<Rejected>())
    }

    fn into_io(self) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, self)
    }
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for Rejected {}

/// Which kind of head to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Response,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body length the head declares, at most `max`: one `Content-Length` of plain decimal
    /// digits (no sign, no list), no `Transfer-Encoding` beside it. Overflow is "too large".
    pub fn body_length(&self, max: usize) -> Result<usize, Rejected> {
        let mut lengths = self.headers.iter().filter(|(n, _)| n == "content-length").map(|(_, v)| v.as_str());
        let te = self.header("transfer-encoding").is_some();
        let Some(v) = lengths.next() else {
            return if te { Err(Rejected::new(400, "chunked request bodies are not supported")) } else { Ok(0) };
        };
        if lengths.next().is_some() {
            return Err(Rejected::new(400, "more than one Content-Length"));
        }
        if te {
            return Err(Rejected::new(400, "Transfer-Encoding together with Content-Length"));
        }
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Rejected::new(400, format!("invalid Content-Length `{v}`")));
        }
        match v.parse::<u64>().ok().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if n <= max => Ok(n),
            _ => Err(Rejected::new(413, format!("body larger than {max} bytes"))),
        }
    }

    /// [`Head::body_length`] for a response: a body larger than `max`, or none declared, is an
    /// I/O error (the responses read here all come with a `Content-Length`).
    pub fn content_length(&self, max: usize) -> std::io::Result<usize> {
        self.body_length(max).map_err(Rejected::into_io)
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

/// Reads one head of `kind`; `Ok(None)` on a clean end of stream before any byte. A head that
/// is too large or malformed is an `InvalidData` error holding a [`Rejected`] (431 or 400).
/// Only the head's own bytes are consumed from `r`.
pub async fn read_head<R: AsyncBufRead + Unpin>(r: &mut R, kind: Kind) -> std::io::Result<Option<Head>> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let avail = r.fill_buf().await?;
        if avail.is_empty() {
            // A malformed head is malformed however it ends (even `\n\r\r`).
            parse(&buf, kind).map_err(Rejected::into_io)?;
            if buf.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                return Ok(None);
            }
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed inside a message head",
            ));
        }
        let old = buf.len();
        let take = avail.len().min(MAX_HEAD + 1 - old);
        // Parse when a line may have ended, and once more at the limit, so the outcome does not
        // depend on how the bytes were split into reads (httparse reads a prefix in order).
        let try_now = avail[..take].contains(&b'\n') || old + take > MAX_HEAD;
        buf.extend_from_slice(&avail[..take]);
        if try_now && let Some((used, head)) = parse(&buf, kind).map_err(Rejected::into_io)? {
            r.consume(used.saturating_sub(old));
            return Ok(Some(head));
        }
        r.consume(take);
        if buf.len() > MAX_HEAD {
            return Err(Rejected::new(431, format!("message head larger than {MAX_HEAD} bytes")).into_io());
        }
    }
}

/// Parses a complete head at the start of `buf`: its length and the head, or `None` if more
/// bytes are needed. Public for the fuzz target (`fuzz/`); [`read_head`] adds the size limit.
pub fn parse(buf: &[u8], kind: Kind) -> Result<Option<(usize, Head)>, Rejected> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let bad = |e: httparse::Error| match e {
        httparse::Error::TooManyHeaders => Rejected::new(431, format!("more than {MAX_HEADERS} header fields")),
        e => Rejected::new(400, format!("malformed message head: {e}")),
    };
    let (used, start, fields) = match kind {
        Kind::Request => {
            let mut req = httparse::Request::new(&mut fields);
            let httparse::Status::Complete(used) = req.parse(buf).map_err(bad)? else { return Ok(None) };
            let start = format!(
                "{} {} HTTP/1.{}",
                req.method.unwrap_or_default(),
                req.path.unwrap_or_default(),
                req.version.unwrap_or(1)
            );
            (used, start, req.headers)
        }
        Kind::Response => {
            let mut resp = httparse::Response::new(&mut fields);
            let httparse::Status::Complete(used) = resp.parse(buf).map_err(bad)? else { return Ok(None) };
            let start = format!(
                "HTTP/1.{} {} {}",
                resp.version.unwrap_or(1),
                resp.code.unwrap_or_default(),
                resp.reason.unwrap_or("")
            );
            (used, start.trim_end().to_string(), resp.headers)
        }
    };
    let headers =
        fields.iter().map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned())).collect();
    Ok(Some((used, Head { start, headers })))
}

/// Reads a body of exactly `len` bytes (already checked against a limit): the buffer grows as
/// bytes arrive, never from the declared length up front.
pub async fn read_body<R: AsyncRead + Unpin>(r: &mut R, len: usize) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(len.min(64 * 1024));
    (&mut *r).take(len as u64).read_to_end(&mut body).await?;
    if body.len() < len {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed inside a body"));
    }
    Ok(body)
}

/// Why no request came.
#[derive(Debug)]
pub enum ReadError {
    /// Nothing arrived within the idle timeout: close quietly.
    Idle,
    /// A request started but its head or body did not complete in time: 408 and close.
    Slow,
    /// A request the server refuses: answer with its status and close.
    Rejected(Rejected),
    /// The connection failed (a TLS error, a reset, a close inside a request).
    Io(std::io::Error),
}

/// Reads one request and its body: waits up to `idle` for the first byte, then up to `idle`
/// again for the rest of the head and the body. `Ok(None)` when the client closed cleanly.
pub async fn read_request<R: AsyncBufRead + Unpin>(
    r: &mut R,
    idle: Duration,
) -> Result<Option<(Head, Vec<u8>)>, ReadError> {
    match tokio::time::timeout(idle, r.fill_buf()).await {
        Err(_) => return Err(ReadError::Idle),
        Ok(Err(e)) => return Err(ReadError::Io(e)),
        Ok(Ok([])) => return Ok(None),
        Ok(Ok(_)) => {}
    }
    let rest = async {
        let Some(head) = read_head(r, Kind::Request).await? else { return Ok(None) };
        let len = head.body_length(MAX_BODY).map_err(Rejected::into_io)?;
        let body = read_body(r, len).await?;
        Ok::<_, std::io::Error>(Some((head, body)))
    };
    match tokio::time::timeout(idle, rest).await {
        Err(_) => Err(ReadError::Slow),
        Ok(Ok(req)) => Ok(req),
        Ok(Err(e)) => match Rejected::of(&e) {
            Some(rej) => Err(ReadError::Rejected(rej.clone())),
            None => Err(ReadError::Io(e)),
        },
    }
}

/// Answers a refused request (`Connection: close`), closes the sending side, then reads and
/// discards what the client still sends for up to [`LINGER`], so that it sees the answer.
/// Every step is bounded by `limit`.
pub async fn refuse<R, W>(rd: &mut R, wr: &mut W, rej: &Rejected, limit: Duration)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let body = format!("{}\n", rej.message);
    let msg = format!(
        "HTTP/1.1 {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\nServer: pki-lab\r\n\r\n{body}",
        rej.status_line(),
        body.len()
    );
    let _ = tokio::time::timeout(limit, async {
        wr.write_all(msg.as_bytes()).await?;
        wr.flush().await?;
        wr.shutdown().await
    })
    .await;
    let mut sink = [0u8; 16 * 1024];
    let _ = tokio::time::timeout(LINGER.min(limit), async {
        while let Ok(n) = rd.read(&mut sink).await
            && n > 0
        {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(fields: &[(&str, &str)]) -> Head {
        Head {
            start: "POST / HTTP/1.1".into(),
            headers: fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        }
    }

    #[tokio::test]
    async fn reads_heads_and_keep_alive_rules() {
        let data = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n\r\nGET /b HTTP/1.0\r\n\r\n";
        let mut r = tokio::io::BufReader::new(&data[..]);
        let h = read_head(&mut r, Kind::Request).await.expect("io").expect("head");
        assert_eq!(h.start, "GET / HTTP/1.1");
        assert_eq!(h.header("host"), Some("x"));
        assert!(!h.keep_alive());
        let h = read_head(&mut r, Kind::Request).await.expect("io").expect("head");
        assert_eq!(h.start, "GET /b HTTP/1.0");
        assert!(!h.keep_alive(), "HTTP/1.0 closes by default");
        assert!(read_head(&mut r, Kind::Request).await.expect("io").is_none());
    }

    #[tokio::test]
    async fn reads_a_response_byte_by_byte_and_leaves_the_body() {
        let data = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\n\r\n";
        let mut r = tokio::io::BufReader::with_capacity(1, &data[..]);
        let h = read_head(&mut r, Kind::Response).await.expect("io").expect("head");
        assert_eq!(h.start, "HTTP/1.1 200 OK");
        let len = h.content_length(MAX_RESPONSE_BODY).expect("length");
        assert_eq!(read_body(&mut r, len).await.expect("body"), b"abc");
        let h = read_head(&mut r, Kind::Response).await.expect("io").expect("head");
        assert_eq!(h.start, "HTTP/1.1 404 Not Found");
    }

    #[tokio::test]
    async fn refuses_oversized_and_malformed_heads() {
        let mut data = b"GET / HTTP/1.1\r\nX: ".to_vec();
        data.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        let mut r = tokio::io::BufReader::new(&data[..]);
        let e = read_head(&mut r, Kind::Request).await.expect_err("too large");
        assert_eq!(Rejected::of(&e).map(|r| r.status), Some(431));

        let mut data = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            data.extend(format!("x{i}: y\r\n").bytes());
        }
        data.extend(b"\r\n");
        let mut r = tokio::io::BufReader::new(&data[..]);
        let e = read_head(&mut r, Kind::Request).await.expect_err("too many");
        assert_eq!(Rejected::of(&e).map(|r| r.status), Some(431));

        let mut r = tokio::io::BufReader::new(&b"GET / HTTP/1.1\r\nno colon\r\n\r\n"[..]);
        let e = read_head(&mut r, Kind::Request).await.expect_err("malformed");
        assert_eq!(Rejected::of(&e).map(|r| r.status), Some(400));

        // Found by the fuzz target: a stray CR after blank lines, then the end of stream.
        for capacity in [1, 1024] {
            let mut r = tokio::io::BufReader::with_capacity(capacity, &b"\n\n\r\r"[..]);
            let e = read_head(&mut r, Kind::Request).await.expect_err("stray CR");
            assert_eq!(Rejected::of(&e).map(|r| r.status), Some(400), "capacity {capacity}");
        }

        let mut r = tokio::io::BufReader::new(&b"GET / HTTP/1.1\r\nHost: x\r\n"[..]);
        let e = read_head(&mut r, Kind::Request).await.expect_err("truncated");
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn content_length_is_one_plain_decimal_within_the_limit() {
        let status = |f: &[(&str, &str)]| head(f).body_length(MAX_BODY).map_err(|r| r.status);
        assert_eq!(status(&[]), Ok(0));
        assert_eq!(status(&[("content-length", "0")]), Ok(0));
        assert_eq!(status(&[("content-length", "1048576")]), Ok(MAX_BODY));
        assert_eq!(status(&[("content-length", "1048577")]), Err(413));
        assert_eq!(status(&[("content-length", "100000000000")]), Err(413));
        assert_eq!(status(&[("content-length", "18446744073709551615")]), Err(413));
        assert_eq!(status(&[("content-length", "18446744073709551616")]), Err(413));
        assert_eq!(status(&[("content-length", &"9".repeat(200))]), Err(413));
        for bad in ["", "+5", "-1", "0x10", "1,1", "5 5", "1e3", "٣"] {
            assert_eq!(status(&[("content-length", bad)]), Err(400), "{bad:?}");
        }
        assert_eq!(status(&[("content-length", "5"), ("content-length", "5")]), Err(400));
        assert_eq!(status(&[("content-length", "0"), ("content-length", "40")]), Err(400));
        assert_eq!(status(&[("transfer-encoding", "chunked"), ("content-length", "3")]), Err(400));
        assert_eq!(status(&[("transfer-encoding", "chunked")]), Err(400));
    }

    /// What reading a head ended with, comparable across buffer sizes.
    async fn outcome(data: &[u8], capacity: usize) -> Result<Option<(String, Vec<(String, String)>, usize)>, String> {
        let mut r = tokio::io::BufReader::with_capacity(capacity, data);
        match read_head(&mut r, Kind::Request).await {
            Ok(Some(h)) => {
                let rest = r.buffer().len() + r.get_ref().len();
                Ok(Some((h.start, h.headers, data.len() - rest)))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(Rejected::of(&e).map_or_else(|| format!("{:?}", e.kind()), |r| r.status.to_string())),
        }
    }

    /// A small deterministic fuzz run (the `fuzz/` target goes further): mutated requests never
    /// panic, give the same result whether they arrive byte by byte or at once, and end in a
    /// head, a clean end, a truncation or one of the statuses 400 and 431.
    #[tokio::test]
    async fn mutated_requests_never_panic_and_do_not_depend_on_how_bytes_arrive() {
        let seeds: [&[u8]; 3] = [
            b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
            b"POST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello",
            b"\r\nPUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        ];
        let pieces: [&[u8]; 10] = [
            b"\r\n",
            b"\n",
            b":",
            b" ",
            b"Content-Length: ",
            b"18446744073709551616",
            b"\0",
            b"\xff",
            b"\t",
            b"HTTP/1.1",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..2000 {
            let mut data = seeds[round % seeds.len()].to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (data.len() + 1);
                match next() % 4 {
                    0 => data.splice(at..at, pieces[(next() as usize) % pieces.len()].iter().copied()).for_each(drop),
                    1 if at < data.len() => data[at] = next() as u8,
                    2 => data.truncate(at),
                    _ => {
                        // Now and then past MAX_HEAD.
                        let n = if next() % 8 == 0 { 15_000 + next() % 5_000 } else { next() % 300 };
                        data.splice(at..at, std::iter::repeat_n(b'a', n as usize)).for_each(drop);
                    }
                }
            }
            let one = outcome(&data, 1).await;
            let all = outcome(&data, 64 * 1024).await;
            assert_eq!(one, all, "{:?}", String::from_utf8_lossy(&data));
            match &one {
                Ok(Some((_, headers, used))) => {
                    assert!(*used <= MAX_HEAD && headers.len() <= MAX_HEADERS);
                    let h = Head { start: String::new(), headers: headers.clone() };
                    if let Err(r) = h.body_length(MAX_BODY) {
                        assert!(r.status == 400 || r.status == 413, "{r:?}");
                    }
                }
                Ok(None) => {}
                Err(e) => assert!(["400", "431", "UnexpectedEof"].contains(&e.as_str()), "{e}"),
            }
        }
    }

    #[tokio::test]
    async fn a_body_is_read_as_it_arrives_and_a_short_one_is_an_error() {
        let mut r = &b"abcdef"[..];
        assert_eq!(read_body(&mut r, 4).await.expect("body"), b"abcd");
        let mut r = &b"ab"[..];
        let e = read_body(&mut r, 10).await.expect_err("short");
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn a_request_that_stops_midway_is_slow_and_silence_is_idle() {
        let (client, server) = tokio::io::duplex(1024);
        let mut rd = tokio::io::BufReader::new(server);
        let t = Duration::from_millis(100);
        assert!(matches!(read_request(&mut rd, t).await, Err(ReadError::Idle)));
        let (_, mut w) = tokio::io::split(client);
        w.write_all(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab").await.expect("write");
        assert!(matches!(read_request(&mut rd, t).await, Err(ReadError::Slow)));
    }
}
