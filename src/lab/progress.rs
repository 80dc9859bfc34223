//! Where a learner is in a lab, saved under the lab directory so that `pki-lab lab run`
//! resumes: `<lab>/labs/<id>/progress.json`, next to the learner's `work/` directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Lab;
use crate::error::{Error, Result};
use crate::labdir::fsutil;

pub const SCHEMA: &str = "pki-lab/lab-progress/v1";

/// `<lab>/labs/<id>`.
pub fn lab_home(dir: &Path, id: &str) -> PathBuf {
    dir.join("labs").join(id)
}

/// The learner's directory for files a lab asks them to make.
pub fn work_dir(dir: &Path, id: &str) -> PathBuf {
    lab_home(dir, id).join("work")
}

fn path(dir: &Path, id: &str) -> PathBuf {
    lab_home(dir, id).join("progress.json")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Progress {
    pub schema: String,
    pub lab: String,
    /// Step id → how it ended.
    pub steps: BTreeMap<String, StepState>,
    /// When the last step was done (RFC 3339).
    #[serde(default)]
    pub finished: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepState {
    /// `done` or `skipped`.
    pub status: String,
    pub at: String,
    /// Hints revealed.
    #[serde(default)]
    pub hints: usize,
}

impl Progress {
    pub fn new(id: &str) -> Progress {
        Progress { schema: SCHEMA.into(), lab: id.into(), steps: BTreeMap::new(), finished: None }
    }

    /// The saved progress of `lab`, or a fresh one.
    pub fn load(dir: &Path, lab: &Lab) -> Result<Progress> {
        let p = path(dir, &lab.id);
        if !p.is_file() {
            return Ok(Progress::new(&lab.id));
        }
        let text = fsutil::read_to_string(&p)?;
        let progress: Progress = serde_json::from_str(&text).map_err(|e| Error::Parse {
            context: p.display().to_string(),
            message: format!("{e}\n  hint: `pki-lab lab run {} --restart` starts the lab over", lab.id),
        })?;
        if progress.schema != SCHEMA || progress.lab != lab.id {
            return Err(Error::Parse {
                context: p.display().to_string(),
                message: format!(
                    "expected progress of lab `{}` ({SCHEMA}), found lab `{}` ({})",
                    lab.id, progress.lab, progress.schema
                ),
            });
        }
        Ok(progress)
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let home = lab_home(dir, &self.lab);
        fsutil::create_dir(&home)?;
        let json = serde_json::to_string_pretty(self)? + "\n";
        fsutil::write_atomic(&path(dir, &self.lab), json.as_bytes(), fsutil::PUBLIC)
    }

    /// Forgets everything (the work directory stays).
    pub fn reset(dir: &Path, id: &str) -> Result<()> {
        let p = path(dir, id);
        match std::fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Io { action: "removing", path: p, source: e }),
        }
    }

    /// Index of the first step neither done nor skipped.
    pub fn next_step(&self, lab: &Lab) -> Option<usize> {
        lab.steps.iter().position(|s| !self.steps.contains_key(&s.id))
    }

    pub fn mark(&mut self, step: &str, status: &str, hints: usize, at: String) {
        self.steps.insert(step.to_string(), StepState { status: status.into(), at, hints });
    }
}
