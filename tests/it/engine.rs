//! The rule engine over a real lab: every scenario fails exactly the rule its template names,
//! controls fail nothing, and rules are decided independently (two broken rules show as two).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pki_lab::catalogue::rules::{Kind, RULES};
use pki_lab::catalogue::template::Catalogue;
use pki_lab::labdir::{self, InitOptions};
use pki_lab::pki::ca::{CaOptions, LabCa};
use pki_lab::pki::keys::KeyType;
use pki_lab::verdict::engine::{self, RuleResult, Status, Trust};
use rcgen::{CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair, SerialNumber};
use rustls::pki_types::{CertificateDer, ServerName};
use time::{Duration, OffsetDateTime};

/// The moment the lab is issued; tests evaluate relative to it.
fn issue_time() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).expect("zero nanoseconds is valid")
}

/// A fresh lab made with the library, as `pki-lab init` would.
fn new_lab(now: OffsetDateTime) -> (tempfile::TempDir, PathBuf) {
    new_lab_with(now, KeyType::P256)
}

fn new_lab_with(now: OffsetDateTime, key_type: KeyType) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lab");
    let catalogue = Catalogue::builtin().expect("built-in catalogue");
    let opts =
        InitOptions { ca: CaOptions { key_type, ..Default::default() }, force: false, renew: false, complete: true };
    labdir::init(&dir, &catalogue, &opts, now).expect("init");
    (tmp, dir)
}

fn served(dir: &Path, scenario: &str) -> Vec<CertificateDer<'static>> {
    engine::read_certs(&dir.join(format!("scenarios/{scenario}/chain.pem"))).expect("chain.pem")
}

/// The lab's trust plus both of its CRLs, for every scenario alike.
fn trust_with_crls(dir: &Path) -> Trust {
    let mut trust = engine::lab_trust(dir).expect("lab trust");
    trust.crls = engine::lab_crls(dir).expect("lab CRLs");
    assert_eq!(trust.crls.len(), 2);
    trust
}

fn result<'r>(results: &'r [RuleResult], rule: &str) -> &'r RuleResult {
    results.iter().find(|r| r.rule.as_str() == rule).unwrap_or_else(|| panic!("no result for {rule}"))
}

/// Every scenario of a lab of `key_type`, with both CRLs: a scenario whose rule is checked offline
/// fails exactly that rule; controls and live-only scenarios fail nothing.
fn assert_catalogue_verdicts(key_type: KeyType) {
    let now = issue_time();
    let (_tmp, dir) = new_lab_with(now, key_type);
    let manifest = labdir::load_manifest(&dir).expect("manifest");
    let mut wrong = BTreeMap::new();
    let mut broken_checked = 0;
    for s in &manifest.scenarios {
        // Both lab CRLs for every scenario, its own root and CRL where it has them.
        let trust = engine::scenario_trust(&dir, s).expect("scenario trust");
        assert!(trust.crls.len() >= 2, "{}", s.name);
        let chain = engine::read_certs(&dir.join(&s.files.chain)).expect("chain");
        let results = engine::evaluate(&chain, &manifest.host, &trust, now);
        let ids: Vec<_> = results.iter().map(|r| r.rule).collect();
        assert_eq!(ids, RULES.iter().map(|r| r.id).collect::<Vec<_>>(), "one result per rule, in order");
        // Rules only a live handshake shows (key mismatch, client certificates) break nothing here.
        let want: Vec<_> = match s.rule {
            Some(rule) if rule.kind() == Kind::Offline => {
                broken_checked += 1;
                vec![rule]
            }
            _ => vec![],
        };
        let got = engine::failed(&results);
        if got != want {
            wrong.insert(s.name.clone(), format!("want {want:?}, got {got:?}\n{}", engine::render_text(&results)));
        }
    }
    assert!(wrong.is_empty(), "{key_type} lab, scenarios with the wrong verdict:\n{}", {
        wrong.iter().map(|(k, v)| format!("== {k}: {v}")).collect::<Vec<_>>().join("\n")
    });
    assert!(broken_checked >= 16, "only {broken_checked} broken scenarios were checked");
}

#[test]
fn every_verification_scenario_fails_exactly_its_rule_and_the_rest_fail_nothing() {
    assert_catalogue_verdicts(KeyType::P256);
}

#[test]
fn verdicts_hold_for_p384_ed25519_and_rsa_labs() {
    for key_type in [KeyType::P384, KeyType::Ed25519, KeyType::Rsa2048] {
        assert_catalogue_verdicts(key_type);
    }
}

#[test]
fn crls_from_only_the_lab_cas_do_not_fail_paths_through_scenario_cas() {
    let now = issue_time();
    let (_tmp, dir) = new_lab(now);
    let trust = trust_with_crls(&dir);

    // The Sub CA and the PathLen 0 CA publish no CRL: noted, not failed (rustls's default policy
    // would say UnknownRevocationStatus here).
    let results = engine::evaluate(&served(&dir, "path-length"), "localhost", &trust, now);
    let rev = result(&results, "revocation.revoked");
    assert_eq!(rev.status, Status::Pass, "{}", rev.evidence);
    assert!(rev.evidence.contains(&format!("no CRL from CN=pki-lab Sub CA {}", tag(&dir))), "{}", rev.evidence);
    assert!(rev.evidence.contains("CRL of CN=pki-lab Root CA"), "{}", rev.evidence);

    // The revoked leaf is named with its date and reason.
    let results = engine::evaluate(&served(&dir, "revoked"), "localhost", &trust, now);
    let rev = result(&results, "revocation.revoked");
    assert_eq!(rev.status, Status::Fail);
    assert!(rev.evidence.starts_with("leaf CN=revoked.localhost (serial "), "{}", rev.evidence);
    assert!(rev.evidence.contains("30 minutes ago, reason KeyCompromise"), "{}", rev.evidence);

    // Without CRLs revocation is not checked, and the revoked scenario passes everything.
    let no_crls = engine::lab_trust(&dir).expect("trust");
    let results = engine::evaluate(&served(&dir, "revoked"), "localhost", &no_crls, now);
    assert!(engine::failed(&results).is_empty(), "{}", engine::render_text(&results));
    let rev = result(&results, "revocation.revoked");
    assert_eq!((rev.status, rev.evidence.as_str()), (Status::NotApplicable, "no CRL given (--crl)"));
}

#[test]
fn untrusted_root_self_signed_and_missing_intermediate_are_told_apart() {
    let now = issue_time();
    let (_tmp, dir) = new_lab(now);
    let trust = trust_with_crls(&dir);
    let trio = ["trust.unknown-root", "trust.self-signed", "chain.incomplete"];
    let statuses = |results: &[RuleResult]| trio.map(|id| result(results, id).status);

    let r = engine::evaluate(&served(&dir, "untrusted-root"), "localhost", &trust, now);
    assert_eq!(statuses(&r), [Status::Fail, Status::Pass, Status::Pass], "{}", engine::render_text(&r));
    let e = &result(&r, "trust.unknown-root").evidence;
    assert!(e.contains("Rogue Root CA") && e.contains("not trusted"), "{e}");

    let r = engine::evaluate(&served(&dir, "self-signed"), "localhost", &trust, now);
    assert_eq!(statuses(&r), [Status::NotApplicable, Status::Fail, Status::NotApplicable]);
    let e = &result(&r, "trust.self-signed").evidence;
    assert!(e.contains("leaf CN=self-signed.localhost is issued by itself"), "{e}");

    let r = engine::evaluate(&served(&dir, "incomplete-chain"), "localhost", &trust, now);
    assert_eq!(statuses(&r), [Status::Pass, Status::Pass, Status::Fail]);
    let e = &result(&r, "chain.incomplete").evidence;
    assert!(e.starts_with("the server did not send CN=pki-lab Intermediate CA "), "{e}");

    // Control: a complete chain passes all three.
    let r = engine::evaluate(&served(&dir, "valid"), "localhost", &trust, now);
    assert_eq!(statuses(&r), [Status::Pass; 3]);

    // Without known CAs the engine cannot explain the gap: the issuer is simply unknown.
    let bare = Trust { roots: trust.roots.clone(), known: vec![], crls: vec![] };
    let r = engine::evaluate(&served(&dir, "incomplete-chain"), "localhost", &bare, now);
    assert_eq!(engine::failed(&r), ["trust.unknown-root"]);
    let e = &result(&r, "trust.unknown-root").evidence;
    assert!(e.starts_with("no certificate for issuer `O=pki-lab, CN=pki-lab Intermediate CA "), "{e}");
    assert!(e.ends_with("` was sent or is trusted"), "{e}");

    // A self-signed leaf the client trusts directly is fine.
    let leaf = served(&dir, "self-signed");
    let direct = Trust { roots: leaf.clone(), known: vec![], crls: vec![] };
    let r = engine::evaluate(&leaf, "localhost", &direct, now);
    assert!(engine::failed(&r).is_empty(), "{}", engine::render_text(&r));
}

#[test]
fn an_expired_certificate_for_the_wrong_host_fails_both_rules_and_only_those() {
    let now = issue_time();
    let (_tmp, dir) = new_lab(now);
    let lab = LabCa::load(&dir.join("ca")).expect("lab CAs");
    let mut p = CertificateParams::new(vec!["elsewhere.test".to_string()]).expect("params");
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, "elsewhere.test");
    p.serial_number = Some(SerialNumber::from(0x4242u64));
    p.not_before = now - Duration::days(30);
    // Expired six hours ago; the lab CAs are valid from a day ago, so an earlier clock can see
    // this leaf valid under a valid intermediate.
    p.not_after = now - Duration::hours(6);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().expect("key");
    let leaf = p.signed_by(&key, &lab.intermediate.issuer).expect("sign");
    let chain = vec![leaf.der().clone(), lab.intermediate.der.clone()];
    let trust = trust_with_crls(&dir);

    let r = engine::evaluate(&chain, "localhost", &trust, now);
    assert_eq!(engine::failed(&r), ["validity.expired", "name.mismatch"], "{}", engine::render_text(&r));
    let expired = &result(&r, "validity.expired").evidence;
    assert!(expired.starts_with("leaf CN=elsewhere.test not after "), "{expired}");
    assert!(expired.ends_with(", 6 hours ago"), "{expired}");
    let mismatch = &result(&r, "name.mismatch").evidence;
    assert_eq!(mismatch, "DNS name `localhost` is not among the leaf's 1 name: DNS:elsewhere.test");

    // Each rule on its own: the right host leaves the expiry; an earlier clock leaves the name
    // (without the CRLs, which were not issued yet then: revocation.crl-stale).
    let r = engine::evaluate(&chain, "elsewhere.test", &trust, now);
    assert_eq!(engine::failed(&r), ["validity.expired"]);
    let no_crls = engine::lab_trust(&dir).expect("lab trust");
    let r = engine::evaluate(&chain, "localhost", &no_crls, now - Duration::hours(12));
    assert_eq!(engine::failed(&r), ["name.mismatch"], "{}", engine::render_text(&r));
}

#[test]
fn the_clock_is_an_argument() {
    let now = issue_time();
    let (_tmp, dir) = new_lab(now);
    let trust = trust_with_crls(&dir);

    // 200 days on, the 90-day leaf has expired (the ten-year CAs have not), and the CRLs are past
    // their nextUpdate: two rules, each on its own.
    let later = now + Duration::days(200);
    let r = engine::evaluate(&served(&dir, "valid"), "localhost", &trust, later);
    assert_eq!(engine::failed(&r), ["validity.expired", "revocation.crl-stale"], "{}", engine::render_text(&r));
    let e = &result(&r, "revocation.crl-stale").evidence;
    assert!(e.contains("nextUpdate") && e.contains("a fresher CRL is due"), "{e}");
    let e = &result(&r, "validity.expired").evidence;
    assert!(e.starts_with("leaf CN=valid.localhost not after ") && e.ends_with(", 110 days ago"), "{e}");
    assert!(result(&r, "revocation.revoked").evidence.contains("past its nextUpdate"));

    // not-yet-valid is fine two days on.
    let r = engine::evaluate(&served(&dir, "not-yet-valid"), "localhost", &trust, now + Duration::days(2));
    assert!(engine::failed(&r).is_empty(), "{}", engine::render_text(&r));
    // A month back the expired leaf was current, and so was its intermediate (lab CAs start a year
    // before issue, so the clock can be moved back into any scenario's window).
    // The CRLs did not exist yet then (revocation.crl-stale), so these clocks go without them.
    let no_crls = engine::lab_trust(&dir).expect("lab trust");
    let r = engine::evaluate(&served(&dir, "expired"), "localhost", &no_crls, now - Duration::days(30));
    assert!(engine::failed(&r).is_empty(), "{}", engine::render_text(&r));
    // Two years back nothing was valid yet; the intermediate and leaf are reported by the validity
    // rule, the root (a trust anchor) by its own rule.
    let r = engine::evaluate(&served(&dir, "expired"), "localhost", &no_crls, now - Duration::days(730));
    assert_eq!(engine::failed(&r), ["validity.not-yet-valid", "trust.anchor-expired"], "{}", engine::render_text(&r));
    let e = &result(&r, "validity.not-yet-valid").evidence;
    assert!(e.contains("intermediate CN=pki-lab Intermediate CA ") && e.contains("leaf CN=expired.localhost"), "{e}");
    assert!(!e.contains("root"), "the trust anchor's dates are its own rule: {e}");
    let e = &result(&r, "trust.anchor-expired").evidence;
    assert!(e.starts_with("root CN=pki-lab Root CA ") && e.contains(" not before "), "{e}");

    // And the evidence of the scenario itself.
    let r = engine::evaluate(&served(&dir, "not-yet-valid"), "localhost", &trust, now);
    let e = &result(&r, "validity.not-yet-valid").evidence;
    assert!(e.starts_with("leaf CN=not-yet-valid.localhost not before ") && e.ends_with(", in 1 day"), "{e}");
    let r = engine::evaluate(&served(&dir, "expired-intermediate"), "localhost", &trust, now);
    let e = &result(&r, "validity.expired").evidence;
    assert!(e.starts_with(&format!("intermediate CN=pki-lab Expired Intermediate CA {} not after ", tag(&dir))), "{e}");
}

#[test]
fn evidence_names_the_offending_certificate_name_or_oid() {
    let now = issue_time();
    let (_tmp, dir) = new_lab(now);
    let trust = trust_with_crls(&dir);
    let evidence = |scenario: &str, rule: &str| {
        let r = engine::evaluate(&served(&dir, scenario), "localhost", &trust, now);
        let res = result(&r, rule);
        assert_eq!(res.status, Status::Fail, "{scenario}: {}", engine::render_text(&r));
        res.evidence.clone()
    };
    let e = evidence("name-constraints", "chain.name-constraints");
    let t = tag(&dir);
    assert!(e.contains(&format!("DNS:outside.test is outside the permitted subtrees of intermediate CN=pki-lab Constrained Intermediate CA {t} (localhost, 127.0.0.0/8, ::1/128)")), "{e}");
    assert!(!e.contains("of root"), "outside.test is inside the root's permitted names: {e}");
    assert!(!e.contains("DNS:localhost") && !e.contains("IP:"), "only the offending name: {e}");
    let e = evidence("unknown-critical-extension", "extension.unknown-critical");
    assert_eq!(
        e,
        "leaf CN=unknown-critical-extension.localhost has critical extension 1.3.6.1.4.1.55738.1.1, which clients do not know"
    );
    let e = evidence("path-length", "chain.path-length");
    assert_eq!(
        e,
        format!(
            "intermediate CN=pki-lab PathLen 0 CA {t} has pathLenConstraint 0 but 1 CA below it (CN=pki-lab Sub CA {t})"
        )
    );
    let e = evidence("issuer-not-ca", "chain.issuer-not-ca");
    assert!(
        e.starts_with(
            &format!("intermediate CN=pki-lab Not A CA {t} has basicConstraints CA:FALSE yet signs leaf CN=issuer-not-ca.localhost")
        ),
        "{e}"
    );
    let e = evidence("wrong-purpose", "purpose.eku");
    assert_eq!(e, "leaf CN=wrong-purpose.localhost extendedKeyUsage allows clientAuth only, not serverAuth");
    let e = evidence("bad-signature", "signature.invalid");
    assert!(e.starts_with("leaf CN=bad-signature.localhost: the ecdsa-with-SHA256 signature does not verify with the key of intermediate CN=pki-lab Intermediate CA"), "{e}");
    let e = evidence("cn-only", "name.no-san");
    assert!(e.starts_with("no subjectAltName; host `localhost` appears only in CN=localhost"), "{e}");
    let e = evidence("leaf-is-ca", "chain.leaf-is-ca");
    assert!(e.starts_with("leaf CN=leaf-is-ca.localhost has basicConstraints CA:TRUE"), "{e}");

    // Live-only rules say so rather than pass silently.
    let r = engine::evaluate(&served(&dir, "key-mismatch"), "localhost", &trust, now);
    for id in ["handshake.key-mismatch", "client.cert-required", "client.cert-untrusted"] {
        let res = result(&r, id);
        assert_eq!(res.status, Status::NotApplicable);
        assert_eq!(res.evidence, "observed only in a live handshake (pki-lab probe)");
    }
    let text = engine::render_text(&r);
    let width = RULES.iter().map(|r| r.id.as_str().len()).max().expect("rules");
    let line = format!("\n{:<width$}  N/A   observed only in a live handshake", "handshake.key-mismatch");
    assert!(text.contains(&line), "{text}");
    let json = serde_json::to_value(&r[0]).expect("json");
    assert_eq!(json["rule"], "validity.expired");
    assert_eq!(json["status"], "pass");
    assert_eq!(json["step"], "verification");
}

#[test]
fn host_matching_agrees_with_rustls_for_every_leaf_it_can_parse() {
    let now = issue_time();
    let (_tmp, dir) = new_lab(now);
    let trust = engine::lab_trust(&dir).expect("trust");
    let manifest = labdir::load_manifest(&dir).expect("manifest");
    let hosts = ["localhost", "valid.localhost", "x.localhost", "wrong-host.test", "127.0.0.1", "::1", "10.0.0.1"];
    let mut compared = 0;
    for s in &manifest.scenarios {
        let chain = served(&dir, &s.name);
        // webpki refuses to parse a leaf with an unknown critical extension at all.
        let Ok(parsed) = rustls::server::ParsedCertificate::try_from(&chain[0]) else { continue };
        for host in hosts {
            let name = ServerName::try_from(host).expect("server name");
            let theirs = rustls::client::verify_server_name(&parsed, &name).is_ok();
            let r = engine::evaluate(&chain, host, &trust, now);
            let ours = result(&r, "name.mismatch").status == Status::Pass;
            assert_eq!(ours, theirs, "{} for {host}: {}", s.name, result(&r, "name.mismatch").evidence);
            compared += 1;
        }
    }
    assert!(compared > 100, "compared {compared}");
}

#[test]
fn verify_files_reads_a_lab_and_can_swap_the_trusted_root() {
    let now = issue_time();
    let (_tmp, dir) = new_lab(now);
    let cert = dir.join("scenarios/untrusted-root/cert.pem");
    let chain = dir.join("scenarios/untrusted-root/chain.pem");
    let crls = [dir.join("root.crl.pem"), dir.join("intermediate.crl.pem")];

    let (presented, trust) = engine::verify_files(&cert, Some(&chain), None, &crls, Some(&dir)).expect("files");
    assert_eq!(presented.len(), 2, "the leaf is not repeated");
    assert_eq!(trust.crls.len(), 2);
    let r = engine::evaluate(&presented, "localhost", &trust, now);
    assert_eq!(engine::failed(&r), ["trust.unknown-root"]);

    // Trusting the rogue root instead: that chain passes, and the lab's valid chain no longer does.
    let rogue = dir.join("ca/rogue-root.pem");
    let (presented, trust) = engine::verify_files(&cert, Some(&chain), Some(&rogue), &[], Some(&dir)).expect("files");
    let r = engine::evaluate(&presented, "localhost", &trust, now);
    assert!(engine::failed(&r).is_empty(), "{}", engine::render_text(&r));
    let valid = engine::read_certs(&dir.join("scenarios/valid/chain.pem")).expect("valid");
    let r = engine::evaluate(&valid, "localhost", &trust, now);
    assert_eq!(engine::failed(&r), ["trust.unknown-root"]);
    assert!(result(&r, "trust.unknown-root").evidence.contains("(not sent; pki-lab knows it)"));

    // Bad input is an error, not a verdict.
    assert!(engine::verify_files(&cert, None, None, &[], None).is_err(), "no trusted root");
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").expect("write");
    assert!(engine::verify_files(&junk, None, None, &[], Some(&dir)).is_err(), "unparsable certificate");
    assert!(engine::verify_files(&cert, None, None, &[junk], Some(&dir)).is_err(), "not a CRL");
    assert!(matches!(engine::lab_trust(&dir.join("nope")), Err(pki_lab::Error::NoLab { .. })));

    // An empty chain is a verdict of "cannot evaluate" on every rule, not a panic.
    let r = engine::evaluate(&[], "localhost", &trust, now);
    assert!(r.iter().all(|x| x.status == Status::NotApplicable && x.evidence.contains("no certificate")));
}

/// The lab's tag, which every CA name of the lab ends with.
fn tag(dir: &std::path::Path) -> String {
    let t = pki_lab::pki::ca::LabCa::load(&dir.join("ca")).expect("lab CAs").tag();
    assert_eq!(t.len(), 6, "a 6-hex-digit tag: {t}");
    t
}

// ---------------------------------------------------------------------------------------------
// Path building and name constraints over chains made here with rcgen.

mod built {
    use pki_lab::catalogue::rules::RuleId;
    use pki_lab::verdict::engine::{self, Policy, Trust};
    use pki_lab::verdict::report;
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
        Issuer, KeyPair, KeyUsagePurpose, NameConstraints,
    };
    use rustls::pki_types::CertificateDer;
    use time::{Duration, OffsetDateTime};

    fn named(cn: &str, now: OffsetDateTime, sans: Vec<String>) -> CertificateParams {
        let mut p = CertificateParams::new(sans).expect("params");
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.not_before = now - Duration::days(1);
        p.not_after = now + Duration::days(90);
        p.use_authority_key_identifier_extension = true;
        p
    }

    fn ca(cn: &str, now: OffsetDateTime) -> CertificateParams {
        let mut p = named(cn, now, Vec::new());
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p
    }

    fn leaf(sans: Vec<String>, now: OffsetDateTime) -> CertificateParams {
        let mut p = named(&sans[0], now, sans.clone());
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p
    }

    fn root(cn: &str, now: OffsetDateTime) -> (CertificateDer<'static>, Issuer<'static, KeyPair>) {
        let key = KeyPair::generate().expect("key");
        let params = ca(cn, now);
        let der = params.self_signed(&key).expect("self-sign").der().clone();
        (der, Issuer::new(params, key))
    }

    #[test]
    fn path_building_drops_an_expired_cross_sign_and_chooses_the_valid_one() {
        let now = OffsetDateTime::now_utc();
        let (root_a, issuer_a) = root("Old Root", now);
        let (root_b, issuer_b) = root("New Root", now);
        // One intermediate (one name, one key), cross-signed by both roots; the old signature
        // has expired, as when a cross-signed root ran out in 2021.
        let key = KeyPair::generate().expect("key");
        let mut old = ca("Cross-signed CA", now);
        old.not_after = now - Duration::days(1);
        let via_a = old.signed_by(&key, &issuer_a).expect("sign").der().clone();
        let via_b = ca("Cross-signed CA", now).signed_by(&key, &issuer_b).expect("sign").der().clone();
        let inter = Issuer::new(ca("Cross-signed CA", now), key);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = leaf(vec!["cross.test".into()], now).signed_by(&leaf_key, &inter).expect("sign").der().clone();
        let trust = Trust { roots: vec![root_a, root_b], ..Default::default() };

        let e =
            engine::evaluate_with(&[leaf.clone(), via_a.clone(), via_b], "cross.test", &trust, now, &Policy::default());
        assert_eq!(engine::failed(&e.results), Vec::<RuleId>::new(), "{}", engine::render_text(&e.results));
        assert_eq!(e.paths.len(), 2, "{:?}", e.paths);
        assert_eq!(e.paths[0].failed, [RuleId::ValidityExpired]);
        assert!(!e.paths[0].chosen && e.paths[0].end == "trusted");
        assert!(e.paths[0].certs[2].starts_with("root CN=Old Root"), "{:?}", e.paths[0].certs);
        assert!(e.paths[1].failed.is_empty() && e.paths[1].chosen);
        assert!(e.paths[1].certs[2].starts_with("root CN=New Root"), "{:?}", e.paths[1].certs);

        // The control: with only the expired cross-sign sent, there is no other path.
        let r =
            report::verify_ders("leaf", &[leaf, via_a], &trust, "cross.test", &Policy::default(), now).expect("verify");
        assert_eq!(r.failed, [RuleId::ValidityExpired], "control: only the expired cross-sign was sent");
        assert_eq!(r.paths.len(), 1);
    }

    #[test]
    fn the_text_report_lists_each_path_tried_and_why_it_was_dropped() {
        let now = OffsetDateTime::now_utc();
        let (root_a, issuer_a) = root("Old Root", now);
        let (root_b, issuer_b) = root("New Root", now);
        let key = KeyPair::generate().expect("key");
        let mut old = ca("Cross-signed CA", now);
        old.not_after = now - Duration::days(1);
        let via_a = old.signed_by(&key, &issuer_a).expect("sign").der().clone();
        let via_b = ca("Cross-signed CA", now).signed_by(&key, &issuer_b).expect("sign").der().clone();
        let inter = Issuer::new(ca("Cross-signed CA", now), key);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = leaf(vec!["cross.test".into()], now).signed_by(&leaf_key, &inter).expect("sign").der().clone();
        let trust = Trust { roots: vec![root_a, root_b], ..Default::default() };
        let r = report::verify_ders("leaf.pem", &[leaf, via_a, via_b], &trust, "cross.test", &Policy::default(), now)
            .expect("verify");
        let text = r.text();
        assert!(
            text.contains(
                "paths tried: 2 (A <- B: A is issued by B; [where each certificate came from]; trust store first)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("  #1 dropped: leaf CN=cross.test [sent] <- intermediate CN=Cross-signed CA [sent] <- root CN=Old Root [trust store] (trusted); fails validity.expired\n"),
            "{text}"
        );
        assert!(
            text.contains("  #2 chosen: leaf CN=cross.test [sent] <- intermediate CN=Cross-signed CA [sent] <- root CN=New Root [trust store] (trusted); validates\n"),
            "{text}"
        );
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["paths"][0]["failed"][0], "validity.expired");
        assert_eq!(json["paths"][0]["from"], serde_json::json!(["sent", "sent", "trust-store"]));
        assert_eq!(json["paths"][1]["chosen"], true);
    }

    /// A path tried as (certificates, where each came from as `--json` says it, end, failed rules,
    /// chosen).
    type Tried = (Vec<String>, Vec<String>, &'static str, Vec<RuleId>, bool);

    fn tried(e: &engine::Evaluation) -> Vec<Tried> {
        let from = |s: &engine::Source| serde_json::to_value(s).expect("json").as_str().expect("a string").to_string();
        e.paths
            .iter()
            .map(|p| (p.certs.clone(), p.from.iter().map(from).collect(), p.end, p.failed.clone(), p.chosen))
            .collect()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_expired_cross_signed_copy_of_the_trusted_root_is_a_ca_of_its_own_not_the_trust_anchor() {
        // As in 2021: the server sends the root's name and key cross-signed by another root, and
        // that cross-certificate has expired. It is not the anchor (only the trust store's copy
        // is), so its dates are not the anchor's: it is a second candidate issuer by name.
        let now = OffsetDateTime::now_utc();
        let (lab_root, root_issuer) = root("Lab Root", now);
        let (other, other_issuer) = root("Other Root", now);
        let mut cross = ca("Lab Root", now);
        cross.not_after = now - Duration::days(1);
        let cross = cross.signed_by(root_issuer.key(), &other_issuer).expect("cross-sign").der().clone();
        let key = KeyPair::generate().expect("key");
        let inter_params = ca("Lab Intermediate", now);
        let inter = inter_params.signed_by(&key, &root_issuer).expect("sign").der().clone();
        let inter_issuer = Issuer::new(inter_params, key);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf =
            leaf(vec!["cross.test".into()], now).signed_by(&leaf_key, &inter_issuer).expect("sign").der().clone();
        let trust = Trust { roots: vec![lab_root], known: vec![other.clone()], ..Default::default() };
        let sent = [leaf.clone(), inter.clone(), cross.clone()];

        let e = engine::evaluate_with(&sent, "cross.test", &trust, now, &Policy::default());
        assert_eq!(engine::failed(&e.results), Vec::<RuleId>::new(), "{}", engine::render_text(&e.results));
        let (l, i) = ("leaf CN=cross.test", "intermediate CN=Lab Intermediate");
        assert_eq!(
            tried(&e),
            [
                (
                    strings(&[l, i, "root CN=Lab Root"]),
                    strings(&["sent", "sent", "trust-store"]),
                    "trusted",
                    vec![],
                    true
                ),
                (
                    strings(&[l, i, "intermediate CN=Lab Root", "root CN=Other Root"]),
                    strings(&["sent", "sent", "sent", "known"]),
                    "self-signed",
                    vec![RuleId::ValidityExpired, RuleId::TrustUnknownRoot],
                    false
                ),
            ]
        );
        // No path judges the cross-certificate's dates as an anchor's.
        assert!(e.paths.iter().all(|p| !p.failed.contains(&RuleId::TrustAnchorExpired)), "{:?}", e.paths);

        // The control: a client that trusts only the other root (an old client in 2021) has the
        // cross-signed path alone, and there the cross-certificate has expired.
        let old = Trust { roots: vec![other], ..Default::default() };
        let e = engine::evaluate_with(&sent, "cross.test", &old, now, &Policy::default());
        assert_eq!(engine::failed(&e.results), [RuleId::ValidityExpired], "{}", engine::render_text(&e.results));
        assert_eq!(
            tried(&e),
            [(
                strings(&[l, i, "intermediate CN=Lab Root", "root CN=Other Root"]),
                strings(&["sent", "sent", "sent", "trust-store"]),
                "trusted",
                vec![RuleId::ValidityExpired],
                true
            )]
        );
        // And without the cross-certificate there is one path, through the trust store.
        let e = engine::evaluate_with(&[leaf, inter], "cross.test", &trust, now, &Policy::default());
        assert_eq!(tried(&e).len(), 1);
        assert_eq!(tried(&e)[0].1, ["sent", "sent", "trust-store"]);
    }

    #[test]
    fn a_root_the_server_also_sends_is_from_the_trust_store_and_ends_the_path() {
        let now = OffsetDateTime::now_utc();
        let (lab_root, root_issuer) = root("Lab Root", now);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = leaf(vec!["sent.test".into()], now).signed_by(&leaf_key, &root_issuer).expect("sign").der().clone();
        let trust = Trust { roots: vec![lab_root.clone()], ..Default::default() };
        let e = engine::evaluate_with(&[leaf.clone(), lab_root], "sent.test", &trust, now, &Policy::default());
        assert_eq!(engine::failed(&e.results), Vec::<RuleId>::new(), "{}", engine::render_text(&e.results));
        assert_eq!(tried(&e)[0].1, ["sent", "sent-and-trust-store"]);
        assert_eq!(tried(&e)[0].2, "trusted");
        // The control: not sent, the root comes from the trust store alone.
        let e = engine::evaluate_with(&[leaf], "sent.test", &trust, now, &Policy::default());
        assert_eq!(tried(&e)[0].1, ["sent", "trust-store"]);
    }

    #[test]
    fn a_self_issued_ca_does_not_count_towards_path_length_but_another_ca_does() {
        // RFC 5280 §6.1.4 (l): a CA with pathLenConstraint 0 rolls its key over by issuing a
        // certificate to itself (same name, new key); that certificate is not counted.
        let now = OffsetDateTime::now_utc();
        let (lab_root, root_issuer) = root("Lab Root", now);
        let old_key = KeyPair::generate().expect("key");
        let mut zero = ca("Pathlen Zero CA", now);
        zero.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        let zero_der = zero.signed_by(&old_key, &root_issuer).expect("sign").der().clone();
        let zero_issuer = Issuer::new(zero, old_key);
        let trust = Trust { roots: vec![lab_root], ..Default::default() };
        let below = |cn: &str| {
            let key = KeyPair::generate().expect("key");
            let p = ca(cn, now);
            let der = p.signed_by(&key, &zero_issuer).expect("sign").der().clone();
            let leaf_key = KeyPair::generate().expect("key");
            let issuer = Issuer::new(p, key);
            let leaf = leaf(vec!["len.test".into()], now).signed_by(&leaf_key, &issuer).expect("sign").der().clone();
            vec![leaf, der, zero_der.clone()]
        };
        let rollover = engine::evaluate(&below("Pathlen Zero CA"), "len.test", &trust, now);
        assert_eq!(engine::failed(&rollover), Vec::<RuleId>::new(), "{}", engine::render_text(&rollover));
        let e = &rollover.iter().find(|r| r.rule == RuleId::ChainPathLength).expect("rule").evidence;
        assert_eq!(e, "intermediate CN=Pathlen Zero CA pathlen:0 with 0 below");
        // The control: a CA of another name below it is counted, and breaks the constraint.
        let sub = engine::evaluate(&below("Sub CA"), "len.test", &trust, now);
        assert_eq!(engine::failed(&sub), [RuleId::ChainPathLength], "{}", engine::render_text(&sub));
    }

    #[test]
    fn a_root_name_constraint_governs_an_intermediate_s_own_names_too() {
        // RFC 5280 §6.1.3 (b): every certificate below a constrained CA, not only the leaf.
        let now = OffsetDateTime::now_utc();
        let key = KeyPair::generate().expect("key");
        let mut params = ca("Constrained Root", now);
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName("test".into())],
            excluded_subtrees: Vec::new(),
        });
        let root = params.self_signed(&key).expect("self-sign").der().clone();
        let root_issuer = Issuer::new(params, key);
        let trust = Trust { roots: vec![root], ..Default::default() };
        let verify_as = |subject: &str, ca_name: &str| {
            let key = KeyPair::generate().expect("key");
            let mut p = named(subject, now, vec![ca_name.into()]);
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            let inter = p.signed_by(&key, &root_issuer).expect("sign").der().clone();
            let issuer = Issuer::new(p, key);
            let leaf_key = KeyPair::generate().expect("key");
            let leaf = leaf(vec!["a.test".into()], now).signed_by(&leaf_key, &issuer).expect("sign").der().clone();
            engine::evaluate(&[leaf, inter], "a.test", &trust, now)
        };
        let verify = |ca_name: &str| verify_as("Named CA", ca_name);
        let outside = verify("ca.example.com");
        assert_eq!(engine::failed(&outside), [RuleId::ChainNameConstraints], "{}", engine::render_text(&outside));
        let e = &outside.iter().find(|r| r.rule == RuleId::ChainNameConstraints).expect("rule").evidence;
        assert_eq!(
            e,
            "in intermediate CN=Named CA: DNS:ca.example.com is outside the permitted subtrees of root CN=Constrained Root (test)"
        );
        // The control: the same intermediate named inside the root's subtree.
        let inside = verify("ca.test");
        assert_eq!(engine::failed(&inside), Vec::<RuleId>::new(), "{}", engine::render_text(&inside));
        // A self-issued intermediate (the root's own name under a new key) is exempt (§6.1.3 (b)).
        let rollover = verify_as("Constrained Root", "ca.example.com");
        assert_eq!(engine::failed(&rollover), Vec::<RuleId>::new(), "{}", engine::render_text(&rollover));
        let e = &rollover.iter().find(|r| r.rule == RuleId::ChainNameConstraints).expect("rule").evidence;
        assert!(e.starts_with("2 names below root CN=Constrained Root lie within"), "{e}");
    }

    /// A root constraining `n` DNS subtrees and a leaf it signs with `n` names, all inside them.
    fn constrained_chain(n: usize, now: OffsetDateTime) -> (Vec<CertificateDer<'static>>, Trust) {
        let key = KeyPair::generate().expect("key");
        let mut params = ca("Constrained Root", now);
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: (0..n).map(|i| GeneralSubtree::DnsName(format!("t{i}.test"))).collect(),
            excluded_subtrees: Vec::new(),
        });
        let root = params.self_signed(&key).expect("self-sign").der().clone();
        let issuer = Issuer::new(params, key);
        let sans: Vec<String> = (0..n).map(|i| format!("t{i}.test")).collect();
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = leaf(sans, now).signed_by(&leaf_key, &issuer).expect("sign").der().clone();
        (vec![leaf], Trust { roots: vec![root], ..Default::default() })
    }

    #[test]
    fn a_thousand_names_against_a_thousand_constraints_fail_the_budget_rule_alone() {
        let now = OffsetDateTime::now_utc();
        let (chain, trust) = constrained_chain(1024, now);
        let r = engine::evaluate(&chain, "t0.test", &trust, now);
        assert_eq!(engine::failed(&r), [RuleId::ChainNameConstraintsBudget], "{}", engine::render_text(&r));
        let budget = r.iter().find(|x| x.rule == RuleId::ChainNameConstraintsBudget).expect("budget rule");
        assert!(
            budget.evidence.starts_with("1049600 comparisons (1025 names × 1024 subtrees of root CN=Constrained Root)"),
            "{}",
            budget.evidence
        );
        let nc = r.iter().find(|x| x.rule == RuleId::ChainNameConstraints).expect("nc rule");
        assert!(nc.evidence.starts_with("not checked: 1049600 comparisons exceed the budget"), "{}", nc.evidence);

        // The control: the same shape, small, is checked and passes.
        let (chain, trust) = constrained_chain(16, now);
        let r = engine::evaluate(&chain, "t0.test", &trust, now);
        assert_eq!(engine::failed(&r), Vec::<RuleId>::new(), "{}", engine::render_text(&r));
        let nc = r.iter().find(|x| x.rule == RuleId::ChainNameConstraints).expect("nc rule");
        assert!(nc.evidence.starts_with("17 names below root CN=Constrained Root lie within"), "{}", nc.evidence);
    }

    /// A leaf with `sans` and `cn`, signed by a fresh root, and the trust in that root.
    fn leaf_under_root(
        sans: Vec<rcgen::SanType>,
        cn: &str,
        now: OffsetDateTime,
    ) -> (Vec<CertificateDer<'static>>, Trust) {
        let (root, issuer) = root("Names Root", now);
        let mut p = leaf(vec!["placeholder.test".into()], now);
        p.subject_alt_names = sans;
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, cn);
        let key = KeyPair::generate().expect("key");
        let leaf = p.signed_by(&key, &issuer).expect("sign").der().clone();
        (vec![leaf], Trust { roots: vec![root], ..Default::default() })
    }

    #[test]
    fn each_malformed_name_fails_its_own_rule_beside_a_control() {
        use rcgen::SanType;
        let now = OffsetDateTime::now_utc();
        let dns = |d: &str| SanType::DnsName(d.try_into().expect("ia5"));
        let ip = |a: &str| SanType::IpAddress(a.parse().expect("ip"));
        let cases: Vec<(Vec<SanType>, &str, &str, Vec<RuleId>)> = vec![
            (vec![dns("*.example.com")], "*.example.com", "www.example.com", vec![]),
            (
                vec![dns("w*.example.com")],
                "w*.example.com",
                "www.example.com",
                vec![RuleId::NameMismatch, RuleId::NameWildcardPosition],
            ),
            (vec![dns("*.co.uk")], "*.co.uk", "example.co.uk", vec![RuleId::NameWildcardPublicSuffix]),
            (vec![dns("_acme.example.com")], "_acme.example.com", "_acme.example.com", vec![RuleId::NameSanSyntax]),
            (vec![dns("127.0.0.1")], "127.0.0.1", "127.0.0.1", vec![RuleId::NameMismatch, RuleId::NameIpInDns]),
            (vec![ip("127.0.0.1")], "127.0.0.1", "127.0.0.1", vec![]),
            (vec![ip("127.0.0.1")], "0x7f000001", "127.0.0.1", vec![RuleId::NameCnNotInSan]),
            (vec![ip("2001:db8::1")], "2001:DB8::1", "2001:db8::1", vec![RuleId::NameCnNotInSan]),
            (vec![dns("example.com")], "Example.com", "example.com", vec![RuleId::NameCnNotInSan]),
            (vec![dns("example.com")], "example.com.", "example.com", vec![RuleId::NameCnNotInSan]),
            // A CN that names nothing of the SAN is reported, not failed (clients ignore it).
            (vec![dns("example.com")], "example.org", "example.com", vec![]),
        ];
        for (sans, cn, host, want) in cases {
            let (chain, trust) = leaf_under_root(sans, cn, now);
            let r = engine::evaluate(&chain, host, &trust, now);
            assert_eq!(engine::failed(&r), want, "CN={cn} for {host}:\n{}", engine::render_text(&r));
        }
        let (chain, trust) = leaf_under_root(vec![dns("example.com")], "example.org", now);
        let r = engine::evaluate(&chain, "example.com", &trust, now);
        let e = &r.iter().find(|x| x.rule == RuleId::NameCnNotInSan).expect("rule").evidence;
        assert!(
            e.starts_with("CN=example.org names none of the leaf's subjectAltName values (DNS:example.com)"),
            "{e}"
        );
    }

    #[test]
    fn max_depth_counts_intermediates_and_duplicates_are_their_own_rule() {
        let now = OffsetDateTime::now_utc();
        let (root_der, root_issuer) = root("Depth Root", now);
        let key = KeyPair::generate().expect("key");
        let inter = ca("Depth CA", now).signed_by(&key, &root_issuer).expect("sign").der().clone();
        let issuer = Issuer::new(ca("Depth CA", now), key);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = leaf(vec!["deep.test".into()], now).signed_by(&leaf_key, &issuer).expect("sign").der().clone();
        let trust = Trust { roots: vec![root_der], ..Default::default() };
        let chain = vec![leaf.clone(), inter.clone()];
        let at_most = |n| Policy { max_depth: Some(n), ..Policy::default() };
        let e = engine::evaluate_with(&chain, "deep.test", &trust, now, &at_most(0));
        assert_eq!(engine::failed(&e.results), [RuleId::ChainMaxDepth], "{}", engine::render_text(&e.results));
        let e = engine::evaluate_with(&chain, "deep.test", &trust, now, &at_most(1));
        assert_eq!(engine::failed(&e.results), Vec::<RuleId>::new(), "{}", engine::render_text(&e.results));
        let r = engine::evaluate(&[leaf, inter.clone(), inter], "deep.test", &trust, now);
        assert_eq!(engine::failed(&r), [RuleId::ChainDuplicateCertificate], "{}", engine::render_text(&r));
        let e = &r.iter().find(|x| x.rule == RuleId::ChainDuplicateCertificate).expect("rule").evidence;
        assert_eq!(e, "the server sent the same certificate twice: CN=Depth CA as #2 and again as #3");
    }

    /// A leaf under `n` intermediates, each issued by the one above, under a trusted root.
    fn deep_chain(n: usize, now: OffsetDateTime) -> (Vec<CertificateDer<'static>>, Trust) {
        let (root_der, mut issuer) = root("Deep Root", now);
        let mut sent = Vec::new();
        for i in 1..=n {
            let key = KeyPair::generate().expect("key");
            let p = ca(&format!("Deep CA {i}"), now);
            sent.insert(0, p.signed_by(&key, &issuer).expect("sign").der().clone());
            issuer = Issuer::new(p, key);
        }
        let leaf_key = KeyPair::generate().expect("key");
        sent.insert(0, leaf(vec!["deep.test".into()], now).signed_by(&leaf_key, &issuer).expect("sign").der().clone());
        (sent, Trust { roots: vec![root_der], ..Default::default() })
    }

    #[test]
    fn a_path_deeper_than_the_maximum_is_found_trusted_and_fails_max_depth_alone() {
        let now = OffsetDateTime::now_utc();
        let at_most = |n| Policy { max_depth: Some(n), ..Policy::default() };
        // Seven intermediates: one more than webpki's six, yet the path reaches the root.
        let (chain, trust) = deep_chain(7, now);
        let e = engine::evaluate_with(&chain, "deep.test", &trust, now, &Policy::default());
        assert_eq!(engine::failed(&e.results), [RuleId::ChainMaxDepth], "{}", engine::render_text(&e.results));
        assert_eq!(e.paths.iter().find(|p| p.chosen).map(|p| (p.end, p.certs.len())), Some(("trusted", 9)));
        let max = &e.results.iter().find(|r| r.rule == RuleId::ChainMaxDepth).expect("rule").evidence;
        assert!(max.starts_with("7 intermediates (CN=Deep CA 7, "), "{max}");
        assert!(max.ends_with("): more than 6, webpki's limit"), "{max}");
        // The control: a client that allows seven.
        let e = engine::evaluate_with(&chain, "deep.test", &trust, now, &at_most(7));
        assert_eq!(engine::failed(&e.results), Vec::<RuleId>::new(), "{}", engine::render_text(&e.results));
        // A policy above the default depth still finds the whole path: 18 intermediates.
        let (chain, trust) = deep_chain(18, now);
        let e = engine::evaluate_with(&chain, "deep.test", &trust, now, &at_most(17));
        assert_eq!(engine::failed(&e.results), [RuleId::ChainMaxDepth], "{}", engine::render_text(&e.results));
        let e = engine::evaluate_with(&chain, "deep.test", &trust, now, &at_most(18));
        assert_eq!(engine::failed(&e.results), Vec::<RuleId>::new(), "{}", engine::render_text(&e.results));
        // Beyond what path building follows, the path does not end: both rules fail.
        let e = engine::evaluate_with(&chain, "deep.test", &trust, now, &Policy::default());
        assert_eq!(
            engine::failed(&e.results),
            [RuleId::TrustUnknownRoot, RuleId::ChainMaxDepth],
            "{}",
            engine::render_text(&e.results)
        );
    }

    #[test]
    fn a_trusted_root_that_cannot_sign_certificates_fails_the_anchor_rule_alone() {
        let now = OffsetDateTime::now_utc();
        let key = KeyPair::generate().expect("key");
        let mut params = ca("Signing-less Root", now);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let root_der = params.self_signed(&key).expect("self-sign").der().clone();
        let issuer = Issuer::new(params, key);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = leaf(vec!["anchor.test".into()], now).signed_by(&leaf_key, &issuer).expect("sign").der().clone();
        let trust = Trust { roots: vec![root_der], ..Default::default() };
        let r = engine::evaluate(std::slice::from_ref(&leaf), "anchor.test", &trust, now);
        assert_eq!(engine::failed(&r), [RuleId::TrustAnchorNotCa], "{}", engine::render_text(&r));
        let e = &r.iter().find(|x| x.rule == RuleId::TrustAnchorNotCa).expect("rule").evidence;
        assert!(
            e.starts_with("trusted root CN=Signing-less Root is not a well-formed CA: keyUsage without keyCertSign"),
            "{e}"
        );
        // One fault, one rule: 120 days on the leaf's dates and the root's fail too, each its own.
        let r = engine::evaluate(&[leaf], "anchor.test", &trust, now + Duration::days(120));
        assert_eq!(engine::failed(&r), [RuleId::ValidityExpired, RuleId::TrustAnchorExpired, RuleId::TrustAnchorNotCa]);
    }

    #[test]
    fn path_building_stops_at_its_budget_and_says_so() {
        let now = OffsetDateTime::now_utc();
        let (root_der, root_issuer) = root("Budget Root", now);
        let key = KeyPair::generate().expect("key");
        let inter = ca("Crowded CA", now).signed_by(&key, &root_issuer).expect("sign").der().clone();
        let issuer = Issuer::new(ca("Crowded CA", now), key);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = leaf(vec!["crowd.test".into()], now).signed_by(&leaf_key, &issuer).expect("sign").der().clone();
        let trust = Trust { roots: vec![root_der], ..Default::default() };
        // 120 impostors with the issuer's name and other keys, sent before the real one.
        let mut sent = vec![leaf.clone()];
        for _ in 0..120 {
            let k = KeyPair::generate().expect("key");
            sent.push(ca("Crowded CA", now).signed_by(&k, &root_issuer).expect("sign").der().clone());
        }
        sent.push(inter.clone());
        let r = report::verify_ders("leaf", &sent, &trust, "crowd.test", &Policy::default(), now).expect("verify");
        assert_eq!(
            r.path_budget.as_deref(),
            Some("path building stopped at its budget (16 paths, 100 signature checks)")
        );
        assert!(r.text().contains("path building stopped at its budget"), "{}", r.text());
        // The control: the real issuer alone is found at once.
        let r =
            report::verify_ders("leaf", &[leaf, inter], &trust, "crowd.test", &Policy::default(), now).expect("verify");
        assert_eq!((r.failed.len(), r.path_budget), (0, None));
    }
}
