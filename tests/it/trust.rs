//! `pki-lab trust`: install then uninstall on temporary stores (a CA directory with its bundle
//! rebuilt by the real update-ca-certificates, an NSS database, a Java key store) leaves them as
//! they were. The machine's own stores are never named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;

/// A temporary system store laid out like Debian's, plus an NSS database.
struct Stores {
    _tmp: tempfile::TempDir,
    local: PathBuf,
    etc: PathBuf,
    nss: PathBuf,
    update: String,
}

impl Stores {
    fn new(lab: &Path) -> Stores {
        let tmp = tempfile::tempdir().expect("tempdir");
        let t = tmp.path();
        let (local, etc, share, hooks, nss) =
            (t.join("local"), t.join("etc"), t.join("share"), t.join("hooks"), t.join("nssdb"));
        for d in [&local, &etc, &share, &hooks, &nss] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        // One "distribution" certificate, so the bundle is never empty (as on a real system).
        std::fs::copy(lab.join("ca/rogue-root.pem"), share.join("distro-root.crt")).expect("copy");
        std::fs::write(t.join("ca-certificates.conf"), "distro-root.crt\n").expect("conf");
        // CI's PATH may lack /usr/sbin, where Debian keeps the tool.
        let updater = ["/usr/sbin/update-ca-certificates", "/usr/bin/update-ca-certificates"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .unwrap_or("update-ca-certificates");
        let update = format!(
            "{updater} --certsconf {} --certsdir {} --localcertsdir {} --etccertsdir {} --hooksdir {}",
            t.join("ca-certificates.conf").display(),
            share.display(),
            local.display(),
            etc.display(),
            hooks.display()
        );
        let o = Command::new("sh").arg("-c").arg(format!("{update} --fresh")).output().expect("update");
        assert!(o.status.success(), "baseline update: {}", stderr(&o));
        let o = tool("certutil")
            .args(["-N", "-d", &format!("sql:{}", nss.display()), "--empty-password"])
            .output()
            .expect("certutil -N");
        assert!(o.status.success(), "{}", stderr(&o));
        Stores { _tmp: tmp, local, etc, nss, update }
    }

    /// `pki-lab trust ACTION` with every store pointed at the temporary ones.
    fn trust(&self, lab: &Path, action: &str, extra: &[&str]) -> Output {
        pki_lab()
            .arg("--dir")
            .arg(lab)
            .args(["trust", action, "--system-dir"])
            .arg(&self.local)
            .arg("--system-update")
            .arg(&self.update)
            .arg("--system-bundle")
            .arg(self.etc.join("ca-certificates.crt"))
            .arg("--nss-db")
            .arg(&self.nss)
            .args(extra)
            .output()
            .expect("run pki-lab trust")
    }

    fn nss_list(&self) -> String {
        let o = Command::new("certutil")
            .args(["-L", "-d", &format!("sql:{}", self.nss.display())])
            .output()
            .expect("certutil");
        stdout(&o)
    }
}

/// Files and symlinks (with their targets) under `dir`.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        let meta = std::fs::symlink_metadata(&p).expect("meta");
        let v = if meta.file_type().is_symlink() {
            format!("-> {}", std::fs::read_link(&p).expect("link").display())
        } else {
            String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned()
        };
        out.insert(p.file_name().expect("name").into(), v);
    }
    out
}

fn root_name(lab: &Path) -> String {
    let sha = manifest(lab)["ca"]["root_sha256"].as_str().expect("sha").replace(':', "").to_lowercase();
    format!("pki-lab-{}", &sha[..16])
}

#[test]
#[cfg_attr(missing_certutil, ignore = "needs certutil (Debian: libnss3-tools); .ci/run installs it")]
#[cfg_attr(missing_openssl, ignore = "needs openssl (Debian: openssl); .ci/run installs it")]
fn install_then_uninstall_leaves_a_temporary_ca_directory_and_nss_database_as_they_were() {
    let (_tmp, lab) = new_lab(&[]);
    let s = Stores::new(&lab);
    let name = root_name(&lab);
    let (local0, etc0, nss0) = (snapshot(&s.local), snapshot(&s.etc), s.nss_list());
    let bundle = s.etc.join("ca-certificates.crt");
    let root_pem = std::fs::read_to_string(lab.join("ca.pem")).expect("ca.pem");
    assert!(!std::fs::read_to_string(&bundle).expect("bundle").contains(&root_pem));

    let o = s.trust(&lab, "status", &["--store", "system,nss"]);
    assert_eq!(o.status.code(), Some(1), "not installed yet: {}", stdout(&o));

    let o = s.trust(&lab, "install", &["--store", "system", "--store", "nss"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("system  installed  {}", s.local.join(format!("{name}.crt")).display())),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(&format!("nss     installed  sql:{}", s.nss.display())), "{}", stderr(&o));

    // Really trusted: the rebuilt bundle holds the root and verifies a lab certificate; NSS lists it as a CA.
    assert!(std::fs::read_to_string(&bundle).expect("bundle").contains(&root_pem));
    let v = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&bundle)
        .arg("-untrusted")
        .arg(lab.join("scenarios/valid/chain.pem"))
        .arg(lab.join("scenarios/valid/cert.pem"))
        .output()
        .expect("verify");
    assert_eq!(v.status.code(), Some(0), "{}{}", stdout(&v), stderr(&v));
    let listed = s.nss_list();
    assert!(listed.lines().any(|l| l.starts_with(&name) && l.trim_end().ends_with("C,,")), "{listed}");

    let o = s.trust(&lab, "status", &["--store", "system,nss"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let st = stdout(&o);
    assert!(st.contains(&format!("installed (in the bundle)  {}", bundle.display())), "{st}");
    assert!(st.contains(&format!("sql:{}", s.nss.display())), "{st}");

    // Installing twice changes nothing.
    let o = s.trust(&lab, "install", &["--store", "nss"]);
    assert!(stderr(&o).contains("already installed"), "{}", stderr(&o));

    let o = s.trust(&lab, "uninstall", &["--store", "system,nss"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("removed"), "{}", stderr(&o));
    assert_eq!(snapshot(&s.local), local0, "the CA directory is as it was");
    assert_eq!(snapshot(&s.etc), etc0, "the bundle and links are as they were, byte for byte");
    assert_eq!(s.nss_list(), nss0, "the NSS database lists what it listed before");

    let o = s.trust(&lab, "status", &["--store", "system,nss"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("not installed"), "{}", stdout(&o));
    // Uninstalling again is a no-op.
    let o = s.trust(&lab, "uninstall", &["--store", "system,nss"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("not installed"), "{}", stderr(&o));
}

#[test]
#[cfg_attr(missing_certutil, ignore = "needs certutil (Debian: libnss3-tools); .ci/run installs it")]
fn dry_run_prints_the_commands_and_changes_nothing() {
    let (_tmp, lab) = new_lab(&[]);
    let s = Stores::new(&lab);
    let name = root_name(&lab);
    let (local0, nss0) = (snapshot(&s.local), s.nss_list());
    let o = s.trust(&lab, "install", &["--store", "system,nss", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cmds = stdout(&o);
    assert!(
        cmds.contains(&format!("write the lab root to {}", s.local.join(format!("{name}.crt")).display())),
        "{cmds}"
    );
    assert!(cmds.contains("update-ca-certificates --certsconf"), "{cmds}");
    assert!(
        cmds.contains(&format!(
            "certutil -A -d sql:{} -t C,, -n {name} -i {}",
            s.nss.display(),
            lab.join("ca.pem").display()
        )),
        "{cmds}"
    );
    assert_eq!(snapshot(&s.local), local0);
    assert_eq!(s.nss_list(), nss0);
}

#[test]
#[cfg_attr(missing_certutil, ignore = "needs certutil (Debian: libnss3-tools); .ci/run installs it")]
fn uninstall_leaves_alone_a_file_that_is_not_this_labs_root() {
    let (_tmp, lab) = new_lab(&[]);
    let s = Stores::new(&lab);
    let theirs = s.local.join("pki-lab-shared.crt");
    let other = std::fs::read_to_string(lab.join("ca/rogue-root.pem")).expect("pem");
    std::fs::write(&theirs, &other).expect("write");
    let o = s.trust(&lab, "uninstall", &["--store", "system", "--name", "pki-lab-shared"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("exists but does not hold this lab's root; leaving it alone"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&theirs).expect("still there"), other);
}

#[test]
#[cfg_attr(missing_certutil, ignore = "needs certutil (Debian: libnss3-tools); .ci/run installs it")]
fn a_named_store_that_is_unavailable_exits_2_and_says_how_to_get_it() {
    let (_tmp, lab) = new_lab(&[]);
    let s = Stores::new(&lab);
    let o = s.trust(&lab, "install", &["--store", "nss", "--certutil", "/nonexistent/certutil"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --store nss: `/nonexistent/certutil` not found (Debian: apt-get install libnss3-tools)\n"
    );
    let empty = tempfile::tempdir().expect("tmp");
    let o = pki_lab()
        .arg("--dir")
        .arg(&lab)
        .args(["trust", "install", "--store", "nss", "--nss-db"])
        .arg(empty.path())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no NSS database in"), "{}", stderr(&o));
    assert!(stderr(&o).contains("certutil -N -d sql:"), "{}", stderr(&o));
}

#[test]
#[cfg_attr(missing_keytool, ignore = "needs keytool (Debian: openjdk-17-jre-headless); .ci/run installs it")]
fn install_then_uninstall_leaves_a_temporary_java_keystore_listing_as_it_was() {
    let _ = tool("keytool");
    let (tmp, lab) = new_lab(&[]);
    let ks = tmp.path().join("truststore.p12");
    let keytool = |args: &[&str]| {
        Command::new("keytool")
            .args(args)
            .arg("-keystore")
            .arg(&ks)
            .args(["-storepass", "changeit"])
            .output()
            .expect("keytool")
    };
    let rogue = lab.join("ca/rogue-root.pem");
    let o = keytool(&["-importcert", "-noprompt", "-alias", "existing", "-file", rogue.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let before = stdout(&keytool(&["-list"]));
    let name = root_name(&lab);

    let trust = |action: &str| {
        pki_lab()
            .arg("--dir")
            .arg(&lab)
            .args(["trust", action, "--store", "java", "--java-keystore"])
            .arg(&ks)
            .output()
            .expect("run")
    };
    let o = trust("install");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = keytool(&["-list", "-alias", &name]);
    assert!(stdout(&o).contains("trustedCertEntry"), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(trust("status").status.code(), Some(0));

    let o = trust("uninstall");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&keytool(&["-list"])), before);
    assert_eq!(trust("status").status.code(), Some(1));
}
