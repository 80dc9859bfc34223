//! The `pki-lab` binary: parse the command line, run it, print the error, pick the exit code.

use clap::Parser;

fn main() {
    let cli = pki_lab::cli::Cli::parse();
    match pki_lab::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        // `pki-lab … | head`: the reader has what it wanted; nothing to report.
        Err(e @ pki_lab::Error::BrokenPipe) => std::process::exit(e.exit_code()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
