//! Answers files for `pki-lab lab check`: for each step id, the answer to a question or the
//! inputs of a task (optionally with a `shell` script that does the task first). Checked against
//! the lab when loaded, with file:line:column errors.
//!
//! ```yaml
//! lab: untrusted-self-signed-incomplete   # optional; must match the lab when given
//! answers:
//!   what-rustls-says: UnknownIssuer        # a question
//!   trust-the-rogue: "{lab}/ca/rogue-root.pem"   # a task with one input
//!   fix-the-chain:                         # a task: inputs by name, and a script
//!     shell: cat "$LAB/scenarios/incomplete-chain/cert.pem" "$LAB/ca/intermediate.pem" > chain.pem
//!     chain: "{work}/chain.pem"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::diag::{Diags, SpannedMap, yaml_error};
use super::{Action, Lab};
use crate::error::{Result, suggest};

/// The answers to one lab, checked against it.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub file: String,
    pub steps: BTreeMap<String, Answer>,
}

#[derive(Debug, Clone)]
pub enum Answer {
    /// A question's answer.
    Text(String),
    /// A task's inputs (placeholders `{lab}` and `{work}` not yet filled) and an optional script.
    Task { inputs: BTreeMap<String, String>, shell: Option<String> },
}

impl Answers {
    pub fn has_shell(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter(|(_, a)| matches!(a, Answer::Task { shell: Some(_), .. }))
            .map(|(id, _)| id.as_str())
            .collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswers {
    #[serde(default)]
    lab: Option<Spanned<String>>,
    answers: Spanned<SpannedMap<Value>>,
}

/// Reads an answers file for `lab`.
pub fn load(path: &Path, lab: &Lab) -> Result<Answers> {
    let text = crate::labdir::fsutil::read_to_string(path)?;
    parse(&text, &path.display().to_string(), lab)
}

/// Parses and checks answers for `lab`; `file` names them in errors.
pub fn parse(text: &str, file: &str, lab: &Lab) -> Result<Answers> {
    let raw: RawAnswers = serde_saphyr::from_str(text).map_err(|e| yaml_error(&e, file, text))?;
    let mut d = Diags::new(file, text);
    if let Some(id) = &raw.lab
        && id.value != lab.id
    {
        d.on(id, format!("these answers are for lab `{}`, not `{}`", id.value, lab.id));
    }
    let mut out = Answers { file: file.to_string(), steps: BTreeMap::new() };
    for (key, value) in raw.answers.value.0 {
        let Some(step) = lab.step(&key.value) else {
            let hint = suggest(&key.value, lab.steps.iter().map(|s| s.id.as_str()))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            d.on(&key, format!("lab `{}` has no step `{}`{hint}", lab.id, key.value));
            continue;
        };
        match &step.action {
            Action::Explain | Action::Run(_) => {
                d.on(&key, format!("step `{}` is a {} step: it takes no answer", step.id, step.action.kind()));
            }
            Action::Question(_) => match scalar(&value.value) {
                Some(Some(s)) => {
                    out.steps.insert(step.id.clone(), Answer::Text(s));
                }
                Some(None) => {}
                None => d.on(&value, format!("step `{}` is a question: expected the answer as text", step.id)),
            },
            Action::Task(task) => {
                let names: Vec<&str> = task.inputs.iter().map(|i| i.name.as_str()).collect();
                let mut inputs = BTreeMap::new();
                let mut shell = None;
                match &value.value {
                    Value::Null => {}
                    Value::Object(map) => {
                        for (k, v) in map {
                            let as_text = scalar(v);
                            if k == "shell" {
                                match as_text {
                                    Some(Some(s)) => shell = Some(s),
                                    _ => d.on(&value, format!("task `{}`: `shell` is a script (text)", step.id)),
                                }
                            } else if !names.contains(&k.as_str()) {
                                let hint = suggest(k, names.iter().copied().chain(["shell"]))
                                    .map(|s| format!("; did you mean `{s}`?"))
                                    .unwrap_or_default();
                                let expected = if names.is_empty() {
                                    "shell".to_string()
                                } else {
                                    format!("{}, shell", names.join(", "))
                                };
                                d.on(
                                    &value,
                                    format!("task `{}` has no input `{k}`{hint} (expected: {expected})", step.id),
                                );
                            } else {
                                match as_text {
                                    Some(Some(s)) => {
                                        inputs.insert(k.clone(), s);
                                    }
                                    Some(None) => {}
                                    None => d.on(&value, format!("task `{}`: input `{k}` expects text", step.id)),
                                }
                            }
                        }
                    }
                    other => match (scalar(other), names.as_slice()) {
                        (Some(Some(s)), [only]) => {
                            inputs.insert((*only).to_string(), s);
                        }
                        _ => d.on(
                            &value,
                            format!(
                                "task `{}`: expected a mapping of its inputs ({}) and an optional `shell`",
                                step.id,
                                if names.is_empty() { "none".to_string() } else { names.join(", ") }
                            ),
                        ),
                    },
                }
                out.steps.insert(step.id.clone(), Answer::Task { inputs, shell });
            }
        }
    }
    d.finish()?;
    Ok(out)
}

/// Text for a YAML scalar; `Some(None)` for null; `None` for a list or mapping.
fn scalar(v: &Value) -> Option<Option<String>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        Value::Bool(b) => Some(Some(b.to_string())),
        Value::Number(n) => Some(Some(n.to_string())),
        Value::Array(_) | Value::Object(_) => None,
    }
}
