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
    /// Connect like a client, walk the handshake and name every rule that fails
    Probe(ProbeArgs),
    /// Evaluate every rule on certificate files, offline, at a chosen time
    Verify(VerifyArgs),
    /// Lab exercises: list them, show one, work through one, grade answers, validate lab files
    Lab(LabArgs),
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Scenario names (found through the running `pki-lab serve`), host:port or https:// URLs
    #[arg(required_unless_present = "all")]
    pub targets: Vec<String>,

    /// Probe every scenario of the running lab and compare each with the manifest
    #[arg(long, conflicts_with = "targets")]
    pub all: bool,

    /// Root certificate(s) to trust [default: the lab's ca.pem]
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    /// Server name to send (SNI) and verify [default: localhost for scenarios, else the target's host]
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,

    /// CRL file(s) to check revocation against [default for scenarios: the lab's CRLs]; repeatable
    #[arg(long = "crl", value_name = "FILE")]
    pub crls: Vec<PathBuf>,

    /// Directory with the client certificate (cert.pem or chain.pem) and key.pem to present
    #[arg(long, value_name = "DIR")]
    pub client_cert: Option<PathBuf>,

    /// Offer TLS 1.2 only
    #[arg(long, conflicts_with = "tls13")]
    pub tls12: bool,

    /// Offer TLS 1.3 only
    #[arg(long)]
    pub tls13: bool,

    /// Exit 1 unless exactly these rules fail (comma-separated ids), or nothing does (`pass`)
    #[arg(long, value_name = "RULE[,RULE]|pass", value_delimiter = ',')]
    pub expect: Vec<String>,

    /// Requests sent over the one observed connection (keep-alive)
    #[arg(long, default_value_t = 2)]
    pub requests: usize,

    /// Seconds allowed for connecting, the handshake and each response
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub timeout: f64,

    /// Print JSON (one report, or an array for several targets)
    #[arg(long)]
    pub json: bool,

    /// With --all: print every report, not only the summary table
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The leaf certificate (PEM); further certificates in the file count as sent intermediates
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,

    /// Intermediates, as a server would send them (PEM)
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,

    /// Root certificate(s) to trust [default: the lab's ca.pem]
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    /// The host name to verify
    #[arg(long, value_name = "NAME")]
    pub host: String,

    /// Evaluate at this time (RFC 3339, e.g. 2027-01-01T00:00:00Z) instead of now
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// CRL file(s) to check revocation against; repeatable
    #[arg(long = "crl", value_name = "FILE")]
    pub crls: Vec<PathBuf>,

    /// Exit 1 unless exactly these rules fail (comma-separated ids), or nothing does (`pass`)
    #[arg(long, value_name = "RULE[,RULE]|pass", value_delimiter = ',')]
    pub expect: Vec<String>,

    /// Print JSON
    #[arg(long)]
    pub json: bool,
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

#[derive(Debug, Args)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// List the built-in labs, in the order to do them
    List(LabListArgs),
    /// Describe a lab: its goal, prerequisites, scenarios and steps (not the answers)
    Show(LabShowArgs),
    /// Work through a lab in the terminal, one step at a time; progress is saved and resumed
    Run(LabRunArgs),
    /// Grade a lab from an answers file without asking anything (exit 0 all pass, 1 otherwise)
    Check(LabCheckArgs),
    /// Check lab files for mistakes, reported with file:line:column (for lab authors)
    Validate(LabValidateArgs),
}

#[derive(Debug, Args)]
pub struct LabListArgs {
    /// Print JSON: every lab with its goal, scenarios and the rules and steps it covers
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LabShowArgs {
    /// A built-in lab id (see `pki-lab lab list`) or the path of a lab file
    pub lab: String,
}

#[derive(Debug, Args)]
pub struct LabRunArgs {
    /// A built-in lab id (see `pki-lab lab list`) or the path of a lab file
    pub lab: String,

    /// Forget the saved progress and start at the first step (files in work/ stay)
    #[arg(long)]
    pub restart: bool,
}

#[derive(Debug, Args)]
pub struct LabCheckArgs {
    /// A built-in lab id (see `pki-lab lab list`) or the path of a lab file
    pub lab: String,

    /// YAML file mapping step ids to answers and task inputs (see labs/README.md)
    #[arg(long, value_name = "FILE")]
    pub answers: PathBuf,

    /// Run the `shell:` scripts of the answers (they run with your permissions: trust the file first)
    #[arg(long)]
    pub allow_shell: bool,

    /// Print JSON: every step with its grade, the command run and what it observed
    #[arg(long)]
    pub json: bool,

    /// Also print each check's command and every comparison, not only the first difference
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct LabValidateArgs {
    /// Lab files to check
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}
