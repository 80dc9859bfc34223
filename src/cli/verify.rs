//! `pki-lab verify`: the rule engine on files, offline, at a chosen time.

use std::path::Path;

use time::OffsetDateTime;

use crate::catalogue::rules::Expected;
use crate::cli::VerifyArgs;
use crate::error::Result;
use crate::labdir;
use crate::verdict::report::{self, VerifyRequest};

impl VerifyArgs {
    /// The files and name the flags give.
    pub fn request(&self) -> VerifyRequest {
        VerifyRequest {
            cert: self.cert.clone(),
            chain: self.chain.clone(),
            ca: self.ca.clone(),
            crls: self.crls.clone(),
            host: self.host.clone(),
            profile: self.profile,
            max_depth: self.max_depth,
        }
    }

    /// `--at`, or `now`.
    pub fn at(&self, now: OffsetDateTime) -> Result<OffsetDateTime> {
        report::parse_at(self.at.as_deref(), now)
    }
}

pub(crate) fn verify(dir: &Path, args: VerifyArgs, now: OffsetDateTime) -> Result<i32> {
    let report = report::verify(labdir::is_lab(dir).then_some(dir), &args.request(), args.at(now)?)?;
    if args.json {
        super::output::json(&report)?;
    } else {
        out!("{}", report.text())?;
    }
    // --expect names exactly the failing rules; without it the profile's verdict decides.
    let ok = if args.expect.is_empty() { report.passes() } else { Expected::holds(&args.expect, &report.failed) };
    Ok(if ok { 0 } else { 1 })
}
