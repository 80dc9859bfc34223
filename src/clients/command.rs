//! Running a client program with a deadline, its output captured.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long any one client may take for one target.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// What a finished (or killed) program did.
#[derive(Debug)]
pub struct Ran {
    /// The exit code; `None` when killed at the deadline or by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

/// `program` is a file in a directory of PATH, as `Command::new` resolves it.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// Runs `cmd`, writing `stdin` and then closing it, killing it after [`TIMEOUT`].
pub fn run(mut cmd: Command, stdin: &[u8]) -> Result<Ran> {
    let what = format!("{:?}", cmd.get_program());
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| Error::Command { command: what.clone(), message: e.to_string() })?;
    let reader = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let err = reader(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    if let Some(mut input) = child.stdin.take() {
        // A client that exits before reading its input is not an error here.
        let _ = input.write_all(stdin);
    }
    let t0 = Instant::now();
    let (code, timed_out) = loop {
        match child.try_wait().map_err(|e| Error::Command { command: what.clone(), message: e.to_string() })? {
            Some(status) => break (status.code(), false),
            None if t0.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break (None, true);
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let join = |h: std::thread::JoinHandle<String>| h.join().unwrap_or_default();
    Ok(Ran { code, stdout: join(out), stderr: join(err), timed_out })
}

/// Like [`run`], failing with the output when the program does not exit 0 (for build steps).
pub fn run_ok(cmd: Command, what: &str) -> Result<()> {
    let ran = run(cmd, b"")?;
    if ran.code == Some(0) {
        return Ok(());
    }
    Err(Error::Command {
        command: what.to_string(),
        message: format!("{}{}", ran.stdout, ran.stderr).trim().to_string(),
    })
}

/// `path` as an argument (lossy for non-UTF-8 paths, which the lab never makes).
pub fn arg(path: &Path) -> String {
    path.display().to_string()
}

/// The HTTP request every command-line client sends where it is given the bytes.
pub fn get_request(host: &str) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes()
}
