//! `revocation.revoked`: the path against its issuers' CRLs.

use rustls::pki_types::CertificateRevocationListDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::engine::*;
use super::{crypto::*, path::*, validity::*};

pub(super) struct Crls<'a> {
    pub(super) parsed: Vec<CertificateRevocationList<'a>>,
    pub(super) given: usize,
    pub(super) notes: Vec<String>,
}

impl<'a> Crls<'a> {
    pub(super) fn parse(ders: &'a [CertificateRevocationListDer<'static>]) -> Crls<'a> {
        let mut parsed = Vec::new();
        let mut notes = Vec::new();
        for (i, der) in ders.iter().enumerate() {
            match x509_parser::parse_x509_crl(der) {
                Ok((_, crl)) => parsed.push(crl),
                Err(e) => notes.push(format!("CRL #{} does not parse ({e}); ignored", i + 1)),
            }
        }
        Crls { parsed, given: ders.len(), notes }
    }
}

pub(super) fn same_serial(a: &[u8], b: &[u8]) -> bool {
    let strip = |s: &[u8]| s.iter().position(|b| *b != 0).map_or(0, |i| i);
    a[strip(a)..] == b[strip(b)..]
}

pub(super) fn revocation(chain: &Chain<'_, '_>, crls: &Crls<'_>, now: i64) -> (Status, String) {
    if crls.given == 0 {
        return (Status::NotApplicable, "no CRL given (--crl)".to_string());
    }
    let mut fails = Vec::new();
    let mut checked = Vec::new();
    let mut notes = crls.notes.clone();
    for i in chain.checked() {
        let x = chain.x(i);
        if i + 1 >= chain.len() {
            let why = if self_issued(x) { "it signs itself" } else { "its issuer was not found" };
            notes.push(format!("{} not checked: {why}", chain.label(i)));
            continue;
        }
        let issuer = chain.x(i + 1);
        let mut from_issuer = Vec::new();
        for crl in crls.parsed.iter().filter(|c| c.issuer().as_raw() == x.issuer().as_raw()) {
            let sig = verify_signed(
                issuer.public_key(),
                &crl.signature_algorithm,
                crl.tbs_cert_list.as_ref(),
                &crl.signature_value.data,
            );
            match sig {
                Sig::Valid => from_issuer.push(crl),
                _ => notes.push(format!(
                    "a CRL names {} as issuer but is not signed by its key; ignored",
                    short_name(issuer.subject())
                )),
            }
        }
        if from_issuer.is_empty() {
            notes.push(format!("no CRL from {} for {}", short_name(issuer.subject()), chain.label(i)));
            continue;
        }
        checked.push(format!("{} (CRL of {})", chain.label(i), short_name(issuer.subject())));
        for crl in &from_issuer {
            if let Some(next) = crl.next_update()
                && next.timestamp() < now
            {
                notes.push(format!(
                    "the CRL of {} is past its nextUpdate {} (rustls ignores that by default)",
                    short_name(issuer.subject()),
                    fmt_time(next.timestamp())
                ));
            }
            for r in crl.iter_revoked_certificates() {
                if same_serial(r.raw_serial(), x.raw_serial()) {
                    let at = r.revocation_date.timestamp();
                    let reason = r.reason_code().map(|(_, code)| format!(", reason {code}")).unwrap_or_default();
                    fails.push(format!(
                        "{} (serial {}) is revoked since {}, {}{reason}, in the CRL of {}",
                        chain.label(i),
                        x.raw_serial_as_string(),
                        fmt_time(at),
                        humanize(at - now),
                        short_name(issuer.subject())
                    ));
                }
            }
        }
    }
    let tail = if notes.is_empty() { String::new() } else { format!("; {}", notes.join("; ")) };
    if !fails.is_empty() {
        return (Status::Fail, fails.join("; "));
    }
    if checked.is_empty() {
        return (Status::NotApplicable, format!("no certificate on the path could be checked{}", tail));
    }
    (Status::Pass, format!("not listed: {}{tail}", checked.join(", ")))
}

pub(super) fn crl_signature(_chain: &Chain<'_, '_>, _crls: &Crls<'_>, _now: i64) -> (Status, String) {
    pending()
}

pub(super) fn crl_sign(_chain: &Chain<'_, '_>, _crls: &Crls<'_>, _now: i64) -> (Status, String) {
    pending()
}

pub(super) fn crl_number(_chain: &Chain<'_, '_>, _crls: &Crls<'_>, _now: i64) -> (Status, String) {
    pending()
}

pub(super) fn crl_stale(_chain: &Chain<'_, '_>, _crls: &Crls<'_>, _now: i64) -> (Status, String) {
    pending()
}

pub(super) fn crl_scope(_chain: &Chain<'_, '_>, _crls: &Crls<'_>, _now: i64) -> (Status, String) {
    pending()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_compare_without_leading_zeros() {
        assert!(same_serial(&[0x00, 0x91, 0x02], &[0x91, 0x02]));
        assert!(!same_serial(&[0x91, 0x02], &[0x91, 0x03]));
    }
}
