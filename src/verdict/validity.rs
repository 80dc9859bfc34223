//! `validity.*`: notBefore and notAfter of every certificate in the path.

use time::OffsetDateTime;

use super::engine::*;
use super::path::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    NotBefore,
    NotAfter,
}

/// `2026-11-25T10:21Z`.
pub(super) fn fmt_time(unix: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]Z");
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| format!("@{unix}"))
}

pub(super) fn validity(chain: &Chain<'_, '_>, now: i64, bound: Bound) -> (Status, String) {
    let mut fails = Vec::new();
    // The certificate closest to its bound, for the pass evidence.
    let mut closest: Option<(i64, usize)> = None;
    for i in chain.checked() {
        let v = chain.x(i).validity();
        let (at, broken, word) = match bound {
            Bound::NotAfter => (v.not_after.timestamp(), now > v.not_after.timestamp(), "not after"),
            Bound::NotBefore => (v.not_before.timestamp(), now < v.not_before.timestamp(), "not before"),
        };
        if broken {
            fails.push(format!("{} {word} {}, {}", chain.label(i), fmt_time(at), humanize(at - now)));
        }
        if closest.is_none_or(|(c, _)| (at - now).abs() < (c - now).abs()) {
            closest = Some((at, i));
        }
    }
    let anchor = match chain.anchor() {
        Some(a) => format!("; {} not checked (a root's dates are not, as in webpki)", chain.label(a)),
        None => String::new(),
    };
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    let n = chain.checked().len();
    let detail = match closest {
        Some((at, i)) => {
            let word = if bound == Bound::NotAfter { "soonest notAfter" } else { "latest notBefore" };
            format!("; {word}: {} {}, {}", chain.label(i), fmt_time(at), humanize(at - now))
        }
        None => String::new(),
    };
    (Status::Pass, format!("{n} certificate{} checked{detail}{anchor}", plural(n)))
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(super) fn validity_inverted(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn leaf_lifetime(_chain: &Chain<'_, '_>, _max_days: i64) -> (Status, String) {
    pending()
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_time_is_minutes_utc() {
        assert_eq!(fmt_time(0), "1970-01-01T00:00Z");
    }
}
