//! Environment variables that make common clients trust the lab, printed for a shell.
//!
//! Most of these variables *replace* the client's roots, so they point at a bundle of the
//! system's roots plus the lab root (public sites keep working); `NODE_EXTRA_CA_CERTS` *adds* to
//! Node's roots, so it points at the lab root alone.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::labdir::fsutil;

/// Whether a variable replaces the client's roots or adds to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Replaces,
    Adds,
}

/// One variable: its name, what reads it, and whether it replaces or adds.
pub struct Var {
    pub name: &'static str,
    pub read_by: &'static str,
    pub effect: Effect,
}

/// The variables, one list to read top to bottom.
pub const VARS: &[Var] = &[
    Var {
        name: "SSL_CERT_FILE",
        read_by: "OpenSSL, Python ssl, Ruby, Go, rustls-native-certs",
        effect: Effect::Replaces,
    },
    Var { name: "CURL_CA_BUNDLE", read_by: "curl", effect: Effect::Replaces },
    Var { name: "REQUESTS_CA_BUNDLE", read_by: "Python requests", effect: Effect::Replaces },
    Var { name: "GIT_SSL_CAINFO", read_by: "git", effect: Effect::Replaces },
    Var { name: "PIP_CERT", read_by: "pip", effect: Effect::Replaces },
    Var { name: "AWS_CA_BUNDLE", read_by: "AWS CLI and SDKs", effect: Effect::Replaces },
    Var { name: "CARGO_HTTP_CAINFO", read_by: "cargo", effect: Effect::Replaces },
    Var { name: "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", read_by: "gRPC (C core)", effect: Effect::Replaces },
    Var { name: "NODE_EXTRA_CA_CERTS", read_by: "Node.js", effect: Effect::Adds },
    Var { name: "DENO_CERT", read_by: "Deno", effect: Effect::Adds },
];

/// Where the system's own roots usually are, first existing wins.
pub const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The shells `env` can print for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shell {
    /// POSIX sh, bash, zsh: `export NAME='value'`
    #[default]
    Sh,
    /// fish: `set -gx NAME 'value'`
    Fish,
    /// PowerShell: `$env:NAME = 'value'`
    Powershell,
}

/// The bundle file written beside the lab root.
pub const BUNDLE: &str = "trust-bundle.pem";

/// Writes `<lab>/trust-bundle.pem`: the system roots (if any) followed by the lab root. Returns
/// its path and the system bundle used.
pub fn write_bundle(lab: &Path, root_pem: &str, system: Option<&Path>) -> Result<(PathBuf, Option<PathBuf>)> {
    let system = match system {
        Some(p) => Some(p.to_path_buf()),
        None => SYSTEM_BUNDLES.iter().map(PathBuf::from).find(|p| p.is_file()),
    };
    let mut text = match &system {
        Some(p) => fsutil::read_to_string(p)?,
        None => String::new(),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# pki-lab root\n");
    text.push_str(root_pem);
    let path = lab.join(BUNDLE);
    fsutil::write_atomic(&path, text.as_bytes(), fsutil::PUBLIC)?;
    Ok((path, system))
}

/// The lines that set (or, with `unset`, remove) every variable.
pub fn render(shell: Shell, bundle: &Path, root: &Path, unset: bool) -> String {
    let mut out = String::new();
    for v in VARS {
        let value = match v.effect {
            Effect::Replaces => bundle,
            Effect::Adds => root,
        }
        .display()
        .to_string();
        let line = match (shell, unset) {
            (Shell::Sh, false) => format!("export {}={}", v.name, sh_quote(&value)),
            (Shell::Sh, true) => format!("unset {}", v.name),
            (Shell::Fish, false) => format!("set -gx {} {}", v.name, fish_quote(&value)),
            (Shell::Fish, true) => format!("set -e {}", v.name),
            (Shell::Powershell, false) => format!("$env:{} = {}", v.name, ps_quote(&value)),
            (Shell::Powershell, true) => format!("Remove-Item Env:{} -ErrorAction SilentlyContinue", v.name),
        };
        out.push_str(&line);
        out.push_str(if shell == Shell::Powershell { "\n" } else { ";\n" });
    }
    out
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shell_quotes_its_own_way_and_node_gets_the_root_alone() {
        let (b, r) = (Path::new("/l/it's/b.pem"), Path::new("/l/ca.pem"));
        let sh = render(Shell::Sh, b, r, false);
        assert!(sh.contains(r"export SSL_CERT_FILE='/l/it'\''s/b.pem';"), "{sh}");
        assert!(sh.contains("export NODE_EXTRA_CA_CERTS='/l/ca.pem';"), "{sh}");
        assert!(render(Shell::Fish, b, r, false).contains(r"set -gx CURL_CA_BUNDLE '/l/it\'s/b.pem';"));
        assert!(render(Shell::Powershell, b, r, false).contains("$env:GIT_SSL_CAINFO = '/l/it''s/b.pem'"));
        assert!(render(Shell::Sh, b, r, true).starts_with("unset SSL_CERT_FILE;"));
    }
}
