//! `name.*` and `chain.name-constraints`: the host against the leaf's names, the names against the CAs' subtrees.

use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, NameConstraints};

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

pub(super) fn name_constraints(chain: &Chain<'_, '_>) -> (Status, String) {
    let names: Vec<San> = match sans(chain.leaf()) {
        Sans::Names(n) => n.into_iter().filter(|s| !matches!(s, San::Other(_))).collect(),
        _ => Vec::new(),
    };
    let mut fails = Vec::new();
    let mut constrained = Vec::new();
    for j in 1..chain.len() {
        let nc: NameConstraints<'_> = match chain.x(j).name_constraints() {
            Ok(None) => continue,
            Ok(Some(ext)) => ext.value.clone(),
            Err(e) => {
                fails.push(format!("the nameConstraints of {} do not parse: {e}", chain.label(j)));
                continue;
            }
        };
        constrained.push(chain.label(j));
        let subtrees = |s: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| -> (Vec<String>, Vec<Vec<u8>>) {
            let mut dns = Vec::new();
            let mut ip = Vec::new();
            for t in s.iter().flatten() {
                match &t.base {
                    GeneralName::DNSName(d) => dns.push(d.to_string()),
                    GeneralName::IPAddress(b) => ip.push(b.to_vec()),
                    _ => {}
                }
            }
            (dns, ip)
        };
        let (perm_dns, perm_ip) = subtrees(&nc.permitted_subtrees);
        let (excl_dns, excl_ip) = subtrees(&nc.excluded_subtrees);
        let permitted_list =
            || perm_dns.iter().cloned().chain(perm_ip.iter().map(|b| fmt_ip_subtree(b))).collect::<Vec<_>>().join(", ");
        for name in &names {
            let (outside, excluded) = match name {
                San::Dns(d) => (
                    !perm_dns.is_empty() && !perm_dns.iter().any(|b| dns_in_subtree(d, b)),
                    excl_dns.iter().find(|b| dns_may_reach_subtree(d, b)).cloned(),
                ),
                San::Ip(ip) => (
                    !perm_ip.is_empty() && !perm_ip.iter().any(|b| ip_in_subtree(*ip, b)),
                    excl_ip.iter().find(|b| ip_in_subtree(*ip, b)).map(|b| fmt_ip_subtree(b)),
                ),
                San::Other(_) => (false, None),
            };
            if outside {
                fails.push(format!(
                    "{name} is outside the permitted subtrees of {} ({})",
                    chain.label(j),
                    permitted_list()
                ));
            }
            if let Some(base) = excluded {
                fails.push(format!("{name} is inside the excluded subtree {base} of {}", chain.label(j)));
            }
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if constrained.is_empty() {
        return (Status::Pass, "no CA on the path has nameConstraints".to_string());
    }
    if names.is_empty() {
        return (
            Status::Pass,
            format!(
                "the leaf has no DNS or IP subjectAltName to check against {} (the CN is not checked, as in webpki)",
                constrained.join(", ")
            ),
        );
    }
    (
        Status::Pass,
        format!(
            "all {} DNS/IP name{} of the leaf lie within the name constraints of {}",
            names.len(),
            plural(names.len()),
            constrained.join(", ")
        ),
    )
}

pub(super) fn san_empty(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn san_critical(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn san_syntax(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn ip_in_dns(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn wildcard_position(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn wildcard_public_suffix(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn cn_not_in_san(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn name_constraints_malformed(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn name_constraints_unsupported(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn name_constraints_budget(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
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
}
