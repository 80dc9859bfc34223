//! `validity.*`: notBefore and notAfter of every certificate in the path.

use time::OffsetDateTime;

use super::engine::*;
use super::{crypto::decide, path::*};
use crate::catalogue::rules::RuleId;

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
        // Such a certificate is valid at no time: validity.inverted says so, once.
        if inverted(chain, i) {
            continue;
        }
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

fn inverted(chain: &Chain<'_, '_>, i: usize) -> bool {
    let v = chain.x(i).validity();
    v.not_before.timestamp() > v.not_after.timestamp()
}

pub(super) fn validity_inverted(chain: &Chain<'_, '_>) -> (Status, String) {
    let mut fails = Vec::new();
    for i in chain.checked().filter(|&i| inverted(chain, i)) {
        let v = chain.x(i).validity();
        fails.push(format!(
            "{}: notBefore {} is after notAfter {}, so it is valid at no time",
            chain.label(i),
            fmt_time(v.not_before.timestamp()),
            fmt_time(v.not_after.timestamp())
        ));
    }
    let n = chain.checked().len();
    decide(fails, || format!("{n} certificate{}: notBefore before notAfter", plural(n)))
}

const DAY: i64 = 86_400;

/// The leaf's lifetime as BR §6.3.2 counts it: notAfter − notBefore + 1 second (both ends are
/// inclusive), and any part of a day over is a whole day. Over `max_days` fails. A lifetime over
/// 825 days is that rule's failure alone: the 398-day rule is then N/A, so a scenario breaks one.
pub(super) fn leaf_lifetime(chain: &Chain<'_, '_>, max_days: i64) -> (Status, String) {
    let who = chain.label(0);
    if inverted(chain, 0) {
        return (Status::NotApplicable, format!("{who} has no lifetime: {}", RuleId::ValidityInverted));
    }
    let v = chain.leaf().validity();
    let seconds = v.not_after.timestamp() - v.not_before.timestamp() + 1;
    let days = (seconds + DAY - 1) / DAY;
    let span = format!(
        "{who} lifetime {days} day{} ({seconds} s, notBefore {} to notAfter {})",
        if days == 1 { "" } else { "s" },
        fmt_time(v.not_before.timestamp()),
        fmt_time(v.not_after.timestamp())
    );
    if max_days < 825 && seconds > 825 * DAY {
        return (Status::NotApplicable, format!("{span}: over 825 days, {}", RuleId::ValidityOver825Days));
    }
    if seconds > max_days * DAY {
        return (Status::Fail, format!("{span}, over {max_days} days"));
    }
    (Status::Pass, format!("{span}, at most {max_days}"))
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::crypto::testkit::*;
    use crate::catalogue::rules::RuleId;
    use crate::verdict::engine::Status;

    #[test]
    fn a_not_before_after_the_not_after_fails_inverted_and_neither_bound() {
        let p = pki();
        let leaf = leaf(&p.inter, |l| {
            l.not_before = now() + time::Duration::days(1);
            l.not_after = now() - time::Duration::days(1);
        });
        let r = eval(&[leaf, p.inter.der.clone()], &p.root.der, &[]);
        let e = only(&r, &[RuleId::ValidityInverted]);
        assert!(e.starts_with("leaf CN=localhost: notBefore ") && e.ends_with("so it is valid at no time"), "{e}");
        assert_eq!(status(&r, RuleId::ValidityOver398Days).0, Status::NotApplicable);
    }

    #[test]
    fn leaf_lifetimes_count_both_ends_as_the_br_do() {
        let p = pki();
        let lasting = |seconds: i64| {
            let leaf = leaf(&p.inter, |l| l.not_after = l.not_before + time::Duration::seconds(seconds));
            eval(&[leaf, p.inter.der.clone()], &p.root.der, &[])
        };
        // notAfter − notBefore + 1 s = 398 days exactly: allowed.
        let r = lasting(398 * DAY - 1);
        only(&r, &[]);
        assert!(status(&r, RuleId::ValidityOver398Days).1.contains("lifetime 398 days (34387200 s"));
        // One second more is a 399th day.
        let e = only(&lasting(398 * DAY), &[RuleId::ValidityOver398Days]);
        assert!(e.contains("lifetime 399 days (34387201 s") && e.ends_with("over 398 days"), "{e}");
        // Over 825 days is the 825-day rule's failure alone.
        only(&lasting(825 * DAY - 1), &[RuleId::ValidityOver398Days]);
        let r = lasting(825 * DAY);
        let e = only(&r, &[RuleId::ValidityOver825Days]);
        assert!(e.ends_with("over 825 days"), "{e}");
        assert_eq!(status(&r, RuleId::ValidityOver398Days).0, Status::NotApplicable);
    }

    #[test]
    fn fmt_time_is_minutes_utc() {
        assert_eq!(fmt_time(0), "1970-01-01T00:00Z");
    }
}
