//! `chain.name-constraints*`: every CA's nameConstraints against every certificate below it, in
//! every name form (RFC 5280 §4.2.1.10, §6.1.3 (b)(c)), with a budget on comparisons as webpki has.

use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, GeneralSubtree};
use x509_parser::x509::X509Name;

use super::constraints::basic_constraints;
use super::engine::*;
use super::names::*;
use super::{path::*, validity::*};

/// Name-versus-subtree comparisons one path may need (webpki's budget).
pub(super) const MAX_COMPARISONS: usize = 250_000;

/// A name of a certificate that constraints apply to.
enum Name<'a> {
    Dns(String),
    Ip(IpAddr),
    Email(String),
    Uri(String),
    Dir(X509Name<'a>),
    /// A form pki-lab does not compare (otherName, x400Address, ediPartyName, registeredID).
    Other(&'static str),
}

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Name::Dns(d) => write!(f, "DNS:{d}"),
            Name::Ip(ip) => write!(f, "IP:{ip}"),
            Name::Email(e) => write!(f, "email:{e}"),
            Name::Uri(u) => write!(f, "URI:{u}"),
            Name::Dir(n) => write!(f, "DirName:{n}"),
            Name::Other(form) => f.write_str(form),
        }
    }
}

/// The form of a general name that pki-lab cannot compare, if it is one.
fn unsupported_form(g: &GeneralName<'_>) -> Option<&'static str> {
    match g {
        GeneralName::OtherName(..) => Some("otherName"),
        GeneralName::X400Address(_) => Some("x400Address"),
        GeneralName::EDIPartyName(_) => Some("ediPartyName"),
        GeneralName::RegisteredID(_) => Some("registeredID"),
        GeneralName::Invalid(..) => Some("an unreadable name"),
        _ => None,
    }
}

/// Every name of `x` a constraint applies to: its subjectAltName entries, its subject (when not
/// empty) as a directoryName, and the subject's emailAddress attributes as rfc822Names.
fn names_of<'c>(x: &'c X509Certificate<'_>) -> Vec<Name<'c>> {
    let mut out = Vec::new();
    if let Ok(Some(ext)) = x.subject_alternative_name() {
        for g in &ext.value.general_names {
            out.push(match g {
                GeneralName::DNSName(d) => Name::Dns(d.to_string()),
                GeneralName::IPAddress(b) => match ip_from(b) {
                    Some(ip) => Name::Ip(ip),
                    None => Name::Other("an iPAddress of the wrong length"),
                },
                GeneralName::RFC822Name(e) => Name::Email(e.to_string()),
                GeneralName::URI(u) => Name::Uri(u.to_string()),
                GeneralName::DirectoryName(n) => Name::Dir(n.clone()),
                other => Name::Other(unsupported_form(other).unwrap_or("a name")),
            });
        }
    }
    let subject = x.subject();
    if subject.iter_attributes().next().is_some() {
        out.push(Name::Dir(subject.clone()));
        for e in subject.iter_email() {
            if let Ok(v) = e.as_str() {
                out.push(Name::Email(v.to_string()));
            }
        }
    }
    out
}

/// Is `name` inside `base`? `None` when they are of different forms.
fn within(name: &Name<'_>, base: &GeneralName<'_>, excluded: bool) -> Option<bool> {
    Some(match (name, base) {
        (Name::Dns(n), GeneralName::DNSName(b)) if excluded => dns_may_reach_subtree(n, b),
        (Name::Dns(n), GeneralName::DNSName(b)) => dns_in_subtree(n, b),
        (Name::Ip(ip), GeneralName::IPAddress(b)) => ip_in_subtree(*ip, b),
        (Name::Email(e), GeneralName::RFC822Name(b)) => email_in_subtree(e, b),
        (Name::Uri(u), GeneralName::URI(b)) => uri_in_subtree(u, b),
        (Name::Dir(n), GeneralName::DirectoryName(b)) => dn_in_subtree(n, b),
        _ => return None,
    })
}

/// RFC 5280 §4.2.1.10 for rfc822Name: `user@host` one mailbox, `host` every mailbox at that
/// host, `.host` every mailbox at a host below it.
pub(super) fn email_in_subtree(email: &str, base: &str) -> bool {
    let Some((_, host)) = email.rsplit_once('@') else { return false };
    if base.contains('@') {
        return email.eq_ignore_ascii_case(base);
    }
    if base.starts_with('.') {
        host.len() > base.len() && host.to_ascii_lowercase().ends_with(&base.to_ascii_lowercase())
    } else {
        host.eq_ignore_ascii_case(base)
    }
}

/// The host of a URI (`scheme://[userinfo@]host[:port]/…`), lower case; `None` without one.
fn uri_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host =
        if let Some(v6) = host_port.strip_prefix('[') { v6.split_once(']')?.0 } else { host_port.split(':').next()? };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// RFC 5280 §4.2.1.10 for URIs: the constraint is a host; `.host` means any host below it. A URI
/// without a host is outside every URI subtree.
pub(super) fn uri_in_subtree(uri: &str, base: &str) -> bool {
    let Some(host) = uri_host(uri) else { return false };
    let base = base.to_ascii_lowercase();
    if base.starts_with('.') { host.len() > base.len() && host.ends_with(&base) } else { host == base }
}

/// RFC 5280 §4.2.1.10, §7.1: a directoryName lies in the subtree when the subtree's RDNs begin
/// it; attribute values compare case-insensitively with spaces collapsed (as §7.1 prescribes
/// for the string types, short of full LDAP StringPrep).
fn dn_in_subtree(name: &X509Name<'_>, base: &X509Name<'_>) -> bool {
    let n: Vec<_> = name.iter_rdn().collect();
    let b: Vec<_> = base.iter_rdn().collect();
    if b.len() > n.len() {
        return false;
    }
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    b.iter().zip(&n).all(|(br, nr)| {
        let ba: Vec<_> = br.iter().collect();
        let na: Vec<_> = nr.iter().collect();
        ba.len() == na.len()
            && ba.iter().all(|a| {
                na.iter().any(|c| {
                    c.attr_type() == a.attr_type()
                        && (c.attr_value().data == a.attr_value().data
                            || matches!((c.as_str(), a.as_str()), (Ok(x), Ok(y)) if norm(x) == norm(y)))
                })
            })
    })
}

/// Positions below CA `j` whose names its constraints govern: every certificate under it but
/// self-issued intermediates (§6.1.3 (b), §6.1.4 (b)); the leaf always.
fn governed(chain: &Chain<'_, '_>, j: usize) -> impl Iterator<Item = usize> {
    (0..j).filter(move |&i| i == 0 || !self_issued(chain.x(i)))
}

struct Constrained<'c> {
    j: usize,
    permitted: &'c [GeneralSubtree<'c>],
    excluded: &'c [GeneralSubtree<'c>],
}

/// The CAs on the path (the trust anchor included, as webpki and limbo apply its constraints)
/// whose nameConstraints parse, and the labels of those that do not.
fn constrained<'c>(chain: &'c Chain<'_, '_>) -> (Vec<Constrained<'c>>, Vec<String>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for j in 1..chain.len() {
        match chain.x(j).name_constraints() {
            Ok(None) => {}
            Ok(Some(ext)) => ok.push(Constrained {
                j,
                permitted: ext.value.permitted_subtrees.as_deref().unwrap_or(&[]),
                excluded: ext.value.excluded_subtrees.as_deref().unwrap_or(&[]),
            }),
            Err(_) => bad.push(chain.label(j)),
        }
    }
    (ok, bad)
}

/// The comparisons the whole path needs: names below each CA times its subtrees.
fn comparisons(chain: &Chain<'_, '_>, cas: &[Constrained<'_>]) -> usize {
    cas.iter()
        .map(|c| {
            let names: usize = governed(chain, c.j).map(|i| names_of(chain.x(i)).len()).sum();
            names.saturating_mul(c.permitted.len() + c.excluded.len())
        })
        .fold(0, usize::saturating_add)
}

fn fmt_base(g: &GeneralName<'_>) -> String {
    match g {
        GeneralName::DNSName(d) => d.to_string(),
        GeneralName::IPAddress(b) => fmt_ip_subtree(b),
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::URI(u) => format!("URI:{u}"),
        GeneralName::DirectoryName(n) => format!("DirName:{n}"),
        other => unsupported_form(other).unwrap_or("a name").to_string(),
    }
}

pub(super) fn name_constraints(chain: &Chain<'_, '_>) -> (Status, String) {
    let (cas, bad) = constrained(chain);
    if cas.is_empty() && bad.is_empty() {
        return (Status::Pass, "no CA on the path has nameConstraints".to_string());
    }
    let n = comparisons(chain, &cas);
    if n > MAX_COMPARISONS {
        return (
            Status::NotApplicable,
            format!("not checked: {n} comparisons exceed the budget (see chain.name-constraints-budget)"),
        );
    }
    let mut fails = Vec::new();
    let mut checked = 0;
    for c in &cas {
        for i in governed(chain, c.j) {
            for name in names_of(chain.x(i)) {
                checked += 1;
                let same_form = c.permitted.iter().filter(|t| within(&name, &t.base, false).is_some());
                if same_form.clone().next().is_some()
                    && !same_form.into_iter().any(|t| within(&name, &t.base, false) == Some(true))
                {
                    let list = c.permitted.iter().map(|t| fmt_base(&t.base)).collect::<Vec<_>>().join(", ");
                    fails.push(format!(
                        "in {}: {name} is outside the permitted subtrees of {} ({list})",
                        chain.label(i),
                        chain.label(c.j)
                    ));
                }
                if let Some(t) = c.excluded.iter().find(|t| within(&name, &t.base, true) == Some(true)) {
                    fails.push(format!(
                        "in {}: {name} is inside the excluded subtree {} of {}",
                        chain.label(i),
                        fmt_base(&t.base),
                        chain.label(c.j)
                    ));
                }
            }
        }
    }
    let mut notes = String::new();
    if !bad.is_empty() {
        notes =
            format!("; the nameConstraints of {} do not parse (see chain.name-constraints-malformed)", bad.join(", "));
    }
    if !fails.is_empty() {
        let more = if fails.len() > 6 { format!("; … ({} more)", fails.len() - 6) } else { String::new() };
        fails.truncate(6);
        return (Status::Fail, format!("{}{more}{notes}", fails.join("; ")));
    }
    let labels = cas.iter().map(|c| chain.label(c.j)).collect::<Vec<_>>().join(", ");
    if cas.is_empty() {
        return (Status::NotApplicable, format!("no nameConstraints could be read{notes}"));
    }
    (
        Status::Pass,
        format!(
            "{checked} name{} below {labels} lie within their name constraints (subjects and every subjectAltName form; the CN is not a name, as in webpki){notes}",
            plural(checked)
        ),
    )
}

/// One DER element: (tag, content, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, b) = b.split_first()?;
    let (&first, b) = b.split_first()?;
    let (len, b) = match first {
        n if n < 0x80 => (n as usize, b),
        0x81..=0x83 => {
            let k = (first & 0x7f) as usize;
            let (bytes, b) = (b.get(..k)?, b.get(k..)?);
            (bytes.iter().fold(0usize, |a, &x| a << 8 | x as usize), b)
        }
        _ => return None,
    };
    Some((tag, b.get(..len)?, b.get(len..)?))
}

/// Subtrees whose minimum is not 0 or which carry a maximum (§4.2.1.10: minimum MUST be zero,
/// maximum MUST be absent); x509-parser drops both fields, so they are read from the DER.
fn min_max_problems(value: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let Some((_, body, _)) = tlv(value) else { return out };
    let mut lists = body;
    while let Some((_, list, rest)) = tlv(lists) {
        lists = rest;
        let mut subtrees = list;
        while let Some((_, subtree, rest)) = tlv(subtrees) {
            subtrees = rest;
            let Some((_, _, mut fields)) = tlv(subtree) else { continue };
            while let Some((tag, content, rest)) = tlv(fields) {
                fields = rest;
                match tag {
                    0x80 if content.iter().any(|&b| b != 0) => out.push("a subtree has a minimum other than 0".into()),
                    0x81 => out.push("a subtree has a maximum".into()),
                    _ => {}
                }
            }
        }
    }
    out
}

/// Why a subtree's base is malformed, if it is.
fn base_problem(g: &GeneralName<'_>) -> Option<String> {
    match g {
        GeneralName::DNSName(d) if d.starts_with('.') => {
            Some(format!("DNS:{d} starts with a dot (allowed for URIs and emails, not dNSName constraints)"))
        }
        GeneralName::DNSName(d) if !d.is_empty() => {
            dns_syntax(d).or_else(|| d.contains('*').then(|| "a wildcard".into())).map(|why| format!("DNS:{d}: {why}"))
        }
        GeneralName::IPAddress(b) if b.len() != 8 && b.len() != 32 => {
            Some(format!("an iPAddress constraint of {} octets (8 or 32: address and mask)", b.len()))
        }
        GeneralName::IPAddress(b) => {
            let mask = &b[b.len() / 2..];
            let bits: Vec<bool> = mask.iter().flat_map(|m| (0..8).rev().map(move |k| m >> k & 1 == 1)).collect();
            let ones = bits.iter().take_while(|b| **b).count();
            bits[ones..].iter().any(|b| *b).then(|| format!("IP:{}: the mask is not a prefix", fmt_ip_subtree(b)))
        }
        GeneralName::Invalid(..) => Some("a subtree's name does not parse".into()),
        _ => None,
    }
}

pub(super) fn name_constraints_malformed(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut seen = Vec::new();
    for i in 0..chain.len() {
        let x = chain.x(i);
        let Some(ext) =
            x.extensions().iter().find(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_NAME_CONSTRAINTS)
        else {
            continue;
        };
        let label = chain.label(i);
        if !matches!(basic_constraints(x), Ok(Some((true, _)))) {
            fails.push(format!("{label} has nameConstraints but is not a CA (only CA certificates may)"));
        }
        let mut problems = min_max_problems(ext.value);
        match x.name_constraints() {
            Err(e) => problems.push(format!(
                "they do not parse ({e}); a present permittedSubtrees or excludedSubtrees holds at least one subtree"
            )),
            Ok(Some(nc)) if nc.value.permitted_subtrees.is_none() && nc.value.excluded_subtrees.is_none() => {
                problems.push("neither permittedSubtrees nor excludedSubtrees is present".into())
            }
            Ok(Some(nc)) => {
                let all = nc.value.permitted_subtrees.iter().chain(nc.value.excluded_subtrees.iter()).flatten();
                problems.extend(all.filter_map(|t| base_problem(&t.base)));
            }
            Ok(None) => {}
        }
        if problems.is_empty() {
            let critical = if ext.critical { "critical" } else { "not critical (BR §7.1.2.5.2 allows it)" };
            seen.push(format!("{label} ({critical})"));
        } else {
            fails.push(format!("the nameConstraints of {label}: {}", problems.join("; ")));
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if seen.is_empty() {
        return (Status::NotApplicable, "no certificate on the path has nameConstraints".into());
    }
    (Status::Pass, format!("well-formed nameConstraints in {}", seen.join(", ")))
}

pub(super) fn name_constraints_unsupported(chain: &Chain<'_, '_>) -> (Status, String) {
    let (cas, _) = constrained(chain);
    if cas.is_empty() {
        return (Status::NotApplicable, "no CA on the path has nameConstraints that parse".into());
    }
    let mut fails = Vec::new();
    let mut notes = Vec::new();
    for c in &cas {
        let mut forms: Vec<&str> =
            c.permitted.iter().chain(c.excluded).filter_map(|t| unsupported_form(&t.base)).collect();
        forms.dedup();
        for form in forms {
            let hit = governed(chain, c.j)
                .find(|&i| names_of(chain.x(i)).iter().any(|n| matches!(n, Name::Other(f) if *f == form)));
            match hit {
                Some(i) => fails.push(format!(
                    "{} constrains {form} names, which pki-lab cannot check, and {} has one (§4.2.1.10: reject)",
                    chain.label(c.j),
                    chain.label(i)
                )),
                None => notes.push(format!("{} constrains {form}, which no name below it uses", chain.label(c.j))),
            }
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if notes.is_empty() {
        return (
            Status::Pass,
            "every constraint on the path is of a form pki-lab checks (DNS, IP, email, URI, directoryName)".into(),
        );
    }
    (Status::Pass, notes.join("; "))
}

pub(super) fn name_constraints_budget(chain: &Chain<'_, '_>) -> (Status, String) {
    let (cas, _) = constrained(chain);
    if cas.is_empty() {
        return (Status::NotApplicable, "no CA on the path has nameConstraints that parse".into());
    }
    let n = comparisons(chain, &cas);
    let detail = cas
        .iter()
        .map(|c| {
            let names: usize = governed(chain, c.j).map(|i| names_of(chain.x(i)).len()).sum();
            format!("{} names × {} subtrees of {}", names, c.permitted.len() + c.excluded.len(), chain.label(c.j))
        })
        .collect::<Vec<_>>()
        .join(", ");
    if n > MAX_COMPARISONS {
        return (Status::Fail, format!("{n} comparisons ({detail}) exceed the budget of {MAX_COMPARISONS}"));
    }
    (Status::Pass, format!("{n} comparison{} ({detail}), within the budget of {MAX_COMPARISONS}", plural(n)))
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_subtrees_are_a_mailbox_a_host_or_the_hosts_below_a_domain() {
        assert!(email_in_subtree("a@example.com", "a@example.com"));
        assert!(!email_in_subtree("b@example.com", "a@example.com"));
        assert!(email_in_subtree("b@example.com", "example.com"));
        assert!(!email_in_subtree("b@mail.example.com", "example.com"));
        assert!(email_in_subtree("b@mail.example.com", ".example.com"));
        assert!(!email_in_subtree("b@example.com", ".example.com"));
        assert!(!email_in_subtree("not-an-address", "example.com"));
    }

    #[test]
    fn uri_subtrees_compare_the_host() {
        assert!(uri_in_subtree("https://example.com/x", "example.com"));
        assert!(uri_in_subtree("https://user@EXAMPLE.com:8443/", "example.com"));
        assert!(!uri_in_subtree("https://www.example.com/", "example.com"));
        assert!(uri_in_subtree("https://www.example.com/", ".example.com"));
        assert!(!uri_in_subtree("urn:isbn:123", "example.com"), "no host: outside every URI subtree");
        assert!(uri_in_subtree("https://[::1]:443/", "::1"));
    }

    #[test]
    fn minimum_and_maximum_are_read_from_the_der() {
        // permittedSubtrees [0] { GeneralSubtree { dNSName "a", maximum [1] 2 } }
        let with_max = [0x30, 0x0a, 0xa0, 0x08, 0x30, 0x06, 0x82, 0x01, b'a', 0x81, 0x01, 0x02];
        assert_eq!(min_max_problems(&with_max), ["a subtree has a maximum"]);
        let with_min = [0x30, 0x0a, 0xa0, 0x08, 0x30, 0x06, 0x82, 0x01, b'a', 0x80, 0x01, 0x01];
        assert_eq!(min_max_problems(&with_min), ["a subtree has a minimum other than 0"]);
        let plain = [0x30, 0x07, 0xa0, 0x05, 0x30, 0x03, 0x82, 0x01, b'a'];
        assert!(min_max_problems(&plain).is_empty());
    }
}
