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
        End::TooLong => (Status::Fail, format!("no trusted root within {MAX_DEPTH} certificates")),
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
        (End::SelfSigned(_) | End::TooLong | End::IssuerMissing, false) => (
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
        (End::TooLong, true) => (Status::NotApplicable, "the path does not end (see trust.unknown-root)".to_string()),
    }
}

pub(super) fn anchor_expired(_chain: &Chain<'_, '_>, _now: i64) -> (Status, String) {
    pending()
}

pub(super) fn anchor_not_ca(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn max_depth(_chain: &Chain<'_, '_>, _policy: &Policy) -> (Status, String) {
    pending()
}

pub(super) fn duplicate_certificate(_presented: &[rustls::pki_types::CertificateDer<'static>]) -> (Status, String) {
    pending()
}

// ---------------------------------------------------------------------------------------------
