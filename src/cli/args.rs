//! Command-line definitions (clap). Each flag is documented where it is defined; `--help`
//! shows the same text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::catalogue::rules::{Expected, Profile};
use crate::pki::keys::KeyType;

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
    /// List the rules a verdict decides: step, class, where each is written, the check
    Rules(RulesArgs),
    /// Describe a certificate, chain or CRL (PEM or DER, or a scenario name) for a human
    Inspect(InspectArgs),
    /// Start a TLS test server for each scenario (initialising a lab if there is none)
    Serve(ServeArgs),
    /// Connect like a client, walk the handshake and name every rule that fails
    ///
    /// Exit codes: 0 the handshake completed and no rule failed (or --expect held); 1 a rule
    /// failed (or --expect differs); 2 bad input or usage; 3 no verdict: the handshake could not
    /// be observed (nothing listens, the server does not speak TLS, it never answers).
    Probe(ProbeArgs),
    /// Evaluate every rule on certificate files, offline, at a chosen time
    Verify(VerifyArgs),
    /// Run a client against every scenario: which rules it enforces, which defects it accepts
    ///
    /// Exit codes: 0 the client refused every scenario the policy requires it to refuse; 1 it
    /// accepted one of them (or, with --compare, the two reports differ); 2 bad input or usage;
    /// 3 no verdict: the client refused the `valid` control, so its refusals say nothing.
    Audit(AuditArgs),
    /// Start N backend servers and a load-balancing gateway in front of them
    Gateway(GatewayArgs),
    /// Lab exercises: list them, show one, work through one, grade answers, validate lab files
    Lab(LabArgs),
    /// Issue a certificate for your own names (or sign a CSR), valid or with a scenario's defect
    Issue(IssueArgs),
    /// Install the lab root into trust stores (system, NSS, Java), remove it, or show where it is
    Trust(TrustArgs),
    /// Print environment variables that make curl, Python, Node, Go, git… trust the lab
    Env(EnvArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the manual page (roff)
    Man(ManArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  pki-lab issue app.test '*.app.test' 127.0.0.1 ::1
  pki-lab issue localhost --like expired --out ./certs/expired
  pki-lab issue alice@app.test --client --p12
  pki-lab issue --csr server.csr --days 30 --out ./certs")]
pub struct IssueArgs {
    /// Names to issue for: DNS names, wildcards (*.app.test), IP addresses, emails, URIs
    #[arg(value_name = "NAME", required_unless_present = "csr")]
    pub names: Vec<String>,

    /// Make the certificate like this catalogue scenario (e.g. expired, wrong-purpose): its defect, your names
    #[arg(long, value_name = "SCENARIO", default_value = "valid", conflicts_with = "csr")]
    pub like: String,

    /// Also allow client authentication (extendedKeyUsage clientAuth), for mutual TLS
    #[arg(long)]
    pub client: bool,

    /// Key type of the certificate [default: the scenario's, else p256]
    #[arg(long, value_enum, conflicts_with = "csr")]
    pub key_type: Option<KeyType>,

    /// Valid for N days from now (an hour's grace before now for clock skew) [default: the scenario's, 90 for valid]
    #[arg(long, value_name = "N", conflicts_with_all = ["not_before", "not_after"])]
    pub days: Option<u32>,

    /// Start of validity: RFC 3339 (2027-01-01T00:00:00Z) or relative to now (-1h, +2d)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub not_before: Option<String>,

    /// End of validity: RFC 3339 or relative to now (+30d; -1d makes an expired certificate)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub not_after: Option<String>,

    /// Directory for cert.pem, key.pem, chain.pem, fullchain.pem [default: <lab>/issued/<first name>]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Also write cert.p12 (key + chain + root) for Java, .NET and browsers
    #[arg(long)]
    pub p12: bool,

    /// Password of the .p12 file [default: $PKI_LAB_P12_PASSWORD, else changeit]
    #[arg(long, value_name = "PW", requires = "p12")]
    pub password: Option<String>,

    /// Sign this certificate signing request (PEM) instead of making a key; its names are checked like NAMEs
    #[arg(long, value_name = "FILE", conflicts_with_all = ["names", "p12"])]
    pub csr: Option<PathBuf>,

    /// Replace existing files in the output directory (the private key included)
    #[arg(long)]
    pub force: bool,

    /// Also print what was made as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrustArgs {
    #[command(subcommand)]
    pub action: TrustAction,

    #[command(flatten)]
    pub stores: TrustStoreArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum TrustAction {
    /// Add the lab root to the stores
    Install,
    /// Remove exactly what install added
    Uninstall,
    /// Say, per store, whether and where the lab root is installed (exit 1 if missing from one)
    Status,
}

#[derive(Debug, Args)]
pub struct TrustStoreArgs {
    /// Stores to act on; repeatable [default: every store available here]
    #[arg(long = "store", value_enum, global = true, value_delimiter = ',')]
    pub stores: Vec<crate::truststore::Store>,

    /// Print the commands and files instead of changing anything
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Name of the root in the stores (file stem, NSS nickname, Java alias) [default: pki-lab-<sha256 prefix>]
    #[arg(long, global = true, value_name = "NAME")]
    pub name: Option<String>,

    /// System store: directory of local CA files [default: the distribution's, e.g. /usr/local/share/ca-certificates]
    #[arg(long, global = true, value_name = "DIR", env = "PKI_LAB_SYSTEM_CA_DIR")]
    pub system_dir: Option<PathBuf>,

    /// System store: command run after a change, split on spaces; "" runs none [default: update-ca-certificates or the distribution's]
    #[arg(long, global = true, value_name = "COMMAND", env = "PKI_LAB_SYSTEM_UPDATE")]
    pub system_update: Option<String>,

    /// System store: the bundle that command writes, checked by status [default: /etc/ssl/certs/ca-certificates.crt or the distribution's]
    #[arg(long, global = true, value_name = "FILE", env = "PKI_LAB_SYSTEM_BUNDLE")]
    pub system_bundle: Option<PathBuf>,

    /// NSS database directory; repeatable [default: ~/.pki/nssdb, Firefox profiles, /etc/pki/nssdb]
    #[arg(long = "nss-db", global = true, value_name = "DIR", env = "PKI_LAB_NSS_DB", value_delimiter = ':')]
    pub nss_dbs: Vec<PathBuf>,

    /// The certutil program
    #[arg(long, global = true, value_name = "PATH", env = "PKI_LAB_CERTUTIL")]
    pub certutil: Option<String>,

    /// Java key store file [default: the JDK's cacerts]
    #[arg(long, global = true, value_name = "FILE", env = "PKI_LAB_JAVA_KEYSTORE")]
    pub java_keystore: Option<PathBuf>,

    /// Password of the Java key store
    #[arg(
        long,
        global = true,
        value_name = "PW",
        env = "PKI_LAB_JAVA_STOREPASS",
        default_value = "changeit",
        hide_env_values = true
    )]
    pub java_storepass: String,

    /// The keytool program
    #[arg(long, global = true, value_name = "PATH", env = "PKI_LAB_KEYTOOL")]
    pub keytool: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "Apply in the current shell:
  sh/bash/zsh:  eval \"$(pki-lab env)\"
  fish:         pki-lab env --shell fish | source
  PowerShell:   pki-lab env --shell powershell | Invoke-Expression")]
pub struct EnvArgs {
    /// Syntax to print
    #[arg(long, value_enum, default_value = "sh")]
    pub shell: crate::truststore::env::Shell,

    /// The system roots to put in the bundle [default: /etc/ssl/certs/ca-certificates.crt or the distribution's]
    #[arg(long, value_name = "FILE", env = "PKI_LAB_SYSTEM_BUNDLE")]
    pub system_bundle: Option<PathBuf>,

    /// Print the lines that remove the variables instead
    #[arg(long)]
    pub unset: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Install, e.g.:
  bash:  pki-lab completions bash > ~/.local/share/bash-completion/completions/pki-lab
  zsh:   pki-lab completions zsh > ~/.zfunc/_pki-lab
  fish:  pki-lab completions fish > ~/.config/fish/completions/pki-lab.fish")]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "Read it with: pki-lab man | man -l -")]
pub struct ManArgs {
    /// A subcommand's page instead of the main one (e.g. issue)
    pub subcommand: Option<String>,
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// How the gateway picks a backend
    #[arg(long, value_enum, default_value_t = crate::serve::gateway::Mode::PassthroughRr)]
    pub mode: crate::serve::gateway::Mode,

    /// Number of backend servers to start (each serves the scenario, with its own id)
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub backends: usize,

    /// Use an already running backend instead of starting them: ID=HOST:PORT; repeatable
    #[arg(long = "backend", value_name = "ID=HOST:PORT")]
    pub external: Vec<String>,

    /// The scenario the backends serve (and the gateway presents when it terminates TLS)
    #[arg(long, default_value = "valid")]
    pub scenario: String,

    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,

    /// Gateway port; 0 picks a free one
    #[arg(long, default_value_t = 8500)]
    pub port: u16,

    /// Also write the gateway's and backends' addresses as JSON to FILE (always in <lab>/gateway.json)
    #[arg(long, value_name = "FILE")]
    pub ports_file: Option<PathBuf>,

    /// Virtual nodes per backend on the consistent-hash ring
    #[arg(long, default_value_t = 100)]
    pub vnodes: usize,

    /// Seconds between attempts to reach a backend that is down
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub health_interval: f64,

    /// Close a connection after this many seconds without progress: a passthrough tunnel with no
    /// byte either way; in terminate-sticky mode, a wait for a request, the rest of a request, or
    /// a write the client does not read
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub idle_timeout: f64,

    /// Session settings of the backends started here
    #[command(flatten)]
    pub session: SessionArgs,

    /// Do not log connections to stderr
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
// Both forms, so that `pki-lab probe` alone shows `--all` too (clap's usage names only TARGETS).
#[command(override_usage = "pki-lab probe [OPTIONS] <TARGETS>...\n       pki-lab probe [OPTIONS] --all")]
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

    /// Exit 1 unless exactly these rules fail (comma-separated ids), or nothing does (`pass`);
    /// exit 3 when the handshake could not be observed, whatever is expected
    #[arg(long, value_name = "RULE[,RULE]|pass", value_delimiter = ',')]
    pub expect: Vec<Expected>,

    /// Requests sent over each observed connection (keep-alive)
    #[arg(long, default_value_t = 2)]
    pub requests: usize,

    /// Send `Connection: close`: each request gets its own connection and handshake
    #[arg(long)]
    pub close: bool,

    /// Sequential connections to make (with --resume, the later ones may resume the first)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub connections: usize,

    /// Keep the client's session cache between connections (implies --connections 2 unless given)
    #[arg(long)]
    pub resume: bool,

    /// Connect from this local address (e.g. 127.0.0.2, to look like another client to a gateway)
    #[arg(long, value_name = "IP")]
    pub source: Option<std::net::IpAddr>,

    /// Append the TLS secrets to FILE in SSLKEYLOGFILE format, so Wireshark can decrypt a capture
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,

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

    /// The most intermediates a path may have, self-issued ones not counted (chain.max-depth)
    /// [default: 6, as webpki]
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,

    /// Exit 1 unless exactly these rules fail (comma-separated ids), or nothing does (`pass`)
    #[arg(long, value_name = "RULE[,RULE]|pass", value_delimiter = ',')]
    pub expect: Vec<Expected>,

    /// Which failures fail the verdict: `rfc5280` (the must rules), `webpki` (and the Baseline
    /// Requirements), `strict` (every rule); every rule is reported whatever the profile
    #[arg(long, default_value = "strict", value_name = "PROFILE")]
    pub profile: Profile,

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

    /// Close keep-alive connections idle for this many seconds; also the limit for receiving the
    /// rest of a request once it has started (408), and for each response the client does not read
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub idle_timeout: f64,

    /// Do not log each handshake to stderr
    #[arg(long)]
    pub quiet: bool,

    #[command(flatten)]
    pub session: SessionArgs,

    /// Name this server reports in its pages and log (to tell several servers apart)
    #[arg(long, value_name = "NAME")]
    pub server_id: Option<String>,
}

/// Where resumable TLS session state lives on the server.
#[derive(Debug, Clone, Args)]
pub struct SessionArgs {
    /// Session cache: `memory` (per server), `none`, or a shared `redis://HOST:PORT`
    #[arg(long, default_value = "memory", value_name = "STORE")]
    pub session_store: crate::serve::session::SessionStore,

    /// Issue stateless session tickets, encrypted with a key of this server only
    #[arg(long, conflicts_with = "ticket_key")]
    pub tickets: bool,

    /// Issue session tickets encrypted with the key in FILE (created if missing), shared by every server given it
    #[arg(long, value_name = "FILE")]
    pub ticket_key: Option<PathBuf>,
}

impl SessionArgs {
    pub fn options(&self) -> crate::serve::session::SessionOptions {
        use crate::serve::session::Tickets;
        let tickets = match (&self.ticket_key, self.tickets) {
            (Some(path), _) => Tickets::Shared(path.clone()),
            (None, true) => Tickets::PerServer,
            (None, false) => Tickets::Off,
        };
        crate::serve::session::SessionOptions { store: self.session_store.clone(), tickets }
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Replace an existing lab, CA included (the old keys are deleted)
    #[arg(long, conflicts_with = "renew")]
    pub force: bool,

    /// Re-issue every scenario under the existing CA (keeps ca.pem; use when `valid` nears expiry)
    #[arg(long)]
    pub renew: bool,

    /// Issue the scenarios with RSA keys now too; otherwise the first command that opens the lab
    /// does (`serve`, `probe`, `scenarios`, …), as their keys take most of init's time
    #[arg(long)]
    pub complete: bool,

    /// Key type of the CAs and of scenarios that do not pin one
    #[arg(long, value_enum, default_value_t = KeyType::P256)]
    pub key_type: KeyType,

    /// Also allow the root to issue for NAME (a DNS name, covering its subdomains, or a CIDR range); repeatable
    #[arg(long = "permit", value_name = "NAME")]
    pub permit: Vec<String>,

    /// Do not name-constrain the root (a leaked lab key could then impersonate any site)
    #[arg(long, conflicts_with = "permit")]
    pub no_name_constraints: bool,

    /// Directory of extra scenario templates (*.yaml); a template named like a built-in replaces it
    #[arg(long, value_name = "DIR", alias = "profiles")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScenariosArgs {
    /// Print JSON (the templates, in catalogue order) instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Classes: must (a MUST of RFC 5280, RFC 9525 or RFC 8446 for the validator), baseline (a CA/Browser
Forum Baseline Requirement), some-clients (a policy only some clients apply). Decided: offline (from
files: verify, and probe on the chain sent) or live (only in a handshake: probe)."
)]
pub struct RulesArgs {
    /// Print JSON (every rule with id, step, kind, class, source and check, in table order)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A certificate file (one certificate or a chain) or a CRL, PEM or DER, or the name of a
    /// scenario of the lab
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

#[derive(Debug, Args)]
#[command(after_help = "Placeholders: {url} {host} {port} {ca} {crl} {client_cert} {client_key}. \
A placeholder with no value for a scenario ({crl} without a CRL, {client_cert} without a client \
certificate) drops its argument, and the option before it (`--cert {client_cert}`).

Examples:
  pki-lab audit --client python-requests
  pki-lab audit -- curl -sS --cacert {ca} {url}
  pki-lab audit --policy strict --json -- curl -sS --cacert {ca} --crlfile {crl} {url} > curl.json
  pki-lab audit --scenario expired --scenario cn-only -- python3 my_client.py {host} {port} {ca}
  pki-lab audit --compare before.json after.json")]
pub struct AuditArgs {
    /// The client command; exit status 0 means it accepted the scenario
    #[arg(last = true, value_name = "CMD", required_unless_present_any = ["compare", "client"])]
    pub command: Vec<String>,

    /// A built-in client instead of a command: openssl-s-client, curl, rustls, python-ssl,
    /// python-requests, go, node, java, gnutls, wget, chromium
    #[arg(long, value_name = "NAME", conflicts_with = "command")]
    pub client: Option<String>,

    /// Audit only this scenario (repeatable) [default: all; `valid` is always run as the reference]
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,

    /// Which refusals are required for exit 0: baseline (the scenarios every measured client
    /// refuses, from the manifest), or a `verify --profile`: rfc5280 (the `must` rules), webpki
    /// (`must` and `baseline`), strict (every broken scenario)
    #[arg(long, value_enum, default_value_t = crate::audit::Policy::Baseline)]
    pub policy: crate::audit::Policy,

    /// Seconds one run of the client may take before it is killed (an error, not a refusal)
    #[arg(long, value_name = "S", default_value_t = 20.0)]
    pub timeout: f64,

    /// Print the report as JSON (the input of --compare)
    #[arg(long)]
    pub json: bool,

    /// Show two saved reports (`audit --json`) side by side instead of running a client
    #[arg(long, num_args = 2, value_names = ["A.json", "B.json"], conflicts_with_all = ["command", "scenarios", "client"])]
    pub compare: Option<Vec<PathBuf>>,
}
