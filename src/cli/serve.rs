//! `pki-lab serve`: start the servers, print where they are, stop on Ctrl-C or SIGTERM.

use std::path::Path;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::row;
use crate::cli::ServeArgs;
use crate::cli::output::table;
use crate::error::{Error, Result};
use crate::labdir::manifest::Manifest;

/// The lab's manifest, creating a lab first if there is none (servers need certificates).
pub(crate) fn ensure_lab(dir: &Path, now: OffsetDateTime) -> Result<Manifest> {
    super::init::auto_init(dir, now)?;
    let manifest = super::open_lab(dir, now)?;
    warn_if_stale(&manifest, now);
    // Idle connections each hold a descriptor; the default soft limit (often 1024) is too low.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    Ok(manifest)
}

pub(crate) fn serve(dir: &Path, args: ServeArgs, now: OffsetDateTime) -> Result<i32> {
    use crate::serve::{self, ServeOptions};
    let manifest = ensure_lab(dir, now)?;
    let secs = super::seconds;
    let opts = ServeOptions {
        bind: args.bind,
        port_base: args.port_base,
        handshake_timeout: secs(args.handshake_timeout, "--handshake-timeout")?,
        idle_timeout: secs(args.idle_timeout, "--idle-timeout")?,
        scenarios: args.scenarios.clone(),
        log: !args.quiet,
        sni_router: true,
        session: args.session.options(),
        server_id: args.server_id.clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("starting the async runtime: {e}")))?;
    rt.block_on(async {
        let running = serve::start(dir, &manifest, &opts).await?;
        let json = serde_json::to_string_pretty(&running.ports)? + "\n";
        let ports_path = serve::ports_path(dir);
        crate::labdir::fsutil::write_atomic(&ports_path, json.as_bytes(), crate::labdir::fsutil::PUBLIC)?;
        if let Some(f) = &args.ports_file {
            crate::labdir::fsutil::write_atomic(f, json.as_bytes(), crate::labdir::fsutil::PUBLIC)?;
        }
        print_ready(dir, &manifest, &running.ports)?;
        wait_for_signal().await;
        running.shutdown().await;
        if serve::load_ports(&ports_path).is_ok_and(|p| p.pid == std::process::id()) {
            let _ = std::fs::remove_file(&ports_path);
        }
        eprintln!("stopped");
        Ok(0)
    })
}

fn print_ready(dir: &Path, manifest: &Manifest, ports: &crate::serve::Ports) -> Result<()> {
    let host = if ports.bind.is_loopback() { "localhost".to_string() } else { ports.bind.to_string() };
    let rows: Vec<Vec<String>> = manifest
        .scenarios
        .iter()
        .filter_map(|s| {
            let port = ports.scenarios.get(&s.name)?;
            let r = row(&s.name, None, s.rule, &s.summary, &s.expect);
            Some(vec![s.name.clone(), format!("https://{host}:{port}/"), r[3].clone()])
        })
        .collect();
    out!("{}", table(&["SCENARIO", "URL", "EXPECTED"], &rows))?;
    if let Some(sni) = ports.sni {
        outln!("SNI router: https://<scenario>.localhost:{sni}/ (no SNI: valid)")?;
        if ports.scenarios.contains_key(crate::serve::index::HOME_SCENARIO) {
            outln!(
                "in a browser: https://localhost:{sni}/ lists every scenario, https://localhost:{sni}/dashboard tests the browser"
            )?;
        }
    }
    outln!("clients trust {} ; stop with Ctrl-C", dir.join("ca.pem").display())
}

/// Waits for Ctrl-C or SIGTERM.
pub(crate) async fn wait_for_signal() {
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
