//! `pki-lab issue`: a certificate for the user's names under the lab CA (or a signed CSR),
//! written as cert.pem, key.pem, chain.pem, fullchain.pem [, cert.p12, crl.pem], with a receipt.

use std::path::Path;

use rustls::pki_types::CertificateDer;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::catalogue::rules::RuleId;
use crate::catalogue::template::{Catalogue, RelTime, Template};
use crate::cli::IssueArgs;
use crate::error::{Error, Result};
use crate::labdir::fsutil::{self, PUBLIC, SECRET};
use crate::labdir::{self, rfc3339};
use crate::pki::ca::{self, LabCa};
use crate::pki::issue::{self, Anchor, Request};
use crate::pki::names::{self, Name};

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Receipt {
    names: Vec<String>,
    like: Option<String>,
    breaks: Option<RuleId>,
    serial: String,
    not_before: String,
    not_after: String,
    dir: String,
    files: Vec<String>,
}

pub(crate) fn issue(dir: &Path, args: IssueArgs, now: OffsetDateTime) -> Result<i32> {
    // Everything that can be refused is refused before anything is written, the lab included.
    let catalogue = Catalogue::builtin()?;
    // Where the password came from is what the receipt shows: only the well-known default is
    // printed, never one the user chose.
    let (password, password_from) = match (&args.password, std::env::var("PKI_LAB_P12_PASSWORD")) {
        (Some(p), _) => (p.clone(), "from --password".to_string()),
        (None, Ok(p)) if !p.is_empty() => (p, "from PKI_LAB_P12_PASSWORD".to_string()),
        _ => {
            let p = crate::pki::p12::DEFAULT_PASSWORD;
            (p.to_string(), format!("`{p}`, the default"))
        }
    };
    let validity = validity(&args, now)?;
    let (names, csr) = match &args.csr {
        Some(path) => {
            let (req, names) = issue::csr_names(&fsutil::read_to_string(path)?, &path.display().to_string())?;
            (names, Some(req))
        }
        None => (names::parse_all(&args.names)?, None),
    };
    let like = match csr {
        Some(_) => None,
        None => Some(catalogue.get(&args.like)?.clone()),
    };
    if let Some(p) = &like
        && validity.is_some()
        && p.breaks.is_some_and(|r| matches!(r, RuleId::ValidityExpired | RuleId::ValidityNotYetValid))
    {
        return Err(Error::Usage(format!(
            "--like {} sets the validity itself (its defect); drop --days, --not-before and --not-after",
            p.name
        )));
    }
    // Held to the end: the lab is not made twice, nor its CA replaced (`init --force`) while
    // certificates are signed with it and written into it.
    let lock = super::init::lock(dir)?;
    let permitted = if labdir::is_lab(dir) {
        labdir::load_manifest(dir)?.ca.permitted
    } else {
        Some(ca::DEFAULT_PERMITTED.iter().map(|s| s.to_string()).collect())
    };
    names::check_permitted(&names, permitted.as_deref())?;

    let first = names.first().ok_or_else(|| Error::Usage("no names to issue for".into()))?;
    let out = args.out.clone().unwrap_or_else(|| dir.join("issued").join(first.file_stem()));
    let mut files: Vec<&str> = vec!["cert.pem", "chain.pem", "fullchain.pem"];
    if csr.is_none() {
        files.push("key.pem");
    }
    if args.p12 {
        files.push("cert.p12");
    }
    if like.as_ref().is_some_and(|p| p.leaf.revoked || p.crl.is_some()) {
        files.push("crl.pem");
    }
    if like.as_ref().is_some_and(|p| p.anchor.is_some()) {
        files.push("anchor.pem");
    }
    if !args.force {
        let existing: Vec<String> =
            files.iter().map(|f| out.join(f)).filter(|p| p.exists()).map(|p| p.display().to_string()).collect();
        if !existing.is_empty() {
            return Err(Error::Usage(format!(
                "refusing to overwrite {}\n  hint: pass --force to replace them (the private key too), or choose another --out",
                existing.join(", ")
            )));
        }
    }

    super::init::auto_init_locked(&lock, &catalogue, now)?;
    let lab = LabCa::load(&dir.join("ca"))?;
    let out_existed = out.exists();
    fsutil::create_dir(&out)?;

    let pems = |certs: &[CertificateDer<'_>]| certs.iter().map(|c| ca::pem_cert(c)).collect::<String>();
    // Made in memory first, then written as one set: all files or none (a full disk leaves no
    // key without its chains, and a rerun is not refused for them).
    let mut made_files: Vec<(&str, Vec<u8>, u32)> = Vec::new();
    let (path, served, anchor_pem, serial, not_before, not_after) = match (csr, &like) {
        (Some(req), _) => {
            let (from, until) = validity.unwrap_or((now - Duration::hours(1), now + Duration::days(90)));
            let signed = issue::sign_csr(req, names.clone(), &lab.intermediate, args.client, (from, until))?;
            let path = vec![signed.cert, lab.intermediate.der.clone()];
            (path.clone(), path, Some(lab.root.pem.clone()), signed.serial, signed.not_before, signed.not_after)
        }
        (None, Some(template)) => {
            let req = Request { names: names.clone(), client: args.client, key: args.key_type, validity };
            let tailored = issue::tailor(template, &req, now)?;
            let made = issue::issue(&tailored, &lab, args.key_type.unwrap_or_default(), now)?;
            made_files.push(("key.pem", made.served_key_pem.clone().into_bytes(), SECRET));
            if let Some(who) = made.revoked_by {
                let ca = if who == crate::catalogue::template::IssuerRef::Root { &lab.root } else { &lab.intermediate };
                let crl = issue::crl(ca, std::slice::from_ref(&made.serial), now)?;
                made_files.push(("crl.pem", crl.into_bytes(), PUBLIC));
            }
            if let Some((crl, _)) = &made.own_crl {
                made_files.push(("crl.pem", crl.clone().into_bytes(), PUBLIC));
            }
            if let Some(own) = &made.own_anchor {
                made_files.push(("anchor.pem", ca::pem_cert(own).into_bytes(), PUBLIC));
            }
            let anchor = match made.anchor {
                Anchor::Root => Some(lab.root.pem.clone()),
                Anchor::RogueRoot => Some(lab.rogue.pem.clone()),
                Anchor::Scenario => made.own_anchor.as_ref().map(|a| ca::pem_cert(a)),
                Anchor::None => None,
            };
            if args.p12 {
                let mut chain = made.path.clone();
                if let Some(a) = &anchor {
                    chain.extend(ca::parse_certs(a, "the root")?);
                }
                let alias = first.to_string();
                let bytes = crate::pki::p12::key_store(&alias, &made.served_key_pem, &chain, &password)?;
                made_files.push(("cert.p12", bytes, SECRET));
            }
            (made.path, made.served, anchor, made.serial, made.not_before, made.not_after)
        }
        (None, None) => return Err(Error::Usage("nothing to issue".into())),
    };
    made_files.push(("cert.pem", pems(&path[..1]).into_bytes(), PUBLIC));
    made_files.push(("chain.pem", pems(&served).into_bytes(), PUBLIC));
    let mut full = pems(&path);
    if let Some(a) = &anchor_pem {
        full.push_str(a);
    }
    made_files.push(("fullchain.pem", full.into_bytes(), PUBLIC));
    let set: Vec<fsutil::NewFile<'_>> = made_files.iter().map(|(n, b, m)| (*n, b.as_slice(), *m)).collect();
    if let Err(e) = fsutil::write_set(&out, &set) {
        if !out_existed {
            // Only if still empty: nothing of the user's is removed.
            let _ = std::fs::remove_dir(&out);
        }
        return Err(e);
    }

    print_issue_receipt(
        dir,
        &out,
        &names,
        like.as_ref(),
        &path,
        &files,
        args.p12.then_some(&password_from),
        (not_before, not_after),
        now,
    );
    if args.json {
        let receipt = Receipt {
            names: names.iter().map(|n| n.to_string()).collect(),
            like: like.as_ref().map(|p| p.name.clone()),
            breaks: like.as_ref().and_then(|p| p.breaks),
            serial: crate::pki::x509::hex_colon(&serial.to_bytes()),
            not_before: rfc3339(not_before),
            not_after: rfc3339(not_after),
            dir: out.display().to_string(),
            files: files.iter().map(|f| out.join(f).display().to_string()).collect(),
        };
        super::output::json(&receipt)?;
    }
    Ok(0)
}

/// `--days` or `--not-before`/`--not-after`, as absolute times; `None` keeps the template's.
fn validity(args: &IssueArgs, now: OffsetDateTime) -> Result<Option<(OffsetDateTime, OffsetDateTime)>> {
    if let Some(days) = args.days {
        if days == 0 {
            return Err(Error::Usage("--days: expected at least 1, found 0".into()));
        }
        return Ok(Some((now - Duration::hours(1), now + Duration::days(i64::from(days)))));
    }
    if args.not_before.is_none() && args.not_after.is_none() {
        return Ok(None);
    }
    let from = match &args.not_before {
        Some(t) => parse_time(t, "--not-before", now)?,
        None => now - Duration::hours(1),
    };
    let until = match &args.not_after {
        Some(t) => parse_time(t, "--not-after", now)?,
        None => from + Duration::days(90),
    };
    if until <= from {
        return Err(Error::Usage(format!(
            "--not-after ({}) must be later than --not-before ({})",
            rfc3339(until),
            rfc3339(from)
        )));
    }
    Ok(Some((from, until)))
}

fn parse_time(s: &str, flag: &str, now: OffsetDateTime) -> Result<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    RelTime::try_from(s.to_string()).map(|r| r.at(now)).map_err(|_| {
        Error::Usage(format!(
            "{flag}: expected an RFC 3339 time (2027-01-01T00:00:00Z) or a time relative to now (-1h, +30d), found `{s}`"
        ))
    })
}

#[allow(clippy::too_many_arguments)]
fn print_issue_receipt(
    lab: &Path,
    out: &Path,
    names: &[Name],
    like: Option<&crate::catalogue::template::Template>,
    path: &[CertificateDer<'_>],
    files: &[&str],
    password_from: Option<&String>,
    (from, until): (OffsetDateTime, OffsetDateTime),
    now: OffsetDateTime,
) {
    let list = names.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
    eprintln!("issued a certificate for {list}");
    match like {
        Some(Template { breaks: Some(rule), name, summary, .. }) => {
            eprintln!("  like      {name}: {summary} — it breaks {rule} on purpose")
        }
        Some(p) if p.name != "valid" => eprintln!("  like      {}: {}", p.name, p.summary),
        Some(_) => {}
        None => eprintln!("  from      a certificate signing request (its key stays with you)"),
    }
    if let Some(p) = like
        && p.breaks == Some(RuleId::NameMismatch)
    {
        eprintln!("  names     the certificate names {}, not yours (that is the defect)", p.leaf_sans().join(", "));
    }
    // Written as `inspect` writes names (most specific first: CN=…, O=…).
    let issuer = crate::inspect::describe(&path[0], now).map(|d| d.issuer).unwrap_or_else(|_| "?".into());
    eprintln!("  signed by {issuer}");
    let days = (until - from).whole_days();
    let when = if until < now {
        "; expired already"
    } else if from > now {
        "; not valid yet"
    } else {
        ""
    };
    eprintln!("  valid     {} .. {} ({days} days{when})", rfc3339(from), rfc3339(until));
    let show = |f: &str, what: &str| {
        if files.contains(&f) {
            let line = format!("  {:<9} {}  {what}", f.trim_end_matches(".pem"), out.join(f).display());
            eprintln!("{}", line.trim_end());
        }
    };
    show("cert.pem", "");
    show("key.pem", "(private key, mode 0600)");
    show("chain.pem", "(certificate + intermediate: what a server sends)");
    show("fullchain.pem", "(chain + root)");
    if let Some(from) = password_from {
        eprintln!("  {:<9} {}  (password {from})", "p12", out.join("cert.p12").display());
    }
    let own_crl = like.is_some_and(|t| t.crl.is_some());
    show(
        "crl.pem",
        if own_crl { "(its issuer's own CRL, with the defect)" } else { "(a CRL listing this certificate as revoked)" },
    );
    show("anchor.pem", "(its own root: trust it instead of the lab's)");
    // `trust install` and `env` name the lab root; a scenario's own root is trusted by hand.
    let trust = if files.contains(&"anchor.pem") {
        format!("{} (a root of its own; give it to the client as its CA file)", out.join("anchor.pem").display())
    } else {
        format!(
            "{} (`pki-lab trust install`, or `eval \"$(pki-lab env)\"` in this shell)",
            lab.join("ca.pem").display()
        )
    };
    eprintln!(
        "next: trust {trust}, then serve {} with {}",
        out.join("chain.pem").display(),
        if files.contains(&"key.pem") { out.join("key.pem").display().to_string() } else { "your key".into() }
    );
}
