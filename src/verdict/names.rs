//! `name.*`: the host against the leaf's names, and the names' own form (RFC 9525, RFC 5280
//! §4.2.1.6, BR §7.1.2.7.12, §7.1.4.3); the subtree tests the name constraints use.

use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use super::engine::*;
use super::{path::*, validity::*};

/// A subjectAltName entry the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum San {
    Dns(String),
    Ip(IpAddr),
    Other(String),
}

impl std::fmt::Display for San {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            San::Dns(d) => write!(f, "DNS:{d}"),
            San::Ip(ip) => write!(f, "IP:{ip}"),
            San::Other(o) => f.write_str(o),
        }
    }
}

pub(super) enum Sans {
    Absent,
    Malformed(String),
    Names(Vec<San>),
}

pub(super) fn sans(x: &X509Certificate<'_>) -> Sans {
    match x.subject_alternative_name() {
        Ok(None) => Sans::Absent,
        Err(e) => Sans::Malformed(e.to_string()),
        Ok(Some(ext)) => Sans::Names(
            ext.value
                .general_names
                .iter()
                .map(|g| match g {
                    GeneralName::DNSName(d) => San::Dns(d.to_string()),
                    GeneralName::IPAddress(b) => ip_from(b).map_or_else(|| San::Other(format!("IP:{b:02x?}")), San::Ip),
                    other => San::Other(other.to_string()),
                })
                .collect(),
        ),
    }
}

pub(super) fn ip_from(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

/// The host as the client would match it: an IP address, or a lower-case DNS name without a
/// trailing dot.
pub(super) enum Host {
    Ip(IpAddr),
    Dns(String),
}

pub(super) fn parse_host(host: &str) -> Option<Host> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(Host::Ip(ip));
    }
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (name.len() <= 253 && name.split('.').all(valid_label)).then_some(Host::Dns(name))
}

/// Does the presented DNS name `san` (possibly a wildcard) match the reference `host`?
/// RFC 6125 as webpki applies it: case-insensitive; a wildcard only as the whole leftmost label,
/// matching exactly one label, with at least two labels after it.
pub fn dns_name_matches(san: &str, host: &str) -> bool {
    let san = san.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if san.ends_with('.') || san.is_empty() {
        return false;
    }
    match san.strip_prefix("*.") {
        Some(rest) => {
            let labels: Vec<&str> = rest.split('.').collect();
            if rest.contains('*') || labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
                return false;
            }
            match host.split_once('.') {
                Some((first, tail)) => !first.is_empty() && first != "*" && tail == rest,
                None => false,
            }
        }
        None => !san.contains('*') && san == host,
    }
}

/// Is `name` inside the DNS subtree `base` (RFC 5280 4.2.1.10)? `example.com` covers itself
/// and its subdomains, `.example.com` only its subdomains, the empty base everything. A wildcard
/// SAN is compared as written (`*.example.com` lies in `example.com`, not in `a.example.com`),
/// as webpki does for permitted subtrees.
pub fn dns_in_subtree(name: &str, base: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let base = base.to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if base.starts_with('.') {
        name.len() > base.len() && name.ends_with(&base)
    } else {
        name == base || name.ends_with(&format!(".{base}"))
    }
}

/// Could `name` reach into the excluded DNS subtree `base`? As [`dns_in_subtree`], and a
/// wildcard SAN also counts when one of its expansions would (`*.example.com` vs
/// `a.example.com`; webpki's fix for CVE-2025-61727).
pub fn dns_may_reach_subtree(name: &str, base: &str) -> bool {
    if dns_in_subtree(name, base) {
        return true;
    }
    let Some(rest) = name.strip_prefix("*.") else { return false };
    !base.starts_with('.')
        && base.split_once('.').is_some_and(|(label, tail)| !label.is_empty() && tail.eq_ignore_ascii_case(rest))
}

/// Is `ip` inside the IP subtree `base` (address followed by mask, 8 or 32 octets)? Addresses
/// of the other family never are.
pub fn ip_in_subtree(ip: IpAddr, base: &[u8]) -> bool {
    let octets: Vec<u8> = match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    if base.len() != octets.len() * 2 {
        return false;
    }
    let (addr, mask) = base.split_at(octets.len());
    octets.iter().zip(addr).zip(mask).all(|((o, a), m)| o & m == a & m)
}

/// `10.0.0.0/8` for an IP subtree.
pub(super) fn fmt_ip_subtree(base: &[u8]) -> String {
    let half = base.len() / 2;
    let prefix: u32 = base[half..].iter().map(|b| b.count_ones()).sum();
    match ip_from(&base[..half]) {
        Some(ip) => format!("{ip}/{prefix}"),
        None => format!("IP:{base:02x?}"),
    }
}

pub(super) fn list_names(names: &[San], max: usize) -> String {
    let mut out: Vec<String> = names.iter().take(max).map(San::to_string).collect();
    if names.len() > max {
        out.push(format!("… ({} more)", names.len() - max));
    }
    out.join(", ")
}

pub(super) fn name_mismatch(chain: &Chain<'_, '_>, host: &str) -> (Status, String) {
    let names = match sans(chain.leaf()) {
        Sans::Absent => {
            return (Status::NotApplicable, "the leaf has no subjectAltName (see name.no-san)".to_string());
        }
        Sans::Malformed(e) => return (Status::Fail, format!("the leaf's subjectAltName does not parse: {e}")),
        Sans::Names(names) => names,
    };
    let Some(reference) = parse_host(host) else {
        return (Status::Fail, format!("host `{host}` is neither a DNS name nor an IP address"));
    };
    let hit = names.iter().find(|san| match (san, &reference) {
        (San::Dns(d), Host::Dns(h)) => dns_name_matches(d, h),
        (San::Ip(ip), Host::Ip(h)) => ip == h,
        _ => false,
    });
    match hit {
        Some(san) => (Status::Pass, format!("host `{host}` matches {san}")),
        None => {
            let kind = if matches!(reference, Host::Ip(_)) { "IP address" } else { "DNS name" };
            (
                Status::Fail,
                format!(
                    "{kind} `{host}` is not among the leaf's {} name{}: {}",
                    names.len(),
                    plural(names.len()),
                    list_names(&names, 6)
                ),
            )
        }
    }
}

pub(super) fn name_no_san(chain: &Chain<'_, '_>, host: &str) -> (Status, String) {
    match sans(chain.leaf()) {
        Sans::Names(names) => {
            (Status::Pass, format!("the leaf has a subjectAltName with {} name{}", names.len(), plural(names.len())))
        }
        Sans::Malformed(_) => {
            (Status::Pass, "the leaf has a subjectAltName (it does not parse: see name.mismatch)".into())
        }
        Sans::Absent => {
            let cns: Vec<&str> = chain.leaf().subject().iter_common_name().filter_map(|a| a.as_str().ok()).collect();
            let matches = |cn: &str| match parse_host(host) {
                Some(Host::Dns(h)) => dns_name_matches(cn, &h),
                Some(Host::Ip(ip)) => cn.parse::<IpAddr>().is_ok_and(|c| c == ip),
                None => false,
            };
            let evidence = match cns.iter().find(|cn| matches(cn)) {
                Some(cn) => format!(
                    "no subjectAltName; host `{host}` appears only in CN={cn} (OpenSSL, curl and Python accept that; rustls and Go do not)"
                ),
                None if cns.is_empty() => format!("no subjectAltName, and no CN to match `{host}` either"),
                None => format!("no subjectAltName; CN={} does not match `{host}` either", cns.join(", CN=")),
            };
            (Status::Fail, evidence)
        }
    }
}

/// The subjectAltName extension of certificate `i` with its critical flag, when present and
/// parsed.
fn san_ext<'c>(x: &'c X509Certificate<'_>) -> Option<(bool, &'c [GeneralName<'c>])> {
    match x.subject_alternative_name() {
        Ok(Some(ext)) => Some((ext.critical, &ext.value.general_names[..])),
        _ => None,
    }
}

/// The leaf's dNSName entries, or why there are none to check.
fn leaf_dns_names(chain: &Chain<'_, '_>) -> std::result::Result<Vec<String>, (Status, String)> {
    match sans(chain.leaf()) {
        Sans::Absent => Err((Status::NotApplicable, "the leaf has no subjectAltName (see name.no-san)".into())),
        Sans::Malformed(e) => {
            Err((Status::NotApplicable, format!("the leaf's subjectAltName does not parse ({e}; see name.mismatch)")))
        }
        Sans::Names(names) => Ok(names
            .into_iter()
            .filter_map(|n| match n {
                San::Dns(d) => Some(d),
                _ => None,
            })
            .collect()),
    }
}

pub(super) fn san_empty(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut seen = 0;
    for i in chain.checked() {
        match chain.x(i).subject_alternative_name() {
            Ok(Some(ext)) if ext.value.general_names.is_empty() => {
                fails.push(format!("{} has a subjectAltName with no name in it", chain.label(i)))
            }
            Ok(Some(_)) => seen += 1,
            // An empty GeneralNames does not parse (SIZE (1..MAX)): x509-parser refuses it.
            Err(e) if raw_san_is_empty(chain.x(i)) => {
                fails.push(format!("{} has a subjectAltName with no name in it ({e})", chain.label(i)))
            }
            _ => {}
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if seen == 0 {
        return (Status::NotApplicable, "no certificate on the path has a subjectAltName".into());
    }
    (Status::Pass, format!("{seen} subjectAltName extension{} on the path, none empty", plural(seen)))
}

/// Is the subjectAltName value an empty SEQUENCE (`30 00`)?
fn raw_san_is_empty(x: &X509Certificate<'_>) -> bool {
    x.extensions()
        .iter()
        .any(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_SUBJECT_ALT_NAME && e.value == [0x30, 0])
}

pub(super) fn san_critical(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    let mut seen = Vec::new();
    for i in chain.checked() {
        let x = chain.x(i);
        let Some((critical, _)) = san_ext(x) else { continue };
        let empty = x.subject().iter_attributes().next().is_none();
        match (empty, critical) {
            (true, false) => fails.push(format!(
                "{} has an empty subject, so its subjectAltName must be critical, and it is not",
                chain.label(i)
            )),
            (false, true) => fails.push(format!(
                "{} has a subject ({}), so its subjectAltName must not be critical (BR §7.1.2.7.12), and it is",
                chain.label(i),
                x.subject()
            )),
            _ => seen.push(format!("{} {}", chain.label(i), if critical { "critical" } else { "not critical" })),
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if seen.is_empty() {
        return (Status::NotApplicable, "no certificate on the path has a subjectAltName".into());
    }
    (Status::Pass, format!("subjectAltName as the subject requires: {}", seen.join(", ")))
}

/// Why `name` is not a preferred-syntax host name (RFC 1034 §3.5, RFC 5890 A-labels); a
/// leftmost `*` label is left to the wildcard rules.
pub(super) fn dns_syntax(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".into());
    }
    if name.len() > 253 {
        return Some(format!("it is {} characters long (at most 253)", name.len()));
    }
    if name.ends_with('.') {
        return Some("it ends with a dot (an absolute name)".into());
    }
    for (n, label) in name.split('.').enumerate() {
        if n == 0 && label.contains('*') {
            continue;
        }
        if label.is_empty() {
            return Some("it has an empty label".into());
        }
        if label.len() > 63 {
            return Some(format!("label `{label}` is {} characters long (at most 63)", label.len()));
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            let what = match c {
                '_' => "an underscore".to_string(),
                c if !c.is_ascii() => format!("`{c}`, not ASCII (an IDN must be written as its A-label, xn--…)"),
                c => format!("`{c}`"),
            };
            return Some(format!("label `{label}` contains {what}"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!("label `{label}` starts or ends with a hyphen"));
        }
        let lower = label.to_ascii_lowercase();
        if let Some(puny) = lower.strip_prefix("xn--")
            && idna::punycode::decode_to_string(puny).is_none_or(|u| u.is_empty() || u.is_ascii())
        {
            return Some(format!("label `{label}` is not a valid A-label (its punycode does not decode to a U-label)"));
        }
    }
    None
}

pub(super) fn san_syntax(chain: &Chain<'_, '_>) -> (Status, String) {
    let names = match leaf_dns_names(chain) {
        Ok(n) => n,
        Err(out) => return out,
    };
    let fails: Vec<String> = names
        .iter()
        .filter(|d| d.parse::<IpAddr>().is_err())
        .filter_map(|d| dns_syntax(d).map(|why| format!("DNS:{d}: {why}")))
        .collect();
    if !fails.is_empty() {
        return (Status::Fail, format!("the leaf's dNSName is not a host name: {}", fails.join("; ")));
    }
    if names.is_empty() {
        return (Status::NotApplicable, "the leaf has no dNSName".into());
    }
    (
        Status::Pass,
        format!("{} dNSName{} of the leaf, each a preferred-syntax host name", names.len(), plural(names.len())),
    )
}

/// An IPv4 address in dotted form, or any IPv6 text form, written as a DNS name.
fn looks_like_ip(name: &str) -> bool {
    name.parse::<IpAddr>().is_ok()
        || name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).is_some_and(|n| n.parse::<IpAddr>().is_ok())
}

pub(super) fn ip_in_dns(chain: &Chain<'_, '_>) -> (Status, String) {
    let names = match leaf_dns_names(chain) {
        Ok(n) => n,
        Err(out) => return out,
    };
    let ips: Vec<&String> = names.iter().filter(|d| looks_like_ip(d)).collect();
    if !ips.is_empty() {
        let list = ips.iter().map(|d| format!("DNS:{d}")).collect::<Vec<_>>().join(", ");
        return (
            Status::Fail,
            format!("the leaf writes an IP address as a dNSName ({list}); it belongs in an iPAddress entry"),
        );
    }
    if names.is_empty() {
        return (Status::NotApplicable, "the leaf has no dNSName".into());
    }
    (Status::Pass, format!("none of the leaf's {} dNSName{} is an IP address", names.len(), plural(names.len())))
}

pub(super) fn wildcard_position(chain: &Chain<'_, '_>) -> (Status, String) {
    let names = match leaf_dns_names(chain) {
        Ok(n) => n,
        Err(out) => return out,
    };
    let wild: Vec<&String> = names.iter().filter(|d| d.contains('*')).collect();
    let fails: Vec<String> = wild
        .iter()
        .filter(|d| {
            let rest = d.strip_prefix('*').unwrap_or(d);
            !(rest.is_empty() || rest.starts_with('.')) || rest.contains('*')
        })
        .map(|d| format!("DNS:{d}"))
        .collect();
    if !fails.is_empty() {
        return (
            Status::Fail,
            format!("a wildcard must be the whole leftmost label (`*.example.com`): {}", fails.join(", ")),
        );
    }
    if wild.is_empty() {
        return (Status::NotApplicable, "the leaf has no wildcard name".into());
    }
    let list = wild.iter().map(|d| format!("DNS:{d}")).collect::<Vec<_>>().join(", ");
    (Status::Pass, format!("each wildcard is the whole leftmost label: {list}"))
}

/// Is `domain` (lower case) a public suffix: an ICANN entry of the list, or a single label (the
/// list's implicit `*` rule)? Private entries (`github.io`) are registrable by their owners.
fn public_suffix(domain: &str) -> bool {
    if !domain.contains('.') {
        return true;
    }
    psl::suffix(domain.as_bytes())
        .is_some_and(|s| s.as_bytes() == domain.as_bytes() && s.is_known() && s.typ() == Some(psl::Type::Icann))
}

pub(super) fn wildcard_public_suffix(chain: &Chain<'_, '_>) -> (Status, String) {
    let names = match leaf_dns_names(chain) {
        Ok(n) => n,
        Err(out) => return out,
    };
    let mut fails = Vec::new();
    let mut ok = Vec::new();
    for d in &names {
        let lower = d.to_ascii_lowercase();
        if lower == "*" {
            fails.push(format!("DNS:{d} covers every name (the DNS root)"));
            continue;
        }
        let Some(rest) = lower.strip_prefix("*.") else { continue };
        if public_suffix(rest) {
            fails.push(format!("DNS:{d} covers the whole public suffix `{rest}`"));
        } else {
            ok.push(format!("DNS:{d}"));
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, format!("{} (public suffix list)", fails.join("; ")));
    }
    if ok.is_empty() {
        return (Status::NotApplicable, "the leaf has no wildcard name".into());
    }
    (Status::Pass, format!("no wildcard covers a public suffix: {}", ok.join(", ")))
}

/// An IP address in any text a resolver might accept: standard forms (any case, leading zeros,
/// uncompressed), IPv4 as one hex number (`0xC0A80101`, an inet_aton form) or with zero-padded
/// parts.
fn lenient_ip(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok().map(|n| IpAddr::from(std::net::Ipv4Addr::from(n)));
    }
    // Dotted quads with leading zeros (`192.168.001.001`), which Ipv4Addr refuses.
    let parts: Vec<u8> =
        text.split('.').map(|p| p.parse::<u8>().ok().filter(|_| !p.is_empty())).collect::<Option<_>>()?;
    <[u8; 4]>::try_from(parts).ok().map(IpAddr::from)
}

/// BR §7.1.4.3: a CN that names one of the leaf's subjectAltName values must be its
/// character-for-character copy (the dNSName as written, with A-labels; an IP address in dotted
/// decimal or RFC 5952 text, which `Ipv6Addr`'s Display writes), and a CN in a form no such
/// value takes (U-labels, a non-canonical IP address) fails. An ordinary host name that names
/// none of them is reported but does not fail: clients match only the subjectAltName, and
/// x509-limbo accepts it.
pub(super) fn cn_not_in_san(chain: &Chain<'_, '_>) -> (Status, String) {
    let leaf = chain.leaf();
    let names = match sans(leaf) {
        Sans::Names(n) => n,
        Sans::Absent => return (Status::NotApplicable, "the leaf has no subjectAltName (see name.no-san)".into()),
        Sans::Malformed(e) => {
            return (
                Status::NotApplicable,
                format!("the leaf's subjectAltName does not parse ({e}; see name.mismatch)"),
            );
        }
    };
    let cns: Vec<_> = leaf.subject().iter_common_name().collect();
    if cns.is_empty() {
        return (Status::NotApplicable, "the leaf's subject has no CN".into());
    }
    let mut fails = Vec::new();
    let mut ok = Vec::new();
    let mut unrelated = Vec::new();
    for cn in cns {
        let Ok(v) = cn.as_str() else {
            fails.push("the CN cannot be read as text".to_string());
            continue;
        };
        let exact = names.iter().any(|n| match n {
            San::Dns(d) => d == v,
            San::Ip(ip) => ip.to_string() == v,
            San::Other(_) => false,
        });
        if exact {
            ok.push(format!("CN={v}"));
            continue;
        }
        let as_ip = lenient_ip(v);
        let ascii = idna::domain_to_ascii(v).ok();
        let denoted = names.iter().find(|n| match n {
            San::Ip(ip) => as_ip == Some(*ip),
            San::Dns(d) => ascii.as_deref().is_some_and(|a| a.strip_suffix('.').unwrap_or(a).eq_ignore_ascii_case(d)),
            San::Other(_) => false,
        });
        // A CN in a form no subjectAltName value takes can never be the copy BR §7.1.4.3 asks.
        let never_a_copy = match (as_ip, &ascii) {
            (Some(ip), _) => Some(format!("an IP address not written `{ip}` (dotted decimal, RFC 5952 for IPv6)")),
            (None, Some(a)) if !v.is_ascii() && a.contains('.') => {
                Some(format!("a domain name in U-labels (a dNSName is written in A-labels: `{a}`)"))
            }
            _ => None,
        };
        match (denoted, never_a_copy) {
            (Some(san), Some(why)) => fails.push(format!("CN={v} names {san} but is {why}")),
            (Some(san), None) => fails.push(format!("CN={v} names {san} but is not its character-for-character copy")),
            (None, Some(why)) => fails.push(format!("CN={v} is {why}, so it cannot copy a subjectAltName value")),
            (None, None) => unrelated.push(format!("CN={v}")),
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let mut evidence =
        if ok.is_empty() { String::new() } else { format!("{} is a copy of a subjectAltName value", ok.join(", ")) };
    if !unrelated.is_empty() {
        if !evidence.is_empty() {
            evidence.push_str("; ");
        }
        evidence.push_str(&format!(
            "{} names none of the leaf's subjectAltName values ({}); BR §7.1.4.3 wants a copy, clients ignore the CN",
            unrelated.join(", "),
            list_names(&names, 4)
        ));
    }
    (Status::Pass, evidence)
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees_cover_the_name_and_its_subdomains_and_a_leading_dot_only_subdomains() {
        assert!(dns_in_subtree("example.com", "example.com"));
        assert!(dns_in_subtree("www.example.com", "example.com"));
        assert!(dns_in_subtree("a.b.example.com", "example.com"));
        assert!(dns_in_subtree("WWW.Example.COM", "example.com"));
        assert!(!dns_in_subtree("badexample.com", "example.com"));
        assert!(!dns_in_subtree("example.com.evil", "example.com"));
        assert!(!dns_in_subtree("example.com", ".example.com"));
        assert!(dns_in_subtree("www.example.com", ".example.com"));
        assert!(!dns_in_subtree("www.badexample.com", ".example.com"));
        assert!(dns_in_subtree("anything.at.all", ""));
        // The lab root's constraints.
        assert!(dns_in_subtree("localhost", "localhost"));
        assert!(dns_in_subtree("expired.localhost", "localhost"));
        assert!(dns_in_subtree("wrong-host.test", "test"));
        assert!(!dns_in_subtree("www.example.com", "example"));
        assert!(!dns_in_subtree("www.example.com", "localhost"));
        // Wildcards are compared as written for permitted subtrees ...
        assert!(dns_in_subtree("*.example.com", "example.com"));
        assert!(!dns_in_subtree("*.example.com", "a.example.com"));
        // ... and may reach into an excluded one.
        assert!(dns_may_reach_subtree("*.example.com", "a.example.com"));
        assert!(!dns_may_reach_subtree("*.example.com", "b.a.example.com"));
        assert!(!dns_may_reach_subtree("*.example.com", ".a.example.com"));
        assert!(!dns_may_reach_subtree("www.example.com", "a.example.com"));
    }

    #[test]
    fn ip_subtrees_are_address_and_mask_of_one_family() {
        let ten8 = [10, 0, 0, 0, 255, 0, 0, 0];
        assert!(ip_in_subtree("10.1.2.3".parse().expect("ip"), &ten8));
        assert!(!ip_in_subtree("11.1.2.3".parse().expect("ip"), &ten8));
        let lo = [127, 0, 0, 0, 255, 0, 0, 0];
        assert!(ip_in_subtree("127.0.0.1".parse().expect("ip"), &lo));
        let host32 = [192, 168, 1, 7, 255, 255, 255, 255];
        assert!(ip_in_subtree("192.168.1.7".parse().expect("ip"), &host32));
        assert!(!ip_in_subtree("192.168.1.8".parse().expect("ip"), &host32));
        let mut v6 = [0u8; 32];
        v6[15] = 1;
        v6[16..].fill(0xff);
        assert!(ip_in_subtree("::1".parse().expect("ip"), &v6));
        assert!(!ip_in_subtree("::2".parse().expect("ip"), &v6));
        // fc00::/7
        let mut ula = [0u8; 32];
        ula[0] = 0xfc;
        ula[16] = 0xfe;
        assert!(ip_in_subtree("fd12::5".parse().expect("ip"), &ula));
        assert!(!ip_in_subtree("fe80::1".parse().expect("ip"), &ula));
        // Families never mix: an IPv4 address is not inside an IPv6 range and vice versa.
        assert!(!ip_in_subtree("127.0.0.1".parse().expect("ip"), &v6));
        assert!(!ip_in_subtree("::1".parse().expect("ip"), &lo));
        assert_eq!(fmt_ip_subtree(&ten8), "10.0.0.0/8");
        assert_eq!(fmt_ip_subtree(&ula), "fc00::/7");
    }

    #[test]
    fn wildcards_match_exactly_one_leftmost_label() {
        assert!(dns_name_matches("*.example.com", "www.example.com"));
        assert!(dns_name_matches("*.Example.com", "WWW.example.COM."));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", "a.b.example.com"));
        // At least two labels after the wildcard; only a whole-label wildcard, only leftmost.
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("*.localhost", "a.localhost"));
        assert!(!dns_name_matches("w*.example.com", "www.example.com"));
        assert!(!dns_name_matches("www.*.com", "www.example.com"));
        assert!(!dns_name_matches("*.*.example.com", "a.b.example.com"));
        // Plain names: exact, case-insensitive; an absolute presented name never matches.
        assert!(dns_name_matches("localhost", "localhost"));
        assert!(dns_name_matches("LocalHost", "localhost."));
        assert!(!dns_name_matches("localhost.", "localhost"));
        assert!(!dns_name_matches("wrong-host.test", "localhost"));
    }

    #[test]
    fn dns_syntax_is_rfc1034_preferred_syntax_with_a_labels() {
        assert_eq!(dns_syntax("www.example.com"), None);
        assert_eq!(dns_syntax("*.example.com"), None, "the wildcard label is the wildcard rules' business");
        assert_eq!(dns_syntax("xn--bcher-kva.example"), None);
        assert!(dns_syntax("_acme.example.com").is_some_and(|w| w.contains("underscore")));
        assert!(dns_syntax("bücher.example").is_some_and(|w| w.contains("A-label")));
        assert!(dns_syntax("xn--zzzzzzzzzzzzzzzzzzzzzzzz.example").is_some_and(|w| w.contains("not a valid A-label")));
        assert!(dns_syntax("-a.example").is_some_and(|w| w.contains("hyphen")));
        assert!(dns_syntax("a..example").is_some_and(|w| w.contains("empty label")));
        assert!(dns_syntax("example.com.").is_some_and(|w| w.contains("dot")));
        assert!(dns_syntax("").is_some());
    }

    #[test]
    fn public_suffixes_are_icann_entries_and_single_labels_not_private_ones() {
        assert!(public_suffix("com"));
        assert!(public_suffix("co.uk"));
        assert!(public_suffix("localhost"), "an unlisted TLD falls under the list's implicit * rule");
        assert!(!public_suffix("example.com"));
        assert!(!public_suffix("example.co.uk"));
        assert!(!public_suffix("github.io"), "a private entry: its owner may hold a wildcard for it");
    }

    #[test]
    fn lenient_ip_reads_forms_a_cn_may_take() {
        assert_eq!(lenient_ip("0xC0A80101"), "192.168.1.1".parse().ok());
        assert_eq!(lenient_ip("2001:0DB8:0000::0001"), "2001:db8::1".parse().ok());
        assert_eq!(lenient_ip("example.com"), None);
        assert_eq!(lenient_ip("12345"), None, "a bare number is not taken for an address");
        assert_eq!(lenient_ip("192.168.001.001"), "192.168.1.1".parse().ok());
        assert_eq!(lenient_ip("1.2.3"), None);
        let v6: IpAddr = "2001:db8:0:0:1:0:0:1".parse().expect("ip");
        assert_eq!(v6.to_string(), "2001:db8::1:0:0:1", "Display writes RFC 5952 text");
    }
}
