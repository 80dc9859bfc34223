//! Helpers for certificates shared by the rule engine ([`crate::verdict`]) and the descriptions
//! for people ([`crate::inspect`]): hex forms of serials, key identifiers and fingerprints.

const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;

/// `in 3 days`, `1 day ago`, `5 minutes ago`, `now`: `delta` seconds from now in words, as
/// [`humanize_span`] rounds them.
pub fn humanize(delta: i64) -> String {
    match delta {
        0 => "now".to_string(),
        d if d > 0 => format!("in {}", humanize_span(d)),
        d => format!("{} ago", humanize_span(d)),
    }
}

/// `3 days`, `2 hours`, `45 seconds`, `20 years`: a span of seconds (the sign ignored), rounded
/// to the nearest whole unit, the largest unit it rounds to at least one of (a day from 23.5
/// hours on, so "expired a day ago" reads as one day; a year is 365 days, from 364.5 on).
pub fn humanize_span(seconds: i64) -> String {
    let a = seconds.unsigned_abs();
    let (n, unit) = if a >= YEAR - DAY / 2 {
        ((a + YEAR / 2) / YEAR, "year")
    } else if a >= DAY - 1_800 {
        ((a + DAY / 2) / DAY, "day")
    } else if a >= 3_600 - 30 {
        ((a + 1_800) / 3_600, "hour")
    } else if a >= 60 {
        ((a + 30) / 60, "minute")
    } else {
        (a, "second")
    };
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {unit}{s}")
}

/// `0a:1b:2c`: lower-case hex bytes joined by colons (serials, as `openssl x509 -text`).
pub fn hex_colon(bytes: &[u8]) -> String {
    colons(&hex::encode(bytes))
}

/// `0A:1B:2C`: upper-case hex bytes joined by colons (key identifiers, fingerprints).
pub fn hex_colon_upper(bytes: &[u8]) -> String {
    colons(&hex::encode_upper(bytes))
}

/// The SHA-256 fingerprint of a DER object, upper-case hex with colons.
pub fn sha256_fingerprint(der: &[u8]) -> String {
    hex_colon_upper(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref())
}

/// A colon between every two hex digits.
fn colons(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() * 3 / 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && i % 2 == 0 {
            out.push(':');
        }
        out.push(c);
    }
    out
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
        // 44 hours is two days, never "1 day 20 hours".
        assert_eq!(humanize(-44 * 3_600), "2 days ago");
    }

    #[test]
    fn humanize_span_units() {
        assert_eq!(humanize_span(0), "0 seconds");
        assert_eq!(humanize_span(45), "45 seconds");
        assert_eq!(humanize_span(3_569), "59 minutes");
        assert_eq!(humanize_span(3_570), "1 hour");
        assert_eq!(humanize_span(84_599), "23 hours");
        assert_eq!(humanize_span(84_600), "1 day");
        assert_eq!(humanize_span(89 * 86_400 + 23 * 3_600), "90 days");
        assert_eq!(humanize_span(364 * 86_400), "364 days");
        assert_eq!(humanize_span(365 * 86_400), "1 year");
        assert_eq!(humanize_span(-20 * 365 * 86_400), "20 years");
        assert_eq!(humanize_span(i64::MIN), "292471208678 years");
        assert_eq!(humanize_span(i64::MAX), "292471208678 years");
    }

    #[test]
    fn hex_forms() {
        assert_eq!(hex_colon(&[0x0a, 0x1b, 0xff]), "0a:1b:ff");
        assert_eq!(hex_colon_upper(&[0x0a, 0x1b, 0xff]), "0A:1B:FF");
        assert_eq!(hex_colon(&[0x00]), "00");
        assert_eq!(hex_colon(&[]), "");
    }
}
