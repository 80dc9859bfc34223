//! What each subcommand does: call the library, print results to stdout and receipts to stderr,
//! return the exit code.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ca::{CaOptions, DEFAULT_PERMITTED};
use crate::cli::{Cli, Command, InitArgs, InspectArgs, ProbeArgs, ScenariosArgs, ServeArgs, VerifyArgs};
use crate::error::{Error, Result, suggest};
use crate::labdir::{self, InitOptions};
use crate::output::table;
use crate::profile::{Catalogue, Expect, UNSUPPORTED};
use crate::{inspect, manifest::Manifest};

/// Runs one command; `Ok(code)` is the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let dir = cli.dir.unwrap_or_else(labdir::default_dir);
    let now = clock()?;
    match cli.command {
        Command::Init(args) => init(&dir, args, now),
        Command::Scenarios(args) => scenarios(&dir, args),
        Command::Inspect(args) => inspect_cmd(&dir, args, now),
        Command::Serve(args) => serve_cmd(&dir, args, now),
        Command::Probe(args) => probe_cmd(&dir, args, now),
        Command::Verify(args) => verify_cmd(&dir, args, now),
    }
}

/// The current time, or `PKI_LAB_NOW` (RFC 3339) so that tests and reproducible runs can pin it.
pub fn clock() -> Result<OffsetDateTime> {
    match std::env::var("PKI_LAB_NOW") {
        Ok(v) if !v.is_empty() => OffsetDateTime::parse(&v, &Rfc3339).map_err(|e| {
            Error::Usage(format!(
                "PKI_LAB_NOW: expected an RFC 3339 time such as 2026-11-26T10:00:00Z, found `{v}` ({e})"
            ))
        }),
        _ => Ok(OffsetDateTime::now_utc()),
    }
}

fn init(dir: &Path, args: InitArgs, now: OffsetDateTime) -> Result<i32> {
    let permitted = if args.no_name_constraints {
        eprintln!(
            "warning: the root will not be name-constrained: anyone holding the lab's keys could impersonate any site to a machine that trusts it"
        );
        None
    } else {
        let mut p: Vec<String> = DEFAULT_PERMITTED.iter().map(|s| s.to_string()).collect();
        p.extend(args.permit.iter().cloned());
        // Fail on a bad --permit before touching the disk.
        crate::ca::name_constraints(&p)?;
        Some(p)
    };
    let catalogue = match &args.profiles {
        Some(d) => Catalogue::with_dir(d)?,
        None => Catalogue::builtin()?,
    };
    let opts =
        InitOptions { ca: CaOptions { key_type: args.key_type, permitted }, force: args.force, renew: args.renew };
    let report = labdir::init(dir, &catalogue, &opts, now)?;
    print_receipt(&report);
    Ok(0)
}

fn serve_cmd(dir: &Path, args: ServeArgs, now: OffsetDateTime) -> Result<i32> {
    use crate::serve::{self, ServeOptions};
    if !labdir::is_lab(dir) {
        eprintln!("no lab in {}: creating one first", dir.display());
        let opts = InitOptions { ca: CaOptions::default(), force: false, renew: false };
        print_receipt(&labdir::init(dir, &Catalogue::builtin()?, &opts, now)?);
    }
    let manifest = labdir::load_manifest(dir)?;
    warn_if_stale(&manifest, now);
    // Idle connections each hold a descriptor; the default soft limit (often 1024) is too low.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let secs = |s: f64, flag: &str| {
        std::time::Duration::try_from_secs_f64(s)
            .map_err(|_| Error::Usage(format!("{flag}: expected a positive number of seconds, found {s}")))
    };
    let opts = ServeOptions {
        bind: args.bind,
        port_base: args.port_base,
        handshake_timeout: secs(args.handshake_timeout, "--handshake-timeout")?,
        idle_timeout: secs(args.idle_timeout, "--idle-timeout")?,
        scenarios: args.scenarios.clone(),
        log: !args.quiet,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("starting the async runtime: {e}")))?;
    rt.block_on(async {
        let running = serve::start(dir, &manifest, &opts).await?;
        let json = serde_json::to_string_pretty(&running.ports).map_err(|e| Error::Usage(e.to_string()))? + "\n";
        let ports_path = serve::ports_path(dir);
        crate::fsutil::write_atomic(&ports_path, json.as_bytes(), crate::fsutil::PUBLIC)?;
        if let Some(f) = &args.ports_file {
            crate::fsutil::write_atomic(f, json.as_bytes(), crate::fsutil::PUBLIC)?;
        }
        print_ready(dir, &manifest, &running.ports);
        wait_for_signal().await;
        running.shutdown().await;
        if serve::load_ports(&ports_path).is_ok_and(|p| p.pid == std::process::id()) {
            let _ = std::fs::remove_file(&ports_path);
        }
        eprintln!("stopped");
        Ok(0)
    })
}

fn print_ready(dir: &Path, manifest: &Manifest, ports: &crate::serve::Ports) {
    use std::io::Write;
    let host = if ports.bind.is_loopback() { "localhost".to_string() } else { ports.bind.to_string() };
    let rows: Vec<Vec<String>> = manifest
        .scenarios
        .iter()
        .filter_map(|s| {
            let port = ports.scenarios.get(&s.name)?;
            let r = row(&s.name, None, s.rule.as_deref(), &s.summary, &s.expect);
            Some(vec![s.name.clone(), format!("https://{host}:{port}/"), r[3].clone()])
        })
        .collect();
    print!("{}", table(&["SCENARIO", "URL", "EXPECTED"], &rows));
    println!("SNI router: https://<scenario>.localhost:{}/ (no SNI: valid)", ports.sni);
    println!("clients trust {} ; stop with Ctrl-C", dir.join("ca.pem").display());
    let _ = std::io::stdout().flush();
}

/// Waits for Ctrl-C or SIGTERM.
async fn wait_for_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Controls must pass: tell the user when time has made `valid` invalid.
fn warn_if_stale(m: &Manifest, now: OffsetDateTime) {
    let Some(v) = m.scenarios.iter().find(|s| s.name == "valid") else { return };
    if let Ok(t) = OffsetDateTime::parse(&v.not_after, &Rfc3339)
        && t < now + time::Duration::days(7)
    {
        eprintln!("warning: the `valid` certificate expires {} — run `pki-lab init --renew`", v.not_after);
    }
}

fn print_receipt(r: &labdir::InitReport) {
    let m = &r.manifest;
    let verb = if r.renewed {
        "re-issued the scenarios of the lab in"
    } else if r.replaced {
        "replaced the lab in"
    } else {
        "created a lab in"
    };
    let dir = r.dir.display();
    eprintln!("{verb} {dir}");
    eprintln!("  trust     {dir}/ca.pem  (SHA-256 {})", m.ca.root_sha256);
    match &m.ca.permitted {
        Some(p) => eprintln!("  limited   the root may only issue for: {}", p.join(", ")),
        None => eprintln!("  limited   not at all (--no-name-constraints)"),
    }
    let controls = m.scenarios.iter().filter(|s| s.rule.is_none()).count();
    eprintln!(
        "  issued    {} scenarios ({} controls, {} broken) in {dir}/scenarios, key type {}",
        m.scenarios.len(),
        controls,
        m.scenarios.len() - controls,
        m.key_type
    );
    if let Some(v) = m.scenarios.iter().find(|s| s.name == "valid") {
        eprintln!("  valid     until {} (renew with `pki-lab init --renew`)", v.not_after);
    }
    eprintln!("  manifest  {dir}/manifest.json");
    eprintln!("next: `pki-lab scenarios` to see the catalogue, `pki-lab inspect expired` to read one");
}

/// One row of the catalogue table.
fn row(name: &str, step: Option<&str>, rule: Option<&str>, summary: &str, expect: &Expect) -> Vec<String> {
    let outcome = if rule.is_none() {
        "pass".to_string()
    } else {
        let mut o = format!("openssl {}, rustls {}", expect.openssl_verify, expect.rustls_verify);
        if let Some(h) = &expect.rustls_handshake {
            o = format!("openssl {}, rustls handshake {h}", expect.openssl_verify);
        }
        o
    };
    vec![
        name.to_string(),
        step.unwrap_or("-").to_string(),
        rule.unwrap_or("(control)").to_string(),
        outcome,
        summary.to_string(),
    ]
}

fn scenarios(dir: &Path, args: ScenariosArgs) -> Result<i32> {
    // An existing lab is the truth (it may hold custom profiles); otherwise the built-in catalogue.
    let manifest: Option<Manifest> = labdir::is_lab(dir).then(|| labdir::load_manifest(dir)).transpose()?;
    let catalogue = Catalogue::builtin()?;
    if args.json {
        let json = match &manifest {
            Some(m) => serde_json::to_string_pretty(&m.scenarios),
            None => serde_json::to_string_pretty(catalogue.profiles()),
        }
        .map_err(|e| Error::Usage(e.to_string()))?;
        println!("{json}");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = match &manifest {
        Some(m) => m
            .scenarios
            .iter()
            .map(|s| row(&s.name, s.step.map(|s| s.as_str()), s.rule.as_deref(), &s.summary, &s.expect))
            .collect(),
        None => catalogue
            .profiles()
            .iter()
            .map(|p| row(&p.name, p.step().map(|s| s.as_str()), p.breaks.as_deref(), &p.summary, &p.expect))
            .collect(),
    };
    print!("{}", table(&["SCENARIO", "STEP", "RULE", "EXPECTED", "SUMMARY"], &rows));
    println!();
    println!("not in the catalogue:");
    for (name, why) in UNSUPPORTED {
        println!("  {name}: {why}");
    }
    Ok(0)
}

fn inspect_cmd(dir: &Path, args: InspectArgs, now: OffsetDateTime) -> Result<i32> {
    let path = resolve_cert_target(dir, &args.target)?;
    let text = crate::fsutil::read_to_string(&path)?;
    let chain = inspect::describe_pem_bundle(&text, now)
        .map_err(|message| Error::Parse { context: path.display().to_string(), message })?;
    if args.json {
        let json = serde_json::to_string_pretty(&chain).map_err(|e| Error::Usage(e.to_string()))?;
        println!("{json}");
    } else {
        println!("{}", path.display());
        print!("{}", inspect::render_text(&chain));
    }
    Ok(0)
}

/// A path to a PEM file, or a scenario name resolved to the chain its server sends.
fn resolve_cert_target(dir: &Path, target: &str) -> Result<PathBuf> {
    let as_path = PathBuf::from(target);
    if as_path.is_file() {
        return Ok(as_path);
    }
    if target.contains('/') || target.ends_with(".pem") || target.ends_with(".crt") {
        return Err(Error::Io {
            action: "reading",
            path: as_path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let m = labdir::load_manifest(dir)?;
    match m.scenarios.iter().find(|s| s.name == target) {
        Some(s) => Ok(dir.join(&s.files.chain)),
        None => Err(Error::UnknownScenario {
            name: target.to_string(),
            suggestion: suggest(target, m.scenarios.iter().map(|s| s.name.as_str())),
        }),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("starting the async runtime: {e}")))
}

/// One thing to probe, resolved.
struct ProbeTarget {
    label: String,
    scenario: Option<crate::manifest::ScenarioEntry>,
    host: String,
    port: u16,
    connect_host: String,
}

fn probe_cmd(dir: &Path, args: ProbeArgs, now: OffsetDateTime) -> Result<i32> {
    use crate::{engine, probe, serve};
    let lab = labdir::is_lab(dir);
    let manifest = if lab { Some(labdir::load_manifest(dir)?) } else { None };
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
        let ports = ports_cache.as_ref().ok_or_else(|| Error::Usage("ports".into()))?;
        let port = *ports.scenarios.get(t).ok_or_else(|| {
            Error::Usage(format!(
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
    let roots = match &args.ca {
        Some(f) => crate::ca::parse_certs(&crate::fsutil::read_to_string(f)?, &f.display().to_string())?,
        None => lab_trust.as_ref().map(|t| t.roots.clone()).ok_or_else(|| {
            Error::Usage(format!("no --ca given and no lab in {} to trust\n  hint: pass --ca FILE", dir.display()))
        })?,
    };
    let known = lab_trust.as_ref().map(|t| t.known.clone()).unwrap_or_default();
    let user_crls = crate::probe::load_crls(&args.crls)?;
    let lab_crls = if lab {
        crate::probe::load_crls(&[dir.join("root.crl.pem"), dir.join("intermediate.crl.pem")])?
    } else {
        vec![]
    };
    let user_identity = args.client_cert.as_deref().map(crate::probe::load_identity).transpose()?;
    let timeout = std::time::Duration::try_from_secs_f64(args.timeout).map_err(|_| {
        Error::Usage(format!("--timeout: expected a positive number of seconds, found {}", args.timeout))
    })?;
    let versions = if args.tls12 {
        vec![&rustls::version::TLS12]
    } else if args.tls13 {
        vec![&rustls::version::TLS13]
    } else {
        vec![]
    };

    let rt = runtime()?;
    let reports: Vec<crate::probe::Report> = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, t) in targets.iter().enumerate() {
            let addr = tokio::net::lookup_host((t.connect_host.as_str(), t.port))
                .await
                .map_err(|e| Error::Usage(format!("cannot resolve {}: {e}", t.connect_host)))?
                .next()
                .ok_or_else(|| Error::Usage(format!("{} has no address", t.connect_host)))?;
            // Scenario targets check revocation against the lab's CRLs unless --crl is given.
            let crls = if !user_crls.is_empty() || t.scenario.is_none() { user_crls.clone() } else { lab_crls.clone() };
            let trust = engine::Trust { roots: roots.clone(), known: known.clone(), crls };
            let client = match (&user_identity, &t.scenario) {
                (Some(id), _) => Some(id.clone()),
                (None, Some(s)) if s.serve.probe_client_cert => match &s.files.client_chain {
                    Some(_) => Some(crate::probe::load_identity(&dir.join(format!("scenarios/{}/client", s.name)))?),
                    None => None,
                },
                _ => None,
            };
            let opts = crate::probe::ProbeOptions {
                host: t.host.clone(),
                versions: versions.clone(),
                client,
                requests: args.requests,
                timeout,
                now,
            };
            let label = t.label.clone();
            let scenario = t.scenario.as_ref().map(|s| s.name.clone());
            set.spawn(async move { (i, crate::probe::probe(&label, scenario.as_deref(), addr, &trust, &opts).await) });
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            out.push(r.map_err(|e| Error::Usage(format!("probe task failed: {e}")))?);
        }
        out.sort_by_key(|(i, _)| *i);
        Ok::<_, Error>(out.into_iter().map(|(_, r)| r).collect())
    })?;

    // Compare each report with --expect, or with its scenario's rule under --all.
    let mut all_ok = true;
    let mut rows = Vec::new();
    for (t, r) in targets.iter().zip(&reports) {
        let expected: Vec<String> = if !args.expect.is_empty() {
            args.expect.clone()
        } else if args.all {
            t.scenario.as_ref().and_then(|s| s.rule.clone()).into_iter().collect()
        } else {
            vec![]
        };
        let ok = crate::probe::matches(r, &expected);
        all_ok &= ok;
        rows.push(vec![
            r.scenario.clone().unwrap_or_else(|| r.target.clone()),
            if expected.is_empty() { "pass".into() } else { expected.join(",") },
            if r.verdict.failed.is_empty() { "pass".into() } else { r.verdict.failed.join(",") },
            r.verdict.rustls.clone(),
            if ok { "ok".into() } else { "DIFFERS".into() },
        ]);
    }
    if args.json {
        let json = if reports.len() == 1 && !args.all {
            serde_json::to_string_pretty(&reports[0])
        } else {
            serde_json::to_string_pretty(&reports)
        }
        .map_err(|e| Error::Usage(e.to_string()))?;
        println!("{json}");
    } else {
        if !args.all || args.verbose {
            for r in &reports {
                println!("{}", crate::probe::render_text(r));
            }
        }
        if reports.len() > 1 {
            print!("{}", table(&["TARGET", "EXPECTED", "OBSERVED", "RUSTLS", "MATCH"], &rows));
        }
    }
    Ok(if all_ok { 0 } else { 1 })
}

#[derive(serde::Serialize)]
struct VerifyReport {
    cert: String,
    host: String,
    at: String,
    verification: Vec<crate::engine::RuleResult>,
    failed: Vec<&'static str>,
    rustls: String,
}

fn verify_cmd(dir: &Path, args: VerifyArgs, now: OffsetDateTime) -> Result<i32> {
    use crate::engine;
    let at = match &args.at {
        Some(t) => OffsetDateTime::parse(t, &Rfc3339).map_err(|e| {
            Error::Usage(format!("--at: expected an RFC 3339 time such as 2027-01-01T00:00:00Z, found `{t}` ({e})"))
        })?,
        None => now,
    };
    let read = |p: &Path| -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
        crate::ca::parse_certs(&crate::fsutil::read_to_string(p)?, &p.display().to_string())
    };
    let mut presented = read(&args.cert)?;
    if presented.is_empty() {
        return Err(Error::Parse {
            context: args.cert.display().to_string(),
            message: "expected a CERTIFICATE block, found none".into(),
        });
    }
    if let Some(chain) = &args.chain {
        for c in read(chain)? {
            if !presented.contains(&c) {
                presented.push(c);
            }
        }
    }
    let lab_trust = if labdir::is_lab(dir) { Some(engine::lab_trust(dir)?) } else { None };
    let roots = match &args.ca {
        Some(f) => read(f)?,
        None => lab_trust.as_ref().map(|t| t.roots.clone()).ok_or_else(|| {
            Error::Usage(format!("no --ca given and no lab in {} to trust\n  hint: pass --ca FILE", dir.display()))
        })?,
    };
    let trust = engine::Trust {
        roots,
        known: lab_trust.map(|t| t.known).unwrap_or_default(),
        crls: crate::probe::load_crls(&args.crls)?,
    };
    let results = engine::evaluate(&presented, &args.host, &trust, at);
    let unix = rustls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at.unix_timestamp()).unwrap_or(0),
    ));
    let rustls = crate::outcome::rustls_verify(&presented, &trust.roots, &trust.crls, &args.host, unix)?;
    let failed = engine::failed(&results);
    let expected: Vec<&str> = args.expect.iter().map(String::as_str).filter(|e| *e != "pass").collect();
    let ok = {
        let (mut a, mut b) = (failed.clone(), expected.clone());
        a.sort_unstable();
        b.sort_unstable();
        a == b
    };
    if args.json {
        let report = VerifyReport {
            cert: args.cert.display().to_string(),
            host: args.host.clone(),
            at: labdir::rfc3339(at),
            verification: results,
            failed,
            rustls,
        };
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| Error::Usage(e.to_string()))?);
    } else {
        println!("verify {} for {} at {}", args.cert.display(), args.host, labdir::rfc3339(at));
        print!("{}", engine::render_text(&results));
        if failed.is_empty() {
            println!("verdict  PASS (rustls: {rustls})");
        } else {
            println!("verdict  FAIL {} (rustls: {rustls})", failed.join(", "));
        }
    }
    Ok(if ok { 0 } else { 1 })
}
