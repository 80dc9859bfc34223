//! The `pki-lab` binary: parse the command line, run it, print the error, pick the exit code.

use clap::Parser;

fn main() {
    sigpipe::reset();
    let cli = pki_lab::cli::Cli::parse();
    match pki_lab::commands::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
