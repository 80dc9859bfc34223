//! `pki-lab gateway`: N backends (started here, or given) behind one load-balancing gateway.

use std::collections::BTreeMap;
use std::path::Path;

use time::OffsetDateTime;

use super::serve::{ensure_lab, wait_for_signal};
use super::{runtime, seconds};
use crate::cli::GatewayArgs;
use crate::error::{Error, Result, suggest};
use crate::serve::gateway::{self, Backend, GatewayOptions, Mode};
use crate::serve::session::SessionOptions;
use crate::serve::{self, ServeOptions};

/// What `<lab>/gateway.json` (and `--ports-file`) hold.
#[derive(Debug, serde::Serialize)]
struct GatewayPorts {
    schema: &'static str,
    pid: u32,
    mode: Mode,
    gateway: String,
    backends: BTreeMap<String, String>,
}

pub(crate) fn gateway(dir: &Path, args: GatewayArgs, now: OffsetDateTime) -> Result<i32> {
    let manifest = ensure_lab(dir, now)?;
    let entry = manifest.scenarios.iter().find(|s| s.name == args.scenario).ok_or_else(|| Error::UnknownScenario {
        name: args.scenario.clone(),
        suggestion: suggest(&args.scenario, manifest.scenarios.iter().map(|s| s.name.as_str())),
    })?;
    let external = parse_backends(&args.external)?;
    if external.is_empty() && args.backends == 0 {
        return Err(Error::Usage("--backends: expected at least 1".into()));
    }
    let health = seconds(args.health_interval, "--health-interval")?;
    let idle = seconds(args.idle_timeout, "--idle-timeout")?;
    let rt = runtime()?;
    rt.block_on(async {
        // Backends: each its own server (own session cache or tickets unless shared).
        let mut running = Vec::new();
        let mut backends = external;
        if backends.is_empty() {
            for i in 1..=args.backends {
                let id = format!("backend-{i}");
                let opts = ServeOptions {
                    port_base: 0,
                    scenarios: vec![args.scenario.clone()],
                    log: false,
                    sni_router: false,
                    session: args.session.options(),
                    server_id: Some(id.clone()),
                    ..ServeOptions::default()
                };
                let r = serve::start(dir, &manifest, &opts).await?;
                let addr = r.addr(&args.scenario).ok_or_else(|| Error::Network("backend did not start".into()))?;
                backends.push(Backend { id, addr });
                running.push(r);
            }
        }
        let (tls, backend_tls) = if args.mode == Mode::TerminateSticky {
            (Some(serve::server_config(dir, entry, &SessionOptions::default())?), Some(gateway::backend_client(dir)?))
        } else {
            (None, None)
        };
        let gw = gateway::start(GatewayOptions {
            bind: args.bind,
            port: args.port,
            mode: args.mode,
            backends: backends.clone(),
            vnodes: args.vnodes.max(1),
            health_interval: health,
            tls,
            backend_tls,
            idle_timeout: idle,
            log: !args.quiet,
        })
        .await?;

        let ports = GatewayPorts {
            schema: "pki-lab/gateway/v1",
            pid: std::process::id(),
            mode: args.mode,
            gateway: gw.addr.to_string(),
            backends: backends.iter().map(|b| (b.id.clone(), b.addr.to_string())).collect(),
        };
        let json = serde_json::to_string_pretty(&ports)? + "\n";
        crate::labdir::fsutil::write_atomic(&dir.join("gateway.json"), json.as_bytes(), crate::labdir::fsutil::PUBLIC)?;
        if let Some(f) = &args.ports_file {
            crate::labdir::fsutil::write_atomic(f, json.as_bytes(), crate::labdir::fsutil::PUBLIC)?;
        }
        outln!("gateway  https://localhost:{}/  ({}, scenario {})", gw.addr.port(), args.mode.as_str(), args.scenario)?;
        for b in &backends {
            outln!("  {}  {}", b.id, b.addr)?;
        }
        outln!("probe it: pki-lab probe localhost:{} --resume --connections 4", gw.addr.port())?;

        wait_for_signal().await;
        gw.shutdown().await;
        for r in running {
            r.shutdown().await;
        }
        let _ = std::fs::remove_file(dir.join("gateway.json"));
        eprintln!("stopped");
        Ok(0)
    })
}

/// `ID=HOST:PORT` strings.
fn parse_backends(specs: &[String]) -> Result<Vec<Backend>> {
    specs
        .iter()
        .map(|s| {
            let (id, addr) = s
                .split_once('=')
                .ok_or_else(|| Error::Usage(format!("--backend: expected ID=HOST:PORT, found `{s}`")))?;
            let addr = std::net::ToSocketAddrs::to_socket_addrs(addr)
                .ok()
                .and_then(|mut a| a.next())
                .ok_or_else(|| Error::Usage(format!("--backend {s}: `{addr}` is not a reachable HOST:PORT")))?;
            Ok(Backend { id: id.to_string(), addr })
        })
        .collect()
}
