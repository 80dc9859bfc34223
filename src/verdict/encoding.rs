//! `encoding.*`: how certificates are written (RFC 5280 §4.1, §4.2).

use super::engine::*;
use super::path::*;

pub(super) fn serial(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn time_encoding(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn version(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn duplicate_extension(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}

pub(super) fn aia(_chain: &Chain<'_, '_>) -> (Status, String) {
    pending()
}
