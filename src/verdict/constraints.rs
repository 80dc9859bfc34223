//! `chain.issuer-not-ca`, `chain.leaf-is-ca`, `chain.path-length`: basicConstraints along the path.

use x509_parser::certificate::X509Certificate;

use super::engine::*;
use super::{path::*, validity::*};

pub(super) fn basic_constraints(x: &X509Certificate<'_>) -> std::result::Result<Option<(bool, Option<u32>)>, String> {
    x.basic_constraints()
        .map(|bc| bc.map(|b| (b.value.ca, b.value.path_len_constraint)))
        .map_err(|e| format!("basicConstraints do not parse: {e}"))
}

pub(super) fn issuer_not_ca(chain: &Chain<'_, '_>) -> (Status, String) {
    if chain.len() == 1 {
        let why = match chain.end {
            End::Trusted => "the leaf is itself trusted: no issuer on the path".to_string(),
            End::SelfSigned(_) => "the leaf signs itself: no issuer CA on the path".to_string(),
            _ => format!("issuer `{}` not found: nothing to check", chain.leaf().issuer()),
        };
        return (Status::NotApplicable, why);
    }
    let mut fails = Vec::new();
    let mut notes = Vec::new();
    for j in 1..chain.len() {
        // A trusted root's own fields are trust.anchor-not-ca's (RFC 5937): one fault, one rule.
        if Some(j) == chain.anchor() && matches!(chain.end, End::Trusted) {
            notes.push(format!("{} is the trust anchor (see trust.anchor-not-ca)", chain.label(j)));
            continue;
        }
        match basic_constraints(chain.x(j)) {
            Ok(Some((true, _))) => {}
            Ok(Some((false, _))) => {
                fails.push(format!("{} has basicConstraints CA:FALSE yet signs {}", chain.label(j), chain.label(j - 1)))
            }
            Ok(None) if Some(j) == chain.anchor() => {
                notes.push(format!("{} has no basicConstraints (accepted as a trust anchor)", chain.label(j)))
            }
            Ok(None) => fails.push(format!(
                "{} has no basicConstraints (so it is not a CA) yet signs {}",
                chain.label(j),
                chain.label(j - 1)
            )),
            Err(e) => fails.push(format!("{}: {e}", chain.label(j))),
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let n = chain.len() - 1 - notes.iter().filter(|n| n.ends_with("(see trust.anchor-not-ca)")).count();
    let mut evidence = format!("{n} issuer{} on the path, each with CA:TRUE", plural(n));
    for note in notes {
        evidence.push_str(&format!("; {note}"));
    }
    (Status::Pass, evidence)
}

pub(super) fn leaf_is_ca(chain: &Chain<'_, '_>) -> (Status, String) {
    let leaf = short_name(chain.leaf().subject());
    match basic_constraints(chain.leaf()) {
        Ok(Some((true, len))) => {
            let len = len.map(|n| format!(", pathlen:{n}")).unwrap_or_default();
            (
                Status::Fail,
                format!(
                    "leaf {leaf} has basicConstraints CA:TRUE{len}; a CA certificate cannot be a server's end entity"
                ),
            )
        }
        Ok(Some((false, _))) => (Status::Pass, format!("leaf {leaf} has basicConstraints CA:FALSE")),
        Ok(None) => (Status::Pass, format!("leaf {leaf} has no basicConstraints: an end entity")),
        Err(e) => (Status::Fail, format!("leaf {leaf}: {e}")),
    }
}

pub(super) fn path_length(chain: &Chain<'_, '_>) -> (Status, String) {
    if chain.len() == 1 {
        return (Status::NotApplicable, "no CA on the path above the leaf".to_string());
    }
    let mut fails = Vec::new();
    let mut seen = Vec::new();
    for j in 1..chain.len() {
        let Ok(Some((_, Some(n)))) = basic_constraints(chain.x(j)) else { continue };
        let below: Vec<usize> = (1..j).filter(|&i| !self_issued(chain.x(i))).collect();
        let count = below.len();
        if count > n as usize {
            let names = below.iter().map(|&i| short_name(chain.x(i).subject())).collect::<Vec<_>>().join(", ");
            fails.push(format!(
                "{} has pathLenConstraint {n} but {count} CA{} below it ({names})",
                chain.label(j),
                plural(count)
            ));
        } else {
            seen.push(format!("{} pathlen:{n} with {count} below", chain.label(j)));
        }
    }
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if seen.is_empty() {
        return (Status::Pass, "no CA on the path has a pathLenConstraint".to_string());
    }
    (Status::Pass, seen.join("; "))
}

// ---------------------------------------------------------------------------------------------
