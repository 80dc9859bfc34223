//! `pki-lab trust install|uninstall|status`: the lab root in the system store, NSS databases
//! and a Java key store.

use std::path::Path;

use crate::cli::{TrustAction, TrustArgs};
use crate::error::{Error, Result};
use crate::labdir;
use crate::labdir::fsutil;
use crate::pki::ca;
use crate::truststore::{self as trust, Root, Store, TrustOptions};

pub(crate) fn trust(dir: &Path, args: TrustArgs) -> Result<i32> {
    labdir::load_manifest(dir)?;
    let pem_path = dir.join("ca.pem");
    let pem = fsutil::read_to_string(&pem_path)?;
    let der = ca::parse_one_cert(&pem, &pem_path.display().to_string())?;
    let root = Root { pem_path: &pem_path, pem: &pem, der: &der };
    let s = &args.stores;
    let opts = TrustOptions {
        name: s.name.clone().unwrap_or_else(|| trust::default_name(&der)),
        system_dir: s.system_dir.clone(),
        system_update: s.system_update.as_ref().map(|c| c.split_whitespace().map(String::from).collect()),
        system_bundle: s.system_bundle.clone(),
        nss_dbs: s.nss_dbs.clone(),
        certutil: s.certutil.clone(),
        java_keystore: s.java_keystore.clone(),
        java_storepass: Some(s.java_storepass.clone()),
        keytool: s.keytool.clone(),
    };

    // Named stores must work; by default every available one is used and the rest explained.
    let stores: Vec<Store> = if s.stores.is_empty() {
        let mut chosen = Vec::new();
        for store in Store::ALL {
            match opts.unavailable(store) {
                Some(why) => eprintln!("{store:<6} skipped: {why}"),
                None => chosen.push(store),
            }
        }
        if chosen.is_empty() {
            return Err(Error::Unavailable(
                "no trust store is available here (see above); name one with --store".into(),
            ));
        }
        chosen
    } else {
        let mut named = s.stores.clone();
        named.sort();
        named.dedup();
        for store in &named {
            if let Some(why) = opts.unavailable(*store) {
                return Err(Error::Usage(format!("--store {store}: {why}")));
            }
        }
        named
    };

    let verb = match args.action {
        TrustAction::Install => "install",
        TrustAction::Uninstall => "uninstall",
        TrustAction::Status => "status",
    };
    let mut outcomes = Vec::new();
    for store in stores {
        outcomes.extend(match args.action {
            TrustAction::Install => trust::install(store, &root, &opts, s.dry_run)?,
            TrustAction::Uninstall => trust::uninstall(store, &root, &opts, s.dry_run)?,
            TrustAction::Status => trust::status(store, &root, &opts)?,
        });
    }

    let rows: Vec<Vec<String>> =
        outcomes.iter().map(|o| vec![o.store.to_string(), o.state.clone(), o.location.clone()]).collect();
    let table = crate::cli::output::table(&["STORE", "STATE", "WHERE"], &rows);
    let missing = outcomes.iter().any(|o| o.state.starts_with("not installed"));
    if args.action == TrustAction::Status {
        out!("{table}")?;
        return Ok(if missing { 1 } else { 0 });
    }
    if s.dry_run {
        for o in &outcomes {
            // The state is what a real run ends in; a dry run says what is true now.
            if o.steps.is_empty() {
                eprintln!("# {}: {} at {}; nothing to do", o.store, o.state, o.location);
            } else {
                let now = match o.state.as_str() {
                    "installed" => "not installed yet",
                    "removed" => "still installed",
                    other => other,
                };
                eprintln!("# {}: would {verb} at {} ({now})", o.store, o.location);
            }
            for step in &o.steps {
                outln!("{step}")?;
            }
        }
        return Ok(0);
    }
    eprint!("{table}");
    match args.action {
        TrustAction::Install => eprintln!(
            "the lab root `{}` is trusted there now; restart browsers to pick it up. Undo with `pki-lab trust uninstall`",
            opts.name
        ),
        TrustAction::Uninstall => eprintln!("the lab root `{}` is no longer in those stores", opts.name),
        TrustAction::Status => {}
    }
    Ok(0)
}
