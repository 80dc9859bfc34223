//! A custom client for `pki-lab audit -- CMD ARGS…`: placeholders filled per scenario, the
//! command run with a time limit, exit status 0 read as "accepted".

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where one scenario listens and what a client needs to reach it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub host: String,
    pub port: u16,
    pub ca: PathBuf,
    /// The lab's CRLs (`crls.pem`), only for scenarios whose manifest entry names a CRL.
    pub crl: Option<PathBuf>,
    /// The scenario's client certificate and key, where it has them.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

/// The placeholders a command may use, in the order the help lists them.
pub const PLACEHOLDERS: &[&str] = &["url", "host", "port", "ca", "crl", "client_cert", "client_key"];

/// What the client did with one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It completed the request (a custom command exited 0).
    Accepted,
    /// It gave up (a custom command exited non-zero).
    Refused,
    /// It could not be observed: timed out, killed by a signal.
    Error,
}

/// One observation: the outcome, a short stable code and the client's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub outcome: Outcome,
    /// `exit 60`, `net::ERR_CERT_DATE_INVALID`, `timeout`, …
    pub code: String,
    /// The first line the client wrote to stderr (for a refusal without one, the last line of
    /// stdout), or what went wrong.
    pub text: String,
}

/// A command line with placeholders, checked once before anything runs.
#[derive(Debug, Clone)]
pub struct Template {
    argv: Vec<String>,
}

impl Template {
    /// Refuses an empty command, a `{name}` that is not a placeholder (with a suggestion), and a
    /// command that names neither `{url}` nor `{port}` (it could not reach the scenario).
    pub fn parse(argv: &[String]) -> Result<Template> {
        if argv.is_empty() {
            return Err(Error::Usage(
                "audit: give a command after `--`, e.g. `-- curl -sS --cacert {ca} {url}`".into(),
            ));
        }
        let mut reaches = false;
        for arg in argv {
            for name in names_in(arg) {
                if !PLACEHOLDERS.contains(&name) {
                    let hint = crate::error::suggest(name, PLACEHOLDERS.iter().copied())
                        .map_or(String::new(), |s| format!("; did you mean `{{{s}}}`?"));
                    return Err(Error::Usage(format!(
                        "audit: unknown placeholder `{{{name}}}` in `{arg}`{hint}\n  placeholders: {}",
                        PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(" ")
                    )));
                }
                reaches |= name == "url" || name == "port";
            }
        }
        if !reaches {
            return Err(Error::Usage(format!(
                "audit: the command `{}` names neither {{url}} nor {{port}}, so it cannot reach the scenario servers",
                argv.join(" ")
            )));
        }
        Ok(Template { argv: argv.to_vec() })
    }

    /// The command as the user wrote it.
    pub fn display(&self) -> String {
        self.argv.join(" ")
    }

    /// The arguments for one scenario. A placeholder with no value here (`{crl}` where the
    /// scenario has no CRL, `{client_cert}` where it has no client certificate) leaves its
    /// argument out, and the option before it when that starts with `-` (`--cert {client_cert}`).
    pub fn expand(&self, ep: &Endpoint) -> Vec<String> {
        let value = |name: &str| -> Option<String> {
            let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
            match name {
                "url" => Some(ep.url.clone()),
                "host" => Some(ep.host.clone()),
                "port" => Some(ep.port.to_string()),
                "ca" => Some(ep.ca.display().to_string()),
                "crl" => path(&ep.crl),
                "client_cert" => path(&ep.client_cert),
                "client_key" => path(&ep.client_key),
                _ => None,
            }
        };
        let mut out: Vec<String> = Vec::new();
        for arg in &self.argv {
            let mut text = arg.clone();
            let mut missing = false;
            for name in names_in(arg) {
                match value(name) {
                    Some(v) => text = text.replace(&format!("{{{name}}}"), &v),
                    None => missing = true,
                }
            }
            if missing {
                // Drop the option this argument was the value of, if it was one.
                let is_value = names_in(arg).len() == 1 && arg.starts_with('{') && arg.ends_with('}');
                if is_value && out.last().is_some_and(|o| o.starts_with('-') && o.len() > 1) {
                    out.pop();
                }
                continue;
            }
            out.push(text);
        }
        out
    }

    /// Runs the command for one scenario. A program that cannot be started is bad input (the
    /// error names it); a run that outlives `timeout` is killed and observed as an error.
    pub fn run(&self, ep: &Endpoint, timeout: Duration) -> Result<Observed> {
        let argv = self.expand(ep);
        let (program, args) = argv.split_first().ok_or_else(|| Error::Usage("audit: empty command".into()))?;
        // Its own process group, so a timeout can end what it started too (a browser's helpers).
        let mut child = Command::new(program)
            .args(args)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Command { command: program.clone(), message: format!("cannot start it: {e}") })?;
        // Drain both pipes on threads so a chatty client cannot block on a full pipe.
        let drain = |r: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(r) = r {
                    let _ = r.take(1 << 20).read_to_end(&mut buf);
                }
                String::from_utf8_lossy(&buf).into_owned()
            })
        };
        let out = drain(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
        let err = drain(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if started.elapsed() >= timeout => {
                    // std signals one process; `kill -KILL -PGID` ends the group it leads.
                    let _ = Command::new("kill")
                        .args(["-KILL", "--", &format!("-{}", child.id())])
                        .stderr(Stdio::null())
                        .status();
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(Error::Command { command: program.clone(), message: format!("waiting: {e}") }),
            }
        };
        let Some(status) = status else {
            // A descendant may still hold the pipes open: leave the readers to finish alone.
            return Ok(Observed {
                outcome: Outcome::Error,
                code: "timeout".into(),
                text: format!("no answer within {} s (killed)", timeout.as_secs_f64()),
            });
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        // Clients name the error first (`curl: (60) …`), then explain; stdout is the page.
        let first = |s: &str| s.lines().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string());
        let last = |s: &str| s.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string());
        let said = first(&stderr).or_else(|| last(&stdout)).unwrap_or_default();
        Ok(match status.code() {
            Some(0) => {
                Observed { outcome: Outcome::Accepted, code: "exit 0".into(), text: first(&stderr).unwrap_or_default() }
            }
            Some(n) => Observed { outcome: Outcome::Refused, code: format!("exit {n}"), text: said },
            None => Observed { outcome: Outcome::Error, code: "signal".into(), text: status.to_string() },
        })
    }
}

/// The `{name}`s in one argument (lower-case letters and `_` only, so `{"a":1}` is left alone).
fn names_in(arg: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if close > 0 && after[..close].bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => {
                names.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(crl: bool) -> Endpoint {
        Endpoint {
            url: "https://localhost:1234/".into(),
            host: "localhost".into(),
            port: 1234,
            ca: "/lab/ca.pem".into(),
            crl: crl.then(|| "/lab/crls.pem".into()),
            client_cert: None,
            client_key: None,
        }
    }

    fn argv(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn placeholders_are_filled_and_a_missing_one_takes_its_option_along() {
        let t =
            Template::parse(&argv("curl --cacert {ca} --crlfile {crl} --cert {client_cert} {url}")).expect("parses");
        assert_eq!(t.expand(&ep(false)), argv("curl --cacert /lab/ca.pem https://localhost:1234/"));
        assert_eq!(
            t.expand(&ep(true)),
            argv("curl --cacert /lab/ca.pem --crlfile /lab/crls.pem https://localhost:1234/")
        );
        let t = Template::parse(&argv("openssl s_client -connect {host}:{port} -CRL={crl}")).expect("parses");
        assert_eq!(t.expand(&ep(false)), argv("openssl s_client -connect localhost:1234"));
    }

    #[test]
    fn an_unknown_placeholder_is_refused_with_a_suggestion_and_json_braces_are_not_placeholders() {
        let e = Template::parse(&argv("curl --cacert {cafile} {url}")).expect_err("typo");
        assert!(e.to_string().contains("unknown placeholder `{cafile}`"), "{e}");
        assert_eq!(e.exit_code(), 2);
        let e = Template::parse(&argv("curl {urll}")).expect_err("typo");
        assert!(e.to_string().contains("did you mean `{url}`?"), "{e}");
        assert!(Template::parse(&argv(r#"curl -d {"a":1} {url}"#)).is_ok());
    }

    #[test]
    fn a_command_that_cannot_reach_the_servers_is_refused() {
        let e = Template::parse(&argv("curl --cacert {ca} https://example.test/")).expect_err("no url");
        assert!(e.to_string().contains("names neither {url} nor {port}"), "{e}");
        assert!(Template::parse(&[]).is_err());
    }

    #[test]
    fn exit_status_decides_and_a_slow_command_is_killed() {
        let ok =
            Template::parse(&["true".into(), "{url}".into()]).expect("parses").run(&ep(false), Duration::from_secs(5));
        assert_eq!(ok.expect("runs").outcome, Outcome::Accepted);
        let no = Template::parse(&["sh".into(), "-c".into(), "echo nope >&2; exit 7".into(), "{url}".into()])
            .expect("parses")
            .run(&ep(false), Duration::from_secs(5))
            .expect("runs");
        assert_eq!((no.outcome, no.code.as_str(), no.text.as_str()), (Outcome::Refused, "exit 7", "nope"));
        let slow = Template::parse(&["sh".into(), "-c".into(), "sleep 5".into(), "{url}".into()])
            .expect("parses")
            .run(&ep(false), Duration::from_millis(200))
            .expect("runs");
        assert_eq!((slow.outcome, slow.code.as_str()), (Outcome::Error, "timeout"));
        let missing = Template::parse(&["no-such-client-xyz".into(), "{url}".into()])
            .expect("parses")
            .run(&ep(false), Duration::from_secs(1))
            .expect_err("not found");
        assert!(missing.to_string().contains("no-such-client-xyz"), "{missing}");
        assert_eq!(missing.exit_code(), 2);
    }
}
