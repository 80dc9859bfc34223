//! The measured client columns, `templates/clients.json`: for every scenario of the built-in
//! catalogue, what each client did against `pki-lab serve`. The test suite writes it from real
//! runs (`UPDATE_CLIENTS=1 cargo test --test it clients`) and checks every client against it; a
//! lab's manifest carries it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalogue::template::Expect;
use crate::clients::{ClientId, ClientOutcome};
use crate::error::{Error, Result};

/// The file, relative to the crate root.
pub const PATH: &str = "templates/clients.json";
/// The command that rewrites it.
pub const REGENERATE: &str = "UPDATE_CLIENTS=1 cargo test --test it clients";

const EMBEDDED: &str = include_str!("../../templates/clients.json");

/// Scenario name → client → outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measured {
    /// Says where the file comes from (kept when it is rewritten).
    #[serde(default)]
    pub about: String,
    pub scenarios: BTreeMap<String, BTreeMap<ClientId, ClientOutcome>>,
}

impl Measured {
    /// The table built into this binary.
    pub fn builtin() -> Result<Measured> {
        Measured::parse(EMBEDDED)
    }

    pub fn parse(text: &str) -> Result<Measured> {
        serde_json::from_str(text).map_err(|e| Error::Parse { context: PATH.into(), message: e.to_string() })
    }

    /// The file's text: pretty JSON, one line per field, scenarios and clients in a fixed order.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    pub fn get(&self, scenario: &str, client: ClientId) -> Option<&ClientOutcome> {
        self.scenarios.get(scenario)?.get(&client)
    }

    /// A template's `expect` as a lab's manifest carries it: `python` and `go` are the measured
    /// `python-ssl` and `go` outcomes (`ok`, or what the client said).
    pub fn expect(&self, scenario: &str, expect: &Expect) -> Expect {
        let said =
            |c: ClientId| self.get(scenario, c).map(|o| if o.accepted { "ok".to_string() } else { o.text.clone() });
        Expect { python: said(ClientId::PythonSsl), go: said(ClientId::Go), ..expect.clone() }
    }

    /// Every column of one scenario (empty for a scenario the table does not know, such as a
    /// user's own template).
    pub fn columns(&self, scenario: &str) -> BTreeMap<ClientId, ClientOutcome> {
        self.scenarios.get(scenario).cloned().unwrap_or_default()
    }
}

/// Takes what changes from run to run out of a client's message: the port, the lab and work
/// directories.
pub fn normalise(text: &str, port: u16, dirs: &[(&std::path::Path, &str)]) -> String {
    let mut t = text.to_string();
    for (dir, name) in dirs {
        t = t.replace(&dir.display().to_string(), name);
    }
    t.replace(&format!(":{port}"), ":PORT").replace(&format!("port={port}"), "port=PORT")
}
