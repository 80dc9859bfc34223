//! `pki-lab scenarios` and `pki-lab inspect`: reading the catalogue and its certificates.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::row;
use crate::catalogue::rules::RuleId;
use crate::catalogue::template::Catalogue;
use crate::cli::output::table;
use crate::cli::{InspectArgs, ScenariosArgs};
use crate::error::{Error, Result, suggest};
use crate::inspect as describe;
use crate::labdir;
use crate::labdir::manifest::Manifest;

/// One scenario as `pki-lab scenarios` shows it; `--json` prints a list of these, whether
/// they come from the built-in catalogue or from a lab's manifest.
#[derive(Debug, serde::Serialize)]
struct Entry<'a> {
    name: &'a str,
    step: Option<crate::catalogue::rules::Step>,
    rule: Option<RuleId>,
    summary: &'a str,
    expect: &'a crate::catalogue::template::Expect,
}

pub(crate) fn scenarios(dir: &Path, args: ScenariosArgs, now: OffsetDateTime) -> Result<i32> {
    // An existing lab is the truth (it may hold custom templates); otherwise the built-in catalogue.
    let manifest: Option<Manifest> = labdir::is_lab(dir).then(|| super::open_lab(dir, now)).transpose()?;
    let catalogue = Catalogue::builtin()?;
    // Without a lab, the measured columns fill in what a lab's manifest would say.
    let measured = crate::clients::measured::Measured::builtin()?;
    let expects: Vec<_> = catalogue.templates().iter().map(|p| measured.expect(&p.name, &p.expect)).collect();
    let entries: Vec<Entry<'_>> = match &manifest {
        Some(m) => m
            .scenarios
            .iter()
            .map(|s| Entry { name: &s.name, step: s.step, rule: s.rule, summary: &s.summary, expect: &s.expect })
            .collect(),
        None => catalogue
            .templates()
            .iter()
            .zip(&expects)
            .map(|(p, expect)| Entry { name: &p.name, step: p.step(), rule: p.breaks, summary: &p.summary, expect })
            .collect(),
    };
    if args.json {
        let json = serde_json::to_string_pretty(&entries)?;
        outln!("{json}")?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> =
        entries.iter().map(|e| row(e.name, e.step.map(|s| s.as_str()), e.rule, e.summary, e.expect)).collect();
    out!("{}", table(&["SCENARIO", "STEP", "RULE", "EXPECTED", "SUMMARY"], &rows))?;
    Ok(0)
}

pub(crate) fn inspect(dir: &Path, args: InspectArgs, now: OffsetDateTime) -> Result<i32> {
    let path = resolve_cert_target(dir, &args.target, now)?;
    let bytes = crate::labdir::fsutil::read(&path)?;
    let found = describe::describe_input(&bytes, now)
        .map_err(|message| Error::Parse { context: path.display().to_string(), message })?;
    if args.json {
        let json = serde_json::to_string_pretty(&found)?;
        outln!("{json}")?;
    } else {
        outln!("{}", path.display())?;
        out!("{}", describe::render_inspected(&found))?;
    }
    Ok(0)
}

/// A path to a file (certificates or CRLs, PEM or DER), or a scenario name resolved to the chain
/// its server sends.
fn resolve_cert_target(dir: &Path, target: &str, now: OffsetDateTime) -> Result<PathBuf> {
    let as_path = PathBuf::from(target);
    // What exists is read as a file (the reader refuses directories and devices by name), but a
    // bare word that is also a directory here is still a scenario name.
    if as_path.exists() && (!as_path.is_dir() || target.contains('/')) {
        return Ok(as_path);
    }
    if target.contains('/') || [".pem", ".crt", ".der", ".crl", ".cer"].iter().any(|e| target.ends_with(e)) {
        return Err(Error::Io {
            action: "reading",
            path: as_path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let m = super::open_lab(dir, now)?;
    match m.scenarios.iter().find(|s| s.name == target) {
        Some(s) => Ok(dir.join(&s.files.chain)),
        None => Err(Error::UnknownScenario {
            name: target.to_string(),
            suggestion: suggest(target, m.scenarios.iter().map(|s| s.name.as_str())),
        }),
    }
}
