//! `pki-lab rules`: the rule table, printed from [`crate::catalogue::rules::RULES`].

use crate::catalogue::rules::{Kind, RULES};
use crate::cli::RulesArgs;
use crate::cli::output::table;
use crate::error::Result;

pub(crate) fn rules(args: RulesArgs) -> Result<i32> {
    if args.json {
        let json = serde_json::to_string_pretty(RULES)?;
        outln!("{json}")?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = RULES
        .iter()
        .map(|r| {
            let step = match r.kind {
                Kind::Offline => r.step.as_str().to_string(),
                Kind::Live => format!("{} (live)", r.step.as_str()),
            };
            vec![r.id.to_string(), step, r.class.as_str().to_string(), r.source.to_string(), r.check.to_string()]
        })
        .collect();
    out!("{}", table(&["RULE", "STEP", "CLASS", "SOURCE", "CHECK"], &rows))?;
    Ok(0)
}
