//! Stand-in for the rule engine (being written on branch `engine`); replaced at merge.
use std::path::Path;

use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use serde::Serialize;

use crate::rules::{self, Step};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub rule: &'static str,
    pub step: Step,
    pub status: Status,
    pub evidence: String,
}

pub struct Trust {
    pub roots: Vec<CertificateDer<'static>>,
    pub known: Vec<CertificateDer<'static>>,
    pub crls: Vec<CertificateRevocationListDer<'static>>,
}

pub fn evaluate(_p: &[CertificateDer<'static>], _h: &str, _t: &Trust, _n: time::OffsetDateTime) -> Vec<RuleResult> {
    rules::RULES
        .iter()
        .map(|r| RuleResult { rule: r.id, step: r.step, status: Status::NotApplicable, evidence: String::new() })
        .collect()
}

pub fn failed(results: &[RuleResult]) -> Vec<&'static str> {
    results.iter().filter(|r| r.status == Status::Fail).map(|r| r.rule).collect()
}

pub fn render_text(_r: &[RuleResult]) -> String {
    String::new()
}

pub fn lab_trust(_lab: &Path) -> crate::Result<Trust> {
    Ok(Trust { roots: vec![], known: vec![], crls: vec![] })
}
