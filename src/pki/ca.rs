//! The lab's certificate authorities: a trusted root, an intermediate it signs, and a rogue root
//! that no client trusts. Created once by `init`, loaded from disk afterwards.

use std::net::IpAddr;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType, GeneralSubtree, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, NameConstraints, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;

use crate::catalogue::template::Validity;
use crate::error::{Error, Result};
use crate::labdir::fsutil;
use crate::pki::keys::KeyType;

/// Names that cannot belong to the public internet: the root may only issue for these, so a
/// leaked lab key cannot impersonate a real site. RFC 6761 / RFC 2606 names, RFC 8375 home.arpa,
/// ICANN's .internal, loopback and private address ranges.
pub const DEFAULT_PERMITTED: &[&str] = &[
    "localhost",
    "test",
    "example",
    "invalid",
    "internal",
    "home.arpa",
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
];

/// A CA certificate with its key, ready to sign.
pub struct CaCert {
    pub der: CertificateDer<'static>,
    pub pem: String,
    pub issuer: Issuer<'static, KeyPair>,
}

impl CaCert {
    /// Wraps a certificate and its key. The issuer is always rebuilt from the DER so that a
    /// freshly made CA and one loaded from disk sign identically (same DN encoding, same AKI).
    pub fn new(der: CertificateDer<'static>, key: KeyPair) -> Result<CaCert> {
        let pem = pem_cert(&der);
        let issuer = Issuer::from_ca_cert_der(&der, key).map_err(Error::rcgen("reading a CA certificate"))?;
        Ok(CaCert { der, pem, issuer })
    }

    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// Loads `<stem>.pem` and `<stem>.key` from `dir`.
    pub fn load(dir: &Path, stem: &str) -> Result<CaCert> {
        let cert_path = dir.join(format!("{stem}.pem"));
        let key_path = dir.join(format!("{stem}.key"));
        let cert_pem = fsutil::read_to_string(&cert_path)?;
        let der = parse_one_cert(&cert_pem, &cert_path.display().to_string())?;
        let key = KeyPair::from_pem(&fsutil::read_to_string(&key_path)?)
            .map_err(Error::rcgen(format!("reading the key {}", key_path.display())))?;
        CaCert::new(der, key)
    }
}

/// The three long-lived CAs of a lab.
pub struct LabCa {
    pub root: CaCert,
    pub intermediate: CaCert,
    pub rogue: CaCert,
}

/// How `init` makes the CAs.
#[derive(Debug, Clone)]
pub struct CaOptions {
    pub key_type: KeyType,
    /// DNS names and CIDR ranges the root may issue for; `None` leaves the root unconstrained.
    pub permitted: Option<Vec<String>>,
}

impl Default for CaOptions {
    fn default() -> Self {
        CaOptions {
            key_type: KeyType::P256,
            permitted: Some(DEFAULT_PERMITTED.iter().map(|s| s.to_string()).collect()),
        }
    }
}

/// File stems of the CAs under `<lab>/ca/`.
pub const ROOT: &str = "root";
pub const INTERMEDIATE: &str = "intermediate";
pub const ROGUE: &str = "rogue-root";

impl LabCa {
    /// Makes a new root, intermediate and rogue root. The three keys are generated in parallel
    /// because RSA keys take a while.
    pub fn create(opts: &CaOptions, now: OffsetDateTime) -> Result<LabCa> {
        let tag = random_tag();
        let [root_key, inter_key, rogue_key] = generate_keys([opts.key_type; 3])?;

        let mut root_params = ca_params(&format!("pki-lab Root CA {tag}"), None, &Validity::ca(), now);
        if let Some(permitted) = &opts.permitted {
            root_params.name_constraints = Some(name_constraints(permitted)?);
        }
        let root_der = root_params.self_signed(&root_key).map_err(Error::rcgen("signing the root"))?.der().clone();
        let root = CaCert::new(root_der, root_key)?;

        let mut inter_params = ca_params(&format!("pki-lab Intermediate CA {tag}"), Some(0), &Validity::ca(), now);
        inter_params.use_authority_key_identifier_extension = true;
        let inter_der = inter_params
            .signed_by(&inter_key, &root.issuer)
            .map_err(Error::rcgen("signing the intermediate"))?
            .der()
            .clone();
        let intermediate = CaCert::new(inter_der, inter_key)?;

        let rogue_params = ca_params(&format!("pki-lab Rogue Root CA {tag} (untrusted)"), None, &Validity::ca(), now);
        let rogue_der =
            rogue_params.self_signed(&rogue_key).map_err(Error::rcgen("signing the rogue root"))?.der().clone();
        let rogue = CaCert::new(rogue_der, rogue_key)?;

        Ok(LabCa { root, intermediate, rogue })
    }

    /// Loads the CAs from `<lab>/ca/`.
    pub fn load(ca_dir: &Path) -> Result<LabCa> {
        Ok(LabCa {
            root: CaCert::load(ca_dir, ROOT)?,
            intermediate: CaCert::load(ca_dir, INTERMEDIATE)?,
            rogue: CaCert::load(ca_dir, ROGUE)?,
        })
    }

    /// The random tag that names this lab's CAs (`pki-lab Root CA 3f9a2c` → `3f9a2c`), so
    /// that the CAs of two labs can be told apart; empty if the root's name has none.
    pub fn tag(&self) -> String {
        x509_parser::parse_x509_certificate(&self.root.der)
            .ok()
            .and_then(|(_, c)| {
                c.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok().map(str::to_string))
            })
            .and_then(|cn| {
                cn.strip_prefix("pki-lab Root CA ").map(|t| t.split_whitespace().next().unwrap_or("").to_string())
            })
            .unwrap_or_default()
    }

    /// The CAs with their file stems, for writing.
    pub fn all(&self) -> [(&'static str, &CaCert); 3] {
        [(ROOT, &self.root), (INTERMEDIATE, &self.intermediate), (ROGUE, &self.rogue)]
    }
}

/// Parameters shared by every CA certificate pki-lab makes.
pub fn ca_params(cn: &str, path_len: Option<u8>, validity: &Validity, now: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::OrganizationName, "pki-lab");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    p.serial_number = Some(random_serial());
    p.not_before = validity.not_before.at(now);
    p.not_after = validity.not_after.at(now);
    p
}

/// Permitted subtrees from names (`localhost`, `test`) and CIDR ranges (`10.0.0.0/8`).
pub fn name_constraints(permitted: &[String]) -> Result<NameConstraints> {
    let mut subtrees = Vec::new();
    for name in permitted {
        let name = name.trim().trim_start_matches('.');
        if let Some((addr, len)) = name.split_once('/') {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| Error::Input(format!("permitted range `{name}`: expected an IP address before `/`")))?;
            let len: u8 = len
                .parse()
                .ok()
                .filter(|l| *l <= if addr.is_ipv4() { 32 } else { 128 })
                .ok_or_else(|| Error::Input(format!("permitted range `{name}`: invalid prefix length")))?;
            subtrees.push(GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(addr, len)));
        } else if let Ok(addr) = name.parse::<IpAddr>() {
            let len = if addr.is_ipv4() { 32 } else { 128 };
            subtrees.push(GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(addr, len)));
        } else if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            subtrees.push(GeneralSubtree::DnsName(name.to_ascii_lowercase()));
        } else {
            return Err(Error::Input(format!("permitted name `{name}`: expected a DNS name or a CIDR range")));
        }
    }
    Ok(NameConstraints { permitted_subtrees: subtrees, excluded_subtrees: vec![] })
}

/// Generates several keys at once, each slow (RSA) one on its own thread.
pub fn generate_keys<const N: usize>(types: [KeyType; N]) -> Result<[KeyPair; N]> {
    let results: Vec<Result<KeyPair>> = std::thread::scope(|s| {
        let handles: Vec<_> = types
            .iter()
            .map(|t| {
                let t = *t;
                if t.is_slow() { Some(s.spawn(move || t.generate())) } else { None }
            })
            .collect();
        handles
            .into_iter()
            .zip(types)
            .map(|(h, t)| match h {
                Some(h) => h.join().unwrap_or_else(|_| Err(Error::Internal(format!("{t} key generation panicked")))),
                None => t.generate(),
            })
            .collect()
    });
    let keys: Vec<KeyPair> = results.into_iter().collect::<Result<_>>()?;
    keys.try_into().map_err(|_| Error::Internal("key count mismatch".into()))
}

/// A random positive 16-byte serial number (RFC 5280 allows up to 20 octets).
pub fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x10; // positive, and never a leading zero octet
    SerialNumber::from_slice(&bytes)
}

fn random_tag() -> String {
    let mut b = [0u8; 3];
    fill_random(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn fill_random(buf: &mut [u8]) {
    use aws_lc_rs::rand::SecureRandom;
    // The system RNG does not fail on Linux; if it ever did, a zero serial is still unique enough
    // for a lab because serials are also distinct by issuance time.
    let _ = aws_lc_rs::rand::SystemRandom::new().fill(buf);
}

/// PEM text of one certificate.
pub fn pem_cert(der: &[u8]) -> String {
    pem_block("CERTIFICATE", der)
}

pub fn pem_block(label: &str, der: &[u8]) -> String {
    pem::encode_config(&pem::Pem::new(label, der), pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF))
}

/// Parses exactly one certificate from PEM text.
pub fn parse_one_cert(pem: &str, source: &str) -> Result<CertificateDer<'static>> {
    let mut certs = parse_certs(pem, source)?;
    if certs.len() != 1 {
        return Err(Error::Parse {
            context: source.to_string(),
            message: format!("expected exactly one CERTIFICATE block, found {}", certs.len()),
        });
    }
    Ok(certs.remove(0))
}

/// Parses every certificate from PEM text, in order (the loader is [`crate::pki::pem`]'s).
pub use crate::pki::pem::parse_certs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_constraints_accept_names_and_ranges_and_refuse_junk() {
        let nc = name_constraints(&["localhost".into(), "10.0.0.0/8".into(), "::1".into()]).expect("valid");
        assert_eq!(nc.permitted_subtrees.len(), 3);
        assert!(name_constraints(&["10.0.0.0/33".into()]).is_err());
        assert!(name_constraints(&["bad name!".into()]).is_err());
    }
}
