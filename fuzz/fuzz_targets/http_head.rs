//! Any bytes as a request or response head: no panic, no allocation beyond the limits, and the
//! same outcome whether the bytes arrive one at a time or all at once.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pki_lab::serve::http::{self, Kind, MAX_BODY, MAX_HEAD, MAX_HEADERS};

type Outcome = Result<Option<(String, Vec<(String, String)>, Option<Vec<u8>>)>, String>;

async fn read(data: &[u8], kind: Kind, capacity: usize) -> Outcome {
    let mut r = tokio::io::BufReader::with_capacity(capacity, data);
    let status =
        |e: std::io::Error| http::Rejected::of(&e).map_or_else(|| format!("{:?}", e.kind()), |r| r.status.to_string());
    let Some(head) = http::read_head(&mut r, kind).await.map_err(status)? else { return Ok(None) };
    assert!(head.headers.len() <= MAX_HEADERS);
    let _ = head.keep_alive();
    // A body only within the limit, read as it arrives.
    let body = match head.body_length(MAX_BODY) {
        Ok(len) => Some(http::read_body(&mut r, len).await.map_err(status)?),
        Err(rej) => {
            assert!(rej.status == 400 || rej.status == 413, "{rej:?}");
            None
        }
    };
    Ok(Some((head.start, head.headers, body)))
}

fuzz_target!(|data: &[u8]| {
    for kind in [Kind::Request, Kind::Response] {
        if let Ok(Some((used, _))) = http::parse(data, kind) {
            assert!(used <= data.len());
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    rt.block_on(async {
        for kind in [Kind::Request, Kind::Response] {
            let one = read(data, kind, 1).await;
            let all = read(data, kind, 2 * MAX_HEAD).await;
            assert_eq!(one, all);
            if let Err(e) = &one {
                assert!(["400", "431", "UnexpectedEof"].contains(&e.as_str()), "{e}");
            }
        }
    });
});
