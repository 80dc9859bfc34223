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

/// `in 3 days`, `1 day ago`, `5 minutes ago`: `delta` seconds from now, rounded to the nearest
/// whole unit (a day from 23.5 hours on, so "expired a day ago" reads as one day).
pub fn humanize(delta: i64) -> String {
    let a = delta.unsigned_abs();
    if a == 0 {
        return "now".to_string();
    }
    let (n, unit) = if a >= 86_400 - 1_800 {
        ((a + 43_200) / 86_400, "day")
    } else if a >= 3_600 - 30 {
        ((a + 1_800) / 3_600, "hour")
    } else if a >= 60 {
        ((a + 30) / 60, "minute")
    } else {
        (a, "second")
    };
    let s = if n == 1 { "" } else { "s" };
    if delta > 0 { format!("in {n} {unit}{s}") } else { format!("{n} {unit}{s} ago") }
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

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanize_rounds_to_the_nearest_unit() {
        assert_eq!(humanize(-86_400 - 5), "1 day ago");
        assert_eq!(humanize(86_400 - 5), "in 1 day");
        assert_eq!(humanize(-3 * 86_400), "3 days ago");
        assert_eq!(humanize(7_200), "in 2 hours");
        assert_eq!(humanize(-90), "2 minutes ago");
        assert_eq!(humanize(-1), "1 second ago");
        assert_eq!(humanize(0), "now");
        assert_eq!(fmt_time(0), "1970-01-01T00:00Z");
    }
}
