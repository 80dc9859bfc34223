//! One writer at a time: the lock that `init` (plain, `--renew`, `--force`), `issue` and the
//! auto-init of `serve`/`gateway`/`lab` hold while they change a lab, and the clean-up of what an
//! interrupted run left behind.
//!
//! Nothing here prints: what the clean-up found and did comes back as [`Recovered`] notes on the
//! lock, and the wait is reported through a callback, for the caller to show as it likes.
//!
//! The lock is an advisory `flock` on a file BESIDE the lab, `<parent>/.<name>.lock`, because the
//! lab directory itself may not exist yet (and is renamed away and back by `init`). The file is
//! never deleted: deleting a lock file lets two processes lock two different files. The kernel
//! drops the lock when its holder exits, however it exits, so a crash never leaves a stale lock.
//!
//! We use std's `File::lock`/`try_lock` (stable since Rust 1.89, below our rust-version) rather
//! than a crate such as `fs4` or `fd-lock`: it is the same `flock(2)` call, and needs no new
//! dependency.

use std::fmt;
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
    /// What [`recover`] found and did once the lock was held.
    recovered: Vec<Recovered>,
}

/// One thing the clean-up under the lock found, left by an interrupted run, and what it did.
/// `Display` is the sentence, without a `note:`/`warning:` prefix (see [`Recovered::is_warning`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// A staging directory (a lab being built) was removed.
    RemovedStaging { path: PathBuf },
    /// The lab moved aside by `--force`/`--renew` was put back in place.
    Restored { aside: PathBuf, dir: PathBuf },
    /// The old lab was removed, the new one being in place; `carried` lists what was moved over.
    RemovedOld { aside: PathBuf, carried: Vec<&'static str> },
    /// An old lab was found but there is no lab to restore it into or replace: left alone.
    LeftAlone { aside: PathBuf, dir: PathBuf },
}

impl Recovered {
    /// True when the user should look (nothing was repaired), false for a plain note.
    pub fn is_warning(&self) -> bool {
        matches!(self, Recovered::LeftAlone { .. })
    }
}

impl fmt::Display for Recovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recovered::RemovedStaging { path } => {
                write!(f, "removed {}, an unfinished lab left by an interrupted pki-lab run", path.display())
            }
            Recovered::Restored { aside, dir } => write!(
                f,
                "restored the lab moved aside by an interrupted run: {} -> {}",
                aside.display(),
                dir.display()
            ),
            Recovered::RemovedOld { aside, carried } => {
                write!(f, "removed {}, the old lab an interrupted run had already replaced", aside.display())?;
                if !carried.is_empty() {
                    write!(f, ", after carrying over {}", carried.join(", "))?;
                }
                Ok(())
            }
            Recovered::LeftAlone { aside, dir } => write!(
                f,
                "found {}, left by an interrupted pki-lab run, but {} is not a lab to restore it into or replace; left both as they are",
                aside.display(),
                dir.display()
            ),
        }
    }
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
    /// holds it, then repairs what an interrupted run left (see [`recover`] and
    /// [`LabLock::recovered`]).
    pub fn acquire(dir: &Path) -> Result<LabLock> {
        Self::acquire_within(dir, LOCK_WAIT, |_| {})
    }

    /// [`LabLock::acquire`], calling `waiting` once, with the longest wait, if another process
    /// holds the lock (so a command line can say why it does not go on).
    pub fn acquire_or_wait(dir: &Path, waiting: impl FnOnce(Duration)) -> Result<LabLock> {
        Self::acquire_within(dir, LOCK_WAIT, waiting)
    }

    pub(crate) fn acquire_within(given: &Path, wait: Duration, waiting: impl FnOnce(Duration)) -> Result<LabLock> {
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
        let mut waiting = Some(waiting);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if start.elapsed() >= wait {
                        return Err(Error::LabBusy { dir: given.to_path_buf(), lock: path, waited: wait.as_secs() });
                    }
                    if let Some(tell) = waiting.take() {
                        tell(wait);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(Error::Io { action: "locking", path, source: e });
                }
            }
        }
        let recovered = recover(dir)?;
        Ok(LabLock { _file: file, dir: given.to_path_buf(), real, recovered })
    }

    /// The lab directory this lock is for, as the user named it.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lab directory this lock is for, resolved: where it is built and renamed.
    pub fn real(&self) -> &Path {
        &self.real
    }

    /// What was found beside the lab, left by an interrupted run, and repaired (or left alone)
    /// once the lock was held; empty on a clean directory.
    pub fn recovered(&self) -> &[Recovered] {
        &self.recovered
    }
}

/// A random suffix as `tempfile` makes them (`.lab.staging-Ab3xYz`): letters and digits only,
/// so that `.lab.staging-x.staging-y` (the staging of a lab named `lab.staging-x`) is not ours.
fn is_suffix(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Repairs, under the lock, what a run killed half-way left beside the lab in `dir`, and returns
/// what it found and did:
///
/// - `.<name>.staging-*`: a lab being built. Whoever built it is gone (we hold the lock), so it is
///   removed — it holds private keys.
/// - `.<name>.old-*` (and `.<name>.old`, the fixed name earlier versions used): the old lab moved
///   aside by `--force`/`--renew`. If the lab itself is missing, the run died between its two
///   renames: the old lab is put back. If the new lab is in place, the run died after: what it
///   had still to carry over (lab progress, issued certificates) is carried over, then the old lab
///   is removed.
pub(crate) fn recover(dir: &Path) -> Result<Vec<Recovered>> {
    let parent = parent_of(dir);
    let name = lab_name(dir);
    let staging_prefix = format!(".{name}.staging-");
    let aside_prefix = format!(".{name}.old");
    let entries = match std::fs::read_dir(&parent) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::Io { action: "reading", path: parent, source: e }),
    };
    let mut done = Vec::new();
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
        done.push(Recovered::RemovedStaging { path: s });
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
            done.push(Recovered::Restored { aside, dir: dir.to_path_buf() });
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
            done.push(Recovered::RemovedOld { aside, carried });
        } else {
            done.push(Recovered::LeftAlone { aside, dir: dir.to_path_buf() });
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_then_gives_up_with_exit_2() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("lab");
        let first = LabLock::acquire_within(&dir, Duration::ZERO, |_| {}).expect("first lock");
        assert_eq!(lock_path(first.real()), tmp.path().canonicalize().expect("real").join(".lab.lock"));
        let mut told = Vec::new();
        let e = LabLock::acquire_within(&dir, Duration::from_millis(300), |w| told.push(w)).expect_err("held");
        assert_eq!(told, [Duration::from_millis(300)], "told once that it waits, with how long");
        assert!(matches!(e, Error::LabBusy { .. }), "{e}");
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().starts_with("another pki-lab process is still changing the lab in "), "{e}");
        drop(first);
        // Control: once released, the lock is free again.
        let again = LabLock::acquire_within(&dir, Duration::ZERO, |_| panic!("no wait")).expect("free again");
        assert_eq!(again.recovered(), [], "nothing to recover in a clean directory");
    }

    #[test]
    fn only_our_own_leftovers_are_touched() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("lab");
        for d in [".lab.staging-Ab3xYz", ".lab.staging-x.staging-y", ".lab.older", ".lab2.staging-abc"] {
            std::fs::create_dir(tmp.path().join(d)).expect("mkdir");
        }
        let done = recover(&dir).expect("recover");
        assert_eq!(done, [Recovered::RemovedStaging { path: tmp.path().join(".lab.staging-Ab3xYz") }]);
        assert!(!done[0].is_warning());
        assert!(!tmp.path().join(".lab.staging-Ab3xYz").exists());
        for d in [".lab.staging-x.staging-y", ".lab.older", ".lab2.staging-abc"] {
            assert!(tmp.path().join(d).exists(), "{d}");
        }
        // Control: run again, nothing is left to report.
        assert_eq!(recover(&dir).expect("recover"), []);
    }

    #[test]
    fn an_old_lab_with_no_lab_to_go_into_is_a_warning_and_left_alone() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("lab");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("unrelated"), "x").expect("write");
        let aside = tmp.path().join(".lab.old-Ab12Cd");
        std::fs::create_dir(&aside).expect("mkdir");
        let done = recover(&dir).expect("recover");
        assert_eq!(done, [Recovered::LeftAlone { aside: aside.clone(), dir: dir.clone() }]);
        assert!(done[0].is_warning());
        assert!(done[0].to_string().starts_with(&format!("found {}, left by an interrupted", aside.display())));
        assert!(aside.exists() && dir.join("unrelated").exists());
    }
}
