//! `pki-lab completions SHELL` and `pki-lab man [SUBCOMMAND]`, generated from the clap definitions.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result, suggest};

pub(crate) fn completions(args: CompletionsArgs) -> Result<i32> {
    let mut cmd = Cli::command();
    // Into a buffer first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "pki-lab", &mut script);
    out!("{}", String::from_utf8_lossy(&script))?;
    Ok(0)
}

pub(crate) fn man(args: ManArgs) -> Result<i32> {
    let mut cmd = Cli::command();
    cmd.build();
    let page = match &args.subcommand {
        None => cmd,
        Some(name) => {
            let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_string()).collect();
            cmd.find_subcommand(name).cloned().ok_or_else(|| {
                let hint = suggest(name, names.iter().map(String::as_str))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                Error::Usage(format!("no subcommand `{name}`{hint}\n  hint: one of {}", names.join(", ")))
            })?
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| Error::Internal(format!("rendering the man page: {e}")))?;
    out!("{}", String::from_utf8_lossy(&out))?;
    Ok(0)
}
