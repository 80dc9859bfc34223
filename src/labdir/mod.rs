//! The lab directory: where `init` writes the CAs, the scenarios, the CRLs and the manifest.
//!
//! ```text
//! <lab>/ca.pem                       the root to trust
//! <lab>/root.crl.pem                 CRL of the root
//! <lab>/intermediate.crl.pem         CRL of the intermediate (lists the revoked scenario)
//! <lab>/manifest.json                every scenario, its files and expected outcomes
//! <lab>/ca/{root,intermediate,rogue-root}.{pem,key}
//! <lab>/scenarios/<name>/{cert,key,chain,fullchain}.pem [leaf-key.pem] [client/…]
//!                        [anchor.pem]                 its own root, trusted in place of ca.pem
//!                        [crl.pem crls.pem crl-issuer.pem]  its own CRL (alone, then with the lab's), its issuer
//! ```
//!
//! A lab is built complete in a staging directory beside the target and then renamed into
//! place, so a failure half-way leaves either the old lab or none, never half of one.
//!
//! Stage 3: takes the issued scenarios from [`crate::pki`], writes them here with the manifest,
//! and hands the files to `serve`, `probe`, `verify` and other projects' tests.

pub mod fsutil;
pub mod lock;
pub mod manifest;

use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::catalogue::template::{Catalogue, IssuerRef, Template};
use crate::error::{Error, Result};
use crate::pki::ca::{self, CaOptions, LabCa};
use crate::pki::issue::{self, Anchor, Issued};
use crate::pki::keys::KeyType;
use crate::pki::x509::{hex_colon, sha256_fingerprint};
use fsutil::{PUBLIC, SECRET};
pub use lock::{LabLock, Recovered};
use manifest::{CaInfo, Files, Manifest, ScenarioEntry, ServeInfo};

/// The host name every scenario is issued for and verified against.
pub const HOST: &str = "localhost";

/// Where a lab lives when `--dir` is not given: `$PKI_LAB_HOME`, else the user's data directory.
pub fn default_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("PKI_LAB_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home);
    }
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("pki-lab")
}

/// What `init` should do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub ca: CaOptions,
    /// Replace an existing lab, CA included.
    pub force: bool,
    /// Keep the existing CA and re-issue the scenarios under it.
    pub renew: bool,
    /// Issue every scenario now, the RSA ones included (otherwise deferred: see [`complete`]).
    pub complete: bool,
}

/// What `init` did, for the receipt.
#[derive(Debug)]
pub struct InitReport {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub renewed: bool,
    pub replaced: bool,
    /// What an interrupted run had left beside the lab, and what was done about it before
    /// starting (the same as the lock's [`LabLock::recovered`]).
    pub recovered: Vec<Recovered>,
}

/// True when `dir` holds a lab.
pub fn is_lab(dir: &Path) -> bool {
    dir.join("manifest.json").is_file() && dir.join("ca").join(format!("{}.key", ca::ROOT)).is_file()
}

/// Reads `<dir>/manifest.json`.
pub fn load_manifest(dir: &Path) -> Result<Manifest> {
    if !is_lab(dir) {
        return Err(Error::NoLab { dir: dir.to_path_buf() });
    }
    let path = dir.join("manifest.json");
    let text = fsutil::read_to_string(&path)?;
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| Error::Parse { context: path.display().to_string(), message: e.to_string() })?;
    if m.schema != manifest::SCHEMA {
        return Err(Error::Parse {
            context: path.display().to_string(),
            message: format!("expected schema `{}`, found `{}`", manifest::SCHEMA, m.schema),
        });
    }
    Ok(m)
}

/// Creates, replaces (`force`) or re-issues (`renew`) the lab in `dir`, holding its [`LabLock`]:
/// a second `init` waits for the first, then decides on what the first left.
pub fn init(dir: &Path, catalogue: &Catalogue, opts: &InitOptions, now: OffsetDateTime) -> Result<InitReport> {
    let lock = LabLock::acquire(dir)?;
    init_locked(&lock, catalogue, opts, now)
}

/// [`init`] for a caller that already holds the lock (`issue`, the auto-init of `serve`).
pub fn init_locked(
    lock: &LabLock,
    catalogue: &Catalogue,
    opts: &InitOptions,
    now: OffsetDateTime,
) -> Result<InitReport> {
    // Built and renamed where the lab really is; named in messages as the user named it.
    let (dir, given) = (lock.real(), lock.dir());
    let exists = is_lab(dir);
    if exists && !opts.force && !opts.renew {
        return Err(Error::LabExists { dir: given.to_path_buf() });
    }
    if opts.renew && !exists {
        return Err(Error::NoLab { dir: given.to_path_buf() });
    }
    if !exists && dir.exists() && !is_empty_dir(dir) {
        return Err(Error::Input(format!(
            "{} exists, is not empty and holds no lab; refusing to write into it\n  hint: pick an empty or new directory with --dir",
            given.display()
        )));
    }
    if is_mount_point(dir) {
        return Err(Error::Input(format!(
            "{} is a mount point: a lab is built beside its directory and renamed into place, which a mount point cannot be\n  hint: use a directory inside it, e.g. --dir {}",
            given.display(),
            given.join("lab").display()
        )));
    }

    let renewing = exists && opts.renew && !opts.force;
    let old = if renewing { Some(load_manifest(dir)?) } else { None };
    let key_type = old.as_ref().map_or(opts.ca.key_type, |m| m.key_type);
    // RSA keys take most of init's time: scenarios that need them wait for the first command
    // that opens the lab, unless asked for now, the lab is RSA throughout, or the catalogue is
    // not the built-in one (only that one can be found again later).
    let defer = !opts.complete && !key_type.is_slow() && catalogue.is_builtin();
    let (now_templates, later): (Vec<&Template>, Vec<&Template>) =
        catalogue.templates().iter().partition(|t| !(defer && deferrable(t, key_type)));
    // The RSA keys still made now are the critical path: start them before anything else.
    crate::pki::keys::start_ahead(now_templates.iter().flat_map(|t| slow_keys(t, key_type)));
    let (lab, permitted) = match old {
        Some(old) => (LabCa::load(&dir.join("ca"))?, old.ca.permitted),
        None => (LabCa::create(&opts.ca, now)?, opts.ca.permitted.clone()),
    };

    let staging = Staging::new(dir)?;
    let mut manifest =
        write_lab(staging.path(), &lab, &now_templates, key_type, permitted, now, renewing.then_some(dir))?;
    manifest.deferred = later.iter().map(|t| t.name.clone()).collect();
    write_manifest(staging.path(), &manifest, false)?;
    staging.commit(dir, KEEP)?;
    Ok(InitReport {
        dir: given.to_path_buf(),
        manifest,
        renewed: renewing,
        replaced: exists && !renewing,
        recovered: lock.recovered().to_vec(),
    })
}

/// Writes a lab into the empty directory `out`, all but its manifest, which it returns. When `keep_ca_from` is set, the CA
/// files are copied byte for byte from that lab instead of written from `lab`.
fn write_lab(
    out: &Path,
    lab: &LabCa,
    templates: &[&Template],
    key_type: KeyType,
    permitted: Option<Vec<String>>,
    now: OffsetDateTime,
    keep_ca_from: Option<&Path>,
) -> Result<Manifest> {
    let ca_dir = out.join("ca");
    fsutil::create_private_dir(&ca_dir)?;
    for (stem, cert) in lab.all() {
        let (pem_name, key_name) = (format!("{stem}.pem"), format!("{stem}.key"));
        match keep_ca_from {
            Some(old) => {
                for (name, mode) in [(&pem_name, PUBLIC), (&key_name, SECRET)] {
                    let src = old.join("ca").join(name);
                    let bytes = std::fs::read(&src).map_err(Error::io("reading", &src))?;
                    fsutil::write_new(&ca_dir.join(name), &bytes, mode)?;
                }
            }
            None => {
                fsutil::write_new(&ca_dir.join(&pem_name), cert.pem.as_bytes(), PUBLIC)?;
                fsutil::write_new(&ca_dir.join(&key_name), cert.key_pem().as_bytes(), SECRET)?;
            }
        }
    }
    let root_pem = fsutil::read_to_string(&ca_dir.join(format!("{}.pem", ca::ROOT)))?;
    fsutil::write_new(&out.join("ca.pem"), root_pem.as_bytes(), PUBLIC)?;

    let issued = issue_all(templates, lab, key_type, now)?;

    // CRLs: the root's lists nothing (it lets strict clients check the whole chain); the
    // intermediate's lists every revoked leaf it issued.
    let revoked_by = |who: IssuerRef| -> Vec<_> {
        issued.iter().filter(|i| i.revoked_by == Some(who)).map(|i| i.serial.clone()).collect()
    };
    let (root_crl, inter_crl) = (ROOT_CRL, INTERMEDIATE_CRL);
    fsutil::write_new(
        &out.join(root_crl),
        issue::crl(&lab.root, &revoked_by(IssuerRef::Root), now)?.as_bytes(),
        PUBLIC,
    )?;
    fsutil::write_new(
        &out.join(inter_crl),
        issue::crl(&lab.intermediate, &revoked_by(IssuerRef::Intermediate), now)?.as_bytes(),
        PUBLIC,
    )?;

    // Both CRLs in one file, for clients that check every certificate of the chain (curl).
    let both =
        format!("{}{}", fsutil::read_to_string(&out.join(root_crl))?, fsutil::read_to_string(&out.join(inter_crl))?);
    fsutil::write_new(&out.join("crls.pem"), both.as_bytes(), PUBLIC)?;

    let scen_dir = out.join("scenarios");
    fsutil::create_private_dir(&scen_dir)?;
    let measured = crate::clients::measured::Measured::builtin()?;
    let mut entries = Vec::new();
    for (template, item) in templates.iter().zip(&issued) {
        entries.push(write_entry(out, &scen_dir.join(&item.name), lab, template, item, key_type, &measured)?);
    }

    let manifest = Manifest {
        schema: manifest::SCHEMA.to_string(),
        generator: format!("pki-lab {}", env!("CARGO_PKG_VERSION")),
        issued_at: rfc3339(now),
        host: HOST.to_string(),
        key_type,
        ca: CaInfo {
            root: "ca.pem".into(),
            root_sha256: sha256_fingerprint(&lab.root.der),
            intermediate: format!("ca/{}.pem", ca::INTERMEDIATE),
            rogue_root: format!("ca/{}.pem", ca::ROGUE),
            root_crl: root_crl.into(),
            intermediate_crl: inter_crl.into(),
            crls: "crls.pem".into(),
            permitted,
        },
        scenarios: entries,
        deferred: Vec::new(),
    };
    Ok(manifest)
}

const ROOT_CRL: &str = "root.crl.pem";
const INTERMEDIATE_CRL: &str = "intermediate.crl.pem";

/// Writes `<dir>/manifest.json`: a new file, or (`replace`) atomically in place of the old.
fn write_manifest(dir: &Path, manifest: &Manifest, replace: bool) -> Result<()> {
    let json = serde_json::to_string_pretty(manifest)
        .map_err(|e| Error::Parse { context: "manifest.json".into(), message: e.to_string() })?;
    let bytes = format!("{json}\n");
    let path = dir.join("manifest.json");
    if replace {
        fsutil::write_atomic(&path, bytes.as_bytes(), PUBLIC)
    } else {
        fsutil::write_new(&path, bytes.as_bytes(), PUBLIC)
    }
}

/// Writes one issued scenario into `scen` (its directory) and describes it for the manifest.
/// `lab_dir` holds the lab's CRLs, already written.
fn write_entry(
    lab_dir: &Path,
    scen: &Path,
    lab: &LabCa,
    template: &Template,
    item: &Issued,
    key_type: KeyType,
    measured: &crate::clients::measured::Measured,
) -> Result<ScenarioEntry> {
    let files = write_scenario(lab_dir, scen, lab, item)?;
    let crl = item.revoked_by.map(|who| match who {
        IssuerRef::Root => ROOT_CRL.to_string(),
        _ => INTERMEDIATE_CRL.to_string(),
    });
    let crls = match (&files.crls, &crl) {
        (Some(own), _) => Some(own.clone()),
        (None, Some(_)) => Some("crls.pem".to_string()),
        (None, None) => None,
    };
    let crl = files.crl.clone().or(crl);
    Ok(ScenarioEntry {
        name: item.name.clone(),
        summary: template.summary.clone(),
        rule: template.breaks,
        step: template.step(),
        anchor: item.anchor,
        key_type: template.leaf.key.unwrap_or(key_type),
        serial: hex_colon(&item.serial.to_bytes()),
        not_before: rfc3339(item.not_before),
        not_after: rfc3339(item.not_after),
        sans: template.leaf_sans(),
        serve: ServeInfo {
            chain_len: item.served.len(),
            key: template.serve.key,
            versions: template.serve.versions.clone(),
            client_auth: template.serve.client_auth,
            probe_client_cert: template.client_cert.as_ref().is_some_and(|c| c.present),
        },
        files: Files { crl, crls, ..files },
        expect: measured.expect(&item.name, &template.expect),
        lesson: template.lesson.clone(),
        clients: measured.columns(&item.name),
    })
}

/// Issues the scenarios `init` deferred (those with RSA keys) under the lab's CA; the caller
/// holds the lab's [`LabLock`]. Returns their names, none when nothing was deferred or another
/// process issued them first. Each is staged and renamed into `scenarios/`, then the manifest
/// replaced, so an interrupted run leaves them deferred, never half-written.
pub fn complete(lock: &LabLock, now: OffsetDateTime) -> Result<Vec<String>> {
    let dir = lock.real();
    let mut m = load_manifest(dir)?;
    if m.deferred.is_empty() {
        return Ok(Vec::new());
    }
    let catalogue = Catalogue::builtin()?;
    let templates = m.deferred.iter().map(|n| catalogue.get(n)).collect::<Result<Vec<_>>>()?;
    let lab = LabCa::load(&dir.join("ca"))?;
    let issued = issue_all(&templates, &lab, m.key_type, now)?;

    let scen_dir = dir.join("scenarios");
    let staging = tempfile::Builder::new()
        .prefix(".deferred-")
        .tempdir_in(&scen_dir)
        .map_err(Error::io("creating a staging directory in", &scen_dir))?;
    let measured = crate::clients::measured::Measured::builtin()?;
    let mut new = Vec::new();
    for (template, item) in templates.iter().zip(&issued) {
        new.push(write_entry(dir, &staging.path().join(&item.name), &lab, template, item, m.key_type, &measured)?);
    }
    for e in &new {
        let target = scen_dir.join(&e.name);
        // Left by a run interrupted after this rename and before the manifest: not in it, so
        // not the lab's.
        if target.exists() {
            std::fs::remove_dir_all(&target).map_err(Error::io("removing the unfinished", &target))?;
        }
        let from = staging.path().join(&e.name);
        std::fs::rename(&from, &target).map_err(Error::io("moving into place", &target))?;
    }
    let names: Vec<String> = new.iter().map(|e| e.name.clone()).collect();
    // The manifest lists every scenario in catalogue order.
    let mut by_name: std::collections::BTreeMap<String, ScenarioEntry> =
        m.scenarios.drain(..).chain(new).map(|e| (e.name.clone(), e)).collect();
    m.scenarios = catalogue.templates().iter().filter_map(|t| by_name.remove(&t.name)).collect();
    m.scenarios.extend(by_name.into_values());
    m.deferred.clear();
    write_manifest(dir, &m, true)?;
    Ok(names)
}

/// Whether `init` may leave `t` for later: it needs an RSA key, and nothing the lab writes at
/// init (its CRLs list revoked leaves) depends on it.
fn deferrable(t: &Template, default: KeyType) -> bool {
    !t.leaf.revoked && !slow_keys(t, default).is_empty()
}

/// The slow (RSA) key types [`issue::issue`] will generate for `t`: started ahead by
/// [`crate::pki::keys::start_ahead`].
fn slow_keys(t: &Template, default: KeyType) -> Vec<KeyType> {
    let mut types: Vec<KeyType> = t.cas.iter().map(|c| c.key.unwrap_or(default)).collect();
    let leaf = t.leaf.key.unwrap_or(default);
    types.push(leaf);
    if t.serve.key == crate::catalogue::template::KeyPolicy::Mismatched {
        types.push(leaf);
    }
    if t.client_cert.is_some() {
        types.push(default);
    }
    types.retain(|k| k.is_slow());
    types
}

/// Issues every template; each runs on its own thread so that slow (RSA) keys overlap.
fn issue_all(templates: &[&Template], lab: &LabCa, key_type: KeyType, now: OffsetDateTime) -> Result<Vec<Issued>> {
    std::thread::scope(|s| {
        let handles: Vec<_> =
            templates.iter().map(|&p| (p, s.spawn(move || issue::issue(p, lab, key_type, now)))).collect();
        handles
            .into_iter()
            .map(|(p, h)| {
                h.join().unwrap_or_else(|_| Err(Error::Internal(format!("issuing scenario {} panicked", p.name))))
            })
            .collect()
    })
}

fn write_scenario(lab_dir: &Path, dir: &Path, lab: &LabCa, item: &Issued) -> Result<Files> {
    fsutil::create_dir(dir)?;
    let rel = |f: &str| format!("scenarios/{}/{f}", item.name);
    let pems =
        |certs: &[rustls::pki_types::CertificateDer<'_>]| certs.iter().map(|c| ca::pem_cert(c)).collect::<String>();

    fsutil::write_new(&dir.join("cert.pem"), pems(&item.path[..1]).as_bytes(), PUBLIC)?;
    fsutil::write_new(&dir.join("key.pem"), item.served_key_pem.as_bytes(), SECRET)?;
    fsutil::write_new(&dir.join("chain.pem"), pems(&item.served).as_bytes(), PUBLIC)?;
    let mut full = pems(&item.path);
    match item.anchor {
        Anchor::Root => full.push_str(&lab.root.pem),
        Anchor::RogueRoot => full.push_str(&lab.rogue.pem),
        Anchor::Scenario | Anchor::None => {}
    }
    if let Some(own) = &item.own_anchor {
        full.push_str(&ca::pem_cert(own));
    }
    fsutil::write_new(&dir.join("fullchain.pem"), full.as_bytes(), PUBLIC)?;

    let mut files = Files {
        cert: rel("cert.pem"),
        key: rel("key.pem"),
        chain: rel("chain.pem"),
        fullchain: rel("fullchain.pem"),
        leaf_key: None,
        crl: None,
        crls: None,
        crl_issuer: None,
        anchor: None,
        client_cert: None,
        client_key: None,
        client_chain: None,
    };
    if let Some(k) = &item.leaf_key_pem {
        fsutil::write_new(&dir.join("leaf-key.pem"), k.as_bytes(), SECRET)?;
        files.leaf_key = Some(rel("leaf-key.pem"));
    }
    if let Some(own) = &item.own_anchor {
        fsutil::write_new(&dir.join("anchor.pem"), ca::pem_cert(own).as_bytes(), PUBLIC)?;
        files.anchor = Some(rel("anchor.pem"));
    }
    if let Some((crl, issuer)) = &item.own_crl {
        fsutil::write_new(&dir.join("crl.pem"), crl.as_bytes(), PUBLIC)?;
        fsutil::write_new(&dir.join("crl-issuer.pem"), ca::pem_cert(issuer).as_bytes(), PUBLIC)?;
        // Its own CRL first, then the lab's (written before the scenarios).
        let lab_crls = fsutil::read_to_string(&lab_dir.join("crls.pem"))?;
        fsutil::write_new(&dir.join("crls.pem"), format!("{crl}{lab_crls}").as_bytes(), PUBLIC)?;
        files.crl = Some(rel("crl.pem"));
        files.crls = Some(rel("crls.pem"));
        files.crl_issuer = Some(rel("crl-issuer.pem"));
    }
    if let Some(c) = &item.client {
        let cdir = dir.join("client");
        fsutil::create_dir(&cdir)?;
        fsutil::write_new(&cdir.join("cert.pem"), pems(&c.chain[..1]).as_bytes(), PUBLIC)?;
        fsutil::write_new(&cdir.join("key.pem"), c.key_pem.as_bytes(), SECRET)?;
        fsutil::write_new(&cdir.join("chain.pem"), pems(&c.chain).as_bytes(), PUBLIC)?;
        files.client_cert = Some(rel("client/cert.pem"));
        files.client_key = Some(rel("client/key.pem"));
        files.client_chain = Some(rel("client/chain.pem"));
    }
    Ok(files)
}

/// What a lab directory holds besides what `init` writes, carried over by `--renew` and
/// `--force`: learners' lab progress, certificates made with `pki-lab issue`, and the port files
/// of servers still running.
const KEEP: &[&str] = &["labs", "issued", "serve.json", "gateway.json"];

/// A directory next to the target that becomes the lab on `commit`, or disappears on drop.
struct Staging {
    path: PathBuf,
    /// Where an old lab goes while the new one is renamed in: `.<name>.old-<same suffix>`,
    /// unique like the staging directory, so that one interrupted run cannot block the next.
    aside: PathBuf,
    committed: bool,
}

impl Staging {
    fn new(target: &Path) -> Result<Staging> {
        let parent = parent_of(target);
        fsutil::create_dir(&parent)?;
        let name = lab_name(target);
        let path = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-"))
            .tempdir_in(&parent)
            .map_err(Error::io("creating a staging directory in", &parent))?
            .keep();
        fsutil::create_private_dir(&path)?;
        let suffix = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(&format!(".{name}.staging-")))
            .unwrap_or("x")
            .to_string();
        let aside = parent.join(format!(".{name}.old-{suffix}"));
        Ok(Staging { path, aside, committed: false })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the staged lab at `target`, moving any old one aside first, carrying `keep` over from
    /// it, and deleting the rest after.
    fn commit(mut self, target: &Path, keep: &[&str]) -> Result<()> {
        let old = if target.exists() {
            let aside = self.aside.clone();
            std::fs::rename(target, &aside).map_err(Error::io("moving the old lab aside from", target))?;
            Some(aside)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&self.path, target) {
            if let Some(aside) = &old {
                let _ = std::fs::rename(aside, target);
            }
            return Err(Error::Io { action: "moving the new lab into", path: target.to_path_buf(), source: e });
        }
        self.committed = true;
        if let Some(aside) = old {
            for name in keep {
                let from = aside.join(name);
                if from.exists() {
                    std::fs::rename(&from, target.join(name)).map_err(Error::io("carrying over", &from))?;
                }
            }
            std::fs::remove_dir_all(&aside).map_err(Error::io("removing the old lab at", &aside))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The last component of the lab's path, which names its staging, aside and lock files.
fn lab_name(dir: &Path) -> &str {
    dir.file_name().and_then(|n| n.to_str()).unwrap_or("lab")
}

/// True when `dir` is a directory on another file system than its parent (rename(2) of it or
/// onto it fails with "Device or resource busy" or "Invalid cross-device link").
fn is_mount_point(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(d), Ok(p)) = (std::fs::metadata(dir), std::fs::metadata(parent_of(dir))) else { return false };
    d.is_dir() && d.dev() != p.dev()
}

fn is_empty_dir(p: &Path) -> bool {
    std::fs::read_dir(p).map(|mut d| d.next().is_none()).unwrap_or(false)
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mount_point_is_told_from_a_plain_directory() {
        // /proc is its own file system wherever Linux runs; a fresh temporary directory is not.
        assert!(is_mount_point(Path::new("/proc")));
        let tmp = tempfile::tempdir().expect("tempdir");
        assert!(!is_mount_point(tmp.path()));
        assert!(!is_mount_point(&tmp.path().join("missing")));
    }

    #[test]
    fn one_lab_has_one_real_path_however_it_is_named() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let real = tmp.path().canonicalize().expect("real");
        std::fs::create_dir(real.join("lab")).expect("mkdir");
        std::os::unix::fs::symlink(real.join("lab"), real.join("link")).expect("symlink");
        for given in
            [real.join("lab"), real.join("link"), real.join("lab/."), real.join("lab/../lab/"), real.join("link/")]
        {
            assert_eq!(lock::resolve(&given).expect("resolves"), real.join("lab"), "{}", given.display());
        }
        // A lab still to be made resolves through the part that exists, and through a symlink
        // that points where nothing is yet.
        assert_eq!(lock::resolve(&real.join("link/new/lab")).expect("resolves"), real.join("lab/new/lab"));
        std::os::unix::fs::symlink("lab/later", real.join("dangling")).expect("symlink");
        assert_eq!(lock::resolve(&real.join("dangling")).expect("resolves"), real.join("lab/later"));
        std::os::unix::fs::symlink("loop", real.join("loop")).expect("symlink");
        assert_eq!(lock::resolve(&real.join("loop")).expect("gives up"), real.join("loop"));
    }
}
