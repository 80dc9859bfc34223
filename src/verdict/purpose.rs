//! `purpose.*`: what the leaf may be used for, and EKU chaining through its CAs (RFC 5280
//! §4.2.1.12, BR §7.1.2.7.10).

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{ExtendedKeyUsage, ParsedExtension};

use super::engine::*;
use super::{crypto::*, path::*, validity::plural};
use crate::catalogue::rules::RuleId;

pub(super) fn purpose_eku(chain: &Chain<'_, '_>) -> (Status, String) {
    let leaf = short_name(chain.leaf().subject());
    let eku = match eku_of(chain.leaf()) {
        None => {
            return (
                Status::Pass,
                format!(
                    "leaf {leaf} has no extendedKeyUsage: any purpose is allowed (webpki, OpenSSL and Go accept this)"
                ),
            );
        }
        Some(Ok((eku, _))) => eku,
        Some(Err(e)) => return (Status::Fail, format!("leaf {leaf}: extendedKeyUsage does not parse: {e}")),
    };
    if eku.server_auth {
        return (Status::Pass, format!("leaf {leaf} extendedKeyUsage includes serverAuth"));
    }
    if eku.any {
        return (
            Status::Pass,
            format!(
                "leaf {leaf} extendedKeyUsage has anyExtendedKeyUsage, which RFC 5280 lets stand for every purpose (OpenSSL accepts it); the BR and webpki do not: {}",
                RuleId::PurposeAnyEku
            ),
        );
    }
    // serverAuth and anyExtendedKeyUsage are absent here: what is left is what the leaf allows.
    let present = crate::pki::x509::eku_names(eku);
    if present.is_empty() {
        return (Status::Fail, format!("leaf {leaf} has an empty extendedKeyUsage: no purpose is allowed"));
    }
    (Status::Fail, format!("leaf {leaf} extendedKeyUsage allows {} only, not serverAuth", present.join(", ")))
}

pub(super) fn any_eku(chain: &Chain<'_, '_>) -> (Status, String) {
    let who = chain.label(0);
    match eku_of(chain.leaf()) {
        None => (Status::NotApplicable, format!("{who} has no extendedKeyUsage")),
        Some(Err(_)) => {
            (Status::NotApplicable, format!("{who}: extendedKeyUsage does not parse ({})", RuleId::PurposeEku))
        }
        Some(Ok((eku, _))) if eku.any => {
            let with = if eku.server_auth { " beside serverAuth" } else { " in place of serverAuth" };
            (
                Status::Fail,
                format!(
                    "{who} extendedKeyUsage has anyExtendedKeyUsage{with}; the BR forbid it in a TLS server certificate"
                ),
            )
        }
        Some(Ok(_)) => (Status::Pass, format!("{who} extendedKeyUsage has no anyExtendedKeyUsage")),
    }
}

pub(super) fn eku_missing(chain: &Chain<'_, '_>) -> (Status, String) {
    let who = chain.label(0);
    match eku_of(chain.leaf()) {
        None => (
            Status::Fail,
            format!(
                "{who} has no extendedKeyUsage (webpki and OpenSSL read that as any purpose; the BR require serverAuth)"
            ),
        ),
        Some(_) => (Status::Pass, format!("{who} has an extendedKeyUsage")),
    }
}

pub(super) fn eku_critical(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut seen = 0;
    for i in chain.checked() {
        for ext in exts(chain.x(i), ext_oid::EKU) {
            seen += 1;
            if ext.critical {
                fails.push(format!("{}: extendedKeyUsage is critical (the BR say not critical)", chain.label(i)));
            }
        }
    }
    if seen == 0 {
        return (Status::NotApplicable, "no extendedKeyUsage on the path".to_string());
    }
    decide(fails, || format!("{seen} extendedKeyUsage{} not critical", plural(seen)))
}

pub(super) fn ca_eku(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut with = Vec::new();
    // The anchor is not checked: webpki reads only the anchor's subject, key and name constraints.
    for i in 1..chain.checked().end.max(1) {
        let who = chain.label(i);
        match eku_of(chain.x(i)) {
            None => {}
            Some(Err(e)) => fails.push(format!("{who}: extendedKeyUsage does not parse: {e}")),
            Some(Ok((eku, _))) if eku.server_auth => with.push(who),
            Some(Ok((eku, _))) => {
                let any = if eku.any { " (anyExtendedKeyUsage does not stand in for it in webpki)" } else { "" };
                fails.push(format!(
                    "{who} extendedKeyUsage lacks serverAuth{any}: webpki and Go refuse the leaves it issues"
                ));
            }
        }
    }
    if fails.is_empty() && with.is_empty() {
        return (Status::NotApplicable, "no CA below the root has an extendedKeyUsage".to_string());
    }
    decide(fails, || format!("{} extendedKeyUsage includes serverAuth", with.join(", ")))
}

/// The first extendedKeyUsage of `x` and whether it is critical, or why it does not parse.
fn eku_of<'x, 'a>(x: &'x X509Certificate<'a>) -> Option<std::result::Result<(&'x ExtendedKeyUsage<'a>, bool), String>> {
    let ext = exts(x, ext_oid::EKU).into_iter().next()?;
    Some(match ext.parsed_extension() {
        ParsedExtension::ExtendedKeyUsage(eku) => Ok((eku, ext.critical)),
        ParsedExtension::ParseError { error } => Err(error.to_string()),
        _ => Err("not an ExtendedKeyUsage".to_string()),
    })
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use rcgen::ExtendedKeyUsagePurpose as Eku;

    use super::super::crypto::testkit::*;
    use crate::catalogue::rules::RuleId;
    use crate::verdict::engine::Status;

    #[test]
    fn any_extended_key_usage_fails_any_eku_and_not_eku() {
        let p = pki();
        let leaf = leaf(&p.inter, |l| l.extended_key_usages = vec![Eku::Any]);
        let r = eval(&[leaf, p.inter.der.clone()], &p.root.der, &[]);
        let e = only(&r, &[RuleId::PurposeAnyEku]);
        assert_eq!(
            e,
            "leaf CN=localhost extendedKeyUsage has anyExtendedKeyUsage in place of serverAuth; the BR forbid it in a TLS server certificate"
        );
        assert_eq!(status(&r, RuleId::PurposeEku).0, Status::Pass);
        let r = eval(&[p.leaf.clone(), p.inter.der.clone()], &p.root.der, &[]);
        assert_eq!(status(&r, RuleId::PurposeAnyEku).0, Status::Pass);
    }

    #[test]
    fn a_leaf_without_extended_key_usage_fails_eku_missing() {
        let p = pki();
        let leaf = leaf(&p.inter, |l| l.extended_key_usages = vec![]);
        let e = only(&eval(&[leaf, p.inter.der.clone()], &p.root.der, &[]), &[RuleId::PurposeEkuMissing]);
        assert!(e.starts_with("leaf CN=localhost has no extendedKeyUsage"), "{e}");
    }

    #[test]
    fn a_critical_extended_key_usage_fails_eku_critical() {
        let p = pki();
        let leaf = resign_exts(&p.leaf, &p.inter.key, |exts| {
            exts.iter_mut().filter(|e| e.oid == EKU).for_each(|e| e.critical = true)
        });
        let e = only(&eval(&[der(leaf), p.inter.der.clone()], &p.root.der, &[]), &[RuleId::PurposeEkuCritical]);
        assert_eq!(e, "leaf CN=localhost: extendedKeyUsage is critical (the BR say not critical)");
    }

    #[test]
    fn a_ca_whose_extended_key_usage_lacks_server_auth_fails_ca_eku() {
        let root = root();
        let inter = ca(&root, |c| c.extended_key_usages = vec![Eku::ClientAuth]);
        let leaf = leaf(&inter, |_| {});
        let e = only(&eval(&[leaf, inter.der.clone()], &root.der, &[]), &[RuleId::PurposeCaEku]);
        assert_eq!(
            e,
            "intermediate CN=Test Intermediate extendedKeyUsage lacks serverAuth: webpki and Go refuse the leaves it issues"
        );
        // Control: with serverAuth the chain passes.
        let inter = ca(&root, |c| c.extended_key_usages = vec![Eku::ServerAuth]);
        let leaf = super::super::crypto::testkit::leaf(&inter, |_| {});
        let r = eval(&[leaf, inter.der.clone()], &root.der, &[]);
        only(&r, &[]);
        assert_eq!(status(&r, RuleId::PurposeCaEku).0, Status::Pass);
    }
}
