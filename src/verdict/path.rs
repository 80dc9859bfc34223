//! Path building: the pool of certificates a client has, and the best path from the leaf up.

use rustls::pki_types::CertificateDer;
use x509_parser::certificate::X509Certificate;
use x509_parser::x509::X509Name;

use super::crypto::*;
use super::engine::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// Presented by the server.
    Sent,
    /// A trusted root.
    Root,
    /// Known to pki-lab, not trusted, not sent.
    Known,
}

pub(super) struct Cert<'a> {
    pub(super) der: &'a [u8],
    pub(super) x: X509Certificate<'a>,
    pub(super) origin: Origin,
    /// This very certificate (the same DER) is in the trust store: a root the server also sent
    /// keeps `Origin::Sent` and is trusted all the same.
    pub(super) stored: bool,
}

/// Every certificate the engine can use, parsed once: sent first, then roots, then known; each
/// DER only once.
pub(super) struct Pool<'a> {
    pub(super) certs: Vec<Cert<'a>>,
    /// (subject, SPKI) of every trusted root (webpki's anchors are exactly subject + key): a leaf
    /// with an anchor's name and key is trusted directly.
    pub(super) anchors: Vec<(&'a [u8], &'a [u8])>,
    /// Sent certificates (after the leaf) that do not parse, and why: they cannot be on a path.
    pub(super) unparsed: Vec<String>,
}

impl<'a> Pool<'a> {
    pub(super) fn new(
        presented: &'a [CertificateDer<'static>],
        trust: &'a Trust,
    ) -> std::result::Result<Pool<'a>, String> {
        let leaf = presented.first().ok_or("no certificate was presented")?;
        x509_parser::parse_x509_certificate(leaf).map_err(|e| format!("the leaf certificate does not parse: {e}"))?;
        let mut certs: Vec<Cert<'a>> = Vec::new();
        let mut anchors = Vec::new();
        let mut unparsed = Vec::new();
        let groups = [(presented, Origin::Sent), (&trust.roots[..], Origin::Root), (&trust.known[..], Origin::Known)];
        for (ders, origin) in groups {
            for (n, der) in ders.iter().enumerate() {
                // A certificate that does not parse cannot be on a path; the leaf was checked above.
                let x = match x509_parser::parse_x509_certificate(der) {
                    Ok((_, x)) => x,
                    Err(e) => {
                        if origin == Origin::Sent {
                            unparsed.push(format!("sent certificate #{} does not parse ({e}); ignored", n + 1));
                        }
                        continue;
                    }
                };
                if origin == Origin::Root {
                    anchors.push((x.tbs_certificate.subject.as_raw(), x.tbs_certificate.subject_pki.raw));
                }
                let stored = origin == Origin::Root;
                match certs.iter_mut().find(|c| c.der == der.as_ref()) {
                    Some(seen) => seen.stored |= stored,
                    None => certs.push(Cert { der, x, origin, stored }),
                }
            }
        }
        Ok(Pool { certs, anchors, unparsed })
    }

    /// Whether a path ends at `certs[i]` as its trust anchor: it is in the trust store. Above the
    /// leaf, another certificate with an anchor's name and key (an expired cross-signed copy of
    /// the root that a server sends, as in 2021) is not the anchor: it is a CA certificate like
    /// any other, with its own dates and its own issuer, and the anchor itself is a rival
    /// candidate by name (RFC 4158 §2.4), tried first.
    pub(super) fn trusted(&self, i: usize) -> bool {
        let c = &self.certs[i];
        c.stored
            || (i == 0 && self.anchors.iter().any(|(s, k)| *s == c.x.subject().as_raw() && *k == c.x.public_key().raw))
    }

    /// Where `certs[i]` came from, as the paths-tried report says it.
    pub(super) fn source(&self, i: usize) -> Source {
        let c = &self.certs[i];
        match (c.origin, c.stored) {
            (Origin::Sent, true) => Source::SentAndTrustStore,
            (Origin::Sent, false) => Source::Sent,
            (_, true) => Source::TrustStore,
            (_, false) => Source::Known,
        }
    }
}

pub(super) use crate::pki::x509::Sig;

/// Where a certificate on a path came from (`PathTried::from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Sent by the server.
    Sent,
    /// A root of the trust store.
    TrustStore,
    /// Sent by the server and also, the same DER, in the trust store.
    SentAndTrustStore,
    /// Neither sent nor trusted: a CA pki-lab knows, used to explain a gap.
    Known,
}

impl Source {
    /// `sent`, `trust store`, `sent; in the trust store` or `not sent; known to pki-lab`.
    pub fn describe(self) -> &'static str {
        match self {
            Source::Sent => "sent",
            Source::TrustStore => "trust store",
            Source::SentAndTrustStore => "sent; in the trust store",
            Source::Known => "not sent; known to pki-lab",
        }
    }
}

/// How path building ended.
#[derive(Debug, Clone)]
pub(super) enum End {
    /// The last certificate is trusted.
    Trusted,
    /// The last certificate is self-issued and not trusted; its own signature check.
    SelfSigned(Sig),
    /// The last certificate's issuer was not sent, is not trusted and is not known.
    IssuerMissing,
    /// No end within this many certificates (see [`depth_limit`]).
    TooLong(usize),
}

/// The path from the leaf as far up as it goes.
pub(super) struct Chain<'p, 'a> {
    pub(super) pool: &'p Pool<'a>,
    /// Indices into the pool; `nodes[0]` is the leaf.
    pub(super) nodes: Vec<usize>,
    /// `links[i]`: the signature of `nodes[i]` checked with the key of `nodes[i + 1]`.
    pub(super) links: Vec<Sig>,
    pub(super) end: End,
}

impl End {
    pub(super) fn as_str(&self) -> &'static str {
        match self {
            End::Trusted => "trusted",
            End::SelfSigned(_) => "self-signed",
            End::IssuerMissing => "issuer-missing",
            End::TooLong(_) => "too-long",
        }
    }
}

/// Complete paths path building hands to the engine at most (RFC 4158 §3: bound the search).
const MAX_PATHS: usize = 16;
/// Signature checks one search may make (webpki's budget).
const MAX_SIGNATURE_CHECKS: usize = 100;

/// A depth-first search over the pool's issuer graph (RFC 4158 §2–3).
struct Search<'p, 'a> {
    pool: &'p Pool<'a>,
    /// Certificates a path may have before the search gives up on it.
    depth: usize,
    sigs: std::collections::HashMap<(usize, usize), Sig>,
    out: Vec<Chain<'p, 'a>>,
    /// The budget ran out: some candidates were never tried.
    exhausted: bool,
}

impl<'p, 'a> Search<'p, 'a> {
    fn sig(&mut self, child: usize, issuer: usize) -> Option<Sig> {
        if let Some(s) = self.sigs.get(&(child, issuer)) {
            return Some(s.clone());
        }
        if self.sigs.len() >= MAX_SIGNATURE_CHECKS {
            self.exhausted = true;
            return None;
        }
        let s = verify_cert(&self.pool.certs[child].x, &self.pool.certs[issuer].x);
        self.sigs.insert((child, issuer), s.clone());
        Some(s)
    }

    fn finish(&mut self, nodes: &[usize], links: &[Sig], end: End) {
        self.out.push(Chain { pool: self.pool, nodes: nodes.to_vec(), links: links.to_vec(), end });
    }

    fn walk(&mut self, nodes: &mut Vec<usize>, links: &mut Vec<Sig>) {
        if self.out.len() >= MAX_PATHS {
            self.exhausted = true;
            return;
        }
        let pool = self.pool;
        let cur = *nodes.last().unwrap_or(&0);
        if pool.trusted(cur) {
            return self.finish(nodes, links, End::Trusted);
        }
        let c = &pool.certs[cur].x;
        let self_sig = self_issued(c).then(|| self.sig(cur, cur)).flatten();
        if let Some(sig) = &self_sig
            && !matches!(sig, Sig::Invalid(_))
        {
            return self.finish(nodes, links, End::SelfSigned(sig.clone()));
        }
        if nodes.len() >= self.depth {
            return self.finish(nodes, links, End::TooLong(self.depth));
        }
        // Issuers by name, trusted ones first; a key already on the path would make a cycle.
        let on_path = |j: usize| {
            nodes.iter().any(|&n| {
                n == j
                    || (pool.certs[n].x.subject().as_raw() == pool.certs[j].x.subject().as_raw()
                        && pool.certs[n].x.public_key().raw == pool.certs[j].x.public_key().raw)
            })
        };
        let mut names: Vec<usize> = (0..pool.certs.len())
            .filter(|&j| !on_path(j) && pool.certs[j].x.subject().as_raw() == c.issuer().as_raw())
            .collect();
        names.sort_by_key(|&j| !pool.trusted(j));
        let mut valid = Vec::new();
        let mut other = Vec::new();
        for j in names {
            match self.sig(cur, j) {
                Some(Sig::Valid) => valid.push(j),
                Some(sig) => other.push((j, sig)),
                None => break,
            }
        }
        if valid.is_empty() {
            // No key verifies: follow the candidate whose key id matches the child's AKI anyway,
            // so a bad signature shows as `signature.invalid`, not as a broken path.
            let aki = authority_key_id(c);
            let best =
                other.iter().position(|(j, _)| aki.is_some() && aki == subject_key_id(&pool.certs[*j].x)).unwrap_or(0);
            if other.is_empty() {
                return self.finish(nodes, links, self_sig.map_or(End::IssuerMissing, End::SelfSigned));
            }
            let (j, sig) = other.swap_remove(best);
            nodes.push(j);
            links.push(sig);
            self.walk(nodes, links);
            nodes.pop();
            links.pop();
            return;
        }
        for j in valid {
            nodes.push(j);
            links.push(Sig::Valid);
            self.walk(nodes, links);
            nodes.pop();
            links.pop();
        }
    }
}

impl<'p, 'a> Chain<'p, 'a> {
    /// Every path from the leaf up that path building finds, in the order a client tries them:
    /// each issuer found by subject == issuer name and a signature that verifies, trusted roots
    /// first, then sent certificates, then known CAs; every candidate is tried in turn
    /// (backtracking), within a budget of paths and signature checks. A path stops at a trusted
    /// or self-signed certificate. When no candidate's key verifies, the best name match is
    /// taken anyway so that a bad signature shows as `signature.invalid`, not as a broken path.
    /// A path ends after `depth` certificates ([`depth_limit`]). Never empty; the flag says the
    /// search stopped at its budget.
    pub(super) fn candidates(pool: &'p Pool<'a>, depth: usize) -> (Vec<Chain<'p, 'a>>, bool) {
        let mut search =
            Search { pool, depth, sigs: std::collections::HashMap::new(), out: Vec::new(), exhausted: false };
        search.walk(&mut vec![0], &mut Vec::new());
        if search.out.is_empty() {
            search.finish(&[0], &[], End::IssuerMissing);
        }
        (search.out, search.exhausted)
    }

    /// What the budget of [`Chain::candidates`] is, in words.
    pub(super) fn budget() -> String {
        format!("{MAX_PATHS} paths, {MAX_SIGNATURE_CHECKS} signature checks")
    }

    pub(super) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(super) fn cert(&self, i: usize) -> &Cert<'a> {
        &self.pool.certs[self.nodes[i]]
    }

    pub(super) fn x(&self, i: usize) -> &X509Certificate<'a> {
        &self.cert(i).x
    }

    pub(super) fn leaf(&self) -> &X509Certificate<'a> {
        self.x(0)
    }

    /// The position of the root the path ends at (trusted or not), when it is not the leaf.
    /// Like webpki, the rules that concern a certificate's own content skip it.
    pub(super) fn anchor(&self) -> Option<usize> {
        match self.end {
            End::Trusted | End::SelfSigned(_) if self.len() > 1 => Some(self.len() - 1),
            _ => None,
        }
    }

    /// Positions of the certificates whose own content is checked: all but the anchor.
    pub(super) fn checked(&self) -> std::ops::Range<usize> {
        0..self.anchor().unwrap_or(self.len())
    }

    pub(super) fn self_signed_leaf(&self) -> bool {
        self.len() == 1 && matches!(self.end, End::SelfSigned(_))
    }

    /// `leaf CN=…`, `intermediate CN=…` or `root CN=…`.
    pub(super) fn label(&self, i: usize) -> String {
        let role = if i == 0 {
            "leaf"
        } else if Some(i) == self.anchor() || (i + 1 == self.len() && matches!(self.end, End::Trusted)) {
            "root"
        } else {
            "intermediate"
        };
        format!("{role} {}", short_name(self.x(i).subject()))
    }

    /// Positions of the CAs on the path that the server did not send (found among known CAs).
    /// An untrusted root at the end does not count: roots are not sent.
    pub(super) fn missing(&self) -> Vec<usize> {
        (1..self.len())
            .filter(|&i| self.cert(i).origin == Origin::Known)
            .filter(|&i| !(i + 1 == self.len() && matches!(self.end, End::SelfSigned(_))))
            .collect()
    }
}

/// How many certificates path building follows: [`MAX_DEPTH`], or more when the policy allows
/// more intermediates, always room for one CA beyond the policy's maximum (and the leaf and the
/// root), so that a path too deep is still found, trusted and then failed by `chain.max-depth`
/// alone rather than by `trust.unknown-root`.
pub(super) fn depth_limit(policy: &Policy) -> usize {
    MAX_DEPTH.max(policy.max_depth.unwrap_or(DEFAULT_MAX_INTERMEDIATES).saturating_add(3))
}

pub(super) fn self_issued(x: &X509Certificate<'_>) -> bool {
    x.subject().as_raw() == x.issuer().as_raw()
}

pub(super) fn authority_key_id<'a>(x: &X509Certificate<'a>) -> Option<&'a [u8]> {
    x.extensions().iter().find_map(|e| match e.parsed_extension() {
        x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0),
        _ => None,
    })
}

pub(super) fn subject_key_id<'a>(x: &X509Certificate<'a>) -> Option<&'a [u8]> {
    x.extensions().iter().find_map(|e| match e.parsed_extension() {
        x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
        _ => None,
    })
}

/// `CN=…` when the name has a common name, else the whole name.
pub(super) fn short_name(name: &X509Name<'_>) -> String {
    match name.iter_common_name().next().and_then(|cn| cn.as_str().ok()) {
        Some(cn) => format!("CN={cn}"),
        None if name.as_raw().len() <= 2 => "(empty subject)".to_string(),
        None => name.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
