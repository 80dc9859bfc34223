//! The router's pages in a real browser: headless Chromium trusting the lab root through a
//! temporary NSS database, resolving only localhost names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{Daemon, manifest, new_lab, tool};

/// A headless Chromium with its own HOME (NSS database holding the lab root) and profile.
struct Chromium {
    home: PathBuf,
}

impl Chromium {
    fn new(tmp: &Path, lab: &Path) -> Chromium {
        let home = tmp.join("chromium-home");
        let db = home.join(".pki/nssdb");
        std::fs::create_dir_all(&db).expect("nssdb dir");
        let nss = format!("sql:{}", db.display());
        let ok = tool("certutil").args(["-N", "--empty-password", "-d", &nss]).status().expect("certutil -N");
        assert!(ok.success());
        let ca = lab.join("ca.pem");
        let ok = tool("certutil")
            .args(["-A", "-t", "C,,", "-n", "pki-lab", "-d", &nss, "-i"])
            .arg(&ca)
            .status()
            .expect("certutil -A");
        assert!(ok.success());
        Chromium { home }
    }

    /// The DOM of `url` once the page has loaded (its load event has fired).
    fn dump_dom(&self, url: &str, profile: &str) -> String {
        let o = tool("chromium")
            .env("HOME", &self.home)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // Only loopback names: `localhost` and `*.localhost` (which Chromium resolves
                // itself); every other lookup fails.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost",
            ])
            .arg(format!("--user-data-dir={}", self.home.join(profile).display()))
            .args(["--dump-dom", url])
            .output()
            .expect("run chromium");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}

fn serve(dir: &Path) -> (Daemon, u16) {
    let d = Daemon::spawn(dir, &["serve", "--port-base", "0", "--quiet"]);
    let port = d.ports["sni"].as_u64().expect("router port") as u16;
    (d, port)
}

fn names(m: &serde_json::Value) -> Vec<String> {
    m["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

/// `data-scenario="X" … data-outcome="Y"` of each dashboard row.
fn dashboard_outcomes(dom: &str) -> BTreeMap<String, String> {
    let attr = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        Some(tag[start..].split('"').next()?.to_string())
    };
    dom.split("<tr ")
        .skip(1)
        .filter_map(|tag| {
            let tag = tag.split('>').next()?;
            Some((attr(tag, "data-scenario")?, attr(tag, "data-outcome")?))
        })
        .collect()
}

#[test]
#[cfg_attr(missing_chromium, ignore = "needs chromium (Debian: chromium); .ci/run installs it")]
#[cfg_attr(missing_certutil, ignore = "needs certutil (Debian: libnss3-tools); .ci/run installs it")]
fn the_dashboard_reports_what_chromium_does_with_each_scenario() {
    let (tmp, dir) = new_lab(&[]);
    let m = manifest(&dir);
    let (_serve, port) = serve(&dir);
    let chromium = Chromium::new(tmp.path(), &dir);

    let dom = chromium.dump_dom(&format!("https://localhost:{port}/dashboard"), "dashboard");
    assert!(dom.contains("data-done=\"true\""), "the dashboard did not finish:\n{dom}");
    let reported = dashboard_outcomes(&dom);
    assert_eq!(reported.keys().cloned().collect::<Vec<_>>(), {
        let mut n = names(&m);
        n.sort();
        n
    });

    // What Chromium does with each scenario, as measured (the manifest's chromium column).
    let mut differ = Vec::new();
    for s in m["scenarios"].as_array().expect("scenarios") {
        let name = s["name"].as_str().expect("name");
        let column = &s["clients"]["chromium"];
        assert!(column.is_object(), "no chromium column for {name}");
        // Under a root of its own, this browser (trusting only the lab root) refuses whatever the
        // scenario breaks, and the dashboard says it cannot tell.
        let want = if s["files"]["anchor"].is_string() {
            "could-not-tell"
        } else if column["accepted"] == true {
            "accepted"
        } else {
            "refused"
        };
        if reported.get(name).map(String::as_str) != Some(want) {
            differ.push(format!(
                "{name}: chromium column {want} ({}), dashboard {:?}",
                column["code"],
                reported.get(name)
            ));
        }
    }
    assert!(differ.is_empty(), "the dashboard differs from Chromium's column:\n{}", differ.join("\n"));
    // The pair: the control is accepted, an expired leaf refused.
    assert_eq!(reported["valid"], "accepted");
    assert_eq!(reported["expired"], "refused");
    assert_eq!(reported["anchor-not-ca"], "could-not-tell");
}

#[test]
#[cfg_attr(missing_chromium, ignore = "needs chromium (Debian: chromium); .ci/run installs it")]
#[cfg_attr(missing_certutil, ignore = "needs certutil (Debian: libnss3-tools); .ci/run installs it")]
fn the_index_links_every_scenario_and_a_scenario_page_says_what_it_breaks() {
    let (tmp, dir) = new_lab(&[]);
    let m = manifest(&dir);
    let (_serve, port) = serve(&dir);
    let chromium = Chromium::new(tmp.path(), &dir);

    let index = chromium.dump_dom(&format!("https://localhost:{port}/"), "index");
    assert!(index.contains("<title>pki-lab scenarios</title>"), "{index}");
    for s in m["scenarios"].as_array().expect("scenarios") {
        let name = s["name"].as_str().expect("name");
        assert!(
            index.contains(&format!("<a href=\"https://{name}.localhost:{port}/\">{name}</a>")),
            "{name}:\n{index}"
        );
    }

    // leaf-is-ca is one Chromium accepts: its page explains what a correct browser does instead.
    let page = chromium.dump_dom(&format!("https://leaf-is-ca.localhost:{port}/"), "page");
    let rule = crate::common::scenario(&m, "leaf-is-ca")["rule"].as_str().expect("rule").to_string();
    assert!(page.contains("<h1>leaf-is-ca</h1>"), "{page}");
    assert!(page.contains(&rule) && page.contains("A correct browser shows a certificate warning"), "{page}");
    // The control's page says it is one.
    let page = chromium.dump_dom(&format!("https://valid.localhost:{port}/about"), "control");
    assert!(page.contains("This is a control"), "{page}");
}
