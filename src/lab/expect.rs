//! What a step expects to observe, and the comparison with what a command did observe: the
//! verdict, the failed rules, the handshake step where it broke, the exit code, values at
//! dotted paths into the command's JSON report, and text in its output.

use serde::Serialize;
use serde_json::Value;

use super::command::Program;
use crate::catalogue::rules::RuleId;
use crate::catalogue::rules::Step;
use crate::probe::Outcome;

/// The expectation of a `run` step or a task's `check`; every field given must hold.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// `Some(true)`: no rule fails; `Some(false)`: at least one does.
    pub pass: Option<bool>,
    /// Exactly these rules fail (in any order).
    pub failed: Option<Vec<RuleId>>,
    /// The handshake step where it broke; `Some(None)` means nowhere.
    pub step: Option<Option<Step>>,
    pub exit: Option<i32>,
    /// `(path, value)`: the report's value at `path` equals `value`.
    pub values: Vec<(String, Value)>,
    /// Text the command's output must contain.
    pub contains: Vec<String>,
}

/// What one command showed.
#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    /// The command as a learner would type it.
    pub command: String,
    pub exit: i32,
    /// The command's `--json` report.
    pub json: Value,
    /// The command's text output.
    pub text: String,
    /// Failed rules; `None` for commands that evaluate no rules (inspect).
    pub failed: Option<Vec<RuleId>>,
    /// The first handshake step where something went wrong.
    pub broken_at: Option<Step>,
    /// A probe's outcome (also in `json`); `None` for the other commands.
    #[serde(skip)]
    pub outcome: Option<Outcome>,
}

/// One comparison: what was expected, and whether it held.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub ok: bool,
    pub text: String,
}

/// Compares every part of `expect` with `obs`.
pub fn compare(expect: &Expect, obs: &Observation) -> Vec<Finding> {
    let mut out = Vec::new();
    let failed = obs.failed.clone().unwrap_or_default();
    let shown = |f: &[RuleId]| if f.is_empty() { "no rule".to_string() } else { RuleId::join(f, ", ") };
    if let Some(pass) = expect.pass {
        let want = if pass { "pass" } else { "fail" };
        // A probe that saw no complete handshake has no verdict: neither pass nor fail holds.
        let (ok, text) = match &obs.outcome {
            Some(Outcome::Incomplete { step, reason }) => (
                false,
                format!("expected the verdict {want}, but there is none: incomplete at {}: {reason}", step.as_str()),
            ),
            _ if pass == failed.is_empty() => (true, format!("verdict {want}")),
            _ => (false, format!("expected the verdict {want}, but {} failed", shown(&failed))),
        };
        out.push(Finding { ok, text });
    }
    if let Some(want) = &expect.failed {
        let (mut a, mut b) = (want.clone(), failed.clone());
        a.sort();
        b.sort();
        let ok = a == b;
        let text = if ok {
            format!("{} failed", shown(want))
        } else {
            format!("expected {} to fail, observed {}", shown(want), shown(&failed))
        };
        out.push(Finding { ok, text });
    }
    if let Some(want) = expect.step {
        let ok = want == obs.broken_at;
        let name = |s: Option<Step>| {
            s.map_or("nowhere (the handshake went through)".to_string(), |s| format!("the {} step", s.as_str()))
        };
        let text = if ok {
            format!("it broke at {}", name(want))
        } else {
            format!("expected it to break at {}, observed {}", name(want), name(obs.broken_at))
        };
        out.push(Finding { ok, text });
    }
    if let Some(want) = expect.exit {
        let ok = want == obs.exit;
        let text =
            if ok { format!("exit code {want}") } else { format!("expected exit code {want}, observed {}", obs.exit) };
        out.push(Finding { ok, text });
    }
    for (path, want) in &expect.values {
        let text_want = scalar_text(want);
        match lookup(&obs.json, path) {
            Ok(got) if same(want, &got) => out.push(Finding { ok: true, text: format!("{path} = {text_want}") }),
            Ok(got) => out.push(Finding {
                ok: false,
                text: format!("expected {path} = {text_want}, observed {}", scalar_text(&got)),
            }),
            Err(why) => out.push(Finding { ok: false, text: format!("expected {path} = {text_want}, but {why}") }),
        }
    }
    for needle in &expect.contains {
        let ok = obs.text.contains(needle.as_str());
        let text =
            if ok { format!("output shows \"{needle}\"") } else { format!("expected the output to show \"{needle}\"") };
        out.push(Finding { ok, text });
    }
    out
}

/// A value as the learner wrote it: text without quotes, lists as `[a, b]`.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Array(items) => format!("[{}]", items.iter().map(scalar_text).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// Equal as JSON, or equal once both are written as text (`"2"` and `2`).
fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y)),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => want == got,
        _ => scalar_text(want) == scalar_text(got),
    }
}

/// One step of a value path: a key, an index, a `[key=value]` selector, or `[]`: every item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
    Select(String, String),
    All,
}

/// Parses `a.b[1].c[rule=name.no-san].d` and `a[].b`. Keys are letters, digits and `_`;
/// selector values may contain dots.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let bytes: Vec<char> = path.chars().collect();
    let mut i = 0;
    let bad = |why: &str| {
        format!("value path `{path}`: {why} (write e.g. `hello.version` or `secure_communication.responses[1].status`)")
    };
    if bytes.is_empty() {
        return Err(bad("empty"));
    }
    while i < bytes.len() {
        match bytes[i] {
            '.' if !out.is_empty() => i += 1,
            '[' => {
                let close = bytes[i..].iter().position(|c| *c == ']').ok_or_else(|| bad("`[` without `]`"))? + i;
                let inner: String = bytes[i + 1..close].iter().collect();
                if let Some((k, v)) = inner.split_once('=') {
                    if k.is_empty() || v.is_empty() {
                        return Err(bad("a selector reads `[key=value]`"));
                    }
                    out.push(Segment::Select(k.to_string(), v.to_string()));
                } else if inner.is_empty() {
                    out.push(Segment::All);
                } else {
                    out.push(Segment::Index(
                        inner.parse().map_err(|_| bad("an index is a number, `key=value`, or empty for every item"))?,
                    ));
                }
                i = close + 1;
                continue;
            }
            _ => {}
        }
        if i >= bytes.len() {
            return Err(bad("ends with `.`"));
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == '_') {
            i += 1;
        }
        if start == i {
            return Err(bad(&format!("unexpected `{}`", bytes[i])));
        }
        out.push(Segment::Key(bytes[start..i].iter().collect()));
    }
    Ok(out)
}

/// The value at `path` in `json`, or why there is none. `count` after a list is its length;
/// `[]` maps the rest of the path over every item of a list (null where an item lacks it).
pub fn lookup(json: &Value, path: &str) -> Result<Value, String> {
    walk(json, &parse_path(path)?, String::new())
}

fn walk(json: &Value, segments: &[Segment], mut walked: String) -> Result<Value, String> {
    let mut count;
    let mut cur = json;
    for (i, seg) in segments.iter().enumerate() {
        let here = if walked.is_empty() { "the report".to_string() } else { format!("`{walked}`") };
        cur = match seg {
            Segment::Key(k) if k == "count" && cur.is_array() => {
                walked = if walked.is_empty() { k.clone() } else { format!("{walked}.{k}") };
                count = Value::from(cur.as_array().map_or(0, Vec::len));
                &count
            }
            Segment::Key(k) => {
                walked = if walked.is_empty() { k.clone() } else { format!("{walked}.{k}") };
                cur.get(k).ok_or_else(|| format!("{here} has no `{k}`"))?
            }
            Segment::Index(n) => {
                walked.push_str(&format!("[{n}]"));
                let items = cur.as_array().ok_or_else(|| format!("{here} is not a list"))?;
                items.get(*n).ok_or_else(|| format!("{here} has {} item(s), no [{n}]", items.len()))?
            }
            Segment::Select(k, v) => {
                walked.push_str(&format!("[{k}={v}]"));
                let items = cur.as_array().ok_or_else(|| format!("{here} is not a list"))?;
                items
                    .iter()
                    .find(|item| item.get(k).is_some_and(|x| scalar_text(x) == *v))
                    .ok_or_else(|| format!("no item of {here} has {k} = {v}"))?
            }
            Segment::All => {
                let items = cur.as_array().ok_or_else(|| format!("{here} is not a list"))?;
                let rest = &segments[i + 1..];
                let each = items
                    .iter()
                    .enumerate()
                    .map(|(n, item)| walk(item, rest, format!("{walked}[{n}]")).unwrap_or(Value::Null))
                    .collect();
                return Ok(Value::Array(each));
            }
        };
    }
    Ok(cur.clone())
}

/// The paths a report of `program` has, with `[]` for any list item, so that a lab's value
/// paths can be checked when it is loaded.
pub fn shapes(program: Program) -> Vec<String> {
    let mut out = Vec::new();
    let cert = |prefix: &str, out: &mut Vec<String>| {
        for f in crate::inspect::DESCRIBED_FIELDS {
            out.push(format!("{prefix}.{f}"));
        }
        for f in [
            "sans",
            "key_usage",
            "extended_key_usage",
            "crl_distribution_points",
            "unknown_critical_extensions",
            "warnings",
        ] {
            out.push(format!("{prefix}.{f}[]"));
        }
        for f in ["permitted", "excluded"] {
            out.push(format!("{prefix}.name_constraints.{f}"));
            out.push(format!("{prefix}.name_constraints.{f}[]"));
        }
        out.push(format!("{prefix}.extensions[]"));
        for f in ["oid", "name", "critical"] {
            out.push(format!("{prefix}.extensions[].{f}"));
        }
    };
    let rules = |prefix: &str, out: &mut Vec<String>| {
        out.push(prefix.to_string());
        out.push(format!("{prefix}[]"));
        for f in ["rule", "step", "status", "evidence"] {
            out.push(format!("{prefix}[].{f}"));
        }
    };
    match program {
        Program::Probe => {
            for p in PROBE {
                out.push((*p).to_string());
            }
            out.push("certificate".into());
            out.push("certificate[]".into());
            cert("certificate[]", &mut out);
            rules("verification", &mut out);
        }
        Program::Verify => {
            for p in ["cert", "host", "at", "failed", "failed[]", "profile", "rejected", "rejected[]", "rustls"] {
                out.push(p.to_string());
            }
            // Every path path building tried (`report::VerifyReport::paths`).
            for p in ["paths", "paths[]", "paths[].certs", "paths[].certs[]", "paths[].end", "paths[].failed"] {
                out.push(p.to_string());
            }
            for p in ["paths[].from", "paths[].from[]", "paths[].failed[]", "paths[].chosen", "path_budget"] {
                out.push(p.to_string());
            }
            rules("verification", &mut out);
        }
        Program::Inspect => {
            out.push("[]".into());
            cert("[]", &mut out);
        }
    }
    out
}

/// The fields of `probe::Report` other than the certificates and the rules.
const PROBE: &[&str] = &[
    "target",
    "scenario",
    "address",
    "hello",
    "hello.offered_versions",
    "hello.offered_versions[]",
    "hello.version",
    "hello.cipher_suite",
    "hello.key_exchange_group",
    "hello.sni",
    "hello.alpn",
    "hello.handshake",
    "hello.handshake_ms",
    "hello.error",
    "key_exchange",
    "key_exchange.group",
    "key_exchange.signature_scheme",
    "key_exchange.signature_verified",
    "key_exchange.client_certificate_requested",
    "key_exchange.client_certificate_sent",
    "secure_communication",
    "secure_communication.responses",
    "secure_communication.responses[]",
    "secure_communication.responses[].status",
    "secure_communication.responses[].bytes",
    "secure_communication.responses[].request_on_connection",
    "secure_communication.responses[].ms",
    "secure_communication.responses[].server",
    "secure_communication.error",
    "connections",
    "connections[]",
    "connections[].handshake",
    "connections[].handshake_ms",
    "connections[].servers",
    "connections[].servers[]",
    "connections[].responses",
    "connections[].error",
    "verdict",
    "verdict.failed",
    "verdict.failed[]",
    "verdict.rustls",
    "verdict.rustls_message",
    "verdict.alert",
    "outcome",
    "incomplete",
    "incomplete.step",
    "incomplete.reason",
];

/// Whether `shape` is one of `known`, or `count` of a list in it.
pub fn is_known_shape(known: &[String], shape: &str) -> bool {
    if known.iter().any(|k| k == shape) {
        return true;
    }
    let list = match shape.strip_suffix("count") {
        Some("") => "[]".to_string(),
        Some(prefix) => match prefix.strip_suffix('.') {
            Some(p) => format!("{p}[]"),
            None => return false,
        },
        None => return false,
    };
    known.contains(&list)
}

/// `path` with every index and selector written `[]`, the form [`shapes`] lists.
pub fn shape_of(segments: &[Segment]) -> String {
    let mut out = String::new();
    for s in segments {
        match s {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(_) | Segment::Select(..) | Segment::All => out.push_str("[]"),
        }
    }
    out
}

/// The handshake step a value path looks at (for a lab's coverage).
pub fn step_of_path(program: Program, path: &str) -> Option<Step> {
    match program {
        Program::Verify => return Some(Step::Verification),
        // `inspect` reads the certificates a server sends (step 2), offline.
        Program::Inspect => return Some(Step::Certificate),
        Program::Probe => {}
    }
    let root = path.split(['.', '[']).next().unwrap_or("");
    match root {
        "hello" => Some(Step::Hello),
        "certificate" => Some(Step::Certificate),
        "verification" | "verdict" => Some(Step::Verification),
        "key_exchange" => Some(Step::KeyExchange),
        "secure_communication" => Some(Step::SecureCommunication),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_parse_keys_indices_and_selectors() {
        assert_eq!(
            parse_path("a.b[1].c[id=x.y-z].d").expect("works"),
            [
                Segment::Key("a".into()),
                Segment::Key("b".into()),
                Segment::Index(1),
                Segment::Key("c".into()),
                Segment::Select("id".into(), "x.y-z".into()),
                Segment::Key("d".into()),
            ]
        );
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[x").is_err());
        assert!(parse_path("a.").is_err());
    }

    #[test]
    fn lookup_follows_paths_and_says_where_it_stopped() {
        let j = json!({"r": [{"n": 1}, {"n": 2, "id": "x.y"}]});
        assert_eq!(lookup(&j, "r[1].n").expect("works"), json!(2));
        assert_eq!(lookup(&j, "r[id=x.y].n").expect("works"), json!(2));
        assert_eq!(lookup(&j, "r.count").expect("works"), json!(2));
        assert_eq!(lookup(&j, "r[5].n").expect_err("fails"), "`r` has 2 item(s), no [5]");
        assert_eq!(lookup(&j, "q").expect_err("fails"), "the report has no `q`");
    }

    #[test]
    fn empty_brackets_take_the_rest_of_the_path_from_every_item() {
        let j = json!({"c": [{"h": "full", "s": ["b1", "b1"]}, {"h": "resumed", "s": ["b2"]}, {"s": []}]});
        assert_eq!(
            parse_path("c[].h").expect("works"),
            [Segment::Key("c".into()), Segment::All, Segment::Key("h".into())]
        );
        assert_eq!(lookup(&j, "c[].h").expect("works"), json!(["full", "resumed", null]));
        assert_eq!(lookup(&j, "c[].s[0]").expect("works"), json!(["b1", "b2", null]));
        assert_eq!(lookup(&j, "c[].s.count").expect("works"), json!([2, 1, 0]));
        assert_eq!(lookup(&j, "c[]").expect("works"), j["c"]);
        assert_eq!(lookup(&j, "c[0].h[]").expect_err("fails"), "`c[0].h` is not a list");
        assert!(same(&json!(["full", "resumed", null]), &lookup(&j, "c[].h").expect("works")));
        assert_eq!(scalar_text(&json!([["b1"], "full", 2, null])), "[[b1], full, 2, null]");
    }

    #[test]
    fn numbers_and_their_text_compare_equal() {
        assert!(same(&json!("2"), &json!(2)));
        assert!(same(&json!(2), &json!(2.0)));
        assert!(!same(&json!("TLSv1_2"), &json!("TLSv1_3")));
        assert!(same(&json!(null), &Value::Null));
    }

    #[test]
    fn an_incomplete_probe_is_neither_a_pass_nor_a_fail() {
        let obs = Observation {
            command: "probe x".into(),
            exit: 3,
            json: json!({}),
            text: String::new(),
            failed: Some(vec![]),
            broken_at: Some(Step::Hello),
            outcome: Some(Outcome::Incomplete { step: Step::Hello, reason: "connection refused".into() }),
        };
        for pass in [true, false] {
            let found = compare(&Expect { pass: Some(pass), ..Expect::default() }, &obs);
            assert!(!found[0].ok, "{found:?}");
            assert!(found[0].text.ends_with("there is none: incomplete at hello: connection refused"), "{found:?}");
        }
    }
}
