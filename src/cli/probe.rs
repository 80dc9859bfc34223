//! `pki-lab probe`: resolve targets, probe them concurrently, compare with expectations.

use std::path::Path;

use time::OffsetDateTime;

use super::runtime;
use crate::catalogue::rules::{Expected, RuleId};
use crate::cli::ProbeArgs;
use crate::cli::output::table;
use crate::error::{Error, Result, suggest};
use crate::labdir;

/// One thing to probe, resolved.
struct ProbeTarget {
    label: String,
    scenario: Option<crate::labdir::manifest::ScenarioEntry>,
    host: String,
    port: u16,
    connect_host: String,
}

pub(crate) fn probe(dir: &Path, args: ProbeArgs, now: OffsetDateTime) -> Result<i32> {
    use crate::{probe, serve, verdict::engine};
    let lab = labdir::is_lab(dir);
    let manifest = if lab { Some(super::open_lab(dir, now)?) } else { None };
    let scenario_names: Vec<String> = if args.all {
        let m = manifest.as_ref().ok_or_else(|| Error::NoLab { dir: dir.to_path_buf() })?;
        let ports = serve::load_ports(&serve::ports_path(dir))?;
        m.scenarios.iter().filter(|s| ports.scenarios.contains_key(&s.name)).map(|s| s.name.clone()).collect()
    } else {
        args.targets.clone()
    };

    let mut targets = Vec::new();
    let mut ports_cache: Option<serve::Ports> = None;
    for t in &scenario_names {
        if let Some((host, port)) = probe::parse_target(t) {
            targets.push(ProbeTarget {
                label: t.clone(),
                scenario: None,
                host: args.host.clone().unwrap_or_else(|| host.clone()),
                port,
                connect_host: host,
            });
            continue;
        }
        let m = manifest.as_ref().ok_or_else(|| Error::NoLab { dir: dir.to_path_buf() })?;
        let entry = m.scenarios.iter().find(|s| &s.name == t).ok_or_else(|| Error::UnknownScenario {
            name: t.clone(),
            suggestion: suggest(t, m.scenarios.iter().map(|s| s.name.as_str())),
        })?;
        if ports_cache.is_none() {
            ports_cache = Some(serve::load_ports(&serve::ports_path(dir))?);
        }
        let ports = ports_cache.as_ref().ok_or_else(|| Error::Internal("ports".into()))?;
        let port = *ports.scenarios.get(t).ok_or_else(|| {
            Error::Input(format!(
                "scenario {t} is not being served\n  hint: start it with `pki-lab serve {t}` (or serve all)"
            ))
        })?;
        targets.push(ProbeTarget {
            label: t.clone(),
            scenario: Some(entry.clone()),
            host: args.host.clone().unwrap_or_else(|| m.host.clone()),
            port,
            connect_host: ports.bind.to_string(),
        });
    }

    // What the probe trusts: --ca, or the lab root; the lab's other CAs help explain failures.
    let lab_trust = if lab { Some(engine::lab_trust(dir)?) } else { None };
    let base = match (&args.ca, lab_trust) {
        (Some(f), t) => t.unwrap_or_default().trusting(engine::read_roots(f)?),
        (None, Some(t)) => t,
        (None, None) => {
            return Err(Error::Input(format!(
                "no --ca given and no lab in {} to trust\n  hint: pass --ca FILE",
                dir.display()
            )));
        }
    };
    let user_crls = crate::probe::load_crls(&args.crls)?;
    let lab_crls = if lab { engine::lab_crls(dir)? } else { vec![] };
    let user_identity = args.client_cert.as_deref().map(crate::probe::load_identity).transpose()?;
    let rt = runtime()?;
    let reports: Vec<crate::probe::Report> = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, t) in targets.iter().enumerate() {
            let addr = tokio::net::lookup_host((t.connect_host.as_str(), t.port))
                .await
                .map_err(|e| Error::Network(format!("cannot resolve {}: {e}", t.connect_host)))?
                .next()
                .ok_or_else(|| Error::Network(format!("{} has no address", t.connect_host)))?;
            // Scenario targets check revocation against the lab's CRLs (and their own) unless
            // --crl is given, and trust their own root where they have one unless --ca is.
            let crls = match &t.scenario {
                Some(s) if user_crls.is_empty() && s.has_own_crl() => engine::scenario_crls(dir, s)?,
                Some(_) if user_crls.is_empty() => lab_crls.clone(),
                _ => user_crls.clone(),
            };
            let mut trust = engine::Trust { crls, ..base.clone() };
            if let (None, Some(anchor)) = (&args.ca, t.scenario.as_ref().and_then(|s| s.files.anchor.as_ref())) {
                trust = trust.trusting(engine::read_roots(&dir.join(anchor))?);
            }
            let client = match (&user_identity, &t.scenario) {
                (Some(id), _) => Some(id.clone()),
                (None, Some(s)) => crate::probe::scenario_identity(dir, s)?,
                (None, None) => None,
            };
            let opts = args.flags().options(&t.host, client, now)?;
            let label = t.label.clone();
            let scenario = t.scenario.as_ref().map(|s| s.name.clone());
            set.spawn(async move { (i, crate::probe::probe(&label, scenario.as_deref(), addr, &trust, &opts).await) });
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            out.push(r.map_err(|e| Error::Internal(format!("probe task failed: {e}")))?);
        }
        out.sort_by_key(|(i, _)| *i);
        Ok::<_, Error>(out.into_iter().map(|(_, r)| r).collect())
    })?;

    // Compare each report with --expect, or with its scenario's rule under --all. A probe with
    // no verdict matches nothing, `pass` included.
    let (mut differs, mut incomplete) = (false, false);
    let mut rows = Vec::new();
    for (t, r) in targets.iter().zip(&reports) {
        let expected: Vec<Expected> = if !args.expect.is_empty() {
            args.expect.clone()
        } else if args.all {
            t.scenario.as_ref().and_then(|s| s.rule).map(Expected::Fails).into_iter().collect()
        } else {
            vec![]
        };
        let ok = crate::probe::matches(r, &expected);
        let (observed, verdict) = match &r.outcome {
            crate::probe::Outcome::Incomplete { step, reason } => {
                incomplete = true;
                (format!("INCOMPLETE at {}: {reason}", step.as_str()), "NO VERDICT")
            }
            _ if ok => (observed_rules(r), "ok"),
            _ => {
                differs = true;
                (observed_rules(r), "DIFFERS")
            }
        };
        rows.push(vec![
            r.scenario.clone().unwrap_or_else(|| r.target.clone()),
            if expected.is_empty() {
                "pass".into()
            } else {
                expected.iter().map(Expected::to_string).collect::<Vec<_>>().join(",")
            },
            observed,
            r.verdict.rustls.clone(),
            verdict.into(),
        ]);
    }
    if args.json {
        if reports.len() == 1 && !args.all {
            super::output::json(&reports[0])?;
        } else {
            super::output::json(&reports)?;
        }
    } else {
        if !args.all || args.verbose {
            for r in &reports {
                outln!("{}", crate::probe::render_text(r))?;
            }
        }
        if reports.len() > 1 {
            out!("{}", table(&["TARGET", "EXPECTED", "OBSERVED", "RUSTLS", "MATCH"], &rows))?;
        }
    }
    // A definite difference says more than a target that could not be observed.
    Ok(if differs {
        1
    } else if incomplete {
        crate::error::EXIT_NO_VERDICT
    } else {
        0
    })
}

fn observed_rules(r: &crate::probe::Report) -> String {
    if r.verdict.failed.is_empty() { "pass".into() } else { RuleId::join(&r.verdict.failed, ",") }
}

impl ProbeArgs {
    /// The flags that shape each probe.
    pub fn flags(&self) -> crate::probe::ProbeFlags {
        crate::probe::ProbeFlags {
            tls12: self.tls12,
            tls13: self.tls13,
            requests: self.requests,
            timeout: self.timeout,
            connections: self.connections,
            resume: self.resume,
            close: self.close,
            source: self.source,
            keylog: self.keylog.clone(),
        }
    }
}
