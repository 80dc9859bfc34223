//! `purpose.eku`: what the leaf may be used for.

use super::engine::*;
use super::{crypto::*, path::*};

pub(super) fn purpose_eku(chain: &Chain<'_, '_>) -> (Status, String) {
    let leaf = short_name(chain.leaf().subject());
    let eku = match chain.leaf().extended_key_usage() {
        Ok(None) => {
            return (
                Status::Pass,
                format!(
                    "leaf {leaf} has no extendedKeyUsage: any purpose is allowed (webpki, OpenSSL and Go accept this)"
                ),
            );
        }
        Ok(Some(ext)) => ext.value,
        Err(e) => return (Status::Fail, format!("leaf {leaf}: extendedKeyUsage does not parse: {e}")),
    };
    if eku.server_auth {
        return (Status::Pass, format!("leaf {leaf} extendedKeyUsage includes serverAuth"));
    }
    if eku.any {
        return (
            Status::Pass,
            format!(
                "leaf {leaf} extendedKeyUsage has anyExtendedKeyUsage (OpenSSL accepts it; rustls/webpki require serverAuth itself)"
            ),
        );
    }
    let mut present: Vec<String> = [
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| n.to_string())
    .collect();
    present.extend(eku.other.iter().map(oid_name));
    if present.is_empty() {
        return (Status::Fail, format!("leaf {leaf} has an empty extendedKeyUsage: no purpose is allowed"));
    }
    (Status::Fail, format!("leaf {leaf} extendedKeyUsage allows {} only, not serverAuth", present.join(", ")))
}

pub(super) fn any_eku(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn eku_missing(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn eku_critical(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn ca_eku(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

// ---------------------------------------------------------------------------------------------
