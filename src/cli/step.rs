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

// The lab's command templates, parsed as a lab parses them: with this parser.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::command::*;

    #[test]
    fn every_builtin_lab_loads() {
        let labs = crate::lab::builtin(parse_step).expect("built-in labs validate");
        assert!(labs.len() >= 15, "{} labs", labs.len());
    }

    fn parse(text: &str) -> Result<CommandTemplate, String> {
        CommandTemplate::parse(text, parse_step)
    }

    #[test]
    fn words_split_on_spaces_and_respect_quotes() {
        assert_eq!(split_words("probe  expired --host 'a b'").expect("works"), ["probe", "expired", "--host", "a b"]);
        assert!(split_words("probe 'x").is_err());
    }

    #[test]
    fn templates_know_their_program_placeholders_and_scenarios() {
        let t = parse("pki-lab probe untrusted-root --ca {ca}").expect("works");
        assert_eq!(t.program, Program::Probe);
        assert_eq!(t.placeholders, ["ca"]);
        assert_eq!(t.scenarios, ["untrusted-root"]);
        let t = parse("verify --cert {lab}/scenarios/expired/cert.pem --host localhost").expect("works");
        assert_eq!(t.scenarios, ["expired"]);
        let vars = |n: &str| (n == "lab").then(|| "/tmp/my lab".to_string());
        let (shown, _) = t.expand(&vars).expect("works");
        assert_eq!(shown, "pki-lab verify --cert '/tmp/my lab/scenarios/expired/cert.pem' --host localhost");
    }

    #[test]
    fn commands_outside_the_lab_set_are_refused() {
        let e = parse("serve expired").expect_err("fails");
        assert!(e.starts_with("`serve` cannot run inside a lab"), "{e}");
        let e = parse("prbe expired").expect_err("fails");
        assert!(e.contains("did you mean `probe`?"), "{e}");
        let e = parse("probe expired --bogus").expect_err("fails");
        assert_eq!(e, "unexpected argument `--bogus` found");
    }

    #[test]
    fn probes_may_name_a_lab_server_or_gateway() {
        let t = parse("probe gateway:rr --resume --connections 6").expect("works");
        assert_eq!(t.endpoint, Some(Endpoint { kind: EndpointKind::Gateway, name: "rr".into() }));
        assert!(t.scenarios.is_empty());
        let (shown, _) = t.expand(&|_| None).expect("expands");
        assert_eq!(shown, "pki-lab probe gateway:rr --resume --connections 6");
        let t = parse("probe server:cache {flag} --connections 2").expect("works");
        assert_eq!(t.endpoint.map(|e| e.to_string()).as_deref(), Some("server:cache"));
        let t = parse("probe gateway:hash --source {ip}").expect("an address stands in for {ip}");
        assert_eq!(t.placeholders, ["ip"]);
        let e = parse("probe server:").expect_err("fails");
        assert_eq!(e, "probe `server:`: name one of the lab's servers (`probe server:NAME`)");
        let e = parse("inspect gateway:rr").expect_err("fails");
        assert!(e.starts_with("inspect `gateway:rr`: `gateway:NAME` is for probe"), "{e}");
    }
}
