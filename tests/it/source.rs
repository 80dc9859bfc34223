//! Checks on the source and the README that keep the rule table the one place rules are spelled.

use std::path::{Path, PathBuf};

use pki_lab::catalogue::rules::{Kind, RULES, RuleId};
use pki_lab::catalogue::template::{Catalogue, Template};

const BEGIN: &str = "<!-- rules-table:begin (generated from src/catalogue/rules.rs and templates/ by tests/it/source.rs; UPDATE_README=1 cargo test --test it source rewrites it) -->";
const END: &str = "<!-- rules-table:end -->";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_rule_id_is_a_string_literal_outside_the_rule_table() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let table = src.join("catalogue/rules.rs");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    let mut found = Vec::new();
    for file in files.iter().filter(|f| **f != table) {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            for id in RuleId::all() {
                if line.contains(&format!("\"{id}\"")) {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "rule ids spelled outside src/catalogue/rules.rs (name a RuleId variant):\n{}",
        found.join("\n")
    );
}

/// A cell for one scenario's expected outcome, as the README shows it. A `0` where an offline
/// rule is broken is bold: that client accepts the defect.
fn cells(p: &Template) -> [String; 3] {
    let accepts = |code: i32| p.breaks.is_some_and(|r| r.kind() == Kind::Offline) && code == 0;
    let bold = |code: i32| if accepts(code) { format!("**{code}**") } else { code.to_string() };
    let crl = p.leaf.revoked;
    let e = &p.expect;
    let openssl = format!("{}{}", bold(e.openssl_verify), if crl { " (with the CRL)" } else { "" });
    let rustls = match &e.rustls_handshake {
        Some(h) => format!("{} (chain), {h} (handshake)", e.rustls_verify),
        None => format!("{}{}", e.rustls_verify, if crl { " (with the CRL)" } else { "" }),
    };
    let curl = format!("{}{}", bold(e.curl), if crl { " (with `--crlfile`)" } else { "" });
    [openssl, rustls, curl]
}

/// One value when the scenarios agree, else each scenario's value.
fn merged(templates: &[&Template], column: usize) -> String {
    let values: Vec<String> = templates.iter().map(|p| cells(p)[column].clone()).collect();
    if values.iter().all(|v| *v == values[0]) {
        values[0].clone()
    } else {
        templates.iter().zip(&values).map(|(p, v)| format!("{}: {v}", p.name)).collect::<Vec<_>>().join("; ")
    }
}

fn row(rule: &str, kind: &str, check: &str, templates: &[&Template]) -> String {
    let names: Vec<&str> = templates.iter().map(|p| p.name.as_str()).collect();
    let [openssl, rustls, curl] = if templates.is_empty() {
        ["—".to_string(), "—".to_string(), "—".to_string()]
    } else {
        [merged(templates, 0), merged(templates, 1), merged(templates, 2)]
    };
    format!("| {rule} | {kind} | {check} | {} | {openssl} | {rustls} | {curl} |\n", names.join(", "))
}

fn rules_table() -> String {
    let catalogue = Catalogue::builtin().expect("catalogue");
    let of = |rule: Option<RuleId>| catalogue.templates().iter().filter(|p| p.breaks == rule).collect::<Vec<_>>();
    let mut t = String::from("| rule | decided | the client checks | scenarios | OpenSSL | rustls | curl |\n");
    t.push_str("|---|---|---|---|---|---|---|\n");
    let controls: Vec<&Template> = of(None).into_iter().filter(|p| p.is_control()).collect();
    let lessons: Vec<&Template> = of(None).into_iter().filter(|p| !p.is_control()).collect();
    t.push_str(&row("—", "—", "(controls: nothing is broken)", &controls));
    if !lessons.is_empty() {
        t.push_str(&row("—", "—", "(lessons: nothing is broken, yet some clients refuse)", &lessons));
    }
    for r in RULES {
        let kind = match r.kind {
            Kind::Offline => "offline",
            Kind::Live => "live",
        };
        t.push_str(&row(&format!("`{}`", r.id), kind, r.check, &of(Some(r.id))));
    }
    t
}

#[test]
fn the_readme_rule_table_is_the_rule_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (Some(start), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md lacks the markers\n{BEGIN}\n{END}");
    };
    let current = &readme[start + BEGIN.len()..end];
    let want = format!("\n{}", rules_table());
    if current != want {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{want}{}", &readme[..start + BEGIN.len()], &readme[end..]);
            std::fs::write(&path, updated).expect("write README.md");
        } else {
            panic!("the README rule table differs from the code; rerun with UPDATE_README=1. It should read:\n{want}");
        }
    }
}
