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

/// `bytes` written and synced to a temporary file beside `path`, ready to be renamed onto it.
fn staged(path: &Path, bytes: &[u8], mode: u32) -> Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".pki-lab-")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(Error::io("creating a temporary file in", dir))?;
    tmp.write_all(bytes).map_err(Error::io("writing", tmp.path().to_path_buf()))?;
    tmp.as_file().sync_all().map_err(Error::io("syncing", path))?;
    Ok(tmp)
}

/// Replaces or creates `path` atomically: a temporary file in the same directory, then rename.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let tmp = staged(path, bytes, mode)?;
    tmp.persist(path).map_err(|e| Error::Io { action: "renaming into", path: path.to_path_buf(), source: e.error })?;
    Ok(())
}

/// Creates `path` with `bytes`, complete or not at all, unless it exists: a temporary file in the
/// same directory, then a link that fails if another process created `path` first. Returns
/// whether this call created it; if not, what the other wrote is left as it is, so that two
/// processes creating one file at once both end up reading the same bytes.
pub fn create_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<bool> {
    let tmp = staged(path, bytes, mode)?;
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::Io { action: "creating", path: path.to_path_buf(), source: e.error }),
    }
}

/// One file of a [`write_set`]: its name in the directory, its bytes and its mode.
pub type NewFile<'a> = (&'a str, &'a [u8], u32);

/// Writes several files into the existing directory `dir` as one change: all of them first into
/// a staging directory inside `dir` (so a full disk fails before anything is replaced), then each
/// renamed into place. If a rename fails, the files already renamed are taken back and the ones
/// they replaced restored, so `dir` is left as it was and a rerun starts clean.
pub fn write_set(dir: &Path, files: &[NewFile<'_>]) -> Result<()> {
    // Removed on drop, with whatever it still holds: the new files after a failure, or the
    // replaced old ones after success.
    let stage = tempfile::Builder::new()
        .prefix(".pki-lab-")
        .tempdir_in(dir)
        .map_err(Error::io("creating a temporary directory in", dir))?;
    for (name, bytes, mode) in files {
        let path = stage.path().join(name);
        // Errors name the file the user asked for, not the staging path.
        let named = |e: Error| match e {
            Error::Io { action, source, .. } => Error::Io { action, path: dir.join(name), source },
            other => other,
        };
        write_new(&path, bytes, *mode).map_err(named)?;
        fs::File::open(&path).and_then(|f| f.sync_all()).map_err(Error::io("syncing", dir.join(name)))?;
    }
    let mut done: Vec<(std::path::PathBuf, Option<std::path::PathBuf>)> = Vec::new();
    let undo = |done: &[(std::path::PathBuf, Option<std::path::PathBuf>)]| {
        for (target, old) in done.iter().rev() {
            let _ = fs::remove_file(target);
            if let Some(old) = old {
                let _ = fs::rename(old, target);
            }
        }
    };
    for (name, _, _) in files {
        let target = dir.join(name);
        let old = stage.path().join(format!("{name}.replaced"));
        let old = match fs::rename(&target, &old) {
            Ok(()) => Some(old),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                undo(&done);
                return Err(Error::Io { action: "replacing", path: target, source: e });
            }
        };
        if let Err(e) = fs::rename(stage.path().join(name), &target) {
            if let Some(old) = &old {
                let _ = fs::rename(old, &target);
            }
            undo(&done);
            return Err(Error::Io { action: "renaming into", path: target, source: e });
        }
        done.push((target, old));
    }
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
