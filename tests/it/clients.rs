//! Every real client against `pki-lab serve`: each test runs one client over every scenario of
//! one shared lab and server and compares what it did with the measured table,
//! `templates/clients.json`, listing every difference at once.
//! `UPDATE_CLIENTS=1 cargo test --test it clients` rewrites the table from the clients.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use pki_lab::catalogue::template::Catalogue;
use pki_lab::clients::measured::{self, Measured};
use pki_lab::clients::{self, ClientId, ClientOutcome, Target};
use pki_lab::labdir::manifest::Manifest;

/// One lab and one `serve` (in process, every scenario on its own port) for all client tests.
struct Shared {
    dir: PathBuf,
    manifest: Manifest,
    ports: BTreeMap<String, u16>,
    _runtime: tokio::runtime::Runtime,
    _tmp: tempfile::TempDir,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("lab");
        let catalogue = Catalogue::builtin().expect("catalogue");
        let opts = pki_lab::labdir::InitOptions { ca: Default::default(), force: false, renew: false, complete: true };
        let now = time::OffsetDateTime::now_utc();
        let manifest = pki_lab::labdir::init(&dir, &catalogue, &opts, now).expect("init").manifest;
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let serve = pki_lab::serve::ServeOptions { port_base: 0, log: false, sni_router: false, ..Default::default() };
        let running = runtime.block_on(pki_lab::serve::start(&dir, &manifest, &serve)).expect("serve");
        let ports = running.ports.scenarios.clone();
        // The servers live as long as the test process (and its runtime, kept here).
        std::mem::forget(running);
        Shared { dir, manifest, ports, _runtime: runtime, _tmp: tmp }
    })
}

fn table_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(measured::PATH)
}

fn read_table() -> Measured {
    Measured::parse(&std::fs::read_to_string(table_path()).expect("templates/clients.json")).expect("table parses")
}

/// Runs `client` against every scenario; messages normalised (ports and directories).
fn measure(client: ClientId) -> BTreeMap<String, ClientOutcome> {
    let s = shared();
    let work = s.dir.parent().expect("parent").join(format!("work-{client}"));
    let mut out = BTreeMap::new();
    for entry in &s.manifest.scenarios {
        let port = s.ports[&entry.name];
        let target = Target::for_scenario(&s.dir, &s.manifest, entry, port);
        let mut o = clients::run(client, &target, &work).unwrap_or_else(|e| panic!("{client} on {}: {e}", entry.name));
        o.text = measured::normalise(&o.text, port, &[(&work, "WORK"), (&s.dir, "LAB")]);
        out.insert(entry.name.clone(), o);
    }
    out
}

/// Writers of the table take turns (the tests run in parallel in one process).
static WRITE: Mutex<()> = Mutex::new(());

/// Measures `client` and compares with its column; with UPDATE_CLIENTS set, rewrites the column.
fn check(client: ClientId) {
    let got = measure(client);
    if std::env::var_os("UPDATE_CLIENTS").is_some() {
        let _turn = WRITE.lock().unwrap_or_else(|e| e.into_inner());
        let mut table = read_table();
        table.about = format!(
            "generated: what each client did with each scenario against `pki-lab serve`; `code` is asserted by tests/it/clients.rs, `text` documents it. Do not edit: `{}` rewrites it.",
            measured::REGENERATE
        );
        for (name, o) in &got {
            table.scenarios.entry(name.clone()).or_default().insert(client, o.clone());
        }
        std::fs::write(table_path(), table.to_json().expect("json")).expect("write templates/clients.json");
        return;
    }
    let table = read_table();
    let mut differ = Vec::new();
    for (name, o) in &got {
        match table.get(name, client) {
            None => {
                differ.push(format!("{name}: no {client} row in {}; run `{}`", measured::PATH, measured::REGENERATE))
            }
            Some(want) if want.accepted != o.accepted || want.code != o.code => differ.push(format!(
                "{name}: the table says {} `{}`, {client} {} with `{}`: {}",
                verdict(want.accepted),
                want.code,
                verdict(o.accepted),
                o.code,
                o.text.lines().next().unwrap_or("")
            )),
            Some(_) => {}
        }
    }
    assert!(
        differ.is_empty(),
        "{client}: {} of {} scenarios differ from {} (if the client changed, rerun `{}` and review the diff):\n{}",
        differ.len(),
        got.len(),
        measured::PATH,
        measured::REGENERATE,
        differ.join("\n")
    );
}

fn verdict(accepted: bool) -> &'static str {
    if accepted { "accepted" } else { "refused" }
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn openssl_s_client_does_what_the_table_says() {
    check(ClientId::OpensslSClient);
}

#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn curl_does_what_the_table_says() {
    check(ClientId::Curl);
}

#[test]
fn rustls_does_what_the_table_says() {
    check(ClientId::Rustls);
}

#[test]
#[cfg_attr(missing_python3, ignore = "needs python3 (Debian: python3); .ci/run installs it")]
fn python_ssl_does_what_the_table_says() {
    check(ClientId::PythonSsl);
}

#[test]
#[cfg_attr(missing_python3, ignore = "needs python3 with requests (Debian: python3-requests); .ci/run installs it")]
fn python_requests_does_what_the_table_says() {
    check(ClientId::PythonRequests);
}

#[test]
#[cfg_attr(missing_go, ignore = "needs go (Debian: golang-go); .ci/run installs it")]
fn go_does_what_the_table_says() {
    check(ClientId::Go);
}

#[test]
#[cfg_attr(missing_node, ignore = "needs node (Debian: nodejs); .ci/run installs it")]
fn node_does_what_the_table_says() {
    check(ClientId::Node);
}

#[test]
#[cfg_attr(missing_java, ignore = "needs java (Debian: default-jdk-headless); .ci/run installs it")]
fn java_does_what_the_table_says() {
    check(ClientId::Java);
}

#[test]
#[cfg_attr(missing_gnutls_cli, ignore = "needs gnutls-cli (Debian: gnutls-bin); .ci/run installs it")]
fn gnutls_does_what_the_table_says() {
    check(ClientId::Gnutls);
}

#[test]
#[cfg_attr(missing_wget, ignore = "needs wget (Debian: wget); .ci/run installs it")]
fn wget_does_what_the_table_says() {
    check(ClientId::Wget);
}

#[test]
#[cfg_attr(
    any(missing_chromium, missing_certutil),
    ignore = "needs chromium and certutil (Debian: chromium, libnss3-tools); .ci/run installs them"
)]
fn chromium_does_what_the_table_says() {
    check(ClientId::Chromium);
}

/// Offline: the table is complete for the built-in catalogue, and holds nothing else.
#[test]
fn the_table_has_a_row_for_every_scenario_and_client() {
    let table = read_table();
    let catalogue = Catalogue::builtin().expect("catalogue");
    let mut missing = Vec::new();
    for t in catalogue.templates() {
        for c in ClientId::all() {
            if table.get(&t.name, *c).is_none() {
                missing.push(format!("{}: no {c} row", t.name));
            }
        }
    }
    for name in table.scenarios.keys() {
        if catalogue.get(name).is_err() {
            missing.push(format!("{name}: in the table but not in the catalogue"));
        }
    }
    assert!(missing.is_empty(), "{} is stale; run `{}`:\n{}", measured::PATH, measured::REGENERATE, missing.join("\n"));
    // The binary embeds the same table the tests read.
    assert_eq!(Measured::builtin().expect("embedded"), table, "rebuild: the embedded table differs from the file");
}

#[test]
fn no_client_refuses_a_control() {
    let table = read_table();
    let catalogue = Catalogue::builtin().expect("catalogue");
    let mut refused = Vec::new();
    for t in catalogue.templates().iter().filter(|t| t.is_control()) {
        for (c, o) in table.columns(&t.name) {
            if !o.accepted {
                refused.push(format!("{}: {c} refuses it with {}", t.name, o.code));
            }
        }
    }
    assert!(refused.is_empty(), "controls must pass in every client:\n{}", refused.join("\n"));
    // The lesson is a lesson because a client refuses it.
    let ed = table.columns("ed25519-leaf");
    assert_eq!(ed[&ClientId::Chromium].code, "net::ERR_SSL_PROTOCOL_ERROR");
    assert!(ed[&ClientId::Rustls].accepted && ed[&ClientId::Curl].accepted);
}

#[test]
fn every_client_that_presents_a_certificate_gets_unknown_ca_from_client_cert_untrusted() {
    let table = read_table();
    let want: BTreeMap<ClientId, &str> = [
        (ClientId::OpensslSClient, "tlsv1 alert unknown ca"),
        (ClientId::Curl, "56"),
        (ClientId::Rustls, "AlertReceived(UnknownCA)"),
        (ClientId::PythonSsl, "TLSV1_ALERT_UNKNOWN_CA"),
        (ClientId::PythonRequests, "TLSV1_ALERT_UNKNOWN_CA"),
        (ClientId::Go, "alert(unknown certificate authority)"),
        (ClientId::Node, "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"),
        (ClientId::Java, "alert(unknown_ca)"),
        (ClientId::Gnutls, "alert(CA is unknown)"),
    ]
    .into();
    let untrusted = table.columns("client-cert-untrusted");
    let required = table.columns("client-cert-required");
    for (c, code) in want {
        assert_eq!(untrusted[&c].code, code, "{c}: {}", untrusted[&c].text);
        // Control: without a certificate the same client is told that one is required.
        assert!(required[&c].text.to_lowercase().contains("required"), "{c}: {}", required[&c].text);
    }
    // wget names no alert (exit 4 both times; the server's side is checked below); Chromium is
    // given no certificate.
    assert_eq!(untrusted[&ClientId::Wget].code, "4");
    assert!(untrusted[&ClientId::Chromium].text.contains("no client certificate"));
}

/// The server's side of client-cert-untrusted: every client that can present a certificate
/// sends the rogue one and is answered unknown_ca (one log line per connection).
#[test]
fn the_server_answers_unknown_ca_to_every_client_that_presents_the_rogue_certificate() {
    let (_tmp, dir) = crate::common::new_lab(&[]);
    let daemon = crate::common::Daemon::spawn(&dir, &["serve", "--port-base", "0", "client-cert-untrusted"]);
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("manifest")).expect("manifest");
    let entry = manifest.scenarios.iter().find(|s| s.name == "client-cert-untrusted").expect("scenario");
    let port = daemon.ports["scenarios"]["client-cert-untrusted"].as_u64().expect("port") as u16;
    let target = Target::for_scenario(&dir, &manifest, entry, port);
    let answered = || daemon.log().matches("error=UnknownIssuer alert-sent=UnknownCA").count();
    let mut silent = Vec::new();
    for c in ClientId::all().iter().copied().filter(|c| c.presents_client_cert()) {
        let before = answered();
        match clients::run(c, &target, &dir.parent().expect("parent").join("work")) {
            Err(e @ pki_lab::Error::MissingClient { .. }) if std::env::var_os("CI").is_none() => {
                eprintln!("skipping {c}: {e}");
                continue;
            }
            Err(e) => panic!("{c}: {e}"),
            Ok(o) => assert!(!o.accepted, "{c} was let in: {}", o.text),
        }
        let t0 = std::time::Instant::now();
        while answered() == before && t0.elapsed() < std::time::Duration::from_secs(5) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        if answered() == before {
            silent.push(c);
        }
    }
    assert!(silent.is_empty(), "no unknown_ca for {silent:?}:\n{}", daemon.log());
}

#[test]
fn clients_that_take_no_crl_say_so_in_the_revoked_column() {
    let table = read_table();
    for c in ClientId::all() {
        let o = table.get("revoked", *c).expect("revoked row");
        if c.takes_crl() {
            assert!(!o.accepted, "{c} was given the CRLs and still accepted revoked: {}", o.text);
        } else {
            assert!(o.accepted && o.text.starts_with(&format!("{c} takes no CRL")), "{c}: {}", o.text);
        }
    }
}

#[test]
fn the_manifest_carries_every_client_column() {
    let s = shared();
    let text = std::fs::read_to_string(s.dir.join("manifest.json")).expect("manifest");
    let m: serde_json::Value = serde_json::from_str(&text).expect("json");
    for sc in m["scenarios"].as_array().expect("scenarios") {
        let name = sc["name"].as_str().expect("name");
        for c in ClientId::all() {
            let o = &sc["clients"][c.as_str()];
            assert!(o["accepted"].is_boolean() && o["code"].is_string() && o["text"].is_string(), "{name} {c}: {o}");
        }
        // The old text columns are the measured ones.
        let py = &sc["clients"]["python-ssl"];
        let want = if py["accepted"] == true { "ok".into() } else { py["text"].clone() };
        assert_eq!(sc["expect"]["python"], want, "{name}");
    }
}

const LESSONS_BEGIN: &str = "<!-- lessons-table:begin (generated from templates/clients.json by tests/it/clients.rs; UPDATE_README=1 cargo test --test it clients rewrites it) -->";
const LESSONS_END: &str = "<!-- lessons-table:end -->";

/// Short column headers, in `ClientId::all()` order.
fn header(c: ClientId) -> &'static str {
    match c {
        ClientId::OpensslSClient => "OpenSSL",
        ClientId::Curl => "curl",
        ClientId::Rustls => "rustls",
        ClientId::PythonSsl => "Python ssl",
        ClientId::PythonRequests => "requests",
        ClientId::Go => "Go",
        ClientId::Node => "Node",
        ClientId::Java => "Java",
        ClientId::Gnutls => "GnuTLS",
        ClientId::Wget => "wget",
        ClientId::Chromium => "Chromium",
    }
}

/// Every scenario that is not a control: does each client accept it? Bold where the client
/// parts from what a strict client does (accepts a broken scenario, refuses a lesson).
fn lessons_table(table: &Measured) -> String {
    let catalogue = Catalogue::builtin().expect("catalogue");
    let mut t = String::from("| scenario | breaks |");
    let mut line = String::from("|---|---|");
    for c in ClientId::all() {
        t.push_str(&format!(" {} |", header(*c)));
        line.push_str("---|");
    }
    t.push('\n');
    t.push_str(&line);
    t.push('\n');
    for p in catalogue.templates().iter().filter(|p| !p.is_control()) {
        let breaks = p.breaks.map_or("(lesson)".to_string(), |r| format!("`{r}`"));
        t.push_str(&format!("| {} | {breaks} |", p.name));
        for c in ClientId::all() {
            let o = table
                .get(&p.name, *c)
                .unwrap_or_else(|| panic!("{}: no {c} row; run `{}`", p.name, measured::REGENERATE));
            let cell = match (o.accepted, p.breaks.is_some()) {
                (true, true) => "**accepts**",
                (false, false) => "**refuses**",
                (true, false) => "accepts",
                (false, true) => "refuses",
            };
            t.push_str(&format!(" {cell} |"));
        }
        t.push('\n');
    }
    t
}

#[test]
fn the_readme_lessons_table_is_the_measured_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (Some(start), Some(end)) = (readme.find(LESSONS_BEGIN), readme.find(LESSONS_END)) else {
        panic!("README.md lacks the markers\n{LESSONS_BEGIN}\n{LESSONS_END}");
    };
    let want = format!("\n{}", lessons_table(&read_table()));
    if readme[start + LESSONS_BEGIN.len()..end] != want {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{want}{}", &readme[..start + LESSONS_BEGIN.len()], &readme[end..]);
            std::fs::write(&path, updated).expect("write README.md");
        } else {
            panic!(
                "the README lessons table differs from {}; rerun with UPDATE_README=1. It should read:\n{want}",
                measured::PATH
            );
        }
    }
}

/// What the README says of Node's `crl` option: one CRL per entry. The file with both CRLs as
/// one entry loads only the first (the root's), and then even the valid control fails.
#[test]
#[cfg_attr(missing_node, ignore = "needs node (Debian: nodejs); .ci/run installs it")]
fn node_takes_one_crl_per_entry() {
    let s = shared();
    let script = r#"
const fs = require('fs'), https = require('https');
const [port, ca, crls, split] = process.argv.slice(1);
const pem = fs.readFileSync(crls, 'utf8');
const crl = split === 'split' ? pem.match(/-----BEGIN X509 CRL-----[^-]+-----END X509 CRL-----/g) : pem;
https.get({ host: 'localhost', port, path: '/', ca: fs.readFileSync(ca), crl, agent: false }, (res) => { console.log(res.statusCode); res.resume(); })
  .on('error', (e) => console.log(e.code));
"#;
    let run = |split: &str| {
        let out = std::process::Command::new("node")
            .args(["-e", script, &s.ports["valid"].to_string()])
            .arg(s.dir.join("ca.pem"))
            .arg(s.dir.join("crls.pem"))
            .arg(split)
            .output()
            .expect("node");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(run("whole"), "UNABLE_TO_GET_CRL");
    assert_eq!(run("split"), "200");
}

/// What the README says of gnutls-cli: it checks each CRL against its CA file, so the
/// intermediate's CRL needs the intermediate in that file.
#[test]
#[cfg_attr(missing_gnutls_cli, ignore = "needs gnutls-cli (Debian: gnutls-bin); .ci/run installs it")]
fn gnutls_cli_checks_each_crl_against_its_ca_file() {
    let s = shared();
    let both = s.dir.parent().expect("parent").join("root-and-intermediate.pem");
    let pem = format!(
        "{}{}",
        std::fs::read_to_string(s.dir.join("ca.pem")).expect("ca"),
        std::fs::read_to_string(s.dir.join("ca/intermediate.pem")).expect("intermediate")
    );
    std::fs::write(&both, pem).expect("write");
    let run = |ca: &Path| {
        let mut c = std::process::Command::new("gnutls-cli");
        c.arg(format!("--x509cafile={}", ca.display()))
            .arg(format!("--x509crlfile={}", s.dir.join("crls.pem").display()))
            .args(["--port", &s.ports["revoked"].to_string(), "localhost"])
            .stdin(std::process::Stdio::null());
        let out = c.output().expect("gnutls-cli");
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    assert!(run(&s.dir.join("ca.pem")).contains("Error setting the x509 CRL file: Error in the CRL verification"));
    assert!(run(&both).contains("The certificate chain is revoked"));
}

/// The snippet after `<!-- checked: LANG NAME -->` in docs/using-in-tests.md.
fn doc_snippet(name: &str) -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/using-in-tests.md");
    let doc = std::fs::read_to_string(path).expect("docs/using-in-tests.md");
    let marker = doc
        .lines()
        .position(|l| l.starts_with("<!-- checked: ") && l.split_whitespace().nth(3) == Some(name))
        .unwrap_or_else(|| panic!("docs/using-in-tests.md has no `<!-- checked: LANG {name} -->`"));
    let lines: Vec<&str> = doc.lines().collect();
    let lang = lines[marker].split_whitespace().nth(2).expect("language").to_string();
    assert!(lines[marker + 1].starts_with("```"), "a fenced block follows the {name} marker");
    let body: Vec<&str> = lines[marker + 2..].iter().take_while(|l| !l.starts_with("```")).copied().collect();
    (lang, body.join("\n") + "\n")
}

/// Runs a documentation snippet with `PKI_LAB_HOME` set to the shared lab (with its serve.json)
/// and, for shell, the `port` function of "Start the servers".
fn run_doc_snippet(name: &str) {
    let s = shared();
    let ports = serde_json::json!({ "scenarios": s.ports });
    std::fs::write(s.dir.join("serve.json"), ports.to_string()).expect("serve.json");
    let (lang, body) = doc_snippet(name);
    let work = tempfile::tempdir().expect("tempdir");
    let file = |n: &str, text: &str| {
        let p = work.path().join(n);
        std::fs::write(&p, text).expect("write snippet");
        p
    };
    let mut cmd = match lang.as_str() {
        "sh" => {
            let port = r#"port() { python3 -c 'import json,os,sys; print(json.load(open(os.environ["PKI_LAB_HOME"] + "/serve.json"))["scenarios"][sys.argv[1]])' "$1"; }"#;
            let mut c = std::process::Command::new("bash");
            c.arg(file("snippet.sh", &format!("{port}\n{body}")));
            c
        }
        "python" => {
            let mut c = std::process::Command::new("python3");
            c.arg(file("snippet.py", &body));
            c
        }
        "node" => {
            let mut c = std::process::Command::new("node");
            c.arg(file("snippet.mjs", &body));
            c
        }
        "go" => {
            let mut c = std::process::Command::new("go");
            c.arg("run").arg(file("snippet.go", &body)).env("GO111MODULE", "off").env("GOPROXY", "off");
            c
        }
        "java" => {
            let mut c = std::process::Command::new("java");
            c.arg(file(name, &body));
            c
        }
        other => panic!("no runner for {other}"),
    };
    let out = cmd.current_dir(work.path()).env("PKI_LAB_HOME", &s.dir).output().expect("run the snippet");
    assert!(
        out.status.success(),
        "the {name} snippet of docs/using-in-tests.md failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg_attr(
    any(missing_curl, missing_openssl, missing_gnutls_cli, missing_wget, missing_python3),
    ignore = "needs curl, openssl, gnutls-cli, wget, python3 (Debian: curl, openssl, gnutls-bin, wget, python3); .ci/run installs them"
)]
fn docs_curl_s_client_gnutls_and_wget_snippet_runs() {
    run_doc_snippet("tools");
}

#[test]
#[cfg_attr(missing_python3, ignore = "needs python3 with requests (Debian: python3-requests); .ci/run installs it")]
fn docs_python_snippet_runs() {
    run_doc_snippet("python");
}

#[test]
#[cfg_attr(missing_node, ignore = "needs node (Debian: nodejs); .ci/run installs it")]
fn docs_node_snippet_runs() {
    run_doc_snippet("node");
}

#[test]
#[cfg_attr(missing_go, ignore = "needs go (Debian: golang-go); .ci/run installs it")]
fn docs_go_snippet_runs() {
    run_doc_snippet("go");
}

#[test]
#[cfg_attr(missing_java, ignore = "needs java (Debian: default-jdk-headless); .ci/run installs it")]
fn docs_java_snippet_runs() {
    run_doc_snippet("Check.java");
}

#[test]
#[cfg_attr(
    any(missing_chromium, missing_certutil, missing_python3),
    ignore = "needs chromium, certutil, python3 (Debian: chromium, libnss3-tools, python3); .ci/run installs them"
)]
fn docs_chromium_snippet_runs() {
    run_doc_snippet("chromium");
}
