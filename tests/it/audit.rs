//! `pki-lab audit`: a real client run against real servers, read rule by rule.

use std::path::Path;

use serde_json::Value;

use crate::common::{manifest, new_lab, run, stderr, stdout};

/// `audit --json ARGS… -- CMD…`: the exit code and the parsed report.
fn audit(dir: &Path, args: &[&str], cmd: &[&str]) -> (i32, Value) {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    all.push("--");
    all.extend_from_slice(cmd);
    let o = run(dir, &all);
    let report = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("report ({e}): {}", stderr(&o)));
    (o.status.code().expect("exit code"), report)
}

fn row<'a>(report: &'a Value, scenario: &str) -> &'a Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["scenario"] == scenario)
        .unwrap_or_else(|| panic!("{scenario} in the report"))
}

fn names(v: &Value) -> Vec<String> {
    v.as_array().expect("array").iter().map(|s| s.as_str().expect("string").to_string()).collect()
}

const CURL_AS_MEASURED: &[&str] = &[
    "curl",
    "-sS",
    "--cacert",
    "{ca}",
    "--crlfile",
    "{crl}",
    "--cert",
    "{client_cert}",
    "--key",
    "{client_key}",
    "{url}",
];

#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn audit_of_curl_as_the_manifest_runs_it_reproduces_the_curl_column_exactly() {
    let (_tmp, dir) = new_lab(&[]);
    let m = manifest(&dir);
    let (code, report) = audit(&dir, &["--policy", "strict"], CURL_AS_MEASURED);
    let mut differ = Vec::new();
    for s in m["scenarios"].as_array().expect("scenarios") {
        let name = s["name"].as_str().expect("name");
        let want = s["expect"]["curl"].as_i64().expect("curl column");
        let r = row(&report, name);
        let got = &r["observed"];
        let want_outcome = if want == 0 { "accepted" } else { "refused" };
        if got["outcome"] != want_outcome || got["code"] != format!("exit {want}") {
            differ.push(format!("{name}: manifest curl {want}, audit {got}"));
        }
    }
    assert!(differ.is_empty(), "audit differs from the curl column:\n{}", differ.join("\n"));
    // With the CRL curl refuses `revoked`; what gets through is exactly what the curl column
    // says curl accepts among the broken scenarios (the CN fallback and a CA as leaf among them).
    let accepted: Vec<String> = m["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter(|s| !s["rule"].is_null() && s["expect"]["curl"] == 0)
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect();
    let mut violations = names(&report["violations"]);
    violations.sort();
    let mut want = accepted.clone();
    want.sort();
    assert_eq!(violations, want);
    assert!(accepted.contains(&"cn-only".to_string()) && accepted.contains(&"leaf-is-ca".to_string()));
    assert_eq!(code, 1);
    assert_eq!(row(&report, "cn-only")["finding"], "accepts-defect");
    assert_eq!(row(&report, "revoked")["finding"], "enforces");
    assert_eq!(row(&report, "valid")["finding"], "ok");
}

#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn plain_curl_passes_the_baseline_and_fails_strict_on_what_it_accepts() {
    let (_tmp, dir) = new_lab(&[]);
    let cmd = ["curl", "-sS", "--cacert", "{ca}", "{url}"];
    let (code, report) = audit(&dir, &[], &cmd);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["policy"], "baseline");
    assert_eq!(names(&report["violations"]), Vec::<String>::new());
    let expired = row(&report, "expired");
    assert_eq!((&expired["finding"], &expired["observed"]["code"]), (&"enforces".into(), &"exit 60".into()));
    assert!(expired["observed"]["text"].as_str().expect("text").starts_with("curl: (60)"), "{expired}");
    // Without {crl} curl never sees the CRL: the revoked leaf is accepted (a lesson, so baseline
    // does not require it); the manifest names who else accepts it.
    let revoked = row(&report, "revoked");
    assert_eq!((&revoked["finding"], &revoked["required"]), (&"accepts-defect".into(), &false.into()));
    assert!(names(&revoked["lenient_elsewhere"]).contains(&"go".to_string()), "{revoked}");
    // What curl refuses, by the measured column (taken with the CRL), less what only the CRL
    // makes it refuse (`revoked`, the `crl-*` scenarios).
    let m = manifest(&dir);
    let broken: Vec<&serde_json::Value> =
        m["scenarios"].as_array().expect("scenarios").iter().filter(|s| !s["rule"].is_null()).collect();
    let needs_crl = |s: &&&serde_json::Value| s["files"]["crl"].is_string();
    let refused = broken.iter().filter(|s| s["expect"]["curl"] != 0 && !needs_crl(s)).count();
    assert!(broken.iter().filter(needs_crl).count() >= 6, "revoked and the crl-* scenarios");
    assert_eq!(report["score"]["enforced"], refused);
    assert_eq!(report["score"]["controls_accepted"], report["score"]["controls"]);

    let (code, strict) = audit(&dir, &["--policy", "strict"], &cmd);
    assert_eq!(code, 1);
    let mut want: Vec<String> = broken
        .iter()
        .filter(|s| s["expect"]["curl"] == 0 || s["files"]["crl"].is_string())
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect();
    want.sort();
    let mut got = names(&strict["violations"]);
    got.sort();
    assert_eq!(got, want);
    assert!(got.contains(&"cn-only".to_string()) && got.contains(&"revoked".to_string()));
}

#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn curl_without_verification_fails_the_baseline_and_the_table_says_where() {
    let (_tmp, dir) = new_lab(&[]);
    let o = run(&dir, &["audit", "--", "curl", "-sS", "--insecure", "{url}"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let line = |name: &str| {
        out.lines().find(|l| l.split_whitespace().nth(1) == Some(name)).unwrap_or_else(|| panic!("{name}:\n{out}"))
    };
    assert!(line("expired").contains("accepts defect !"), "{out}");
    assert_eq!(line("valid").split_whitespace().nth(4), Some("ok"), "{out}");
    // The signature over the handshake is still checked with --insecure.
    assert!(line("key-mismatch").contains("enforces"), "{out}");
    // The baseline is what every measured client refuses: all of it but the handshake's own
    // signature and the two client-certificate scenarios is lost without verification.
    let m = manifest(&dir);
    let unanimous = m["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter(|s| !s["rule"].is_null())
        .filter(|s| {
            s["clients"].as_object().is_some_and(|c| !c.is_empty() && c.values().all(|o| o["accepted"] == false))
        })
        .count();
    assert!(unanimous > 10, "{unanimous}");
    let want = format!("policy    baseline: {} of {unanimous} required refusals not made", unanimous - 3);
    assert!(out.contains(&want), "{want}\n{out}");

    // The control: the same servers, curl verifying.
    let o = run(&dir, &["audit", "--scenario", "expired", "--", "curl", "-sS", "--cacert", "{ca}", "{url}"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn a_client_that_refuses_the_valid_control_gets_no_verdict() {
    let (_tmp, dir) = new_lab(&[]);
    let (code, report) = audit(&dir, &["--scenario", "expired"], &["false", "{url}"]);
    assert_eq!(code, 3);
    // `valid` is always run, as the reference.
    let got: Vec<_> = report["results"].as_array().expect("results").iter().map(|r| r["scenario"].clone()).collect();
    assert_eq!(got, ["valid", "expired"]);
    assert_eq!(row(&report, "expired")["finding"], "other-failure");
    assert_eq!(row(&report, "valid")["finding"], "other-failure");

    // The pair: accepting everything is read as accepting the defect (exit 1).
    let (code, report) = audit(&dir, &["--scenario", "expired"], &["true", "{url}"]);
    assert_eq!(code, 1);
    assert_eq!(row(&report, "expired")["finding"], "accepts-defect");
    assert_eq!(row(&report, "valid")["finding"], "ok");
}

#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn compare_puts_two_reports_side_by_side_and_exits_1_when_they_differ() {
    let (tmp, dir) = new_lab(&[]);
    let save = |cmd: &[&str], file: &str| {
        let (_, report) = audit(&dir, &["--scenario", "expired", "--scenario", "wrong-host"], cmd);
        let path = tmp.path().join(file);
        std::fs::write(&path, report.to_string()).expect("write report");
        path.display().to_string()
    };
    let insecure = save(&["curl", "-sS", "--insecure", "{url}"], "insecure.json");
    let verifying = save(&["curl", "-sS", "--cacert", "{ca}", "{url}"], "verifying.json");
    let o = run(&dir, &["audit", "--compare", &insecure, &verifying]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("2 scenarios differ"), "{out}");
    let line = |name: &str| out.lines().find(|l| l.split_whitespace().nth(1) == Some(name)).expect("row").to_string();
    let expired = line("expired");
    assert!(
        expired.contains("accepts defect") && expired.contains("enforces") && expired.ends_with("differs"),
        "{out}"
    );
    assert!(!line("valid").ends_with("differs"), "{out}");

    let o = run(&dir, &["audit", "--compare", &verifying, &verifying]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 scenarios differ"));
}

#[test]
fn bad_input_is_refused_with_exit_2_before_anything_runs() {
    let (tmp, dir) = new_lab(&[]);
    let cases: &[(&[&str], &str)] = &[
        (&["audit", "--", "curl", "--cacert", "{cafile}", "{url}"], "unknown placeholder `{cafile}`"),
        (&["audit", "--", "curl", "https://localhost/"], "names neither {url} nor {port}"),
        (&["audit", "--scenario", "expird", "--", "true", "{url}"], "did you mean `expired`?"),
        (&["audit", "--", "no-such-client-xyz", "{url}"], "no-such-client-xyz: cannot start it"),
        (&["audit", "--timeout=-1", "--", "true", "{url}"], "--timeout: expected a positive number"),
        (&["audit"], "CMD"),
    ];
    for (args, says) in cases {
        let o = run(&dir, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    let not_a_report = tmp.path().join("x.json");
    std::fs::write(&not_a_report, "{}").expect("write");
    let f = not_a_report.display().to_string();
    let o = run(&dir, &["audit", "--compare", &f, &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not an audit report"), "{}", stderr(&o));
}

/// `audit --client NAME --json` over every scenario: each row's outcome and code are the
/// manifest's measured column for that client (`.clients.NAME`), all mismatches listed.
fn assert_client_reproduces_its_column(client: &str) {
    let (_tmp, dir) = new_lab(&[]);
    let m = manifest(&dir);
    let o = run(&dir, &["audit", "--client", client, "--policy", "strict", "--json"]);
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("report ({e}): {}", stderr(&o)));
    assert_eq!(report["client"], client);
    let mut differ = Vec::new();
    for s in m["scenarios"].as_array().expect("scenarios") {
        let name = s["name"].as_str().expect("name");
        let want = &s["clients"][client];
        assert!(want.is_object(), "the manifest has no {client} column for {name}");
        let got = &row(&report, name)["observed"];
        let want_outcome = if want["accepted"] == true { "accepted" } else { "refused" };
        if got["outcome"] != want_outcome || got["code"] != want["code"] {
            differ.push(format!(
                "{name}: manifest {} {}, audit {} {}",
                want_outcome, want["code"], got["outcome"], got["code"]
            ));
        }
    }
    assert!(differ.is_empty(), "audit --client {client} differs from its column:\n{}", differ.join("\n"));
    let none_required_accepted = report["violations"].as_array().expect("violations").is_empty();
    assert_eq!(o.status.code(), Some(if none_required_accepted { 0 } else { 1 }), "{}", stderr(&o));
}

#[test]
fn audit_client_rustls_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("rustls");
}

#[test]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn audit_client_openssl_s_client_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("openssl-s-client");
}

#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn audit_client_curl_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("curl");
}

#[test]
#[cfg_attr(missing_python3, ignore = "needs python3 (Debian: python3); .ci/run installs it")]
fn audit_client_python_ssl_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("python-ssl");
}

#[test]
#[cfg_attr(missing_python3, ignore = "needs python3 and requests (Debian: python3-requests); .ci/run installs it")]
fn audit_client_python_requests_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("python-requests");
}

#[test]
#[cfg_attr(missing_go, ignore = "needs go (Debian: golang-go); .ci/run installs it")]
fn audit_client_go_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("go");
}

#[test]
#[cfg_attr(missing_node, ignore = "needs node (Debian: nodejs); .ci/run installs it")]
fn audit_client_node_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("node");
}

#[test]
#[cfg_attr(missing_java, ignore = "needs java (Debian: default-jdk-headless); .ci/run installs it")]
fn audit_client_java_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("java");
}

#[test]
#[cfg_attr(missing_gnutls_cli, ignore = "needs gnutls-cli (Debian: gnutls-bin); .ci/run installs it")]
fn audit_client_gnutls_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("gnutls");
}

#[test]
#[cfg_attr(missing_wget, ignore = "needs wget (Debian: wget); .ci/run installs it")]
fn audit_client_wget_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("wget");
}

#[test]
#[cfg_attr(missing_chromium, ignore = "needs chromium (Debian: chromium); .ci/run installs it")]
#[cfg_attr(missing_certutil, ignore = "needs certutil (Debian: libnss3-tools); .ci/run installs it")]
fn audit_client_chromium_reproduces_its_manifest_column() {
    assert_client_reproduces_its_column("chromium");
}

#[test]
fn an_unknown_client_is_refused_with_a_suggestion() {
    let (_tmp, dir) = new_lab(&[]);
    let o = run(&dir, &["audit", "--client", "curll"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `curl`?"), "{}", stderr(&o));
}

/// The README's sample audit: its lines are lines `audit` prints, in order (`…` stands for lines
/// left out). `UPDATE_README=1` rewrites the block from this run.
#[test]
#[cfg_attr(missing_curl, ignore = "needs curl (Debian: curl); .ci/run installs it")]
fn the_readme_audit_sample_is_what_audit_prints() {
    const COMMAND: &str = "$ pki-lab audit -- curl -sS --cacert {ca} {url}\n";
    let (_tmp, dir) = new_lab(&[]);
    let o = run(&dir, &["audit", "--", "curl", "-sS", "--cacert", "{ca}", "{url}"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let printed: Vec<String> = stdout(&o).lines().map(|l| l.trim_end().to_string()).collect();

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (head, rest) = readme.split_once(COMMAND).expect("the README's audit sample");
    let (block, tail) = rest.split_once("```").expect("the end of the sample");
    if std::env::var_os("UPDATE_README").is_some() {
        // The header, one row per kind of finding, the score and the policy.
        let keep = |l: &str| {
            let scenario = l.split_whitespace().nth(1).unwrap_or("");
            l.starts_with("audit of")
                || l.starts_with("RULE")
                || l.starts_with("score")
                || l.starts_with("policy")
                || ["valid", "expired", "cn-only", "revoked"].contains(&scenario)
        };
        let mut want = String::new();
        let mut skipped = false;
        for l in &printed {
            if keep(l) {
                if skipped {
                    want.push_str("…\n");
                }
                want.push_str(l);
                want.push('\n');
                skipped = false;
            } else {
                skipped = true;
            }
        }
        std::fs::write(&path, format!("{head}{COMMAND}{want}```{tail}")).expect("write README.md");
        return;
    }
    let mut at = 0;
    for want in block.lines().filter(|l| *l != "…") {
        match printed[at..].iter().position(|l| l == want.trim_end()) {
            Some(i) => at += i + 1,
            None => panic!(
                "README audit line not printed (UPDATE_README=1 rewrites it): {want}\n--- printed:\n{}",
                printed.join("\n")
            ),
        }
    }
}
