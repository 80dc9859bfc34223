//! A lab in progress: the lab directory, the learner's work directory, a test server for each
//! scenario of the lab (on free ports, started and stopped by the session, so no `pki-lab serve`
//! is needed), the lab's own servers and gateways with their session settings, and the steps'
//! commands run in process, each giving an [`Observation`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::CertificateRevocationListDer;
use time::OffsetDateTime;

use super::command::{CommandTemplate, Endpoint, InspectStep, Invocation, ProbeStep, VerifyStep};
use super::expect::Observation;
use super::{Lab, LabGateway, LabServer};
use crate::catalogue::rules::Step;
// A parsed step holds the clap args (why `lab` is behind the `cli` feature).
use crate::error::{Error, Result};
use crate::labdir::manifest::Manifest;
use crate::serve::gateway::{self, Backend, GatewayOptions, Mode};
use crate::serve::session::SessionOptions;
use crate::serve::{self, Running, ServeOptions};
use crate::verdict::engine::{self, Trust};
use crate::{labdir, labdir::fsutil};

/// A command that could not run, and why.
#[derive(Debug, Clone)]
pub struct NotRun {
    pub command: String,
    pub message: String,
}

pub struct Session {
    dir: PathBuf,
    work: PathBuf,
    /// `None`: the system clock at each command, so files a learner makes mid-lab are judged
    /// at the time they are checked; `Some`: a pinned time (tests, `PKI_LAB_NOW`).
    pinned: Option<OffsetDateTime>,
    manifest: Manifest,
    trust: Trust,
    crls: Vec<CertificateRevocationListDer<'static>>,
    rt: tokio::runtime::Runtime,
    running: Option<Running>,
    /// The lab's `servers:` and `gateways:`.
    endpoints: Vec<Started>,
    published: bool,
}

/// A lab server or gateway, running.
struct Started {
    /// `server:NAME` or `gateway:NAME`, as a probe names it.
    label: String,
    scenario: String,
    addr: SocketAddr,
    /// The server, or the gateway's backends.
    servers: Vec<Running>,
    gateway: Option<gateway::Running>,
}

/// Virtual nodes per backend and the health-check interval of a lab gateway, as `pki-lab
/// gateway` has them by default.
const GATEWAY_VNODES: usize = 100;
const GATEWAY_HEALTH: Duration = Duration::from_secs(1);

impl Session {
    /// Starts the servers of `lab` for the lab in `dir` and creates `work`. Rules are evaluated
    /// at `pinned`, or at the current time of each command.
    pub fn start(dir: &Path, lab: &Lab, work: &Path, pinned: Option<OffsetDateTime>) -> Result<Session> {
        let manifest = labdir::load_manifest(dir)?;
        let wanted = lab
            .scenarios
            .iter()
            .chain(lab.servers.iter().map(|s| &s.scenario))
            .chain(lab.gateways.iter().map(|g| &g.scenario));
        for name in wanted {
            if !manifest.scenarios.iter().any(|s| &s.name == name) {
                return Err(Error::Input(format!(
                    "lab `{}` uses scenario `{name}`, which the lab in {} does not have\n  hint: `pki-lab init --renew` re-issues every scenario of the catalogue",
                    lab.id,
                    dir.display()
                )));
            }
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("starting the async runtime: {e}")))?;
        // The work directory first: a shared ticket key lives there.
        fsutil::create_dir(work)?;
        let running = if lab.scenarios.is_empty() {
            None
        } else {
            let opts =
                ServeOptions { port_base: 0, scenarios: lab.scenarios.clone(), log: false, ..Default::default() };
            Some(rt.block_on(serve::start(dir, &manifest, &opts))?)
        };
        let mut endpoints = Vec::new();
        for s in &lab.servers {
            let started = rt.block_on(start_server(dir, &manifest, s, work));
            endpoints.push(started.map_err(|e| in_lab(lab, &format!("server:{}", s.name), e))?);
        }
        for g in &lab.gateways {
            let started = rt.block_on(start_gateway(dir, &manifest, g, work));
            endpoints.push(started.map_err(|e| in_lab(lab, &format!("gateway:{}", g.name), e))?);
        }
        Ok(Session {
            dir: dir.to_path_buf(),
            work: work.to_path_buf(),
            pinned,
            trust: engine::lab_trust(dir)?,
            crls: engine::lab_crls(dir)?,
            manifest,
            rt,
            running,
            endpoints,
            published: false,
        })
    }

    fn now(&self) -> OffsetDateTime {
        self.pinned.unwrap_or_else(OffsetDateTime::now_utc)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn work(&self) -> &Path {
        &self.work
    }

    /// Where each scenario of the lab is served, then each of its servers and gateways
    /// (`server:NAME`, `gateway:NAME`).
    pub fn servers(&self) -> Vec<(String, SocketAddr)> {
        let mut out: Vec<(String, SocketAddr)> = match &self.running {
            Some(r) => r.ports.scenarios.keys().filter_map(|name| r.addr(name).map(|a| (name.clone(), a))).collect(),
            None => vec![],
        };
        out.extend(self.endpoints.iter().map(|e| (e.label.clone(), e.addr)));
        out
    }

    /// Writes `<lab>/serve.json` so that `pki-lab probe SCENARIO` in another terminal reaches
    /// this session's servers, unless a `pki-lab serve` already published its own. True when
    /// written; [`Session::shutdown`] removes it again.
    pub fn publish_ports(&mut self) -> Result<bool> {
        let Some(r) = &self.running else { return Ok(false) };
        let path = serve::ports_path(&self.dir);
        if path.exists() {
            return Ok(false);
        }
        let json = serde_json::to_string_pretty(&r.ports)? + "\n";
        fsutil::write_atomic(&path, json.as_bytes(), fsutil::PUBLIC)?;
        self.published = true;
        Ok(true)
    }

    /// `{lab}` and `{work}`.
    pub fn builtin_var(&self, name: &str) -> Option<String> {
        match name {
            "lab" => Some(self.dir.display().to_string()),
            "work" => Some(self.work.display().to_string()),
            _ => None,
        }
    }

    /// Replaces `{lab}` and `{work}` in text shown to the learner.
    pub fn fill_text(&self, text: &str) -> String {
        super::command::fill(text, &mut |n| self.builtin_var(n))
    }

    /// Runs `command` with `{lab}`, `{work}` and `inputs`. `Err` when it could not run at all
    /// (a file the learner named is missing, a flag value does not parse): a failed check.
    pub fn observe(
        &self,
        command: &CommandTemplate,
        inputs: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<Observation, NotRun> {
        let (shown, invocation) = command
            .expand(&|n| self.builtin_var(n).or_else(|| inputs(n)))
            .map_err(|message| NotRun { command: command.text.clone(), message })?;
        let result = match invocation {
            Invocation::Probe(a) => self.probe(a),
            Invocation::Verify(a) => self.verify(a),
            Invocation::Inspect(a) => self.inspect(a),
        };
        match result {
            Ok(mut obs) => {
                obs.command = shown;
                Ok(obs)
            }
            Err(e) => Err(NotRun { command: shown, message: e.to_string() }),
        }
    }

    fn probe(&self, args: ProbeStep) -> Result<Observation> {
        let target = args.targets.first().cloned().unwrap_or_default();
        // A lab server or gateway is reported by its own name; a scenario by the scenario's.
        let (name, addr, label) = match Endpoint::parse(&target) {
            Some(_) => {
                let e = self
                    .endpoints
                    .iter()
                    .find(|e| e.label == target)
                    .ok_or_else(|| Error::Input(format!("{target} is not a server or gateway of this lab")))?;
                (e.scenario.clone(), e.addr, Some(target))
            }
            None => {
                let addr = self
                    .running
                    .as_ref()
                    .and_then(|r| r.addr(&target))
                    .ok_or_else(|| Error::Input(format!("scenario {target} is not served by this lab")))?;
                (target, addr, None)
            }
        };
        let entry = self.manifest.scenarios.iter().find(|s| s.name == name).ok_or_else(|| Error::UnknownScenario {
            name: name.clone(),
            suggestion: crate::error::suggest(&name, self.manifest.scenarios.iter().map(|s| s.name.as_str())),
        })?;
        // As `pki-lab probe`: the scenario's own root and CRL where it has them.
        let mut trust = match (&args.ca, &entry.files.anchor) {
            (Some(ca), _) => self.trust.clone().trusting(engine::read_roots(ca)?),
            (None, Some(anchor)) => self.trust.clone().trusting(engine::read_roots(&self.dir.join(anchor))?),
            (None, None) => self.trust.clone(),
        };
        trust.crls = match (args.crls.is_empty(), entry.has_own_crl()) {
            (false, _) => crate::probe::load_crls(&args.crls)?,
            (true, true) => engine::scenario_crls(&self.dir, entry)?,
            (true, false) => self.crls.clone(),
        };
        let client = match &args.client_cert {
            Some(d) => Some(crate::probe::load_identity(d)?),
            None => crate::probe::scenario_identity(&self.dir, entry)?,
        };
        let host = args.host.clone().unwrap_or_else(|| self.manifest.host.clone());
        let opts = args.flags.options(&host, client, self.now())?;
        let report = match &label {
            Some(label) => self.rt.block_on(crate::probe::probe(label, None, addr, &trust, &opts)),
            None => self.rt.block_on(crate::probe::probe(&name, Some(&name), addr, &trust, &opts)),
        };
        let incomplete_at = match &report.outcome {
            crate::probe::Outcome::Incomplete { step, .. } => Some(*step),
            _ => None,
        };
        let broken_at = report
            .verdict
            .failed
            .iter()
            .map(|id| id.step())
            .min()
            // No failed rule and no completed handshake: where the probe lost sight of it.
            .or(incomplete_at)
            .or_else(|| report.secure_communication.error.is_some().then_some(Step::SecureCommunication));
        Ok(Observation {
            command: String::new(),
            exit: report.outcome.exit_code(),
            json: to_json(&report)?,
            text: crate::probe::render_text(&report),
            failed: Some(report.verdict.failed.clone()),
            broken_at,
            outcome: Some(report.outcome),
        })
    }

    fn verify(&self, args: VerifyStep) -> Result<Observation> {
        let at = crate::verdict::report::parse_at(args.at.as_deref(), self.now())?;
        let report = crate::verdict::report::verify(Some(&self.dir), &args.request, at)?;
        let failed = report.failed.clone();
        let broken_at = report.failed.iter().map(|id| id.step()).min();
        Ok(Observation {
            command: String::new(),
            exit: i32::from(!failed.is_empty()),
            json: to_json(&report)?,
            text: report.text(),
            failed: Some(failed),
            broken_at,
            outcome: None,
        })
    }

    fn inspect(&self, args: InspectStep) -> Result<Observation> {
        let path = match self.manifest.scenarios.iter().find(|s| s.name == args.target) {
            Some(s) if !Path::new(&args.target).is_file() => self.dir.join(&s.files.chain),
            _ => PathBuf::from(&args.target),
        };
        let text = fsutil::read_to_string(&path)?;
        let chain = crate::inspect::describe_pem_bundle(&text, self.now())
            .map_err(|message| Error::Parse { context: path.display().to_string(), message })?;
        Ok(Observation {
            command: String::new(),
            exit: 0,
            json: to_json(&chain)?,
            text: format!("{}\n{}", path.display(), crate::inspect::render_text(&chain)),
            failed: None,
            broken_at: None,
            outcome: None,
        })
    }

    /// Stops the servers (and withdraws their ports if it published them).
    pub fn shutdown(mut self) {
        if self.published {
            let path = serve::ports_path(&self.dir);
            if serve::load_ports(&path).is_ok_and(|p| p.pid == std::process::id()) {
                let _ = std::fs::remove_file(&path);
            }
        }
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown());
        }
        for e in std::mem::take(&mut self.endpoints) {
            self.rt.block_on(async {
                if let Some(g) = e.gateway {
                    g.shutdown().await;
                }
                for r in e.servers {
                    r.shutdown().await;
                }
            });
        }
    }
}

/// Says which lab and which of its servers or gateways could not start.
fn in_lab(lab: &Lab, what: &str, e: Error) -> Error {
    Error::Network(format!("lab `{}`: {what} could not start: {e}", lab.id))
}

/// One server of the scenario, with its session settings, reporting its name as the server.
async fn serve_one(
    dir: &Path,
    manifest: &Manifest,
    scenario: &str,
    id: &str,
    session: SessionOptions,
) -> Result<(Running, SocketAddr)> {
    let opts = ServeOptions {
        port_base: 0,
        scenarios: vec![scenario.to_string()],
        log: false,
        sni_router: false,
        session,
        server_id: Some(id.to_string()),
        ..ServeOptions::default()
    };
    let r = serve::start(dir, manifest, &opts).await?;
    let addr = r.addr(scenario).ok_or_else(|| Error::Network(format!("server {id} did not start")))?;
    Ok((r, addr))
}

async fn start_server(dir: &Path, manifest: &Manifest, s: &LabServer, work: &Path) -> Result<Started> {
    let (r, addr) = serve_one(dir, manifest, &s.scenario, &s.name, s.session.options(work)).await?;
    Ok(Started {
        label: format!("server:{}", s.name),
        scenario: s.scenario.clone(),
        addr,
        servers: vec![r],
        gateway: None,
    })
}

/// Backends `backend-1` … `backend-N` (as `pki-lab gateway` names them), then the gateway.
async fn start_gateway(dir: &Path, manifest: &Manifest, g: &LabGateway, work: &Path) -> Result<Started> {
    let mut servers = Vec::new();
    let mut backends = Vec::new();
    for i in 1..=g.backends {
        let id = format!("backend-{i}");
        let (r, addr) = serve_one(dir, manifest, &g.scenario, &id, g.session.options(work)).await?;
        servers.push(r);
        backends.push(Backend { id, addr });
    }
    let (tls, backend_tls) = if g.mode == Mode::TerminateSticky {
        let entry = manifest
            .scenarios
            .iter()
            .find(|s| s.name == g.scenario)
            .ok_or_else(|| Error::Input(format!("scenario {} is not in the lab", g.scenario)))?;
        // The gateway's own session state is in its memory, whatever its backends do.
        let tls = serve::server_config(dir, entry, &SessionOptions::default())?;
        (Some(tls), Some(gateway::backend_client(dir)?))
    } else {
        (None, None)
    };
    let gw = gateway::start(GatewayOptions {
        bind: std::net::IpAddr::from([127, 0, 0, 1]),
        port: 0,
        mode: g.mode,
        backends,
        vnodes: GATEWAY_VNODES,
        health_interval: GATEWAY_HEALTH,
        tls,
        backend_tls,
        idle_timeout: std::time::Duration::from_secs(30),
        log: false,
    })
    .await?;
    Ok(Started {
        label: format!("gateway:{}", g.name),
        scenario: g.scenario.clone(),
        addr: gw.addr,
        servers,
        gateway: Some(gw),
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(v)?)
}
