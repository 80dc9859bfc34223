//! The `pki-lab` binary: parse the command line, run it, print the error, pick the exit code.

use clap::Parser;

fn main() {
    quiet_on_broken_pipe();
    let cli = pki_lab::cli::Cli::parse();
    match pki_lab::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}

/// `pki-lab … | head`: when the reader goes away, `println!` panics with "Broken pipe". End
/// quietly instead, with the status a shell gives a process killed by SIGPIPE. (Restoring the
/// default SIGPIPE action instead would also kill the process when a TLS peer closes a socket
/// it is writing to, which probes do all the time.)
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
