//! `trust.*` and `chain.incomplete`: where the path ends, and why.

use super::engine::*;
use super::{path::*, validity::*};

pub(super) fn trust_unknown_root(chain: &Chain<'_, '_>) -> (Status, String) {
    let last = chain.len() - 1;
    match &chain.end {
        End::Trusted if last == 0 => (Status::Pass, "the leaf itself is a trusted certificate".to_string()),
        End::Trusted => (Status::Pass, format!("the path ends at trusted {}", chain.label(last))),
        End::SelfSigned(_) if last == 0 => (
            Status::NotApplicable,
            "the leaf is self-signed: there is no root above it (see trust.self-signed)".to_string(),
        ),
        End::SelfSigned(_) => {
            let how = if chain.cert(last).origin == Origin::Sent {
                "sent by the server"
            } else {
                "not sent; pki-lab knows it"
            };
            (
                Status::Fail,
                format!("the path ends at {}, a self-signed root that is not trusted ({how})", chain.label(last)),
            )
        }
        End::IssuerMissing => {
            (Status::Fail, format!("no certificate for issuer `{}` was sent or is trusted", chain.x(last).issuer()))
        }
        End::TooLong(n) => (Status::Fail, format!("no trusted root within {n} certificates")),
    }
}

pub(super) fn trust_self_signed(chain: &Chain<'_, '_>) -> (Status, String) {
    let leaf = short_name(chain.leaf().subject());
    match &chain.end {
        End::Trusted if chain.len() == 1 && self_issued(chain.leaf()) => {
            (Status::Pass, format!("leaf {leaf} signs itself but is trusted directly"))
        }
        End::SelfSigned(sig) if chain.len() == 1 => match sig {
            Sig::Valid => (
                Status::Fail,
                format!(
                    "leaf {leaf} is issued by itself and its signature verifies with its own key; it is not a trusted root"
                ),
            ),
            Sig::Unsupported(alg) => (
                Status::Fail,
                format!(
                    "leaf {leaf} is issued by itself (its {alg} signature cannot be checked); it is not a trusted root"
                ),
            ),
            Sig::Invalid(_) => (
                Status::NotApplicable,
                format!(
                    "leaf {leaf} names itself as issuer, but its signature does not verify with its own key (see signature.invalid)"
                ),
            ),
        },
        _ if chain.len() > 1 => (Status::Pass, format!("the leaf is issued by {}", short_name(chain.x(1).subject()))),
        _ => (Status::Pass, format!("the leaf is issued by `{}`, not by itself", chain.leaf().issuer())),
    }
}

pub(super) fn chain_incomplete(chain: &Chain<'_, '_>) -> (Status, String) {
    if chain.self_signed_leaf() {
        return (Status::NotApplicable, "the leaf is self-signed: there is no intermediate to send".to_string());
    }
    let missing = chain.missing();
    let named = |v: &[usize]| v.iter().map(|&i| short_name(chain.x(i).subject())).collect::<Vec<_>>().join(", ");
    let last = chain.len() - 1;
    match (&chain.end, missing.is_empty()) {
        (End::Trusted, false) => {
            let first = missing[0];
            (
                Status::Fail,
                format!(
                    "the server did not send {} (issuer of {}); pki-lab knows it, and with it the path reaches trusted {}",
                    named(&missing),
                    chain.label(first - 1),
                    chain.label(last)
                ),
            )
        }
        (End::Trusted, true) => {
            let n = chain.len().saturating_sub(2);
            let what = if last == 0 {
                "the leaf is trusted directly".to_string()
            } else {
                format!(
                    "the server sent every certificate between the leaf and the root ({n} intermediate{})",
                    plural(n)
                )
            };
            (Status::Pass, what)
        }
        (End::SelfSigned(_), true) => {
            (Status::Pass, format!("the server sent every certificate below {}", chain.label(last)))
        }
        (End::SelfSigned(_) | End::TooLong(_) | End::IssuerMissing, false) => (
            Status::NotApplicable,
            format!(
                "the server did not send {} (pki-lab knows it), but the path does not reach a trusted root anyway (see trust.unknown-root)",
                named(&missing)
            ),
        ),
        (End::IssuerMissing, true) => (
            Status::NotApplicable,
            format!(
                "issuer `{}` is unknown: cannot tell a missing intermediate from an untrusted root (see trust.unknown-root)",
                chain.x(last).issuer()
            ),
        ),
        (End::TooLong(_), true) => {
            (Status::NotApplicable, "the path does not end (see trust.unknown-root)".to_string())
        }
    }
}

/// The trust anchor the path ends at, when it is not the leaf itself.
fn trusted_anchor(chain: &Chain<'_, '_>) -> Option<usize> {
    chain.anchor().filter(|_| matches!(chain.end, End::Trusted))
}

/// RFC 5280 §6.1 takes the anchor's name and key as inputs and checks none of its fields;
/// RFC 5937 lets a validator apply its validity and constraints. OpenSSL, Go, pyca and limbo's
/// rfc5280 cases do, webpki does not: the rule counts in the verdict, its evidence says so.
pub(super) fn anchor_expired(chain: &Chain<'_, '_>, now: i64) -> (Status, String) {
    let Some(a) = trusted_anchor(chain) else {
        return (Status::NotApplicable, "the path does not end at a trust anchor above the leaf".into());
    };
    let v = chain.x(a).validity();
    let (nb, na) = (v.not_before.timestamp(), v.not_after.timestamp());
    if now > na {
        return (
            Status::Fail,
            format!(
                "{} not after {}, {} (OpenSSL and Go refuse it; webpki ignores a root's dates)",
                chain.label(a),
                fmt_time(na),
                humanize(na - now)
            ),
        );
    }
    if now < nb {
        return (
            Status::Fail,
            format!(
                "{} not before {}, {} (OpenSSL and Go refuse it; webpki ignores a root's dates)",
                chain.label(a),
                fmt_time(nb),
                humanize(nb - now)
            ),
        );
    }
    (Status::Pass, format!("{} is valid until {}, {}", chain.label(a), fmt_time(na), humanize(na - now)))
}

/// What makes the anchor a CA (RFC 5280 §4.1.2.6, §4.2.1.9, §4.2.1.3): a non-empty subject,
/// CA:TRUE in a critical basicConstraints, and keyCertSign whenever keyUsage is present.
pub(super) fn anchor_not_ca(chain: &Chain<'_, '_>) -> (Status, String) {
    let Some(a) = trusted_anchor(chain) else {
        return (Status::NotApplicable, "the path does not end at a trust anchor above the leaf".into());
    };
    let x = chain.x(a);
    let label = chain.label(a);
    let mut fails = Vec::new();
    if x.subject().iter_attributes().next().is_none() {
        fails.push("an empty subject (a CA's subject MUST be a non-empty name, RFC 5280 §4.1.2.6)".to_string());
    }
    match x.basic_constraints() {
        Ok(Some(bc)) if !bc.value.ca => fails.push("basicConstraints CA:FALSE".to_string()),
        Ok(Some(bc)) if !bc.critical => fails.push("basicConstraints CA:TRUE but not critical".to_string()),
        Ok(Some(_)) => {}
        Ok(None) => fails.push("no basicConstraints".to_string()),
        Err(e) => fails.push(format!("basicConstraints do not parse ({e})")),
    }
    match x.key_usage() {
        Ok(Some(ku)) if !ku.value.key_cert_sign() => fails.push(format!("keyUsage without keyCertSign ({})", ku.value)),
        Ok(_) => {}
        Err(e) => fails.push(format!("keyUsage does not parse ({e})")),
    }
    if !fails.is_empty() {
        return (
            Status::Fail,
            format!(
                "trusted {label} is not a well-formed CA: {} (webpki accepts any trusted name and key; OpenSSL and limbo do not)",
                fails.join("; ")
            ),
        );
    }
    (Status::Pass, format!("trusted {label} has critical basicConstraints CA:TRUE and may sign certificates"))
}

pub(super) fn max_depth(chain: &Chain<'_, '_>, policy: &Policy) -> (Status, String) {
    let (max, whose) = match policy.max_depth {
        Some(n) => (n, "the client's maximum"),
        None => (DEFAULT_MAX_INTERMEDIATES, "webpki's limit"),
    };
    if let End::TooLong(n) = chain.end {
        return (Status::Fail, format!("the path does not end within {n} certificates"));
    }
    let top = chain.anchor().unwrap_or(chain.len());
    let all: Vec<usize> = (1..top).collect();
    // Self-issued certificates (key rollover) are not another CA (RFC 5280 §6.1.4 (l)).
    let counted: Vec<usize> = all.iter().copied().filter(|&i| !self_issued(chain.x(i))).collect();
    let skipped = all.len() - counted.len();
    let note = if skipped > 0 { format!(" ({skipped} self-issued not counted)") } else { String::new() };
    let n = counted.len();
    if n > max {
        let names = counted.iter().map(|&i| short_name(chain.x(i).subject())).collect::<Vec<_>>().join(", ");
        return (Status::Fail, format!("{n} intermediate{}{note} ({names}): more than {max}, {whose}", plural(n)));
    }
    (Status::Pass, format!("{n} intermediate{}{note}, at most {max} ({whose})", plural(n)))
}

pub(super) fn duplicate_certificate(presented: &[rustls::pki_types::CertificateDer<'static>]) -> (Status, String) {
    let mut dups = Vec::new();
    for (i, c) in presented.iter().enumerate() {
        if let Some(first) = presented[..i].iter().position(|p| p == c) {
            let name = x509_parser::parse_x509_certificate(c)
                .map(|(_, x)| short_name(x.subject()))
                .unwrap_or_else(|_| "a certificate".into());
            dups.push(format!("{name} as #{} and again as #{}", first + 1, i + 1));
        }
    }
    if !dups.is_empty() {
        return (Status::Fail, format!("the server sent the same certificate twice: {}", dups.join("; ")));
    }
    let n = presented.len();
    (Status::Pass, format!("{n} certificate{} sent, each once", plural(n)))
}

// ---------------------------------------------------------------------------------------------
