//! `keyid.*`: authority and subject key identifiers (RFC 5280 §4.2.1.1-2).

use super::engine::*;
use super::path::*;

pub(super) fn aki_missing(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn aki_malformed(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn ski_missing(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn ski_critical(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}
