//! `pki-lab verify`: the rule engine on files, offline, at a chosen time.

use std::path::Path;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::catalogue::rules::Expected;
use crate::cli::VerifyArgs;
use crate::error::{Error, Result};
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
            max_depth: self.max_depth,
        }
    }

    /// `--at`, or `now`.
    pub fn at(&self, now: OffsetDateTime) -> Result<OffsetDateTime> {
        match &self.at {
            Some(t) => OffsetDateTime::parse(t.trim(), &Rfc3339).map_err(|e| {
                Error::Usage(format!("--at: expected an RFC 3339 time such as 2027-01-01T00:00:00Z, found `{t}` ({e})"))
            }),
            None => Ok(now),
        }
    }
}

pub(crate) fn verify(dir: &Path, args: VerifyArgs, now: OffsetDateTime) -> Result<i32> {
    let report = report::verify(labdir::is_lab(dir).then_some(dir), &args.request(), args.at(now)?)?;
    if args.json {
        super::output::json(&report)?;
    } else {
        out!("{}", report.text())?;
    }
    Ok(if Expected::holds(&args.expect, &report.failed) { 0 } else { 1 })
}
