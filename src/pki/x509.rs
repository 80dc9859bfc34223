//! Helpers for certificates shared by the rule engine ([`crate::verdict`]) and the descriptions
//! for people ([`crate::inspect`]): hex forms of serials, key identifiers and fingerprints.

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
    fn hex_forms() {
        assert_eq!(hex_colon(&[0x0a, 0x1b, 0xff]), "0a:1b:ff");
        assert_eq!(hex_colon_upper(&[0x0a, 0x1b, 0xff]), "0A:1B:FF");
        assert_eq!(hex_colon(&[0x00]), "00");
        assert_eq!(hex_colon(&[]), "");
    }
}
