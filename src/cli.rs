//! Command-line definitions (clap). Each flag is documented where it is defined; `--help`
//! shows the same text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::keys::KeyType;

#[derive(Debug, Parser)]
#[command(
    name = "pki-lab",
    version,
    about = "A local CA and deliberately broken TLS scenarios, each breaking exactly one rule a client checks",
    after_help = "Start with `pki-lab init`, then `pki-lab scenarios` and `pki-lab inspect expired`."
)]
pub struct Cli {
    /// Lab directory [default: $PKI_LAB_HOME, else the user's data directory + /pki-lab]
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the lab: a root CA, an intermediate, a rogue root, and every scenario
    Init(InitArgs),
    /// List the scenario catalogue: what each breaks and what clients do with it
    Scenarios(ScenariosArgs),
    /// Describe a certificate or chain (a PEM file or a scenario name) for a human
    Inspect(InspectArgs),
    /// Start a TLS test server for each scenario (initialising a lab if there is none)
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Scenarios to serve [default: all]
    pub scenarios: Vec<String>,

    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,

    /// The SNI router listens here and scenario i on BASE+1+i, in catalogue order; 0 picks free ports
    #[arg(long, default_value_t = crate::serve::DEFAULT_PORT_BASE)]
    pub port_base: u16,

    /// Also write the chosen ports as JSON to FILE (they are always in <lab>/serve.json)
    #[arg(long, value_name = "FILE")]
    pub ports_file: Option<PathBuf>,

    /// Close connections that have not completed the handshake after this many seconds
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub handshake_timeout: f64,

    /// Close keep-alive connections idle for this many seconds
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub idle_timeout: f64,

    /// Do not log each handshake to stderr
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Replace an existing lab, CA included (the old keys are deleted)
    #[arg(long, conflicts_with = "renew")]
    pub force: bool,

    /// Re-issue every scenario under the existing CA (keeps ca.pem; use when `valid` nears expiry)
    #[arg(long)]
    pub renew: bool,

    /// Key type of the CAs and of scenarios that do not pin one
    #[arg(long, value_enum, default_value_t = KeyType::P256)]
    pub key_type: KeyType,

    /// Also allow the root to issue for NAME (a DNS name, covering its subdomains, or a CIDR range); repeatable
    #[arg(long = "permit", value_name = "NAME")]
    pub permit: Vec<String>,

    /// Do not name-constrain the root (a leaked lab key could then impersonate any site)
    #[arg(long, conflicts_with = "permit")]
    pub no_name_constraints: bool,

    /// Directory of extra scenario profiles (*.yaml); a profile named like a built-in replaces it
    #[arg(long, value_name = "DIR")]
    pub profiles: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScenariosArgs {
    /// Print JSON (the profiles, in catalogue order) instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A PEM file (one certificate or a chain) or the name of a scenario of the lab
    pub target: String,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}
