//! `pki-lab audit`: run one client against every scenario and say, rule by rule, whether it
//! enforces the rule, accepts the defect, or fails for some other reason; score it against a
//! policy; compare two saved reports.
//!
//! A strict client accepts every control and refuses every broken scenario. A refusal counts as
//! enforcing the rule only when the same client accepted the `valid` control in the same run:
//! otherwise it refuses everything and says nothing about the rule.

pub mod command;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalogue::rules::{Profile, RuleId};
use crate::error::{Error, Result};
use crate::labdir::manifest::{Manifest, ScenarioEntry};
use crate::serve::{self, ServeOptions};
pub use command::{Endpoint, Observed, Outcome};

/// The JSON report's schema name.
pub const SCHEMA: &str = "pki-lab/audit/v1";

/// The control every other result is read against.
pub const REFERENCE_CONTROL: &str = "valid";

/// Which refusals a client must make for `audit` to exit 0: the measured consensus of real
/// clients, or one of `verify`'s profiles (the same rules that make `verify --profile` fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// The scenarios every measured client refuses (the manifest's `clients` columns): what no
    /// common client skips. A scenario nobody measured is not required.
    #[default]
    Baseline,
    /// The `must` rules (RFC 5280, RFC 9525), as `verify --profile rfc5280`.
    Rfc5280,
    /// The `must` and `baseline` rules, as `verify --profile webpki`.
    Webpki,
    /// Every broken scenario refused, as `verify --profile strict`.
    Strict,
}

impl Policy {
    /// Whether this policy requires a client to refuse scenario `s` (which breaks a rule).
    pub fn requires(self, s: &ScenarioEntry) -> bool {
        let Some(rule) = s.rule else { return false };
        match self.profile() {
            Some(profile) => profile.counts(rule),
            None => !s.clients.is_empty() && s.clients.values().all(|o| !o.accepted),
        }
    }

    /// The `verify` profile this policy follows; `None` for the measured baseline.
    pub fn profile(self) -> Option<Profile> {
        match self {
            Policy::Baseline => None,
            Policy::Rfc5280 => Some(Profile::Rfc5280),
            Policy::Webpki => Some(Profile::Webpki),
            Policy::Strict => Some(Profile::Strict),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.profile().map_or("baseline", Profile::as_str)
    }
}

/// What a strict client does with a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strict {
    Accept,
    Refuse,
}

/// How one result reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finding {
    /// A control accepted, as a strict client does.
    Ok,
    /// A broken scenario refused while the `valid` control was accepted.
    Enforces,
    /// A broken scenario accepted: the client does not check this rule.
    AcceptsDefect,
    /// A control refused, a refusal that says nothing (the `valid` control was refused too), or
    /// no observation (timeout, signal).
    OtherFailure,
}

impl Finding {
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::Ok => "ok",
            Finding::Enforces => "enforces",
            Finding::AcceptsDefect => "accepts defect",
            Finding::OtherFailure => "other failure",
        }
    }
}

/// One scenario's line of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub scenario: String,
    /// The rule it breaks; `null` for controls.
    pub rule: Option<RuleId>,
    pub strict: Strict,
    pub observed: Observed,
    pub finding: Finding,
    /// The policy requires this scenario to be refused.
    pub required: bool,
    /// Other clients the manifest records as accepting this broken scenario.
    pub lenient_elsewhere: Vec<String>,
    /// Breaks no rule, yet some clients refuse it (not a control).
    #[serde(default)]
    pub lesson: bool,
}

/// Counts over the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub controls: usize,
    pub controls_accepted: usize,
    /// Scenarios that break no rule yet some clients refuse (`lesson` in the manifest).
    pub lessons: usize,
    pub lessons_accepted: usize,
    pub broken: usize,
    pub enforced: usize,
    pub accepts_defect: usize,
    pub other_failure: usize,
    /// Broken scenarios the policy requires refused, and how many of those were accepted.
    pub required: usize,
    pub required_accepted: usize,
}

/// A whole audit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: String,
    /// The client: a built-in name or the command as written.
    pub client: String,
    pub policy: Policy,
    pub results: Vec<Row>,
    pub score: Score,
    /// Scenarios the policy requires refused that the client accepted.
    pub violations: Vec<String>,
}

/// Exit code of an audit whose `valid` control was not accepted: no verdict (as for `probe`).
pub const EXIT_NO_VERDICT: i32 = crate::error::EXIT_NO_VERDICT;

impl Report {
    /// Builds the report from what was observed, in manifest order.
    pub fn new(client: &str, policy: Policy, observed: Vec<(ScenarioEntry, Observed)>) -> Report {
        let reference_ok = observed.iter().any(|(s, o)| s.name == REFERENCE_CONTROL && o.outcome == Outcome::Accepted);
        let mut score = Score::default();
        let mut violations = Vec::new();
        let mut results = Vec::new();
        for (s, o) in observed {
            let (strict, finding, required) = match s.rule {
                // A lesson breaks no rule: a strict client accepts it; a refusal is a limit of
                // the client (e.g. no Ed25519), not a control failing.
                None if s.lesson.is_some() => {
                    let ok = o.outcome == Outcome::Accepted;
                    score.lessons += 1;
                    score.lessons_accepted += usize::from(ok);
                    (Strict::Accept, if ok { Finding::Ok } else { Finding::OtherFailure }, false)
                }
                None => {
                    score.controls += 1;
                    let ok = o.outcome == Outcome::Accepted;
                    score.controls_accepted += usize::from(ok);
                    (Strict::Accept, if ok { Finding::Ok } else { Finding::OtherFailure }, false)
                }
                Some(_) => {
                    score.broken += 1;
                    let finding = match o.outcome {
                        Outcome::Accepted => Finding::AcceptsDefect,
                        Outcome::Refused if reference_ok => Finding::Enforces,
                        Outcome::Refused | Outcome::Error => Finding::OtherFailure,
                    };
                    match finding {
                        Finding::Enforces => score.enforced += 1,
                        Finding::AcceptsDefect => score.accepts_defect += 1,
                        _ => score.other_failure += 1,
                    }
                    let required = policy.requires(&s);
                    score.required += usize::from(required);
                    if required && finding == Finding::AcceptsDefect {
                        score.required_accepted += 1;
                        violations.push(s.name.clone());
                    }
                    (Strict::Refuse, finding, required)
                }
            };
            let lenient_elsewhere = if s.rule.is_some() { lenient_clients(&s, client) } else { vec![] };
            results.push(Row {
                scenario: s.name.clone(),
                rule: s.rule,
                strict,
                observed: o,
                finding,
                required,
                lenient_elsewhere,
                lesson: s.lesson.is_some(),
            });
        }
        Report { schema: SCHEMA.into(), client: client.into(), policy, results, score, violations }
    }

    /// 1 when the policy is violated, else 3 when the `valid` control was not accepted (no
    /// refusal can be read), else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.violations.is_empty() {
            1
        } else if !self.reference_accepted() {
            EXIT_NO_VERDICT
        } else {
            0
        }
    }

    pub fn reference_accepted(&self) -> bool {
        self.results.iter().any(|r| r.scenario == REFERENCE_CONTROL && r.observed.outcome == Outcome::Accepted)
    }

    /// Reads a report written by `audit --json`.
    pub fn load(path: &Path) -> Result<Report> {
        let text = crate::labdir::fsutil::read_to_string(path)?;
        let report: Report = serde_json::from_str(&text).map_err(|e| Error::Parse {
            context: path.display().to_string(),
            message: format!("not an audit report: {e}"),
        })?;
        if report.schema != SCHEMA {
            return Err(Error::Input(format!(
                "{}: expected schema {SCHEMA}, found `{}`",
                path.display(),
                report.schema
            )));
        }
        Ok(report)
    }
}

/// A built-in client's outcome as an observation: a run that timed out is no observation.
pub fn observed(o: crate::clients::ClientOutcome) -> Observed {
    let outcome = match (o.accepted, o.code.as_str()) {
        (true, _) => Outcome::Accepted,
        (false, "timeout") => Outcome::Error,
        (false, _) => Outcome::Refused,
    };
    Observed { outcome, code: o.code, text: o.text }
}

/// The other clients the manifest measured accepting the scenario (`client` left out). A
/// scenario without measurements (a user's own template) falls back on the rustls, OpenSSL and
/// curl columns of its template.
pub fn lenient_clients(s: &ScenarioEntry, client: &str) -> Vec<String> {
    if !s.clients.is_empty() {
        return s
            .clients
            .iter()
            .filter(|(id, o)| o.accepted && id.as_str() != client)
            .map(|(id, _)| id.as_str().to_string())
            .collect();
    }
    let e = &s.expect;
    let mut who = Vec::new();
    // `openssl verify` sees files only: a live defect is not in its column.
    if e.openssl_verify == 0 && s.rule.is_some_and(|r| r.kind() == crate::catalogue::rules::Kind::Offline) {
        who.push("openssl");
    }
    if e.rustls_handshake.as_deref().unwrap_or(&e.rustls_verify) == "ok" {
        who.push("rustls");
    }
    if e.curl == 0 {
        who.push("curl");
    }
    who.into_iter().filter(|w| *w != client).map(str::to_string).collect()
}

/// The scenarios to audit: all, or those named (each checked, with a suggestion).
pub fn select<'m>(manifest: &'m Manifest, names: &[String]) -> Result<Vec<&'m ScenarioEntry>> {
    if names.is_empty() {
        return Ok(manifest.scenarios.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            manifest.scenarios.iter().find(|s| &s.name == n).ok_or_else(|| Error::UnknownScenario {
                name: n.clone(),
                suggestion: crate::error::suggest(n, manifest.scenarios.iter().map(|s| s.name.as_str())),
            })
        })
        .collect()
}

/// Starts a server for each selected scenario on free loopback ports (and the `valid` control,
/// which every result is read against), runs `client` against each, and stops them.
pub fn run(
    lab: &Path,
    manifest: &Manifest,
    scenarios: &[&ScenarioEntry],
    mut client: impl FnMut(&ScenarioEntry, &Endpoint) -> Result<Observed>,
) -> Result<Vec<(ScenarioEntry, Observed)>> {
    let mut names: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    let with_reference =
        !names.iter().any(|n| n == REFERENCE_CONTROL) && manifest.scenarios.iter().any(|s| s.name == REFERENCE_CONTROL);
    if with_reference {
        names.insert(0, REFERENCE_CONTROL.to_string());
    }
    let opts = ServeOptions { port_base: 0, scenarios: names, log: false, sni_router: false, ..Default::default() };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("starting the async runtime: {e}")))?;
    let running = rt.block_on(serve::start(lab, manifest, &opts))?;
    let mut order: Vec<&ScenarioEntry> = Vec::new();
    if with_reference && let Some(v) = manifest.scenarios.iter().find(|s| s.name == REFERENCE_CONTROL) {
        order.push(v);
    }
    order.extend(scenarios.iter().copied());
    let mut seen = Vec::new();
    let result = (|| -> Result<()> {
        for s in order {
            let ep = endpoint(lab, manifest, s, &running.ports)?;
            let o = client(s, &ep)?;
            seen.push((s.clone(), o));
        }
        Ok(())
    })();
    rt.block_on(running.shutdown());
    result?;
    // Report in manifest order.
    let rank: BTreeMap<&str, usize> =
        manifest.scenarios.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    seen.sort_by_key(|(s, _)| rank.get(s.name.as_str()).copied().unwrap_or(usize::MAX));
    Ok(seen)
}

fn endpoint(lab: &Path, manifest: &Manifest, s: &ScenarioEntry, ports: &serve::Ports) -> Result<Endpoint> {
    let port = *ports
        .scenarios
        .get(&s.name)
        .ok_or_else(|| Error::Internal(format!("audit: no server started for {}", s.name)))?;
    let file = |f: &Option<String>| f.as_ref().map(|f| lab.join(f));
    Ok(Endpoint {
        url: format!("https://{}:{port}/", manifest.host),
        host: manifest.host.clone(),
        port,
        ca: lab.join(s.trusted_root(&manifest.ca)),
        // As the manifest's curl column does: every CRL in one file, where the scenario has one.
        crl: s.files.crl.as_ref().map(|_| lab.join(s.files.crls.as_deref().unwrap_or(&manifest.ca.crls))),
        client_cert: file(&s.files.client_cert),
        client_key: file(&s.files.client_key),
    })
}

/// Two reports side by side, scenario by scenario (the union, in the order of `a` then `b`).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub rows: Vec<ComparedRow>,
    /// Scenarios where the two findings differ.
    pub differences: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComparedRow {
    pub scenario: String,
    pub rule: Option<RuleId>,
    pub strict: Strict,
    pub a: Option<Finding>,
    pub b: Option<Finding>,
}

pub fn compare(a: &Report, b: &Report) -> Comparison {
    let mut rows: Vec<ComparedRow> = Vec::new();
    for r in a.results.iter().chain(&b.results) {
        if rows.iter().any(|x| x.scenario == r.scenario) {
            continue;
        }
        let find = |rep: &Report| rep.results.iter().find(|x| x.scenario == r.scenario).map(|x| x.finding);
        rows.push(ComparedRow { scenario: r.scenario.clone(), rule: r.rule, strict: r.strict, a: find(a), b: find(b) });
    }
    let differences = rows.iter().filter(|r| r.a != r.b).count();
    Comparison { a: a.client.clone(), b: b.client.clone(), rows, differences }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        let dir = tempfile::tempdir().expect("tempdir");
        let catalogue = crate::catalogue::template::Catalogue::builtin().expect("catalogue");
        let opts = crate::labdir::InitOptions { ca: Default::default(), force: false, renew: false, complete: true };
        let lab = dir.path().join("lab");
        crate::labdir::init(&lab, &catalogue, &opts, time::OffsetDateTime::now_utc()).expect("init").manifest
    }

    fn seen(outcome: Outcome) -> Observed {
        Observed { outcome, code: "x".into(), text: String::new() }
    }

    #[test]
    fn findings_read_each_result_against_the_valid_control_and_the_policy() {
        let m = manifest();
        let pick = |name: &str| m.scenarios.iter().find(|s| s.name == name).expect("scenario").clone();
        let run = |valid: Outcome| {
            vec![
                (pick("valid"), seen(valid)),
                (pick("expired"), seen(Outcome::Refused)),
                (pick("cn-only"), seen(Outcome::Accepted)),
                (pick("wrong-host"), seen(Outcome::Error)),
            ]
        };
        let r = Report::new("c", Policy::Baseline, run(Outcome::Accepted));
        let f: Vec<Finding> = r.results.iter().map(|r| r.finding).collect();
        assert_eq!(f, [Finding::Ok, Finding::Enforces, Finding::AcceptsDefect, Finding::OtherFailure]);
        // cn-only is a lesson: the baseline does not require it, strict does.
        assert_eq!((r.violations.len(), r.exit_code()), (0, 0));
        let strict = Report::new("c", Policy::Strict, run(Outcome::Accepted));
        assert_eq!((strict.violations.clone(), strict.exit_code()), (vec!["cn-only".to_string()], 1));
        // The verify profiles: rfc5280 takes the `must` rules only, webpki adds the Baseline
        // Requirements (leaf-is-ca); the measured baseline is what every client refused.
        let (expired, leaf_is_ca) = (pick("expired"), pick("leaf-is-ca"));
        assert!(Policy::Rfc5280.requires(&expired) && !Policy::Rfc5280.requires(&leaf_is_ca));
        assert!(Policy::Webpki.requires(&leaf_is_ca) && Policy::Strict.requires(&leaf_is_ca));
        assert!(Policy::Baseline.requires(&expired) && !Policy::Baseline.requires(&leaf_is_ca));
        assert!(!Policy::Strict.requires(&pick("valid")));
        // Without the control, a refusal says nothing.
        let blind = Report::new("c", Policy::Baseline, run(Outcome::Refused));
        assert_eq!(blind.results[1].finding, Finding::OtherFailure);
        assert_eq!(blind.exit_code(), EXIT_NO_VERDICT);
    }
}
