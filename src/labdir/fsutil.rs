//! Files written safely: private keys 0600, directories 0700, never half-written.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::{Error, Result};

/// Mode for private keys.
pub const SECRET: u32 = 0o600;
/// Mode for certificates, CRLs and the manifest.
pub const PUBLIC: u32 = 0o644;

/// Creates `path` (which must not exist) with `mode` and writes `bytes`. Used inside a fresh
/// staging directory, where nothing can be overwritten.
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut f =
        OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(Error::io("creating", path))?;
    f.write_all(bytes).map_err(Error::io("writing", path))?;
    // The umask may have narrowed the mode; make it exact.
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(Error::io("setting permissions on", path))
}

/// Replaces or creates `path` atomically: a temporary file in the same directory, then rename.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".pki-lab-")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(Error::io("creating a temporary file in", dir))?;
    tmp.write_all(bytes).map_err(Error::io("writing", tmp.path().to_path_buf()))?;
    tmp.as_file().sync_all().map_err(Error::io("syncing", path))?;
    tmp.persist(path).map_err(|e| Error::Io { action: "renaming into", path: path.to_path_buf(), source: e.error })?;
    Ok(())
}

/// Creates a directory (and parents) with mode 0700.
pub fn create_private_dir(path: &Path) -> Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(path).map_err(Error::io("creating directory", path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(Error::io("setting permissions on", path))
}

/// Creates a directory (and parents) with mode 0755.
pub fn create_dir(path: &Path) -> Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o755).create(path).map_err(Error::io("creating directory", path))
}

/// The most pki-lab reads from one input file (certificates, CRLs, YAML, answers): far above any
/// real one, low enough that `--cert /dev/zero` or a huge file cannot exhaust memory.
pub const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// Reads a regular file of at most [`MAX_INPUT`] bytes. A directory, a FIFO or a device is
/// refused by name rather than read until memory runs out or reported as "no such file".
pub fn read(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let meta = fs::metadata(path).map_err(Error::io("reading", path))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() { "a directory" } else { "not a regular file (a pipe, socket or device)" };
        return Err(Error::Input(format!("{} is {what}; expected a file", path.display())));
    }
    let file = fs::File::open(path).map_err(Error::io("reading", path))?;
    let mut bytes = Vec::new();
    // The size may change between metadata and read: `take` bounds what is read either way.
    file.take(MAX_INPUT + 1).read_to_end(&mut bytes).map_err(Error::io("reading", path))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(Error::Input(format!(
            "{} is larger than {} MiB, the most pki-lab reads from one file",
            path.display(),
            MAX_INPUT / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// [`read`], as UTF-8 text; invalid UTF-8 is reported with its line and column.
pub fn read_to_string(path: &Path) -> Result<String> {
    String::from_utf8(read(path)?).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        Error::Input(format!("{}:{line}:{column}: not UTF-8 text", path.display()))
    })
}
