//! Template → certificates: the leaf, the scenario's own CAs, the served chain, the client
//! certificate, and the CRL entries of revoked leaves.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertificateSigningRequestParams,
    CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use crate::catalogue::rules::RuleId;
use crate::catalogue::template::{
    AnchorSpec, CaSpec, ChainPolicy, CrlDefect, CrlScope, CrlSpec, Eku, Extension, IssuerRef, KeyPolicy, KeyUsage,
    LeafSpec, RelTime, SignatureHash, Template, Validity,
};
use crate::error::{Error, Result};
use crate::pki::ca::{self, CaCert, LabCa};
use crate::pki::defects;
use crate::pki::keys::KeyType;
use crate::pki::legacy::Secp256k1Key;
use crate::pki::names::Name;

/// Which root a scenario's chain ends at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    /// The lab root (`ca.pem`), which clients are told to trust.
    Root,
    /// The rogue root, which nobody trusts.
    RogueRoot,
    /// No root: the leaf is self-signed.
    None,
    /// A root made for this scenario alone (`anchor:`), trusted in place of the lab root when
    /// the scenario is verified: `files.anchor`.
    Scenario,
}

/// Everything issued for one scenario.
pub struct Issued {
    pub name: String,
    /// The leaf first, then each CA above it, bottom-up, up to (excluding) the anchor root.
    pub path: Vec<CertificateDer<'static>>,
    /// What the server sends: `path`, or the leaf alone.
    pub served: Vec<CertificateDer<'static>>,
    pub anchor: Anchor,
    /// The key the server signs with (the leaf's own, or another for key-mismatch).
    pub served_key_pem: String,
    /// The leaf's own key, when the server uses another.
    pub leaf_key_pem: Option<String>,
    pub serial: SerialNumber,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// The lab CA whose CRL lists this leaf, if it is revoked.
    pub revoked_by: Option<IssuerRef>,
    pub client: Option<ClientCert>,
    /// The scenario's own root (`anchor:`), when `anchor` is [`Anchor::Scenario`].
    pub own_anchor: Option<CertificateDer<'static>>,
    /// The scenario's own CRL (`crl:`), PEM, and the CA that issued it.
    pub own_crl: Option<(String, CertificateDer<'static>)>,
}

/// A client certificate for mutual-TLS scenarios.
pub struct ClientCert {
    /// The client certificate and the CAs above it (excluding the root).
    pub chain: Vec<CertificateDer<'static>>,
    pub key_pem: String,
    pub issuer: IssuerRef,
}

/// Issues one scenario under the lab CAs. `default_key` is used where the template pins none.
pub fn issue(template: &Template, lab: &LabCa, default_key: KeyType, now: OffsetDateTime) -> Result<Issued> {
    let ctx = |what: &str| format!("scenario {}: {what}", template.name);
    if template.leaf.revoked && (template.issuer == IssuerRef::SelfSigned || !template.cas.is_empty()) {
        return Err(Error::Invalid {
            file: format!("templates/{}.yaml", template.name),
            message: "leaf.revoked needs the root or the intermediate as the leaf's issuer (they publish the CRLs)"
                .into(),
        });
    }

    let own_anchor = match &template.anchor {
        Some(spec) => Some(scenario_anchor(spec, &template.name, default_key, &lab.tag(), now)?),
        None => None,
    };

    // The CAs made for this scenario, top-down; each signs the next.
    let (top, mut above, anchor): (Option<&CaCert>, Vec<CertificateDer<'static>>, Anchor) = match template.issuer {
        IssuerRef::Root => match &own_anchor {
            Some(own) => (Some(own), vec![], Anchor::Scenario),
            None => (Some(&lab.root), vec![], Anchor::Root),
        },
        IssuerRef::Intermediate => (Some(&lab.intermediate), vec![lab.intermediate.der.clone()], Anchor::Root),
        IssuerRef::RogueRoot => (Some(&lab.rogue), vec![], Anchor::RogueRoot),
        IssuerRef::SelfSigned => (None, vec![], Anchor::None),
    };
    let mut own_cas: Vec<CaCert> = Vec::new();
    // A secp256k1 CA (key.algorithm): it signs the leaf and nothing else.
    let mut k1_issuer: Option<rcgen::Issuer<'static, Secp256k1Key>> = None;
    for spec in &template.cas {
        if k1_issuer.is_some() {
            return Err(in_scenario(
                Error::Input("cas: a secp256k1 CA must be the last, the leaf's issuer".into()),
                &template.name,
            ));
        }
        let parent = own_cas.last().or(top).ok_or_else(|| Error::Input(ctx("no issuer for cas")))?;
        if spec.key == Some(KeyType::Secp256k1) {
            let (der, issuer) =
                secp256k1_ca(spec, parent, &lab.tag(), now).map_err(|e| in_scenario(e, &template.name))?;
            above.insert(0, der);
            k1_issuer = Some(issuer);
            continue;
        }
        let made = scenario_ca(spec, parent, default_key, &lab.tag(), now).map_err(|e| match e {
            Error::Rcgen { context, source } => Error::Rcgen { context: ctx(&context), source },
            other => other,
        })?;
        above.insert(0, made.der.clone());
        own_cas.push(made);
    }

    let key_type = template.leaf.key.unwrap_or(default_key);
    let leaf_key = match template.leaf.rsa_bits {
        Some(bits) => LeafKey::legacy_rsa(bits)?,
        None => LeafKey::generate(key_type)?,
    };
    let mut params = leaf_params(template, key_type, now)?;
    let serial = params.serial_number.clone().unwrap_or_else(ca::random_serial);
    params.serial_number = Some(serial.clone());
    let signer = own_cas.last().or(top);
    let leaf = match (&k1_issuer, signer, &leaf_key) {
        (Some(k1), _, key) => {
            if !template.leaf.defects.is_empty() || template.leaf.signature_hash.is_some() {
                return Err(in_scenario(
                    Error::Input("a secp256k1 issuer cannot re-sign leaf.defects or leaf.signature-hash".into()),
                    &template.name,
                ));
            }
            params.use_authority_key_identifier_extension = true;
            key.signed_by(&params, k1)
        }
        (None, Some(ca), key) => {
            params.use_authority_key_identifier_extension = true;
            key.signed_by(&params, &ca.issuer)
        }
        (None, None, LeafKey::Pair(k)) => params.self_signed(k),
        (None, None, LeafKey::Weak { .. }) => {
            return Err(Error::Input(ctx("an rsa1024 leaf cannot sign itself; give it an issuer")));
        }
    }
    .map_err(Error::rcgen(ctx("signing the leaf")))?;
    let mut leaf_der = leaf.der().to_vec();
    if !template.leaf.defects.is_empty() {
        leaf_der = match (signer, &leaf_key) {
            (Some(ca), _) => defects::apply(&leaf_der, &template.leaf.defects, ca.issuer.key()),
            (None, LeafKey::Pair(k)) => defects::apply(&leaf_der, &template.leaf.defects, k),
            (None, LeafKey::Weak { .. }) => Err(Error::Input(ctx("an rsa1024 leaf cannot sign itself"))),
        }
        .map_err(|e| in_scenario(e, &template.name))?;
    }
    if template.leaf.signature_hash == Some(SignatureHash::Sha1) {
        let ca = signer.ok_or_else(|| Error::Input(ctx("a SHA-1 signature needs an issuer")))?;
        leaf_der = crate::pki::legacy::resign_sha1(&leaf_der, ca.issuer.key().serialized_der())?;
    }
    if template.leaf.tamper_signature {
        // The signature BIT STRING ends the certificate; its last byte is signature material.
        if let Some(last) = leaf_der.last_mut() {
            *last ^= 0x01;
        }
    }

    let mut path = vec![CertificateDer::from(leaf_der)];
    path.extend(above);
    let mut served = match template.serve.chain {
        ChainPolicy::Full => path.clone(),
        ChainPolicy::LeafOnly => path[..1].to_vec(),
        ChainPolicy::DuplicateCa => {
            let mut sent = path.clone();
            let first_ca =
                path.get(1).ok_or_else(|| Error::Input(ctx("serve.chain duplicate-ca needs a CA below the root")))?;
            sent.insert(2, first_ca.clone());
            sent
        }
    };

    if template.serve.expired_cross_sign {
        if anchor != Anchor::Root {
            return Err(Error::Input(ctx("serve.expired-cross-sign needs a chain that ends at the lab root")));
        }
        served.push(expired_cross_sign(lab, now).map_err(|e| in_scenario(e, &template.name))?);
    }

    let (served_key_pem, leaf_key_pem) = match template.serve.key {
        KeyPolicy::Own => (leaf_key.pem(), None),
        KeyPolicy::Mismatched => (LeafKey::generate(key_type)?.pem(), Some(leaf_key.pem())),
    };

    let client = match &template.client_cert {
        Some(spec) => Some(client_cert(&template.name, spec.issuer, lab, default_key, now)?),
        None => None,
    };

    let own_crl = match (&template.crl, own_cas.last(), template.cas.last()) {
        (Some(spec), Some(ca), Some(ca_spec)) => {
            let name = format!("{} {}", ca_spec.name, lab.tag());
            let pem = scenario_crl(spec, ca, name.trim_end(), &template.name, now)
                .map_err(|e| in_scenario(e, &template.name))?;
            Some((pem, ca.der.clone()))
        }
        (Some(_), _, _) => return Err(Error::Input(ctx("`crl:` needs a CA of `cas:` as the leaf's issuer"))),
        (None, _, _) => None,
    };

    Ok(Issued {
        name: template.name.clone(),
        path,
        served,
        anchor,
        served_key_pem,
        leaf_key_pem,
        serial,
        not_before: params.not_before,
        not_after: params.not_after,
        revoked_by: template.leaf.revoked.then_some(template.issuer),
        client,
        own_anchor: own_anchor.map(|a| a.der),
        own_crl,
    })
}

/// The scenario's own root: self-signed with the lab's key type, never name-constrained.
fn scenario_anchor(
    spec: &AnchorSpec,
    scenario: &str,
    key_type: KeyType,
    tag: &str,
    now: OffsetDateTime,
) -> Result<CaCert> {
    let key = key_type.generate()?;
    let name = format!("pki-lab {scenario} Root CA {tag}");
    let mut p = ca::ca_params(name.trim_end(), None, &spec.validity, now);
    if let Some(usages) = &spec.key_usage {
        p.key_usages = usages.iter().map(|u| key_usage(*u)).collect();
    }
    let cert = p.self_signed(&key).map_err(Error::rcgen(format!("scenario {scenario}: signing its anchor")))?;
    let der = defects::apply(cert.der(), &spec.defects, &key).map_err(|e| in_scenario(e, scenario))?;
    CaCert::new(CertificateDer::from(der), key)
}

/// The scenario's own CRL, signed by `ca` (named `ca_name`), listing nothing, with the
/// template's dates, scope and defects.
fn scenario_crl(spec: &CrlSpec, ca: &CaCert, ca_name: &str, scenario: &str, now: OffsetDateTime) -> Result<String> {
    let params = CertificateRevocationListParams {
        this_update: spec.this_update.at(now),
        next_update: spec.next_update.at(now),
        crl_number: SerialNumber::from(u64::try_from(now.unix_timestamp()).unwrap_or(1)),
        issuing_distribution_point: spec.scope.map(|scope| rcgen::CrlIssuingDistributionPoint {
            distribution_point: rcgen::CrlDistributionPoint { uris: vec![format!("http://127.0.0.1/{scenario}.crl")] },
            scope: Some(match scope {
                CrlScope::CaCertsOnly => rcgen::CrlScope::CaCertsOnly,
                CrlScope::UserCertsOnly => rcgen::CrlScope::UserCertsOnly,
            }),
        }),
        revoked_certs: vec![],
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let what = format!("scenario {scenario}: signing its CRL");
    let signed = if spec.defects.contains(&CrlDefect::IgnoreCrlSign) {
        // rcgen refuses an issuer whose keyUsage lacks cRLSign: the same name and key, no usages.
        let mut p = ca::ca_params(ca_name, None, &Validity::ca(), now);
        p.key_usages.clear();
        params.signed_by(&rcgen::Issuer::new(p, ca.issuer.key()))
    } else {
        params.signed_by(&ca.issuer)
    }
    .map_err(Error::rcgen(what))?;
    let der = defects::apply_crl(signed.der(), &spec.defects, ca.issuer.key())?;
    Ok(ca::pem_block("X509 CRL", &der))
}

/// The lab root's name and key, certified by the rogue root and expired a day ago.
fn expired_cross_sign(lab: &LabCa, now: OffsetDateTime) -> Result<CertificateDer<'static>> {
    let validity = Validity { not_before: RelTime::seconds(-400 * 86400), not_after: RelTime::seconds(-86400) };
    // The same subject as the root's own certificate (ca_params writes it the same way).
    let mut p = ca::ca_params(&format!("pki-lab Root CA {}", lab.tag()), None, &validity, now);
    p.use_authority_key_identifier_extension = true;
    let cert = p.signed_by(lab.root.issuer.key(), &lab.rogue.issuer).map_err(Error::rcgen("cross-signing the root"))?;
    Ok(cert.der().clone())
}

/// An error of a scenario's template input, named with the scenario.
fn in_scenario(e: Error, scenario: &str) -> Error {
    match e {
        Error::Input(m) => Error::Invalid { file: format!("templates/{scenario}.yaml"), message: m },
        other => other,
    }
}

/// A leaf's key: made by aws-lc-rs through rcgen, or (RSA-1024) by [`crate::pki::legacy`].
enum LeafKey {
    Pair(rcgen::KeyPair),
    Weak { pkcs8: Vec<u8>, spki: rcgen::SubjectPublicKeyInfo },
}

impl LeafKey {
    fn generate(key_type: KeyType) -> Result<LeafKey> {
        if key_type == KeyType::Rsa1024 {
            let (pkcs8, spki) = crate::pki::keys::rsa1024()?;
            let spki = rcgen::SubjectPublicKeyInfo::from_der(&spki).map_err(Error::rcgen("reading an RSA-1024 key"))?;
            return Ok(LeafKey::Weak { pkcs8, spki });
        }
        key_type.generate().map(LeafKey::Pair)
    }

    /// An RSA key aws-lc-rs will not make (1024 bits, 2049 bits).
    fn legacy_rsa(bits: usize) -> Result<LeafKey> {
        let (pkcs8, spki) = crate::pki::legacy::generate_rsa(bits)?;
        let spki =
            rcgen::SubjectPublicKeyInfo::from_der(&spki).map_err(Error::rcgen(format!("reading an RSA-{bits} key")))?;
        Ok(LeafKey::Weak { pkcs8, spki })
    }

    /// The certificate `params` describe, for this key, signed by `issuer`.
    fn signed_by(
        &self,
        params: &CertificateParams,
        issuer: &rcgen::Issuer<'_, impl rcgen::SigningKey>,
    ) -> std::result::Result<rcgen::Certificate, rcgen::Error> {
        match self {
            LeafKey::Pair(k) => params.signed_by(k, issuer),
            LeafKey::Weak { spki, .. } => params.signed_by(spki, issuer),
        }
    }

    fn pem(&self) -> String {
        match self {
            LeafKey::Pair(k) => k.serialize_pem(),
            LeafKey::Weak { pkcs8, .. } => ca::pem_block("PRIVATE KEY", pkcs8),
        }
    }
}

fn leaf_params(template: &Template, key_type: KeyType, now: OffsetDateTime) -> Result<CertificateParams> {
    let mut p = CertificateParams::default();
    for san in template.leaf_sans() {
        let name = Name::parse(&san).map_err(|e| Error::Invalid {
            file: format!("templates/{}.yaml", template.name),
            message: format!("leaf.sans: {e}"),
        })?;
        p.subject_alt_names.push(name.san()?);
    }
    for dns in &template.leaf.dns_names {
        let ia5 = rcgen::string::Ia5String::try_from(dns.as_str()).map_err(|e| Error::Invalid {
            file: format!("templates/{}.yaml", template.name),
            message: format!("leaf.dns-names: `{dns}`: {e}"),
        })?;
        p.subject_alt_names.push(SanType::DnsName(ia5));
    }
    p.distinguished_name = DistinguishedName::new();
    // An empty `cn` leaves the subject empty.
    if !template.leaf.cn.is_empty() {
        p.distinguished_name.push(DnType::CommonName, template.leaf_cn());
    }
    p.serial_number = Some(ca::random_serial());
    p.not_before = template.leaf.validity.not_before.at(now);
    p.not_after = template.leaf.validity.not_after.at(now);
    p.is_ca = if template.leaf.ca { IsCa::Ca(BasicConstraints::Unconstrained) } else { IsCa::NoCa };
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if key_type.is_slow() {
        // RSA leaves traditionally also allow key encipherment (TLS 1.2 RSA key transport).
        p.key_usages.push(KeyUsagePurpose::KeyEncipherment);
    }
    if let Some(usages) = &template.leaf.key_usage {
        p.key_usages = usages.iter().map(|u| key_usage(*u)).collect();
    }
    p.extended_key_usages = template.leaf.eku.iter().map(|e| eku(*e)).collect();
    if let Some(oid) = &template.leaf.critical_extension {
        let arcs = parse_oid(oid).ok_or_else(|| Error::Invalid {
            file: format!("templates/{}.yaml", template.name),
            message: format!(
                "leaf.critical-extension: expected a dotted OID such as 1.3.6.1.4.1.55738.1.1, found `{oid}`"
            ),
        })?;
        // The value is an ASN.1 NULL: what it means does not matter, only that nobody knows it.
        let mut ext = CustomExtension::from_oid_content(&arcs, vec![0x05, 0x00]);
        ext.set_criticality(true);
        p.custom_extensions.push(ext);
    }
    Ok(p)
}

/// A CA made for one scenario, named like the template says plus the lab's tag.
fn scenario_ca(spec: &CaSpec, parent: &CaCert, key_type: KeyType, tag: &str, now: OffsetDateTime) -> Result<CaCert> {
    let key = spec.key.unwrap_or(key_type).generate()?;
    let name = format!("{} {tag}", spec.name);
    let mut p = ca::ca_params(name.trim_end(), spec.path_len, &spec.validity, now);
    if !spec.ca {
        p.is_ca = IsCa::ExplicitNoCa;
        // keyCertSign without CA:TRUE is usage.keycertsign-not-ca's own defect, not this one's.
        p.key_usages.retain(|k| *k != KeyUsagePurpose::KeyCertSign);
    }
    let mut permitted = spec.permitted.clone();
    for i in permitted.len()..spec.permitted_count.unwrap_or(0) {
        permitted.push(format!("pad-{i}.invalid"));
    }
    if !permitted.is_empty() || !spec.excluded.is_empty() {
        let mut nc = ca::name_constraints(&permitted)?;
        nc.excluded_subtrees = ca::name_constraints(&spec.excluded)?.permitted_subtrees;
        p.name_constraints = Some(nc);
    }
    if let Some(usages) = &spec.key_usage {
        p.key_usages = usages.iter().map(|u| key_usage(*u)).collect();
    }
    p.extended_key_usages = spec.eku.iter().map(|e| eku(*e)).collect();
    p.use_authority_key_identifier_extension = true;
    let cert = p.signed_by(&key, &parent.issuer).map_err(Error::rcgen(format!("signing CA `{}`", spec.name)))?;
    let der = defects::apply(cert.der(), &spec.defects, parent.issuer.key())?;
    CaCert::new(CertificateDer::from(der), key)
}

/// A scenario CA with a secp256k1 key (key.algorithm), signed by `parent`: its certificate and
/// the issuer that signs the leaf with it.
fn secp256k1_ca(
    spec: &CaSpec,
    parent: &CaCert,
    tag: &str,
    now: OffsetDateTime,
) -> Result<(CertificateDer<'static>, rcgen::Issuer<'static, Secp256k1Key>)> {
    if !spec.defects.is_empty() || !spec.permitted.is_empty() || !spec.excluded.is_empty() || !spec.eku.is_empty() {
        return Err(Error::Input("cas: a secp256k1 CA takes only name, path-len, validity and key-usage".into()));
    }
    let key = Secp256k1Key::generate()?;
    let name = format!("{} {tag}", spec.name);
    let mut p = ca::ca_params(name.trim_end(), spec.path_len, &spec.validity, now);
    if let Some(usages) = &spec.key_usage {
        p.key_usages = usages.iter().map(|u| key_usage(*u)).collect();
    }
    p.use_authority_key_identifier_extension = true;
    let cert = p.signed_by(&key, &parent.issuer).map_err(Error::rcgen(format!("signing CA `{}`", spec.name)))?;
    // rcgen wrote the P-256 curve OID beside the secp256k1 point: the key's own SPKI goes in.
    let der = CertificateDer::from(defects::replace_spki(cert.der(), key.spki(), parent.issuer.key())?);
    let issuer = rcgen::Issuer::from_ca_cert_der(&der, key).map_err(Error::rcgen("reading the secp256k1 CA"))?;
    Ok((der, issuer))
}

fn client_cert(
    scenario: &str,
    issuer: IssuerRef,
    lab: &LabCa,
    key_type: KeyType,
    now: OffsetDateTime,
) -> Result<ClientCert> {
    let (ca, above): (&CaCert, Vec<CertificateDer<'static>>) = match issuer {
        IssuerRef::Intermediate => (&lab.intermediate, vec![lab.intermediate.der.clone()]),
        IssuerRef::Root => (&lab.root, vec![]),
        IssuerRef::RogueRoot => (&lab.rogue, vec![]),
        IssuerRef::SelfSigned => {
            return Err(Error::Invalid {
                file: format!("templates/{scenario}.yaml"),
                message: "client-cert.issuer: `self` is not supported; use root, intermediate or rogue-root".into(),
            });
        }
    };
    let key = key_type.generate()?;
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, format!("pki-lab client for {scenario}"));
    p.serial_number = Some(ca::random_serial());
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(90);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.use_authority_key_identifier_extension = true;
    let cert = p
        .signed_by(&key, &ca.issuer)
        .map_err(Error::rcgen(format!("scenario {scenario}: signing the client certificate")))?;
    let mut chain = vec![cert.der().clone()];
    chain.extend(above);
    Ok(ClientCert { chain, key_pem: key.serialize_pem(), issuer })
}

/// A CRL signed by `ca` listing `serials`, valid from an hour ago for 30 days.
pub fn crl(ca: &CaCert, serials: &[SerialNumber], now: OffsetDateTime) -> Result<String> {
    let params = CertificateRevocationListParams {
        this_update: now - Duration::hours(1),
        next_update: now + Duration::days(30),
        crl_number: SerialNumber::from(u64::try_from(now.unix_timestamp()).unwrap_or(1)),
        issuing_distribution_point: None,
        revoked_certs: serials
            .iter()
            .map(|s| RevokedCertParams {
                serial_number: s.clone(),
                revocation_time: now - Duration::minutes(30),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    params.signed_by(&ca.issuer).and_then(|c| c.pem()).map_err(Error::rcgen("signing a CRL"))
}

fn eku(e: Eku) -> ExtendedKeyUsagePurpose {
    match e {
        Eku::ServerAuth => ExtendedKeyUsagePurpose::ServerAuth,
        Eku::ClientAuth => ExtendedKeyUsagePurpose::ClientAuth,
        Eku::CodeSigning => ExtendedKeyUsagePurpose::CodeSigning,
        Eku::EmailProtection => ExtendedKeyUsagePurpose::EmailProtection,
        Eku::Any => ExtendedKeyUsagePurpose::Any,
    }
}

fn key_usage(u: KeyUsage) -> KeyUsagePurpose {
    match u {
        KeyUsage::DigitalSignature => KeyUsagePurpose::DigitalSignature,
        KeyUsage::KeyEncipherment => KeyUsagePurpose::KeyEncipherment,
        KeyUsage::KeyAgreement => KeyUsagePurpose::KeyAgreement,
        KeyUsage::KeyCertSign => KeyUsagePurpose::KeyCertSign,
        KeyUsage::CrlSign => KeyUsagePurpose::CrlSign,
    }
}

fn parse_oid(s: &str) -> Option<Vec<u64>> {
    let arcs: Vec<u64> = s.split('.').map(|a| a.parse().ok()).collect::<Option<_>>()?;
    (arcs.len() >= 3).then_some(arcs)
}

/// What to issue for names of the user's choosing (`pki-lab issue`, [`crate::testing`]).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub names: Vec<Name>,
    /// Add clientAuth to the extended key usages.
    pub client: bool,
    /// Key type, overriding the template's.
    pub key: Option<KeyType>,
    /// Absolute notBefore and notAfter, overriding the template's validity.
    pub validity: Option<(OffsetDateTime, OffsetDateTime)>,
}

/// The template `like` with the requested names put in place of its own, so that the certificate
/// keeps exactly the scenario's defect. Scenarios whose defect *is* the names are special:
/// `name.no-san` puts the (one) name in the CN only, `name.mismatch` keeps its wrong name, and
/// extra names a template adds on purpose (`outside.test` of `name-constraints`) are kept.
pub fn tailor(like: &Template, req: &Request, now: OffsetDateTime) -> Result<Template> {
    if req.names.is_empty() {
        return Err(Error::Input("give at least one name to issue for (e.g. `pki-lab issue app.test`)".into()));
    }
    let fixed_san =
        like.leaf.defects.iter().any(|d| {
            matches!(d, crate::catalogue::template::Defect::Replace { extension: Extension::SubjectAltName, .. })
        });
    if fixed_san {
        return Err(Error::Input(format!(
            "--like {}: its subjectAltName is written as fixed bytes, so it cannot carry other names",
            like.name
        )));
    }
    let mut p = like.clone();
    match like.breaks {
        Some(RuleId::NameNoSan) => {
            let [Name::Dns(dns)] = req.names.as_slice() else {
                return Err(Error::Input(format!(
                    "--like {}: the certificate carries its name in the subject CN only, so give exactly one DNS name",
                    like.name
                )));
            };
            p.leaf.cn = dns.clone();
            p.leaf.sans = vec![];
        }
        Some(RuleId::NameMismatch) => {}
        _ => {
            let defaults = LeafSpec::default().sans;
            let extra = like.leaf.sans.iter().filter(|s| !defaults.contains(s) && !s.contains("{name}")).cloned();
            p.leaf.sans = req.names.iter().map(|n| n.to_string()).chain(extra).collect();
            // Keep a defect that is the subject: an empty one, or a CN that is not a copy.
            p.leaf.cn = match like.breaks {
                _ if like.leaf.cn.is_empty() => String::new(),
                Some(RuleId::NameCnNotInSan) => common_name(&req.names).to_ascii_uppercase(),
                _ => common_name(&req.names),
            };
        }
    }
    if req.client && !p.leaf.eku.contains(&Eku::ClientAuth) {
        p.leaf.eku.push(Eku::ClientAuth);
    }
    if req.names.iter().any(|n| matches!(n, Name::Email(_))) && !p.leaf.eku.contains(&Eku::EmailProtection) {
        p.leaf.eku.push(Eku::EmailProtection);
    }
    if let Some(k) = req.key {
        p.leaf.key = Some(k);
    }
    if let Some((from, until)) = req.validity {
        if until <= from {
            return Err(Error::Input(format!(
                "the certificate would end ({}) before it starts ({})",
                crate::labdir::rfc3339(until),
                crate::labdir::rfc3339(from)
            )));
        }
        let rel = |t: OffsetDateTime| RelTime::seconds((t - now).whole_seconds());
        p.leaf.validity = Validity { not_before: rel(from), not_after: rel(until) };
    }
    // The scenario's own client certificate belongs to its server, not to this request.
    p.client_cert = None;
    Ok(p)
}

/// The subject CN: the first DNS name, else the first email or URI. Never an IP address: with no
/// DNS name in the SAN, OpenSSL checks a host-like CN against the DNS name constraints, and an
/// address is not inside any DNS subtree.
fn common_name(names: &[Name]) -> String {
    let pick = names
        .iter()
        .find(|n| matches!(n, Name::Dns(_)))
        .or_else(|| names.iter().find(|n| !matches!(n, Name::Ip(_))))
        .map(|n| n.to_string())
        .filter(|s| s.len() <= 64);
    pick.unwrap_or_else(|| "pki-lab certificate".to_string())
}

/// A certificate signed for an external CSR.
pub struct Signed {
    pub cert: CertificateDer<'static>,
    pub names: Vec<Name>,
    pub serial: SerialNumber,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// The names a CSR asks for, to check them before signing.
pub fn csr_names(pem: &str, source: &str) -> Result<(CertificateSigningRequestParams, Vec<Name>)> {
    let req = CertificateSigningRequestParams::from_pem(pem)
        .map_err(Error::rcgen(format!("{source}: reading the certificate signing request")))?;
    let mut names = Vec::new();
    for san in &req.params.subject_alt_names {
        names.push(match san {
            SanType::DnsName(s) => Name::parse(s.as_str())?,
            SanType::IpAddress(ip) => Name::Ip(*ip),
            SanType::Rfc822Name(s) => Name::parse(s.as_str())?,
            SanType::URI(s) => Name::parse(s.as_str())?,
            other => {
                return Err(Error::Input(format!("{source}: unsupported subjectAltName {other:?}")));
            }
        });
    }
    if names.is_empty() {
        return Err(Error::Input(format!(
            "{source}: the request asks for no subjectAltName; clients ignore the subject CN\n  hint: add the names to the CSR (openssl req -addext \"subjectAltName=DNS:app.test\")"
        )));
    }
    Ok((req, names))
}

/// Signs a CSR with `ca`, keeping its subject, names and key usages but choosing the serial,
/// the validity and CA:FALSE here (rcgen's defaults would be a key hash and 1975–4096).
pub fn sign_csr(
    mut req: CertificateSigningRequestParams,
    names: Vec<Name>,
    ca: &CaCert,
    client: bool,
    validity: (OffsetDateTime, OffsetDateTime),
) -> Result<Signed> {
    let serial = ca::random_serial();
    let p = &mut req.params;
    p.serial_number = Some(serial.clone());
    (p.not_before, p.not_after) = validity;
    p.is_ca = IsCa::NoCa;
    p.name_constraints = None;
    p.use_authority_key_identifier_extension = true;
    if p.key_usages.is_empty() {
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }
    p.key_usages.retain(|k| !matches!(k, KeyUsagePurpose::KeyCertSign | KeyUsagePurpose::CrlSign));
    if p.extended_key_usages.is_empty() {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    }
    if client && !p.extended_key_usages.contains(&ExtendedKeyUsagePurpose::ClientAuth) {
        p.extended_key_usages.push(ExtendedKeyUsagePurpose::ClientAuth);
    }
    let cert = req.signed_by(&ca.issuer).map_err(Error::rcgen("signing the CSR"))?;
    Ok(Signed { cert: cert.der().clone(), names, serial, not_before: validity.0, not_after: validity.1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::template::Catalogue;

    fn tailored(like: &str, names: &[&str]) -> Result<Template> {
        let cat = Catalogue::builtin().expect("catalogue");
        let names = names.iter().map(|n| Name::parse(n).expect("name")).collect();
        tailor(cat.get(like).expect("template"), &Request { names, ..Default::default() }, OffsetDateTime::now_utc())
    }

    /// The scenario's own CRL as x509-parser reads it: (has cRLNumber, cRLNumber critical,
    /// signature verifies with its issuer's key).
    fn own_crl(name: &str) -> (bool, bool, bool) {
        let cat = Catalogue::builtin().expect("catalogue");
        let lab = LabCa::create(&ca::CaOptions::default(), OffsetDateTime::now_utc()).expect("lab");
        let made =
            issue(cat.get(name).expect("template"), &lab, KeyType::P256, OffsetDateTime::now_utc()).expect("issues");
        let (pem, issuer) = made.own_crl.expect("own CRL");
        let der = rustls::pki_types::pem::PemObject::from_pem_slice(pem.as_bytes()).expect("PEM");
        let der: rustls::pki_types::CertificateRevocationListDer<'static> = der;
        let (_, crl) = x509_parser::parse_x509_crl(&der).expect("parses");
        let (_, ca) = x509_parser::parse_x509_certificate(&issuer).expect("issuer parses");
        let number = crl.extensions().iter().find(|e| e.oid.to_id_string() == "2.5.29.20");
        let verifies = crl.verify_signature(ca.public_key()).is_ok();
        (number.is_some(), number.is_some_and(|e| e.critical), verifies)
    }

    #[test]
    fn a_scenarios_own_crl_carries_exactly_its_defect() {
        assert_eq!(own_crl("crl-stale"), (true, false, true), "the control: well formed, only old");
        assert_eq!(own_crl("crl-number-missing"), (false, false, true));
        assert_eq!(own_crl("crl-bad-signature"), (true, false, false));
        assert_eq!(own_crl("crl-without-crl-sign"), (true, false, true));
    }

    #[test]
    fn a_scenarios_own_anchor_replaces_the_lab_root() {
        let cat = Catalogue::builtin().expect("catalogue");
        let now = OffsetDateTime::now_utc();
        let lab = LabCa::create(&ca::CaOptions::default(), now).expect("lab");
        let made = issue(cat.get("anchor-expired").expect("template"), &lab, KeyType::P256, now).expect("issues");
        assert_eq!(made.anchor, Anchor::Scenario);
        let anchor = made.own_anchor.expect("own anchor");
        let (_, root) = x509_parser::parse_x509_certificate(&anchor).expect("parses");
        assert!(root.validity().not_after.timestamp() < now.unix_timestamp(), "expired");
        assert!(root.name_constraints().expect("parses").is_none(), "never name-constrained");
        let (_, leaf) = x509_parser::parse_x509_certificate(&made.path[0]).expect("leaf");
        assert_eq!(leaf.issuer(), root.subject());
        // Control: a scenario without `anchor:` ends at the lab root.
        let valid = issue(cat.get("valid").expect("template"), &lab, KeyType::P256, now).expect("issues");
        assert!(valid.anchor == Anchor::Root && valid.own_anchor.is_none() && valid.own_crl.is_none());
    }

    #[test]
    fn tailoring_keeps_a_defect_that_is_the_subject() {
        assert_eq!(tailored("cn-not-in-san", &["app.test"]).expect("tailors").leaf_cn(), "APP.TEST");
        assert_eq!(tailored("san-noncritical-no-subject", &["app.test"]).expect("tailors").leaf.cn, "");
        // Control: an ordinary scenario takes the first name as its CN.
        assert_eq!(tailored("expired", &["app.test"]).expect("tailors").leaf_cn(), "app.test");
        let err = tailored("constraint-registered-id", &["app.test"]).expect_err("fixed SAN").to_string();
        assert!(err.contains("written as fixed bytes"), "{err}");
    }
}
