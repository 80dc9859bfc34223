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

    /// Command-line usage the parser could not catch.
    #[error("{0}")]
    Usage(String),
}

fn did_you_mean(s: &Option<String>) -> String {
    match s {
        Some(s) => format!("; did you mean `{s}`?\n  hint: `pki-lab scenarios` lists them all"),
        None => "\n  hint: `pki-lab scenarios` lists them all".to_string(),
    }
}

impl Error {
    /// 2 for bad input or usage; 1 is kept for "a check did not hold" (probe/verify/lab check).
    pub fn exit_code(&self) -> i32 {
        2
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
    fn suggests_close_names_only() {
        let names = ["expired", "expired-intermediate", "valid"];
        assert_eq!(suggest("expird", names).as_deref(), Some("expired"));
        assert_eq!(suggest("zzz", names), None);
    }
}
