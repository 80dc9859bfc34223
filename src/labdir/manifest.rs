//! `manifest.json`: the lab described for other programs. Versioned by `schema`; see the README
//! section "The manifest" for every field. Fields are only ever added within a schema version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clients::{ClientId, ClientOutcome};

use crate::catalogue::rules::{RuleId, Step};
use crate::catalogue::template::{Expect, KeyPolicy, TlsVersion};
use crate::pki::issue::Anchor;
use crate::pki::keys::KeyType;

/// Bumped when a field changes meaning or disappears.
pub const SCHEMA: &str = "pki-lab/manifest/v1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`SCHEMA`] for this layout.
    pub schema: String,
    /// `pki-lab <version>` that wrote the file.
    pub generator: String,
    /// When the scenarios were issued (RFC 3339, UTC). Relative validities count from here.
    pub issued_at: String,
    /// The host name every scenario is verified against.
    pub host: String,
    /// Default key type of the lab (CAs and scenarios that pin none).
    pub key_type: KeyType,
    pub ca: CaInfo,
    pub scenarios: Vec<ScenarioEntry>,
    /// Scenarios of the catalogue not issued yet: those with RSA keys, which take most of
    /// `init`'s time. The first command that opens the lab (`serve`, `probe`, `scenarios`, `lab`,
    /// `issue`, …) issues them, or `init --complete` at once; then they are in `scenarios`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaInfo {
    /// The root to trust (path relative to the lab directory).
    pub root: String,
    pub root_sha256: String,
    pub intermediate: String,
    /// The root nobody trusts.
    pub rogue_root: String,
    /// CRLs at the lab root, by issuer.
    pub root_crl: String,
    pub intermediate_crl: String,
    /// Both CRLs in one file (`curl --crlfile`, which checks every certificate of the chain).
    #[serde(default)]
    pub crls: String,
    /// Names and CIDR ranges the root may issue for; `null` when unconstrained.
    pub permitted: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioEntry {
    pub name: String,
    pub summary: String,
    /// The rule id this scenario breaks; `null` for controls.
    pub rule: Option<RuleId>,
    /// The handshake step where it breaks; `null` for controls.
    pub step: Option<Step>,
    /// Which root the chain ends at: `root`, `rogue-root`, `none` (self-signed) or `scenario`
    /// (its own, `files.anchor`).
    pub anchor: Anchor,
    pub key_type: KeyType,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub sans: Vec<String>,
    pub serve: ServeInfo,
    pub files: Files,
    pub expect: Expect,
    /// Not a control though no rule is broken: why some clients refuse it (see the template).
    #[serde(default)]
    pub lesson: Option<String>,
    /// What each real client did with the scenario against `pki-lab serve`, measured
    /// (`templates/clients.json`); empty for templates the measurement does not know.
    #[serde(default)]
    pub clients: BTreeMap<ClientId, ClientOutcome>,
}

impl ScenarioEntry {
    /// The root a client is told to trust for this scenario: its own anchor, else the lab's.
    pub fn trusted_root<'a>(&'a self, ca: &'a CaInfo) -> &'a str {
        self.files.anchor.as_deref().unwrap_or(&ca.root)
    }

    /// Whether the scenario's CRL is its own (`crl:`) rather than one the lab publishes.
    pub fn has_own_crl(&self) -> bool {
        self.files.crl_issuer.is_some()
    }

    /// Every client must accept a control: it breaks no rule and is no lesson.
    pub fn is_control(&self) -> bool {
        self.rule.is_none() && self.lesson.is_none()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServeInfo {
    /// Number of certificates the server sends (leaf included).
    pub chain_len: usize,
    pub key: KeyPolicy,
    /// Accepted TLS versions; empty means 1.2 and 1.3.
    pub versions: Vec<TlsVersion>,
    pub client_auth: bool,
    /// `pki-lab probe` presents the scenario's client certificate by default.
    #[serde(default)]
    pub probe_client_cert: bool,
}

/// Paths relative to the lab directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Files {
    pub cert: String,
    /// The key the server uses (0600).
    pub key: String,
    /// Exactly what the server sends.
    pub chain: String,
    /// The path up to and including its root (if any).
    pub fullchain: String,
    /// The certificate's own key, when the server signs with another (key-mismatch).
    pub leaf_key: Option<String>,
    /// The CRL to check this leaf against: the lab CRL that lists it (`revoked`), or the
    /// scenario's own (`scenarios/<name>/crl.pem`, from its template's `crl:`).
    pub crl: Option<String>,
    /// Every CRL to check the whole chain against, in one file (`curl --crlfile`): the lab's
    /// `crls.pem`, or `scenarios/<name>/crls.pem` (its own CRL, then the lab's) for a scenario
    /// with a CRL of its own; absent when `crl` is.
    #[serde(default)]
    pub crls: Option<String>,
    /// The CA that issued the scenario's own CRL (`scenarios/<name>/crl-issuer.pem`), for
    /// clients that check a CRL against their CA file (gnutls-cli).
    #[serde(default)]
    pub crl_issuer: Option<String>,
    /// The scenario's own root (`scenarios/<name>/anchor.pem`), trusted in place of `ca.root`
    /// whenever this scenario is verified (`anchor` is `scenario`).
    #[serde(default)]
    pub anchor: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub client_chain: Option<String>,
}
