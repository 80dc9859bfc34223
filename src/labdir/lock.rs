//! One writer at a time: the lock that `init` (plain, `--renew`, `--force`), `issue` and the
//! auto-init of `serve`/`gateway`/`lab` hold while they change a lab, and the clean-up of what an
//! interrupted run left behind.
//!
//! The lock is an advisory `flock` on a file BESIDE the lab, `<parent>/.<name>.lock`, because the
//! lab directory itself may not exist yet (and is renamed away and back by `init`). The file is
//! never deleted: deleting a lock file lets two processes lock two different files. The kernel
//! drops the lock when its holder exits, however it exits, so a crash never leaves a stale lock.
//!
//! We use std's `File::lock`/`try_lock` (stable since Rust 1.89, below our rust-version) rather
//! than a crate such as `fs4` or `fd-lock`: it is the same `flock(2)` call, and needs no new
//! dependency.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{KEEP, fsutil, is_empty_dir, is_lab, lab_name, parent_of};
use crate::error::{Error, Result};

/// How long a second process waits for the first to finish before giving up (exit 2). Making a
/// lab takes seconds (RSA keys on a slow machine: tens of seconds), so this is generous.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The lock on one lab directory, held until dropped.
#[derive(Debug)]
pub struct LabLock {
    _file: File,
    /// The directory as the user named it (for messages).
    dir: PathBuf,
    /// The directory it really is: see [`resolve`].
    real: PathBuf,
}

/// Where the lock of the lab in `dir` (a path from [`resolve`]) lives.
pub fn lock_path(dir: &Path) -> PathBuf {
    parent_of(dir).join(format!(".{}.lock", lab_name(dir)))
}

/// The real path of a lab directory: absolute, symlinks followed, `.` and `..` gone, as far as
/// it exists (the rest is appended as given). So `--dir lab`, `--dir ./lab/`, `--dir .` from
/// inside it and a symlink to it take one lock, and a symlinked lab is rebuilt beside the
/// directory it points to, leaving the symlink in place.
pub fn resolve(dir: &Path) -> Result<PathBuf> {
    resolve_within(dir, 40)
}

/// [`resolve`], following at most `hops` symlinks that point where nothing is yet (as the
/// kernel gives up on a loop after 40).
fn resolve_within(dir: &Path, hops: u32) -> Result<PathBuf> {
    let abs = std::path::absolute(dir).map_err(Error::io("resolving", dir))?;
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(mut real) => {
                real.extend(rest.iter().rev());
                return Ok(real);
            }
            // A symlink to a lab still to be made: the lab goes where it points.
            Err(_) if hops > 0 && existing.is_symlink() => {
                let target = std::fs::read_link(existing).map_err(Error::io("reading the symlink", existing))?;
                let target = parent_of(existing).join(target);
                let mut real = resolve_within(&target, hops - 1)?;
                real.extend(rest.iter().rev());
                return Ok(real);
            }
            Err(_) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    existing = parent;
                }
                _ => return Ok(abs),
            },
        }
    }
}

impl LabLock {
    /// Takes the lock of the lab in `dir`, waiting up to [`LOCK_WAIT`] for another process that
    /// holds it, then repairs what an interrupted run left (see [`recover`]).
    pub fn acquire(dir: &Path) -> Result<LabLock> {
        Self::acquire_within(dir, LOCK_WAIT)
    }

    pub(crate) fn acquire_within(given: &Path, wait: Duration) -> Result<LabLock> {
        let real = resolve(given)?;
        let dir = real.as_path();
        fsutil::create_dir(&parent_of(dir))?;
        let path = lock_path(dir);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(Error::io("opening the lock file", &path))?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if start.elapsed() >= wait {
                        return Err(Error::LabBusy { dir: given.to_path_buf(), lock: path, waited: wait.as_secs() });
                    }
                    if !told {
                        eprintln!(
                            "waiting for another pki-lab process to finish with the lab in {} (up to {} s)",
                            given.display(),
                            wait.as_secs()
                        );
                        told = true;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(Error::Io { action: "locking", path, source: e });
                }
            }
        }
        recover(dir)?;
        Ok(LabLock { _file: file, dir: given.to_path_buf(), real })
    }

    /// The lab directory this lock is for, as the user named it.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lab directory this lock is for, resolved: where it is built and renamed.
    pub fn real(&self) -> &Path {
        &self.real
    }
}

/// A random suffix as `tempfile` makes them (`.lab.staging-Ab3xYz`): letters and digits only,
/// so that `.lab.staging-x.staging-y` (the staging of a lab named `lab.staging-x`) is not ours.
fn is_suffix(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Repairs, under the lock, what a run killed half-way left beside the lab in `dir`, and says on
/// stderr what it found and did:
///
/// - `.<name>.staging-*`: a lab being built. Whoever built it is gone (we hold the lock), so it is
///   removed — it holds private keys.
/// - `.<name>.old-*` (and `.<name>.old`, the fixed name earlier versions used): the old lab moved
///   aside by `--force`/`--renew`. If the lab itself is missing, the run died between its two
///   renames: the old lab is put back. If the new lab is in place, the run died after: what it
///   had still to carry over (lab progress, issued certificates) is carried over, then the old lab
///   is removed.
pub(crate) fn recover(dir: &Path) -> Result<()> {
    let parent = parent_of(dir);
    let name = lab_name(dir);
    let staging_prefix = format!(".{name}.staging-");
    let aside_prefix = format!(".{name}.old");
    let entries = match std::fs::read_dir(&parent) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::Io { action: "reading", path: parent, source: e }),
    };
    let mut stagings = Vec::new();
    let mut asides = Vec::new();
    for entry in entries.flatten() {
        // Directories only, not followed through symlinks.
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let file_name = entry.file_name();
        let Some(f) = file_name.to_str() else { continue };
        if f.strip_prefix(&staging_prefix).is_some_and(is_suffix) {
            stagings.push(entry.path());
        } else if let Some(rest) = f.strip_prefix(&aside_prefix)
            && (rest.is_empty() || rest.strip_prefix('-').is_some_and(is_suffix))
        {
            let changed = entry.metadata().map(|m| m.ctime()).unwrap_or(0);
            asides.push((changed, entry.path()));
        }
    }

    for s in stagings {
        std::fs::remove_dir_all(&s).map_err(Error::io("removing the stale staging directory", &s))?;
        eprintln!("note: removed {}, an unfinished lab left by an interrupted pki-lab run", s.display());
    }

    // Newest first: if several wait, the last lab moved aside is the one to restore.
    asides.sort_by_key(|a| std::cmp::Reverse(a.0));
    for (_, aside) in asides {
        let missing = std::fs::symlink_metadata(dir).is_err();
        if (missing || is_empty_dir(dir)) && is_lab(&aside) {
            if !missing {
                std::fs::remove_dir(dir).map_err(Error::io("removing the empty directory", dir))?;
            }
            std::fs::rename(&aside, dir).map_err(Error::io("restoring the lab from", &aside))?;
            eprintln!(
                "note: restored the lab moved aside by an interrupted run: {} -> {}",
                aside.display(),
                dir.display()
            );
        } else if is_lab(dir) {
            let mut carried = Vec::new();
            for item in KEEP {
                let (from, to) = (aside.join(item), dir.join(item));
                if std::fs::symlink_metadata(&from).is_ok() && std::fs::symlink_metadata(&to).is_err() {
                    std::fs::rename(&from, &to).map_err(Error::io("carrying over", &from))?;
                    carried.push(*item);
                }
            }
            std::fs::remove_dir_all(&aside).map_err(Error::io("removing the old lab at", &aside))?;
            let carried = if carried.is_empty() {
                String::new()
            } else {
                format!(", after carrying over {}", carried.join(", "))
            };
            eprintln!(
                "note: removed {}, the old lab an interrupted run had already replaced{carried}",
                aside.display()
            );
        } else {
            eprintln!(
                "warning: found {}, left by an interrupted pki-lab run, but {} is not a lab to restore it into or replace; left both as they are",
                aside.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_then_gives_up_with_exit_2() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("lab");
        let first = LabLock::acquire_within(&dir, Duration::ZERO).expect("first lock");
        assert_eq!(lock_path(first.real()), tmp.path().canonicalize().expect("real").join(".lab.lock"));
        let e = LabLock::acquire_within(&dir, Duration::from_millis(300)).expect_err("held");
        assert!(matches!(e, Error::LabBusy { .. }), "{e}");
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().starts_with("another pki-lab process is still changing the lab in "), "{e}");
        drop(first);
        // Control: once released, the lock is free again.
        LabLock::acquire_within(&dir, Duration::ZERO).expect("free again");
    }

    #[test]
    fn only_our_own_leftovers_are_touched() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("lab");
        for d in [".lab.staging-Ab3xYz", ".lab.staging-x.staging-y", ".lab.older", ".lab2.staging-abc"] {
            std::fs::create_dir(tmp.path().join(d)).expect("mkdir");
        }
        recover(&dir).expect("recover");
        assert!(!tmp.path().join(".lab.staging-Ab3xYz").exists());
        for d in [".lab.staging-x.staging-y", ".lab.older", ".lab2.staging-abc"] {
            assert!(tmp.path().join(d).exists(), "{d}");
        }
    }
}
