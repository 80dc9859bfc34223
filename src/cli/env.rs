//! `pki-lab env`: print the variables that make clients trust the lab.

use std::path::Path;

use crate::cli::EnvArgs;
use crate::error::Result;
use crate::truststore::env as envvars;
use crate::{labdir, labdir::fsutil};

pub(crate) fn env(dir: &Path, args: EnvArgs) -> Result<i32> {
    labdir::load_manifest(dir)?;
    let root = dir.join("ca.pem");
    if args.unset {
        out!("{}", envvars::render(args.shell, &dir.join(envvars::BUNDLE), &root, true))?;
        return Ok(0);
    }
    let root_pem = fsutil::read_to_string(&root)?;
    let (bundle, system) = envvars::write_bundle(dir, &root_pem, args.system_bundle.as_deref())?;
    match &system {
        Some(s) => eprintln!("# {} = the system roots ({}) + the lab root", bundle.display(), s.display()),
        None => eprintln!(
            "# warning: no system roots found; {} holds the lab root only, so clients using it trust nothing else",
            bundle.display()
        ),
    }
    out!("{}", envvars::render(args.shell, &bundle, &root, false))?;
    let apply = match args.shell {
        envvars::Shell::Sh => "eval \"$(pki-lab env)\"",
        envvars::Shell::Fish => "pki-lab env --shell fish | source",
        envvars::Shell::Powershell => "pki-lab env --shell powershell | Invoke-Expression",
    };
    eprintln!("# apply with: {apply}   (undo: add --unset)");
    Ok(0)
}
