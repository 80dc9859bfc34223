//! The scenario catalogue: one declarative YAML template per scenario, under `templates/`.
//!
//! The built-in templates are embedded in the binary at build time (see `build.rs`); a user can
//! copy one, change it and load it with [`Catalogue::with_dir`]. A template says which rule it
//! breaks (or none, for controls), how its certificates are made, what the server sends, and
//! what real clients do with it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::catalogue::rules::{RuleId, Step};
use crate::error::{Error, Result, suggest};
use crate::pki::keys::KeyType;

/// One scenario, as written in `templates/<name>.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Template {
    /// Scenario name; must equal the file name without `.yaml`.
    pub name: String,
    /// One line for the catalogue table.
    pub summary: String,
    /// The rule id this scenario breaks (see `rules.rs`); absent for controls.
    #[serde(default)]
    pub breaks: Option<RuleId>,
    /// Which CA issues the first certificate below it.
    #[serde(default)]
    pub issuer: IssuerRef,
    /// Extra CA certificates made for this scenario only, from the top down, below `issuer`.
    #[serde(default)]
    pub cas: Vec<CaSpec>,
    #[serde(default)]
    pub leaf: LeafSpec,
    #[serde(default)]
    pub serve: ServeSpec,
    /// A client certificate to issue alongside (for mutual-TLS scenarios).
    #[serde(default)]
    pub client_cert: Option<ClientCertSpec>,
    /// A root made for this scenario alone, trusted in place of the lab's `ca.pem` when the
    /// scenario is verified (`scenarios/<name>/anchor.pem`); needs `issuer: root`.
    #[serde(default)]
    pub anchor: Option<AnchorSpec>,
    /// A CRL made for this scenario alone by the leaf's issuer, one of `cas:`
    /// (`scenarios/<name>/crl.pem`), checked beside the lab's CRLs.
    #[serde(default)]
    pub crl: Option<CrlSpec>,
    /// Not a control, though it breaks no rule: a correct scenario some clients refuse, and why
    /// (`ed25519-leaf`: no browser speaks Ed25519 in TLS).
    #[serde(default)]
    pub lesson: Option<String>,
    /// What real clients do with this scenario.
    pub expect: Expect,
}

/// The lab CAs a template can name as its issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssuerRef {
    /// The trusted root itself.
    Root,
    /// The lab's intermediate CA (signed by the root); the usual issuer.
    #[default]
    Intermediate,
    /// The rogue root no client trusts.
    RogueRoot,
    /// The leaf signs itself.
    #[serde(rename = "self")]
    SelfSigned,
}

/// A CA certificate made for one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CaSpec {
    /// Subject common name.
    pub name: String,
    /// basicConstraints CA:TRUE (false makes an "issuer that is not a CA").
    #[serde(default = "yes")]
    pub ca: bool,
    #[serde(default)]
    pub path_len: Option<u8>,
    #[serde(default = "Validity::ca")]
    pub validity: Validity,
    /// DNS names and IP ranges (CIDR) the CA may issue for; empty means unconstrained.
    #[serde(default)]
    pub permitted: Vec<String>,
    /// Key algorithm; absent means the lab's `--key-type`.
    #[serde(default)]
    pub key: Option<KeyType>,
    /// Pad `permitted` with generated `pad-N.invalid` names up to this many entries (a heavy
    /// constraint set, for the comparison budget).
    #[serde(default)]
    pub permitted_count: Option<usize>,
    /// DNS names and IP ranges the CA may not issue for.
    #[serde(default)]
    pub excluded: Vec<String>,
    /// keyUsage bits; absent means keyCertSign, cRLSign and digitalSignature.
    #[serde(default)]
    pub key_usage: Option<Vec<KeyUsage>>,
    /// extendedKeyUsage purposes; empty (the default) leaves the extension out.
    #[serde(default)]
    pub eku: Vec<Eku>,
    /// Edits of the signed certificate rcgen cannot make (see [`Defect`]).
    #[serde(default)]
    pub defects: Vec<Defect>,
}

/// The scenario's own trust anchor: a self-signed root with the lab's key type and no name
/// constraints (the lab root's `--permit` does not apply to it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AnchorSpec {
    #[serde(default = "Validity::ca")]
    pub validity: Validity,
    /// keyUsage bits; absent means keyCertSign, cRLSign and digitalSignature.
    #[serde(default)]
    pub key_usage: Option<Vec<KeyUsage>>,
    /// Edits of the signed root (re-signed with its own key), as for `cas:`.
    #[serde(default)]
    pub defects: Vec<Defect>,
}

/// The scenario's own CRL, issued by the leaf's issuer. It lists nothing: its defect is the
/// list itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CrlSpec {
    #[serde(default = "CrlSpec::default_this_update")]
    pub this_update: RelTime,
    #[serde(default = "CrlSpec::default_next_update")]
    pub next_update: RelTime,
    /// An issuingDistributionPoint that limits what the CRL covers.
    #[serde(default)]
    pub scope: Option<CrlScope>,
    #[serde(default)]
    pub defects: Vec<CrlDefect>,
}

impl CrlSpec {
    fn default_this_update() -> RelTime {
        RelTime::seconds(-3600)
    }
    fn default_next_update() -> RelTime {
        RelTime::seconds(30 * 86400)
    }
}

/// What an issuingDistributionPoint says the CRL holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrlScope {
    /// onlyContainsCACerts: it does not cover an end-entity certificate.
    CaCertsOnly,
    /// onlyContainsUserCerts: it does not cover a CA certificate.
    UserCertsOnly,
}

/// Edits of a signed CRL rcgen will not make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrlDefect {
    /// A bit of the signature flipped after signing.
    TamperSignature,
    /// The cRLNumber extension left out (re-signed).
    NoCrlNumber,
    /// The cRLNumber extension marked critical (re-signed).
    CrlNumberCritical,
    /// Signed although the issuer's keyUsage lacks cRLSign (rcgen refuses; the key signs anyway).
    IgnoreCrlSign,
}

/// The end-entity certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LeafSpec {
    /// Key algorithm; absent means the lab's `--key-type`.
    #[serde(default)]
    pub key: Option<KeyType>,
    /// Subject common name; `{name}` is replaced by the scenario name.
    #[serde(default = "LeafSpec::default_cn")]
    pub cn: String,
    /// subjectAltName entries (DNS names or IP addresses); `{name}` is replaced.
    #[serde(default = "LeafSpec::default_sans")]
    pub sans: Vec<String>,
    /// Pad the SAN list with generated `.test` names up to this many entries.
    #[serde(default)]
    pub san_count: Option<usize>,
    #[serde(default)]
    pub validity: Validity,
    /// basicConstraints CA:TRUE on the leaf.
    #[serde(default)]
    pub ca: bool,
    /// extendedKeyUsage purposes; empty leaves the extension out.
    #[serde(default = "LeafSpec::default_eku")]
    pub eku: Vec<Eku>,
    /// Add a critical extension with this (private, unknown) OID.
    #[serde(default)]
    pub critical_extension: Option<String>,
    /// Flip a bit of the signature after signing.
    #[serde(default)]
    pub tamper_signature: bool,
    /// The hash of the issuer's signature: `sha1` re-signs the leaf with sha1WithRSAEncryption
    /// (the issuer must have an RSA key).
    #[serde(default)]
    pub signature_hash: Option<SignatureHash>,
    /// List the leaf's serial in its issuer's CRL.
    #[serde(default)]
    pub revoked: bool,
    /// keyUsage bits; absent means digitalSignature (and keyEncipherment for RSA keys).
    #[serde(default)]
    pub key_usage: Option<Vec<KeyUsage>>,
    /// dNSName entries written as given, unchecked (for names that are themselves the defect).
    #[serde(default)]
    pub dns_names: Vec<String>,
    /// Edits of the signed certificate rcgen cannot make (see [`Defect`]).
    #[serde(default)]
    pub defects: Vec<Defect>,
    /// With `key: rsa2048`: the RSA modulus size in bits, for sizes aws-lc-rs will not make
    /// (2049); generated by [`crate::pki::legacy`].
    #[serde(default)]
    pub rsa_bits: Option<usize>,
}

impl Default for LeafSpec {
    fn default() -> Self {
        LeafSpec {
            key: None,
            cn: Self::default_cn(),
            sans: Self::default_sans(),
            san_count: None,
            validity: Validity::default(),
            ca: false,
            eku: Self::default_eku(),
            critical_extension: None,
            tamper_signature: false,
            signature_hash: None,
            revoked: false,
            key_usage: None,
            dns_names: Vec::new(),
            defects: Vec::new(),
            rsa_bits: None,
        }
    }
}

impl LeafSpec {
    fn default_cn() -> String {
        "{name}.localhost".into()
    }
    fn default_sans() -> Vec<String> {
        ["localhost", "{name}.localhost", "127.0.0.1", "::1"].map(String::from).to_vec()
    }
    fn default_eku() -> Vec<Eku> {
        vec![Eku::ServerAuth]
    }
}

/// A hash other than the issuer's default for the leaf's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureHash {
    Sha1,
}

/// extendedKeyUsage purposes a template can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Eku {
    ServerAuth,
    ClientAuth,
    CodeSigning,
    EmailProtection,
    /// anyExtendedKeyUsage (2.5.29.37.0).
    Any,
}

/// keyUsage bits a template can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyUsage {
    DigitalSignature,
    KeyEncipherment,
    KeyAgreement,
    KeyCertSign,
    CrlSign,
}

/// An extension a [`Defect`] edits, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Extension {
    SubjectAltName,
    AuthorityKeyIdentifier,
    SubjectKeyIdentifier,
    BasicConstraints,
    KeyUsage,
    ExtendedKeyUsage,
    NameConstraints,
    AuthorityInfoAccess,
    CrlDistributionPoints,
}

impl Extension {
    /// The extension's OID, dotted.
    pub fn oid(self) -> &'static str {
        match self {
            Extension::SubjectAltName => "2.5.29.17",
            Extension::AuthorityKeyIdentifier => "2.5.29.35",
            Extension::SubjectKeyIdentifier => "2.5.29.14",
            Extension::BasicConstraints => "2.5.29.19",
            Extension::KeyUsage => "2.5.29.15",
            Extension::ExtendedKeyUsage => "2.5.29.37",
            Extension::NameConstraints => "2.5.29.30",
            Extension::AuthorityInfoAccess => "1.3.6.1.5.5.7.1.1",
            Extension::CrlDistributionPoints => "2.5.29.31",
        }
    }
}

/// One edit of a signed certificate, made on its DER and re-signed with the issuer's key
/// (`crate::pki::defects`): the defects rcgen, rightly, will not write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Defect {
    /// The serial number's content octets, in hex (`00` zero, `ff01` negative).
    Serial(String),
    /// notBefore and notAfter as GeneralizedTime although they are before 2050.
    GeneralizedTime,
    /// No version field (version 1), extensions kept.
    #[serde(rename = "version-1")]
    Version1,
    /// The extension a second time, right after the first.
    Duplicate(Extension),
    /// The extension marked critical.
    Critical(Extension),
    /// The extension's critical flag removed.
    NotCritical(Extension),
    /// The extension left out.
    Remove(Extension),
    /// The extension's value replaced by this DER (hex).
    Replace { extension: Extension, der: String },
    /// An extension added: dotted OID, value DER (hex), critical flag.
    Add {
        oid: String,
        der: String,
        #[serde(default)]
        critical: bool,
    },
    /// The signature algorithm inside tbsCertificate differs from the one outside (which signed).
    InnerSignatureAlgorithm,
    /// Signed with RSASSA-PSS (SHA-256, MGF1 with SHA-256) and this salt length; the issuer must
    /// have an RSA key. Well formed is a salt as long as the hash (32).
    RsaPss { salt: u8 },
}

/// notBefore and notAfter, relative to the moment of issue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Validity {
    pub not_before: RelTime,
    pub not_after: RelTime,
}

impl Default for Validity {
    /// Leaves: from an hour ago (clock skew) for 90 days.
    fn default() -> Self {
        Validity { not_before: RelTime::seconds(-3600), not_after: RelTime::seconds(90 * 86400) }
    }
}

impl Validity {
    /// CAs: from a year ago (so `verify --at` can move back to any scenario's validity window)
    /// for ten years.
    pub fn ca() -> Self {
        Validity { not_before: RelTime::seconds(-365 * 86400), not_after: RelTime::seconds(3650 * 86400) }
    }
}

/// A time relative to "now": `-1h`, `+90d`, `30m`, `0`. Units: s, m, h, d, w, y (365 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RelTime(i64);

impl RelTime {
    pub const fn seconds(s: i64) -> Self {
        RelTime(s)
    }
    pub fn at(self, now: OffsetDateTime) -> OffsetDateTime {
        now + Duration::seconds(self.0)
    }
}

impl TryFrom<String> for RelTime {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        parse_rel_time(&s).ok_or_else(|| {
            format!("expected a relative time such as `-1h`, `+90d` or `0`, found `{s}` (units: s, m, h, d, w, y)")
        })
    }
}

impl From<RelTime> for String {
    fn from(t: RelTime) -> String {
        let (sign, v) = if t.0 < 0 { ("-", -t.0) } else { ("+", t.0) };
        for (unit, secs) in [("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)] {
            if v != 0 && v % secs == 0 {
                return format!("{sign}{}{unit}", v / secs);
            }
        }
        format!("{sign}{v}s")
    }
}

fn parse_rel_time(s: &str) -> Option<RelTime> {
    let s = s.trim();
    if s == "0" || s == "now" {
        return Some(RelTime(0));
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    let unit_at = rest.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = rest.split_at(unit_at);
    let n: i64 = num.parse().ok()?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        "w" => 7 * 86400,
        "y" => 365 * 86400,
        _ => return None,
    };
    n.checked_mul(secs)?.checked_mul(sign).map(RelTime)
}

/// What the test server does with the scenario.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeSpec {
    /// Which certificates the server sends.
    #[serde(default)]
    pub chain: ChainPolicy,
    /// Which private key the server signs the handshake with.
    #[serde(default)]
    pub key: KeyPolicy,
    /// TLS versions the server accepts; empty means 1.2 and 1.3.
    #[serde(default)]
    pub versions: Vec<TlsVersion>,
    /// Ask for a client certificate that chains to the lab root.
    #[serde(default)]
    pub client_auth: bool,
    /// Also send the lab root cross-signed by the rogue root, expired a day ago: a second,
    /// dead-end issuer for the root's name (the DST Root CA X3 cross-sign of 2021).
    #[serde(default)]
    pub expired_cross_sign: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainPolicy {
    /// The leaf and every CA below the root (what a correct server sends).
    #[default]
    Full,
    /// The leaf alone.
    LeafOnly,
    /// The full chain with the first CA certificate sent twice.
    DuplicateCa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyPolicy {
    /// The key the certificate was issued for.
    #[default]
    Own,
    /// A different key of the same type: CertificateVerify cannot match the certificate.
    Mismatched,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "1.2")]
    Tls12,
    #[serde(rename = "1.3")]
    Tls13,
}

/// A client certificate made alongside the scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientCertSpec {
    #[serde(default)]
    pub issuer: IssuerRef,
    /// `pki-lab probe` presents this certificate by default (otherwise only with --client-cert).
    #[serde(default)]
    pub present: bool,
}

/// What the verifiers pki-lab checks file by file report, and what curl and a rustls client see
/// against `pki-lab serve`; each is checked by the test suite against the real program. The other
/// clients' columns are measured: `templates/clients.json` ([`crate::clients::measured`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expect {
    /// `openssl verify` code (0 = OK) with `-auth_level 2 -verify_hostname localhost -purpose sslserver`
    /// (`-CAfile` the scenario's `anchor` file or ca.pem; `-crl_check -CRLfile` its `crl` file).
    pub openssl_verify: i32,
    /// rustls `WebPkiServerVerifier` outcome: `ok`, a `CertificateError` variant name, or
    /// `Other(<webpki::Error variant>)`.
    pub rustls_verify: String,
    /// What a rustls client connecting to `pki-lab serve` reports, where it differs from
    /// `rustls-verify` (key mismatch, client certificates).
    #[serde(default)]
    pub rustls_handshake: Option<String>,
    /// Exit code (0 ok, 35 handshake, 56 receive, 60 verification) of
    /// `curl --cacert ca.pem https://localhost:PORT/` against `pki-lab serve` (the scenario's
    /// `anchor` file in place of ca.pem where it has one), adding `--crlfile` of its `crls` file
    /// for scenarios with a `crl` file and `--cert/--key` of the scenario's client certificate
    /// where the probe presents one.
    pub curl: i32,
    /// Python `ssl`: `ok` or its error text. In a lab's manifest, taken from the measured
    /// `python-ssl` column; a value in a template is ignored (it used to be written by hand).
    #[serde(default)]
    pub python: Option<String>,
    /// Go: `ok` or its error text; in the manifest, the measured `go` column (as `python`).
    #[serde(default)]
    pub go: Option<String>,
}

impl Template {
    /// Parses one template; `source` names the file in error messages.
    pub fn from_yaml(text: &str, source: &str) -> Result<Template> {
        let template: Template = serde_saphyr::from_str(text).map_err(|e| yaml_error(&e, source))?;
        template.validate(source)?;
        Ok(template)
    }

    fn validate(&self, source: &str) -> Result<()> {
        let invalid = |message: String| Error::Invalid { file: source.to_string(), message };
        if let Some(stem) = Path::new(source).file_stem().and_then(|s| s.to_str())
            && stem != self.name
        {
            return Err(invalid(format!("template name `{}` differs from its file name `{stem}`", self.name)));
        }
        if !self.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(invalid(format!("name `{}`: use lower-case letters, digits and `-`", self.name)));
        }
        if self.breaks.is_none() && (self.expect.openssl_verify != 0 || self.expect.rustls_verify != "ok") {
            return Err(invalid("a control (no `breaks:`) must expect openssl-verify 0 and rustls-verify ok".into()));
        }
        if self.breaks.is_some() && self.lesson.is_some() {
            return Err(invalid("`lesson:` is for scenarios that break no rule; this one has `breaks:`".into()));
        }
        if self.issuer == IssuerRef::SelfSigned && !self.cas.is_empty() {
            return Err(invalid("issuer `self` cannot have `cas:` below it".into()));
        }
        if self.anchor.is_some() && self.issuer != IssuerRef::Root {
            return Err(invalid("`anchor:` stands in for the lab root: it needs `issuer: root`".into()));
        }
        if self.anchor.is_some() && (self.leaf.revoked || self.client_cert.is_some()) {
            return Err(invalid(
                "`anchor:` cannot be combined with leaf.revoked or client-cert (they need the lab root)".into(),
            ));
        }
        if self.crl.is_some() && self.cas.is_empty() {
            return Err(invalid(
                "`crl:` is issued by the leaf's issuer, which must be one of `cas:` (the lab CAs publish their own CRLs)"
                    .into(),
            ));
        }
        if self.crl.is_some() && self.leaf.revoked {
            return Err(invalid("`crl:` lists nothing; leaf.revoked uses the lab's CRLs".into()));
        }
        if self.leaf.rsa_bits.is_some() && self.leaf.key != Some(KeyType::Rsa2048) {
            return Err(invalid("leaf.rsa-bits needs `key: rsa2048`".into()));
        }
        for sans in &self.leaf.sans {
            if sans.is_empty() {
                return Err(invalid("leaf.sans: empty name".into()));
            }
        }
        Ok(())
    }

    /// Every client must accept a control: it breaks no rule and is no lesson.
    pub fn is_control(&self) -> bool {
        self.breaks.is_none() && self.lesson.is_none()
    }

    /// The handshake step at which this scenario fails (controls: none).
    pub fn step(&self) -> Option<Step> {
        self.breaks.map(RuleId::step)
    }

    /// The rustls outcome a client connecting to the live server sees.
    pub fn rustls_handshake(&self) -> &str {
        self.expect.rustls_handshake.as_deref().unwrap_or(&self.expect.rustls_verify)
    }

    /// The leaf's SANs with `{name}` filled in and padding applied.
    pub fn leaf_sans(&self) -> Vec<String> {
        let mut sans: Vec<String> = self.leaf.sans.iter().map(|s| self.fill(s)).collect();
        if let Some(n) = self.leaf.san_count {
            let mut i = 0;
            while sans.len() < n {
                i += 1;
                sans.push(format!("host-{i}.{}.test", self.name));
            }
        }
        sans
    }

    pub fn leaf_cn(&self) -> String {
        self.fill(&self.leaf.cn)
    }

    fn fill(&self, s: &str) -> String {
        s.replace("{name}", &self.name)
    }
}

/// A YAML error rendered with file, line, column and a snippet (without a second `error:`).
pub fn yaml_error(e: &serde_saphyr::Error, source: &str) -> Error {
    let rendered = e.render_with_options(serde_saphyr::render_options! { source_name: Some(source) });
    Error::Yaml { rendered: rendered.strip_prefix("error: ").unwrap_or(&rendered).to_string() }
}

fn yes() -> bool {
    true
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The set of templates a lab is issued from, in catalogue order.
#[derive(Debug, Clone)]
pub struct Catalogue {
    templates: Vec<Template>,
    /// Exactly the templates shipped with this binary (no `--templates` directory).
    builtin: bool,
}

impl Catalogue {
    /// The templates shipped in `templates/`.
    pub fn builtin() -> Result<Catalogue> {
        let mut templates = Vec::new();
        for (file, text) in embedded::TEMPLATES {
            templates.push(Template::from_yaml(text, &format!("templates/{file}"))?);
        }
        Ok(Catalogue { builtin: true, ..Catalogue::sorted(templates) })
    }

    /// The built-in templates plus every `*.yaml` in `dir`; a file with a built-in name replaces it.
    pub fn with_dir(dir: &Path) -> Result<Catalogue> {
        let mut by_name: BTreeMap<String, Template> =
            Catalogue::builtin()?.templates.into_iter().map(|p| (p.name.clone(), p)).collect();
        let entries = std::fs::read_dir(dir).map_err(Error::io("reading templates from", dir))?;
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "yaml")) {
            let text = crate::labdir::fsutil::read_to_string(&path)?;
            let p = Template::from_yaml(&text, &path.display().to_string())?;
            by_name.insert(p.name.clone(), p);
        }
        Ok(Catalogue::sorted(by_name.into_values().collect()))
    }

    /// Controls first (`valid`, the reference, leading), then in the order their rules are met,
    /// then by name.
    fn sorted(mut templates: Vec<Template>) -> Catalogue {
        templates.sort_by_key(|p| {
            let pos = p.breaks.map_or(0, |rule| rule as usize + 1);
            (pos, p.name != "valid", p.name.clone())
        });
        Catalogue { templates, builtin: false }
    }

    /// Whether these are exactly the built-in templates, which a later run can find again.
    pub fn is_builtin(&self) -> bool {
        self.builtin
    }

    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    /// A template by name, or an error that suggests the closest name.
    pub fn get(&self, name: &str) -> Result<&Template> {
        self.templates.iter().find(|p| p.name == name).ok_or_else(|| Error::UnknownScenario {
            name: name.to_string(),
            suggestion: suggest(name, self.templates.iter().map(|p| p.name.as_str())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_parse_and_print() {
        assert_eq!(parse_rel_time("-1h"), Some(RelTime(-3600)));
        assert_eq!(parse_rel_time("+90d"), Some(RelTime(90 * 86400)));
        assert_eq!(parse_rel_time("30m"), Some(RelTime(1800)));
        assert_eq!(parse_rel_time("0"), Some(RelTime(0)));
        assert_eq!(parse_rel_time("1x"), None);
        assert_eq!(parse_rel_time("d"), None);
        assert_eq!(String::from(RelTime(-86400)), "-1d");
    }

    #[test]
    fn builtin_catalogue_loads_and_every_rule_in_it_exists() {
        let cat = Catalogue::builtin().expect("built-in templates parse");
        assert!(cat.templates().len() >= 20);
        assert!(cat.get("valid").is_ok());
    }

    #[test]
    fn unknown_field_is_reported_with_line_and_column() {
        let text = "name: x\nsummary: s\nexpect: {openssl-verify: 0, rustls-verify: ok, curl: 0}\nbraeks: a\n";
        let err = Template::from_yaml(text, "x.yaml").expect_err("unknown field").to_string();
        assert!(err.contains("x.yaml:4:1") || err.contains("line 4 column 1"), "{err}");
    }

    #[test]
    fn anchor_and_crl_fields_are_checked() {
        let head = "name: x\nsummary: s\nbreaks: trust.anchor-expired\nexpect: {openssl-verify: 10, rustls-verify: ok, curl: 60}\n";
        let ok = format!("{head}issuer: root\nanchor: {{validity: {{not-before: -2y, not-after: -1d}}}}\n");
        let t = Template::from_yaml(&ok, "x.yaml").expect("an anchor under issuer root parses");
        assert_eq!(t.anchor.expect("anchor").validity.not_after, RelTime::seconds(-86400));
        let err = Template::from_yaml(&format!("{head}anchor: {{}}\n"), "x.yaml").expect_err("needs root").to_string();
        assert!(err.contains("`anchor:` stands in for the lab root: it needs `issuer: root`"), "{err}");
        let err = Template::from_yaml(&format!("{head}issuer: root\nanchor: {{valdity: {{}}}}\n"), "x.yaml")
            .expect_err("unknown field")
            .to_string();
        assert!(err.contains("valdity"), "{err}");
        let err = Template::from_yaml(&format!("{head}crl: {{defects: [no-crl-number]}}\n"), "x.yaml")
            .expect_err("needs cas")
            .to_string();
        assert!(err.contains("`crl:` is issued by the leaf's issuer, which must be one of `cas:`"), "{err}");
        let ok = format!("{head}issuer: root\ncas: [{{name: C}}]\ncrl: {{next-update: -1d, scope: ca-certs-only}}\n");
        let t = Template::from_yaml(&ok, "x.yaml").expect("a crl below a scenario CA parses");
        assert_eq!(t.crl.expect("crl").scope, Some(CrlScope::CaCertsOnly));
        let err = Template::from_yaml(&format!("{head}cas: [{{name: C}}]\ncrl: {{defects: [bad]}}\n"), "x.yaml")
            .expect_err("unknown defect")
            .to_string();
        assert!(err.contains("bad"), "{err}");
    }
}
