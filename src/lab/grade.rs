//! Checking steps: a run step's or a task's command against its expectation, a question's
//! answer, and a whole lab against an answers file (`pki-lab lab check`).

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::answers::{Answer, Answers};
use super::expect::{Finding, compare};
use super::session::Session;
use super::{Action, Check, Lab, Task};

/// A shell script from an answers file gets this long.
const SHELL_TIMEOUT: Duration = Duration::from_secs(120);

/// The result of running one check.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub ok: bool,
    /// The command as a learner would type it.
    pub command: String,
    /// Its text output (empty when it could not run).
    pub output: String,
    pub findings: Vec<Finding>,
    /// Why the command could not run, if it could not.
    pub error: Option<String>,
}

/// Runs `check` with the given task inputs and compares.
pub fn run_check(session: &Session, check: &Check, inputs: &BTreeMap<String, String>) -> Outcome {
    match session.observe(&check.command, &|n| inputs.get(n).cloned()) {
        Ok(obs) => {
            let findings = compare(&check.expect, &obs);
            Outcome { ok: findings.iter().all(|f| f.ok), command: obs.command, output: obs.text, findings, error: None }
        }
        Err(e) => {
            Outcome { ok: false, command: e.command, output: String::new(), findings: vec![], error: Some(e.message) }
        }
    }
}

/// How a step went in `lab check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    Pass,
    Fail,
    /// Nothing to check (explain steps).
    Read,
}

impl Grade {
    pub fn label(self) -> &'static str {
        match self {
            Grade::Pass => "pass",
            Grade::Fail => "FAIL",
            Grade::Read => "-",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    pub step: String,
    pub kind: &'static str,
    pub grade: Grade,
    /// One line: what was checked, or what went wrong.
    pub detail: String,
    /// For a wrong choice the lab explains: why it is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// Grades every step of `lab` with `answers`. Scripts in the answers run only if `allow_shell`
/// (the caller refuses earlier otherwise; here they are skipped with a failure).
pub fn grade(lab: &Lab, answers: &Answers, session: &Session, allow_shell: bool) -> Vec<StepResult> {
    lab.steps
        .iter()
        .map(|step| {
            let kind = step.action.kind();
            let result = |grade, detail: String, outcome| StepResult {
                step: step.id.clone(),
                kind,
                grade,
                detail,
                why: None,
                outcome,
            };
            match &step.action {
                Action::Explain => result(Grade::Read, "read only".into(), None),
                Action::Run(check) => {
                    let o = run_check(session, check, &BTreeMap::new());
                    let detail = summary(&o);
                    result(if o.ok { Grade::Pass } else { Grade::Fail }, detail, Some(o))
                }
                Action::Question(q) => match answers.steps.get(&step.id) {
                    Some(Answer::Text(given)) if q.is_correct(given) => {
                        result(Grade::Pass, format!("answered `{}`", one_line(given)), None)
                    }
                    Some(Answer::Text(given)) => StepResult {
                        why: q.why_wrong(given).map(String::from),
                        ..result(Grade::Fail, format!("answered `{}`: not the expected answer", one_line(given)), None)
                    },
                    _ => result(Grade::Fail, "no answer given".into(), None),
                },
                Action::Task(task) => {
                    let (inputs, shell) = match answers.steps.get(&step.id) {
                        Some(Answer::Task { inputs, shell }) => (inputs.clone(), shell.clone()),
                        _ => (BTreeMap::new(), None),
                    };
                    match task_inputs(session, task, inputs, shell.as_deref(), allow_shell) {
                        Err(why) => result(Grade::Fail, why, None),
                        Ok(inputs) => {
                            let o = run_check(session, &task.check, &inputs);
                            let detail = summary(&o);
                            result(if o.ok { Grade::Pass } else { Grade::Fail }, detail, Some(o))
                        }
                    }
                }
            }
        })
        .collect()
}

/// The values of a task's inputs: the answers' (placeholders filled), then `name=value` lines
/// printed by the script, then the defaults.
pub fn task_inputs(
    session: &Session,
    task: &Task,
    given: BTreeMap<String, String>,
    shell: Option<&str>,
    allow_shell: bool,
) -> Result<BTreeMap<String, String>, String> {
    let mut values: BTreeMap<String, String> = given.into_iter().map(|(k, v)| (k, session.fill_text(&v))).collect();
    if let Some(script) = shell {
        if !allow_shell {
            return Err("the answer has a `shell` script and --allow-shell was not given".into());
        }
        for (k, v) in run_shell(session, script)? {
            if task.inputs.iter().any(|i| i.name == k) {
                values.entry(k).or_insert(v);
            }
        }
    }
    for input in &task.inputs {
        if !values.contains_key(&input.name) {
            match &input.default {
                Some(d) => {
                    values.insert(input.name.clone(), session.fill_text(d));
                }
                None => return Err(format!("no value for input `{}` ({})", input.name, input.prompt)),
            }
        }
    }
    task.admit(&values)?;
    Ok(values)
}

/// Runs `script` with `sh` in the work directory, with `$LAB`, `$WORK` and `$PKI_LAB` (this
/// program) set; returns the `name=value` lines it printed.
fn run_shell(session: &Session, script: &str) -> Result<Vec<(String, String)>, String> {
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "pki-lab".into());
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(session.work())
        .env("LAB", session.dir())
        .env("WORK", session.work())
        .env("PKI_LAB", exe)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start sh: {e}"))?;
    // Read both pipes on threads so that a chatty script cannot block on a full pipe.
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let t0 = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if t0.elapsed() > SHELL_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the shell script ran longer than {} s and was stopped", SHELL_TIMEOUT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for sh: {e}")),
        }
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "the shell script failed ({status}){}",
            if tail.is_empty() { String::new() } else { format!(": {}", tail.join(" / ")) }
        ));
    }
    Ok(stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect())
}

/// One line for the report: the first thing that went wrong, or what held.
pub fn summary(o: &Outcome) -> String {
    if let Some(e) = &o.error {
        return format!("{}: {}", o.command, one_line(e));
    }
    match o.findings.iter().find(|f| !f.ok) {
        Some(f) => f.text.clone(),
        None if o.findings.len() > 2 => format!(
            "{} (and {} more checks)",
            o.findings.iter().take(2).map(|f| f.text.as_str()).collect::<Vec<_>>().join("; "),
            o.findings.len() - 2
        ),
        None => o.findings.iter().map(|f| f.text.as_str()).collect::<Vec<_>>().join("; "),
    }
}

fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("").trim();
    if s.lines().count() > 1 { format!("{first} …") } else { first.to_string() }
}
