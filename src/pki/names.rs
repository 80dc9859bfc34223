//! Names a certificate is issued for (DNS names, wildcards, IP addresses, emails, URIs), and
//! whether the lab root's name constraints allow them.

use std::fmt;
use std::net::IpAddr;

use rcgen::SanType;

use crate::error::{Error, Result};

/// One subjectAltName entry, as typed on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    /// `app.test`, or a wildcard `*.app.test` (the `*` stands for exactly one label).
    Dns(String),
    /// `127.0.0.1`, `::1` (brackets are accepted: `[::1]`).
    Ip(IpAddr),
    /// `alice@example.test` (an rfc822Name, for S/MIME or client certificates).
    Email(String),
    /// `spiffe://cluster.test/ns/app` (a uniformResourceIdentifier).
    Uri(String),
}

impl Name {
    /// Classifies and checks one name: `://` makes a URI, `@` an email, an address an IP, and
    /// anything else must be a DNS name.
    pub fn parse(input: &str) -> Result<Name> {
        let s = input.trim();
        let bad = |why: &str| {
            Error::Input(format!(
                "`{input}` is not a name pki-lab can issue for: {why}\n  hint: names are DNS names (app.test), wildcards (*.app.test), IP addresses (127.0.0.1), emails (alice@app.test) or URIs (spiffe://app.test/x)"
            ))
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if !s.is_ascii() {
            return Err(bad("it is not ASCII; use the punycode form (xn--…) of an internationalised name"));
        }
        if let Some((scheme, rest)) = s.split_once("://") {
            let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            if !scheme_ok || rest.is_empty() || s.chars().any(|c| c.is_ascii_whitespace() || c.is_ascii_control()) {
                return Err(bad("expected a URI such as spiffe://app.test/service"));
            }
            return Ok(Name::Uri(s.to_string()));
        }
        if let Some((local, domain)) = s.rsplit_once('@') {
            if local.is_empty() || local.chars().any(|c| c.is_ascii_whitespace() || c.is_ascii_control() || c == '@') {
                return Err(bad("expected an email address such as alice@app.test"));
            }
            check_dns(domain, false).map_err(|why| bad(&format!("its domain {why}")))?;
            return Ok(Name::Email(format!("{local}@{}", domain.to_ascii_lowercase())));
        }
        let unbracketed = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(Name::Ip(ip));
        }
        let dns = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
        check_dns(&dns, true).map_err(|why| bad(&why))?;
        Ok(Name::Dns(dns))
    }

    /// The subjectAltName entry rcgen writes.
    pub fn san(&self) -> Result<SanType> {
        let ia5 = |s: &str| {
            rcgen::string::Ia5String::try_from(s.to_string())
                .map_err(|e| Error::Input(format!("`{s}` cannot be written as an IA5String: {e}")))
        };
        Ok(match self {
            Name::Dns(d) => SanType::DnsName(ia5(d)?),
            Name::Ip(ip) => SanType::IpAddress(*ip),
            Name::Email(e) => SanType::Rfc822Name(ia5(e)?),
            Name::Uri(u) => SanType::URI(ia5(u)?),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Name::Dns(d) if d.starts_with("*.") => "wildcard",
            Name::Dns(_) => "DNS name",
            Name::Ip(_) => "IP address",
            Name::Email(_) => "email",
            Name::Uri(_) => "URI",
        }
    }

    /// A safe directory name for the default output directory (`*.app.test` → `_wildcard.app.test`).
    pub fn file_stem(&self) -> String {
        let s = self.to_string().replace('*', "_wildcard");
        s.chars().map(|c| if c.is_ascii_alphanumeric() || "-._@".contains(c) { c } else { '_' }).collect()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Dns(s) | Name::Email(s) | Name::Uri(s) => f.write_str(s),
            Name::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// Parses several names, in order, refusing duplicates.
pub fn parse_all(inputs: &[String]) -> Result<Vec<Name>> {
    let mut out: Vec<Name> = Vec::new();
    for i in inputs {
        let n = Name::parse(i)?;
        if out.contains(&n) {
            return Err(Error::Input(format!("`{n}` is given twice")));
        }
        out.push(n);
    }
    Ok(out)
}

fn check_dns(name: &str, wildcard_ok: bool) -> std::result::Result<(), String> {
    if name.len() > 253 {
        return Err("is longer than 253 characters".into());
    }
    let (labels, wildcard) = match name.strip_prefix("*.") {
        Some(rest) if wildcard_ok => (rest, true),
        Some(_) => return Err("cannot be a wildcard".into()),
        None => (name, false),
    };
    if labels.is_empty() {
        return Err("has no labels".into());
    }
    for label in labels.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("has an empty or over-long label in `{name}`"));
        }
        if label.contains('*') {
            return Err("may only use `*` as the whole leftmost label (*.app.test)".into());
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(format!("label `{label}` may hold only letters, digits and inner `-`"));
        }
    }
    if wildcard && !labels.contains('.') {
        // `*.test` would cover a whole top-level domain; clients refuse such wildcards.
        return Err(format!("`{name}` covers a whole top-level domain; use at least two labels (*.app.{labels})"));
    }
    Ok(())
}

/// Whether `name` lies inside `permitted` (DNS names covering their subdomains, and CIDR
/// ranges), as RFC 5280 name constraints decide. The root constrains only DNS names and IP
/// addresses, so emails and URIs are always inside.
pub fn is_permitted(name: &Name, permitted: &[String]) -> bool {
    match name {
        Name::Dns(d) => {
            let base = d.strip_prefix("*.").unwrap_or(d);
            let dns: Vec<&str> =
                permitted.iter().map(|p| p.trim().trim_start_matches('.')).filter(|p| !is_range(p)).collect();
            dns.is_empty()
                || dns
                    .iter()
                    .any(|p| base == p.to_ascii_lowercase() || base.ends_with(&format!(".{}", p.to_ascii_lowercase())))
        }
        Name::Ip(ip) => {
            let ranges: Vec<(IpAddr, u8)> = permitted.iter().filter_map(|p| parse_range(p)).collect();
            ranges.is_empty() || ranges.iter().any(|(net, len)| in_range(*ip, *net, *len))
        }
        Name::Email(_) | Name::Uri(_) => true,
    }
}

/// Refuses names outside the root's constraints, naming each and what the root allows.
pub fn check_permitted(names: &[Name], permitted: Option<&[String]>) -> Result<()> {
    let Some(permitted) = permitted else { return Ok(()) };
    let outside: Vec<String> =
        names.iter().filter(|n| !is_permitted(n, permitted)).map(|n| format!("{n} ({})", n.kind())).collect();
    if outside.is_empty() {
        return Ok(());
    }
    Err(Error::NameNotPermitted { names: outside, permitted: permitted.to_vec() })
}

fn is_range(p: &str) -> bool {
    p.contains('/') || p.parse::<IpAddr>().is_ok()
}

fn parse_range(p: &str) -> Option<(IpAddr, u8)> {
    let p = p.trim();
    match p.split_once('/') {
        Some((a, l)) => Some((a.parse().ok()?, l.parse().ok()?)),
        None => {
            let a: IpAddr = p.parse().ok()?;
            Some((a, if a.is_ipv4() { 32 } else { 128 }))
        }
    }
}

fn in_range(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    let (a, b, bits): (u128, u128, u32) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a).into(), u32::from(b).into(), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    let len = u32::from(len).min(bits);
    if len == 0 {
        return true;
    }
    let shift = bits - len;
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::ca::DEFAULT_PERMITTED;

    fn permitted() -> Vec<String> {
        DEFAULT_PERMITTED.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_kind_of_name_is_recognised() {
        assert_eq!(Name::parse("App.Test.").expect("dns"), Name::Dns("app.test".into()));
        assert_eq!(Name::parse("*.app.test").expect("wildcard").kind(), "wildcard");
        assert_eq!(Name::parse("[::1]").expect("ip"), Name::Ip("::1".parse().expect("v6")));
        assert_eq!(Name::parse("alice@App.test").expect("email"), Name::Email("alice@app.test".into()));
        assert_eq!(Name::parse("spiffe://app.test/x").expect("uri").kind(), "URI");
    }

    #[test]
    fn malformed_names_are_refused_with_the_reason() {
        for bad in ["", "a b", "*.test", "a.*.test", "-a.test", "bücher.test", "@app.test", "1a://x"] {
            assert!(Name::parse(bad).is_err(), "{bad} should be refused");
        }
        let e = Name::parse("a.*.test").expect_err("inner wildcard").to_string();
        assert!(e.contains("leftmost label"), "{e}");
    }

    #[test]
    fn constraints_cover_subdomains_and_ranges_only() {
        let p = permitted();
        let ok = |s: &str| is_permitted(&Name::parse(s).expect("parses"), &p);
        assert!(ok("localhost") && ok("app.test") && ok("*.app.test") && ok("x.home.arpa"));
        assert!(ok("127.0.0.1") && ok("10.1.2.3") && ok("::1") && ok("fd00::1"));
        assert!(ok("alice@example.com") && ok("https://example.com/"), "emails and URIs are unconstrained");
        assert!(!ok("example.com") && !ok("*.google.com") && !ok("mytest") && !ok("8.8.8.8") && !ok("2001:db8::1"));
    }
}
