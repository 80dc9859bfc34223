//! The pki-lab command a `run` step or a task's `check` runs: split into words, placeholders
//! (`{lab}`, `{work}`, task inputs) filled in, and parsed by the real command line, so a lab
//! accepts exactly the flags a learner can type. The parser is handed in ([`StepParser`]; the
//! command line's is `pki_lab::cli::parse_step`): the lab runner does not depend on clap.

use std::path::PathBuf;

use crate::catalogue::rules::Expected;
use crate::error::suggest;
use crate::probe::ProbeFlags;
use crate::verdict::report::VerifyRequest;

/// The commands a lab step may run, in process.
pub const PROGRAMS: &[&str] = &["probe", "verify", "inspect"];

/// Placeholders every command may use.
pub const BUILTIN_VARS: &[&str] = &["lab", "work"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Probe,
    Verify,
    Inspect,
}

impl Program {
    pub fn as_str(self) -> &'static str {
        match self {
            Program::Probe => "probe",
            Program::Verify => "verify",
            Program::Inspect => "inspect",
        }
    }
}

/// What a `probe` may name besides a scenario: one of the lab's own `servers:` or `gateways:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Server,
    Gateway,
}

impl EndpointKind {
    /// The prefix of the probe target: `server:NAME`, `gateway:NAME`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Server => "server",
            EndpointKind::Gateway => "gateway",
        }
    }
}

/// `server:NAME` or `gateway:NAME` as a probe target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub kind: EndpointKind,
    pub name: String,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.name)
    }
}

impl Endpoint {
    /// `server:cache` → a server named `cache`; anything else → `None`.
    pub fn parse(target: &str) -> Option<Endpoint> {
        let (prefix, name) = target.split_once(':')?;
        let kind = match prefix {
            "server" => EndpointKind::Server,
            "gateway" => EndpointKind::Gateway,
            _ => return None,
        };
        Some(Endpoint { kind, name: name.to_string() })
    }
}

/// A command as written in the lab, checked once at load time.
#[derive(Debug, Clone)]
pub struct CommandTemplate {
    /// As written (without a leading `pki-lab`).
    pub text: String,
    words: Vec<String>,
    pub program: Program,
    /// Names inside `{…}`, in order of appearance.
    pub placeholders: Vec<String>,
    /// Scenario names the command refers to: the probe target, an inspect target, or a
    /// `{lab}/scenarios/NAME/…` path.
    pub scenarios: Vec<String>,
    /// The lab server or gateway a probe names (`probe server:NAME`, `probe gateway:NAME`).
    pub endpoint: Option<Endpoint>,
    parser: StepParser,
}

/// A command ready to run: what the command line asked for, as library requests.
#[derive(Debug, Clone)]
pub enum Invocation {
    Probe(ProbeStep),
    Verify(VerifyStep),
    Inspect(InspectStep),
}

/// `probe`: its targets and flags.
#[derive(Debug, Clone)]
pub struct ProbeStep {
    pub targets: Vec<String>,
    pub all: bool,
    pub expect: Vec<Expected>,
    /// Roots to trust instead of the lab's (`--ca`).
    pub ca: Option<PathBuf>,
    pub host: Option<String>,
    /// CRLs instead of the lab's (`--crl`).
    pub crls: Vec<PathBuf>,
    /// The client identity to present instead of the scenario's (`--client-cert`).
    pub client_cert: Option<PathBuf>,
    pub flags: ProbeFlags,
}

/// `verify`: the files, the time (`--at`, RFC 3339, as typed) and `--expect`.
#[derive(Debug, Clone)]
pub struct VerifyStep {
    pub request: VerifyRequest,
    pub at: Option<String>,
    pub expect: Vec<Expected>,
}

/// `inspect`: a file or a scenario's name.
#[derive(Debug, Clone)]
pub struct InspectStep {
    pub target: String,
}

/// Parses the words of a command (without `pki-lab`) as the command line would; `Err` is the
/// parser's message in one line.
pub type StepParser = fn(&[String]) -> Result<Invocation, String>;

impl CommandTemplate {
    /// Splits and checks `text`; `Err` says what is wrong in one line.
    pub fn parse(text: &str, parser: StepParser) -> Result<CommandTemplate, String> {
        let mut words = split_words(text)?;
        if words.first().is_some_and(|w| w == "pki-lab") {
            words.remove(0);
        }
        let Some(first) = words.first() else {
            return Err("empty command: write a pki-lab command such as `probe expired`".into());
        };
        let program = match first.as_str() {
            "probe" => Program::Probe,
            "verify" => Program::Verify,
            "inspect" => Program::Inspect,
            other => {
                let hint = suggest(other, PROGRAMS.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                return Err(format!(
                    "`{other}` cannot run inside a lab: {hint}a step runs one of {}",
                    PROGRAMS.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                ));
            }
        };
        let mut placeholders = Vec::new();
        for w in &words {
            for name in placeholders_in(w)? {
                if !placeholders.contains(&name) {
                    placeholders.push(name);
                }
            }
        }
        // Parse with stand-ins so that flags and their values are checked now, not mid-lab: a
        // number (`--requests {n}`, also a fine host or file name), else an address
        // (`--source {ip}`).
        let stand_in = |value: &str| -> Vec<String> {
            words
                .iter()
                .map(|w| {
                    fill(w, &mut |name| {
                        Some(if BUILTIN_VARS.contains(&name) { format!("/{name}") } else { value.to_string() })
                    })
                })
                .collect()
        };
        let numbers = stand_in("1");
        // An input may also stand for a whole flag (`probe tls13-only {flag}`): if the command
        // does not hold together with a value there, try it without those words.
        let Refs { mut scenarios, endpoint } = check_words(parser, &words, &numbers)
            .or_else(|first| check_words(parser, &words, &stand_in("127.0.0.1")).map_err(|_| first))
            .or_else(|first| {
                let (orig, filled): (Vec<String>, Vec<String>) = words
                    .iter()
                    .zip(&numbers)
                    .filter(|(w, _)| !is_input_word(w))
                    .map(|(w, s)| (w.clone(), s.clone()))
                    .unzip();
                check_words(parser, &orig, &filled).map_err(|_| first)
            })?;
        for w in &words {
            if let Some(name) = w.split("{lab}/scenarios/").nth(1).and_then(|rest| rest.split('/').next())
                && !name.is_empty()
                && !scenarios.iter().any(|s| s == name)
            {
                scenarios.push(name.to_string());
            }
        }
        Ok(CommandTemplate { text: words.join(" "), words, program, placeholders, scenarios, endpoint, parser })
    }

    /// Fills in the placeholders from `vars` and parses the result.
    pub fn expand(&self, vars: &dyn Fn(&str) -> Option<String>) -> Result<(String, Invocation), String> {
        let mut missing = Vec::new();
        let words: Vec<String> = self
            .words
            .iter()
            .map(|w| {
                fill(w, &mut |name| {
                    let v = vars(name);
                    if v.is_none() {
                        missing.push(name.to_string());
                    }
                    v
                })
            })
            .collect();
        if let Some(name) = missing.first() {
            return Err(format!("no value for `{{{name}}}`"));
        }
        let shown = words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
        let invocation = parse_words(self.parser, &words)?;
        // An input must not turn the command into another one (a second target, --all).
        let is_own_target =
            |t: &String| self.scenarios.contains(t) || self.endpoint.as_ref().is_some_and(|e| e.to_string() == *t);
        if let Invocation::Probe(a) = &invocation
            && (a.all || !a.expect.is_empty() || a.targets.len() != 1 || !is_own_target(&a.targets[0]))
        {
            return Err(format!("`pki-lab {shown}` is not the probe this step runs (`pki-lab {}`)", self.text));
        }
        Ok((format!("pki-lab {shown}"), invocation))
    }
}

/// What a command refers to in its lab.
struct Refs {
    scenarios: Vec<String>,
    endpoint: Option<Endpoint>,
}

/// Parses `filled` (the words with stand-ins for placeholders) and checks what only a lab
/// forbids; returns the scenarios, servers and gateways named. `words` are the same words as
/// written.
fn check_words(parser: StepParser, words: &[String], filled: &[String]) -> Result<Refs, String> {
    let mut scenarios = Vec::new();
    let mut endpoint = None;
    match parse_words(parser, filled)? {
        Invocation::Probe(a) => {
            if a.all {
                return Err("`probe --all` cannot run inside a lab: name the scenario to probe".into());
            }
            if !a.expect.is_empty() {
                return Err("`--expect` has no place in a lab command: say what to expect under `expect:`".into());
            }
            match a.targets.as_slice() {
                [t] if words.contains(t) && Endpoint::parse(t).is_some() => {
                    let e = Endpoint::parse(t);
                    if let Some(e) = &e
                        && e.name.is_empty()
                    {
                        let kind = e.kind.as_str();
                        return Err(format!("probe `{t}`: name one of the lab's {kind}s (`probe {kind}:NAME`)"));
                    }
                    endpoint = e;
                }
                [t] if crate::probe::parse_target(t).is_none() && words.contains(t) => scenarios.push(t.clone()),
                [t] => {
                    return Err(format!(
                        "probe `{t}`: a lab probes the scenarios it serves itself; name one (e.g. `probe expired`)"
                    ));
                }
                _ => return Err(format!("probe one scenario per step, found {}", a.targets.len())),
            }
        }
        Invocation::Verify(a) if !a.expect.is_empty() => {
            return Err("`--expect` has no place in a lab command: say what to expect under `expect:`".into());
        }
        Invocation::Inspect(a) => {
            let t = &a.target;
            if let Some(e) = Endpoint::parse(t) {
                return Err(format!(
                    "inspect `{t}`: `{}:NAME` is for probe; inspect reads a file or a scenario's chain",
                    e.kind.as_str()
                ));
            }
            if words.contains(t) && !t.contains('/') && !t.ends_with(".pem") && !t.ends_with(".crt") {
                scenarios.push(t.clone());
            }
        }
        Invocation::Verify(_) => {}
    }
    Ok(Refs { scenarios, endpoint })
}

fn parse_words(parser: StepParser, words: &[String]) -> Result<Invocation, String> {
    if words.iter().any(|w| w == "--dir" || w.starts_with("--dir=")) {
        return Err("`--dir` has no place in a lab command: the lab runs in the learner's lab directory".into());
    }
    parser(words)
}

/// Whitespace-separated words; single or double quotes keep spaces inside one word.
pub fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("unclosed quote `{q}` in the command"));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// A word that is one placeholder and nothing else, not `{lab}` or `{work}`.
fn is_input_word(w: &str) -> bool {
    w.strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .is_some_and(|name| !name.contains(['{', '}']) && !BUILTIN_VARS.contains(&name))
}

/// Names inside `{…}` in one word; `Err` for an unclosed or empty brace.
fn placeholders_in(word: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = word;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| format!("`{word}`: `{{` without a closing `}}`"))?;
        let name = &after[..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("`{{{name}}}`: a placeholder is a name such as `{{lab}}`, `{{work}}` or a task input"));
        }
        out.push(name.to_string());
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// Replaces each `{name}` by `value(name)`; unknown names stay as written.
pub fn fill(text: &str, value: &mut dyn FnMut(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A word as a shell would need it to be typed.
fn quote(w: &str) -> String {
    if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c)) {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}
