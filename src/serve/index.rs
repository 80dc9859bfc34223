//! Pages for a person with a browser, generated from the catalogue: the SNI router's index (every
//! scenario as a link, its rule, what a correct browser shows), the dashboard (the browser loads
//! every scenario itself and reports live what it accepted), each scenario's own page, and the
//! tiny script the dashboard loads from each scenario.
//!
//! No external resources; every value from the catalogue is HTML-escaped.

use crate::catalogue::rules::{Kind, RuleId, Step};

/// One scenario as the pages list it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub rule: Option<RuleId>,
    pub summary: String,
    /// Breaks no rule, yet some clients refuse it: why.
    pub lesson: Option<String>,
    /// What Chromium did with it, measured (`templates/clients.json`).
    pub chromium: Option<crate::clients::ClientOutcome>,
    /// The scenario's own root (`files.anchor`, relative to the lab): a browser trusting only
    /// the lab root refuses it whatever it breaks.
    pub own_root: Option<String>,
}

impl Entry {
    /// What a correct browser shows here.
    pub fn browser_shows(&self) -> String {
        match &self.lesson {
            Some(lesson) => format!("the page: it breaks no rule, but {lesson}"),
            None => browser_shows(self.rule),
        }
    }

    fn rule_text(&self) -> String {
        match (&self.lesson, self.rule) {
            (Some(_), None) => "none: a lesson, not a control".into(),
            _ => rule_text(self.rule),
        }
    }
}

/// The router's two pages, rendered once when it starts.
#[derive(Debug)]
pub struct Site {
    pub index: String,
    pub dashboard: String,
    /// `https://localhost:PORT/`, for links back from a scenario's page.
    pub home: String,
}

/// The path the dashboard loads from each scenario; any server answers it.
pub const PROBE_PATH: &str = "/probe.js";
pub const DASHBOARD_PATH: &str = "/dashboard";

/// The scenario the router's own pages belong to (what `localhost` without a prefix serves).
pub const HOME_SCENARIO: &str = "valid";

/// `&`, `<`, `>`, `"` and `'` as entities: safe in text and in quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The scenario's address on the router.
pub fn url(name: &str, port: u16) -> String {
    format!("https://{name}.localhost:{port}/")
}

/// What a correct (strict) browser shows for a scenario breaking `rule`: derived from where the
/// rule is decided and its one-line check, so a new rule needs no entry here.
pub fn browser_shows(rule: Option<RuleId>) -> String {
    let Some(rule) = rule else {
        return "the page, with no warning".into();
    };
    let check = rule.rule().check;
    match (rule.step(), rule.kind()) {
        (Step::KeyExchange, _) => format!("a connection error, with no way past it, since this does not hold: {check}"),
        (_, Kind::Live) => format!("a connection error from the server, since this does not hold: {check}"),
        _ => format!("a certificate warning, since this does not hold: {check}"),
    }
}

/// `text`, and which root to trust first when the scenario has its own.
fn own_root_note(text: &str, own_root: Option<&str>) -> String {
    match own_root {
        Some(root) => format!("{text} (under a root of its own: trust {root} to see it)"),
        None => text.to_string(),
    }
}

/// What Chromium did, from the manifest's measured column.
fn chromium_did(e: &Entry) -> String {
    match &e.chromium {
        None => "not measured".into(),
        Some(o) if o.accepted => "showed the page".into(),
        Some(o) => format!("refused ({})", o.code),
    }
}

/// The rule's one-line check, or what a control is.
fn rule_text(rule: Option<RuleId>) -> String {
    match rule {
        Some(r) => format!("{r}: {}", r.rule().check),
        None => "none: a control, every client should accept it".into(),
    }
}

fn step_text(rule: Option<RuleId>) -> &'static str {
    match rule.map(|r| (r.step(), r.kind())) {
        None => "-",
        Some((Step::KeyExchange, _)) => "key exchange",
        Some((_, Kind::Live)) => "verification (server side)",
        Some((step, _)) => step.as_str(),
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:72em;margin:2em auto;padding:0 1em;line-height:1.4}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}\
code{font-size:.95em}.accepted{background:#e3f6e3}.refused{background:#fbe3e3}.could-not-tell{background:#f3f0d8}\
.mismatch{font-weight:bold}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        t = escape(title)
    )
}

/// The router's pages for `entries`, the router listening on `port`.
pub fn site(entries: &[Entry], port: u16) -> Site {
    Site {
        index: index(entries, port),
        dashboard: dashboard(entries, port),
        home: format!("https://localhost:{port}/"),
    }
}

fn index(entries: &[Entry], port: u16) -> String {
    let mut rows = String::new();
    for e in entries {
        rows.push_str(&format!(
            "<tr><td><a href=\"{u}\">{n}</a></td><td>{step}</td><td>{rule}</td><td>{summary}</td><td>{shows}</td><td>{chromium}</td></tr>\n",
            u = escape(&url(&e.name, port)),
            n = escape(&e.name),
            step = escape(step_text(e.rule)),
            rule = escape(&e.rule_text()),
            summary = escape(&own_root_note(&e.summary, e.own_root.as_deref())),
            shows = escape(&e.browser_shows()),
            chromium = escape(&chromium_did(e)),
        ));
    }
    page(
        "pki-lab scenarios",
        &format!(
            "<h1>pki-lab scenarios</h1>\n<p>Each link is a server that breaks exactly one rule a TLS client checks (the controls break none). \
Trust the lab root (<code>pki-lab trust install</code>) first. <a href=\"{d}\">The dashboard</a> makes this browser load every scenario and shows what it accepts.</p>\n\
<table><thead><tr><th>scenario</th><th>step</th><th>rule</th><th>what it is</th><th>a correct browser shows</th><th>Chromium, measured</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n",
            d = escape(DASHBOARD_PATH)
        ),
    )
}

fn dashboard(entries: &[Entry], port: u16) -> String {
    let mut rows = String::new();
    let mut scripts = String::new();
    for e in entries {
        let strict = if e.rule.is_none() { "accepted" } else { "refused" };
        // A scenario under a root of its own: a refusal may only say that this browser does not
        // trust that root, so it cannot be read as a refusal for the rule.
        let own = e.own_root.as_deref().map_or(String::new(), |r| format!(" data-own-root=\"{}\"", escape(r)));
        rows.push_str(&format!(
            "<tr id=\"row-{n}\" data-scenario=\"{n}\" data-strict=\"{strict}\"{own} data-outcome=\"pending\"><td><a href=\"{u}\">{n}</a></td><td>{rule}</td><td>{strict}</td><td class=\"seen\">loading…</td></tr>\n",
            n = escape(&e.name),
            u = escape(&url(&e.name, port)),
            rule = escape(&own_root_note(
                &e.rule.map_or_else(|| "(control)".to_string(), |r| r.to_string()),
                e.own_root.as_deref()
            )),
        ));
        // Parser-inserted async scripts: each load or error is known before the page's load
        // event, which therefore marks the end of the run.
        // The name as a JavaScript string (JSON), then escaped for the attribute it sits in.
        scripts.push_str(&format!(
            "<script async src=\"{u}\" onload=\"pkiLab.seen({n},true)\" onerror=\"pkiLab.seen({n},false)\"></script>\n",
            u = escape(&format!("{}{}", url(&e.name, port).trim_end_matches('/'), PROBE_PATH)),
            n = escape(&serde_json::Value::from(e.name.as_str()).to_string()),
        ));
    }
    let reference = escape(HOME_SCENARIO);
    page(
        "pki-lab dashboard",
        &format!(
            "<h1>pki-lab dashboard</h1>\n<p>This browser loads a script from every scenario. A load means it accepted the connection, an error that it refused; \
when it also refuses the <code>{reference}</code> control, no refusal can be read (could not tell). \
A scenario under a root of its own is refused by a browser that trusts only the lab root, so its refusal cannot be read either, unless you trust that root too.</p>\n\
<p id=\"summary\" data-done=\"false\">running…</p>\n\
<table><thead><tr><th>scenario</th><th>rule</th><th>a strict client</th><th>this browser</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n\
<script>\nvar pkiLab = {{\n  seen: function (name, ok) {{\n    var row = document.getElementById('row-' + name);\n    if (!row || row.dataset.outcome !== 'pending') return;\n    row.dataset.outcome = ok ? 'accepted' : 'refused';\n    row.className = row.dataset.outcome;\n    row.querySelector('.seen').textContent = row.dataset.outcome;\n  }},\n  finish: function () {{\n    var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-scenario]'));\n    var ref = document.getElementById('row-{reference}');\n    var readable = ref && ref.dataset.outcome === 'accepted';\n    var differ = 0;\n    rows.forEach(function (row) {{\n      var o = row.dataset.outcome;\n      if (o === 'pending' || (o === 'refused' && (!readable || row.dataset.ownRoot))) {{ o = 'could-not-tell'; }}\n      row.dataset.outcome = o;\n      row.className = o;\n      row.querySelector('.seen').textContent = o.replace(/-/g, ' ');\n      if (o !== row.dataset.strict) {{ differ++; row.className += ' mismatch'; }}\n    }});\n    var s = document.getElementById('summary');\n    s.textContent = rows.length + ' scenarios: ' + differ + ' differ from a strict client';\n    s.dataset.done = 'true';\n  }}\n}};\nwindow.addEventListener('load', pkiLab.finish);\n</script>\n{scripts}<p><a href=\"/\">all scenarios</a></p>\n"
        ),
    )
}

/// A scenario's own page, for a person who clicked through the warning. `tls` is what was
/// negotiated, one `(label, value)` per line.
pub fn scenario_page(e: &Entry, tls: &[(&str, String)], home: Option<&str>) -> String {
    let seen = if let Some(lesson) = &e.lesson {
        format!("This scenario breaks no rule, but {lesson}.")
    } else if e.rule.is_none() {
        "This is a control: your browser was right to show it without a warning.".to_string()
    } else {
        format!(
            "You are seeing this page, so your browser accepted the connection or you clicked through its warning. A correct browser shows {}.",
            browser_shows(e.rule)
        )
    };
    let mut facts = String::new();
    for (k, v) in tls {
        facts.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(k), escape(v)));
    }
    let back = home.map_or(String::new(), |h| format!("<p><a href=\"{}\">all scenarios</a></p>\n", escape(h)));
    page(
        &format!("pki-lab: {}", e.name),
        &format!(
            "<h1>{n}</h1>\n<p>{summary}</p>\n<p><strong>Breaks:</strong> {rule}</p>\n<p>{seen}</p>\n<table>\n{facts}</table>\n{back}",
            n = escape(&e.name),
            summary = escape(&e.summary),
            rule = escape(&e.rule_text()),
            seen = escape(&seen),
        ),
    )
}

/// What a scenario answers at [`PROBE_PATH`]: a script that does nothing but load.
pub fn probe_script(name: &str) -> String {
    // serde_json quotes the name as a JavaScript string literal.
    format!("/* pki-lab scenario */ void {};\n", serde_json::Value::from(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        vec![
            Entry {
                name: "valid".into(),
                rule: None,
                summary: "a control".into(),
                lesson: None,
                chromium: None,
                own_root: None,
            },
            Entry {
                name: "expired".into(),
                rule: Some(RuleId::ValidityExpired),
                summary: "<b>old</b> & \"gone\"".into(),
                lesson: None,
                chromium: Some(crate::clients::ClientOutcome {
                    accepted: false,
                    code: "net::ERR_CERT_DATE_INVALID".into(),
                    text: String::new(),
                }),
                own_root: None,
            },
            Entry {
                name: "anchor-expired".into(),
                rule: Some(RuleId::TrustAnchorExpired),
                summary: "its root has expired".into(),
                lesson: None,
                chromium: None,
                own_root: Some("scenarios/anchor-expired/anchor.pem".into()),
            },
        ]
    }

    #[test]
    fn the_index_links_every_scenario_and_escapes_the_catalogue() {
        let s = site(&entries(), 8443);
        assert!(s.index.contains("<a href=\"https://expired.localhost:8443/\">expired</a>"), "{}", s.index);
        assert!(s.index.contains("&lt;b&gt;old&lt;/b&gt; &amp; &quot;gone&quot;"), "{}", s.index);
        assert!(!s.index.contains("<b>old"));
        assert!(s.index.contains(&escape(&browser_shows(Some(RuleId::ValidityExpired)))));
        assert!(s.index.contains("<td>refused (net::ERR_CERT_DATE_INVALID)</td>"), "{}", s.index);
        assert!(s.index.contains("<td>not measured</td>"), "{}", s.index);
        // Derived from the rule: a certificate warning naming the check, a connection error for
        // the handshake's own signature.
        assert!(browser_shows(Some(RuleId::ValidityExpired)).starts_with("a certificate warning"));
        assert!(
            browser_shows(Some(RuleId::HandshakeKeyMismatch)).starts_with("a connection error, with no way past it")
        );
        assert!(browser_shows(Some(RuleId::ClientCertRequired)).starts_with("a connection error from the server"));
        // Nothing loaded from elsewhere.
        for page in [&s.index, &s.dashboard] {
            assert!(!page.contains("http://"), "{page}");
            for link in page.match_indices("src=\"").map(|(i, _)| &page[i + 5..]) {
                assert!(
                    link.starts_with("https://")
                        && link[8..].split('/').next().is_some_and(|h| h.ends_with(".localhost:8443")),
                    "{link}"
                );
            }
        }
    }

    #[test]
    fn the_dashboard_loads_a_script_from_each_scenario_and_knows_what_a_strict_client_does() {
        let d = site(&entries(), 9000).dashboard;
        assert!(d.contains("src=\"https://expired.localhost:9000/probe.js\""), "{d}");
        assert!(d.contains("data-scenario=\"expired\" data-strict=\"refused\""), "{d}");
        assert!(d.contains("data-scenario=\"valid\" data-strict=\"accepted\""), "{d}");
        assert!(d.contains("onload=\"pkiLab.seen(&quot;expired&quot;,true)\""), "{d}");
        // A root of its own: marked, so a refusal there reads as could not tell.
        assert!(d.contains("data-scenario=\"anchor-expired\" data-strict=\"refused\" data-own-root=\"scenarios/anchor-expired/anchor.pem\""), "{d}");
        assert!(!d.contains("data-scenario=\"expired\" data-strict=\"refused\" data-own-root"), "{d}");
    }

    #[test]
    fn a_scenario_page_says_what_it_breaks() {
        let e = &entries()[1];
        let p = scenario_page(e, &[("version", "TLSv1_3".into())], Some("https://localhost:1/"));
        assert!(p.contains(RuleId::ValidityExpired.as_str()), "{p}");
        assert!(p.contains(&escape(&browser_shows(e.rule))), "{p}");
        assert_eq!(probe_script("a\"b"), "/* pki-lab scenario */ void \"a\\\"b\";\n");
    }
}
