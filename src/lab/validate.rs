//! From YAML text to a [`Lab`]: serde-saphyr reads the raw form (every value with its line and
//! column), then every semantic rule is checked and every problem reported at its place.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::command::{BUILTIN_VARS, CommandTemplate, EndpointKind, Program, StepParser};
use super::diag::{Diags, SpannedMap, yaml_error};
use super::expect::{Expect, is_known_shape, parse_path, shape_of, shapes};
use super::{
    Action, Check, Input, Lab, LabGateway, LabServer, LabTickets, Level, Question, SessionSpec, Step, Task, id_of_file,
    normalize,
};
use crate::catalogue::rules::{RuleId, Step as HandshakeStep};
use crate::catalogue::template::Catalogue;
use crate::error::{Result, suggest};
use crate::serve::gateway::Mode;
use crate::serve::session::SessionStore;

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLab {
    id: S<String>,
    title: S<String>,
    level: S<String>,
    goal: S<String>,
    #[serde(default)]
    prerequisites: Vec<S<String>>,
    #[serde(default)]
    scenarios: Vec<S<String>>,
    #[serde(default)]
    servers: Vec<S<RawServer>>,
    #[serde(default)]
    gateways: Vec<S<RawGateway>>,
    steps: S<Vec<S<RawStep>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawServer {
    name: S<String>,
    scenario: S<String>,
    #[serde(default)]
    session_store: Option<S<String>>,
    #[serde(default)]
    tickets: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawGateway {
    name: S<String>,
    mode: S<String>,
    #[serde(default)]
    backends: Option<S<u32>>,
    scenario: S<String>,
    #[serde(default)]
    session_store: Option<S<String>>,
    #[serde(default)]
    tickets: Option<S<String>>,
}

/// What a lab serves, by the names its commands use.
/// What step commands may refer to, and how they are parsed.
struct Declared {
    scenarios: Vec<String>,
    servers: Vec<String>,
    gateways: Vec<String>,
    parser: StepParser,
}

/// Backends a lab gateway may have.
const MAX_BACKENDS: u32 = 8;
/// Backends when a lab gateway does not say.
const DEFAULT_BACKENDS: u32 = 3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawStep {
    id: S<String>,
    kind: S<String>,
    text: S<String>,
    #[serde(default)]
    hints: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    explanation: Option<S<String>>,
    // run
    #[serde(default)]
    command: Option<S<String>>,
    #[serde(default)]
    expect: Option<S<RawExpect>>,
    // question
    #[serde(default)]
    choices: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    answer: Option<S<String>>,
    #[serde(default)]
    accept: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    why: Option<S<SpannedMap<String>>>,
    // task
    #[serde(default)]
    inputs: Option<S<Vec<S<RawInput>>>>,
    #[serde(default)]
    check: Option<S<RawCheck>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawExpect {
    #[serde(default)]
    verdict: Option<S<String>>,
    #[serde(default)]
    failed: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    step: Option<S<String>>,
    #[serde(default)]
    exit: Option<S<i32>>,
    #[serde(default)]
    values: Option<S<SpannedMap<Value>>>,
    #[serde(default)]
    contains: Option<S<Vec<S<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCheck {
    command: S<String>,
    expect: S<RawExpect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawInput {
    name: S<String>,
    prompt: S<String>,
    #[serde(default)]
    default: Option<S<String>>,
    #[serde(default)]
    choices: Vec<S<String>>,
}

/// Which fields each step kind takes besides `id`, `kind`, `text`, `hints` and `explanation`.
const FIELDS: &[(&str, &[&str])] = &[
    ("explain", &[]),
    ("run", &["command", "expect"]),
    ("question", &["choices", "answer", "accept", "why"]),
    ("task", &["inputs", "check"]),
];

/// Reserved in answers files, so not an input name.
const RESERVED_INPUTS: &[&str] = &["shell", "lab", "work"];

/// The built-in catalogue, parsed once per process: validation asks for it per command, and a
/// file of thousands of commands must not parse it thousands of times.
fn catalogue() -> Option<&'static Catalogue> {
    static CATALOGUE: std::sync::OnceLock<Option<Catalogue>> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::builtin().ok()).as_ref()
}

/// Parses and validates a lab. `file` names it in errors; `known_labs` are the ids
/// `prerequisites` may use; `parser` reads step commands.
pub fn parse(text: &str, file: &str, known_labs: &[&str], parser: StepParser) -> Result<Lab> {
    let raw: RawLab = serde_saphyr::from_str(text).map_err(|e| yaml_error(&e, file, text))?;
    let mut d = Diags::new(file, text);
    let lab = check_lab(raw, file, known_labs, parser, &mut d);
    d.finish()?;
    lab.ok_or_else(|| crate::Error::Yaml { rendered: format!("{file}: invalid lab") })
}

fn kebab(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    suggest(given, candidates).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
}

fn nonempty(d: &mut Diags, field: &str, s: &S<String>) -> bool {
    if s.value.trim().is_empty() {
        d.on(s, format!("`{field}` is empty"));
        false
    } else {
        true
    }
}

fn check_lab(raw: RawLab, file: &str, known_labs: &[&str], parser: StepParser, d: &mut Diags) -> Option<Lab> {
    if !kebab(&raw.id.value) {
        d.on(&raw.id, format!("id `{}`: use lower-case letters, digits and `-`", raw.id.value));
    }
    let stem = std::path::Path::new(file).file_name().and_then(|n| n.to_str()).map(id_of_file);
    if let Some(stem) = stem
        && stem != raw.id.value
        && file.ends_with(".yaml")
    {
        d.on(
            &raw.id,
            format!(
                "id `{}` differs from the file name `{stem}` (name the file `{}.yaml`)",
                raw.id.value, raw.id.value
            ),
        );
    }
    nonempty(d, "title", &raw.title);
    nonempty(d, "goal", &raw.goal);
    let level = Level::parse(&raw.level.value);
    if level.is_none() {
        d.on(
            &raw.level,
            format!(
                "unknown level `{}`{} (expected one of: {})",
                raw.level.value,
                did_you_mean(&raw.level.value, Level::ALL.iter().copied()),
                Level::ALL.join(", ")
            ),
        );
    }
    for p in &raw.prerequisites {
        if p.value == raw.id.value {
            d.on(p, "a lab cannot be its own prerequisite");
        } else if !known_labs.contains(&p.value.as_str()) {
            d.on(
                p,
                format!("unknown prerequisite lab `{}`{}", p.value, did_you_mean(&p.value, known_labs.iter().copied())),
            );
        }
    }
    let names: Vec<&str> =
        catalogue().map(|c| c.templates().iter().map(|p| p.name.as_str()).collect()).unwrap_or_default();
    // Sets and maps, not lists: a file with thousands of entries is checked in linear time.
    let mut scenarios: Vec<String> = Vec::new();
    let mut listed = std::collections::HashSet::new();
    for s in &raw.scenarios {
        if !known_scenario(s, &names, d) {
            continue;
        }
        if !listed.insert(s.value.as_str()) {
            d.on(s, format!("scenario `{}` is listed twice", s.value));
        } else {
            scenarios.push(s.value.clone());
        }
    }
    let mut taken: HashMap<String, u64> = HashMap::new();
    // Names as declared, so that a server with a bad setting is not also an unknown name.
    let (mut server_names, mut gateway_names) = (Vec::new(), Vec::new());
    let mut servers = Vec::new();
    for s in &raw.servers {
        let r = &s.value;
        let name_ok = check_name(&r.name, &mut taken, d);
        server_names.push(r.name.value.clone());
        let scenario_ok = known_scenario(&r.scenario, &names, d);
        let session = check_session(r.session_store.as_ref(), r.tickets.as_ref(), d);
        if let (true, true, Some(session)) = (name_ok, scenario_ok, session) {
            servers.push(LabServer { name: r.name.value.clone(), scenario: r.scenario.value.clone(), session });
        }
    }
    let mut gateways = Vec::new();
    for g in &raw.gateways {
        let r = &g.value;
        let name_ok = check_name(&r.name, &mut taken, d);
        gateway_names.push(r.name.value.clone());
        let modes = &Mode::ALL;
        let mode = modes.iter().copied().find(|m| m.as_str() == r.mode.value);
        if mode.is_none() {
            let all: Vec<&str> = modes.iter().map(|m| m.as_str()).collect();
            d.on(
                &r.mode,
                format!(
                    "unknown gateway mode `{}`{} (expected one of: {})",
                    r.mode.value,
                    did_you_mean(&r.mode.value, all.iter().copied()),
                    all.join(", ")
                ),
            );
        }
        let backends = r.backends.as_ref().map_or(DEFAULT_BACKENDS, |b| b.value);
        let backends_ok = (1..=MAX_BACKENDS).contains(&backends);
        if let Some(b) = r.backends.as_ref().filter(|_| !backends_ok) {
            d.on(b, format!("`backends: {}`: a lab gateway has 1 to {MAX_BACKENDS} backends", b.value));
        }
        let scenario_ok = known_scenario(&r.scenario, &names, d);
        let session = check_session(r.session_store.as_ref(), r.tickets.as_ref(), d);
        if let (true, Some(mode), true, true, Some(session)) = (name_ok, mode, backends_ok, scenario_ok, session) {
            gateways.push(LabGateway {
                name: r.name.value.clone(),
                mode,
                backends,
                scenario: r.scenario.value.clone(),
                session,
            });
        }
    }
    let declared = Declared { scenarios, servers: server_names, gateways: gateway_names, parser };
    if raw.steps.value.is_empty() {
        d.on(&raw.steps, "`steps` is empty: a lab needs at least one step");
    }
    let mut steps = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for s in raw.steps.value {
        let step_loc = s.value.id.referenced.line();
        if let Some(line) = seen.get(&s.value.id.value) {
            d.on(&s.value.id, format!("duplicate step id `{}` (first used on line {line})", s.value.id.value));
        } else {
            seen.insert(s.value.id.value.clone(), step_loc);
        }
        if let Some(step) = check_step(s, &declared, d) {
            steps.push(step);
        }
    }
    let level = level?;
    Some(Lab {
        id: raw.id.value,
        title: raw.title.value.trim().to_string(),
        level,
        goal: raw.goal.value.trim().to_string(),
        prerequisites: raw.prerequisites.into_iter().map(|p| p.value).collect(),
        scenarios: declared.scenarios,
        servers,
        gateways,
        steps,
        source: file.to_string(),
    })
}

/// Whether `s` names a scenario of the catalogue; reports it when not.
fn known_scenario(s: &S<String>, names: &[&str], d: &mut Diags) -> bool {
    if names.contains(&s.value.as_str()) {
        return true;
    }
    d.on(
        s,
        format!(
            "unknown scenario `{}`{} (`pki-lab scenarios` lists them)",
            s.value,
            did_you_mean(&s.value, names.iter().copied())
        ),
    );
    false
}

/// A server or gateway name: kebab-case and not used by another server or gateway of the lab.
fn check_name(name: &S<String>, taken: &mut HashMap<String, u64>, d: &mut Diags) -> bool {
    if !kebab(&name.value) {
        d.on(name, format!("name `{}`: use lower-case letters, digits and `-`", name.value));
        return false;
    }
    if let Some(line) = taken.get(&name.value) {
        d.on(
            name,
            format!("`{}` already names a server or gateway (line {line}); each needs its own name", name.value),
        );
        return false;
    }
    taken.insert(name.value.clone(), name.referenced.line());
    true
}

/// `session-store` and `tickets` of a server or gateway.
fn check_session(store: Option<&S<String>>, tickets: Option<&S<String>>, d: &mut Diags) -> Option<SessionSpec> {
    let mut ok = true;
    let mut spec = SessionSpec::default();
    if let Some(s) = store {
        match s.value.parse::<SessionStore>() {
            Ok(SessionStore::Redis(url)) if url.trim_start_matches("redis://").is_empty() => {
                d.on(s, "`session-store: redis://`: give the Redis server's host and port (`redis://127.0.0.1:6379`)");
                ok = false;
            }
            Ok(store) => spec.store = store,
            Err(_) => {
                d.on(
                    s,
                    format!(
                        "unknown session-store `{}`{} (expected memory, none or a redis://HOST:PORT URL)",
                        s.value,
                        did_you_mean(&s.value, ["memory", "none"])
                    ),
                );
                ok = false;
            }
        }
    }
    if let Some(t) = tickets {
        match LabTickets::parse(&t.value) {
            Some(x) => spec.tickets = x,
            None => {
                d.on(
                    t,
                    format!(
                        "unknown tickets setting `{}`{} (expected one of: {})",
                        t.value,
                        did_you_mean(&t.value, LabTickets::ALL.iter().copied()),
                        LabTickets::ALL.join(", ")
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(spec)
}

fn check_step(s: S<RawStep>, declared: &Declared, d: &mut Diags) -> Option<Step> {
    let r = s.value;
    let id = &r.id;
    if !kebab(&id.value) {
        d.on(id, format!("step id `{}`: use lower-case letters, digits and `-`", id.value));
    }
    nonempty(d, "text", &r.text);
    let kind = r.kind.value.as_str();
    let Some((_, allowed)) = FIELDS.iter().find(|(k, _)| *k == kind) else {
        d.on(
            &r.kind,
            format!(
                "unknown step kind `{kind}`{} (expected one of: explain, run, question, task)",
                did_you_mean(kind, FIELDS.iter().map(|(k, _)| *k))
            ),
        );
        return None;
    };
    // Fields that belong to another kind.
    let present: [(&str, Option<&serde_saphyr::Location>); 8] = [
        ("command", r.command.as_ref().map(|x| &x.referenced)),
        ("expect", r.expect.as_ref().map(|x| &x.referenced)),
        ("choices", r.choices.as_ref().map(|x| &x.referenced)),
        ("answer", r.answer.as_ref().map(|x| &x.referenced)),
        ("accept", r.accept.as_ref().map(|x| &x.referenced)),
        ("why", r.why.as_ref().map(|x| &x.referenced)),
        ("inputs", r.inputs.as_ref().map(|x| &x.referenced)),
        ("check", r.check.as_ref().map(|x| &x.referenced)),
    ];
    let mut misplaced = false;
    for (field, loc) in present {
        if let Some(loc) = loc
            && !allowed.contains(&field)
        {
            let owner = FIELDS.iter().find(|(_, f)| f.contains(&field)).map_or("", |(k, _)| *k);
            d.at(loc, format!("`{field}` does not belong in a {kind} step (it is part of {owner} steps)"));
            misplaced = true;
        }
    }
    let mut hints = Vec::new();
    if let Some(h) = &r.hints {
        if h.value.is_empty() {
            d.on(h, "`hints` is empty: leave it out or give at least one hint");
        }
        if kind == "explain" {
            d.on(h, "an explain step has nothing to hint at: `hints` belong to run, question and task steps");
        }
        for hint in &h.value {
            if nonempty(d, "hint", hint) {
                hints.push(hint.value.trim_end().to_string());
            }
        }
    }
    if let Some(e) = &r.explanation {
        nonempty(d, "explanation", e);
    }
    let need = |d: &mut Diags, field: &str| {
        d.at(&s.referenced, format!("a {kind} step needs `{field}`"));
    };
    let action = match kind {
        "explain" => Some(Action::Explain),
        "run" => {
            let command = r.command.as_ref();
            let expect = r.expect.as_ref();
            if command.is_none() {
                need(d, "command");
            }
            if expect.is_none() {
                need(d, "expect");
            }
            match (command, expect) {
                (Some(c), Some(e)) => check_check(c, e, &[], declared, d).map(Action::Run),
                _ => None,
            }
        }
        "question" => check_question(&r, &s.referenced, d).map(Action::Question),
        _ => {
            let inputs = check_inputs(r.inputs.as_ref(), d);
            match &r.check {
                None => {
                    need(d, "check");
                    None
                }
                Some(c) => {
                    let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
                    let check = check_check(&c.value.command, &c.value.expect, &names, declared, d);
                    if let Some(check) = &check {
                        for input in &inputs {
                            if !check.command.placeholders.contains(&input.name) {
                                d.on(
                                    &c.value.command,
                                    format!(
                                        "input `{}` is never used: write `{{{}}}` in the command",
                                        input.name, input.name
                                    ),
                                );
                            }
                        }
                    }
                    check.map(|check| Action::Task(Task { inputs, check }))
                }
            }
        }
    };
    if misplaced {
        return None;
    }
    Some(Step {
        id: r.id.value.clone(),
        text: r.text.value.trim_end().to_string(),
        hints,
        explanation: r.explanation.as_ref().map(|e| e.value.trim_end().to_string()),
        action: action?,
    })
}

fn check_question(r: &RawStep, step: &serde_saphyr::Location, d: &mut Diags) -> Option<Question> {
    let Some(answer) = &r.answer else {
        d.at(step, "a question step needs `answer`");
        return None;
    };
    if !nonempty(d, "answer", answer) {
        return None;
    }
    let mut choices = Vec::new();
    if let Some(c) = &r.choices {
        if c.value.len() < 2 {
            d.on(c, format!("`choices` lists {}: a multiple-choice question needs at least two", c.value.len()));
        }
        if c.value.len() > 26 {
            d.on(c, "`choices` lists more than 26: they are labelled a) to z)");
        }
        for choice in &c.value {
            if !nonempty(d, "choice", choice) {
                continue;
            }
            if choices.iter().any(|x: &String| normalize(x) == normalize(&choice.value)) {
                d.on(choice, format!("choice `{}` is listed twice", choice.value));
            }
            choices.push(choice.value.trim().to_string());
        }
        if !choices.iter().any(|c| normalize(c) == normalize(&answer.value)) {
            d.on(
                answer,
                format!(
                    "answer `{}` is not among the choices{} (choices: {})",
                    answer.value,
                    did_you_mean(&answer.value, choices.iter().map(String::as_str)),
                    choices.join(", ")
                ),
            );
        }
        if let Some(a) = &r.accept {
            d.on(a, "`accept` is for short answers: a multiple-choice question accepts the choice, its letter or its number");
        }
    }
    let mut accept = Vec::new();
    if let Some(a) = &r.accept {
        for x in &a.value {
            if nonempty(d, "accept", x) {
                accept.push(x.value.trim().to_string());
            }
        }
    }
    for reserved in ["h", "q", "s"] {
        if normalize(&answer.value) == reserved && choices.is_empty() {
            d.on(
                answer,
                format!("`{reserved}` cannot be a short answer: in `lab run` it asks for a hint, quits or skips"),
            );
        }
    }
    let mut why: Vec<(String, String)> = Vec::new();
    if let Some(w) = &r.why {
        if choices.is_empty() {
            d.on(w, "`why` is for multiple choice: it says why a listed choice is wrong (add `choices`)");
        }
        if w.value.0.is_empty() {
            d.on(w, "`why` is empty: leave it out or say why at least one wrong choice is wrong");
        }
        for (choice, reason) in &w.value.0 {
            if !nonempty(d, "why", reason) || choices.is_empty() {
                continue;
            }
            let Some(listed) = choices.iter().find(|c| normalize(c) == normalize(&choice.value)) else {
                d.on(
                    choice,
                    format!(
                        "`why` for `{}`, which is not among the choices{} (choices: {})",
                        choice.value,
                        did_you_mean(&choice.value, choices.iter().map(String::as_str)),
                        choices.join(", ")
                    ),
                );
                continue;
            };
            if normalize(listed) == normalize(&answer.value) {
                d.on(
                    choice,
                    format!("`why` for `{}`, the right answer: say why it is right in `explanation`", choice.value),
                );
                continue;
            }
            if why.iter().any(|(c, _)| c == listed) {
                d.on(choice, format!("`why` for `{}` is given twice", choice.value));
                continue;
            }
            why.push((listed.clone(), reason.value.trim_end().to_string()));
        }
    }
    Some(Question { choices, answer: answer.value.trim().to_string(), accept, why })
}

fn check_inputs(inputs: Option<&S<Vec<S<RawInput>>>>, d: &mut Diags) -> Vec<Input> {
    let mut out: Vec<Input> = Vec::new();
    for i in inputs.map(|i| i.value.as_slice()).unwrap_or_default() {
        let name = &i.value.name;
        if !name.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || name.value.is_empty() {
            d.on(name, format!("input name `{}`: use letters, digits, `-` and `_`", name.value));
            continue;
        }
        if RESERVED_INPUTS.contains(&name.value.as_str()) {
            d.on(
                name,
                format!(
                    "`{}` is reserved (answers files use `shell`; `{{lab}}` and `{{work}}` are built in)",
                    name.value
                ),
            );
            continue;
        }
        if out.iter().any(|o| o.name == name.value) {
            d.on(name, format!("input `{}` is declared twice", name.value));
            continue;
        }
        nonempty(d, "prompt", &i.value.prompt);
        out.push(Input {
            name: name.value.clone(),
            prompt: i.value.prompt.value.trim().to_string(),
            default: i.value.default.as_ref().map(|x| x.value.clone()),
            choices: i.value.choices.iter().map(|c| c.value.clone()).collect(),
        });
    }
    out
}

fn check_check(
    command: &S<String>,
    expect: &S<RawExpect>,
    inputs: &[&str],
    declared: &Declared,
    d: &mut Diags,
) -> Option<Check> {
    let template = match CommandTemplate::parse(&command.value, declared.parser) {
        Ok(t) => t,
        Err(e) => {
            d.on(command, format!("command: {e}"));
            return None;
        }
    };
    for name in &template.placeholders {
        if BUILTIN_VARS.contains(&name.as_str()) || inputs.contains(&name.as_str()) {
            continue;
        }
        let candidates: Vec<&str> = BUILTIN_VARS.iter().copied().chain(inputs.iter().copied()).collect();
        let what = if inputs.is_empty() {
            "`{lab}` and `{work}`".to_string()
        } else {
            format!("{} and this task's inputs", "`{lab}`, `{work}`")
        };
        d.on(
            command,
            format!("unknown placeholder `{{{name}}}`{} (a command may use {what})", did_you_mean(name, candidates)),
        );
    }
    if let Some(e) = &template.endpoint {
        let (list, key) = match e.kind {
            EndpointKind::Server => (&declared.servers, "servers"),
            EndpointKind::Gateway => (&declared.gateways, "gateways"),
        };
        if list.is_empty() {
            d.on(command, format!("`{e}`: this lab has no `{key}:`; declare the {} there", e.kind.as_str()));
        } else if !list.contains(&e.name) {
            d.on(
                command,
                format!(
                    "unknown {} `{}`{} (this lab's {key}: {})",
                    e.kind.as_str(),
                    e.name,
                    did_you_mean(&e.name, list.iter().map(String::as_str)),
                    list.join(", ")
                ),
            );
        }
    }
    for s in &template.scenarios {
        if !declared.scenarios.contains(s) {
            let all = catalogue();
            let known = all.is_some_and(|c| c.get(s).is_ok());
            if known {
                d.on(command, format!("scenario `{s}` is not in this lab's `scenarios:` list; add it there"));
            } else {
                let names: Vec<String> =
                    all.map(|c| c.templates().iter().map(|p| p.name.clone()).collect()).unwrap_or_default();
                d.on(command, format!("unknown scenario `{s}`{}", did_you_mean(s, names.iter().map(String::as_str))));
            }
        }
    }
    let expect = check_expect(expect, template.program, d)?;
    Some(Check { command: template, expect })
}

fn check_expect(e: &S<RawExpect>, program: Program, d: &mut Diags) -> Option<Expect> {
    let r = &e.value;
    let mut out = Expect::default();
    let mut ok = true;
    let evaluates_rules = program != Program::Inspect;
    if let Some(v) = &r.verdict {
        match v.value.as_str() {
            "pass" => out.pass = Some(true),
            "fail" => out.pass = Some(false),
            other => {
                d.on(v, format!("verdict `{other}`: expected `pass` or `fail`"));
                ok = false;
            }
        }
        if !evaluates_rules {
            d.on(v, "`inspect` evaluates no rules: expect `values` or `contains` instead of a verdict");
            ok = false;
        }
    }
    if let Some(f) = &r.failed {
        let mut ids = Vec::new();
        for id in &f.value {
            match id.value.parse::<RuleId>() {
                Err(unknown) => {
                    d.on(
                        id,
                        format!("{unknown} (rule ids are listed by `pki-lab scenarios` and in src/catalogue/rules.rs)"),
                    );
                    ok = false;
                }
                Ok(rule) if ids.contains(&rule) => {
                    d.on(id, format!("rule `{rule}` is listed twice"));
                    ok = false;
                }
                Ok(rule) => ids.push(rule),
            }
        }
        if !evaluates_rules {
            d.on(f, "`inspect` evaluates no rules: expect `values` or `contains` instead of `failed`");
            ok = false;
        }
        if out.pass == Some(true) && !ids.is_empty() {
            d.on(f, "`verdict: pass` and a non-empty `failed` contradict each other");
            ok = false;
        }
        if out.pass == Some(false) && ids.is_empty() && f.value.is_empty() {
            d.on(f, "`verdict: fail` and an empty `failed` contradict each other");
            ok = false;
        }
        out.failed = Some(ids);
    }
    if let Some(s) = &r.step {
        let steps = ["hello", "certificate", "verification", "key-exchange", "secure-communication"];
        match s.value.as_str() {
            "none" => out.step = Some(None),
            v => match steps.iter().position(|x| *x == v) {
                Some(i) => {
                    out.step = Some(Some(
                        [
                            HandshakeStep::Hello,
                            HandshakeStep::Certificate,
                            HandshakeStep::Verification,
                            HandshakeStep::KeyExchange,
                            HandshakeStep::SecureCommunication,
                        ][i],
                    ))
                }
                None => {
                    d.on(
                        s,
                        format!(
                            "unknown handshake step `{v}`{} (expected one of: {}, none)",
                            did_you_mean(v, steps.iter().copied().chain(["none"])),
                            steps.join(", ")
                        ),
                    );
                    ok = false;
                }
            },
        }
        if !evaluates_rules {
            d.on(s, "`inspect` makes no handshake: expect `values` or `contains` instead of `step`");
            ok = false;
        }
    }
    if let Some(x) = &r.exit {
        if !(0..=255).contains(&x.value) {
            d.on(x, format!("exit code {} is out of range (0 to 255)", x.value));
            ok = false;
        }
        out.exit = Some(x.value);
    }
    if let Some(values) = &r.values {
        if values.value.0.is_empty() {
            d.on(values, "`values` is empty: leave it out or give `path: value` lines");
            ok = false;
        }
        let known = shapes(program);
        for (path, value) in &values.value.0 {
            match parse_path(&path.value) {
                Err(why) => {
                    d.on(path, why);
                    ok = false;
                }
                Ok(segments) => {
                    let shape = shape_of(&segments);
                    if !is_known_shape(&known, &shape) {
                        let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
                        d.on(
                            path,
                            format!(
                                "`{}` is not in the {} report{}",
                                path.value,
                                program.as_str(),
                                did_you_mean(&shape, candidates)
                            ),
                        );
                        ok = false;
                    }
                }
            }
            if matches!(value.value, Value::Object(_)) {
                d.on(value, format!("`{}`: expected a value (text, number, true/false, null or a list)", path.value));
                ok = false;
            }
            out.values.push((path.value.clone(), value.value.clone()));
        }
    }
    if let Some(c) = &r.contains {
        for needle in &c.value {
            if nonempty(d, "contains", needle) {
                out.contains.push(needle.value.clone());
            } else {
                ok = false;
            }
        }
    }
    if out.pass.is_none()
        && out.failed.is_none()
        && out.step.is_none()
        && out.exit.is_none()
        && out.values.is_empty()
        && out.contains.is_empty()
        && ok
    {
        d.on(e, "`expect` says nothing to check: give verdict, failed, step, exit, values or contains");
        ok = false;
    }
    ok.then_some(out)
}

#[cfg(all(test, feature = "cli"))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A one-question lab; `extra` is appended to the question step.
    fn lab_with(choices: &str, extra: &str) -> Result<Lab> {
        let text = format!(
            "id: q\ntitle: A lab\nlevel: beginner\ngoal: Learn.\nsteps:\n  - id: ask\n    kind: question\n    text: Which?\n{choices}    answer: TLSv1_3\n{extra}"
        );
        parse(&text, "q.yaml", &[], crate::cli::parse_step)
    }

    const CHOICES: &str = "    choices: [TLSv1_2, TLSv1_3, SSLv3]\n";

    #[test]
    fn why_is_read_for_wrong_choices_by_any_spelling_of_the_choice() {
        let lab = lab_with(CHOICES, "    why:\n      TLS 1.2: not the newest.\n      sslv3: broken.\n").expect("valid");
        let Action::Question(q) = &lab.steps[0].action else { panic!("a question") };
        // Stored under the choice as listed.
        assert_eq!(q.why, [("TLSv1_2".to_string(), "not the newest.".to_string()), ("SSLv3".into(), "broken.".into())]);
        // Control: no `why`, none stored.
        let lab = lab_with(CHOICES, "").expect("valid");
        let Action::Question(q) = &lab.steps[0].action else { panic!("a question") };
        assert!(q.why.is_empty());
    }

    #[test]
    fn a_why_that_fits_no_wrong_choice_is_an_error_at_its_line_and_column() {
        for (choices, extra, want) in [
            (
                CHOICES,
                "    why:\n      TLSv1_1: no.\n",
                "q.yaml:12:7: `why` for `TLSv1_1`, which is not among the choices",
            ),
            (CHOICES, "    why:\n      TLSv1_3: right.\n", "q.yaml:12:7: `why` for `TLSv1_3`, the right answer"),
            (
                CHOICES,
                "    why:\n      TLSv1_2: a.\n      TLS 1.2: b.\n",
                "q.yaml:13:7: `why` for `TLS 1.2` is given twice",
            ),
            (CHOICES, "    why:\n      TLSv1_2: \"\"\n", "q.yaml:12:16: `why` is empty"),
            (CHOICES, "    why: {}\n", "q.yaml:11:10: `why` is empty: leave it out"),
            ("", "    why:\n      TLSv1_2: no.\n", "q.yaml:11:7: `why` is for multiple choice"),
        ] {
            let e = lab_with(choices, extra).expect_err(want).to_string();
            assert!(e.contains(want), "want {want}\n got {e}");
            assert_eq!(crate::Error::Yaml { rendered: e }.exit_code(), 2);
        }
    }
}
