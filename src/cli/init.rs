//! `pki-lab init`, and the receipt that `serve` also prints when it makes a lab.

use std::path::Path;

use time::OffsetDateTime;

use crate::catalogue::template::Catalogue;
use crate::cli::InitArgs;
use crate::error::Result;
use crate::labdir::{self, InitOptions};
use crate::pki::ca::{CaOptions, DEFAULT_PERMITTED};

pub(crate) fn init(dir: &Path, args: InitArgs, now: OffsetDateTime) -> Result<i32> {
    let permitted = if args.no_name_constraints {
        eprintln!(
            "warning: the root will not be name-constrained: anyone holding the lab's keys could impersonate any site to a machine that trusts it"
        );
        None
    } else {
        let mut p: Vec<String> = DEFAULT_PERMITTED.iter().map(|s| s.to_string()).collect();
        p.extend(args.permit.iter().cloned());
        // Fail on a bad --permit before touching the disk.
        crate::pki::ca::name_constraints(&p)?;
        Some(p)
    };
    let catalogue = match &args.templates {
        Some(d) => Catalogue::with_dir(d)?,
        None => Catalogue::builtin()?,
    };
    let opts = InitOptions {
        ca: CaOptions { key_type: args.key_type, permitted },
        force: args.force,
        renew: args.renew,
        complete: args.complete,
    };
    // The lock is taken here rather than in `labdir::init` so that what it recovered is told
    // even when init then refuses (a restored lab is one that already exists).
    let lock = lock(dir)?;
    let report = labdir::init_locked(&lock, &catalogue, &opts, now)?;
    print_receipt(&report);
    Ok(0)
}

/// Makes a lab in `dir` if there is none, for the commands that need one (`serve`, `gateway`,
/// `lab`). Under the lab's lock and checked again once it is held: of two starting at once, the
/// second waits for the first and uses the lab it made rather than making another.
pub(crate) fn auto_init(dir: &Path, now: OffsetDateTime) -> Result<()> {
    if labdir::is_lab(dir) {
        return Ok(());
    }
    let lock = lock(dir)?;
    auto_init_locked(&lock, &Catalogue::builtin()?, now)
}

/// [`auto_init`] for a caller that already holds the lock (`issue`).
pub(crate) fn auto_init_locked(lock: &labdir::LabLock, catalogue: &Catalogue, now: OffsetDateTime) -> Result<()> {
    if !labdir::is_lab(lock.dir()) {
        eprintln!("no lab in {}: creating one first", lock.dir().display());
        let opts = InitOptions { ca: CaOptions::default(), force: false, renew: false, complete: true };
        print_receipt(&labdir::init_locked(lock, catalogue, &opts, now)?);
    }
    Ok(())
}

/// Takes the lab's lock, saying on stderr if it has to wait, and what it found left by an
/// interrupted run and repaired (`note: …`) or left alone (`warning: …`).
pub(crate) fn lock(dir: &Path) -> Result<labdir::LabLock> {
    let lock = labdir::LabLock::acquire_or_wait(dir, |wait| {
        eprintln!(
            "waiting for another pki-lab process to finish with the lab in {} (up to {} s)",
            dir.display(),
            wait.as_secs()
        );
    })?;
    for r in lock.recovered() {
        eprintln!("{}: {r}", if r.is_warning() { "warning" } else { "note" });
    }
    Ok(lock)
}

pub(crate) fn print_receipt(r: &labdir::InitReport) {
    let m = &r.manifest;
    let verb = if r.renewed {
        "re-issued the scenarios of the lab in"
    } else if r.replaced {
        "replaced the lab in"
    } else {
        "created a lab in"
    };
    let dir = r.dir.display();
    eprintln!("{verb} {dir}");
    eprintln!("  trust     {dir}/ca.pem  (SHA-256 {})", m.ca.root_sha256);
    match &m.ca.permitted {
        Some(p) => eprintln!("  limited   the root may only issue for: {}", p.join(", ")),
        None => eprintln!("  limited   not at all (--no-name-constraints)"),
    }
    let controls = m.scenarios.iter().filter(|s| s.is_control()).count();
    let lessons = m.scenarios.iter().filter(|s| s.rule.is_none() && !s.is_control()).count();
    let lessons = match lessons {
        0 => String::new(),
        1 => "1 lesson, ".to_string(),
        n => format!("{n} lessons, "),
    };
    eprintln!(
        "  issued    {} scenarios ({} controls, {lessons}{} broken) in {dir}/scenarios, key type {}",
        m.scenarios.len(),
        controls,
        m.scenarios.iter().filter(|s| s.rule.is_some()).count(),
        m.key_type
    );
    if !m.deferred.is_empty() {
        eprintln!(
            "  later     {} scenarios with RSA keys ({}): issued by the first command that opens the lab, or now with `pki-lab init --complete`",
            m.deferred.len(),
            m.deferred.join(", ")
        );
    }
    if let Some(v) = m.scenarios.iter().find(|s| s.name == "valid") {
        eprintln!("  valid     until {} (renew with `pki-lab init --renew`)", v.not_after);
    }
    eprintln!("  manifest  {dir}/manifest.json");
    eprintln!("next: `pki-lab scenarios` to see the catalogue, `pki-lab inspect expired` to read one");
}
