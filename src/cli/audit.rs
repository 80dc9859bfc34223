//! `pki-lab audit`: run a client against every scenario and print, rule by rule, what it does;
//! or put two saved reports side by side.

use std::path::Path;

use time::OffsetDateTime;

use crate::audit::{self, Finding, Outcome, Report, Strict, command::Template};
use crate::catalogue::rules::RuleId;
use crate::cli::AuditArgs;
use crate::cli::output::{json, table};
use crate::clients::{self, ClientId, Target};
use crate::error::{Error, Result};

pub(crate) fn audit(dir: &Path, args: AuditArgs, now: OffsetDateTime) -> Result<i32> {
    if let Some(files) = &args.compare {
        let [a, b] = files.as_slice() else {
            return Err(Error::Usage("audit --compare takes two reports: A.json B.json".into()));
        };
        return compare(&Report::load(a)?, &Report::load(b)?, args.json);
    }
    let timeout = super::seconds(args.timeout, "--timeout")?;
    let report = match &args.client {
        Some(name) => {
            let client: ClientId = name.parse()?;
            let manifest = super::serve::ensure_lab(dir, now)?;
            let selected = audit::select(&manifest, &args.scenarios)?;
            eprintln!("audit: running {client} against {} scenarios", selected.len());
            // Scripts, the Go binary and Chromium's profile: built once, removed at the end.
            let work =
                tempfile::tempdir().map_err(Error::io("creating a temporary directory in", std::env::temp_dir()))?;
            let observed = audit::run(dir, &manifest, &selected, |s, ep| {
                let target = Target::for_scenario(dir, &manifest, s, ep.port);
                clients::run(client, &target, work.path()).map(audit::observed)
            })?;
            Report::new(client.as_str(), args.policy, observed)
        }
        None => {
            let template = Template::parse(&args.command)?;
            let manifest = super::serve::ensure_lab(dir, now)?;
            let selected = audit::select(&manifest, &args.scenarios)?;
            eprintln!("audit: running `{}` against {} scenarios", template.display(), selected.len());
            let observed = audit::run(dir, &manifest, &selected, |_, ep| template.run(ep, timeout))?;
            Report::new(&template.display(), args.policy, observed)
        }
    };
    if args.json {
        json(&report)?;
    } else {
        print(&report)?;
    }
    Ok(report.exit_code())
}

fn rule_cell(rule: Option<RuleId>) -> String {
    rule.map_or_else(|| "(control)".to_string(), |r| r.to_string())
}

fn strict_cell(s: Strict) -> &'static str {
    match s {
        Strict::Accept => "accepts",
        Strict::Refuse => "refuses",
    }
}

fn print(report: &Report) -> Result<()> {
    let rows: Vec<Vec<String>> = report
        .results
        .iter()
        .map(|r| {
            let seen = match r.observed.outcome {
                Outcome::Accepted => "accepted".to_string(),
                Outcome::Refused => format!("refused ({})", r.observed.code),
                Outcome::Error => format!("error ({})", r.observed.code),
            };
            let mut finding = r.finding.as_str().to_string();
            if r.required && r.finding == Finding::AcceptsDefect {
                finding.push_str(" !");
            }
            let lenient = if r.rule.is_none() {
                String::new()
            } else if r.lenient_elsewhere.is_empty() {
                "-".to_string()
            } else {
                r.lenient_elsewhere.join(", ")
            };
            vec![
                rule_cell(r.rule),
                r.scenario.clone(),
                strict_cell(r.strict).into(),
                seen,
                finding,
                lenient,
                short(&r.observed.text),
            ]
        })
        .collect();
    outln!("audit of `{}`, policy {}", report.client, report.policy.as_str())?;
    out!("{}", table(&["RULE", "SCENARIO", "STRICT CLIENT", "THIS CLIENT", "FINDING", "ALSO LENIENT", "SAID"], &rows))?;
    let s = &report.score;
    let pct = |n: usize, d: usize| (n * 100).checked_div(d).unwrap_or(0);
    outln!(
        "score     {} of {} broken scenarios refused for their rule ({}%); {} accepted, {} other failures; {} of {} controls and {} of {} lessons accepted",
        s.enforced,
        s.broken,
        pct(s.enforced, s.broken),
        s.accepts_defect,
        s.other_failure,
        s.controls_accepted,
        s.controls,
        s.lessons_accepted,
        s.lessons
    )?;
    if !report.reference_accepted() {
        outln!(
            "verdict   NONE: the client did not accept the `{}` control, so no refusal can be read as enforcing a rule (exit 3)",
            audit::REFERENCE_CONTROL
        )?;
    }
    if report.violations.is_empty() {
        outln!("policy    {}: all {} required refusals made", report.policy.as_str(), s.required)?;
    } else {
        outln!(
            "policy    {}: {} of {} required refusals not made (marked !): {} (exit 1)",
            report.policy.as_str(),
            s.required_accepted,
            s.required,
            report.violations.join(", ")
        )?;
    }
    Ok(())
}

/// The client's words, cut to fit a table row.
fn short(text: &str) -> String {
    const MAX: usize = 80;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX {
        return text;
    }
    text.chars().take(MAX - 1).collect::<String>() + "…"
}

fn compare(a: &Report, b: &Report, as_json: bool) -> Result<i32> {
    let c = audit::compare(a, b);
    if as_json {
        json(&c)?;
    } else {
        let cell = |f: Option<Finding>| f.map_or("(not run)", Finding::as_str).to_string();
        let rows: Vec<Vec<String>> = c
            .rows
            .iter()
            .map(|r| {
                vec![
                    rule_cell(r.rule),
                    r.scenario.clone(),
                    strict_cell(r.strict).into(),
                    cell(r.a),
                    cell(r.b),
                    if r.a == r.b { String::new() } else { "differs".into() },
                ]
            })
            .collect();
        outln!("A  {}\nB  {}", c.a, c.b)?;
        out!("{}", table(&["RULE", "SCENARIO", "STRICT CLIENT", "A", "B", ""], &rows))?;
        outln!(
            "score     A {} of {} refused, B {} of {}; {} scenarios differ",
            a.score.enforced,
            a.score.broken,
            b.score.enforced,
            b.score.broken,
            c.differences
        )?;
    }
    Ok(if c.differences == 0 { 0 } else { 1 })
}
