//! `usage.*`: basicConstraints and keyUsage (RFC 5280 §4.2.1.3, §4.2.1.9).

use super::engine::*;
use super::path::*;

pub(super) fn basic_constraints_critical(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn keycertsign_not_ca(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn ca_without_keycertsign(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn leaf_key_usage(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}
