//! Reading certificates, CRLs and a lab's trust from files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};

use super::engine::*;
use crate::error::{Error, Result};
use crate::labdir::manifest::ScenarioEntry;
use crate::pki::pem::parse_error;
pub use crate::pki::pem::{read_certs, read_crls};

/// Trust for a lab directory: roots = `<lab>/ca.pem`; known = `ca/*.pem` plus every CA
/// certificate in `scenarios/*/fullchain.pem` (everything after the leaf). No CRLs: see
/// [`lab_crls`].
pub fn lab_trust(lab_dir: &Path) -> Result<Trust> {
    let ca_pem = lab_dir.join("ca.pem");
    if !ca_pem.is_file() {
        return Err(Error::NoLab { dir: lab_dir.to_path_buf() });
    }
    let roots = read_certs(&ca_pem)?;
    let mut known = Vec::new();
    let ca_dir = lab_dir.join("ca");
    if ca_dir.is_dir() {
        for path in sorted_entries(&ca_dir)? {
            if path.extension().is_some_and(|e| e == "pem") && path.is_file() {
                known.extend(read_certs(&path)?);
            }
        }
    }
    let scenarios = lab_dir.join("scenarios");
    if scenarios.is_dir() {
        for dir in sorted_entries(&scenarios)? {
            let full = dir.join("fullchain.pem");
            if full.is_file() {
                known.extend(read_certs(&full)?.into_iter().skip(1));
            }
        }
    }
    let mut seen: HashSet<Vec<u8>> = roots.iter().map(|r| r.to_vec()).collect();
    known.retain(|c| seen.insert(c.to_vec()));
    Ok(Trust { roots, known, crls: Vec::new() })
}

/// The roots of `--ca FILE`; a file without a certificate is an error, not an empty trust store.
pub fn read_roots(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let roots = read_certs(path)?;
    if roots.is_empty() {
        return Err(parse_error(path, "no certificate found"));
    }
    Ok(roots)
}

/// The CRLs a lab publishes: `root.crl.pem` and `intermediate.crl.pem`.
pub fn lab_crls(lab_dir: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    let mut crls = Vec::new();
    for name in ["root.crl.pem", "intermediate.crl.pem"] {
        crls.extend(read_crls(&lab_dir.join(name))?);
    }
    Ok(crls)
}

/// What verifying one scenario of a lab trusts: the lab's trust with the scenario's own root
/// (`files.anchor`) in place of the lab root, and [`scenario_crls`].
pub fn scenario_trust(lab_dir: &Path, entry: &ScenarioEntry) -> Result<Trust> {
    let mut trust = lab_trust(lab_dir)?;
    if let Some(anchor) = &entry.files.anchor {
        trust = trust.trusting(read_roots(&lab_dir.join(anchor))?);
    }
    trust.crls = scenario_crls(lab_dir, entry)?;
    Ok(trust)
}

/// The CRLs a scenario is checked against: the lab's, plus its own (`crl:`) where it has one.
pub fn scenario_crls(lab_dir: &Path, entry: &ScenarioEntry) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    let mut crls = lab_crls(lab_dir)?;
    if let (true, Some(own)) = (entry.has_own_crl(), &entry.files.crl) {
        for crl in read_crls(&lab_dir.join(own))? {
            if !crls.contains(&crl) {
                crls.push(crl);
            }
        }
    }
    Ok(crls)
}

/// The scenario of the lab whose directory holds `file` (`scenarios/<name>/cert.pem`), if any.
pub fn scenario_of(lab_dir: &Path, file: &Path) -> Option<ScenarioEntry> {
    let dir = std::fs::canonicalize(file).ok()?.parent()?.to_path_buf();
    let scenarios = std::fs::canonicalize(lab_dir.join("scenarios")).ok()?;
    let name = dir.strip_prefix(&scenarios).ok()?.to_str()?.to_string();
    crate::labdir::load_manifest(lab_dir).ok()?.scenarios.into_iter().find(|s| s.name == name)
}

/// The library half of `pki-lab verify`: the presented chain (`cert`, then the certificates of
/// `chain` not already in it) and the trust to check it against: the lab's (`lab_dir`), with
/// `ca` replacing its roots if given (the lab root then becomes known but untrusted), plus the
/// CRLs of `crls`. Without `ca`, a scenario's leaf with a root of its own (`files.anchor`) is
/// checked against that root, as every client is told to. Files may be PEM (several blocks)
/// or a single DER object.
pub fn verify_files(
    cert: &Path,
    chain: Option<&Path>,
    ca: Option<&Path>,
    crls: &[PathBuf],
    lab_dir: Option<&Path>,
) -> Result<(Vec<CertificateDer<'static>>, Trust)> {
    let mut presented = read_certs(cert)?;
    if presented.is_empty() {
        return Err(parse_error(cert, "no certificate found"));
    }
    if let Some(chain) = chain {
        let sent = read_certs(chain)?;
        if sent.is_empty() {
            return Err(parse_error(chain, "no certificate found"));
        }
        for c in sent {
            if !presented.contains(&c) {
                presented.push(c);
            }
        }
    }
    let mut trust = match lab_dir {
        Some(dir) => lab_trust(dir)?,
        None => Trust::default(),
    };
    if let Some(ca) = ca {
        trust = trust.trusting(read_roots(ca)?);
    } else if let Some(dir) = lab_dir
        && let Some(anchor) = scenario_of(dir, cert).and_then(|s| s.files.anchor)
    {
        trust = trust.trusting(read_roots(&dir.join(anchor))?);
    }
    if trust.roots.is_empty() {
        return Err(Error::Input(
            "no trusted root to verify against\n  hint: pass --ca FILE, or run `pki-lab init` to make a lab".into(),
        ));
    }
    for path in crls {
        trust.crls.extend(read_crls(path)?);
    }
    Ok((presented, trust))
}

pub(super) fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(Error::io("reading", dir))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(paths)
}

// ---------------------------------------------------------------------------------------------
