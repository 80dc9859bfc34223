//! `encoding.*`: how certificates are written (RFC 5280 §4.1, §4.2).

use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::x509::X509Version;

use super::engine::*;
use super::{crypto::*, path::*, validity::*};

pub(super) fn serial(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut longest = 0;
    for i in chain.checked() {
        let x = chain.x(i);
        let raw = x.raw_serial();
        let who = format!("{} serial {}", chain.label(i), x.raw_serial_as_string());
        // The value's octets: DER adds one 0x00 when the top bit is set (webpki counts the same).
        let value = match raw {
            [0, rest @ ..] if !rest.is_empty() => rest,
            _ => raw,
        };
        if raw.first().is_some_and(|b| b & 0x80 != 0) {
            fails.push(format!("{who} is negative"));
        } else if raw.iter().all(|b| *b == 0) {
            fails.push(format!("{who} is zero"));
        } else if value.len() > 20 {
            fails.push(format!("{who} is {} octets long (at most 20)", value.len()));
        }
        longest = longest.max(value.len());
    }
    let n = chain.checked().len();
    decide(fails, || format!("{n} serial{} positive, longest {longest} octets", plural(n)))
}

pub(super) fn time_encoding(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    for i in chain.checked() {
        let v = chain.x(i).validity();
        for (field, t) in [("notBefore", &v.not_before), ("notAfter", &v.not_after)] {
            let year = t.to_datetime().year();
            let when = fmt_time(t.timestamp());
            if year < 2050 && !t.is_utctime() {
                fails.push(format!(
                    "{} {field} {when} is GeneralizedTime; before 2050 it must be UTCTime",
                    chain.label(i)
                ));
            } else if year >= 2050 && t.is_utctime() {
                fails.push(format!(
                    "{} {field} {when} is UTCTime; from 2050 it must be GeneralizedTime",
                    chain.label(i)
                ));
            }
        }
    }
    let n = chain.checked().len();
    decide(fails, || format!("{n} certificate{}: dates through 2049 in UTCTime, later in GeneralizedTime", plural(n)))
}

pub(super) fn version(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    for i in chain.checked() {
        let x = chain.x(i);
        let v = x.version();
        let shown = format!("v{}", v.0 + 1);
        if v.0 > X509Version::V3.0 {
            fails.push(format!("{} is version {shown}, which does not exist (v1 to v3)", chain.label(i)));
        } else if !x.extensions().is_empty() && v != X509Version::V3 {
            fails.push(format!("{} has extensions but is {shown} (extensions need v3)", chain.label(i)));
        } else if (x.tbs_certificate.issuer_uid.is_some() || x.tbs_certificate.subject_uid.is_some())
            && v == X509Version::V1
        {
            fails.push(format!("{} has unique identifiers but is v1 (they need v2 or v3)", chain.label(i)));
        }
    }
    let n = chain.checked().len();
    decide(fails, || format!("{n} certificate{} with the version their fields need", plural(n)))
}

pub(super) fn duplicate_extension(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    for i in chain.checked() {
        let mut ids: Vec<String> = chain.x(i).extensions().iter().map(|e| e.oid.to_id_string()).collect();
        ids.sort();
        let mut twice: Vec<String> = ids.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0].clone()).collect();
        twice.dedup();
        for id in twice {
            let n = ids.iter().filter(|d| **d == id).count();
            fails.push(format!("{} has extension {} {n} times", chain.label(i), named(&id)));
        }
    }
    let n = chain.checked().len();
    decide(fails, || format!("{n} certificate{}, each extension once", plural(n)))
}

/// `keyUsage (2.5.29.15)` for the extensions clients know, else the OID.
fn named(id: &str) -> String {
    match KNOWN_CRITICAL.iter().find(|(known, _)| *known == id) {
        Some((_, name)) => format!("{name} ({id})"),
        None => id.to_string(),
    }
}

fn uri_or_kind(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::URI(u) => (*u).to_string(),
        other => format!("{other:?}").split('(').next().unwrap_or("name").to_string(),
    }
}

pub(super) fn aia(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut seen = Vec::new();
    for i in chain.checked() {
        let x = chain.x(i);
        let who = chain.label(i);
        for (oid, name) in [(ext_oid::AIA, "authorityInfoAccess"), (ext_oid::CRL_DP, "cRLDistributionPoints")] {
            for ext in exts(x, oid) {
                if ext.critical {
                    fails.push(format!("{who}: {name} is critical (it must not be)"));
                }
                match ext.parsed_extension() {
                    ParsedExtension::AuthorityInfoAccess(aia) if aia.accessdescs.is_empty() => {
                        fails.push(format!("{who}: {name} is empty"))
                    }
                    ParsedExtension::AuthorityInfoAccess(aia) => {
                        let at: Vec<String> = aia.iter().map(|d| uri_or_kind(&d.access_location)).collect();
                        seen.push(format!("{who} {name} {}", at.join(" ")));
                    }
                    ParsedExtension::CRLDistributionPoints(dps) if dps.points.is_empty() => {
                        fails.push(format!("{who}: {name} is empty"))
                    }
                    ParsedExtension::CRLDistributionPoints(dps) => {
                        let mut at = Vec::new();
                        for dp in dps.iter() {
                            match (&dp.distribution_point, &dp.crl_issuer) {
                                (None, None) => fails
                                    .push(format!("{who}: a {name} entry has neither distributionPoint nor cRLIssuer")),
                                (Some(DistributionPointName::FullName(names)), _) => {
                                    at.extend(names.iter().map(uri_or_kind))
                                }
                                _ => at.push("a relative name".to_string()),
                            }
                        }
                        seen.push(format!("{who} {name} {}", at.join(" ")));
                    }
                    ParsedExtension::ParseError { error } => {
                        fails.push(format!("{who}: {name} does not parse: {error}"))
                    }
                    _ => fails.push(format!("{who}: {name} does not parse")),
                }
            }
        }
    }
    if fails.is_empty() && seen.is_empty() {
        return (Status::NotApplicable, "no authorityInfoAccess or cRLDistributionPoints on the path".to_string());
    }
    decide(fails, || format!("well formed, not critical: {}", seen.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::super::crypto::testkit::*;
    use crate::catalogue::rules::RuleId;

    #[test]
    fn serials_are_positive_non_zero_and_at_most_20_octets() {
        let p = pki();
        let chain = |leaf: Vec<u8>| eval(&[der(leaf), p.inter.der.clone()], &p.root.der, &[]);
        let with_serial = |raw: &[u8]| resign(&p.leaf, &p.inter.key, None, |f| f[1] = tlv(0x02, raw));
        let e = only(&chain(with_serial(&[0xff, 0x01])), &[RuleId::EncodingSerial]);
        assert_eq!(e, "leaf CN=localhost serial ff:01 is negative");
        let e = only(&chain(with_serial(&[0x00])), &[RuleId::EncodingSerial]);
        assert_eq!(e, "leaf CN=localhost serial 00 is zero");
        let e = only(&chain(with_serial(&[0x01; 21])), &[RuleId::EncodingSerial]);
        assert!(e.ends_with("is 21 octets long (at most 20)"), "{e}");
        // Controls: 20 octets, and 20 with the 0x00 DER adds before a set top bit.
        only(&chain(with_serial(&[0x01; 20])), &[]);
        let mut top = vec![0x00];
        top.extend([0x80; 20]);
        only(&chain(with_serial(&top)), &[]);
    }

    fn validity(not_before: (u8, &str), not_after: (u8, &str)) -> Vec<u8> {
        seq(&[tlv(not_before.0, not_before.1.as_bytes()), tlv(not_after.0, not_after.1.as_bytes())])
    }

    #[test]
    fn dates_before_2050_are_utc_time() {
        let p = pki();
        let chain = |leaf: Vec<u8>| eval(&[der(leaf), p.inter.der.clone()], &p.root.der, &[]);
        let v = validity((0x18, "20260501000000Z"), (0x17, "260801000000Z"));
        let e = only(&chain(resign(&p.leaf, &p.inter.key, None, |f| f[4] = v)), &[RuleId::EncodingTime]);
        assert_eq!(
            e,
            "leaf CN=localhost notBefore 2026-05-01T00:00Z is GeneralizedTime; before 2050 it must be UTCTime"
        );
        let v = validity((0x17, "260501000000Z"), (0x17, "260801000000Z"));
        only(&chain(resign(&p.leaf, &p.inter.key, None, |f| f[4] = v)), &[]);
    }

    #[test]
    fn extensions_need_version_3() {
        let p = pki();
        let v2 = resign(&p.leaf, &p.inter.key, None, |f| f[0] = vec![0xa0, 0x03, 0x02, 0x01, 0x01]);
        let e = only(&eval(&[der(v2), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::EncodingVersion]);
        assert_eq!(e, "leaf CN=localhost has extensions but is v2 (extensions need v3)");
    }

    #[test]
    fn an_extension_twice_fails_duplicate_extension() {
        let p = pki();
        let twice = resign_exts(&p.leaf, &p.inter.key, |exts| {
            let aki = exts.iter().find(|e| e.oid == AKI).expect("AKI").clone();
            exts.push(aki);
        });
        let e =
            only(&eval(&[der(twice), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::EncodingDuplicateExtension]);
        assert_eq!(e, "leaf CN=localhost has extension authorityKeyIdentifier (2.5.29.35) 2 times");
    }

    #[test]
    fn authority_info_access_is_well_formed_and_not_critical() {
        let p = pki();
        let ca_issuers = tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02]);
        let aia = seq(&[seq(&[ca_issuers, tlv(0x86, b"http://127.0.0.1/ca.der")])]);
        let mut ext = rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], aia);
        let ok = leaf(&p.inter, |l| l.custom_extensions = vec![ext.clone()]);
        let r = eval(&[ok, p.inter.der.clone()], &p.root.der, &[]);
        only(&r, &[]);
        assert_eq!(
            status(&r, RuleId::EncodingAia).1,
            "well formed, not critical: leaf CN=localhost authorityInfoAccess http://127.0.0.1/ca.der"
        );
        ext.set_criticality(true);
        let critical = leaf(&p.inter, |l| l.custom_extensions = vec![ext]);
        let e = only(&eval(&[critical, p.inter.der.clone()], &p.root.der, &[]), &[RuleId::EncodingAia]);
        assert_eq!(e, "leaf CN=localhost: authorityInfoAccess is critical (it must not be)");
        let empty = rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], vec![0x30, 0x00]);
        let empty = leaf(&p.inter, |l| l.custom_extensions = vec![empty]);
        let e = only(&eval(&[empty, p.inter.der.clone()], &p.root.der, &[]), &[RuleId::EncodingAia]);
        assert_eq!(e, "leaf CN=localhost: authorityInfoAccess is empty");
    }
}
