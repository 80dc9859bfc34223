//! The one error type of pki-lab, and the exit code each kind of failure maps to.

use std::path::PathBuf;

/// Everything that can go wrong, with the context a user needs to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A YAML document (template or lab) did not parse; `rendered` holds file, line, column and a
    /// snippet.
    #[error("{rendered}")]
    Yaml { rendered: String },

    /// A template or other input parsed but says something impossible.
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },

    /// A name the user typed is not in the catalogue.
    #[error("unknown scenario `{name}`{}", did_you_mean(suggestion))]
    UnknownScenario { name: String, suggestion: Option<String> },

    /// `init` found a lab where it was asked to create one.
    #[error(
        "a lab already exists in {}\n  hint: `pki-lab init --renew` re-issues the scenarios under the same CA; `--force` replaces the CA too",
        dir.display()
    )]
    LabExists { dir: PathBuf },

    /// A command needs a lab and there is none.
    #[error("no lab in {}\n  hint: run `pki-lab init` first (or pass --dir)", dir.display())]
    NoLab { dir: PathBuf },

    /// Another pki-lab process held the lab's lock for longer than we wait for it.
    #[error(
        "another pki-lab process is still changing the lab in {}: gave up after waiting {waited} s for its lock ({})\n  hint: let it finish (or stop it) and rerun; the lock goes away when that process exits",
        dir.display(),
        lock.display()
    )]
    LabBusy { dir: PathBuf, lock: PathBuf, waited: u64 },

    /// A certificate or key could not be made or read.
    #[error("{context}: {source}")]
    Rcgen {
        context: String,
        #[source]
        source: rcgen::Error,
    },

    /// A PEM/DER certificate could not be parsed.
    #[error("{context}: {message}")]
    Parse { context: String, message: String },

    /// `issue` was asked for names the lab root's name constraints do not allow.
    #[error(
        "refusing to issue for {}: outside the names the lab root may issue for\n  permitted: {} (a DNS name covers its subdomains; emails and URIs are not constrained)\n  hint: pick names under those (e.g. app.test, *.app.test, 127.0.0.1), or make a lab whose root also permits yours: `pki-lab init --force --permit NAME` (--force replaces the CA, and every certificate issued under it)",
        names.join(", "),
        permitted.join(", ")
    )]
    NameNotPermitted { names: Vec<String>, permitted: Vec<String> },

    /// An external program (certutil, keytool, update-ca-certificates) failed or is missing.
    #[error("{command}: {message}")]
    Command { command: String, message: String },

    /// A client pki-lab runs (`clients`) is not installed.
    #[error(
        "{client}: `{program}` is not installed\n  hint: install the Debian package `{package}` (`apt-get install {package}`)"
    )]
    MissingClient { client: &'static str, program: &'static str, package: &'static str },

    /// Command-line usage the parser could not catch: flags that do not go together, a value
    /// clap cannot check. Only `cli/` returns it.
    #[error("{0}")]
    Usage(String),

    /// A value the user gave (a name, a range, a file's content, a template field) that pki-lab
    /// cannot use.
    #[error("{0}")]
    Input(String),

    /// A TLS configuration could not be built from the lab's material.
    #[error("{0}")]
    Tls(String),

    /// A socket could not be bound, resolved or reached, or a server did not start. (A probe that
    /// reaches nothing is not an error but an incomplete report, exit 3.)
    #[error("{0}")]
    Network(String),

    /// A trust store or other facility this machine does not offer.
    #[error("{0}")]
    Unavailable(String),

    /// Encoding a report as JSON failed (a bug).
    #[error("encoding JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// Standard output was closed by its reader (`pki-lab … | head`): end quietly.
    #[error("standard output closed")]
    BrokenPipe,

    /// Something that should not happen: a thread panicked, the runtime or the random generator
    /// failed.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A `--flag SECONDS` value as a duration.
pub fn seconds(s: f64, flag: &str) -> Result<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(s)
        .map_err(|_| Error::Input(format!("{flag}: expected a positive number of seconds, found {s}")))
}

fn did_you_mean(s: &Option<String>) -> String {
    match s {
        Some(s) => format!("; did you mean `{s}`?\n  hint: `pki-lab scenarios` lists them all"),
        None => "\n  hint: `pki-lab scenarios` lists them all".to_string(),
    }
}

/// Exit code of a probe that has no verdict: the handshake could not be observed (nothing
/// listens, the server does not speak TLS, it never answers). Never 0, so a script does not
/// mistake "could not look" for "looked and found nothing wrong"; not 1, which means a rule
/// failed or an expectation differs.
pub const EXIT_NO_VERDICT: i32 = 3;

impl Error {
    /// The exit code for this failure. 0 and 1 are not errors: 1 means "a check did not hold"
    /// (probe, verify, lab check return it as a result); 3 is also a probe with no verdict
    /// ([`EXIT_NO_VERDICT`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            // 2: the input or the environment is wrong; the user can fix it and rerun.
            Error::Io { .. }
            | Error::Yaml { .. }
            | Error::Invalid { .. }
            | Error::UnknownScenario { .. }
            | Error::LabExists { .. }
            | Error::NoLab { .. }
            | Error::LabBusy { .. }
            | Error::Rcgen { .. }
            | Error::Parse { .. }
            | Error::NameNotPermitted { .. }
            | Error::Command { .. }
            | Error::MissingClient { .. }
            | Error::Usage(_)
            | Error::Input(_)
            | Error::Tls(_)
            | Error::Network(_)
            | Error::Unavailable(_) => 2,
            // 70: EX_SOFTWARE of sysexits.h, a bug in pki-lab.
            Error::Json(_) | Error::Internal(_) => 70,
            // What a shell reports for a process killed by SIGPIPE (128 + 13).
            Error::BrokenPipe => 141,
        }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { action, path, source }
    }

    pub(crate) fn rcgen(context: impl Into<String>) -> impl FnOnce(rcgen::Error) -> Error {
        let context = context.into();
        move |source| Error::Rcgen { context, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
pub fn suggest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::levenshtein(input, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    // Allow about one typo per three characters, so `expird` finds `expired` but `foo` finds nothing.
    best.filter(|(d, _)| *d <= (input.len() / 3).max(1)).map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_variant() {
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(Error::Input("x".into()).exit_code(), 2);
        assert_eq!(Error::Network("x".into()).exit_code(), 2);
        assert_eq!(Error::Internal("x".into()).exit_code(), 70);
        let json = serde_json::from_str::<serde_json::Value>("{").expect_err("bad JSON");
        assert_eq!(Error::from(json).exit_code(), 70);
        assert_eq!(Error::BrokenPipe.exit_code(), 141);
        assert_ne!(EXIT_NO_VERDICT, Error::Usage("x".into()).exit_code());
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["expired", "expired-intermediate", "valid"];
        assert_eq!(suggest("expird", names).as_deref(), Some("expired"));
        assert_eq!(suggest("zzz", names), None);
    }
}
