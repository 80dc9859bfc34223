//! Lab exercises: the schema of `labs/*.yaml`, the labs built into the binary, and loading a
//! lab by id or path. `labs/README.md` documents the format for authors.
//!
//! A lab is a list of steps a learner works through: `explain` (read), `run` (a pki-lab command
//! whose observation is checked), `question` (multiple choice or short answer) and `task` (the
//! learner changes something; a `check` command verifies it). [`validate`] turns the YAML into a
//! [`Lab`] or reports every problem with file, line and column; [`session`] runs commands
//! against servers it starts itself; [`grade`] checks steps and answers; [`progress`] remembers
//! where a learner stopped.
//!
//! ```no_run
//! // Step commands are parsed by the command line's own parser.
//! let lab = pki_lab::lab::find("expired-and-not-yet-valid", pki_lab::cli::parse_step)?;
//! for step in &lab.steps {
//!     println!("{} {}", step.action.kind(), step.id);
//! }
//! # Ok::<(), pki_lab::Error>(())
//! ```

pub mod answers;
pub mod command;
pub mod diag;
pub mod expect;
pub mod grade;
pub mod progress;
pub mod session;
pub mod validate;

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use crate::catalogue::rules::{RuleId, Step as HandshakeStep};
use crate::error::{Error, Result, suggest};
use crate::serve::session::{SessionOptions, SessionStore, Tickets};
use command::CommandTemplate;
pub use command::StepParser;
use expect::Expect;

/// One lab, validated.
#[derive(Debug, Clone)]
pub struct Lab {
    /// Stable id, kebab-case; the file is named `<id>.yaml` or `NN-<id>.yaml`.
    pub id: String,
    pub title: String,
    pub level: Level,
    /// What the learner can do at the end, in a sentence or two.
    pub goal: String,
    /// Ids of labs to do first.
    pub prerequisites: Vec<String>,
    /// Scenarios the lab serves (and whose files it reads) while it runs.
    pub scenarios: Vec<String>,
    /// Further servers, each with its own session settings; probed as `server:NAME`.
    pub servers: Vec<LabServer>,
    /// Gateways, each in front of its own backends; probed as `gateway:NAME`.
    pub gateways: Vec<LabGateway>,
    pub steps: Vec<Step>,
    /// Where it was read from: `labs/<file>` for a built-in lab, else the path given.
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    pub const ALL: &[&str] = &["beginner", "intermediate", "advanced"];

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "beginner" => Some(Level::Beginner),
            "intermediate" => Some(Level::Intermediate),
            "advanced" => Some(Level::Advanced),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        Level::ALL[self as usize]
    }
}

/// A server a lab starts besides its scenarios (`servers:`), with its own session settings. It
/// reports its `name` as the server that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabServer {
    pub name: String,
    /// The scenario whose certificate and settings it serves.
    pub scenario: String,
    pub session: SessionSpec,
}

/// A gateway a lab starts (`gateways:`) in front of `backends` servers of one scenario, named
/// `backend-1` … `backend-N`, each with the same session settings (their own cache, their own
/// ticket key unless `tickets: shared`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabGateway {
    pub name: String,
    pub mode: crate::serve::gateway::Mode,
    pub backends: u32,
    pub scenario: String,
    pub session: SessionSpec,
}

/// Where a lab server keeps its resumable sessions, as the lab file says it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSpec {
    pub store: SessionStore,
    pub tickets: LabTickets,
}

/// `tickets:` of a lab server or gateway.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LabTickets {
    #[default]
    Off,
    /// Each server process its own key.
    PerServer,
    /// One key file in the lab's work directory ([`TICKET_KEY_FILE`]), shared by every server
    /// and backend of the lab that says `shared`.
    Shared,
}

impl LabTickets {
    pub const ALL: &[&str] = &["off", "per-server", "shared"];

    pub fn parse(s: &str) -> Option<LabTickets> {
        match s {
            "off" => Some(LabTickets::Off),
            "per-server" => Some(LabTickets::PerServer),
            "shared" => Some(LabTickets::Shared),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        LabTickets::ALL[self as usize]
    }
}

/// `PKI_LAB_REDIS`, else `PKI_LAB_TEST_REDIS`, when set to a `redis://` URL.
pub fn redis_url_override() -> Option<String> {
    ["PKI_LAB_REDIS", "PKI_LAB_TEST_REDIS"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| u.starts_with("redis://"))
}

/// The shared ticket key of a lab, in its work directory.
pub const TICKET_KEY_FILE: &str = "ticket.key";

impl SessionSpec {
    /// The server options, with a shared ticket key kept in `work`. A lab's Redis is replaced by
    /// the one `PKI_LAB_REDIS` names (else `PKI_LAB_TEST_REDIS`, which the tests set), so a lab
    /// runs against a Redis on another port.
    pub fn options(&self, work: &Path) -> SessionOptions {
        let store = match &self.store {
            SessionStore::Redis(url) => SessionStore::Redis(redis_url_override().unwrap_or_else(|| url.clone())),
            other => other.clone(),
        };
        SessionOptions {
            store,
            tickets: match self.tickets {
                LabTickets::Off => Tickets::Off,
                LabTickets::PerServer => Tickets::PerServer,
                LabTickets::Shared => Tickets::Shared(work.join(TICKET_KEY_FILE)),
            },
        }
    }

    /// `memory, tickets off` and the like, for listings.
    pub fn describe(&self) -> String {
        let store = match &self.store {
            SessionStore::Memory => "memory cache".to_string(),
            SessionStore::None => "no cache".to_string(),
            SessionStore::Redis(url) => format!("cache in {url}"),
        };
        let tickets = match self.tickets {
            LabTickets::Off => "no tickets",
            LabTickets::PerServer => "tickets (own key)",
            LabTickets::Shared => "tickets (shared key)",
        };
        format!("{store}, {tickets}")
    }
}

/// One step of a lab.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    /// What to read, do or answer. `{lab}` and `{work}` are replaced when shown.
    pub text: String,
    /// Revealed one at a time on request.
    pub hints: Vec<String>,
    /// Shown once the step is done.
    pub explanation: Option<String>,
    pub action: Action,
}

/// What a step asks of the learner.
#[derive(Debug, Clone)]
pub enum Action {
    /// Read and continue.
    Explain,
    /// Run a command and check what it observes.
    Run(Check),
    Question(Question),
    Task(Task),
}

impl Action {
    pub const KINDS: &[&str] = &["explain", "run", "question", "task"];

    pub fn kind(&self) -> &'static str {
        match self {
            Action::Explain => "explain",
            Action::Run(_) => "run",
            Action::Question(_) => "question",
            Action::Task(_) => "task",
        }
    }
}

/// A command and what it must observe.
#[derive(Debug, Clone)]
pub struct Check {
    pub command: CommandTemplate,
    pub expect: Expect,
}

/// Multiple choice (with `choices`) or short answer.
#[derive(Debug, Clone)]
pub struct Question {
    pub choices: Vec<String>,
    pub answer: String,
    /// Other spellings accepted for a short answer.
    pub accept: Vec<String>,
    /// For some wrong choices of a multiple-choice question, why that choice is wrong:
    /// `(choice, why)`, the choice as listed. YAML: `why: { TLSv1_2: "…" }`.
    pub why: Vec<(String, String)>,
}

impl Question {
    /// Whether `given` is right: the answer or an accepted spelling, compared without case,
    /// surrounding space or a final full stop; for multiple choice also the letter or number of
    /// the right choice (`b`, `2`).
    pub fn is_correct(&self, given: &str) -> bool {
        let given = normalize(given);
        if given.is_empty() {
            return false;
        }
        if let Some(i) = self.choices.iter().position(|c| normalize(c) == normalize(&self.answer)) {
            let letter = char::from(b'a' + u8::try_from(i % 26).unwrap_or(0)).to_string();
            if given == letter || given == (i + 1).to_string() {
                return true;
            }
        }
        std::iter::once(&self.answer).chain(&self.accept).any(|a| normalize(a) == given)
    }

    /// Why `given` is wrong, when it picks a choice (by its text, letter or number) that the lab
    /// says something about; `None` for a right answer, an answer that is no choice, or a
    /// choice without a `why`.
    pub fn why_wrong(&self, given: &str) -> Option<&str> {
        if self.is_correct(given) {
            return None;
        }
        let given = normalize(given);
        let picked = self.choices.iter().enumerate().find(|(i, c)| {
            let letter = char::from(b'a' + u8::try_from(i % 26).unwrap_or(0)).to_string();
            normalize(c) == given || given == letter || given == (i + 1).to_string()
        })?;
        self.why.iter().find(|(c, _)| normalize(c) == normalize(picked.1)).map(|(_, why)| why.as_str())
    }

    /// The right answer as the learner saw it: its labelled choice (`b) 2`), or the answer.
    pub fn shown_answer(&self) -> String {
        match self.choices.iter().position(|c| normalize(c) == normalize(&self.answer)) {
            Some(i) => self.labelled_choices().swap_remove(i),
            None => self.answer.clone(),
        }
    }

    /// `a) …` labels for the choices.
    pub fn labelled_choices(&self) -> Vec<String> {
        self.choices
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}) {c}", char::from(b'a' + u8::try_from(i % 26).unwrap_or(0))))
            .collect()
    }
}

/// Lower case, single spaces, no surrounding space or final full stop; and one spelling per
/// protocol version, so `TLS 1.3`, `TLSv1.3`, `TLSv1_3`, `tls13` and `1.3` are one answer.
pub fn normalize(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let plain = joined.trim_end_matches('.').trim().to_string();
    version_spelling(&plain).unwrap_or(plain)
}

/// `tls1.X` or `sslX` for the ways people write a protocol version (rustls's `TLSv1_3`, OpenSSL's
/// `TLSv1.3`, prose's `TLS 1.3`); `None` for anything else. A bare number counts only with its
/// dot (`1.3`), so that `1` and `2` stay the numbers of multiple-choice answers.
fn version_spelling(s: &str) -> Option<String> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).map(|c| if c == '_' { '.' } else { c }).collect();
    let (proto, rest, bare) = match (compact.strip_prefix("tls"), compact.strip_prefix("ssl")) {
        (Some(r), _) => ("tls", r, false),
        (_, Some(r)) => ("ssl", r, false),
        _ => ("tls", compact.as_str(), true),
    };
    let rest = if bare { rest } else { rest.strip_prefix('v').unwrap_or(rest) };
    let minor = match (proto, rest, bare) {
        ("tls", "1.0" | "1.1" | "1.2" | "1.3", _) => &rest[2..],
        ("tls", "1" | "10", false) => "0",
        ("tls", "11" | "12" | "13", false) => &rest[1..],
        ("ssl", "2" | "2.0" | "3" | "3.0", _) => return Some(format!("ssl{}", &rest[..1])),
        _ => return None,
    };
    Some(format!("tls1.{minor}"))
}

/// The learner changes something; `check` verifies it.
#[derive(Debug, Clone)]
pub struct Task {
    /// Values the learner gives (a path, a host name, a time), used as `{name}` in the check.
    pub inputs: Vec<Input>,
    pub check: Check,
}

#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    /// The question put to the learner.
    pub prompt: String,
    /// Used when the learner gives nothing; may use `{lab}` and `{work}`.
    pub default: Option<String>,
    /// The only values accepted that start with `-`: an input that stands for a flag names the
    /// flags it may be. Without choices an input is data and never a flag.
    pub choices: Vec<String>,
}

impl Task {
    /// Refuses values that would turn an answer into arguments: a value starting with `-` that
    /// is not among its input's choices (`--keylog=PATH` as a "host name" would make the grader
    /// write TLS secrets wherever the answers say).
    pub fn admit(&self, values: &std::collections::BTreeMap<String, String>) -> std::result::Result<(), String> {
        for input in &self.inputs {
            let Some(v) = values.get(&input.name) else { continue };
            if v.starts_with('-') && !input.choices.iter().any(|c| c == v) {
                return Err(if input.choices.is_empty() {
                    format!("`{v}` for `{}` looks like a flag; this input takes a value, not options", input.name)
                } else {
                    format!("`{v}` for `{}` is not one of {}", input.name, input.choices.join(", "))
                });
            }
        }
        Ok(())
    }
}

/// The rules and handshake steps a lab exercises, from its checks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub rules: BTreeSet<RuleId>,
    pub steps: BTreeSet<HandshakeStep>,
}

impl Lab {
    /// The checks of its run steps and tasks.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.steps.iter().filter_map(|s| match &s.action {
            Action::Run(c) => Some(c),
            Action::Task(t) => Some(&t.check),
            _ => None,
        })
    }

    /// The rules its checks expect to fail or pass by name, and the handshake steps they look at.
    pub fn coverage(&self) -> Coverage {
        let mut cov = Coverage::default();
        for check in self.checks() {
            for &rule in check.expect.failed.iter().flatten() {
                cov.rules.insert(rule);
                cov.steps.insert(rule.step());
            }
            if (check.expect.pass.is_some() || check.expect.failed.is_some())
                && check.command.program != command::Program::Inspect
            {
                cov.steps.insert(HandshakeStep::Verification);
            }
            if let Some(Some(step)) = check.expect.step {
                cov.steps.insert(step);
            }
            for (path, _) in &check.expect.values {
                if let Some(step) = expect::step_of_path(check.command.program, path) {
                    cov.steps.insert(step);
                }
            }
        }
        cov
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Whether a server or gateway of the lab keeps its sessions in Redis (so the lab needs a
    /// Redis server to run).
    pub fn uses_redis(&self) -> bool {
        self.servers
            .iter()
            .map(|s| &s.session)
            .chain(self.gateways.iter().map(|g| &g.session))
            .any(|s| matches!(s.store, SessionStore::Redis(_)))
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/labs.rs"));
}

/// `01-the-five-steps.yaml` → `the-five-steps`.
pub fn id_of_file(file: &str) -> &str {
    let stem = file.strip_suffix(".yaml").unwrap_or(file);
    match stem.split_once('-') {
        Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => stem,
    }
}

/// Ids of the built-in labs, in curriculum order.
pub fn builtin_ids() -> Vec<&'static str> {
    embedded::LABS.iter().map(|(f, _)| id_of_file(f)).collect()
}

/// Every built-in lab, in curriculum order; `parser` reads their step commands.
pub fn builtin(parser: StepParser) -> Result<Vec<Lab>> {
    let ids = builtin_ids();
    embedded::LABS.iter().map(|(file, text)| validate::parse(text, &format!("labs/{file}"), &ids, parser)).collect()
}

/// A built-in lab by id, or a lab file by path (anything with a `/` or ending in `.yaml`).
pub fn find(id_or_path: &str, parser: StepParser) -> Result<Lab> {
    if id_or_path.contains('/') || id_or_path.ends_with(".yaml") || Path::new(id_or_path).is_file() {
        return load_file(Path::new(id_or_path), parser);
    }
    let ids = builtin_ids();
    match embedded::LABS.iter().find(|(f, _)| id_of_file(f) == id_or_path) {
        Some((file, text)) => validate::parse(text, &format!("labs/{file}"), &ids, parser),
        None => {
            let hint =
                suggest(id_or_path, ids.iter().copied()).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
            Err(Error::Input(format!(
                "unknown lab `{id_or_path}`{hint}\n  hint: `pki-lab lab list` lists them; a lab file is given by its path"
            )))
        }
    }
}

/// Reads and validates a lab file. Prerequisites may name built-in labs or labs next to it.
pub fn load_file(path: &Path, parser: StepParser) -> Result<Lab> {
    let text = crate::labdir::fsutil::read_to_string(path)?;
    let mut known: Vec<String> = builtin_ids().into_iter().map(String::from).collect();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()).or(Some(Path::new(".")))
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for e in entries.flatten() {
            if let Some(name) = e.file_name().to_str().filter(|n| n.ends_with(".yaml")) {
                known.push(id_of_file(name).to_string());
            }
        }
    }
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    validate::parse(&text, &path.display().to_string(), &known, parser)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(choices: &[&str], answer: &str, accept: &[&str]) -> Question {
        Question {
            choices: choices.iter().map(|s| s.to_string()).collect(),
            answer: answer.into(),
            accept: accept.iter().map(|s| s.to_string()).collect(),
            why: Vec::new(),
        }
    }

    #[test]
    fn a_wrong_choice_says_why_by_its_text_letter_or_number() {
        let mut question = q(&["TLSv1_2", "TLSv1_3", "SSLv3"], "TLSv1_3", &[]);
        question.why = vec![("TLSv1_2".into(), "the server offers 1.3".into())];
        for given in ["TLSv1_2", "TLS 1.2", "a", "1", " A. "] {
            assert_eq!(question.why_wrong(given), Some("the server offers 1.3"), "{given}");
        }
        // Controls: the right answer, a wrong choice without a `why`, no choice at all.
        for given in ["TLSv1_3", "b", "2", "SSLv3", "c", "TLSv1_0", "", "z"] {
            assert_eq!(question.why_wrong(given), None, "{given}");
        }
    }

    #[test]
    fn a_protocol_version_is_one_answer_however_it_is_written() {
        let question = q(&["SSLv3", "TLSv1_2", "TLSv1_3"], "TLSv1_3", &[]);
        for given in ["TLSv1_3", "TLS 1.3", "TLSv1.3", "tlsv1.3", "1.3", "TLS1.3", "tls13", "TLS v1.3", "c", "3"] {
            assert!(question.is_correct(given), "{given}");
        }
        // Controls: the other versions, and bare numbers that are not versions.
        for given in ["TLSv1_2", "TLS 1.2", "1.2", "SSLv3", "SSL 3.0", "13", "1", "tls 1.4", "v1.3"] {
            assert!(!question.is_correct(given), "{given}");
        }
        assert_eq!(normalize("SSL 3.0"), normalize("SSLv3"));
        assert_eq!(normalize("2"), "2");
    }

    #[test]
    fn multiple_choice_accepts_text_letter_or_number() {
        let question = q(&["notBefore", "notAfter"], "notAfter", &[]);
        for given in ["notAfter", "  NOTAFTER. ", "b", "2"] {
            assert!(question.is_correct(given), "{given}");
        }
        for given in ["a", "1", "notBefore", ""] {
            assert!(!question.is_correct(given), "{given}");
        }
    }

    #[test]
    fn short_answers_accept_listed_spellings() {
        let question = q(&[], "UnknownIssuer", &["unknown issuer"]);
        assert!(question.is_correct("unknownissuer"));
        assert!(question.is_correct("Unknown  Issuer"));
        assert!(!question.is_correct("BadSignature"));
    }

    #[test]
    fn file_names_may_carry_an_order_prefix() {
        assert_eq!(id_of_file("01-the-five-steps.yaml"), "the-five-steps");
        assert_eq!(id_of_file("mutual-tls.yaml"), "mutual-tls");
        assert_eq!(id_of_file("tls-1-3.yaml"), "tls-1-3");
    }
}
