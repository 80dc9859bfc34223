//! A lab step's words parsed by the command line's own definitions ([`crate::lab::command::StepParser`]):
//! a lab accepts exactly the flags a learner can type, and the lab runner gets library requests.

use clap::Parser;

use crate::cli::{Cli, Command, InspectArgs, ProbeArgs, VerifyArgs};
use crate::lab::command::{InspectStep, Invocation, PROGRAMS, ProbeStep, VerifyStep};

/// Parses `words` (without `pki-lab`) as `probe`, `verify` or `inspect`.
pub fn parse_step(words: &[String]) -> Result<Invocation, String> {
    let cli = Cli::try_parse_from(std::iter::once("pki-lab".to_string()).chain(words.iter().cloned()))
        .map_err(|e| clap_message(&e))?;
    match cli.command {
        Command::Probe(a) => Ok(Invocation::Probe(a.into())),
        Command::Verify(a) => Ok(Invocation::Verify(a.into())),
        Command::Inspect(a) => Ok(Invocation::Inspect(a.into())),
        _ => Err(format!("a step runs one of {}", PROGRAMS.join(", "))),
    }
}

impl From<ProbeArgs> for ProbeStep {
    fn from(a: ProbeArgs) -> ProbeStep {
        ProbeStep {
            flags: a.flags(),
            targets: a.targets,
            all: a.all,
            expect: a.expect,
            ca: a.ca,
            host: a.host,
            crls: a.crls,
            client_cert: a.client_cert,
        }
    }
}

impl From<VerifyArgs> for VerifyStep {
    fn from(a: VerifyArgs) -> VerifyStep {
        VerifyStep { request: a.request(), at: a.at, expect: a.expect }
    }
}

impl From<InspectArgs> for InspectStep {
    fn from(a: InspectArgs) -> InspectStep {
        InspectStep { target: a.target }
    }
}

/// The first line of a clap error, without its `error: ` prefix and with quotes as backticks.
fn clap_message(e: &clap::Error) -> String {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        return "`--help` and `--version` have no place in a lab command".into();
    }
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid command");
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_string();
    // "the following required arguments were not provided:" is followed by the list.
    if message.ends_with(':')
        && let Some(next) = lines.next()
    {
        message = format!("{message} {next}");
    }
    message.replace('\'', "`")
}
