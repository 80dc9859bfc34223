//! Putting the lab root into trust stores and taking it out again: the system store
//! (update-ca-certificates and its Fedora/Arch cousins), NSS databases (Firefox, Chromium; via
//! `certutil`) and a Java key store (via `keytool`).
//!
//! Every path and program can be chosen ([`TrustOptions`]), so tests work on temporary stores and
//! never touch the machine's own. Each change is a list of [`Step`]s, which `--dry-run` prints
//! instead of running. Uninstall removes what install added and nothing else: the system file
//! only if it still holds this root, the NSS and Java entries by their unique name.

pub mod env;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use rustls::pki_types::CertificateDer;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::labdir::fsutil;

/// A kind of trust store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Store {
    /// The operating system's CA directory and bundle (OpenSSL, curl, Python, Go, …)
    System,
    /// NSS databases (Firefox, Chromium, and other NSS programs)
    Nss,
    /// A Java key store (the JDK's cacerts unless --java-keystore)
    Java,
}

impl Store {
    pub const ALL: [Store; 3] = [Store::System, Store::Nss, Store::Java];

    pub fn as_str(self) -> &'static str {
        match self {
            Store::System => "system",
            Store::Nss => "nss",
            Store::Java => "java",
        }
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the stores are and which programs change them. `None` means "find the usual one".
#[derive(Debug, Clone, Default)]
pub struct TrustOptions {
    /// The unique name of the root in every store: file stem, NSS nickname, Java alias.
    pub name: String,
    /// Directory of local CA certificates (e.g. /usr/local/share/ca-certificates).
    pub system_dir: Option<PathBuf>,
    /// Command that rebuilds the system bundle after a change; an empty list runs nothing.
    pub system_update: Option<Vec<String>>,
    /// The bundle the update writes, read by `status`.
    pub system_bundle: Option<PathBuf>,
    /// NSS database directories; empty means the user's usual ones.
    pub nss_dbs: Vec<PathBuf>,
    pub certutil: Option<String>,
    /// A key store file; `None` is the JDK's cacerts (`keytool -cacerts`).
    pub java_keystore: Option<PathBuf>,
    pub java_storepass: Option<String>,
    pub keytool: Option<String>,
}

/// The lab root: where its PEM file is and what it is.
pub struct Root<'a> {
    pub pem_path: &'a Path,
    pub pem: &'a str,
    pub der: &'a CertificateDer<'static>,
}

/// One change to a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Write { path: PathBuf, contents: String },
    Remove { path: PathBuf },
    Run { argv: Vec<String> },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Write { path, .. } => write!(f, "write the lab root to {}", path.display()),
            Step::Remove { path } => write!(f, "rm {}", shell_quote(&path.display().to_string())),
            Step::Run { argv } => f.write_str(&argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")),
        }
    }
}

/// What happened (or, in a dry run, would happen) in one store.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub store: Store,
    /// The file, database or key store concerned.
    pub location: String,
    /// `installed`, `not installed`, `removed`, `already installed`, `skipped: …`.
    pub state: String,
    #[serde(skip)]
    pub steps: Vec<Step>,
}

/// The location of the system store: directory, file extension, update command, bundle.
#[derive(Debug, Clone)]
pub struct SystemStore {
    pub dir: PathBuf,
    pub extension: &'static str,
    pub update: Vec<String>,
    pub bundle: Option<PathBuf>,
}

/// Directories of the distributions mkcert knows, first existing wins.
const SYSTEM_LAYOUTS: &[(&str, &str, &[&str], &str)] = &[
    ("/etc/pki/ca-trust/source/anchors", "pem", &["update-ca-trust", "extract"], "/etc/pki/tls/certs/ca-bundle.crt"),
    ("/usr/local/share/ca-certificates", "crt", &["update-ca-certificates"], "/etc/ssl/certs/ca-certificates.crt"),
    (
        "/etc/ca-certificates/trust-source/anchors",
        "crt",
        &["trust", "extract-compat"],
        "/etc/ssl/certs/ca-certificates.crt",
    ),
    ("/usr/share/pki/trust/anchors", "pem", &["update-ca-certificates"], "/etc/ssl/ca-bundle.pem"),
];

impl TrustOptions {
    /// The system store to use, or why there is none.
    pub fn system(&self) -> std::result::Result<SystemStore, String> {
        let (dir, extension, update, bundle) = match &self.system_dir {
            Some(d) => (d.clone(), "crt", vec!["update-ca-certificates".to_string()], None),
            None => {
                let Some((d, ext, cmd, bundle)) = SYSTEM_LAYOUTS.iter().find(|(d, ..)| Path::new(d).is_dir()) else {
                    return Err(
                        "no known system CA directory (Debian, Fedora, Arch, openSUSE); pass --system-dir".into()
                    );
                };
                (PathBuf::from(d), *ext, cmd.iter().map(|s| s.to_string()).collect(), Some(PathBuf::from(bundle)))
            }
        };
        Ok(SystemStore {
            dir,
            extension,
            update: self.system_update.clone().unwrap_or(update),
            bundle: self.system_bundle.clone().or(bundle),
        })
    }

    /// NSS databases to use: the given ones, else those found in the user's home and /etc.
    pub fn nss_dbs(&self) -> Vec<PathBuf> {
        if !self.nss_dbs.is_empty() {
            return self.nss_dbs.clone();
        }
        let mut found = Vec::new();
        if let Some(home) = dirs::home_dir() {
            for rel in [".pki/nssdb", "snap/chromium/current/.pki/nssdb"] {
                found.push(home.join(rel));
            }
            for profiles in [".mozilla/firefox", "snap/firefox/common/.mozilla/firefox"] {
                if let Ok(rd) = std::fs::read_dir(home.join(profiles)) {
                    found.extend(rd.filter_map(|e| e.ok().map(|e| e.path())));
                }
            }
        }
        found.push(PathBuf::from("/etc/pki/nssdb"));
        found.retain(|d| nss_prefix(d).is_some());
        found
    }

    fn certutil(&self) -> String {
        self.certutil.clone().unwrap_or_else(|| "certutil".into())
    }

    fn keytool(&self) -> String {
        self.keytool.clone().unwrap_or_else(|| "keytool".into())
    }

    fn storepass(&self) -> String {
        self.java_storepass.clone().unwrap_or_else(|| "changeit".into())
    }

    fn java_store_args(&self) -> Vec<String> {
        match &self.java_keystore {
            Some(k) => vec!["-keystore".into(), k.display().to_string()],
            None => vec!["-cacerts".into()],
        }
    }

    fn java_location(&self) -> String {
        match &self.java_keystore {
            Some(k) => k.display().to_string(),
            None => "the JDK's cacerts (keytool -cacerts)".into(),
        }
    }

    /// Why a store cannot be used here, if it cannot.
    pub fn unavailable(&self, store: Store) -> Option<String> {
        match store {
            Store::System => self.system().err(),
            Store::Nss => {
                if !program_exists(&self.certutil()) {
                    Some(format!("`{}` not found (Debian: apt-get install libnss3-tools)", self.certutil()))
                } else if self.nss_dbs().is_empty() {
                    Some("no NSS database found (~/.pki/nssdb, Firefox profiles); pass --nss-db DIR".into())
                } else {
                    None
                }
            }
            Store::Java => (!program_exists(&self.keytool()))
                .then(|| format!("`{}` not found (Debian: apt-get install openjdk-17-jre-headless)", self.keytool())),
        }
    }
}

/// `sql:` for a cert9.db database, `dbm:` for the old cert8.db, `None` when there is none.
fn nss_prefix(dir: &Path) -> Option<&'static str> {
    if dir.join("cert9.db").is_file() {
        Some("sql:")
    } else if dir.join("cert8.db").is_file() {
        Some("dbm:")
    } else {
        None
    }
}

fn nss_db_arg(dir: &Path) -> Result<String> {
    let prefix = nss_prefix(dir).ok_or_else(|| {
        Error::Unavailable(format!(
            "no NSS database in {} (expected cert9.db or cert8.db)\n  hint: create one with `certutil -N -d sql:{} --empty-password`",
            dir.display(),
            dir.display()
        ))
    })?;
    Ok(format!("{prefix}{}", dir.display()))
}

/// Installs the root into `store` (or, with `dry_run`, only says how).
pub fn install(store: Store, root: &Root<'_>, opts: &TrustOptions, dry_run: bool) -> Result<Vec<Outcome>> {
    let mut out = Vec::new();
    match store {
        Store::System => {
            let sys = opts.system().map_err(Error::Unavailable)?;
            let path = sys.dir.join(format!("{}.{}", opts.name, sys.extension));
            let already = std::fs::read_to_string(&path).is_ok_and(|t| t == root.pem);
            let mut steps = vec![Step::Write { path: path.clone(), contents: root.pem.to_string() }];
            if !sys.update.is_empty() {
                steps.push(Step::Run { argv: sys.update.clone() });
            }
            let state = if already { "already installed" } else { "installed" };
            out.push(run_steps(store, path.display().to_string(), state, steps, dry_run)?);
        }
        Store::Nss => {
            for db in opts.nss_dbs() {
                let d = nss_db_arg(&db)?;
                let present = nss_has(opts, &d)?;
                let argv = vec![
                    opts.certutil(),
                    "-A".into(),
                    "-d".into(),
                    d.clone(),
                    "-t".into(),
                    "C,,".into(),
                    "-n".into(),
                    opts.name.clone(),
                    "-i".into(),
                    root.pem_path.display().to_string(),
                ];
                let (state, steps) =
                    if present { ("already installed", vec![]) } else { ("installed", vec![Step::Run { argv }]) };
                out.push(run_steps(store, d, state, steps, dry_run)?);
            }
        }
        Store::Java => {
            let present = java_has(opts)?;
            let mut argv = vec![opts.keytool(), "-importcert".into(), "-noprompt".into(), "-alias".into()];
            argv.push(opts.name.clone());
            argv.extend(["-file".into(), root.pem_path.display().to_string()]);
            argv.extend(opts.java_store_args());
            argv.extend(["-storepass".into(), opts.storepass()]);
            let (state, steps) =
                if present { ("already installed", vec![]) } else { ("installed", vec![Step::Run { argv }]) };
            out.push(run_steps(store, opts.java_location(), state, steps, dry_run)?);
        }
    }
    Ok(out)
}

/// Removes the root from `store`, touching nothing else.
pub fn uninstall(store: Store, root: &Root<'_>, opts: &TrustOptions, dry_run: bool) -> Result<Vec<Outcome>> {
    let mut out = Vec::new();
    match store {
        Store::System => {
            let sys = opts.system().map_err(Error::Unavailable)?;
            let path = sys.dir.join(format!("{}.{}", opts.name, sys.extension));
            let loc = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Err(_) => out.push(run_steps(store, loc, "not installed", vec![], dry_run)?),
                Ok(t) if t != root.pem => {
                    return Err(Error::Input(format!(
                        "{} exists but does not hold this lab's root; leaving it alone\n  hint: another lab may use the same --name",
                        path.display()
                    )));
                }
                Ok(_) => {
                    let mut steps = vec![Step::Remove { path }];
                    if !sys.update.is_empty() {
                        let mut argv = sys.update.clone();
                        // Debian's tool only notices a removed local file with --fresh (it
                        // otherwise leaves the dangling links and, if it adds nothing, the old bundle).
                        if Path::new(&argv[0]).file_name().is_some_and(|n| n == "update-ca-certificates")
                            && !argv.iter().any(|a| a == "--fresh" || a == "-f")
                        {
                            argv.push("--fresh".into());
                        }
                        steps.push(Step::Run { argv });
                    }
                    out.push(run_steps(store, loc, "removed", steps, dry_run)?);
                }
            }
        }
        Store::Nss => {
            for db in opts.nss_dbs() {
                let d = nss_db_arg(&db)?;
                let present = nss_has(opts, &d)?;
                let argv = vec![opts.certutil(), "-D".into(), "-d".into(), d.clone(), "-n".into(), opts.name.clone()];
                let (state, steps) =
                    if present { ("removed", vec![Step::Run { argv }]) } else { ("not installed", vec![]) };
                out.push(run_steps(store, d, state, steps, dry_run)?);
            }
        }
        Store::Java => {
            let present = java_has(opts)?;
            let mut argv = vec![opts.keytool(), "-delete".into(), "-alias".into(), opts.name.clone()];
            argv.extend(opts.java_store_args());
            argv.extend(["-storepass".into(), opts.storepass()]);
            let (state, steps) =
                if present { ("removed", vec![Step::Run { argv }]) } else { ("not installed", vec![]) };
            out.push(run_steps(store, opts.java_location(), state, steps, dry_run)?);
        }
    }
    Ok(out)
}

/// Where the root is installed in `store`. Changes nothing.
pub fn status(store: Store, root: &Root<'_>, opts: &TrustOptions) -> Result<Vec<Outcome>> {
    let mut out = Vec::new();
    let outcome = |location: String, state: String| Outcome { store, location, state, steps: vec![] };
    match store {
        Store::System => {
            let sys = opts.system().map_err(Error::Unavailable)?;
            let path = sys.dir.join(format!("{}.{}", opts.name, sys.extension));
            let file = match std::fs::read_to_string(&path) {
                Ok(t) if t == root.pem => "installed",
                Ok(_) => "a different certificate under this name",
                Err(_) => "not installed",
            };
            out.push(outcome(path.display().to_string(), file.into()));
            if let Some(bundle) = &sys.bundle {
                let state = match bundle_contains(bundle, root.der) {
                    Ok(true) => "installed (in the bundle)".to_string(),
                    Ok(false) => "not installed (not in the bundle)".to_string(),
                    Err(e) => format!("unknown ({e})"),
                };
                out.push(outcome(bundle.display().to_string(), state));
            }
        }
        Store::Nss => {
            for db in opts.nss_dbs() {
                let d = nss_db_arg(&db)?;
                let state = if nss_has(opts, &d)? { "installed" } else { "not installed" };
                out.push(outcome(d, state.into()));
            }
        }
        Store::Java => {
            let state = if java_has(opts)? { "installed" } else { "not installed" };
            out.push(outcome(opts.java_location(), state.into()));
        }
    }
    Ok(out)
}

/// Whether a PEM bundle holds `der`.
pub fn bundle_contains(bundle: &Path, der: &CertificateDer<'_>) -> Result<bool> {
    let text = fsutil::read_to_string(bundle)?;
    let certs = crate::pki::ca::parse_certs(&text, &bundle.display().to_string())?;
    Ok(certs.iter().any(|c| c.as_ref() == der.as_ref()))
}

fn nss_has(opts: &TrustOptions, db: &str) -> Result<bool> {
    let argv = [opts.certutil(), "-L".into(), "-d".into(), db.to_string(), "-n".into(), opts.name.clone()];
    Ok(run(&argv)?.0)
}

fn java_has(opts: &TrustOptions) -> Result<bool> {
    if let Some(k) = &opts.java_keystore
        && !k.exists()
    {
        return Ok(false);
    }
    let mut argv = vec![opts.keytool(), "-list".into(), "-alias".into(), opts.name.clone()];
    argv.extend(opts.java_store_args());
    argv.extend(["-storepass".into(), opts.storepass()]);
    let (ok, output) = run(&argv)?;
    if !ok && !output.contains("does not exist") {
        return Err(Error::Command { command: display_argv(&argv), message: output });
    }
    Ok(ok)
}

fn run_steps(store: Store, location: String, state: &str, steps: Vec<Step>, dry_run: bool) -> Result<Outcome> {
    if !dry_run {
        for step in &steps {
            match step {
                Step::Write { path, contents } => {
                    fsutil::write_atomic(path, contents.as_bytes(), fsutil::PUBLIC).map_err(|e| needs_root(e, path))?
                }
                Step::Remove { path } => {
                    std::fs::remove_file(path).map_err(Error::io("removing", path)).map_err(|e| needs_root(e, path))?
                }
                Step::Run { argv } => {
                    let (ok, output) = run(argv)?;
                    if !ok {
                        return Err(Error::Command { command: display_argv(argv), message: output });
                    }
                }
            }
        }
    }
    Ok(Outcome { store, location, state: state.to_string(), steps })
}

fn needs_root(e: Error, path: &Path) -> Error {
    match e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            Error::Unavailable(format!(
                "cannot change {}: permission denied\n  hint: the system store needs root: `sudo pki-lab trust install --store system`",
                path.display()
            ))
        }
        other => other,
    }
}

/// The Debian package that provides a program the trust stores need.
fn debian_package(prog: &str) -> Option<&'static str> {
    match Path::new(prog).file_name()?.to_str()? {
        "certutil" => Some("libnss3-tools"),
        "keytool" => Some("openjdk-17-jre-headless"),
        "update-ca-certificates" => Some("ca-certificates"),
        _ => None,
    }
}

/// Runs a program; `(success, stdout+stderr)`. A missing program is an error that says so.
fn run(argv: &[String]) -> Result<(bool, String)> {
    let (prog, args) = argv.split_first().ok_or_else(|| Error::Internal("empty command".into()))?;
    let out = Command::new(prog).args(args).output().map_err(|e| Error::Command {
        command: display_argv(argv),
        message: if e.kind() == std::io::ErrorKind::NotFound {
            match debian_package(prog) {
                Some(pkg) => {
                    format!("`{prog}` not found on PATH\n  hint: install it (Debian: `apt-get install {pkg}`)")
                }
                None => format!("`{prog}` not found on PATH"),
            }
        } else {
            e.to_string()
        },
    })?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let text = text.trim().to_string();
    let with_code = if out.status.success() { text } else { format!("exit {:?}: {text}", out.status.code()) };
    Ok((out.status.success(), with_code))
}

fn program_exists(prog: &str) -> bool {
    if prog.contains('/') {
        return Path::new(prog).is_file();
    }
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(prog).is_file()))
}

fn display_argv(argv: &[String]) -> String {
    argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")
}

/// Quotes for a POSIX shell, only when needed.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:,=@%+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The unique name of a lab root in every store: `pki-lab-` and the start of its SHA-256.
pub fn default_name(root: &CertificateDer<'_>) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, root.as_ref());
    let hex: String = d.as_ref().iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("pki-lab-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_store_tool_names_its_debian_package() {
        let e = run(&["/nonexistent/keytool".to_string()]).expect_err("no such program");
        let text = e.to_string();
        assert!(
            text.contains("not found on PATH") && text.contains("apt-get install openjdk-17-jre-headless"),
            "{text}"
        );
    }

    #[test]
    fn quoting_leaves_plain_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("sql:/tmp/db"), "sql:/tmp/db");
        assert_eq!(shell_quote("C,,"), "C,,");
        assert_eq!(shell_quote("it's here"), r"'it'\''s here'");
    }
}
