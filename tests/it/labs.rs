//! Lab exercises end to end: every shipped lab validates, passes `lab check` with its reference
//! answers and fails with wrong ones; malformed lab and answers files are refused with their own
//! file:line:column; `lab run` works through a pipe and through a pseudo-terminal (tmux).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use pki_lab::lab::answers::{self, Answer};
use pki_lab::lab::{self, Action};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `labs/*.yaml`, sorted.
fn lab_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("labs"))
        .expect("labs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The first line of `# expect: …` in a data file, and the rest of its header comments.
fn header(path: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(path).expect("data file");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
        .unwrap_or_else(|| panic!("{} has a `# {key}:` line", path.display()))
        .to_string()
}

fn data_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/data").join(dir))
        .expect("data dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// Runs the binary from the repository root, so relative paths in messages are stable.
fn run_in_repo(dir: &Path, args: &[&str]) -> std::process::Output {
    pki_lab().current_dir(repo()).arg("--dir").arg(dir).args(args).output().expect("run pki-lab")
}

#[test]
fn lab_validate_accepts_every_shipped_lab() {
    let files = lab_files();
    assert!(files.len() >= 15, "{} labs shipped", files.len());
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut args = vec!["lab".to_string(), "validate".to_string()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(tmp.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().filter(|l| l.starts_with("ok  ")).count(), files.len(), "{}", stdout(&o));
}

#[test]
fn shipped_labs_cover_every_rule_with_a_scenario_and_all_five_steps() {
    let labs = lab::builtin(pki_lab::cli::parse_step).expect("built-in labs");
    let mut rules = BTreeSet::new();
    let mut steps = BTreeSet::new();
    for l in &labs {
        let cov = l.coverage();
        rules.extend(cov.rules);
        steps.extend(cov.steps);
    }
    let catalogue = pki_lab::catalogue::template::Catalogue::builtin().expect("catalogue");
    let broken: BTreeSet<_> = catalogue.templates().iter().filter_map(|p| p.breaks).collect();
    let missing: Vec<_> = broken.difference(&rules).collect();
    assert!(missing.is_empty(), "rules with a scenario that no lab checks: {missing:?}");
    // The two rules without a scenario are covered too (weak-crypto makes the certificates).
    assert!(rules.iter().any(|r| *r == "signature.weak-algorithm") && rules.iter().any(|r| *r == "key.too-weak"));
    assert_eq!(steps.len(), 5, "handshake steps covered: {steps:?}");
}

/// Answers with one question answered wrongly and one task given a wrong input; returns the
/// YAML, the ids of the steps that must now fail, and the question's id with the `why` the lab
/// gives for the wrong choice, if it gives one.
fn wrong_answers(l: &lab::Lab, right: &answers::Answers) -> (String, Vec<String>, (String, Option<String>)) {
    let mut yaml = format!("lab: {}\nanswers:\n", l.id);
    let mut wrong = Vec::new();
    let q = l.steps.iter().find_map(|s| match &s.action {
        Action::Question(q) => Some((s.id.clone(), q)),
        _ => None,
    });
    let (qid, question) = q.unwrap_or_else(|| panic!("lab {} has a question", l.id));
    let bad =
        question.choices.iter().find(|c| !question.is_correct(c)).cloned().unwrap_or_else(|| "not-the-answer".into());
    let why = (qid.clone(), question.why_wrong(&bad).map(String::from));
    let t = l.steps.iter().find_map(|s| match &s.action {
        Action::Task(t) if !t.inputs.is_empty() => Some((s.id.clone(), t)),
        _ => None,
    });
    for (id, answer) in &right.steps {
        if *id == qid {
            continue;
        }
        if t.as_ref().is_some_and(|(tid, _)| tid == id) {
            continue;
        }
        match answer {
            Answer::Text(s) => yaml.push_str(&format!("  {id}: {}\n", serde_json::to_string(s).expect("json"))),
            Answer::Task { inputs, shell } => {
                yaml.push_str(&format!("  {id}:\n"));
                if let Some(sh) = shell {
                    yaml.push_str(&format!("    shell: {}\n", serde_json::to_string(sh).expect("json")));
                }
                for (k, v) in inputs {
                    yaml.push_str(&format!("    {k}: {}\n", serde_json::to_string(v).expect("json")));
                }
            }
        }
    }
    yaml.push_str(&format!("  {qid}: {}\n", serde_json::to_string(&bad).expect("json")));
    wrong.push(qid);
    if let Some((tid, task)) = t {
        yaml.push_str(&format!("  {tid}:\n"));
        for input in &task.inputs {
            yaml.push_str(&format!("    {}: wrong.invalid\n", input.name));
        }
        wrong.push(tid);
    }
    // Report order is lab order.
    wrong.sort_by_key(|id| l.steps.iter().position(|s| s.id == *id));
    (yaml, wrong, why)
}

/// `lab check` of one shipped lab passes with its reference answers and fails, naming the
/// steps and saying why when the lab says why, with wrong ones; `redis` is the Redis its
/// servers use, if they use one. Returns whether the lab said why the wrong choice was wrong.
fn check_shipped_lab(l: &lab::Lab, dir: &Path, tmp: &Path, redis: Option<&str>) -> bool {
    let check = |answers: &Path| {
        let mut c = pki_lab();
        c.arg("--dir").arg(dir).args(["lab", "check", &l.id, "--answers"]).arg(answers).arg("--allow-shell");
        if let Some(url) = redis {
            c.env("PKI_LAB_REDIS", url);
        }
        c.output().expect("lab check")
    };
    let reference = repo().join("labs/answers").join(format!("{}.yaml", l.id));
    assert!(reference.is_file(), "labs/answers/{}.yaml is shipped", l.id);
    let graded = l.steps.iter().filter(|s| !matches!(s.action, Action::Explain)).count();

    let o = check(&reference);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}: reference answers fail:\n{out}{}", l.id, stderr(&o));
    assert_eq!(out.lines().last(), Some(format!("all {graded} graded steps pass").as_str()), "{out}");
    assert!(!out.contains(": why not: "), "{out}");

    let right = answers::load(&reference, l).expect("reference answers load");
    let (yaml, wrong, (qid, why)) = wrong_answers(l, &right);
    let file = tmp.join(format!("wrong-{}.yaml", l.id));
    std::fs::write(&file, yaml).expect("write answers");
    let o = check(&file);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{}: wrong answers must fail:\n{out}{}", l.id, stderr(&o));
    let summary = format!("{} of {graded} graded steps pass; failed: {}", graded - wrong.len(), wrong.join(", "));
    assert_eq!(out.lines().last(), Some(summary.as_str()), "{out}");
    for id in &wrong {
        let row = out.lines().find(|line| line.split_whitespace().next() == Some(id.as_str()));
        let row = row.unwrap_or_else(|| panic!("a row for {id}:\n{out}"));
        assert_eq!(row.split_whitespace().nth(2), Some("FAIL"), "{row}");
    }
    let why_lines: Vec<&str> = out.lines().filter(|line| line.contains(": why not: ")).collect();
    match &why {
        Some(w) => assert_eq!(why_lines, [format!("{qid}: why not: {w}")], "{out}"),
        None => assert_eq!(why_lines, Vec::<&str>::new(), "{out}"),
    }
    why.is_some()
}

#[test]
fn every_shipped_lab_passes_with_its_reference_answers_and_names_the_steps_answered_wrongly() {
    let (tmp, dir) = new_lab(&[]);
    let labs = lab::builtin(pki_lab::cli::parse_step).expect("built-in labs");
    let mut said_why = Vec::new();
    // The labs whose servers keep sessions in Redis are the next test's.
    for l in labs.iter().filter(|l| !l.uses_redis()) {
        if check_shipped_lab(l, &dir, tmp.path(), None) {
            said_why.push(l.id.as_str());
        }
    }
    // The wrong choice graded is each lab's first; these labs say why it is wrong, others do not.
    for id in ["the-five-steps", "expired-and-not-yet-valid"] {
        assert!(said_why.contains(&id), "{id} says why: {said_why:?}");
    }
}

#[test]
#[cfg_attr(missing_redis_server, ignore = "needs redis-server (Debian: redis-server); .ci/run installs it")]
fn every_shipped_lab_that_needs_redis_passes_with_its_reference_answers() {
    let server = Redis::start();
    let (tmp, dir) = new_lab(&[]);
    let labs = lab::builtin(pki_lab::cli::parse_step).expect("built-in labs");
    let redis_labs: Vec<&lab::Lab> = labs.iter().filter(|l| l.uses_redis()).collect();
    assert!(!redis_labs.is_empty(), "a shipped lab uses Redis");
    for l in redis_labs {
        check_shipped_lab(l, &dir, tmp.path(), Some(&server.url));
    }
}

#[test]
fn malformed_lab_files_name_their_own_file_line_column_and_exit_2() {
    let files = data_files("bad-labs");
    assert!(files.len() >= 30, "{} malformed labs", files.len());
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut seen = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(repo()).expect("inside the repo").display().to_string();
        let want = format!("error: {rel}:{}", header(f, "expect"));
        assert!(seen.insert(header(f, "expect")), "{rel}: another file already expects this exact message");
        let o = run_in_repo(tmp.path(), &["lab", "validate", &rel]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{rel}: {err}");
        assert!(!err.contains("panicked"), "{rel}: {err}");
        assert_eq!(err.lines().next(), Some(want.as_str()), "{rel}:\n{err}");
        // The snippet shows the line and a caret.
        assert!(err.lines().nth(2).is_some_and(|l| l.contains(" | ")), "{rel}:\n{err}");
    }
}

#[test]
fn malformed_answers_files_name_their_own_file_line_column_and_exit_2() {
    let files = data_files("bad-answers");
    assert!(files.len() >= 8);
    let (_tmp, dir) = new_lab(&[]);
    for f in &files {
        let rel = f.strip_prefix(repo()).expect("inside the repo").display().to_string();
        let want = format!("error: {rel}:{}", header(f, "expect"));
        let o = run_in_repo(&dir, &["lab", "check", &header(f, "lab"), "--answers", &rel]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{rel}: {err}");
        assert_eq!(err.lines().next(), Some(want.as_str()), "{rel}:\n{err}");
    }
}

#[test]
fn answers_with_shell_scripts_need_allow_shell() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let reference = repo().join("labs/answers/reading-a-certificate.yaml");
    let o = run(
        &tmp.path().join("lab"),
        &["lab", "check", "reading-a-certificate", "--answers", &reference.display().to_string()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).lines().next(),
        Some("error: the answers for `save-the-leaf` run shell scripts"),
        "{}",
        stderr(&o)
    );
    // Refused before anything was made.
    assert!(!tmp.path().join("lab").exists());
}

#[test]
fn unknown_labs_suggest_the_closest_id() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = run(tmp.path(), &["lab", "show", "mutual-tsl"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().next(), Some("error: unknown lab `mutual-tsl`; did you mean `mutual-tls`?"));
}

#[test]
fn lab_list_and_show_describe_labs_without_their_answers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = run(tmp.path(), &["lab", "list"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("#   LAB"), "{out}");
    for id in lab::builtin_ids() {
        assert!(out.lines().any(|l| l.split_whitespace().nth(1) == Some(id)), "{id} listed:\n{out}");
    }
    let o = run(tmp.path(), &["lab", "show", "key-exchange"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(out.starts_with("key-exchange — What the key exchange really does in TLS 1.3\n"), "{out}");
    assert!(out.contains("rules          handshake.key-mismatch\n"), "{out}");
    assert!(out.contains("handshake      hello, certificate, verification, key-exchange\n"), "{out}");
    assert!(out.contains("pki-lab probe key-mismatch"), "{out}");
    // A question's answer is not shown.
    assert!(!out.contains("each side derived them"), "{out}");

    let o = run(tmp.path(), &["lab", "list", "--json"]);
    let labs: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).expect("json");
    let mutual = labs.iter().find(|l| l["id"] == "mutual-tls").expect("mutual-tls");
    assert_eq!(mutual["covers"]["rules"], serde_json::json!(["client.cert-required", "client.cert-untrusted"]));
}

#[test]
fn lab_run_through_a_pipe_takes_hints_skips_quits_and_resumes() {
    let (_tmp, dir) = new_lab(&[]);
    let lab_run = |input: &str| {
        let mut child = pki_lab()
            .arg("--dir")
            .arg(&dir)
            .args(["lab", "run", "the-five-steps"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
        child.wait_with_output().expect("wait")
    };
    // Read, run the probe, answer one question wrongly (a choice the lab says why about, then
    // no choice at all), ask for a hint, answer, then quit.
    let o = lab_run("\n\nb\nTLS 1.1\nh\nc\nq\n");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("── step 2/7 · run · probe-valid ──"), "{out}");
    assert!(out.contains("✓ hello.version = TLSv1_3"), "{out}");
    assert!(
        out.contains(
            "your choice (h hint, s skip, q quit)> b\n✗ not quite: both sides speak TLS 1.2 too, but they pick the newest version they share, and both offered 1.3.\n  try again. h shows a hint."
        ),
        "{out}"
    );
    // Control: a wrong answer with no `why` gets the plain line.
    assert!(
        out.contains("your choice (h hint, s skip, q quit)> TLS 1.1\n✗ not quite: try again. h shows a hint."),
        "{out}"
    );
    assert!(out.contains("hint 1/1: Look at the line that starts with `1 hello`"), "{out}");
    assert!(out.contains("your choice (h hint, s skip, q quit)> c\n✓ right."), "{out}");
    assert!(
        out.contains("progress saved (3 of 7 steps). `pki-lab lab run the-five-steps` resumes at step 4."),
        "{out}"
    );
    let progress: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("labs/the-five-steps/progress.json")).expect("progress"),
    )
    .expect("json");
    assert_eq!(progress["steps"]["which-version"]["hints"], 1);
    assert_eq!(progress["finished"], serde_json::Value::Null);

    // Resume: skip one, answer the rest by their letters.
    let o = lab_run("s\nc\na\nb\n");
    let out = stdout(&o);
    assert!(out.contains("resuming at step 4 of 7 (3 done before)"), "{out}");
    // A skip still shows the answer and the explanation.
    assert!(out.contains("(h hint, s skip, q quit)> s\nskipped; the answer is: 2\n  The server sends"), "{out}");
    assert!(!out.contains("step 3/7"), "{out}");
    assert!(out.contains("lab `the-five-steps` complete: 6 of 7 steps done, skipped: how-many-certificates."), "{out}");
    assert!(out.contains("next: `pki-lab lab run reading-a-certificate`"), "{out}");

    // Done: nothing to resume.
    let o = lab_run("");
    assert!(stdout(&o).starts_with("You finished `the-five-steps` on "), "{}", stdout(&o));
}

/// A tmux server on its own socket, killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Tmux {
        let ok = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
        assert!(ok, "tmux is needed for the pseudo-terminal test (.ci/run installs it)");
        Tmux { socket: format!("pki-lab-test-{}", std::process::id()) }
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").args(["-L", &self.socket, "-f", "/dev/null"]).args(args).output().expect("tmux")
    }

    fn start(&self, name: &str, shell_command: &str) {
        let o = self.cmd(&["new-session", "-d", "-s", name, "-x", "220", "-y", "60", shell_command]);
        assert!(o.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&o.stderr));
    }

    /// The whole pane, history included; with `escapes`, colour codes are kept.
    fn screen(&self, name: &str, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-J", "-S", "-5000", "-t", name];
        if escapes {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.cmd(&args).stdout).into_owned()
    }

    /// Waits until the screen shows `text` `n` times.
    fn wait_for(&self, name: &str, text: &str, n: usize) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen(name, false);
            if s.matches(text).count() >= n {
                return s;
            }
            assert!(t0.elapsed() < Duration::from_secs(60), "waiting for {text:?} (x{n}); screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&self, name: &str, keys: &str) {
        let o = self.cmd(&["send-keys", "-t", name, "-l", keys]);
        assert!(o.status.success());
        let o = self.cmd(&["send-keys", "-t", name, "Enter"]);
        assert!(o.status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux (Debian: tmux); .ci/run installs it")]
fn lab_run_in_a_pseudo_terminal_completes_the_keep_alive_lab() {
    let (_tmp, dir) = new_lab(&[]);
    let tmux = Tmux::new();
    let bin = env!("CARGO_BIN_EXE_pki-lab");
    let shell = |no_color: bool| {
        format!(
            "env -u PKI_LAB_HOME -u PKI_LAB_NOW -u NO_COLOR {} TERM=xterm-256color '{bin}' --dir '{}' lab run keep-alive; echo EXIT=$?; sleep 600",
            if no_color { "NO_COLOR=1" } else { "" },
            dir.display()
        )
    };

    // First sitting, in colour: read, run the probe, quit at the question.
    tmux.start("first", &shell(false));
    tmux.wait_for("first", "[Enter] continue, q quit>", 1);
    tmux.send("first", "");
    tmux.wait_for("first", "[Enter] run it, h hint, s skip, q quit>", 1);
    tmux.send("first", "");
    tmux.wait_for("first", "your answer (h hint, s skip, q quit)>", 1);
    // Meanwhile another terminal can probe the lab's servers.
    let o = run(&dir, &["probe", "valid"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let coloured = tmux.screen("first", true);
    assert!(coloured.contains("\u{1b}["), "a terminal without NO_COLOR gets colours:\n{coloured}");
    tmux.send("first", "q");
    let s = tmux.wait_for("first", "EXIT=0", 1);
    assert!(s.contains("✓ secure_communication.responses[1].request_on_connection = 2"), "{s}");
    assert!(s.contains("progress saved (2 of 7 steps). `pki-lab lab run keep-alive` resumes at step 3."), "{s}");
    assert!(!dir.join("serve.json").exists(), "the session withdrew its ports");

    // Second sitting, NO_COLOR: resume, answer, use a hint in the task, finish.
    tmux.start("second", &shell(true));
    tmux.wait_for("second", "your answer (h hint, s skip, q quit)>", 1);
    assert!(tmux.screen("second", false).contains("resuming at step 3 of 7 (2 done before)"));
    tmux.send("second", "2");
    tmux.wait_for("second", "✗ not quite: try again.", 1);
    tmux.send("second", "one");
    tmux.wait_for("second", "number of requests (h, s, q)>", 1);
    tmux.send("second", "h");
    tmux.wait_for("second", "hint 1/1: The fifth request is responses[4]", 1);
    tmux.send("second", "4");
    tmux.wait_for("second", "✗ expected secure_communication.responses[4].request_on_connection = 5", 1);
    tmux.send("second", "");
    tmux.wait_for("second", "number of requests (h, s, q)>", 2);
    tmux.send("second", "5");
    tmux.wait_for("second", "your choice (h hint, s skip, q quit)>", 1);
    tmux.send("second", "b");
    // Three requests with `Connection: close`: three handshakes.
    tmux.wait_for("second", "[Enter] run it, h hint, s skip, q quit>", 1);
    tmux.send("second", "");
    tmux.wait_for("second", "✓ connections[].handshake = [full, full, full]", 1);
    tmux.send("second", "three");
    let s = tmux.wait_for("second", "EXIT=0", 1);
    assert!(s.contains("lab `keep-alive` complete: all 7 steps done."), "{s}");
    assert!(!tmux.screen("second", true).contains("\u{1b}[1m"), "NO_COLOR is respected");
    let progress: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("labs/keep-alive/progress.json")).expect("progress"))
            .expect("json");
    assert_eq!(progress["steps"].as_object().map(|m| m.len()), Some(7));
    assert!(progress["finished"].is_string());
}

#[test]
fn value_paths_know_every_field_of_real_reports() {
    use pki_lab::lab::command::{CommandTemplate, Program};
    use pki_lab::lab::expect::{is_known_shape, shapes};
    let (_tmp, dir) = new_lab(&[]);
    let l = lab::validate::parse(
        "id: shapes\ntitle: t\nlevel: beginner\ngoal: g\nscenarios: [client-cert-required]\nsteps:\n  - {id: a, kind: explain, text: x}\n",
        "shapes.yaml",
        &[],
        pki_lab::cli::parse_step,
    )
    .expect("lab");
    let session = lab::session::Session::start(&dir, &l, &dir.join("work"), None).expect("session");
    let cmds = [
        (
            Program::Probe,
            format!("probe client-cert-required --client-cert {}/scenarios/client-cert-required/client", dir.display()),
        ),
        (Program::Verify, "verify --cert {lab}/scenarios/valid/chain.pem --host localhost".to_string()),
        (Program::Inspect, "inspect {lab}/ca.pem".to_string()),
    ];
    for (program, text) in cmds {
        let cmd = CommandTemplate::parse(&text, pki_lab::cli::parse_step).expect("command");
        let obs = session.observe(&cmd, &|_| None).unwrap_or_else(|e| panic!("{text}: {}", e.message));
        let known = shapes(program);
        let mut paths = Vec::new();
        walk(&obs.json, String::new(), &mut paths);
        let unknown: Vec<&String> = paths.iter().filter(|p| !is_known_shape(&known, p)).collect();
        assert!(unknown.is_empty(), "{text}: paths of the real report missing from expect::shapes: {unknown:?}");
    }
    session.shutdown();
}

#[test]
fn lab_servers_and_gateways_run_with_their_own_session_settings_and_are_probed_by_name() {
    use pki_lab::lab::command::CommandTemplate;
    use pki_lab::lab::{LabTickets, SessionSpec};
    use pki_lab::serve::session::SessionStore;
    let (_tmp, dir) = new_lab(&[]);
    let yaml = "id: own-servers\ntitle: t\nlevel: beginner\ngoal: g\nscenarios: [valid]\nservers:\n  - {name: a, scenario: valid}\n  - {name: b, scenario: valid, session-store: none, tickets: shared}\ngateways:\n  - {name: g, mode: passthrough-rr, backends: 2, scenario: valid, session-store: none, tickets: shared}\nsteps:\n  - {id: x, kind: explain, text: x}\n";
    let l = lab::validate::parse(yaml, "own-servers.yaml", &[], pki_lab::cli::parse_step).expect("lab");
    assert_eq!(l.servers[0].session, SessionSpec::default());
    assert_eq!(l.servers[1].session, SessionSpec { store: SessionStore::None, tickets: LabTickets::Shared });
    assert_eq!((l.gateways[0].backends, l.gateways[0].mode.as_str()), (2, "passthrough-rr"));
    assert!(!l.uses_redis());

    let work = dir.join("work");
    let session = lab::session::Session::start(&dir, &l, &work, None).expect("session");
    let names: Vec<String> = session.servers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["valid", "server:a", "server:b", "gateway:g"]);
    assert!(work.join("ticket.key").is_file(), "the shared ticket key is in the work directory");
    let observe = |text: &str| {
        let cmd = CommandTemplate::parse(text, pki_lab::cli::parse_step).expect("command");
        session.observe(&cmd, &|_| None).unwrap_or_else(|e| panic!("{text}: {}", e.message))
    };
    let o = observe("probe server:b --resume --connections 2 --requests 1");
    assert_eq!(o.json["target"], "server:b");
    assert_eq!(o.json["secure_communication"]["responses"][0]["server"], "b", "a server answers with its name");
    assert_eq!(o.json["connections"][1]["handshake"], "resumed", "tickets, no cache");
    assert!(o.text.starts_with("probe server:b  ("), "{}", o.text);
    let o = observe("probe gateway:g --resume --connections 2 --requests 1");
    let kinds: Vec<&str> =
        o.json["connections"].as_array().expect("c").iter().filter_map(|c| c["handshake"].as_str()).collect();
    let backends: Vec<&str> =
        o.json["connections"].as_array().expect("c").iter().filter_map(|c| c["servers"][0].as_str()).collect();
    assert_eq!((kinds, backends), (vec!["full", "resumed"], vec!["backend-1", "backend-2"]), "one shared key");
    session.shutdown();

    let o = run(&dir, &["lab", "show", "sticky-routing"]);
    assert!(
        stdout(&o).contains("gateway        edge (terminate-sticky, 3 backends of valid; no cache, no tickets)\n"),
        "{}",
        stdout(&o)
    );
}

/// Every path of `v` in the form `shapes` lists (`[]` for list items).
fn walk(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    if !at.is_empty() {
        out.push(at.clone());
    }
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                walk(x, if at.is_empty() { k.clone() } else { format!("{at}.{k}") }, out);
            }
        }
        serde_json::Value::Array(items) => {
            for x in items {
                walk(x, format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn an_answer_is_data_and_never_adds_a_flag_to_the_graders_command() {
    let tmp = tempfile::tempdir().expect("tmp");
    let answers = tmp.path().join("answers.yaml");
    let keylog = tmp.path().join("secrets.log");
    // `host` takes a value: a flag there is refused. `flag` takes one of its choices only.
    for (step, input, value) in [
        ("right-host", "host", format!("--keylog={}", keylog.display())),
        ("only-12", "flag", format!("--keylog={}", keylog.display())),
    ] {
        let lab = if input == "host" { "host-names" } else { "tls-versions" };
        std::fs::write(&answers, format!("lab: {lab}\nanswers:\n  {step}:\n    {input}: \"{value}\"\n"))
            .expect("write");
        let o = pki_lab()
            .args(["lab", "check", lab, "--answers"])
            .arg(&answers)
            .arg("--dir")
            .arg(tmp.path().join("lab"))
            .output()
            .expect("run");
        let out = stdout(&o);
        let why = if input == "host" {
            "looks like a flag; this input takes a value, not options"
        } else {
            "is not one of --tls12, --tls13"
        };
        assert!(out.contains(why), "{lab}/{step}: {out}{}", stderr(&o));
        assert!(!keylog.exists(), "{lab}/{step}: the answer made the grader write {}", keylog.display());
    }
}

#[test]
fn path_building_questions_accept_the_ways_people_write_each_answer_and_refuse_the_wrong_ones() {
    let labs = lab::builtin(pki_lab::cli::parse_step).expect("built-in labs");
    let l = labs.iter().find(|l| l.id == "path-building").expect("the path-building lab");
    let question = |id: &str| match &l.steps.iter().find(|s| s.id == id).expect("step").action {
        Action::Question(q) => q.clone(),
        _ => panic!("{id} is a question"),
    };
    for (id, right, wrong) in [
        (
            "which-chosen",
            &["Trust store.", "the trust store", "from the trust store", "trust-store"][..],
            &["the server", "sent", "the rogue root"][..],
        ),
        (
            "why-dropped",
            &["a", "1", "The cross-certificate has expired and its issuer, the rogue root, is not trusted."],
            &["b", "the trust anchor has expired"],
        ),
        (
            "what-broke-in-2021",
            &["DST Root CA X3", "dst root ca x3", "the DST root", "DST Root X3"],
            &["ISRG Root X1", "R3"],
        ),
        ("what-max-depth-changes", &["a", "1"], &["b", "rustls's own limit"]),
        ("smallest-max-depth", &["7", "seven", "--max-depth 7"], &["6", "8"]),
        ("self-issued", &["no", "No.", "it does not", "not counted"], &["yes", "only when it is also self-signed"]),
    ] {
        let q = question(id);
        for r in right {
            assert!(q.is_correct(r), "{id}: `{r}` is right");
        }
        for w in wrong {
            assert!(!q.is_correct(w), "{id}: `{w}` is wrong");
        }
    }
}
